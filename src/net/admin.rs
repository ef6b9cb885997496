//! The operator page, `/admin`, and the calls it makes: the cluster's nodes
//! with their load and state, this node's live rooms (game, players, tick
//! time, age), a room's replicated state, closing a room, draining the node.
//!
//! Everything here asks for `[admin] token` (`serve --admin-token`): as the
//! password of HTTP Basic authentication (what a browser prompts for; the
//! user name is ignored) or as `Authorization: Bearer TOKEN` (scripts),
//! compared in constant time. Without a configured token the page is off
//! and every call answers 403; with one, a missing or wrong token answers
//! 401 with a Basic challenge.

use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use base64::Engine;
use serde_json::json;

use super::AppState;
use crate::matchmaking::Matchmaker;

/// The page: one file, its script inline.
const PAGE: &str = include_str!("../../assets/admin/index.html");

/// Rooms listed at most, fullest first: the page is for looking, not for
/// exporting a large node's every room.
const MAX_LISTED: usize = 500;

/// Refuses a request without the admin token.
pub async fn require_token(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(token) = &state.config.admin_token else {
        return (
            StatusCode::FORBIDDEN,
            "the operator page is off: start the server with --admin-token (PARLOR_ADMIN_TOKEN)\n",
        )
            .into_response();
    };
    if offered_token(request.headers()).is_some_and(|offered| {
        bool::from(subtle::ConstantTimeEq::ct_eq(
            offered.as_bytes(),
            token.expose().as_bytes(),
        ))
    }) {
        return next.run(request).await;
    }
    (
        StatusCode::UNAUTHORIZED,
        [(
            header::WWW_AUTHENTICATE,
            "Basic realm=\"parlor admin\", charset=\"UTF-8\"",
        )],
        "the operator page needs the admin token (as the password)\n",
    )
        .into_response()
}

/// The token in `Authorization`: Bearer, or Basic's password.
fn offered_token(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    if let Some(token) = value.strip_prefix("Bearer ") {
        return Some(token.to_owned());
    }
    let encoded = value.strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
    let pair = String::from_utf8(decoded).ok()?;
    pair.split_once(':').map(|(_, password)| password.to_owned())
}

/// `GET /admin`: the page.
pub async fn page() -> Response {
    ([(header::CACHE_CONTROL, "no-store")], Html(PAGE)).into_response()
}

/// `GET /admin/api/overview`: this node, the cluster's nodes, this node's
/// rooms.
pub async fn overview(State(state): State<AppState>) -> Response {
    let draining = draining(&state);
    let (node, nodes, cluster) = match &state.cluster {
        Some(cluster) => {
            let nodes = cluster.nodes().await;
            (
                cluster.node_id().to_owned(),
                nodes.as_ref().map(|n| json!(n)).unwrap_or(json!([])),
                if nodes.is_ok() { "up" } else { "alone" },
            )
        }
        None => ("single".to_owned(), json!([]), "none"),
    };
    let mut rooms: Vec<serde_json::Value> = state
        .matchmaker
        .directory()
        .codes()
        .into_iter()
        .filter_map(|code| {
            let report = state.matchmaker.directory().report(&code)?;
            let handle = state.matchmaker.local_room(&code)?;
            Some(json!({
                "code": code.as_ref(),
                "game": report.room.game,
                "players": report.players,
                "max_players": report.max_players,
                "private": report.room.private,
                "chat": report.room.chat.is_some(),
                "tick_micros": handle.stats.last_tick_micros.load(std::sync::atomic::Ordering::Relaxed),
                "age_secs": handle.stats.opened.elapsed().as_secs(),
            }))
        })
        .collect();
    rooms.sort_by(|a, b| {
        b["players"]
            .as_u64()
            .cmp(&a["players"].as_u64())
            .then_with(|| a["code"].as_str().cmp(&b["code"].as_str()))
    });
    let total = rooms.len();
    rooms.truncate(MAX_LISTED);
    Json(json!({
        "node": node,
        "draining": draining,
        "cluster": cluster,
        "nodes": nodes,
        "rooms": rooms,
        "room_count": total,
        "open_rooms": state.matchmaker.room_count(),
    }))
    .into_response()
}

/// `GET /admin/api/rooms/{code}`: a room's seats and replicated state.
pub async fn room(State(state): State<AppState>, Path(code): Path<String>) -> Response {
    let code = code.to_ascii_uppercase();
    let Some(handle) = state.matchmaker.local_room(&code) else {
        return no_room(&code);
    };
    match handle.inspect().await {
        Some(inspection) => Json(json!({
            "code": code,
            "game": handle.game.manifest().name,
            "inspection": inspection,
        }))
        .into_response(),
        None => no_room(&code),
    }
}

/// `POST /admin/api/rooms/{code}/close`: ends a room; a running match is
/// recorded as aborted.
pub async fn close_room(State(state): State<AppState>, Path(code): Path<String>) -> Response {
    let code = code.to_ascii_uppercase();
    match state.matchmaker.local_room(&code) {
        Some(handle) if handle.close().await => Json(json!({ "closed": code })).into_response(),
        _ => no_room(&code),
    }
}

/// `POST /admin/drain`: the node stops taking players and rooms and stops
/// once its running matches end (within `[shutdown] grace_secs`); the
/// directory shows it draining at once.
pub async fn drain(State(state): State<AppState>) -> Response {
    if !draining(&state) {
        tracing::info!("drain requested on the operator page");
        state.drain_requested.cancel();
        if let Some(cluster) = &state.cluster {
            cluster.drain().await;
        }
    }
    (StatusCode::ACCEPTED, Json(json!({ "status": "draining" }))).into_response()
}

/// Whether this node is draining or stopping.
pub fn draining(state: &AppState) -> bool {
    state.lifecycle.is_stopping()
        || state.drain_requested.is_cancelled()
        || state.cluster.as_ref().is_some_and(|c| c.is_draining())
}

fn no_room(code: &str) -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(json!({ "error": "no_such_room", "message": format!("no room {code:?} on this node") })),
    )
        .into_response()
}
