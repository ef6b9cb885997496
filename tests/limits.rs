//! Per-client limits over real sockets: the input rate and connections
//! per address.

mod common;

use common::prometheus::metrics_of;
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

/// A server allowing `limit` connections per address, loopback included
/// (the tests' connections come from 127.0.0.1).
async fn per_address_limit(limit: u32) -> TestServer {
    TestServer::start_with(
        |c| {
            c.limits.connections_per_ip = limit;
            c.limits.limit_loopback = true;
        },
        None,
    )
    .await
}

#[tokio::test]
async fn connections_beyond_the_per_address_limit_are_refused() {
    let server = per_address_limit(3).await;
    let mut open = Vec::new();
    for i in 0..3 {
        open.push(Client::guest(&server.ws_url(), &format!("P{i}")).await);
    }
    match tokio_tungstenite::connect_async(server.ws_url()).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => assert_eq!(response.status(), 429),
        other => panic!("a fourth connection was not refused: {:?}", other.map(|_| ())),
    }
    let metrics = metrics_of(&server);
    assert_eq!(
        metrics.value("parlor_connections_refused_total", &[("limit", "per_address")]),
        1.0
    );
    assert_eq!(metrics.value("parlor_connections", &[]), 3.0);
}

/// Reads until the server closes the connection; panics if it has not
/// within `PATIENCE` (a server without the deadline never closes it).
async fn closed_by_server(stream: &mut tokio::net::TcpStream) -> Vec<u8> {
    use tokio::io::AsyncReadExt;
    let mut seen = Vec::new();
    let read = tokio::time::timeout(common::PATIENCE, stream.read_to_end(&mut seen)).await;
    assert!(read.is_ok(), "the server kept the connection open; it sent {seen:?}");
    seen
}

#[tokio::test]
async fn silent_half_sent_and_idle_http_connections_are_closed_after_the_header_deadline() {
    use tokio::io::AsyncWriteExt;
    let server = TestServer::start_with(|c| c.limits.http_header_timeout_secs = 1, None).await;
    let addr = server.server.addr();
    let mut silent = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut half = tokio::net::TcpStream::connect(addr).await.unwrap();
    half.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n").await.unwrap();
    let mut idle = tokio::net::TcpStream::connect(addr).await.unwrap();
    idle.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();

    assert!(closed_by_server(&mut silent).await.is_empty());
    let half_seen = closed_by_server(&mut half).await;
    assert!(!String::from_utf8_lossy(&half_seen).contains("200 OK"));
    // The keep-alive connection got its answer, then idled out.
    let idle_seen = String::from_utf8_lossy(&closed_by_server(&mut idle).await).to_string();
    assert!(idle_seen.starts_with("HTTP/1.1 200"), "{idle_seen}");
    // Each was counted before its socket closed.
    let metrics = metrics_of(&server);
    assert_eq!(
        metrics.value("parlor_kicks_total", &[("reason", "http_header_timeout")]),
        3.0
    );
}

#[tokio::test]
async fn idle_tcp_connections_count_against_the_address_and_websockets_are_refused_beyond() {
    let server = per_address_limit(3).await;
    let addr = server.server.addr();
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(tokio::net::TcpStream::connect(addr).await.unwrap());
    }
    // A fourth connection is told 429 and closed before any HTTP is read.
    let mut fourth = tokio::net::TcpStream::connect(addr).await.unwrap();
    let refused = String::from_utf8_lossy(&closed_by_server(&mut fourth).await).to_string();
    assert!(refused.starts_with("HTTP/1.1 429"), "{refused}");
    match tokio_tungstenite::connect_async(server.ws_url()).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => assert_eq!(response.status(), 429),
        other => panic!(
            "a websocket past idle HTTP connections was not refused: {:?}",
            other.map(|_| ())
        ),
    }
    // The plain API is refused the same way.
    let mut api = tokio::net::TcpStream::connect(addr).await.unwrap();
    assert!(String::from_utf8_lossy(&closed_by_server(&mut api).await).starts_with("HTTP/1.1 429"));
    let refused = metrics_of(&server).value("parlor_connections_refused_total", &[("limit", "per_address")]);
    assert_eq!(refused, 3.0, "the fourth connection, the websocket and the API request");
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_is_counted_and_others_cannot_claim_an_address() {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let server = TestServer::start_with(
        |c| {
            c.limits.connections_per_ip = 2;
            c.limits.limit_loopback = true;
            c.proxy.trusted = vec![parlor::config::parse_net("127.0.0.1").unwrap()];
        },
        None,
    )
    .await;
    let from = |client: &str| {
        let mut request = server.ws_url().into_client_request().unwrap();
        // A forged hop on the left is ignored: the proxy appended the real one.
        let hops = format!("198.51.100.1, {client}");
        request.headers_mut().insert("x-forwarded-for", hops.parse().unwrap());
        request
    };
    let mut open = Vec::new();
    for _ in 0..2 {
        open.push(tokio_tungstenite::connect_async(from("203.0.113.7")).await.unwrap());
    }
    match tokio_tungstenite::connect_async(from("203.0.113.7")).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => assert_eq!(response.status(), 429),
        other => panic!(
            "a third websocket of one forwarded client was accepted: {:?}",
            other.map(|_| ())
        ),
    }
    // Another client behind the same proxy is unaffected.
    open.push(tokio_tungstenite::connect_async(from("203.0.113.8")).await.unwrap());

    // A server that trusts no proxy counts the peer and ignores the header.
    let direct = per_address_limit(2).await;
    let spoofed = |n: u32| {
        let mut request = direct.ws_url().into_client_request().unwrap();
        request
            .headers_mut()
            .insert("x-forwarded-for", format!("203.0.113.{n}").parse().unwrap());
        request
    };
    let _a = tokio_tungstenite::connect_async(spoofed(1)).await.unwrap();
    let _b = tokio_tungstenite::connect_async(spoofed(2)).await.unwrap();
    assert!(tokio_tungstenite::connect_async(spoofed(3)).await.is_err());
}
