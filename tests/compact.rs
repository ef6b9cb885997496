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

/// A server whose continuous arena has these `[settings]`, and a plain
/// client that opened a private room of it: the client, its mirror and the
/// room's invite.
async fn arena_room(settings: &str) -> (TestServer, Client, Mirror, Value) {
    let arena = format!(
        "name = \"arena\"\nmin_players = 1\nmax_players = 8\ntick_rate = 20\nmatch_seconds = 600\ncontinuous = true\n[settings]\n{settings}\n"
    );
    let server = TestServer::with_manifests(&[("arena", &arena)]).await;
    let mut plain = hello(&server, "Plain", false).await;
    plain
        .send(json!({"t": "create", "game": "arena", "private": true}))
        .await;
    let mut mirror = Mirror::default();
    let invite = plain.expect_mirrored(&mut mirror, "joined").await["invite"].clone();
    (server, plain, mirror, invite)
}

#[tokio::test]
async fn compact_and_plain_clients_mirror_the_same_arena() {
    // A small, crowded field: orbs are collected (components change) all
    // the time.
    let (server, mut plain, mut mp, code) = arena_room("field = 200.0\norbs = 60\nreach = 25.0").await;
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

/// Every number as a float: a lean `p` writes a float that holds a whole
/// number as an integer, which is the same number to a client.
fn numbers_as_floats(v: &Value) -> Value {
    match v {
        Value::Number(n) => json!(n.as_f64().unwrap()),
        Value::Array(items) => Value::Array(items.iter().map(numbers_as_floats).collect()),
        Value::Object(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), numbers_as_floats(v))).collect()),
        other => other.clone(),
    }
}

#[tokio::test]
async fn lean_patches_leave_out_the_tick_the_unchanged_ack_float_fractions_and_unchanged_fields() {
    let (server, mut plain, mut mp, code) = arena_room("field = 300.0\nspeed = 3000.0\norbs = 5\nreach = 1.0").await;
    let mut lean = Client::hello(
        &server.ws_url(),
        json!({"guest": "Lean", "compact": true, "lean": true}),
    )
    .await;
    lean.expect("welcome").await;
    lean.send(json!({"t": "join", "room": code})).await;
    let mut ml = Mirror::default();
    ml.you = lean.expect_mirrored(&mut ml, "joined").await["you"].as_u64().unwrap();
    let position = ml.type_index("Position");

    // Full speed along x into the wall at 300 (two ticks), slowly along y
    // toward the far side (a hundred ticks or more): x pins at a whole
    // number while y keeps changing.
    // The game places the new player at the next tick. The first p after
    // joined carries the ack.
    let mut first = true;
    while !ml.entities[&ml.you].contains_key(&position) {
        let m = lean.recv().await;
        ml.apply(&m);
        if m["t"] == "p" && std::mem::take(&mut first) {
            assert!(m.get("a").is_some(), "the first p after joined carries the ack: {m}");
        }
    }
    let y = ml.entities[&ml.you][&position][1].as_f64().unwrap();
    let dy = if y < 150.0 { 0.01 } else { -0.01 };
    let seq = lean.input(json!({"dx": 1.0, "dy": dy})).await;
    let (mut with_ack, mut since_ack, mut whole_x, mut only_y) = (Vec::new(), 0, false, 0);
    while since_ack < 10 || !whole_x || only_y < 10 {
        let m = lean.recv().await;
        ml.apply(&m);
        if m["t"] != "p" {
            continue;
        }
        assert!(m.get("k").is_none(), "a lean p has no tick: {m}");
        if std::mem::take(&mut first) {
            assert!(m.get("a").is_some(), "the first p after joined carries the ack: {m}");
        }
        match m.get("a") {
            Some(a) => {
                with_ack.push(a.as_u64().unwrap());
                since_ack = 0;
            }
            None => since_ack += 1,
        }
        let c = m["c"].as_array().cloned().unwrap_or_default();
        let mut i = 0;
        while i + 1 < c.len() {
            let (ty, n) = (c[i].as_u64().unwrap(), c[i + 1].as_u64().unwrap() as usize);
            let width = ml.schema[ty as usize][1].as_array().map_or(1, Vec::len);
            i += 2;
            for _ in 0..n {
                if let Some(negated) = c[i].as_i64().filter(|v| *v < 0) {
                    // Changed fields only: id negated minus one, a mask.
                    let mask = c[i + 1].as_u64().unwrap();
                    if ty == position && negated == -(ml.you as i64) - 1 {
                        assert_eq!(mask, 0b10, "only y changes once x is pinned: {m}");
                        only_y += 1;
                    }
                    i += 2 + mask.count_ones() as usize;
                    continue;
                }
                // Sent whole: once pinned, x travels as the integer 300.
                if ty == position && c[i] == ml.you && c[i + 1].is_u64() {
                    assert_eq!(c[i + 1], 300, "{m}");
                    whole_x = true;
                }
                i += 1 + width;
            }
        }
    }
    // The first p after joined carries the ack, then only its change.
    assert_eq!(with_ack.last(), Some(&(seq as u64)));
    assert!(
        with_ack.windows(2).all(|w| w[0] != w[1]),
        "a repeated ack: {with_ack:?}"
    );

    // The plain client's mirror, at the same tick, holds the same state:
    // the derived ticks are the server's, 300 is 300.0, and the fields not
    // sent are the ones the client had.
    read_to(&mut plain, &mut mp, ml.tick).await;
    read_to(&mut lean, &mut ml, mp.tick).await;
    assert_eq!(ml.tick, mp.tick);
    let as_floats = |m: &Mirror| numbers_as_floats(&json!(m.entities));
    assert_eq!(as_floats(&ml), as_floats(&mp), "at tick {}", ml.tick);
    assert_eq!(
        numbers_as_floats(&json!(ml.resources)),
        numbers_as_floats(&json!(mp.resources))
    );
    let x = mp.entities[&ml.you][&position][0].clone();
    assert!(x.is_f64() && x == 300.0, "the plain client gets the float: {x}");
}
