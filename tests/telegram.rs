//! Telegram sign-in and chat rooms over real websockets: initData checked
//! by a server configured with a bot token, each refusal with its code and
//! a closed socket, and the people of one chat put in one room.

mod common;

use common::telegram::{launch, sign, BOT_TOKEN};
use common::{Client, Closed, TestServer};
use parlor::config::Config;
use serde_json::{json, Value};

async fn telegram_server() -> TestServer {
    TestServer::start_with(
        |c: &mut Config| {
            c.telegram.bot_token = Some(BOT_TOKEN.into());
            // As `parlor serve` resolves it with a bot token and no flag.
            c.allow_guests = false;
        },
        None,
    )
    .await
}

/// Says hello with signed initData; returns the client and `welcome`.
async fn sign_in(server: &TestServer, id: u64, name: &str, chat: Option<&str>) -> (Client, Value) {
    let init_data = sign(BOT_TOKEN, &launch(id, name, chat));
    let mut client = Client::hello(&server.ws_url(), json!({"init_data": init_data})).await;
    let welcome = client.expect("welcome").await;
    (client, welcome)
}

/// Ada (tg:1) and Bob (tg:2) of `chat` meet in its tic-tac-toe room and
/// Bob leaves the started game: Ada's `result`.
async fn chat_forfeit(server: &TestServer, chat: &str) -> Value {
    let (mut ada, _) = sign_in(server, 1, "Ada", Some(chat)).await;
    let (mut bob, _) = sign_in(server, 2, "Bob", Some(chat)).await;
    ada.send(json!({"t": "chat", "game": "tictactoe"})).await;
    ada.expect("joined").await;
    bob.send(json!({"t": "chat", "game": "tictactoe"})).await;
    bob.expect("joined").await;
    bob.send(json!({"t": "leave"})).await;
    ada.expect("result").await
}

/// The `error` a refused hello gets, after which the socket must close 1008.
async fn refused(server: &TestServer, hello: Value) -> Value {
    let mut client = Client::hello(&server.ws_url(), hello).await;
    let error = client.recv().await;
    assert_eq!(error["t"], "error", "{error}");
    assert_eq!(client.closed().await, Closed::Code(1008));
    let message = error["message"].as_str().unwrap();
    assert!(!message.contains(BOT_TOKEN) && !message.contains("AAHI25"), "{message}");
    error
}

#[tokio::test]
async fn signed_init_data_names_the_telegram_user() {
    let server = telegram_server().await;
    let (_client, welcome) = sign_in(&server, 279058397, "Vladislav", None).await;
    assert_eq!(welcome["player"]["id"], "tg:279058397");
    assert_eq!(welcome["player"]["name"], "Vladislav");
    assert!(welcome["session"].as_str().unwrap().len() > 20);
    assert_eq!(welcome["room"], Value::Null);
}

#[tokio::test]
async fn every_bad_sign_in_gets_its_code_and_a_closed_socket() {
    let server = telegram_server().await;
    let good = launch(42, "Ada", Some("-100200"));

    let wrong_token = sign("1234567:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", &good);
    assert_eq!(
        refused(&server, json!({"init_data": wrong_token})).await["code"],
        "auth_failed"
    );

    // The same signature over a different user: a forged `user`.
    let signed = sign(BOT_TOKEN, &good);
    let forged = signed.replace("Ada", "Eve");
    assert_ne!(forged, signed);
    assert_eq!(
        refused(&server, json!({"init_data": forged})).await["code"],
        "auth_failed"
    );

    let mut missing = good.clone();
    missing.retain(|(k, _)| *k != "user");
    let error = refused(&server, json!({"init_data": sign(BOT_TOKEN, &missing)})).await;
    assert_eq!(error["code"], "auth_failed");
    assert!(error["message"].as_str().unwrap().contains("user"), "{error}");

    let duplicated = format!("{}&auth_date=1", sign(BOT_TOKEN, &good));
    let error = refused(&server, json!({"init_data": duplicated})).await;
    assert_eq!(error["code"], "auth_failed");
    assert!(error["message"].as_str().unwrap().contains("auth_date"), "{error}");

    assert_eq!(
        refused(&server, json!({"init_data": "%%%not a query"})).await["code"],
        "auth_failed"
    );

    let mut old = good.clone();
    old[0].1 = "1000000000".into(); // 2001
    assert_eq!(
        refused(&server, json!({"init_data": sign(BOT_TOKEN, &old)})).await["code"],
        "auth_expired"
    );

    assert_eq!(
        refused(&server, json!({"guest": "Mallory"})).await["code"],
        "guest_disabled"
    );

    // A session token signed by another server's key.
    let other = TestServer::start().await;
    let (_c, welcome) = Client::guest(&other.ws_url(), "Ada").await;
    let foreign = welcome["session"].as_str().unwrap();
    assert_eq!(
        refused(&server, json!({"session": foreign})).await["code"],
        "auth_failed"
    );

    // Tampered: one character of the signature part changed.
    let (_c, welcome) = sign_in(&server, 7, "Bob", None).await;
    let mut token = welcome["session"].as_str().unwrap().to_owned();
    let last = token.pop().unwrap();
    token.push(if last == 'A' { 'B' } else { 'A' });
    assert_eq!(refused(&server, json!({"session": token})).await["code"], "auth_failed");
}

#[tokio::test]
async fn a_session_token_signs_the_player_back_in() {
    let server = telegram_server().await;
    let (client, welcome) = sign_in(&server, 99, "Grace", Some("chat-1")).await;
    drop(client);
    let token = welcome["session"].as_str().unwrap();
    let mut again = Client::hello(&server.ws_url(), json!({"session": token})).await;
    let resumed = again.expect("welcome").await;
    assert_eq!(resumed["player"], welcome["player"]);
    // The chat comes back with the session: `chat` still works.
    again.send(json!({"t": "chat", "game": "tictactoe"})).await;
    again.expect("joined").await;
}

#[tokio::test]
async fn players_of_one_chat_share_its_room_and_other_chats_do_not() {
    let server = telegram_server().await;
    let (mut ada, _) = sign_in(&server, 1, "Ada", Some("8428209589180549439")).await;
    let (mut bob, _) = sign_in(&server, 2, "Bob", Some("8428209589180549439")).await;
    let (mut eve, _) = sign_in(&server, 3, "Eve", Some("-6278196328460817085")).await;
    ada.send(json!({"t": "chat", "game": "tictactoe"})).await;
    let room = ada.expect("joined").await["room"].clone();
    bob.send(json!({"t": "chat", "game": "tictactoe"})).await;
    assert_eq!(bob.expect("joined").await["room"], room);
    eve.send(json!({"t": "chat", "game": "tictactoe"})).await;
    assert_ne!(eve.expect("joined").await["room"], room);

    // Chat rooms are private: a quick match never lands in one.
    let (_, rooms) = common::get_json(&server.http("/api/rooms")).await;
    assert_eq!(rooms.as_array().unwrap().len(), 0, "{rooms}");

    // Unknown game.
    ada.send(json!({"t": "chat", "game": "chess"})).await;
    let error = loop {
        let m = ada.recv().await;
        if m["t"] == "error" {
            break m;
        }
    };
    assert_eq!(error["code"], "no_such_game");
}

#[tokio::test]
async fn chat_without_a_chat_is_refused_clearly() {
    let server = TestServer::start().await;
    let (mut guest, _) = Client::guest(&server.ws_url(), "Ada").await;
    guest.send(json!({"t": "chat", "game": "tictactoe"})).await;
    let error = guest.recv().await;
    assert_eq!(error["code"], "no_such_room");
    assert!(error["message"].as_str().unwrap().contains("chat_instance"), "{error}");

    let (_, welcome) = sign_in_without_telegram(&server).await;
    assert_eq!(welcome["code"], "auth_failed");
}

/// initData sent to a server with no bot configured.
async fn sign_in_without_telegram(server: &TestServer) -> (Client, Value) {
    let init_data = sign(BOT_TOKEN, &launch(5, "Ada", None));
    let mut client = Client::hello(&server.ws_url(), json!({"init_data": init_data})).await;
    let reply = client.recv().await;
    (client, reply)
}

/// A match in a chat's room is recorded with the chat, inside the signed
/// record: what that chat's leaderboard reads.
#[tokio::test]
async fn a_chat_rooms_match_is_recorded_with_its_chat() {
    let server = telegram_server().await;
    let chat = "8428209589180549439";
    let result = chat_forfeit(&server, chat).await;
    let id = result["match"].as_str().unwrap();
    let (status, signed) = common::get_json(&server.http(&format!("/api/matches/{id}"))).await;
    assert_eq!(status, 200, "{signed}");
    let record: Value = serde_json::from_str(signed["record"].as_str().unwrap()).unwrap();
    assert_eq!(record["chat"], chat);
    assert_eq!(record["players"][0]["id"], "tg:1");
}

/// A game with `[rewards]`: a Telegram player's win is a claim, readable
/// at `/api/players/{id}/claims`; the loser's rank is not paid.
#[tokio::test]
async fn a_win_in_a_game_with_rewards_is_a_claim() {
    let manifest = "name = \"tictactoe\"\nmin_players = 2\nmax_players = 2\n\
                    [rewards]\nby_rank = [1000000]\nmin_match_secs = 0\n";
    let server = TestServer::with(&[("tictactoe", manifest)], |c: &mut Config| {
        c.telegram.bot_token = Some(BOT_TOKEN.into());
        c.allow_guests = false;
    })
    .await;
    let chat = "-6278196328460817085";
    let result = chat_forfeit(&server, chat).await;
    let (status, claims) = common::get_json(&server.http("/api/players/tg:1/claims")).await;
    assert_eq!(status, 200, "{claims}");
    assert_eq!(claims["claims"].as_array().unwrap().len(), 1, "{claims}");
    let claim = &claims["claims"][0];
    assert_eq!(
        (&claim["match"], &claim["amount"], &claim["currency"], &claim["status"]),
        (&result["match"], &json!(1_000_000), &json!("ton"), &json!("open"))
    );
    let (_, none) = common::get_json(&server.http("/api/players/tg:2/claims")).await;
    assert_eq!(none["claims"], json!([]));
}

/// A `[rewards]` table that does not parse or check stops the start with
/// the file and the key named.
#[test]
fn a_bad_rewards_table_is_refused_with_the_file_and_key() {
    let base = "name = \"arena\"\nmin_players = 1\nmax_players = 8\n[rewards]\n";
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("arena.toml");
    for (table, expected) in [
        ("by_rank = [1]\nbonus = 3\n", "bonus"),
        ("by_rank = []\n", "by_rank"),
        ("by_rank = [-5]\n", "by_rank"),
        ("by_rank = [1]\njetton = \"not an address\"\n", "jetton"),
        ("by_rank = [1]\nmin_players = 0\n", "min_players"),
    ] {
        std::fs::write(&file, format!("{base}{table}")).unwrap();
        let error = parlor::manifest::Manifest::load(&file)
            .err()
            .unwrap_or_else(|| panic!("{table} is refused"))
            .to_string();
        assert!(
            error.contains("arena.toml") && error.contains(expected),
            "{table}: {error}"
        );
    }
}
