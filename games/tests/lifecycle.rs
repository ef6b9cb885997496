//! Stopping the server: the `parlor` binary under SIGTERM mid-match.

#[path = "../../tests/common/mod.rs"]
mod common;

use common::{Client, Closed, PATIENCE};
use serde_json::json;
use tokio::process::{Child, Command};

/// Starts `parlor serve` with `config` (TOML) in `dir`; returns it and its
/// websocket URL, read from the line it logs.
async fn serve(dir: &std::path::Path, config: &str) -> (Child, String) {
    let config_path = dir.join("parlor.toml");
    std::fs::write(&config_path, config).unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_parlor"));
    command
        .args(["serve", "--bind", "127.0.0.1:0", "--config"])
        .arg(&config_path)
        .arg("--data-dir")
        .arg(dir.join("data"))
        .env("PARLOR_LOG", "info");
    let (child, url) = common::spawn_serving(&mut command).await;
    (child, format!("{}/ws", url.replace("http://", "ws://")))
}

fn sigterm(child: &Child) {
    let pid = child.id().expect("the server is running").to_string();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(status.success());
}

/// Reads until `left`, skipping patches; returns the messages seen from
/// `result` on and the `left`.
async fn until_left(client: &mut Client) -> (Vec<serde_json::Value>, serde_json::Value) {
    let mut seen = Vec::new();
    loop {
        let m = client.recv().await;
        match m["t"].as_str() {
            Some("left") => return (seen, m),
            Some("patch" | "p" | "event" | "joined") => {}
            _ => seen.push(m),
        }
    }
}

async fn aborted_matches(dir: &std::path::Path) -> Vec<(String, i64)> {
    let url = format!("sqlite://{}", dir.join("data/parlor.db").display());
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    sqlx::query_as("SELECT game, aborted FROM matches ORDER BY game")
        .fetch_all(&pool)
        .await
        .unwrap()
}

/// SIGTERM with matches running and a client in no room: every client gets
/// its end (`result` marked aborted after the grace, `left` with
/// `shutdown`) and a 1001 close, the matches are recorded, and the process
/// exits 0.
#[tokio::test]
async fn sigterm_ends_running_matches_as_aborted_closes_with_1001_and_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, url) = serve(dir.path(), "[shutdown]\ngrace_secs = 1\n").await;

    // A tic-tac-toe match with one move played.
    let (mut x, _) = Client::guest(&url, "Xena").await;
    x.send(json!({"t": "create", "game": "tictactoe", "rid": 7})).await;
    let joined = x.expect("joined").await;
    assert_eq!(joined["rid"], 7, "joined echoes the request id");
    let code = joined["room"].as_str().unwrap().to_owned();
    let (mut o, _) = Client::guest(&url, "Otto").await;
    o.send(json!({"t": "join", "room": code})).await;
    o.expect("joined").await;
    x.input(json!({"cell": 4})).await;
    // An arena round (one seat starts it), and a client in no room.
    let (mut runner, _) = Client::guest(&url, "Runner").await;
    runner.send(json!({"t": "quick", "game": "arena"})).await;
    runner.expect("joined").await;
    let (mut idle, _) = Client::guest(&url, "Idle").await;
    // Everyone is in place once the server has answered a ping from each.
    for client in [&mut x, &mut o, &mut runner, &mut idle] {
        client.send(json!({"t": "ping", "n": 1})).await;
        client.expect("pong").await;
    }

    sigterm(&child);

    assert_eq!(idle.closed().await, Closed::Code(1001));
    for client in [&mut x, &mut o, &mut runner] {
        let (seen, left) = until_left(client).await;
        assert_eq!(left["reason"], "shutdown", "{left}");
        let result = seen.iter().find(|m| m["t"] == "result").expect("a result before left");
        assert_eq!(result["aborted"], true, "{result}");
        assert!(result["ranking"].as_array().unwrap().iter().all(|l| l["rank"] == 1));
        assert_eq!(client.closed().await, Closed::Code(1001));
    }
    let status = tokio::time::timeout(PATIENCE, child.wait())
        .await
        .expect("the server exits within the bound")
        .unwrap();
    assert!(status.success(), "exit status {status:?}");
    assert_eq!(
        aborted_matches(dir.path()).await,
        vec![("arena".to_owned(), 1), ("tictactoe".to_owned(), 1)]
    );
}

/// A turn-based match that ends within the shutdown grace is recorded as
/// played, its players get `result` and `left` with `finished`, then 1001.
#[tokio::test]
async fn a_match_finished_within_the_grace_is_recorded_normally() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, url) = serve(dir.path(), "[shutdown]\ngrace_secs = 60\n").await;
    let (mut x, _) = Client::guest(&url, "Xena").await;
    x.send(json!({"t": "create", "game": "tictactoe"})).await;
    let code = x.expect("joined").await["room"].as_str().unwrap().to_owned();
    let (mut o, _) = Client::guest(&url, "Otto").await;
    o.send(json!({"t": "join", "room": code})).await;
    o.expect("joined").await;
    x.input(json!({"cell": 0})).await;
    let (mut idle, _) = Client::guest(&url, "Idle").await;
    for client in [&mut o, &mut idle] {
        client.send(json!({"t": "ping", "n": 1})).await;
        client.expect("pong").await;
    }

    sigterm(&child);
    // The stop has reached the sessions once the one in no room is closed.
    assert_eq!(idle.closed().await, Closed::Code(1001));

    // X wins down the left column: 0, 3, 6 against 1, 4.
    // Each move is in before the next once its mover's ping is answered;
    // the winning move ends the room, and the socket closes right after.
    for (o_turn, cell) in [(true, 1), (false, 3), (true, 4)] {
        let player = if o_turn { &mut o } else { &mut x };
        player.input(json!({"cell": cell})).await;
        player.send(json!({"t": "ping", "n": cell})).await;
        player.expect("pong").await;
    }
    x.input(json!({"cell": 6})).await;
    for client in [&mut x, &mut o] {
        let (seen, left) = until_left(client).await;
        assert_eq!(left["reason"], "finished");
        let result = seen.iter().find(|m| m["t"] == "result").expect("a result");
        assert!(result.get("aborted").is_none(), "{result}");
        assert_eq!(client.closed().await, Closed::Code(1001));
    }
    let status = tokio::time::timeout(PATIENCE, child.wait()).await.unwrap().unwrap();
    assert!(status.success());
    assert_eq!(aborted_matches(dir.path()).await, vec![("tictactoe".to_owned(), 0)]);
}
