//! `parlor serve --agones` against a stand-in for Agones' SDK sidecar
//! (tests/common/agones_sdk.rs: the published SDK service, not Agones):
//! the binary says `Ready` once it serves, keeps the Counters `rooms` and
//! `players` at its load while players come and go, and says `Shutdown`
//! only after SIGTERM has drained it. Needs the feature agones (protoc):
//! `cargo test -p parlor-games --features agones --test agones_serve`.
#![cfg(feature = "agones")]

#[path = "../../tests/common/mod.rs"]
mod common;

#[path = "../../tests/common/agones_sdk.rs"]
mod agones_sdk;

use agones_sdk::SdkStandIn;
use common::Client;
use serde_json::json;
use tokio::process::Command;

#[tokio::test]
async fn serve_with_agones_is_ready_reports_its_load_and_shuts_down_after_the_drain() {
    let sidecar = SdkStandIn::start(&[("rooms", 1000), ("players", 8000)]).await;
    let dir = tempfile::tempdir().unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_parlor"));
    command
        .args(["serve", "--bind", "127.0.0.1:0", "--agones", "--data-dir"])
        .arg(dir.path())
        .env("AGONES_SDK_GRPC_PORT", sidecar.port.to_string())
        .env("PARLOR_LOG", "warn,parlor=info");
    let (mut server, http) = common::spawn_serving(&mut command).await;
    let ws = format!("{}/ws", http.replace("http://", "ws://"));
    sidecar.until("Ready", |seen| seen.ready == 1).await;
    sidecar.until("Health", |seen| seen.health_pings > 0).await;

    // A player opens an arena room: the Counters follow.
    let (mut ada, _) = Client::guest(&ws, "Ada").await;
    ada.send(json!({"t": "quick", "game": "arena"})).await;
    ada.expect("joined").await;
    sidecar
        .until("rooms 1, players 1", |seen| {
            seen.counters.get("rooms") == Some(&1) && seen.counters.get("players") == Some(&1)
        })
        .await;
    ada.send(json!({"t": "leave"})).await;
    ada.expect("left").await;
    sidecar
        .until("players 0", |seen| seen.counters.get("players") == Some(&0))
        .await;
    assert_eq!(sidecar.seen().shutdown, 0, "no Shutdown while serving");

    // SIGTERM: the node drains, exits 0, and only then says Shutdown.
    let pid = server.id().unwrap().to_string();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = tokio::time::timeout(common::PATIENCE, server.wait())
        .await
        .expect("the node stops")
        .unwrap();
    assert!(status.success(), "{status:?}");
    let seen = sidecar.seen();
    assert_eq!(seen.shutdown, 1, "Shutdown once, after the drain: {seen:?}");
    assert_eq!(seen.ready, 1);
    sidecar.stop().await;
}
