//! The compact patch extension (`hello.compact`, `p` messages): a client
//! reading `p` mirrors exactly the state a client reading `patch` mirrors,
//! tick by tick, in the same room.

mod common;

use common::{Client, Mirror, TestServer};
use serde_json::{json, Value};

/// Reads until a patch of either kind at `tick` or later has been applied.
async fn read_to(client: &mut Client, mirror: &mut Mirror, tick: u64) {
    while mirror.tick < tick {
        loop {
            let m = client.recv().await;
            mirror.apply(&m);
            if m["t"] == "patch" || m["t"] == "p" {
                break;
            }
        }
    }
}

async fn hello(server: &TestServer, name: &str, compact: bool) -> Client {
    let mut client = Client::hello(&server.ws_url(), json!({"guest": name, "compact": compact})).await;
    client.expect("welcome").await;
    client
}

#[tokio::test]
async fn compact_and_plain_clients_mirror_the_same_arena() {
    // A small, crowded field: orbs are collected (components change) all
    // the time.
    let arena = "name = \"arena\"\nmin_players = 1\nmax_players = 8\ntick_rate = 20\nmatch_seconds = 600\ncontinuous = true\n[settings]\nfield = 200.0\norbs = 60\nreach = 25.0\n";
    let server = TestServer::with_manifests(&[("arena", arena)]).await;
    let mut plain = hello(&server, "Plain", false).await;
    plain
        .send(json!({"t": "create", "game": "arena", "private": true}))
        .await;
    let mut mp = Mirror::default();
    let code = plain.expect_mirrored(&mut mp, "joined").await["invite"].clone();
    let mut compact = hello(&server, "Compact", true).await;
    compact.send(json!({"t": "join", "room": code})).await;
    let mut mc = Mirror::default();
    compact.expect_mirrored(&mut mc, "joined").await;
    // The first `p` must be a compact one.
    let first = loop {
        let m = compact.recv().await;
        mc.apply(&m);
        if m["t"] == "p" || m["t"] == "patch" {
            break m;
        }
    };
    assert_eq!(first["t"], "p", "{first}");
    assert!(first.get("ch").is_none() && first.get("ack").is_none());

    compact.input(json!({"dx": 1.0, "dy": 0.5})).await;
    plain.input(json!({"dx": -1.0, "dy": 0.0})).await;
    // A third player comes and goes: a spawn, then a despawn (`g`).
    let mut third = hello(&server, "Third", true).await;
    third.send(json!({"t": "join", "room": code})).await;
    third.expect("joined").await;
    third.send(json!({"t": "leave"})).await;
    third.expect("left").await;

    for target in [mc.tick + 5, mc.tick + 20, mc.tick + 40] {
        read_to(&mut compact, &mut mc, target).await;
        read_to(&mut plain, &mut mp, mc.tick).await;
        read_to(&mut compact, &mut mc, mp.tick).await;
        assert_eq!(mc.tick, mp.tick);
        assert_eq!(mc.entities, mp.entities, "at tick {}", mc.tick);
        assert_eq!(mc.resources, mp.resources, "at tick {}", mc.tick);
    }
    assert_eq!(mc.with("Player").len(), 2, "the third player's entity is gone");
    let scores: Vec<Value> = mc.with("Score").into_iter().map(|(_, s)| s).collect();
    assert!(
        scores.iter().any(|s| s.as_u64().unwrap() > 0),
        "orbs were collected: {scores:?}"
    );
}

#[tokio::test]
async fn compact_patches_carry_resources_and_the_ack() {
    let server = TestServer::start().await;
    let mut ada = hello(&server, "Ada", true).await;
    ada.send(json!({"t": "create", "game": "tictactoe", "private": true}))
        .await;
    let mut ma = Mirror::default();
    let code = ada.expect_mirrored(&mut ma, "joined").await["invite"].clone();
    let mut bob = hello(&server, "Bob", false).await;
    bob.send(json!({"t": "join", "room": code})).await;
    let mut mb = Mirror::default();
    bob.expect_mirrored(&mut mb, "joined").await;
    let seq = ada.input(json!({"cell": 4})).await;
    let p = loop {
        let m = ada.expect_mirrored(&mut ma, "p").await;
        if m["a"] == seq {
            break m;
        }
    };
    assert!(p.get("r").is_some(), "the board changed: {p}");
    read_to(&mut bob, &mut mb, ma.tick).await;
    assert_eq!(ma.resources, mb.resources);
    assert_eq!(ma.resource("Board")[4], 1);
}
