//! Paths a normal game never takes: a client too slow for its room (resync
//! and kick), the same player on two connections, a full server, a ledger
//! that fails, and a room nobody joins.

mod common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::prometheus::metrics_of;
use common::stall::{head, pipeline_bytes, small_buffered_guest, stall, within, Head};
use common::{get_json, Client, Closed, Mirror, TestServer, PATIENCE};
use parlor::matchmaking::Matchmaker;
use serde_json::{json, Value};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sqlx::SqlitePool;

// ---------------------------------------------------------------------------
// A client that stops reading.
//
// A room's patches reach a client through: its outbound queue, the server's
// websocket write buffer, the server's kernel send buffer, the client's kernel
// receive buffer and the client's websocket read buffer. The queue fills only
// once everything after it is full and the server's write blocks. On loopback
// the kernel send buffer alone autotunes to megabytes, so patches of a few
// hundred bytes would take minutes to get there.
//
// So the room is an arena where every orb is within every player's reach:
// each tick every orb is collected and respawns elsewhere, and each patch
// carries all their positions (about 70 KB at 4000 orbs, 60 ticks a second).
// The stalled client's socket has a small, fixed receive buffer and a 4 KiB
// websocket read buffer, so what it holds is known. A second player, the
// watcher, reads every patch and adds up their sizes: once the patches sent
// since the stalled client's last read exceed every buffer on the way (the
// kernel's send buffer limit is read from /proc) plus the queue, at least one
// patch was skipped. That is a count of bytes the server sent, not a wait.
// ---------------------------------------------------------------------------

/// Outbound queue and reserve of the servers with a stalled client.
const QUEUE: usize = 8;
const RESERVE: usize = 2;

/// Arena where every orb is collected and respawns every tick; a round ends
/// every `match_seconds` (0: every tick, so a `result` every tick).
fn firehose(match_seconds: u32) -> String {
    format!(
        r#"
name = "arena"
min_players = 1
max_players = 8
tick_rate = 60
match_seconds = {match_seconds}
continuous = true
[settings]
field = 10.0
reach = 100.0
orbs = 4000
"#
    )
}

/// A server running [`firehose`] arena, with a small outbound queue.
async fn firehose_server(match_seconds: u32) -> TestServer {
    TestServer::with(&[("arena", &firehose(match_seconds))], |c| {
        c.limits.outbound_queue = QUEUE;
        c.limits.outbound_reserve = RESERVE;
        // The stall lasts a second or two; it must not pass for a dead peer.
        c.limits.write_timeout_secs = 120;
    })
    .await
}

/// Reads patches until one acknowledges input `seq`.
async fn until_ack(c: &mut Client, seq: u32) {
    within(async { while c.expect("patch").await["ack"] != seq {} }).await
}

/// Reads raw frames, undecoded (patches here are tens of kilobytes), until
/// the server ends the connection; returns how.
async fn closed_unread(c: &mut Client) -> Closed {
    loop {
        if let Err(closed) = c.frame().await {
            return closed;
        }
    }
}

/// A client whose outbound queue filled gets a fresh `joined` of the same seat instead of the missed patches.
#[tokio::test]
async fn a_client_that_fell_behind_is_resynced_with_joined() {
    let server = firehose_server(600).await;
    let (watcher, mut slow, first) =
        stall(&server, json!({"t": "create", "game": "arena", "private": true}), QUEUE).await;
    drop(watcher);

    // What was queued before the queue filled arrives in order, then a
    // `joined` stands in for the patches that were skipped.
    let mut tick = first["tick"].as_u64().unwrap();
    let resync = within(async {
        loop {
            let (h, _, bytes) = head(&mut slow).await;
            match h.t.as_str() {
                "patch" => {
                    assert_eq!(h.tick, Some(tick + 1), "queued patches arrive in order");
                    tick += 1;
                }
                "joined" => break rmp_serde::from_slice::<Value>(&bytes).unwrap(),
                other => panic!("unexpected {other} while reading the backlog"),
            }
        }
    })
    .await;
    assert_eq!(resync["room"], first["room"]);
    assert_eq!(resync["you"], first["you"], "the same seat");
    let at = resync["tick"].as_u64().unwrap();
    assert!(at > tick + 1, "patches were missed: last patch {tick}, joined at {at}");
    let mut mirror = Mirror::default();
    mirror.apply(&resync);
    assert_eq!(mirror.with("Orb").len(), 4000, "the full state");
    assert_eq!(mirror.with("Player").len(), 2);

    // Then patches go on from the `joined`'s tick.
    for expected in at + 1..at + 6 {
        let (h, _, _) = head(&mut slow).await;
        assert_eq!((h.t.as_str(), h.tick), ("patch", Some(expected)));
    }
    assert!(metrics_of(&server).value("parlor_resyncs_total", &[]) >= 1.0);
}

/// A client that cannot take even the reserved messages (here, a `result` every tick) is closed with 1008.
#[tokio::test]
async fn a_client_that_cannot_take_reserved_messages_is_closed_with_1008() {
    let server = firehose_server(0).await;
    let (mut watcher, mut slow, _) =
        stall(&server, json!({"t": "create", "game": "arena", "private": true}), QUEUE).await;
    // The stalled client's queue is at its reserve and its socket full: each
    // further `result` takes a reserved slot, and one more than the reserve
    // finds the queue full. One extra covers the result the room may still
    // have been handing out to the stalled client when the watcher got it.
    let mut results = 0;
    within(async {
        while results < RESERVE + 2 {
            if head(&mut watcher).await.0.t == "result" {
                results += 1;
            }
        }
    })
    .await;

    // Reading again, the client gets what was queued, then the close.
    let closed = within(closed_unread(&mut slow)).await;
    assert_eq!(closed, Closed::Code(1008));
    let metrics = metrics_of(&server);
    assert_eq!(
        metrics.value("parlor_kicks_total", &[("reason", "too_far_behind")]),
        1.0
    );
    assert_eq!(metrics.value("parlor_closes_total", &[("code", "1008")]), 1.0);
    // The room plays on for the others.
    for _ in 0..3 {
        while head(&mut watcher).await.0.t != "patch" {}
    }
}

/// Reads `client` in a task until it closes, keeping the highest tick seen
/// (patches and resync `joined`s) in the returned counter.
fn follow_ticks(mut client: Client) -> Arc<AtomicU64> {
    let tick = Arc::new(AtomicU64::new(0));
    let seen = tick.clone();
    tokio::spawn(async move {
        while let Ok(bytes) = client.frame().await {
            if let Ok(Head { tick: Some(t), .. }) = rmp_serde::from_slice::<Head>(&bytes) {
                seen.fetch_max(t, Ordering::Relaxed);
            }
        }
    });
    tick
}

/// A peer that never reads is dropped once a write to it has waited
/// `limits.write_timeout_secs`, which frees its address slot; its room
/// keeps ticking meanwhile, at the rate of a room without it in the same
/// run.
#[tokio::test]
async fn a_peer_that_never_reads_is_dropped_within_the_write_timeout() {
    let server = TestServer::with(&[("arena", &firehose(600))], |c| {
        c.limits.outbound_queue = QUEUE;
        c.limits.outbound_reserve = RESERVE;
        c.limits.write_timeout_secs = 1;
        // Three sockets from this address: two watchers and the stalled one.
        c.limits.limit_loopback = true;
        c.limits.connections_per_ip = 3;
    })
    .await;
    // The control: a room like the other, without a stalled client.
    let (mut control, _) = Client::guest(&server.ws_url(), "Control").await;
    control
        .send(json!({"t": "create", "game": "arena", "private": true}))
        .await;
    let control_start = control.expect("joined").await["tick"].as_u64().unwrap();
    let control_tick = follow_ticks(control);

    let (watcher, mut slow, joined) =
        stall(&server, json!({"t": "create", "game": "arena", "private": true}), QUEUE).await;
    let stalled_start = joined["tick"].as_u64().unwrap();
    let control_at_stall = control_tick.load(Ordering::Relaxed).max(control_start);
    let stalled_tick = follow_ticks(watcher);

    // The slot is free again once the server has dropped the stalled
    // socket: until then a fourth socket from this address gets HTTP 429.
    let deadline = Instant::now() + PATIENCE;
    loop {
        match tokio_tungstenite::connect_async(server.ws_url()).await {
            Ok(_) => break,
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) if response.status() == 429 => {}
            Err(e) => panic!("unexpected connect error: {e}"),
        }
        assert!(Instant::now() < deadline, "the stalled socket was never dropped");
        // The interval between polls, not a wait for the change.
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Over at least a second of the control's ticks (on a loaded machine
    // the drop may come before the watcher has read a tick).
    while control_tick.load(Ordering::Relaxed).saturating_sub(control_at_stall) < 20 {
        assert!(Instant::now() < deadline + PATIENCE, "the control room stopped ticking");
        // The interval between polls, not a wait for the change.
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let stalled_ticks = stalled_tick.load(Ordering::Relaxed).saturating_sub(stalled_start);
    let control_ticks = control_tick.load(Ordering::Relaxed) - control_at_stall;

    // The server ended the connection: what the kernel buffered arrives,
    // then the end, without the close handshake a reading peer would get.
    let closed = within(closed_unread(&mut slow)).await;
    assert_eq!(closed, Closed::Dropped);
    let kicks = metrics_of(&server).value("parlor_kicks_total", &[("reason", "write_timeout")]);
    assert_eq!(kicks, 1.0);
    // Both rooms ran over the same span; the stalled client did not hold
    // its room back.
    let ratio = stalled_ticks as f64 / control_ticks.max(1) as f64;
    assert!(
        ratio > 0.8,
        "the room with the stalled client ticked {stalled_ticks} times, the control {control_ticks}"
    );
}

// ---------------------------------------------------------------------------
// Membership and the room directory.
// ---------------------------------------------------------------------------

/// The same player joining from a second connection (a second sign-in, so
/// a second session) takes over the seat; the first connection gets `left`
/// `replaced`.
#[tokio::test]
async fn the_same_player_joining_from_another_connection_replaces_the_first() {
    use common::telegram::{launch, sign, BOT_TOKEN};
    let server = TestServer::start_with(|c| c.telegram.bot_token = Some(BOT_TOKEN.into()), None).await;
    let sign_in = || async {
        let init_data = sign(BOT_TOKEN, &launch(7, "Ada", None));
        let mut client = Client::hello(&server.ws_url(), json!({"init_data": init_data})).await;
        let welcome = client.expect("welcome").await;
        (client, welcome)
    };
    let (mut first, welcome) = sign_in().await;
    first
        .send(json!({"t": "create", "game": "arena", "private": true}))
        .await;
    let joined = first.expect("joined").await;

    let (mut second, again) = sign_in().await;
    assert_eq!(again["player"], welcome["player"]);
    assert_eq!(
        again["room"],
        Value::Null,
        "no seat is held: the first connection is open"
    );
    second.send(json!({"t": "join", "room": joined["invite"]})).await;
    let taken = second.expect("joined").await;
    assert_eq!((&taken["room"], &taken["you"]), (&joined["room"], &joined["you"]));
    assert_eq!(first.expect("left").await["reason"], "replaced");

    // The second connection plays the seat; the first is in no room.
    let seq = second.input(json!({"dx": 1.0, "dy": 0.0})).await;
    until_ack(&mut second, seq).await;
    first.input(json!({"dx": 0.0, "dy": 1.0})).await;
    assert_eq!(first.expect("error").await["code"], "not_in_room");
}

/// Polls `GET path` until `done` holds for its JSON (at most PATIENCE); returns that JSON.
async fn poll_until(server: &TestServer, path: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let (status, body) = get_json(&server.http(path)).await;
        assert_eq!(status, 200, "GET {path}: {body}");
        if done(&body) {
            return body;
        }
        assert!(Instant::now() < deadline, "GET {path} never showed the change: {body}");
        // The interval between polls, not a wait for the change.
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// With `limits.max_rooms` rooms open, `create` and `quick` get `server_full` until one closes.
#[tokio::test]
async fn create_and_quick_get_server_full_until_a_room_closes() {
    let server = TestServer::start_with(|c| c.limits.max_rooms = 1, None).await;
    let (mut ada, _) = Client::guest(&server.ws_url(), "Ada").await;
    ada.send(json!({"t": "create", "game": "tictactoe", "private": true}))
        .await;
    ada.expect("joined").await;

    let (mut bob, _) = Client::guest(&server.ws_url(), "Bob").await;
    bob.send(json!({"t": "create", "game": "arena"})).await;
    let refused = bob.recv().await;
    assert_eq!(
        (refused["t"].as_str(), refused["code"].as_str()),
        (Some("error"), Some("server_full"))
    );
    // No public arena room has a seat, so `quick` would open one.
    bob.send(json!({"t": "quick", "game": "arena"})).await;
    assert_eq!(bob.recv().await, refused);
    let limited = metrics_of(&server).value("parlor_connections_refused_total", &[("limit", "rooms")]);
    assert_eq!(limited, 2.0);

    ada.send(json!({"t": "leave"})).await;
    assert_eq!(ada.expect("left").await["reason"], "leave");
    poll_until(&server, "/health", |h| h["rooms"] == 0).await;
    bob.send(json!({"t": "create", "game": "arena"})).await;
    assert_eq!(bob.expect("joined").await["game"], "arena");
}

/// A room nobody joins closes after `limits.unclaimed_room_secs`, real-time or turn-based; a joined one stays.
#[tokio::test]
async fn a_room_nobody_joins_closes_after_the_unclaimed_grace() {
    let server = TestServer::start_with(|c| c.limits.unclaimed_room_secs = 1, None).await;
    let (mut ada, _) = Client::guest(&server.ws_url(), "Ada").await;
    ada.send(json!({"t": "create", "game": "arena"})).await;
    let claimed = ada.expect("joined").await["room"].clone();

    // Rooms opened by the matchmaker, as `create` and `quick` open them,
    // that nobody joins.
    let matchmaker = &server.server.state().matchmaker;
    let arena = matchmaker.create("arena", false).unwrap().code.to_string();
    let tictactoe = matchmaker.create("tictactoe", false).unwrap().code.to_string();
    let codes = |rooms: &Value| -> Vec<String> {
        rooms
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["code"].as_str().unwrap().to_owned())
            .collect()
    };
    let (_, rooms) = get_json(&server.http("/api/rooms")).await;
    let listed = codes(&rooms);
    assert!(listed.contains(&arena) && listed.contains(&tictactoe), "{rooms}");
    assert_eq!(get_json(&server.http("/health")).await.1["rooms"], 3);

    let rooms = poll_until(&server, "/api/rooms", |r| {
        let listed = codes(r);
        !listed.contains(&arena) && !listed.contains(&tictactoe)
    })
    .await;
    assert_eq!(codes(&rooms), vec![claimed.as_str().unwrap().to_owned()]);
    assert_eq!(rooms[0]["players"], 1);
    assert_eq!(get_json(&server.http("/health")).await.1["rooms"], 1);
    // The joined room, older than the grace, plays on.
    for _ in 0..3 {
        ada.expect("patch").await;
    }
}

// ---------------------------------------------------------------------------
// A ledger that fails.
// ---------------------------------------------------------------------------

/// Ada creates a private tic-tac-toe room and Bob joins it; returns them.
async fn seat_two(server: &TestServer) -> (Client, Client) {
    let (mut ada, _) = Client::guest(&server.ws_url(), "Ada").await;
    ada.send(json!({"t": "create", "game": "tictactoe", "private": true}))
        .await;
    let code = ada.expect("joined").await["invite"].clone();
    let (mut bob, _) = Client::guest(&server.ws_url(), "Bob").await;
    bob.send(json!({"t": "join", "room": code})).await;
    bob.expect("joined").await;
    (ada, bob)
}

/// Plays Ada's win (top row) up to, not including, the winning move; each
/// move is acknowledged before the other player moves.
async fn play_to_the_last_move(ada: &mut Client, bob: &mut Client) {
    for (player, cell) in [(0, 0), (1, 3), (0, 1), (1, 4)] {
        let c = if player == 0 { &mut *ada } else { &mut *bob };
        let seq = c.input(json!({ "cell": cell })).await;
        until_ack(c, seq).await;
    }
}

/// The next message that is not a patch.
async fn next_after_patches(c: &mut Client) -> Value {
    loop {
        let m = c.recv().await;
        if m["t"] != "patch" {
            return m;
        }
    }
}

/// The server's own ledger file, opened by the test.
async fn open_ledger(server: &TestServer) -> SqlitePool {
    let path = server.server.state().config.data_dir.join("parlor.db");
    SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(SqliteConnectOptions::new().filename(path))
        .await
        .unwrap()
}

/// A result the ledger cannot record gets both players `error` `internal` and `left` `error`; the server plays on.
#[tokio::test]
async fn a_result_the_ledger_cannot_record_ends_the_room_with_internal_error() {
    let server = TestServer::start().await;
    let db = open_ledger(&server).await;
    let (mut ada, mut bob) = seat_two(&server).await;
    play_to_the_last_move(&mut ada, &mut bob).await;

    // The ledger writes a match and its players in one transaction; with
    // the players' table gone, the second insert fails.
    sqlx::query("ALTER TABLE match_players RENAME TO match_players_away")
        .execute(&db)
        .await
        .unwrap();
    ada.input(json!({"cell": 2})).await;
    for c in [&mut ada, &mut bob] {
        let error = next_after_patches(c).await;
        assert_eq!(
            (error["t"].as_str(), error["code"].as_str()),
            (Some("error"), Some("internal"))
        );
        let left = next_after_patches(c).await;
        assert_eq!(
            (left["t"].as_str(), left["reason"].as_str()),
            (Some("left"), Some("error"))
        );
    }
    // Nothing of the match was kept.
    let (matches,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM matches")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(matches, 0);

    // With the table back, the same server records the next match.
    sqlx::query("ALTER TABLE match_players_away RENAME TO match_players")
        .execute(&db)
        .await
        .unwrap();
    let (mut ada, mut bob) = seat_two(&server).await;
    play_to_the_last_move(&mut ada, &mut bob).await;
    ada.input(json!({"cell": 2})).await;
    let result = ada.expect("result").await;
    assert_eq!(result["ranking"][0]["name"], "Ada");
    assert_eq!(bob.expect("result").await, result);
    let (status, board) = get_json(&server.http("/api/leaderboard/tictactoe")).await;
    assert_eq!((status, board["entries"][0]["name"].as_str()), (200, Some("Ada")));
    let metrics = metrics_of(&server);
    assert_eq!(metrics.value("parlor_ledger_write_seconds_count", &[]), 2.0);
    assert_eq!(metrics.value("parlor_ledger_write_failures_total", &[]), 1.0);
    db.close().await;
}

/// Quick match under a race: 200 players asking at the same moment fill
/// two-seat rooms pairwise; no room is over capacity and nobody is left
/// alone while another player sits alone elsewhere.
#[tokio::test]
async fn simultaneous_quick_matches_fill_rooms_without_splitting_pairs() {
    let server = TestServer::start().await;
    const PLAYERS: usize = 200;
    let mut clients = Vec::new();
    for i in 0..PLAYERS {
        clients.push(Client::guest(&server.ws_url(), &format!("P{i}")).await.0);
    }
    // Every request is written before any answer is read.
    for client in &mut clients {
        client.send(json!({"t": "quick", "game": "tictactoe"})).await;
    }
    let mut rooms: std::collections::BTreeMap<String, usize> = Default::default();
    for client in &mut clients {
        let joined = within(client.expect("joined")).await;
        *rooms.entry(joined["room"].as_str().unwrap().to_owned()).or_default() += 1;
    }
    let alone = rooms.values().filter(|n| **n == 1).count();
    assert!(rooms.values().all(|n| *n <= 2), "a room over capacity: {rooms:?}");
    assert_eq!(alone, 0, "{alone} players alone in {} rooms", rooms.len());
    assert_eq!(rooms.len(), PLAYERS / 2);
}

/// A ping flood from a client that reads nothing is closed (more than
/// `MAX_PINGS_PER_SEC` websocket pings a second), and until then the pongs
/// it owes are held within `limits.write_buffer_max_bytes`.
#[tokio::test]
async fn a_ping_flood_that_never_reads_is_dropped_at_the_write_buffer_cap() {
    let server = TestServer::with(&[], |c| {
        c.limits.write_buffer_max_bytes = 256 * 1024;
        // Not the write timeout: the pongs are written by the read side.
        c.limits.write_timeout_secs = 120;
    })
    .await;
    let (mut flood, rcvbuf) = small_buffered_guest(&server, "Flood").await;
    // Enough pings that their pongs fill every buffer on the way to the
    // client and then the cap, twice over; the send fails once the server
    // has dropped the connection.
    let budget = pipeline_bytes(rcvbuf) + 2 * 256 * 1024;
    let ping = vec![0u8; 125];
    let mut sent = 0;
    while sent < 2 * budget {
        let message = tokio_tungstenite::tungstenite::Message::Ping(ping.clone().into());
        if flood.conn.send_message(message).await.is_err() {
            break;
        }
        sent += ping.len() + 6;
    }
    // Reading now drains what was buffered, then finds the end: the close
    // frame, or none if it could not get out within its second.
    let closed = within(closed_unread(&mut flood)).await;
    assert!(matches!(closed, Closed::Code(1008) | Closed::Dropped), "{closed:?}");
}

/// A private room is joined by its invite only: its bare code, or the code
/// with any other secret, is `no_such_room` (and a miss); a public room is
/// joined by its code.
#[tokio::test]
async fn a_private_room_is_joined_by_its_invite_only() {
    let server = TestServer::start().await;
    let (mut host, _) = Client::guest(&server.ws_url(), "Host").await;
    host.send(json!({"t": "create", "game": "arena", "private": true}))
        .await;
    let joined = host.expect("joined").await;
    let (code, invite) = (joined["room"].as_str().unwrap(), joined["invite"].as_str().unwrap());
    assert_eq!(invite.len(), code.len() + 1 + 16);

    let (mut stranger, _) = Client::guest(&server.ws_url(), "Stranger").await;
    for guess in [
        code.to_owned(),
        format!("{code}-{}", "Z".repeat(16)),
        format!("{code}-"),
    ] {
        stranger.send(json!({"t": "join", "room": guess})).await;
        let refused = stranger.expect("error").await;
        assert_eq!(refused["code"], "no_such_room", "{guess}: {refused}");
    }
    stranger.send(json!({"t": "join", "room": invite})).await;
    assert_eq!(stranger.expect("joined").await["room"], code);

    // A public room has no invite and is joined by its code.
    host.send(json!({"t": "create", "game": "arena"})).await;
    let public = host.expect("joined").await;
    assert!(public.get("invite").is_none(), "{public}");
    stranger.send(json!({"t": "join", "room": public["room"]})).await;
    assert_eq!(stranger.expect("joined").await["room"], public["room"]);
}

/// Guessing codes: a connection that joins codes that do not exist gets
/// `no_such_room` for its budget (10 a minute), then `rate_limited` without
/// a lookup (also for a code that exists), then, after three budgets of
/// refusals, the close (1008).
#[tokio::test]
async fn guessing_room_codes_is_rate_limited_then_closed() {
    let server = TestServer::start().await;
    let (mut host, _) = Client::guest(&server.ws_url(), "Host").await;
    host.send(json!({"t": "create", "game": "tictactoe", "private": true}))
        .await;
    let real = host.expect("joined").await["invite"].clone();
    let (mut guesser, _) = Client::guest(&server.ws_url(), "Guesser").await;
    let mut answers = Vec::new();
    let closed = within(async {
        for i in 0.. {
            // Codes of the right shape that no room has (the alphabet has no 1).
            let code = format!("Z{i:05}").replace('0', "2").replace('1', "3");
            guesser.send(json!({"t": "join", "room": code})).await;
            match guesser.frame().await {
                Ok(bytes) => answers.push(rmp_serde::from_slice::<Value>(&bytes).unwrap()["code"].clone()),
                Err(closed) => return closed,
            }
            if i == 12 {
                // Out of budget, even the real code is refused unseen.
                guesser.send(json!({"t": "join", "room": real})).await;
                let refused = guesser.expect("error").await;
                assert_eq!(refused["code"], "rate_limited", "{refused}");
            }
        }
        unreachable!()
    })
    .await;
    assert_eq!(closed, Closed::Code(1008));
    let misses = answers.iter().filter(|c| **c == "no_such_room").count();
    assert_eq!(misses, 10, "{answers:?}");
    assert!(answers[10..].iter().all(|c| *c == "rate_limited"));
    // Each refusal counts: those answered, the real code's, and the last,
    // answered with the close.
    let metrics = metrics_of(&server);
    let refused = metrics.value("parlor_connections_refused_total", &[("limit", "join_misses")]);
    assert_eq!(refused as usize, answers.len() - 10 + 2);
    assert_eq!(metrics.value("parlor_kicks_total", &[("reason", "join_misses")]), 1.0);
}

/// A seated player that stops reading, in a room whose patches are small
/// enough for the kernel's buffers to take for minutes (so no write ever
/// waits), is closed with 1008 once it leaves a keepalive ping unanswered;
/// its seat is held as after any drop.
#[tokio::test]
async fn a_player_that_stops_reading_small_patches_is_closed_at_the_keepalive() {
    let server = TestServer::start_with(|c| c.limits.keepalive_secs = 1, None).await;
    let (mut watcher, _) = Client::guest(&server.ws_url(), "Watcher").await;
    watcher
        .send(json!({"t": "create", "game": "arena", "private": true}))
        .await;
    let mut mirror = Mirror::default();
    let invite = watcher.expect_mirrored(&mut mirror, "joined").await["invite"].clone();
    let (mut quiet, _) = Client::guest(&server.ws_url(), "Quiet").await;
    quiet.send(json!({"t": "join", "room": invite})).await;
    quiet.expect("joined").await;

    // From here on `quiet` reads nothing; the watcher reads on (answering
    // its own pings) until the quiet player shows offline.
    let offline = |m: &Mirror| m.with("Player").iter().any(|(_, p)| p[1] == "Quiet" && p[3] == false);
    within(async {
        while !offline(&mirror) {
            watcher.expect_mirrored(&mut mirror, "patch").await;
        }
    })
    .await;
    let kicks = metrics_of(&server).value("parlor_kicks_total", &[("reason", "not_reading")]);
    assert_eq!(kicks, 1.0);
    // Reading again, it gets what was queued and then the close.
    assert_eq!(within(quiet.closed()).await, Closed::Code(1008));
}

/// The budget per address spans connections and the room API: with
/// loopback counted, a second connection from the same address gets what
/// the first left, and `GET /api/rooms/{code}` is refused (429) with it.
#[tokio::test]
async fn the_guess_budget_per_address_spans_connections_and_the_api() {
    let server = TestServer::with(&[], |c| {
        c.limits.limit_loopback = true;
        c.limits.join_misses_per_minute = 10;
        c.limits.join_misses_per_minute_per_ip = 14;
    })
    .await;
    let mut codes = (0..).map(|i: u32| format!("Y{:05}", i).replace('0', "2").replace('1', "3"));
    let (mut first, _) = Client::guest(&server.ws_url(), "First").await;
    for _ in 0..10 {
        first.send(json!({"t": "join", "room": codes.next().unwrap()})).await;
        assert_eq!(first.expect("error").await["code"], "no_such_room");
    }
    let (status, _) = get_json(&server.http(&format!("/api/rooms/{}", codes.next().unwrap()))).await;
    assert_eq!(status, 404, "the address has misses left");
    let (mut second, _) = Client::guest(&server.ws_url(), "Second").await;
    for expected in ["no_such_room", "no_such_room", "no_such_room", "rate_limited"] {
        second.send(json!({"t": "join", "room": codes.next().unwrap()})).await;
        assert_eq!(second.expect("error").await["code"], expected);
    }
    let (status, body) = get_json(&server.http(&format!("/api/rooms/{}", codes.next().unwrap()))).await;
    assert_eq!((status, body["error"].as_str()), (429, Some("rate_limited")), "{body}");
    let refused = metrics_of(&server).value("parlor_connections_refused_total", &[("limit", "join_misses")]);
    assert_eq!(refused, 2.0, "the join and the lookup");
}
