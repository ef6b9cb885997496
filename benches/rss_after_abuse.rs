//! Whether a release server gives memory back after abuse stops. Starts
//! `parlor serve` (this build's binary) and reads its RSS from /proc:
//! at rest, after a quiet arena match (the baseline), at the peak of abuse
//! (clients that each open an arena room and drop, leaving it to live out
//! the seat grace; then sockets that flood pings and never read), and once
//! every abuser is gone and every room closed.
//!
//! The server gives the memory back by trimming the heap every
//! `[memory] trim_secs` (10 s; src/memory.rs): after the last room closes
//! this waits up to two periods for RSS to come down, and exits 1 when it
//! stays above twice the baseline, so CI runs it (`-- --rooms 500`) as a
//! check. `-- --no-trim` runs the server with trimming off, for the
//! comparison.
//!
//! `cargo bench --bench rss_after_abuse [-- --rooms 3000] [--no-trim]`

mod support;

use std::process::ExitCode;
use std::time::{Duration, Instant};

use futures_util::SinkExt;
use parlor::client::Client;
use parlor::protocol::ClientMessage;
use tokio_tungstenite::tungstenite::Message;

async fn guest(url: &str, name: &str) -> Client {
    let mut client = Client::connect(url).await.expect("connects");
    client
        .send(&ClientMessage::<()>::guest_hello(name))
        .await
        .expect("hello");
    client
}

/// Opens `n` arena rooms, each from a client that drops at once, `width`
/// at a time.
async fn open_and_drop(url: &str, n: usize, width: usize) {
    let mut next = 0;
    while next < n {
        let batch: Vec<_> = (next..(next + width).min(n))
            .map(|i| async move {
                let mut client = guest(url, &format!("opener{i}")).await;
                let create = ClientMessage::<()>::Create {
                    game: "arena".into(),
                    private: true,
                    rid: None,
                };
                client.send(&create).await.expect("create");
                // Until the room exists: the welcome, then the joined.
                for _ in 0..2 {
                    client.recv_frame().await.expect("a reply");
                }
            })
            .collect();
        futures_util::future::join_all(batch).await;
        next += width;
    }
}

/// `n` sockets that send pings and never read, until the server closes them.
async fn ping_floods(url: &str, n: usize) {
    let floods = (0..n).map(|_| async move {
        let (mut socket, _) = tokio_tungstenite::connect_async(url).await.expect("connects");
        for _ in 0..1_000_000 {
            if socket.send(Message::Ping(vec![0u8; 64].into())).await.is_err() {
                return;
            }
        }
    });
    futures_util::future::join_all(floods).await;
}

const MIB: f64 = 1024.0 * 1024.0;

/// What the after/baseline ratio must come under.
const RETURNED: f64 = 2.0;

fn main() -> ExitCode {
    if let Some(code) = support::server::serve_if_child() {
        return code;
    }
    tokio::runtime::Runtime::new().expect("a runtime").block_on(measure())
}

async fn measure() -> ExitCode {
    let rooms: usize = support::flag_value("--rooms").map_or(3_000, |v| v.parse().expect("--rooms takes a number"));
    let no_trim = std::env::args().any(|a| a == "--no-trim");
    let dir = tempfile::tempdir().unwrap();
    let mut command = support::server::serve_command(&dir.path().join("data"));
    command.env("PARLOR_LOG", "warn,parlor=info");
    if no_trim {
        std::fs::write(dir.path().join("no-trim.toml"), "[memory]\ntrim_secs = 0\n").unwrap();
        command.arg("--config").arg(dir.path().join("no-trim.toml"));
    }
    let (mut server, addr) = support::server::start(command, &dir.path().join("server.log")).await;
    let pid = server.id().expect("a running server");
    let rss = || support::server::rss_bytes(pid).expect("the server is running") as f64 / MIB;
    let url = format!("ws://{addr}/ws");
    let at_start = rss();

    let config = parlor::load::LoadConfig {
        url: url.clone(),
        clients: 16,
        ramp: Duration::from_secs(1),
        duration: Duration::from_secs(5),
        ..parlor::load::LoadConfig::default()
    };
    parlor::load::run(&config).await;
    let baseline = rss();

    let started = Instant::now();
    open_and_drop(&url, rooms, 50).await;
    let peak_rooms = rss();
    let opened_in = started.elapsed();
    ping_floods(&url, 20).await;
    let peak = rss().max(peak_rooms);

    // The rooms close at the end of their seat grace (30 s for arena).
    let deadline = Instant::now() + Duration::from_secs(120);
    while support::server::rooms_open(addr).await != Some(0) {
        assert!(
            Instant::now() < deadline,
            "rooms still open two minutes after the abuse"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let closed = Instant::now();
    // One more quiet match, as after any lull.
    parlor::load::run(&config).await;
    // The next trim comes within one period (10 s) of the last room's
    // close; give it two.
    let mut after = rss();
    while after / baseline >= RETURNED && closed.elapsed() < Duration::from_secs(20) {
        tokio::time::sleep(Duration::from_millis(250)).await;
        after = rss();
    }
    let returned_in = closed.elapsed();
    support::server::stop(&mut server).await;

    let allocator = if no_trim {
        "glibc malloc, trimming off"
    } else {
        "glibc malloc, trimmed every 10 s"
    };
    println!("RSS of a release server (2 cores), {allocator}");
    println!("| moment | RSS MiB |");
    println!("|---|---:|");
    println!("| at start | {at_start:.1} |");
    println!("| after a quiet 16-player arena match (baseline) | {baseline:.1} |");
    println!(
        "| {rooms} arena rooms opened and dropped ({:.1} s) | {peak_rooms:.1} |",
        opened_in.as_secs_f64()
    );
    println!("| peak, with 20 ping floods | {peak:.1} |");
    println!(
        "| every room closed, abusers gone, one more quiet match ({:.1} s after the last close) | {after:.1} |",
        returned_in.as_secs_f64()
    );
    println!("| ratio after / baseline | {:.2} |", after / baseline);
    if after / baseline < RETURNED || no_trim {
        ExitCode::SUCCESS
    } else {
        eprintln!(
            "FAIL: RSS after the abuse is {:.2} times the baseline (at most {RETURNED})",
            after / baseline
        );
        ExitCode::FAILURE
    }
}
