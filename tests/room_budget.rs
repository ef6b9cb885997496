//! What one client can make the server hold in rooms: rooms opened are
//! budgeted per connection and per address, and a real-time room whose
//! players all dropped stops ticking until one comes back.

mod common;

use common::{Client, Mirror, TestServer};
use serde_json::{json, Value};

/// Sends `create` and returns the reply's type and error code, if any.
async fn create(client: &mut Client) -> (String, Option<String>) {
    client.send(json!({"t": "create", "game": "tictactoe"})).await;
    loop {
        let m = client.recv().await;
        match m["t"].as_str().unwrap() {
            "joined" => return ("joined".into(), None),
            "error" => return ("error".into(), m["code"].as_str().map(str::to_owned)),
            _ => {}
        }
    }
}

#[tokio::test]
async fn opening_rooms_is_budgeted_per_connection_and_per_address() {
    let server = TestServer::start_with(
        |c| {
            c.limits.rooms_per_minute = 3;
            c.limits.rooms_per_minute_per_ip = 5;
            c.limits.limit_loopback = true;
        },
        None,
    )
    .await;
    let (mut first, _) = Client::guest(&server.ws_url(), "Opener").await;
    for _ in 0..3 {
        assert_eq!(create(&mut first).await.0, "joined");
    }
    let refused = create(&mut first).await;
    assert_eq!(refused, ("error".into(), Some("rate_limited".into())));
    // The refusal left the client where it was: in its last room.
    first.send(json!({"t": "leave"})).await;
    assert_eq!(first.expect("left").await["reason"], "leave");

    // A new connection from the same address has what the address has left.
    let (mut second, _) = Client::guest(&server.ws_url(), "Opener again").await;
    for _ in 0..2 {
        assert_eq!(create(&mut second).await.0, "joined");
    }
    assert_eq!(create(&mut second).await.1.as_deref(), Some("rate_limited"));
    let refused = common::prometheus::metrics_of(&server);
    assert_eq!(
        refused.value("parlor_connections_refused_total", &[("limit", "room_budget")]),
        2.0
    );
    // Joining rooms others opened is not limited.
    second.send(json!({"t": "quick", "game": "arena"})).await;
    second.expect("joined").await;
}

/// The highest tick in the patches `client` reads until `ticks` more ticks
/// have passed.
async fn follow(client: &mut Client, mirror: &mut Mirror, from: u64, ticks: u64) -> u64 {
    loop {
        let patch: Value = client.expect_mirrored(mirror, "patch").await;
        let tick = patch["tick"].as_u64().unwrap();
        if tick >= from + ticks {
            return tick;
        }
    }
}

#[tokio::test]
async fn a_real_time_room_whose_players_all_dropped_stops_ticking_until_one_is_back() {
    let server = TestServer::start().await;
    let (mut away, welcome) = Client::guest(&server.ws_url(), "Away").await;
    away.send(json!({"t": "create", "game": "arena", "private": true}))
        .await;
    let mut mirror = Mirror::default();
    let joined = away.expect_mirrored(&mut mirror, "joined").await;
    let dropped_at = follow(&mut away, &mut mirror, joined["tick"].as_u64().unwrap(), 3).await;
    drop(away); // the seat is held for the grace

    // A control room, ticking with its player connected, is the clock: 40
    // of its ticks are 2 s at 20 Hz.
    let (mut control, _) = Client::guest(&server.ws_url(), "Control").await;
    control.send(json!({"t": "create", "game": "arena"})).await;
    let mut control_mirror = Mirror::default();
    let start = control.expect_mirrored(&mut control_mirror, "joined").await["tick"]
        .as_u64()
        .unwrap();
    follow(&mut control, &mut control_mirror, start, 40).await;

    let mut back = Client::hello(&server.ws_url(), json!({"session": welcome["session"]})).await;
    assert_eq!(back.expect("welcome").await["room"], joined["room"]);
    let mut mirror = Mirror::default();
    let resumed = back.expect_mirrored(&mut mirror, "joined").await["tick"]
        .as_u64()
        .unwrap();
    // The tick the drop was noticed at, perhaps one more; not 40.
    assert!(
        resumed <= dropped_at + 3,
        "the room ticked while nobody was connected: {dropped_at} -> {resumed}"
    );
    // And it ticks again now its player is back.
    follow(&mut back, &mut mirror, resumed, 5).await;
}
