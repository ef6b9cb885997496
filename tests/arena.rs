//! Arena over real websockets: a short round with eight players, and a
//! player joining mid-match.

mod common;

use std::collections::BTreeMap;

use common::{get_json, Client, Mirror, TestServer};
use serde_json::json;

/// The bundled arena manifest with two-second rounds.
const SHORT_ROUNDS: &str = r#"
name = "arena"
title = "Orb Arena (test)"
min_players = 1
max_players = 8
tick_rate = 20
match_seconds = 2
continuous = true
record = true

[settings]
field = 200.0
speed = 200.0
orbs = 30
reach = 20.0
"#;

#[tokio::test]
async fn eight_players_play_a_round_and_all_get_the_same_ranking() {
    let server = TestServer::with_manifests(&[("arena", SHORT_ROUNDS)]).await;
    let mut clients = Vec::new();
    let mut code = None;
    for i in 0..8 {
        let (mut c, _) = Client::guest(&server.ws_url(), &format!("P{i}")).await;
        c.send(json!({"t": "quick", "game": "arena"})).await;
        let joined = c.expect("joined").await;
        // Quick match fills the open room before opening another.
        let room = joined["room"].as_str().unwrap().to_owned();
        assert_eq!(code.get_or_insert(room.clone()), &room);
        clients.push(c);
    }
    // A ninth player does not fit and gets a room of their own.
    let (mut ninth, _) = Client::guest(&server.ws_url(), "P8").await;
    ninth.send(json!({"t": "quick", "game": "arena"})).await;
    assert_ne!(ninth.expect("joined").await["room"].as_str(), code.as_deref());

    // Everyone steers in a different direction, acks come back.
    for (i, c) in clients.iter_mut().enumerate() {
        let angle = i as f32 * std::f32::consts::TAU / 8.0;
        let seq = c.input(json!({"dx": angle.cos(), "dy": angle.sin()})).await;
        loop {
            let patch = c.expect("patch").await;
            if patch["ack"].as_u64() == Some(seq as u64) {
                break;
            }
        }
    }

    let mut results = Vec::new();
    for c in &mut clients {
        results.push(c.expect("result").await);
    }
    for r in &results[1..] {
        assert_eq!(r, &results[0], "every player gets the same result");
    }
    let ranking = results[0]["ranking"].as_array().unwrap();
    assert_eq!(ranking.len(), 8);
    let scores: Vec<i64> = ranking.iter().map(|l| l["score"].as_i64().unwrap()).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "ranked by score: {scores:?}");
    assert!(
        scores.iter().sum::<i64>() > 0,
        "players collected orbs on a small field"
    );
    assert_eq!(ranking[0]["rank"], 1);
    common::assert_replays(&server, &results[0]).await;

    let (status, board) = get_json(&server.http("/api/leaderboard/arena")).await;
    assert_eq!(status, 200);
    let best: BTreeMap<String, i64> = board["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["player"].as_str().unwrap().to_owned(), e["best"].as_i64().unwrap()))
        .collect();
    for line in ranking {
        assert_eq!(
            best.get(line["player"].as_str().unwrap()),
            line["score"].as_i64().as_ref()
        );
    }

    // The room goes on with round 2 and scores start again from zero.
    let mut mirror = Mirror::default();
    clients[0].send(json!({"t": "join", "room": code.unwrap()})).await;
    clients[0].expect_mirrored(&mut mirror, "joined").await;
    assert_eq!(mirror.resource("Round")[0], 2);
}

#[tokio::test]
async fn a_player_joining_mid_match_sees_what_the_others_see() {
    let server = TestServer::start().await;
    let (mut first, _) = Client::guest(&server.ws_url(), "First").await;
    first.send(json!({"t": "quick", "game": "arena"})).await;
    let mut seen = Mirror::default();
    let joined = first.expect_mirrored(&mut seen, "joined").await;
    let code = joined["room"].as_str().unwrap().to_owned();
    assert_eq!(seen.with("Orb").len(), 30);
    first.input(json!({"dx": 1.0, "dy": 0.3})).await;
    // Let the match run for a few ticks with the first player moving.
    while seen.tick < 10 {
        first.expect_mirrored(&mut seen, "patch").await;
    }

    let (mut late, _) = Client::guest(&server.ws_url(), "Late").await;
    late.send(json!({"t": "join", "room": code})).await;
    let mut theirs = Mirror::default();
    late.expect_mirrored(&mut theirs, "joined").await;
    assert!(theirs.tick >= 10);
    // From the next patch both mirrors hold the same state, tick by tick.
    late.expect_mirrored(&mut theirs, "patch").await;
    while seen.tick < theirs.tick {
        first.expect_mirrored(&mut seen, "patch").await;
    }
    assert_eq!(seen.tick, theirs.tick);
    assert_eq!(seen.entities, theirs.entities);
    assert_eq!(seen.resources, theirs.resources);
    // The late player has a position and a score like everyone else.
    let you = theirs.you;
    let position = theirs.type_index("Position");
    assert!(
        theirs.entities[&you].contains_key(&position),
        "{:?}",
        theirs.entities[&you]
    );
    // And the room lists two players.
    let (_, rooms) = get_json(&server.http("/api/rooms")).await;
    assert_eq!(rooms[0]["code"], code);
    assert_eq!(rooms[0]["players"], 2);
}
