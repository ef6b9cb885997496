//! The `parlor` binary as an operator runs it.

#[path = "../../tests/common/mod.rs"]
mod common;

use common::{get_json, http_get, Client};
use serde_json::json;
use tokio::process::{Child, Command};

/// Starts `parlor serve` with `args` and returns it with its base URL, read
/// from the line it logs.
async fn serve(args: &[&str], env: &[(&str, &str)]) -> (Child, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_parlor"));
    command
        .arg("serve")
        .args(args)
        .envs(env.iter().copied())
        .env("PARLOR_LOG", "info")
        // Not the repository: nothing may be read from beside the sources.
        .current_dir(std::env::temp_dir());
    common::spawn_serving(&mut command).await
}

#[tokio::test]
async fn serve_runs_from_any_directory_with_embedded_games() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (_child, url) = serve(
        &["--bind", "127.0.0.1:0"],
        &[("PARLOR_DATA_DIR", data.to_str().unwrap())],
    )
    .await;

    let (status, health) = get_json(&format!("{url}/health")).await;
    assert_eq!((status, health["status"].as_str()), (200, Some("ok")));
    let (_, games) = get_json(&format!("{url}/api/games")).await;
    let names: Vec<&str> = games
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["arena", "eights", "tictactoe", "trivia"]);
    assert_eq!(games[0]["tick_rate"], 20);
    assert_eq!(games[2]["turn_based"], true);
    // The pages are compiled in: served whatever the working directory.
    let (status, page) = http_get(&format!("{url}/")).await;
    assert_eq!(status, 200);
    assert!(page.contains("/web/lobby.js"), "{page}");
    let (status, page) = http_get(&format!("{url}/play/tictactoe")).await;
    assert_eq!(status, 200);
    assert!(page.contains("/web/games/tictactoe.js"), "{page}");
    let (status, missing) = get_json(&format!("{url}/api/leaderboard/chess")).await;
    assert_eq!((status, missing["error"].as_str()), (404, Some("no_such_game")));
    let (status, _) = get_json(&format!("{url}/api/leaderboard/arena?limit=0")).await;
    assert_eq!(status, 400);
    assert!(
        data.join("parlor.db").exists(),
        "the ledger lives in the data directory"
    );

    let ws = url.replace("http://", "ws://") + "/ws";
    let (mut c, _) = Client::guest(&ws, "Cli").await;
    c.send(json!({"t": "create", "game": "tictactoe"})).await;
    let joined = c.expect("joined").await;
    let (_, rooms) = get_json(&format!("{url}/api/rooms")).await;
    assert_eq!(rooms[0]["code"], joined["room"]);
}

#[tokio::test]
async fn manifests_flag_overrides_a_bundled_manifest() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("arena.toml"),
        "name = \"arena\"\ntitle = \"Tiny\"\nmin_players = 1\nmax_players = 2\ntick_rate = 10\nmatch_seconds = 5\n",
    )
    .unwrap();
    let data = dir.path().join("data");
    let (_child, url) = serve(
        &[
            "--bind",
            "127.0.0.1:0",
            "--manifests",
            dir.path().to_str().unwrap(),
            "--data-dir",
            data.to_str().unwrap(),
        ],
        &[],
    )
    .await;
    let (_, games) = get_json(&format!("{url}/api/games")).await;
    assert_eq!(
        (games[0]["title"].as_str(), games[0]["max_players"].as_u64()),
        (Some("Tiny"), Some(2))
    );
    assert_eq!(games[2]["title"], "Tic-tac-toe");
}

#[tokio::test]
async fn a_bad_manifest_stops_the_server_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("arena.toml"),
        "name = \"arena\"\nmin_players = 3\nmax_players = 2\n",
    )
    .unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_parlor"))
        .args([
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--manifests",
            dir.path().to_str().unwrap(),
        ])
        .current_dir(dir.path())
        .output()
        .await
        .unwrap();
    assert!(!output.status.success());
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(log.contains("arena.toml") && log.contains("min_players"), "{log}");
}

/// Runs `bin` (a load baseline, on an ephemeral port) and checks that it
/// speaks enough of the protocol for the load generator: its bots sign in,
/// enter rooms, and get acked patches, with no error.
async fn serves_the_load_generator(bin: &str) {
    let mut command = Command::new(bin);
    command.args(["--bind", "127.0.0.1:0"]);
    let (_child, address) = common::spawn_serving(&mut command).await;
    let url = format!("{address}/ws");
    let summary = parlor::load::run(&parlor::load::LoadConfig {
        url,
        clients: 4,
        ramp: std::time::Duration::from_millis(200),
        duration: std::time::Duration::from_millis(500),
        ..parlor::load::LoadConfig::default()
    })
    .await;
    assert_eq!(summary.errors, 0, "{:?}", summary.error_samples);
    assert_eq!(summary.connected, 4);
    assert!(summary.rtt_ms.samples > 0, "inputs were acked");
}

/// The raw baseline of benches/compare.sh (tokio, a task per socket).
#[tokio::test]
async fn the_raw_baseline_serves_the_load_generator() {
    serves_the_load_generator(env!("CARGO_BIN_EXE_raw-baseline")).await;
}

/// The floor of benches/compare.sh (one thread, mio, one write per frame).
#[tokio::test]
async fn the_floor_serves_the_load_generator() {
    serves_the_load_generator(env!("CARGO_BIN_EXE_floor")).await;
}

/// `--log-format json` writes each log line as one JSON object, the message
/// and its fields at the top level; an unknown format is refused.
#[tokio::test]
async fn log_format_json_writes_one_object_per_line() {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_parlor"))
        .args(["serve", "--bind", "127.0.0.1:0", "--log-format", "json", "--data-dir"])
        .arg(dir.path().join("data"))
        .env("PARLOR_LOG", "info")
        .current_dir(dir.path())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut events = Vec::new();
    let url = tokio::time::timeout(common::PATIENCE, async {
        while let Some(line) = lines.next_line().await.unwrap() {
            let event: serde_json::Value =
                serde_json::from_str(&line).unwrap_or_else(|e| panic!("a log line is not JSON ({e}): {line}"));
            assert!(
                event["timestamp"].is_string() && event["level"] == "INFO" && event["target"].is_string(),
                "{event}"
            );
            let message = event["message"].as_str().expect("a message").to_owned();
            events.push(event);
            if let Some(url) = message.strip_prefix("serving on ") {
                return url.trim_end_matches('/').to_owned();
            }
        }
        panic!("the server exited without serving");
    })
    .await
    .expect("the server logs where it serves");
    let ledger = events
        .iter()
        .find(|e| e["message"] == "ledger ready")
        .expect("the ledger line");
    assert!(
        ledger["data_dir"].as_str().is_some_and(|d| d.ends_with("data")),
        "fields sit beside the message: {ledger}"
    );
    let (status, _) = get_json(&format!("{url}/health")).await;
    assert_eq!(status, 200);

    let refused = Command::new(env!("CARGO_BIN_EXE_parlor"))
        .args(["serve", "--log-format", "xml"])
        .output()
        .await
        .unwrap();
    assert!(!refused.status.success());
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(message.contains("possible values: text, json"), "{message}");
}

/// `parlor ledger check` on the data directory a server recorded into:
/// exit 0 while the rows agree with their signed records, 1 with the
/// match named once a row is edited behind the server's back.
#[tokio::test]
async fn ledger_check_passes_a_clean_ledger_and_fails_an_edited_one() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = common::TestServer::start_with(|config| config.data_dir = data.clone(), None).await;
    let result = common::forfeited_match(&server.ws_url(), "Bob").await;
    let id = result["match"].as_str().unwrap().to_owned();
    server.server.shutdown().await;

    let check = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_parlor"))
            .args(["ledger", "check", "--data-dir"])
            .arg(&data)
            .output()
            .unwrap()
    };
    let clean = check();
    let out = String::from_utf8_lossy(&clean.stdout).into_owned();
    assert!(clean.status.success(), "{out}");
    assert!(out.contains("1 matches checked (0 recorded before signing"), "{out}");

    let url = format!("sqlite://{}", data.join("parlor.db").display());
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    sqlx::query("UPDATE match_players SET score = 100 WHERE name = 'Bob'")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let edited = check();
    let out = String::from_utf8_lossy(&edited.stdout).into_owned();
    assert_eq!(edited.status.code(), Some(1), "{out}");
    assert!(out.contains(&format!("PROBLEM match {id}: the rows differ")), "{out}");
}

/// `parlor replay MATCH` on the ledger a server wrote: a recorded
/// tic-tac-toe match (Bob leaves, Ada wins by forfeit) is run again and
/// reproduced; an id the ledger does not have is an error that says so.
#[tokio::test]
async fn replay_reproduces_a_recorded_match_from_the_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let manifests = dir.path().join("manifests");
    std::fs::create_dir_all(&manifests).unwrap();
    let tictactoe = include_str!("../manifests/tictactoe.toml");
    std::fs::write(manifests.join("tictactoe.toml"), format!("{tictactoe}record = true\n")).unwrap();
    let (mut server, url) = serve(
        &["--bind", "127.0.0.1:0", "--manifests", manifests.to_str().unwrap()],
        &[("PARLOR_DATA_DIR", data.to_str().unwrap())],
    )
    .await;
    let result = common::forfeited_match(&format!("{}/ws", url.replace("http://", "ws://")), "Bob").await;
    let id = result["match"].as_str().unwrap();
    server.start_kill().unwrap();
    server.wait().await.unwrap();

    let replay = |id: String| {
        let data = data.clone();
        async move {
            Command::new(env!("CARGO_BIN_EXE_parlor"))
                .args(["replay", &id, "--data-dir", data.to_str().unwrap()])
                .current_dir(std::env::temp_dir())
                .output()
                .await
                .unwrap()
        }
    };
    let output = replay(id.to_owned()).await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains(&format!("match {id}: ")), "{stdout}");
    assert!(stdout.contains("ends as recorded: 1 Ada (1), 2 Bob (0)"), "{stdout}");
    assert!(
        stdout.contains(&format!("replayed 1 match: match {id} is reproduced")),
        "{stdout}"
    );

    let output = replay("00000000nope".to_owned()).await;
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("the ledger has no signed match 00000000nope"),
        "{stderr}"
    );
}
