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

mod support;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use parlor::load::soak::{self, Metrics, Plan, Probe, ServerReading, SoakConfig};
use support::flag_value;
use support::server::{get, rss_bytes, serve_command, start, stop};
use tokio::process::Child;

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

fn main() -> ExitCode {
    if let Some(code) = support::server::serve_if_child() {
        return code;
    }
    let args: Vec<String> = std::env::args().collect();
    let short = args.iter().any(|a| a == "--short");
    let run_for = match flag_value("--duration") {
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
    let report = flag_value("--report").map_or_else(|| PathBuf::from("target/soak"), PathBuf::from);
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
    let mut command = serve_command(&scratch.path().join("data"));
    command
        .arg("--config")
        .arg(scratch.path().join("soak.toml"))
        .arg("--manifests")
        .arg(&manifests)
        .env("PARLOR_LOG", "info")
        .current_dir(scratch.path());
    let (child, server) = start(command, &report.join("server.log")).await;
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
    stop(&mut probe.child).await;
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
            Some((200, body)) => Metrics::from_text(&String::from_utf8_lossy(&body)),
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
