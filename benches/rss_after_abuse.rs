//! Whether a release server gives memory back after abuse stops. Starts
//! `parlor serve` (this build's binary) and reads its RSS from /proc:
//! at rest, after a quiet arena match (the baseline), at the peak of abuse
//! (clients that each open an arena room and drop, leaving it to live out
//! the seat grace; then sockets that flood pings and never read), and once
//! every abuser is gone and every room closed.
//!
//! `cargo bench --bench rss_after_abuse [-- --rooms 3000]`

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::SinkExt;
use parlor::client::Client;
use parlor::protocol::ClientMessage;
use tokio_tungstenite::tungstenite::Message;

fn flag_value(flag: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == flag)
        .and_then(|i| args.get(i + 1).cloned())
}

/// The server's resident set, in MiB.
fn rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("the server is running");
    let kib: f64 = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .expect("VmRSS in /proc/PID/status");
    kib / 1024.0
}

/// Starts the server on a free port; returns it and its address.
fn serve(data_dir: &std::path::Path) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_parlor"))
        .args(["serve", "--bind", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
        .env("PARLOR_LOG", "warn,parlor=info")
        .stderr(Stdio::piped())
        .spawn()
        .expect("the server binary starts");
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let addr = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|line| {
            let at = line.find("serving on http://")?;
            Some(line[at + "serving on http://".len()..].trim_end_matches('/').to_owned())
        })
        .expect("the server says where it serves");
    // Keep the pipe drained so the server never blocks on its log.
    std::thread::spawn(move || lines.for_each(drop));
    (child, addr)
}

async fn guest(url: &str, name: &str) -> Client {
    let mut client = Client::connect(url).await.expect("connects");
    client
        .send(&ClientMessage::<()>::Hello {
            v: 1,
            init_data: None,
            guest: Some(name.into()),
            session: None,
            compact: true,
            rid: None,
        })
        .await
        .expect("hello");
    client
}

async fn rooms_open(addr: &str) -> u64 {
    let body = http_get(addr, "/health").await;
    let json: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
    json["rooms"].as_u64().unwrap_or(u64::MAX)
}

/// A plain HTTP GET over TCP (the body only).
async fn http_get(addr: &str, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    response.split("\r\n\r\n").nth(1).unwrap_or_default().to_owned()
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

fn main() {
    let rooms: usize = flag_value("--rooms").map_or(3_000, |v| v.parse().expect("--rooms takes a number"));
    let dir = tempfile::tempdir().unwrap();
    let (mut server, addr) = serve(dir.path());
    let pid = server.id();
    let url = format!("ws://{addr}/ws");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let at_start = rss_mib(pid);

    let config = parlor::load::LoadConfig {
        url: url.clone(),
        clients: 16,
        ramp: Duration::from_secs(1),
        duration: Duration::from_secs(5),
        ..parlor::load::LoadConfig::default()
    };
    rt.block_on(parlor::load::run(&config));
    let baseline = rss_mib(pid);

    let started = Instant::now();
    rt.block_on(open_and_drop(&url, rooms, 50));
    let peak_rooms = rss_mib(pid);
    let opened_in = started.elapsed();
    rt.block_on(ping_floods(&url, 20));
    let peak = rss_mib(pid).max(peak_rooms);

    // The rooms close at the end of their seat grace (30 s for arena).
    let deadline = Instant::now() + Duration::from_secs(120);
    while rt.block_on(rooms_open(&addr)) > 0 {
        assert!(
            Instant::now() < deadline,
            "rooms still open two minutes after the abuse"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    // One more quiet match, as after any lull.
    rt.block_on(parlor::load::run(&config));
    let after = rss_mib(pid);
    let _ = server.kill();

    println!("RSS of a release server (2 cores), allocator: {}", parlor_allocator());
    println!("| moment | RSS MiB |");
    println!("|---|---:|");
    println!("| at start | {at_start:.1} |");
    println!("| after a quiet 16-player arena match (baseline) | {baseline:.1} |");
    println!(
        "| {rooms} arena rooms opened and dropped ({:.1} s) | {peak_rooms:.1} |",
        opened_in.as_secs_f64()
    );
    println!("| peak, with 20 ping floods | {peak:.1} |");
    println!("| every room closed, abusers gone, one more quiet match | {after:.1} |");
    println!("| ratio after / baseline | {:.2} |", after / baseline);
}

/// The allocator this build uses (see docs/operations.md).
fn parlor_allocator() -> &'static str {
    if cfg!(feature = "mimalloc") {
        "mimalloc"
    } else {
        "the system's (glibc malloc)"
    }
}
