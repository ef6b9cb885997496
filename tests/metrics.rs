//! `GET /metrics` through a real server and real websockets, read by the
//! Prometheus org's own text-format parser (tests/common/prometheus.rs):
//! every series is there from the start, and the values move as a scripted
//! match plays.

mod common;

use common::prometheus::{parse, scrape, scrape_until, Scrape};
use common::{http_get_with, Client, Closed, Mirror, TestServer};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

const GAMES: [&str; 4] = ["arena", "eights", "tictactoe", "trivia"];

/// The value of `parlor_NAME` (a counter's `_total`, a histogram's
/// `_count`) with `labels`.
fn at(s: &Scrape, name: &str, labels: &[(&str, &str)]) -> f64 {
    s.value(name, labels)
}

fn signins(s: &Scrape, method: &str, result: &str) -> f64 {
    at(s, "parlor_signins_total", &[("method", method), ("result", result)])
}

fn refused_inputs(s: &Scrape, reason: &str) -> f64 {
    at(s, "parlor_inputs_total", &[("result", "refused"), ("reason", reason)])
}

fn accepted_inputs(s: &Scrape) -> f64 {
    at(s, "parlor_inputs_total", &[("result", "accepted"), ("reason", "")])
}

fn closes(s: &Scrape, code: &str) -> f64 {
    at(s, "parlor_closes_total", &[("code", code)])
}

fn kicks(s: &Scrape, reason: &str) -> f64 {
    at(s, "parlor_kicks_total", &[("reason", reason)])
}

fn per_game(s: &Scrape, name: &str, game: &str) -> f64 {
    at(s, name, &[("game", game)])
}

/// Whether a tic-tac-toe mirror shows a mark in `cell`.
fn marked(m: &Mirror, cell: usize) -> bool {
    m.resources
        .get(&m.type_index("Board"))
        .is_some_and(|board| board[cell] != 0)
}

#[tokio::test]
async fn every_series_is_there_at_zero_with_its_type() {
    let server = TestServer::start().await;
    let s = scrape(&server).await;
    for (family, kind) in [
        ("parlor_rooms", "gauge"),
        ("parlor_players", "gauge"),
        ("parlor_connections", "gauge"),
        ("parlor_replays", "gauge"),
        ("parlor_signins", "counter"),
        ("parlor_tick_duration_seconds", "histogram"),
        ("parlor_frames_sent", "counter"),
        ("parlor_bytes_sent", "counter"),
        ("parlor_patches_written_straight", "counter"),
        ("parlor_inputs", "counter"),
        ("parlor_resyncs", "counter"),
        ("parlor_kicks", "counter"),
        ("parlor_connections_refused", "counter"),
        ("parlor_ledger_write_seconds", "histogram"),
        ("parlor_ledger_write_failures", "counter"),
        ("parlor_closes", "counter"),
        ("parlor_process_resident_bytes", "gauge"),
    ] {
        assert_eq!(s.kind(family), kind, "{family}");
    }
    for game in GAMES {
        assert_eq!(per_game(&s, "parlor_rooms", game), 0.0);
        assert_eq!(per_game(&s, "parlor_players", game), 0.0);
        assert_eq!(per_game(&s, "parlor_tick_duration_seconds_count", game), 0.0);
    }
    for method in ["telegram", "guest", "session"] {
        for result in ["ok", "refused"] {
            assert_eq!(signins(&s, method, result), 0.0);
        }
    }
    for limit in ["per_address", "rooms", "join_misses", "room_budget"] {
        assert_eq!(at(&s, "parlor_connections_refused_total", &[("limit", limit)]), 0.0);
    }
    for reason in ["rate_limited", "not_in_room", "illegal_input", "bad_message"] {
        assert_eq!(refused_inputs(&s, reason), 0.0);
    }
    for code in ["1000", "1001", "1003", "1008", "1009", "1011", "1013", "4001", "other"] {
        assert_eq!(closes(&s, code), 0.0);
    }
    assert_eq!(at(&s, "parlor_connections", &[]), 0.0);
    assert_eq!(at(&s, "parlor_replays", &[]), 0.0);
    assert_eq!(at(&s, "parlor_ledger_write_seconds_count", &[]), 0.0);
    // Real memory, from /proc: more than a megabyte, less than the machine.
    let rss = at(&s, "parlor_process_resident_bytes", &[]);
    assert!(rss > 1e6 && rss < 1e12, "{rss}");
    // No label value comes from a client: nothing here names a room or a player.
    assert!(s.names().all(|n| n.starts_with("parlor_")));
}

/// Sign-ins of each kind, a tic-tac-toe match to a win with refused moves,
/// an arena room ticking, then the server's stop: each step moves the
/// series it should, seen through `GET /metrics`.
#[tokio::test]
async fn values_move_as_a_scripted_match_plays() {
    // No grace for the arena round still running at the stop.
    let server = TestServer::start_with(|c| c.shutdown.grace_secs = 0, None).await;
    let url = server.ws_url();
    let start = scrape(&server).await;

    // Sign-ins: two guests; a third guest whose session token signs a
    // new connection in after the first closed; a forged token and
    // Telegram initData on a server without a bot, both refused (1008).
    let (mut ada, _) = Client::guest(&url, "Ada").await;
    let (mut bob, _) = Client::guest(&url, "Bob").await;
    let (mut cy, welcome) = Client::guest(&url, "Cy").await;
    cy.conn.close().await;
    let mut cy = Client::hello(&url, json!({"session": welcome["session"]})).await;
    cy.expect("welcome").await;
    for refused in [json!({"session": "forged"}), json!({"init_data": "user=1&hash=00"})] {
        let mut c = Client::hello(&url, refused).await;
        assert_eq!(c.recv().await["t"], "error");
        assert_eq!(c.closed().await, Closed::Code(1008));
    }
    let s = scrape_until(&server, "three open connections", |s| {
        at(s, "parlor_connections", &[]) == 3.0
    })
    .await;
    assert_eq!(signins(&s, "guest", "ok"), 3.0);
    assert_eq!(signins(&s, "session", "ok"), 1.0);
    assert_eq!(signins(&s, "session", "refused"), 1.0);
    assert_eq!(signins(&s, "telegram", "refused"), 1.0);
    assert_eq!(signins(&s, "telegram", "ok"), 0.0);
    assert_eq!(closes(&s, "1008"), 2.0);

    // An input outside a room is refused before any room sees it.
    cy.input(json!({"cell": 0})).await;
    assert_eq!(cy.expect("error").await["code"], "not_in_room");

    // Tic-tac-toe: Ada opens a private room, Bob joins it by its invite.
    ada.send(json!({"t": "create", "game": "tictactoe", "private": true}))
        .await;
    let (mut ma, mut mb) = (Mirror::default(), Mirror::default());
    let invite = ada.expect_mirrored(&mut ma, "joined").await["invite"].clone();
    bob.send(json!({"t": "join", "room": invite})).await;
    bob.expect_mirrored(&mut mb, "joined").await;
    let s = scrape(&server).await;
    assert_eq!(per_game(&s, "parlor_rooms", "tictactoe"), 1.0);
    assert_eq!(per_game(&s, "parlor_players", "tictactoe"), 2.0);
    let frames = at(&s, "parlor_frames_sent_total", &[]);
    let bytes = at(&s, "parlor_bytes_sent_total", &[]);
    assert!(
        frames > at(&start, "parlor_frames_sent_total", &[]),
        "welcomes and joins went out"
    );
    assert!(bytes > frames, "each frame has bytes");

    // Bob moves out of turn (the game refuses it), then sends a move that
    // is not one (the session refuses it); then a win in five moves.
    bob.input(json!({"cell": 4})).await;
    assert_eq!(bob.expect_mirrored(&mut mb, "error").await["code"], "illegal_input");
    bob.input(json!({"square": 1})).await;
    assert_eq!(bob.expect_mirrored(&mut mb, "error").await["code"], "bad_message");
    for (player, cell) in [(0, 0), (1, 3), (0, 1), (1, 4), (0, 2)] {
        let mover = if player == 0 { &mut ada } else { &mut bob };
        mover.input(json!({"cell": cell})).await;
        // Each move is on both boards before the next is sent.
        for (c, m) in [(&mut ada, &mut ma), (&mut bob, &mut mb)] {
            while !marked(m, cell) {
                c.expect_mirrored(m, "patch").await;
            }
        }
    }
    ada.expect("result").await;
    bob.expect("result").await;
    let s = scrape_until(&server, "the finished room gone", |s| {
        per_game(s, "parlor_rooms", "tictactoe") == 0.0
    })
    .await;
    assert_eq!(per_game(&s, "parlor_players", "tictactoe"), 0.0);
    assert_eq!(accepted_inputs(&s), 5.0);
    assert_eq!(refused_inputs(&s, "illegal_input"), 1.0);
    assert_eq!(refused_inputs(&s, "bad_message"), 1.0);
    assert_eq!(refused_inputs(&s, "not_in_room"), 1.0);
    // Two ledger writes: Cy's resume (the session's next generation) and the match.
    assert_eq!(at(&s, "parlor_ledger_write_seconds_count", &[]), 2.0);
    assert!(at(&s, "parlor_ledger_write_seconds_sum", &[]) > 0.0);
    assert_eq!(at(&s, "parlor_ledger_write_failures_total", &[]), 0.0);
    assert!(per_game(&s, "parlor_tick_duration_seconds_count", "tictactoe") >= 6.0);
    assert!(at(&s, "parlor_frames_sent_total", &[]) > frames);
    assert!(at(&s, "parlor_bytes_sent_total", &[]) > bytes);

    // Arena ticks at 20 Hz whatever its players do: its tick histogram
    // grows while Ada plays.
    ada.send(json!({"t": "quick", "game": "arena"})).await;
    ada.expect("joined").await;
    let seq = ada.input(json!({"dx": 1.0, "dy": 0.0})).await;
    while ada.expect("patch").await["ack"] != seq {}
    let first = scrape_until(&server, "arena ticks", |s| {
        per_game(s, "parlor_tick_duration_seconds_count", "arena") > 0.0
    })
    .await;
    assert_eq!(per_game(&first, "parlor_rooms", "arena"), 1.0);
    assert_eq!(per_game(&first, "parlor_players", "arena"), 1.0);
    let ticks = per_game(&first, "parlor_tick_duration_seconds_count", "arena");
    let later = scrape_until(&server, "more arena ticks", |s| {
        per_game(s, "parlor_tick_duration_seconds_count", "arena") >= ticks + 5.0
    })
    .await;
    assert!(per_game(&later, "parlor_tick_duration_seconds_sum", "arena") > 0.0);
    // Once her joined is written, the room writes her patches straight to
    // her socket (nothing else is queued for her).
    scrape_until(&server, "patches written straight", |s| {
        at(s, "parlor_patches_written_straight_total", &[]) > 0.0
    })
    .await;
    assert!(accepted_inputs(&later) >= 6.0, "the steering input was taken");

    // Ada's connection drops: the arena holds her seat, but she is no
    // longer a connected player.
    drop(ada);
    scrape_until(&server, "Ada's seat held offline", |s| {
        per_game(s, "parlor_players", "arena") == 0.0 && at(s, "parlor_connections", &[]) == 2.0
    })
    .await;
    assert_eq!(per_game(&scrape(&server).await, "parlor_rooms", "arena"), 1.0);

    // The stop closes every open socket with 1001, and the rooms with them.
    let state = server.server.state().clone();
    server.server.shutdown().await;
    for c in [&mut bob, &mut cy] {
        assert_eq!(c.closed().await, Closed::Code(1001));
    }
    let s = parse(&state.metrics.encode());
    assert_eq!(closes(&s, "1001"), 2.0);
    assert_eq!(at(&s, "parlor_connections", &[]), 0.0);
    for game in GAMES {
        assert_eq!(per_game(&s, "parlor_rooms", game), 0.0, "{game}");
    }
}

/// Every way the server ends a connection for its peer's behaviour is
/// counted by reason, and its close frame by code.
#[tokio::test]
async fn kicks_are_counted_by_reason_and_closes_by_code() {
    let server = TestServer::start_with(|c| c.limits.hello_timeout_secs = 1, None).await;
    let url = server.ws_url();

    let mut silent = Client::connect(&url).await;
    assert_eq!(silent.closed().await, Closed::Code(1008));

    let (mut texter, _) = Client::guest(&url, "Texter").await;
    texter.send_raw(Message::Text("{}".into())).await;
    assert_eq!(texter.closed().await, Closed::Code(1003));

    let (mut big, _) = Client::guest(&url, "Big").await;
    big.send_raw(Message::Binary(vec![0x90; 16 * 1024 + 1].into())).await;
    assert_eq!(big.closed().await, Closed::Code(1009));

    let (mut noisy, _) = Client::guest(&url, "Noisy").await;
    for _ in 0..20 {
        if noisy.conn.send_frame(vec![0xc1]).await.is_err() {
            break;
        }
    }
    assert_eq!(noisy.closed().await, Closed::Code(1008));

    let (mut pinger, _) = Client::guest(&url, "Pinger").await;
    for _ in 0..50 {
        if pinger.conn.send_message(Message::Ping(vec![1].into())).await.is_err() {
            break;
        }
    }
    assert_eq!(pinger.closed().await, Closed::Code(1008));

    // The server counts a kick before its close frame goes out.
    let s = scrape(&server).await;
    for (reason, count) in [
        ("hello_timeout", 1.0),
        ("text_frame", 1.0),
        ("too_big", 1.0),
        ("bad_messages", 1.0),
        ("pings", 1.0),
        ("too_far_behind", 0.0),
        ("write_timeout", 0.0),
        ("join_misses", 0.0),
    ] {
        assert_eq!(kicks(&s, reason), count, "{reason}");
    }
    assert_eq!(closes(&s, "1008"), 3.0);
    assert_eq!(closes(&s, "1003"), 1.0);
    assert_eq!(closes(&s, "1009"), 1.0);
    // Four welcomes, and an error for each of the nine undecodable
    // messages the server read (the ninth went out before the close).
    assert!(at(&s, "parlor_frames_sent_total", &[]) >= 4.0 + 9.0);
}

/// With `[metrics] token` set, `GET /metrics` answers 401 without it and
/// the metrics with it.
#[tokio::test]
async fn a_configured_token_guards_the_metrics() {
    let server = TestServer::start_with(|c| c.metrics_token = Some("s3cret".into()), None).await;
    let url = server.http("/metrics");
    for refused in [&[][..], &["Authorization: Bearer wrong"], &["Authorization: s3cret"]] {
        let (status, head, body) = http_get_with(&url, refused).await;
        assert_eq!(status, 401, "{refused:?}");
        assert!(head.contains("www-authenticate: bearer"), "{head}");
        assert!(!body.contains("parlor_"), "{body}");
    }
    let (status, _, body) = http_get_with(&url, &["Authorization: Bearer s3cret"]).await;
    assert_eq!(status, 200);
    assert_eq!(at(&parse(&body), "parlor_connections", &[]), 0.0);
}
