//! Dropped connections: the seat is held for the game's grace period, a
//! `hello` with the session takes it back with its score, and after the
//! grace the seat is gone.

mod common;

use common::{Client, Mirror, TestServer};
use serde_json::{json, Value};

/// A small arena crowded with orbs, so steering scores within a few ticks.
fn arena(grace_secs: u32) -> String {
    format!(
        r#"
name = "arena"
min_players = 1
max_players = 8
tick_rate = 20
match_seconds = 600
continuous = true
reconnect_grace_secs = {grace_secs}
[settings]
field = 100.0
orbs = 200
reach = 30.0
"#
    )
}

/// Ada (steering) and Bob (watching) in one private arena room; its code
/// and invite.
async fn pair(server: &TestServer) -> (Client, Value, Mirror, Client, Mirror, String, String) {
    let (mut ada, welcome) = Client::guest(&server.ws_url(), "Ada").await;
    ada.send(json!({"t": "create", "game": "arena", "private": true})).await;
    let mut ma = Mirror::default();
    let joined = ada.expect_mirrored(&mut ma, "joined").await;
    let (mut bob, _) = Client::guest(&server.ws_url(), "Bob").await;
    bob.send(json!({"t": "join", "room": joined["invite"]})).await;
    let mut mb = Mirror::default();
    bob.expect_mirrored(&mut mb, "joined").await;
    (
        ada,
        welcome,
        ma,
        bob,
        mb,
        joined["room"].as_str().unwrap().to_owned(),
        joined["invite"].as_str().unwrap().to_owned(),
    )
}

/// Ada's Player value [id, name, slot, online] as Bob sees it, if seated.
fn player_of(mirror: &Mirror, entity: u64) -> Option<Value> {
    mirror
        .with("Player")
        .into_iter()
        .find(|(e, _)| *e == entity)
        .map(|(_, p)| p)
}

fn score_of(mirror: &Mirror, entity: u64) -> u64 {
    let ty = mirror.type_index("Score");
    mirror.entities[&entity][&ty].as_u64().unwrap()
}

/// Bob reads patches until `done` holds for his mirror.
async fn watch_until(bob: &mut Client, mb: &mut Mirror, done: impl Fn(&Mirror) -> bool) {
    while !done(mb) {
        bob.expect_mirrored(mb, "patch").await;
    }
}

#[tokio::test]
async fn a_dropped_player_resumes_with_seat_and_score() {
    let server = TestServer::with_manifests(&[("arena", &arena(60))]).await;
    let (mut ada, welcome, ma, mut bob, mut mb, code, _) = pair(&server).await;
    let you = ma.you;
    ada.input(json!({"dx": 1.0, "dy": 0.3})).await;
    watch_until(&mut bob, &mut mb, |m| score_of(m, you) > 0).await;

    drop(ada); // the socket is cut, no `leave`
    watch_until(&mut bob, &mut mb, |m| player_of(m, you).is_some_and(|p| p[3] == false)).await;
    let score_before = score_of(&mb, you);
    let slot_before = player_of(&mb, you).unwrap()[2].clone();

    let token = welcome["session"].as_str().unwrap();
    let mut back = Client::hello(&server.ws_url(), json!({"session": token})).await;
    let resumed = back.expect("welcome").await;
    assert_eq!(resumed["player"], welcome["player"]);
    assert_eq!(resumed["room"], code.as_str());
    let mut mirror = Mirror::default();
    let joined = back.expect_mirrored(&mut mirror, "joined").await;
    assert_eq!(joined["room"], code.as_str());
    assert_eq!(mirror.you, you, "the same seat's entity");
    assert_eq!(player_of(&mirror, you).unwrap()[2], slot_before);
    // Offline players stop moving in arena, so nothing was collected
    // while away.
    assert_eq!(score_of(&mirror, you), score_before);

    watch_until(&mut bob, &mut mb, |m| player_of(m, you).is_some_and(|p| p[3] == true)).await;
    // And the resumed player plays on: an input is acknowledged.
    let seq = back.input(json!({"dx": 0.0, "dy": 1.0})).await;
    loop {
        let patch = back.expect_mirrored(&mut mirror, "patch").await;
        if patch["ack"] == seq {
            break;
        }
    }
}

#[tokio::test]
async fn after_the_grace_the_seat_is_gone() {
    let server = TestServer::with_manifests(&[("arena", &arena(1))]).await;
    let (ada, welcome, ma, mut bob, mut mb, _, invite) = pair(&server).await;
    let you = ma.you;
    drop(ada);
    // Bob sees Ada go offline, then her entity despawned.
    watch_until(&mut bob, &mut mb, |m| player_of(m, you).is_none()).await;

    let token = welcome["session"].as_str().unwrap();
    let mut back = Client::hello(&server.ws_url(), json!({"session": token})).await;
    let resumed = back.expect("welcome").await;
    assert_eq!(resumed["room"], Value::Null);
    // Joining again is a new seat: a new entity, whose score (a component
    // of it) starts over.
    back.send(json!({"t": "join", "room": invite})).await;
    let mut mirror = Mirror::default();
    back.expect_mirrored(&mut mirror, "joined").await;
    assert_ne!(mirror.you, you);
    assert!(!mirror.entities.contains_key(&you));
}

#[tokio::test]
async fn a_turn_based_room_releases_the_seat_on_time_and_the_other_player_wins() {
    let tictactoe = "name = \"tictactoe\"\nmin_players = 2\nmax_players = 2\nreconnect_grace_secs = 1\n";
    let server = TestServer::with_manifests(&[("tictactoe", tictactoe)]).await;
    let (mut ada, _) = Client::guest(&server.ws_url(), "Ada").await;
    ada.send(json!({"t": "create", "game": "tictactoe", "private": true}))
        .await;
    let code = ada.expect("joined").await["invite"].clone();
    let (mut bob, _) = Client::guest(&server.ws_url(), "Bob").await;
    bob.send(json!({"t": "join", "room": code})).await;
    bob.expect("joined").await;
    drop(ada);
    // Nothing else happens in the room: only the grace timer can end it.
    let result = bob.expect("result").await;
    assert_eq!(result["ranking"][0]["name"], "Bob");
    assert_eq!(result["ranking"][0]["rank"], 1);
}

#[tokio::test]
async fn leave_gives_up_the_seat_at_once() {
    let server = TestServer::with_manifests(&[("arena", &arena(60))]).await;
    let (mut ada, welcome, ma, mut bob, mut mb, _, _) = pair(&server).await;
    ada.send(json!({"t": "leave"})).await;
    ada.expect("left").await;
    watch_until(&mut bob, &mut mb, |m| player_of(m, ma.you).is_none()).await;
    drop(ada);
    let token = welcome["session"].as_str().unwrap();
    let mut back = Client::hello(&server.ws_url(), json!({"session": token})).await;
    assert_eq!(back.expect("welcome").await["room"], Value::Null);
}
