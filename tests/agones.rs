//! `parlor::agones` over real gRPC on 127.0.0.1, against a stand-in for
//! Agones' SDK sidecar (tests/common/agones_sdk.rs: the published SDK
//! service answered in-process, not Agones itself). Run with
//! `cargo test --features agones --test agones`.
#![cfg(feature = "agones")]

mod common;
// Not in common/mod.rs: the games' tests include that file too, and have no
// feature `agones`.
#[path = "common/agones_sdk.rs"]
mod agones_sdk;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use agones_sdk::SdkStandIn;
use common::PATIENCE;
use parlor::agones::{AgonesError, AgonesLink, AgonesLoad, AgonesOptions};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// The Fleet spec's Counters, as the stand-in declares them.
const COUNTERS: &[(&str, i64)] = &[("rooms", 100), ("players", 1000)];

#[derive(Default)]
struct Load {
    rooms: AtomicU64,
    players: AtomicU64,
}

impl Load {
    fn set(&self, rooms: u64, players: u64) {
        self.rooms.store(rooms, Ordering::SeqCst);
        self.players.store(players, Ordering::SeqCst);
    }
}

impl AgonesLoad for Load {
    fn rooms(&self) -> u64 {
        self.rooms.load(Ordering::SeqCst)
    }
    fn players(&self) -> u64 {
        self.players.load(Ordering::SeqCst)
    }
}

/// Short periods, so a test sees many of them.
fn options(port: u16, counters_every: Duration) -> AgonesOptions {
    AgonesOptions {
        port: Some(port),
        health_every: Duration::from_millis(20),
        counters_every,
        connect_timeout: Duration::from_secs(5),
    }
}

/// A link to `sidecar` reporting `load` until the returned token is
/// cancelled.
async fn reporting(
    sidecar: &SdkStandIn,
    load: &Arc<Load>,
    counters_every: Duration,
) -> (AgonesLink, CancellationToken, JoinHandle<()>) {
    let link = AgonesLink::connect(options(sidecar.port, counters_every))
        .await
        .unwrap();
    let stop = CancellationToken::new();
    let run = tokio::spawn({
        let (link, load, stop) = (link.clone(), load.clone() as Arc<dyn AgonesLoad>, stop.clone());
        async move { link.run(load, stop).await }
    });
    (link, stop, run)
}

async fn stopped(stop: CancellationToken, run: JoinHandle<()>) {
    stop.cancel();
    tokio::time::timeout(PATIENCE, run)
        .await
        .expect("run did not return after stop")
        .unwrap();
}

#[tokio::test]
async fn ready_arrives_once_and_health_pings_keep_arriving() {
    let sidecar = SdkStandIn::start(COUNTERS).await;
    let load = Arc::new(Load::default());
    let (_link, stop, run) = reporting(&sidecar, &load, Duration::from_millis(20)).await;

    let seen = sidecar.until("Ready", |s| s.ready >= 1).await;
    assert!(seen.get_game_server >= 1, "connect probes with GetGameServer");
    let pings = seen.health_pings;
    sidecar
        .until("10 more health pings", |s| s.health_pings >= pings + 10)
        .await;
    let seen = sidecar.seen();
    assert_eq!(seen.ready, 1, "Ready is sent once");
    assert_eq!(seen.health_streams, 1, "one health stream while the sidecar stays up");
    assert_eq!(seen.shutdown, 0, "no Shutdown while running");

    stopped(stop, run).await;
    assert_eq!(sidecar.seen().shutdown, 0, "stopping run is no Shutdown");
}

#[tokio::test]
async fn counters_follow_the_load_and_are_sent_only_when_it_changes() {
    let sidecar = SdkStandIn::start(COUNTERS).await;
    let load = Arc::new(Load::default());
    load.set(3, 7);
    let (_link, stop, run) = reporting(&sidecar, &load, Duration::from_millis(20)).await;

    let count = |s: &agones_sdk::Seen, name: &str| s.counters[name];
    sidecar
        .until("rooms 3, players 7", |s| {
            count(s, "rooms") == 3 && count(s, "players") == 7
        })
        .await;
    load.set(5, 2);
    sidecar
        .until("rooms 5, players 2", |s| {
            count(s, "rooms") == 5 && count(s, "players") == 2
        })
        .await;
    load.set(0, 2);
    let seen = sidecar.until("rooms 0", |s| count(s, "rooms") == 0).await;
    assert_eq!(count(&seen, "players"), 2);

    // Unchanged load: many counter periods pass (health pings every 20 ms
    // as well) without another update.
    let updates = seen.updates;
    let pings = seen.health_pings;
    sidecar
        .until("10 more health pings", |s| s.health_pings >= pings + 10)
        .await;
    assert_eq!(sidecar.seen().updates, updates, "an unchanged load sends nothing");

    stopped(stop, run).await;
}

#[tokio::test]
async fn a_refused_count_is_tried_again_and_reporting_goes_on() {
    // Room for 2 rooms only: a count of 3 is OUT_OF_RANGE, as on Agones.
    let sidecar = SdkStandIn::start(&[("rooms", 2), ("players", 1000)]).await;
    let load = Arc::new(Load::default());
    load.set(3, 9);
    let (_link, stop, run) = reporting(&sidecar, &load, Duration::from_millis(20)).await;

    let seen = sidecar
        .until("players 9 and rooms refused twice", |s| {
            s.counters["players"] == 9 && s.refused_updates >= 2
        })
        .await;
    assert_eq!(seen.counters["rooms"], 0);
    let pings = seen.health_pings;
    sidecar
        .until("health pings go on", |s| s.health_pings >= pings + 5)
        .await;

    load.set(2, 9);
    sidecar.until("rooms 2", |s| s.counters["rooms"] == 2).await;
    stopped(stop, run).await;
}

#[tokio::test]
async fn stop_returns_after_a_final_counters_update_and_shutdown_waits_for_its_call() {
    let sidecar = SdkStandIn::start(COUNTERS).await;
    let load = Arc::new(Load::default());
    load.set(4, 10);
    // The load is read at the start and then not for an hour: only the
    // final update after stop can carry the drained load.
    let (link, stop, run) = reporting(&sidecar, &load, Duration::from_secs(3600)).await;
    sidecar
        .until("rooms 4, players 10", |s| {
            s.counters["rooms"] == 4 && s.counters["players"] == 10
        })
        .await;

    load.set(0, 0);
    stopped(stop, run).await;
    let seen = sidecar.seen();
    assert_eq!((seen.counters["rooms"], seen.counters["players"]), (0, 0));
    assert_eq!(seen.shutdown, 0, "Shutdown only when called");

    link.shutdown().await.unwrap();
    assert_eq!(sidecar.seen().shutdown, 1);
    assert_eq!(sidecar.seen().ready, 1);
}

#[tokio::test]
async fn a_sidecar_that_went_away_gets_health_and_counters_again() {
    let sidecar = SdkStandIn::start(COUNTERS).await;
    let port = sidecar.port;
    let load = Arc::new(Load::default());
    load.set(1, 2);
    let (_link, stop, run) = reporting(&sidecar, &load, Duration::from_millis(20)).await;
    sidecar.until("rooms 1", |s| s.counters["rooms"] == 1).await;
    sidecar.stop().await;

    // Calls fail meanwhile (logged once); the next sidecar on the port
    // gets a new health stream and the load as it is now.
    load.set(6, 2);
    let sidecar = SdkStandIn::start_on(port, COUNTERS).await;
    let seen = sidecar
        .until("health pings and rooms 6", |s| {
            s.health_pings >= 3 && s.counters["rooms"] == 6
        })
        .await;
    assert_eq!(seen.ready, 0, "Ready was told to the first sidecar");
    stopped(stop, run).await;
}

#[tokio::test]
async fn nothing_listening_is_a_clear_error_within_the_timeout() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let timeout = Duration::from_millis(300);
    let started = Instant::now();
    let refused = tokio::time::timeout(
        PATIENCE,
        AgonesLink::connect(AgonesOptions {
            port: Some(port),
            connect_timeout: timeout,
            ..AgonesOptions::default()
        }),
    )
    .await
    .expect("connect outlived its timeout");
    let waited = started.elapsed();
    let Err(error) = refused else {
        panic!("connected to port {port} with nothing listening");
    };
    assert!(matches!(error, AgonesError::Unreachable { port: p, .. } if p == port));
    let text = error.to_string();
    assert!(
        text.starts_with(&format!(
            "cannot reach the Agones SDK server on port {port} within 0.3 s: "
        )),
        "{text}"
    );
    assert!(waited >= timeout, "gave up after {waited:?}");
    assert!(waited < timeout + Duration::from_secs(5), "gave up after {waited:?}");
}

#[tokio::test]
async fn a_refused_shutdown_is_an_error_naming_the_call() {
    let sidecar = SdkStandIn::start(COUNTERS).await;
    let link = AgonesLink::connect(options(sidecar.port, Duration::from_millis(20)))
        .await
        .unwrap();
    sidecar.stop().await;
    let error = tokio::time::timeout(PATIENCE, link.shutdown())
        .await
        .expect("Shutdown hung with the sidecar gone")
        .unwrap_err();
    assert!(matches!(error, AgonesError::Call { call: "Shutdown", .. }), "{error:?}");
    assert!(
        error
            .to_string()
            .starts_with("the Agones SDK server did not take Shutdown: "),
        "{error}"
    );
}
