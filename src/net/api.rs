//! The JSON API.

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::AppState;
use crate::ledger::{BoardQuery, Metric, Period};
use crate::matchmaking::Matchmaker;
use crate::metrics::Limit;

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
    /// Its matches are recorded (manifest `record`): each can be played
    /// back at `/replay/{match}`.
    record: bool,
    /// `/play/{name}`: the game's page (its own, or the live state page
    /// for a game without one). Always set; an option for clients written
    /// when some games had none.
    page: Option<String>,
}

/// The API's error answer: `{"error": code, "message": message}`.
pub(super) fn error(status: StatusCode, code: &str, message: String) -> Response {
    (status, Json(json!({ "error": code, "message": message }))).into_response()
}

/// A ledger read that failed: logged with `log`, answered 500 `internal`
/// with `message` (the database's error stays in the log).
fn unreadable(e: &crate::ledger::LedgerError, log: &str, message: &str) -> Response {
    tracing::error!(error = %e, "{log}");
    error(StatusCode::INTERNAL_SERVER_ERROR, "internal", message.into())
}

/// 503 with `"status": "draining"` once the node stops taking players, so a
/// load balancer's readiness check sends new clients elsewhere.
pub async fn health(State(state): State<AppState>) -> Response {
    let draining = super::admin::draining(&state);
    let mut body = json!({
        "status": if draining { "draining" } else { "ok" },
        "rooms": state.matchmaker.room_count(),
    });
    if let Some(cluster) = &state.cluster {
        body["node"] = json!(cluster.node_id());
        body["cluster"] = json!(if cluster.is_up() { "up" } else { "alone" });
    }
    let status = if draining {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::OK
    };
    (status, Json(body)).into_response()
}

/// `GET /metrics`: the server's metrics in the Prometheus text format. With
/// `[metrics] token` set, only for `Authorization: Bearer <token>`.
pub async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(token) = &state.config.metrics_token {
        let offered = headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "));
        let allowed = offered.is_some_and(|offered| {
            bool::from(subtle::ConstantTimeEq::ct_eq(
                offered.as_bytes(),
                token.expose().as_bytes(),
            ))
        });
        if !allowed {
            return (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer")],
                "GET /metrics needs Authorization: Bearer <the [metrics] token>\n",
            )
                .into_response();
        }
    }
    (
        [(header::CONTENT_TYPE, crate::metrics::CONTENT_TYPE)],
        state.metrics.encode(),
    )
        .into_response()
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
                record: m.record,
                page: Some(format!("/play/{}", m.name)),
            }
        })
        .collect();
    Json(games).into_response()
}

pub async fn rooms(State(state): State<AppState>) -> Response {
    Json(state.matchmaker.public_rooms()).into_response()
}

/// `GET /api/rooms/{code}`: which game a room plays, so a page opened with
/// only a room code (a Telegram `startapp` link to the lobby) can go to the
/// game's page. Knowing a private room's code is what lets one join it, so
/// this tells nothing a holder of the code could not learn by joining.
pub async fn room(State(state): State<AppState>, client: super::ClientAddr, Path(code): Path<String>) -> Response {
    let code = code.to_ascii_uppercase();
    // Codes that do not exist spend the address's budget of misses, like
    // `join`: guessing private rooms here is as limited as there.
    let counted = state.counts(client.ip);
    if counted && !state.join_misses.has_token(client.ip) {
        state.metrics.refused(Limit::JoinMisses);
        return error(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "too many lookups of rooms that do not exist; wait a minute".into(),
        );
    }
    let found = state.matchmaker.find(&code);
    if found.is_err() && counted {
        state.join_misses.spend(client.ip);
    }
    match found {
        Ok(room) => {
            let game = &room.game.manifest().name;
            Json(json!({
                "code": &*room.code,
                "game": game,
                "page": format!("/play/{game}"),
            }))
            .into_response()
        }
        Err(_) => error(StatusCode::NOT_FOUND, "no_such_room", format!("no open room {code:?}")),
    }
}

/// `GET /api/leaderboard/{game}`'s parameters, all optional (docs/api.md).
#[derive(Deserialize)]
pub struct LeaderboardQuery {
    limit: Option<u32>,
    /// `global` (default) or `chat`, which needs `chat`.
    scope: Option<String>,
    /// A Telegram `chat_instance`.
    chat: Option<String>,
    /// `all` (default), `day` or `week` (UTC).
    period: Option<String>,
    /// `best` (default), `wins` or `total`.
    metric: Option<String>,
    /// A player id whose own line is wanted too.
    around: Option<String>,
}

/// The longest chat or player id a board is asked about.
const MAX_ID: usize = 128;

/// A `{"error": "bad_request"}` answer.
fn bad_request(message: String) -> Response {
    error(StatusCode::BAD_REQUEST, "bad_request", message)
}

/// `GET /api/leaderboard/{game}`: the board the query asks for.
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
        return bad_request(format!("limit must be between 1 and {MAX_LEADERBOARD}"));
    }
    let period = match query.period.as_deref().unwrap_or("all") {
        "all" => Period::All,
        "day" => Period::Day,
        "week" => Period::Week,
        other => return bad_request(format!("period {other:?}: all, day or week")),
    };
    let metric = match query.metric.as_deref().unwrap_or("best") {
        "best" => Metric::Best,
        "wins" => Metric::Wins,
        "total" => Metric::Total,
        other => return bad_request(format!("metric {other:?}: best, wins or total")),
    };
    let chat = match (query.scope.as_deref().unwrap_or("global"), query.chat) {
        ("global", None) => None,
        ("global", Some(_)) => return bad_request("chat is for scope=chat".into()),
        ("chat", Some(chat)) if !chat.is_empty() && chat.len() <= MAX_ID => Some(chat),
        ("chat", _) => return bad_request(format!("scope=chat needs chat: a chat_instance of 1 to {MAX_ID} bytes")),
        (other, _) => return bad_request(format!("scope {other:?}: global or chat")),
    };
    if query.around.as_ref().is_some_and(|p| p.is_empty() || p.len() > MAX_ID) {
        return bad_request(format!("around: a player id of 1 to {MAX_ID} bytes"));
    }
    let board_query = BoardQuery {
        game,
        chat,
        period,
        metric,
        limit,
        around: query.around,
        now_ms: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64),
    };
    match state.ledger.board(&board_query).await {
        Ok(board) => Json(json!({
            "game": board_query.game,
            "scope": if board_query.chat.is_some() { "chat" } else { "global" },
            "chat": board_query.chat,
            "period": period,
            "metric": metric,
            "entries": board.entries,
            "around": board.around,
        }))
        .into_response(),
        Err(e) => unreadable(&e, "leaderboard query failed", "the leaderboard could not be read"),
    }
}

/// The longest match id looked up; longer ones are no id this server made.
const MAX_MATCH_ID: usize = 128;

/// `GET /api/matches/{id}`: the match as signed when it was recorded:
/// `{record, signature, key}`, `record` the exact text the Ed25519
/// signature (hex) covers, `key` the id of a key in `GET /api/keys`.
pub async fn signed_match(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let no_such_match = || {
        error(
            StatusCode::NOT_FOUND,
            "no_such_match",
            format!("no signed match {id:?}"),
        )
    };
    if id.len() > MAX_MATCH_ID {
        return no_such_match();
    }
    match state.ledger.signed_match(&id).await {
        Ok(Some(signed)) => Json(signed).into_response(),
        Ok(None) => no_such_match(),
        Err(e) => unreadable(&e, "match lookup failed", "the match could not be read"),
    }
}

/// `GET /api/keys`: every public key this server's results were signed
/// with: `{"keys": [{id, algorithm, public_key}]}`.
pub async fn result_keys(State(state): State<AppState>) -> Response {
    match state.ledger.result_keys().await {
        Ok(keys) => Json(json!({ "keys": keys })).into_response(),
        Err(e) => unreadable(&e, "key listing failed", "the keys could not be read"),
    }
}

/// `GET /api/players/{id}/matches`'s parameters.
#[derive(Deserialize)]
pub struct HistoryQuery {
    /// Matches per page, 1 to 100 [default: 20].
    limit: Option<u32>,
    /// The `next` of the previous page.
    before: Option<String>,
}

/// The most matches a history page holds.
const MAX_HISTORY_PAGE: u32 = 100;

/// `GET /api/players/{id}/matches`: the player's matches, newest first, a
/// page at a time: `{player, matches, next}`; `next` (or `null` on the
/// last page) goes in `before` for the page after.
pub async fn player_matches(
    State(state): State<AppState>,
    Path(player): Path<String>,
    Query(query): Query<HistoryQuery>,
) -> Response {
    let limit = query.limit.unwrap_or(20);
    if limit == 0 || limit > MAX_HISTORY_PAGE {
        return bad_request(format!("limit must be between 1 and {MAX_HISTORY_PAGE}"));
    }
    if player.is_empty() || player.len() > MAX_ID || query.before.as_ref().is_some_and(|b| b.len() > MAX_MATCH_ID) {
        return bad_request(format!("a player id of 1 to {MAX_ID} bytes, and a match id in before"));
    }
    match state
        .ledger
        .player_matches(&player, query.before.as_deref(), limit)
        .await
    {
        Ok(matches) => {
            let next = (matches.len() == limit as usize).then(|| matches.last().map(|m| m.id.clone()));
            Json(json!({ "player": player, "matches": matches, "next": next.flatten() })).into_response()
        }
        Err(e) => unreadable(&e, "match history query failed", "the matches could not be read"),
    }
}

/// `GET /api/players/{id}/claims?limit=N`: the rewards the player's
/// matches granted, newest first: `{player, claims}`.
pub async fn player_claims(
    State(state): State<AppState>,
    Path(player): Path<String>,
    Query(query): Query<HistoryQuery>,
) -> Response {
    let limit = query.limit.unwrap_or(20);
    if limit == 0 || limit > MAX_HISTORY_PAGE || player.is_empty() || player.len() > MAX_ID {
        return bad_request(format!(
            "limit must be between 1 and {MAX_HISTORY_PAGE}, and a player id of 1 to {MAX_ID} bytes"
        ));
    }
    match state.ledger.claims(&player, limit).await {
        Ok(claims) => Json(json!({ "player": player, "claims": claims })).into_response(),
        Err(e) => unreadable(&e, "claims query failed", "the claims could not be read"),
    }
}
