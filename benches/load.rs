//! The load scenario in one process: a real server on 127.0.0.1 and
//! `parlor load` bots against it, each on its own runtime, with the CPU of
//! each side read per thread from /proc.
//!
//! `cargo bench --bench load` runs 1,000 arena clients (8 per room, steering
//! at 10 Hz) for 10 s; `-- --clients N --seconds S` changes that;
//! `-- --smoke` runs 300 clients for a few seconds and exits non-zero on any
//! error or a delivered patch rate below 90% (what .ci/run uses).
//! `-- --nodes 3` runs the scenario twice in one run: on one server, then
//! on a cluster of three servers sharing Redis (`PARLOR_TEST_REDIS_URL`,
//! a key prefix of its own), with the bots spread over the nodes and
//! following redirects; it prints both and the ratio of server CPU.

mod support;

use std::process::ExitCode;
use std::time::Duration;

use parlor::config::{ClusterConfig, Config, Secret};
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
    let nodes: usize = value("--nodes").map_or(1, |s| s.parse().expect("--nodes N"));
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
    let run = |nodes: usize| scenario(&server_rt, &load_rt, nodes, clients, seconds);
    let single = run(1);
    println!("load: {clients} arena clients, 8 per room, inputs at 10 Hz, {seconds} s measured (2 cores, server and bots in one process)");
    single.print();
    let mut failed = smoke && !single.passes();
    if nodes > 1 {
        let cluster = run(nodes);
        println!("\nthe same on {nodes} nodes sharing Redis (bots spread over the nodes, following redirects; all nodes on the same 2 server threads)");
        cluster.print();
        println!(
            "{:>18}  {:.2} ({nodes} nodes / 1 node, server CPU per client-second)",
            "ratio",
            cluster.server_us / single.server_us
        );
        failed |= smoke && !cluster.passes();
    }
    if failed {
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

/// One run's figures.
struct Outcome {
    summary: parlor::load::Summary,
    server_us: f64,
    load_us: f64,
}

impl Outcome {
    fn print(&self) {
        print!("{}", self.summary.table());
        println!("{:>18}  {:.0} us per client-second", "server CPU", self.server_us);
        println!("{:>18}  {:.0} us per client-second", "load bots CPU", self.load_us);
    }

    fn passes(&self) -> bool {
        let ok = self.summary.errors == 0 && self.summary.delivered >= 0.9;
        if !ok {
            eprintln!(
                "load smoke FAILED: {} errors, {:.1}% of expected patches delivered; {:?}",
                self.summary.errors,
                100.0 * self.summary.delivered,
                self.summary.error_samples
            );
        }
        ok
    }
}

/// The scenario against `nodes` servers (a cluster on Redis when more
/// than one).
fn scenario(
    server_rt: &tokio::runtime::Runtime,
    load_rt: &tokio::runtime::Runtime,
    nodes: usize,
    clients: usize,
    seconds: f64,
) -> Outcome {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("session.key");
    std::fs::write(&key, rand::random::<[u8; 32]>()).unwrap();
    let prefix = format!("parlorload{}x{}", std::process::id(), rand::random::<u32>());
    let redis = std::env::var("PARLOR_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let servers: Vec<Server> = server_rt.block_on(async {
        let mut servers = Vec::new();
        for i in 0..nodes {
            let mut config = Config {
                bind: "127.0.0.1:0".parse().unwrap(),
                data_dir: dir.path().join(format!("node{i}")),
                ..Config::default()
            };
            if nodes > 1 {
                config.session_key = Some(key.clone());
                config.cluster = ClusterConfig {
                    redis: Some(Secret::from(redis.as_str())),
                    node_id: Some(format!("node{i}")),
                    prefix: prefix.clone(),
                    ..ClusterConfig::default()
                };
            }
            servers.push(Server::start(config, support::bundled()).await.unwrap());
        }
        servers
    });
    let urls: Vec<String> = servers.iter().map(|s| format!("ws://{}/ws", s.addr())).collect();
    let config = LoadConfig {
        url: urls[0].clone(),
        node_urls: urls[1..].to_vec(),
        clients,
        ramp: Duration::from_secs_f64((clients as f64 / 500.0).clamp(1.0, 10.0)),
        duration: Duration::from_secs_f64(seconds),
        game: "arena".into(),
        grouping: Grouping::PerRoom(8),
        input_hz: 10.0,
        tick_hz: 20.0,
        form: parlor::protocol::PatchForm::Lean,
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
    server_rt.block_on(async {
        for server in servers {
            server.shutdown().await;
        }
    });
    Outcome {
        summary,
        server_us: 1e6 * server_cpu / client_seconds,
        load_us: 1e6 * load_cpu / client_seconds,
    }
}
