//! The soak scenario (issue 10): the release `parlor` binary as a child
//! process under steady mixed load (parlor::load::soak) for a long time,
//! its RSS read from /proc and its `/metrics` scraped every few seconds.
//!
//! `cargo bench --bench soak -- --duration 2h` is the long run (5 s
//! samples; without `--duration`, 10 minutes, so a plain `cargo bench`
//! does not take hours); `-- --short` is CI's (80 s, 1 s samples:
//! delivered rate, containment and sampling judged, not the slope). `--report DIR`
//! (default target/soak) gets index.html, soak.svg, samples.csv,
//! summary.json and the server's log. Exits 1 when a check fails.
//!
//! The server runs with `limits.limit_loopback = true`, every client
//! coming from its own 127.x.y.z address, so the per-address limits act
//! as they would on the internet; and with a shorter trivia manifest
//! (3 questions of 5 s), so trivia rooms open and close every few tens of
//! seconds, in the short run too.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use parlor::load::soak::{self, Metrics, Plan, Probe, ServerReading, SoakConfig};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};

/// The soak's server configuration: per-address limits on loopback too.
const CONFIG: &str = "[limits]\nlimit_loopback = true\n";

/// Trivia as the soak plays it: whole matches in about 20 s.
const TRIVIA: &str = r#"name = "trivia"
title = "Chat Trivia (soak)"
min_players = 2
max_players = 100

[settings]
rounds = 3
question_seconds = 5
reveal_seconds = 2
lobby_seconds = 2
"#;

/// `2h`, `10m`, `90s` or seconds.
fn duration(text: &str) -> Option<Duration> {
    let (number, unit) = match text.char_indices().last()? {
        (i, c) if c.is_ascii_alphabetic() => (&text[..i], c),
        _ => (text, 's'),
    };
    let number: f64 = number.parse().ok().filter(|n: &f64| n.is_finite() && *n > 0.0)?;
    let seconds = match unit {
        'h' => number * 3600.0,
        'm' => number * 60.0,
        's' => number,
        _ => return None,
    };
    Some(Duration::from_secs_f64(seconds))
}

fn flag_value(args: &[String], flag: &str) -> Option<String> {
    args.iter()
        .position(|a| a == flag)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let short = args.iter().any(|a| a == "--short");
    let run_for = match flag_value(&args, "--duration") {
        Some(text) => match duration(&text) {
            Some(d) => d,
            None => {
                eprintln!("--duration: a number with h, m or s, e.g. 2h");
                return ExitCode::FAILURE;
            }
        },
        None if short => Duration::from_secs(80),
        None => Duration::from_secs(600),
    };
    let report = flag_value(&args, "--report").map_or_else(|| PathBuf::from("target/soak"), PathBuf::from);
    let _ = rlimit::increase_nofile_limit(u64::MAX);
    // The bots' side: two threads, like the server's two cores.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("soak-bots")
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(soak(run_for, short, &report))
}

async fn soak(run_for: Duration, short: bool, report: &Path) -> ExitCode {
    let scratch = tempfile::tempdir().expect("a scratch directory");
    let manifests = scratch.path().join("manifests");
    std::fs::create_dir_all(&manifests).expect("manifest directory");
    std::fs::write(manifests.join("trivia.toml"), TRIVIA).expect("trivia manifest");
    std::fs::write(scratch.path().join("soak.toml"), CONFIG).expect("config file");
    std::fs::create_dir_all(report).expect("report directory");
    let mut command = Command::new(env!("CARGO_BIN_EXE_parlor"));
    command
        .arg("serve")
        .args(["--bind", "127.0.0.1:0"])
        .arg("--data-dir")
        .arg(scratch.path().join("data"))
        .arg("--config")
        .arg(scratch.path().join("soak.toml"))
        .arg("--manifests")
        .arg(&manifests)
        .env("PARLOR_LOG", "info")
        .current_dir(scratch.path());
    let (child, server) = serve(command, &report.join("server.log")).await;
    let pid = child.id().expect("a running server");
    println!(
        "soak: {} against the release server (pid {pid}) on {server}, report in {}",
        humane(run_for),
        report.display()
    );
    let config = SoakConfig {
        server,
        duration: run_for,
        short,
        plan: if short { Plan::short() } else { Plan::full() },
        sample_every: Duration::from_secs(if short { 1 } else { 5 }),
        progress: std::io::IsTerminal::is_terminal(&std::io::stderr()),
    };
    let mut probe = ServerProbe { child, pid, server };
    let summary = soak::run(&config, &mut probe).await;
    stop(&mut probe.child, pid).await;
    if let Err(e) = soak::write_report(&summary, report) {
        eprintln!("could not write the report: {e}");
    }
    print!("{}", summary.table());
    println!("report: {}", report.join("index.html").display());
    if summary.passed {
        ExitCode::SUCCESS
    } else {
        eprintln!("soak FAILED: see the FAIL lines above");
        ExitCode::FAILURE
    }
}

fn humane(d: Duration) -> String {
    match d.as_secs() {
        s if s >= 3600 && s % 3600 == 0 => format!("{} h", s / 3600),
        s if s >= 60 && s % 60 == 0 => format!("{} min", s / 60),
        s => format!("{s} s"),
    }
}

/// Starts the server and reads where it serves from its log ("serving on
/// http://ADDR/"); the rest of the log goes to `log`.
async fn serve(mut command: Command, log: &Path) -> (Child, SocketAddr) {
    let mut child = command
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the parlor binary starts");
    let mut lines = BufReader::new(child.stderr.take().expect("piped stderr")).lines();
    let mut file = tokio::fs::File::create(log).await.expect("server log file");
    let address = tokio::time::timeout(Duration::from_secs(30), async {
        while let Ok(Some(line)) = lines.next_line().await {
            let _ = file.write_all(format!("{line}\n").as_bytes()).await;
            if let Some(at) = line.find("serving on http://") {
                let rest = &line[at + "serving on http://".len()..];
                let address = rest.split(['/', ' ']).next().unwrap_or("");
                return address.parse::<SocketAddr>().ok();
            }
        }
        None
    })
    .await
    .ok()
    .flatten()
    .expect("the server logs where it serves");
    tokio::spawn(async move {
        while let Ok(Some(line)) = lines.next_line().await {
            let _ = file.write_all(format!("{line}\n").as_bytes()).await;
        }
    });
    (child, address)
}

/// SIGTERM, then up to 30 s for the graceful stop, then SIGKILL.
async fn stop(child: &mut Child, pid: u32) {
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
    if tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .is_err()
    {
        eprintln!("the server did not stop within 30 s of SIGTERM; killed");
        let _ = child.kill().await;
    }
}

/// Reads the child server: /proc for its RSS, `/health`, `/metrics`.
struct ServerProbe {
    child: Child,
    pid: u32,
    server: SocketAddr,
}

impl Probe for ServerProbe {
    async fn read(&mut self) -> ServerReading {
        let alive = matches!(self.child.try_wait(), Ok(None));
        let health = get(self.server, "/health").await;
        let health_rooms = health
            .as_ref()
            .and_then(|(_, body)| serde_json::from_slice::<serde_json::Value>(body).ok())
            .and_then(|v| v["rooms"].as_f64());
        let metrics = match get(self.server, "/metrics").await {
            Some((200, body)) => parse_metrics(&String::from_utf8_lossy(&body)),
            // 404 while the server has no /metrics: recorded as missing.
            _ => None,
        };
        ServerReading {
            rss_bytes: rss_bytes(self.pid),
            health_rooms,
            metrics,
            alive,
        }
    }
}

/// VmRSS of process `pid`, bytes.
fn rss_bytes(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// `GET path` over a fresh HTTP/1.1 connection: (status, body).
async fn get(server: SocketAddr, path: &str) -> Option<(u16, Bytes)> {
    let exchange = async {
        let stream = tokio::net::TcpStream::connect(server).await.ok()?;
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.ok()?;
        tokio::spawn(connection);
        let request = hyper::Request::get(path)
            .header(hyper::header::HOST, server.to_string())
            .body(Empty::<Bytes>::new())
            .ok()?;
        let response = sender.send_request(request).await.ok()?;
        let status = response.status().as_u16();
        let body = response.into_body().collect().await.ok()?.to_bytes();
        Some((status, body))
    };
    tokio::time::timeout(Duration::from_secs(5), exchange)
        .await
        .ok()
        .flatten()
}

/// The series the soak reads, from the Prometheus text format.
fn parse_metrics(text: &str) -> Option<Metrics> {
    use prometheus_parse::{Scrape, Value};
    let scrape = Scrape::parse(text.lines().map(|l| Ok(l.to_owned()))).ok()?;
    let mut m = Metrics::default();
    let scalar = |v: &Value| match v {
        Value::Counter(x) | Value::Gauge(x) | Value::Untyped(x) => Some(*x),
        _ => None,
    };
    let add = |slot: &mut Option<f64>, x: f64| *slot = Some(slot.unwrap_or(0.0) + x);
    for sample in &scrape.samples {
        let game = sample.labels.get("game").unwrap_or("").to_owned();
        match (sample.metric.as_str(), &sample.value) {
            ("parlor_tick_duration_seconds", Value::Histogram(buckets)) => {
                let mut buckets: Vec<(f64, f64)> = buckets.iter().map(|b| (b.less_than, b.count)).collect();
                buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
                m.tick_buckets.insert(game, buckets);
            }
            (name, value) => {
                let Some(x) = scalar(value) else { continue };
                match name {
                    "parlor_rooms" => *m.rooms.entry(game).or_default() += x,
                    "parlor_connections" => add(&mut m.connections, x),
                    "parlor_closes_total" => add(&mut m.closes, x),
                    "parlor_connections_refused_total" => add(&mut m.refused, x),
                    "parlor_kicks_total" => add(&mut m.kicks, x),
                    "parlor_process_resident_bytes" => add(&mut m.resident_bytes, x),
                    _ => {}
                }
            }
        }
    }
    Some(m)
}
