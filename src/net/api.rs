//! The JSON API and the lobby page.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::AppState;
use crate::matchmaking::Matchmaker;

/// Most leaderboard lines one request may ask for.
pub const MAX_LEADERBOARD: u32 = 1000;

/// A game as listed by `GET /api/games`.
#[derive(Serialize)]
struct GameInfo<'a> {
    name: &'a str,
    title: &'a str,
    min_players: u32,
    max_players: u32,
    tick_rate: Option<u32>,
    turn_based: bool,
    match_seconds: Option<u32>,
}

fn error(status: StatusCode, code: &str, message: String) -> Response {
    (status, Json(json!({ "error": code, "message": message }))).into_response()
}

pub async fn health(State(state): State<AppState>) -> Json<serde_json::Value> {
    Json(json!({ "status": "ok", "rooms": state.matchmaker.room_count() }))
}

pub async fn games(State(state): State<AppState>) -> Response {
    let games: Vec<GameInfo> = state
        .catalog
        .iter()
        .map(|g| {
            let m = g.manifest();
            GameInfo {
                name: &m.name,
                title: &m.title,
                min_players: m.min_players,
                max_players: m.max_players,
                tick_rate: m.tick_rate,
                turn_based: m.turn_based(),
                match_seconds: m.match_seconds,
            }
        })
        .collect();
    Json(games).into_response()
}

pub async fn rooms(State(state): State<AppState>) -> Response {
    Json(state.matchmaker.public_rooms()).into_response()
}

#[derive(Deserialize)]
pub struct LeaderboardQuery {
    limit: Option<u32>,
}

pub async fn leaderboard(
    State(state): State<AppState>,
    Path(game): Path<String>,
    Query(query): Query<LeaderboardQuery>,
) -> Response {
    if state.catalog.get(&game).is_none() {
        return error(StatusCode::NOT_FOUND, "no_such_game", format!("no game named {game:?}"));
    }
    let limit = query.limit.unwrap_or(100);
    if limit == 0 || limit > MAX_LEADERBOARD {
        return error(
            StatusCode::BAD_REQUEST,
            "bad_request",
            format!("limit must be between 1 and {MAX_LEADERBOARD}"),
        );
    }
    match state.ledger.leaderboard(&game, limit).await {
        Ok(entries) => Json(json!({ "game": game, "entries": entries })).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "leaderboard query failed");
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "the leaderboard could not be read".into(),
            )
        }
    }
}

/// A plain lobby page: the games this server hosts.
pub async fn index(State(state): State<AppState>) -> Html<String> {
    let mut items = String::new();
    for game in state.catalog.iter() {
        let m = game.manifest();
        let seats = if m.min_players == m.max_players {
            format!("{} players", m.max_players)
        } else {
            format!("{} to {} players", m.min_players, m.max_players)
        };
        let pace = match m.tick_rate {
            Some(rate) => format!("real-time, {rate} Hz"),
            None => "turn-based".to_owned(),
        };
        items.push_str(&format!(
            "<li><strong>{}</strong> ({}) &middot; {seats} &middot; {pace} &middot; <a href=\"/api/leaderboard/{}\">leaderboard</a></li>\n",
            escape(&m.title),
            escape(&m.name),
            escape(&m.name)
        ));
    }
    Html(format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Parlor</title></head><body>\n<h1>Parlor</h1>\n<p>Games on this server. Clients connect to <code>/ws</code> \
         (protocol v1); open rooms: <a href=\"/api/rooms\">/api/rooms</a>.</p>\n<ul>\n{items}</ul>\n</body></html>\n"
    ))
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
