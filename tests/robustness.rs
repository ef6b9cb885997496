//! Bad input and failing games: clear errors, closed sockets where the
//! protocol says so, and no harm to other rooms.

mod common;

use bevy_ecs::prelude::*;
use common::{get_json, Client, Closed, Mirror, TestServer};
use parlor::catalog::ManifestSource;
use parlor::game::Inputs;
use parlor::manifest::Manifest;
use parlor::simulation::{Game, RoomBuilder};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

/// An arena player whose patches show the server is still ticking.
async fn watcher(server: &TestServer) -> (Client, Mirror) {
    let (mut c, _) = Client::guest(&server.ws_url(), "Watcher").await;
    c.send(json!({"t": "quick", "game": "arena"})).await;
    let mut m = Mirror::default();
    c.expect_mirrored(&mut m, "joined").await;
    (c, m)
}

/// Reads a few more patches and checks the ticks go on.
async fn still_ticking(c: &mut Client, m: &mut Mirror) {
    let before = m.tick;
    for _ in 0..3 {
        c.expect_mirrored(m, "patch").await;
    }
    assert!(m.tick >= before + 3, "the room kept ticking: {before} -> {}", m.tick);
}

#[tokio::test]
async fn undecodable_and_misplaced_messages_get_errors() {
    let server = TestServer::start().await;
    let (mut w, mut wm) = watcher(&server).await;

    let mut c = Client::connect(&server.ws_url()).await;
    c.send_raw(Message::Binary(vec![0xc1, 0x00, 0xff].into())).await;
    assert_eq!(c.expect("error").await["code"], "bad_message");
    c.send(json!({"t": "quick", "game": "arena"})).await;
    let e = c.expect("error").await;
    assert_eq!(
        (e["code"].as_str(), e["message"].as_str()),
        (Some("bad_message"), Some("the first message must be hello"))
    );
    c.send(json!({"t": "hello", "v": 1, "guest": ""})).await;
    assert_eq!(c.expect("error").await["code"], "bad_message");
    c.send(json!({"t": "hello", "v": 1, "guest": "Eve"})).await;
    let welcome = c.expect("welcome").await;
    assert_eq!(welcome["player"]["name"], "Eve");
    assert!(welcome["player"]["id"].as_str().unwrap().starts_with("guest:"));

    c.send(json!({"t": "input", "seq": 1, "d": {"dx": 1, "dy": 0}})).await;
    assert_eq!(c.expect("error").await["code"], "not_in_room");
    c.send(json!({"t": "leave"})).await;
    assert_eq!(c.expect("error").await["code"], "not_in_room");
    c.send(json!({"t": "quick", "game": "chess"})).await;
    assert_eq!(c.expect("error").await["code"], "no_such_game");
    c.send(json!({"t": "join", "room": "nope"})).await;
    assert_eq!(c.expect("error").await["code"], "no_such_room");
    c.send(json!({"t": "join", "room": "ZZZZZZ"})).await;
    assert_eq!(c.expect("error").await["code"], "no_such_room");
    // A guest has no chat.
    c.send(json!({"t": "chat", "game": "arena"})).await;
    assert_eq!(c.expect("error").await["code"], "no_such_room");
    c.send(json!({"t": "fly"})).await;
    assert_eq!(c.expect("error").await["code"], "bad_message");
    c.send(json!({"t": "ping", "n": 42})).await;
    assert_eq!(c.expect("pong").await["n"], 42);

    still_ticking(&mut w, &mut wm).await;
}

#[tokio::test]
async fn hello_with_another_version_or_no_identity_is_refused() {
    let server = TestServer::start().await;
    let mut c = Client::connect(&server.ws_url()).await;
    c.send(json!({"t": "hello", "v": 1})).await;
    assert_eq!(c.expect("error").await["code"], "bad_message");
    c.send(json!({"t": "hello", "v": 1, "guest": "Two", "session": "x"}))
        .await;
    assert_eq!(c.expect("error").await["code"], "bad_message");
    c.send(json!({"t": "hello", "v": 2, "guest": "Future"})).await;
    assert_eq!(c.expect("error").await["code"], "version");
    assert_eq!(c.closed().await, Closed::Code(1008));
}

#[tokio::test]
async fn text_frames_close_with_1003() {
    let server = TestServer::start().await;
    let (mut c, _) = Client::guest(&server.ws_url(), "Texter").await;
    c.send_raw(Message::Text("{\"t\":\"ping\",\"n\":1}".into())).await;
    assert_eq!(c.closed().await, Closed::Code(1003));
}

#[tokio::test]
async fn oversize_frames_close_with_1009() {
    let server = TestServer::start().await;
    let (mut w, mut wm) = watcher(&server).await;
    let (mut c, _) = Client::guest(&server.ws_url(), "Big").await;
    c.send_raw(Message::Binary(vec![0x90; 16 * 1024 + 1].into())).await;
    assert_eq!(c.closed().await, Closed::Code(1009));
    still_ticking(&mut w, &mut wm).await;
}

#[tokio::test]
async fn repeated_bad_messages_close_with_1008() {
    let server = TestServer::start().await;
    let (mut c, _) = Client::guest(&server.ws_url(), "Noisy").await;
    for _ in 0..20 {
        if c.conn.send_frame(vec![0xc1]).await.is_err() {
            break;
        }
    }
    assert_eq!(c.closed().await, Closed::Code(1008));
}

#[tokio::test]
async fn a_silent_connection_is_closed_at_the_hello_deadline() {
    let server = TestServer::start_with(|c| c.limits.hello_timeout_secs = 1, None).await;
    let mut c = Client::connect(&server.ws_url()).await;
    assert_eq!(c.closed().await, Closed::Code(1008));
}

/// A game whose system panics on input 13.
struct Boom;

impl Game for Boom {
    type Input = u32;
    type Settings = parlor::simulation::NoSettings;
    const NAME: &'static str = "boom";
    fn build(room: &mut RoomBuilder) {
        room.add_systems(explode);
    }
}

fn explode(inputs: Res<Inputs<u32>>) {
    if inputs.iter().any(|i| i.data == 13) {
        panic!("boom: the game's own bug");
    }
}

#[tokio::test]
async fn a_panicking_game_ends_its_room_and_nothing_else() {
    let mut catalog = parlor_games::bundled(&ManifestSource::Bundled).unwrap();
    let manifest = Manifest::parse("name = \"boom\"\nmin_players = 1\nmax_players = 4\n").unwrap();
    catalog.add::<Boom>(manifest).unwrap();
    let server = TestServer::start_with(|_| {}, Some(catalog)).await;
    let (mut w, mut wm) = watcher(&server).await;

    let (mut a, _) = Client::guest(&server.ws_url(), "Unlucky").await;
    a.send(json!({"t": "create", "game": "boom"})).await;
    a.expect("joined").await;
    a.input(json!(1)).await;
    a.expect("patch").await;
    a.input(json!(13)).await;
    assert_eq!(a.expect("left").await["reason"], "error");

    still_ticking(&mut w, &mut wm).await;
    // The player and the server go on: a new room of the same game works.
    a.send(json!({"t": "create", "game": "boom"})).await;
    a.expect("joined").await;
    let seq = a.input(json!(2)).await;
    while a.expect("patch").await["ack"] != seq {}
    // Nothing was recorded for the failed room.
    let (status, board) = get_json(&server.http("/api/leaderboard/boom")).await;
    assert_eq!((status, board["entries"].clone()), (200, json!([])));
}

/// Decoding is strict: a top-level array, `t` as a number, or a second value
/// after the message is `bad_message`, and changes nothing.
#[tokio::test]
async fn lenient_encodings_are_bad_messages() {
    let server = TestServer::start().await;
    let mut c = Client::connect(&server.ws_url()).await;
    let as_array = rmp_serde::to_vec(&("hello", 1, "Eve")).unwrap();
    let numeric_t = rmp_serde::to_vec_named(&json!({"t": 0, "v": 1, "guest": "Eve"})).unwrap();
    let mut trailing = rmp_serde::to_vec_named(&json!({"t": "hello", "v": 1, "guest": "Eve"})).unwrap();
    trailing.extend(rmp_serde::to_vec_named(&json!({"t": "ping", "n": 1})).unwrap());
    for frame in [as_array, numeric_t, trailing] {
        c.send_raw(Message::Binary(frame.into())).await;
        let error = c.expect("error").await;
        assert_eq!(error["code"], "bad_message", "{error}");
    }
    // None of them signed in: the first message must still be hello.
    c.send(json!({"t": "ping", "n": 1})).await;
    assert_eq!(c.expect("error").await["message"], "the first message must be hello");
    c.send(json!({"t": "hello", "v": 1, "guest": "Eve"})).await;
    c.expect("welcome").await;
}

/// Names are normalised: invisible and reordering characters go, NFC, white
/// space collapsed; a name that shows nothing is refused.
#[tokio::test]
async fn guest_names_are_normalised_and_invisible_ones_refused() {
    let server = TestServer::start().await;
    let (_c, welcome) = Client::guest(&server.ws_url(), " E\u{200b}ve\u{202e}  Cafe\u{301}\u{feff} ").await;
    assert_eq!(welcome["player"]["name"], "Eve Caf\u{e9}");
    let mut blank = Client::connect(&server.ws_url()).await;
    blank
        .send(json!({"t": "hello", "v": 1, "guest": "\u{3164}\u{200b}\u{2800}"}))
        .await;
    let error = blank.expect("error").await;
    assert_eq!(error["code"], "bad_message", "{error}");
}

/// `/ws` answers what is not a websocket upgrade with a status and a reason,
/// and takes a client's first frame even when it came in the same packet as
/// the upgrade request (the server reads it from what HTTP read ahead).
#[tokio::test]
async fn the_websocket_upgrade_refuses_plain_requests_and_keeps_early_bytes() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
    use tokio_tungstenite::tungstenite::protocol::frame::Frame;
    use tokio_tungstenite::tungstenite::protocol::Role;

    let server = TestServer::start().await;
    let url = server.http("/ws");
    let (status, body) = common::http_get(&url).await;
    assert_eq!(status, 426, "{body}");
    assert!(body.contains("websocket"), "{body}");
    let upgrade = [
        "Connection: Upgrade",
        "Upgrade: websocket",
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
    ];
    let (status, _, body) = common::http_get_with(&url, &[&upgrade[..], &["Sec-WebSocket-Version: 8"]].concat()).await;
    assert_eq!((status, body.trim()), (400, "sec-websocket-version must be 13"));

    // The upgrade request and a masked `hello` frame in one write.
    let hello = rmp_serde::to_vec_named(&json!({"t": "hello", "v": 1, "guest": "Early"})).unwrap();
    let mut frame = Frame::message(hello, OpCode::Data(Data::Binary), true);
    frame.header_mut().mask = Some([1, 2, 3, 4]);
    let addr = server.server.addr();
    let mut bytes = format!(
        "GET /ws HTTP/1.1\r\nHost: {addr}\r\n{}\r\nSec-WebSocket-Version: 13\r\n\r\n",
        upgrade.join("\r\n")
    )
    .into_bytes();
    frame.format(&mut bytes).unwrap();
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(&bytes).await.unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        head.push(stream.read_u8().await.unwrap());
    }
    let head = String::from_utf8(head).unwrap().to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 101"), "{head}");
    // RFC 6455's own example key and accept value.
    assert!(
        head.contains("sec-websocket-accept: s3pplmbitxaq9kygzzhzrbk+xoo="),
        "{head}"
    );
    let ws = tokio_tungstenite::WebSocketStream::from_raw_socket(
        tokio_tungstenite::MaybeTlsStream::Plain(stream),
        Role::Client,
        None,
    )
    .await;
    let mut client = Client {
        conn: parlor::client::Client::from_socket(ws),
        seq: 0,
    };
    assert_eq!(client.expect("welcome").await["player"]["name"], "Early");
}
