//! The load scenario in one process: a real server on 127.0.0.1 and
//! `parlor load` bots against it, each on its own runtime, with the CPU of
//! each side read per thread from /proc.
//!
//! `cargo bench --bench load` runs 1,000 arena clients (8 per room, steering
//! at 10 Hz) for 10 s; `-- --clients N --seconds S` changes that;
//! `-- --smoke` runs 300 clients for a few seconds and exits non-zero on any
//! error or a delivered patch rate below 90% (what .ci/run uses).

mod support;

use std::process::ExitCode;
use std::time::Duration;

use parlor::config::Config;
use parlor::load::{Grouping, LoadConfig};
use parlor::net::Server;

/// CPU seconds of this process's threads whose name starts with `prefix`.
fn thread_cpu(prefix: &str) -> f64 {
    let mut ticks = 0.0;
    for task in std::fs::read_dir("/proc/self/task").unwrap().flatten() {
        let name = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
        if !name.starts_with(prefix) {
            continue;
        }
        let stat = std::fs::read_to_string(task.path().join("stat")).unwrap_or_default();
        if let Some(end) = stat.rfind(')') {
            let fields: Vec<&str> = stat[end + 2..].split(' ').collect();
            ticks += fields[11].parse::<f64>().unwrap_or(0.0) + fields[12].parse::<f64>().unwrap_or(0.0);
        }
    }
    ticks / 100.0
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let value = support::flag_value;
    let smoke = args.iter().any(|a| a == "--smoke");
    let clients: usize = value("--clients").map_or(if smoke { 300 } else { 1000 }, |s| s.parse().expect("--clients N"));
    let seconds: f64 = value("--seconds").map_or(if smoke { 4.0 } else { 10.0 }, |s| s.parse().expect("--seconds S"));
    let _ = rlimit::increase_nofile_limit(u64::MAX);

    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("parlor-server")
        .enable_all()
        .build()
        .unwrap();
    let load_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("parlor-load")
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let server = server_rt.block_on(async {
        let config = Config {
            bind: "127.0.0.1:0".parse().unwrap(),
            data_dir: dir.path().to_path_buf(),
            ..Config::default()
        };
        Server::start(config, support::bundled()).await.unwrap()
    });
    let config = LoadConfig {
        url: format!("ws://{}/ws", server.addr()),
        clients,
        ramp: Duration::from_secs_f64((clients as f64 / 500.0).clamp(1.0, 10.0)),
        duration: Duration::from_secs_f64(seconds),
        game: "arena".into(),
        grouping: Grouping::PerRoom(8),
        input_hz: 10.0,
        tick_hz: 20.0,
        compact: true,
        progress: std::io::IsTerminal::is_terminal(&std::io::stderr()),
    };
    // CPU is read around the whole run; the ramp is a small part of it.
    let (server_cpu, load_cpu) = (thread_cpu("parlor-server"), thread_cpu("parlor-load"));
    let summary = load_rt.block_on(parlor::load::run(&config));
    let server_cpu = thread_cpu("parlor-server") - server_cpu;
    let load_cpu = thread_cpu("parlor-load") - load_cpu;
    let client_seconds = summary
        .timeline
        .iter()
        .map(|i| i.connected as f64)
        .sum::<f64>()
        .max(1.0);

    println!("load: {clients} arena clients, 8 per room, inputs at 10 Hz, {seconds} s measured (2 cores, server and bots in one process)");
    print!("{}", summary.table());
    println!(
        "{:>18}  {:.0} us per client-second",
        "server CPU",
        1e6 * server_cpu / client_seconds
    );
    println!(
        "{:>18}  {:.0} us per client-second",
        "load bots CPU",
        1e6 * load_cpu / client_seconds
    );
    server_rt.block_on(server.shutdown());
    if smoke && (summary.errors > 0 || summary.delivered < 0.9) {
        eprintln!(
            "load smoke FAILED: {} errors, {:.1}% of expected patches delivered",
            summary.errors,
            100.0 * summary.delivered
        );
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
