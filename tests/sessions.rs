//! Session tokens over real sockets: each resume rotates the token and the
//! one presented works no more; one token cannot open many sockets; a
//! newer connection of a session replaces the older one (4001) and takes
//! its seat; no token outlives the session's maximum lifetime.

mod common;

use base64::Engine as _;
use common::{Client, Closed, TestServer};
use serde_json::{json, Value};

/// The claims inside a token (the part before the MAC), as JSON.
fn claims(token: &str) -> Value {
    let body = token.split_once('.').unwrap().0;
    let json = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(body).unwrap();
    serde_json::from_slice(&json).unwrap()
}

fn session_of(welcome: &Value) -> String {
    welcome["session"].as_str().unwrap().to_owned()
}

/// Resumes with `token`; the `welcome`, or the refusal's error code.
async fn resume(server: &TestServer, token: &str) -> Result<(Client, Value), String> {
    let mut client = Client::hello(&server.ws_url(), json!({"session": token})).await;
    let reply = client.recv().await;
    match reply["t"].as_str() {
        Some("welcome") => Ok((client, reply)),
        Some("error") => {
            assert_eq!(client.closed().await, Closed::Code(1008));
            Err(reply["code"].as_str().unwrap().to_owned())
        }
        _ => panic!("unexpected reply to a resume: {reply}"),
    }
}

#[tokio::test]
async fn a_token_works_once_and_the_next_one_comes_with_the_welcome() {
    let server = TestServer::start().await;
    let (first, welcome) = Client::guest(&server.ws_url(), "Ann").await;
    drop(first);
    let t0 = session_of(&welcome);
    let (second, resumed) = resume(&server, &t0).await.expect("the first resume");
    assert_eq!(resumed["player"], welcome["player"]);
    let t1 = session_of(&resumed);
    assert_ne!(t1, t0);
    assert_eq!(claims(&t1)["sid"], claims(&t0)["sid"]);
    assert_eq!(claims(&t1)["generation"], 1);
    drop(second);

    // The old token is refused, even though it has not expired.
    assert_eq!(resume(&server, &t0).await.err().as_deref(), Some("auth_failed"));
    // The new one still works, once.
    let (_third, again) = resume(&server, &t1).await.expect("the rotated token");
    assert_eq!(again["player"], welcome["player"]);
    assert_eq!(resume(&server, &t1).await.err().as_deref(), Some("auth_failed"));
    // Two resumes signed in, two were refused; each resume wrote the ledger.
    let metrics = common::prometheus::metrics_of(&server);
    let signins = |result| metrics.value("parlor_signins_total", &[("method", "session"), ("result", result)]);
    assert_eq!((signins("ok"), signins("refused")), (2.0, 2.0));
    assert_eq!(metrics.value("parlor_ledger_write_seconds_count", &[]), 4.0);
}

#[tokio::test]
async fn one_token_opens_one_socket_however_many_try_at_once() {
    let server = TestServer::start().await;
    let (first, welcome) = Client::guest(&server.ws_url(), "Ann").await;
    drop(first);
    let token = session_of(&welcome);
    let tries = (0..20).map(|_| resume(&server, &token));
    let outcomes = futures_util::future::join_all(tries).await;
    let welcomed = outcomes.iter().filter(|o| o.is_ok()).count();
    let refused: Vec<_> = outcomes.iter().filter_map(|o| o.as_ref().err()).collect();
    assert_eq!(welcomed, 1, "refusals: {refused:?}");
    assert!(refused.iter().all(|code| *code == "auth_failed"), "{refused:?}");
}

#[tokio::test]
async fn a_newer_connection_of_the_session_replaces_the_older_and_takes_its_seat() {
    let server = TestServer::start().await;
    let (mut old, welcome) = Client::guest(&server.ws_url(), "Ann").await;
    old.send(json!({"t": "create", "game": "tictactoe", "private": true}))
        .await;
    let code = old.expect("joined").await["room"].as_str().unwrap().to_owned();

    // The page reloads: the new socket resumes while the old one is open.
    let (mut new, resumed) = resume(&server, &session_of(&welcome)).await.expect("the resume");
    assert_eq!(old.closed().await, Closed::Code(4001));
    let replaced = common::prometheus::metrics_of(&server).value("parlor_closes_total", &[("code", "4001")]);
    assert_eq!(replaced, 1.0);
    assert_eq!(resumed["room"], code.as_str(), "the seat moved with the session");
    assert_eq!(new.expect("joined").await["room"], code.as_str());
}

#[tokio::test]
async fn no_token_outlives_the_session_lifetime_however_often_it_is_resumed() {
    let server = TestServer::start_with(
        |c| {
            c.limits.session_ttl_secs = 3600;
            c.limits.session_max_lifetime_secs = 5400;
        },
        None,
    )
    .await;
    let (first, welcome) = Client::guest(&server.ws_url(), "Ann").await;
    drop(first);
    let t0 = claims(&session_of(&welcome));
    let started = t0["started"].as_u64().unwrap();
    assert_eq!(t0["expires"].as_u64().unwrap(), t0["started"].as_u64().unwrap() + 3600);
    let mut token = session_of(&welcome);
    for _ in 0..3 {
        let (client, resumed) = resume(&server, &token).await.unwrap();
        drop(client);
        token = session_of(&resumed);
        let claims = claims(&token);
        assert_eq!(claims["started"], started, "a resume does not restart the session");
        assert!(claims["expires"].as_u64().unwrap() <= started + 5400, "{claims}");
    }
}
