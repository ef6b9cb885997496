//! Spectators (`watch`) and provably fair seeds, over real websockets:
//! watching by code, by invite and for a chat's room; what a spectator is
//! refused; the cap; and the commitment sent before a match against the
//! seed revealed after it.

mod common;

use common::prometheus::metrics_of;
use common::secrets;
use common::telegram::{launch, sign, BOT_TOKEN};
use common::{get_json, Client, TestServer};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

async fn server(extra: &str) -> TestServer {
    TestServer::start_with(
        |c| c.telegram.bot_token = Some(BOT_TOKEN.into()),
        Some(secrets::catalog(extra)),
    )
    .await
}

/// A guest in a new room of "secrets" (`private` or not); returns the
/// client, its `joined`, and the code or invite that joins the room.
async fn host(server: &TestServer, name: &str, private: bool) -> (Client, Value, String) {
    let (mut client, _) = Client::guest(&server.ws_url(), name).await;
    client
        .send(json!({"t": "create", "game": "secrets", "private": private}))
        .await;
    let joined = client.expect("joined").await;
    let code = joined["invite"]
        .as_str()
        .or(joined["room"].as_str())
        .unwrap()
        .to_owned();
    (client, joined, code)
}

/// Sends `message` and returns the reply (the next `joined` or `error`).
async fn ask(client: &mut Client, message: Value) -> Value {
    client.send(message).await;
    loop {
        let m = client.recv().await;
        if m["t"] == "joined" || m["t"] == "error" {
            return m;
        }
    }
}

#[tokio::test]
async fn a_spectator_sees_the_room_and_may_not_play() {
    let server = server("").await;
    let (mut ann, joined, code) = host(&server, "Ann", false).await;
    let (mut cleo, _) = Client::guest(&server.ws_url(), "Cleo").await;
    let watched = ask(&mut cleo, json!({"t": "watch", "room": code, "rid": 7})).await;
    assert_eq!(watched["t"], "joined", "{watched}");
    assert_eq!(watched["room"], joined["room"]);
    assert_eq!(
        (&watched["you"], &watched["watching"], &watched["rid"]),
        (&Value::Null, &json!(true), &json!(7))
    );

    // An input from the spectator is refused, and changes nothing.
    cleo.send(json!({"t": "input", "seq": 1, "d": "end", "rid": 8})).await;
    let refused = cleo.expect("error").await;
    assert_eq!((&refused["code"], &refused["rid"]), (&json!("spectator"), &json!(8)));

    // The spectator follows the match to its result and the room's close,
    // and does not count toward seats: the room reports one player.
    let rooms = get_json(&server.http("/api/rooms")).await.1;
    assert_eq!(rooms[0]["players"], 1, "{rooms}");
    let spectators = |server: &TestServer| metrics_of(server).value("parlor_spectators", &[("game", "secrets")]);
    assert_eq!(spectators(&server), 1.0);
    ann.input(json!("end")).await;
    let result = ann.expect("result").await;
    let seen = cleo.expect("result").await;
    assert_eq!(seen["match"], result["match"]);
    assert_eq!(cleo.expect("left").await["reason"], "finished");
    assert_eq!(spectators(&server), 0.0);
    // The winner is Ann, not the spectator, whose input never arrived.
    assert_eq!(result["ranking"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn watching_a_private_room_needs_its_invite_and_the_cap_holds() {
    let server = server("spectators = 1").await;
    let (_ann, joined, invite) = host(&server, "Ann", true).await;
    let code = joined["room"].as_str().unwrap();
    let (mut cleo, _) = Client::guest(&server.ws_url(), "Cleo").await;

    let refused = ask(&mut cleo, json!({"t": "watch", "room": code})).await;
    assert_eq!(refused["code"], "no_such_room", "{refused}");
    let refused = ask(&mut cleo, json!({"t": "watch"})).await;
    assert_eq!(refused["code"], "bad_message", "{refused}");
    let refused = ask(&mut cleo, json!({"t": "watch", "room": code, "game": "secrets"})).await;
    assert_eq!(refused["code"], "bad_message", "{refused}");
    let watched = ask(&mut cleo, json!({"t": "watch", "room": invite})).await;
    assert_eq!(watched["watching"], true, "{watched}");

    // The manifest takes one spectator: a second is refused, and nothing
    // changes for the first.
    let (mut dan, _) = Client::guest(&server.ws_url(), "Dan").await;
    let refused = ask(&mut dan, json!({"t": "watch", "room": invite})).await;
    assert_eq!(refused["code"], "room_full", "{refused}");
    assert!(refused["message"].as_str().unwrap().contains("spectators"));
    // Seats are still free: Dan joins as a player.
    let seated = ask(&mut dan, json!({"t": "join", "room": invite})).await;
    assert_eq!(seated["t"], "joined");
    assert!(seated["you"].is_u64());
    // Once Cleo leaves, her place is free again.
    cleo.send(json!({"t": "leave"})).await;
    assert_eq!(cleo.expect("left").await["reason"], "leave");
    let (mut eve, _) = Client::guest(&server.ws_url(), "Eve").await;
    assert_eq!(
        ask(&mut eve, json!({"t": "watch", "room": invite})).await["watching"],
        true
    );
}

#[tokio::test]
async fn a_chats_room_is_watched_from_the_chat_only() {
    let server = server("").await;
    let sign_in = |id: u64, name: &'static str, chat: &'static str| {
        let url = server.ws_url();
        async move {
            let init_data = sign(BOT_TOKEN, &launch(id, name, Some(chat)));
            let mut client = Client::hello(&url, json!({"init_data": init_data})).await;
            client.expect("welcome").await;
            client
        }
    };
    let mut ann = sign_in(1, "Ann", "chat-one").await;
    let mut bob = sign_in(2, "Bob", "chat-one").await;
    let mut eve = sign_in(3, "Eve", "chat-two").await;

    // No room yet: watching opens none.
    let refused = ask(&mut bob, json!({"t": "watch", "game": "secrets"})).await;
    assert_eq!(refused["code"], "no_such_room", "{refused}");
    let joined = ask(&mut ann, json!({"t": "chat", "game": "secrets"})).await;
    let watched = ask(&mut bob, json!({"t": "watch", "game": "secrets"})).await;
    assert_eq!(
        (&watched["room"], &watched["watching"]),
        (&joined["room"], &json!(true))
    );
    let refused = ask(&mut eve, json!({"t": "watch", "game": "secrets"})).await;
    assert_eq!(refused["code"], "no_such_room", "another chat's room: {refused}");
    // A guest has no chat.
    let (mut guest, _) = Client::guest(&server.ws_url(), "Gus").await;
    assert_eq!(
        ask(&mut guest, json!({"t": "watch", "game": "secrets"})).await["code"],
        "no_such_room"
    );
}

fn sha256_hex(hex_seed: &str) -> String {
    hex::encode(Sha256::digest(hex::decode(hex_seed).expect("the seed is hex")))
}

/// The commitment every client gets before the match equals SHA-256 of the
/// seed the result reveals, and the signed record carries the seed; a
/// continuous room commits to its next match's new seed after the result.
#[tokio::test]
async fn the_commitment_before_a_match_is_sha256_of_the_seed_after_it() {
    // One match per room.
    let server = server("").await;
    let (mut ann, joined, code) = host(&server, "Ann", false).await;
    let commit = joined["fair"].as_str().unwrap().to_owned();
    assert_eq!(commit.len(), 64);
    let (mut cleo, _) = Client::guest(&server.ws_url(), "Cleo").await;
    assert_eq!(
        ask(&mut cleo, json!({"t": "watch", "room": code})).await["fair"],
        commit.as_str()
    );
    ann.input(json!("end")).await;
    let result = ann.expect("result").await;
    let seed = result["seed"].as_str().unwrap();
    assert_eq!(sha256_hex(seed), commit);
    assert_eq!(cleo.expect("result").await["seed"], seed);
    let (status, signed) = get_json(&server.http(&format!("/api/matches/{}", result["match"].as_str().unwrap()))).await;
    assert_eq!(status, 200);
    let record: Value = serde_json::from_str(signed["record"].as_str().unwrap()).unwrap();
    assert_eq!(record["seed"], seed);

    // Another room draws another seed.
    let (_bob, other, _) = host(&server, "Bob", false).await;
    assert_ne!(other["fair"], joined["fair"]);

    // A continuous room: `fair` with the next seed's commitment follows
    // each result, and the next result reveals that seed.
    let server = server_continuous().await;
    let (mut ann, joined, _) = host(&server, "Ann", false).await;
    let mut commit = joined["fair"].as_str().unwrap().to_owned();
    for _ in 0..2 {
        ann.input(json!("end")).await;
        let result = ann.expect("result").await;
        assert_eq!(sha256_hex(result["seed"].as_str().unwrap()), commit);
        let next = ann.expect("fair").await["commit"].as_str().unwrap().to_owned();
        assert_ne!(next, commit);
        commit = next;
    }
}

async fn server_continuous() -> TestServer {
    server("continuous = true").await
}
