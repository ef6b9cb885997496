//! Per-client limits over real sockets: the input rate and connections
//! per address.

mod common;

use common::{Client, Mirror, TestServer};
use serde_json::json;

const ARENA: &str = r#"
name = "arena"
min_players = 1
max_players = 8
tick_rate = 20
match_seconds = 600
continuous = true
input_rate = 1
"#;

#[tokio::test]
async fn an_input_flood_is_rate_limited_without_slowing_another_room() {
    let server = TestServer::with_manifests(&[("arena", ARENA)]).await;
    let (mut flooder, _) = Client::guest(&server.ws_url(), "Flood").await;
    flooder
        .send(json!({"t": "create", "game": "arena", "private": true}))
        .await;
    flooder.expect("joined").await;
    let (mut calm, _) = Client::guest(&server.ws_url(), "Calm").await;
    calm.send(json!({"t": "create", "game": "arena", "private": true}))
        .await;
    let mut mirror = Mirror::default();
    calm.expect_mirrored(&mut mirror, "joined").await;

    const FLOOD: u32 = 500;
    for _ in 0..FLOOD {
        flooder.input(json!({"dx": 1.0, "dy": 0.0})).await;
    }
    // The calm player's input is applied at its room's next tick or the
    // one after, flood or not.
    let seq = calm.input(json!({"dx": 0.0, "dy": 1.0})).await;
    let mut patches = 0;
    loop {
        let patch = calm.expect_mirrored(&mut mirror, "patch").await;
        patches += 1;
        if patch["ack"] == seq {
            break;
        }
        assert!(patches < 3, "the calm room's ack waited {patches} patches");
    }

    // The flooder was told, and most of the flood was dropped: a ping sent
    // after the flood is answered after everything before it was handled.
    flooder.send(json!({"t": "ping", "n": 1})).await;
    let mut limited = 0;
    let mut ack = 0;
    loop {
        let m = flooder.recv().await;
        match m["t"].as_str().unwrap() {
            "error" => {
                assert_eq!(m["code"], "rate_limited", "{m}");
                limited += 1;
            }
            "patch" => ack = m["ack"].as_u64().unwrap(),
            "pong" => break,
            _ => {}
        }
    }
    assert!(limited >= 1);
    // One input a second: the first, plus whatever refilled while the flood was
    // read; far from all of it.
    assert!(ack < FLOOD as u64 / 2, "ack {ack}: the flood was not limited");
}

#[tokio::test]
async fn connections_beyond_the_per_address_limit_are_refused() {
    let server = TestServer::start_with(
        |c| {
            c.limits.connections_per_ip = 3;
            // The test's connections come from 127.0.0.1.
            c.limits.limit_loopback = true;
        },
        None,
    )
    .await;
    let mut open = Vec::new();
    for i in 0..3 {
        open.push(Client::guest(&server.ws_url(), &format!("P{i}")).await);
    }
    match tokio_tungstenite::connect_async(server.ws_url()).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => assert_eq!(response.status(), 429),
        other => panic!("a fourth connection was not refused: {:?}", other.map(|_| ())),
    }
}
