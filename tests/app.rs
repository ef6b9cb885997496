//! A publisher's `App` started in-process (`App::start`), as its binary's
//! `serve` starts it: the ledger it injects is the one results go to.

mod common;

use std::sync::Arc;

use common::get_json;
use parlor::config::Config;
use parlor::ledger::{Ledger, SqliteLedger};
use parlor::App;
use parlor_games::tictactoe::TicTacToe;

fn tictactoe_manifest() -> &'static str {
    parlor_games::MANIFESTS
        .iter()
        .find(|(name, _)| *name == "tictactoe")
        .unwrap()
        .1
}

fn config(dir: &std::path::Path) -> Config {
    Config {
        bind: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.join("data"),
        ..Config::default()
    }
}

#[tokio::test]
async fn a_match_is_recorded_in_the_ledger_the_app_injects() {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results");
    let opened_with = Arc::new(std::sync::Mutex::new(None));
    let seen = opened_with.clone();
    let app = App::new()
        .game::<TicTacToe>(tictactoe_manifest())
        .ledger(move |config| {
            *seen.lock().unwrap() = Some(config.data_dir.clone());
            let results = results.clone();
            async move { Ok(Arc::new(SqliteLedger::open(&results).await?) as Arc<dyn Ledger>) }
        });
    let server = app.start(config(dir.path())).await.unwrap();
    assert_eq!(
        opened_with.lock().unwrap().as_deref(),
        Some(dir.path().join("data").as_path()),
        "the opener gets the resolved config"
    );
    let url = format!("ws://{}/ws", server.addr());

    // A match: Bob leaves a started game and forfeits it to Ada.
    let result = common::forfeited_match(&url, "Bob").await;
    assert_eq!(result["ranking"][0]["name"], "Ada");

    // The leaderboard reads the injected ledger...
    let (status, board) = get_json(&format!("http://{}/api/leaderboard/tictactoe", server.addr())).await;
    assert_eq!(status, 200);
    assert_eq!(board["entries"][0]["name"], "Ada");
    server.shutdown().await;
    // ...whose file holds the match, and no ledger was opened in the
    // data directory (which keeps only the session key).
    let file = dir.path().join("results/parlor.db");
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", file.display()))
        .await
        .unwrap();
    let (matches,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM matches")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(matches, 1);
    assert!(!dir.path().join("data/parlor.db").exists());
}

#[tokio::test]
async fn a_ledger_that_fails_to_open_stops_the_start_with_its_message() {
    let dir = tempfile::tempdir().unwrap();
    let app = App::new()
        .game::<TicTacToe>(tictactoe_manifest())
        .ledger(|_| async { Err("results database unreachable".into()) });
    let error = app.start(config(dir.path())).await.err().expect("the start fails");
    assert!(error.to_string().contains("results database unreachable"), "{error}");
}
