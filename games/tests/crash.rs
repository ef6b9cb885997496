//! The crash test: `parlor serve` killed with SIGKILL while matches keep
//! finishing, then started again on the same data. Every match whose
//! `result` a client received is in the ledger, signed, and `parlor ledger
//! check` passes; on SQLite and on PostgreSQL.

#[path = "../../tests/common/mod.rs"]
mod common;

use std::path::Path;
use std::sync::{Arc, Mutex};

use common::postgres::Schema;
use common::{get_json, PATIENCE};
use tokio::process::{Child, Command};
use tokio::sync::watch;

/// Pairs of players finishing matches at once.
const PAIRS: usize = 8;
/// Results received before the kill.
const BEFORE_KILL: usize = 60;

/// `parlor serve` on `data` (and `database`, if any).
async fn serve(data: &Path, database: Option<&str>) -> (Child, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_parlor"));
    command
        .args(["serve", "--bind", "127.0.0.1:0", "--data-dir"])
        .arg(data)
        .env("PARLOR_LOG", "warn,parlor=info");
    if let Some(url) = database {
        command.env("PARLOR_DATABASE", url);
    }
    common::spawn_serving(&mut command).await
}

async fn results_survive_a_kill(database: Option<&str>) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (mut server, http) = serve(&data, database).await;
    let ws = format!("{}/ws", http.replace("http://", "ws://"));

    // Each pair plays forfeits back to back and keeps the id of every
    // result it received; a pair's task ends (panics) when the server dies.
    let received: Arc<Mutex<Vec<String>>> = Arc::default();
    let (count_tx, mut count_rx) = watch::channel(0usize);
    let count_tx = Arc::new(count_tx);
    let players: Vec<_> = (0..PAIRS)
        .map(|pair| {
            let (ws, received, count_tx) = (ws.clone(), received.clone(), count_tx.clone());
            tokio::spawn(async move {
                loop {
                    let result = common::forfeited_match(&ws, &format!("Bob{pair}")).await;
                    let id = result["match"].as_str().unwrap().to_owned();
                    let mut ids = received.lock().unwrap();
                    ids.push(id);
                    count_tx.send_replace(ids.len());
                }
            })
        })
        .collect();
    tokio::time::timeout(PATIENCE, count_rx.wait_for(|n| *n >= BEFORE_KILL))
        .await
        .expect("results arrive")
        .unwrap();
    // SIGKILL, with matches in flight.
    server.start_kill().unwrap();
    server.wait().await.unwrap();
    for player in players {
        let _ = player.await;
    }
    let received = received.lock().unwrap().clone();
    assert!(received.len() >= BEFORE_KILL);

    let (_server, http) = serve(&data, database).await;
    for id in &received {
        let (status, signed) = get_json(&format!("{http}/api/matches/{id}")).await;
        assert_eq!(
            status, 200,
            "match {id}, whose result a client received, is lost: {signed}"
        );
    }
    let mut check = Command::new(env!("CARGO_BIN_EXE_parlor"));
    check.args(["ledger", "check", "--data-dir"]).arg(&data);
    if let Some(url) = database {
        check.env("PARLOR_DATABASE", url);
    }
    let output = check.output().await.unwrap();
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{report}");
    let checked: usize = report.split_whitespace().next().unwrap().parse().unwrap();
    assert!(checked >= received.len(), "{report}");
}

#[tokio::test]
async fn on_sqlite() {
    results_survive_a_kill(None).await;
}

#[tokio::test]
async fn on_postgres() {
    let schema = Schema::new().await;
    results_survive_a_kill(Some(&schema.url)).await;
    schema.drop().await;
}
