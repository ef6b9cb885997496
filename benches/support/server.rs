//! A release server as a child process, for the benchmarks that measure it
//! from outside (its RSS, its HTTP endpoints): started, read and stopped
//! the same way by each.
//!
//! The child is the bench's own executable run again with
//! [`CHILD`] set: [`serve_if_child`], first thing in the bench's `main`,
//! then runs what the `parlor` binary runs (games/src/main.rs: the App with
//! the bundled games and their pages). A bench cannot name another
//! package's binary, and this builds the server in the bench's profile.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};

/// Set in the child's environment: run as the server.
pub const CHILD: &str = "PARLOR_BENCH_SERVER";

/// In the child (see the module's doc), runs the server to its end and
/// gives its exit code; in the bench itself, `None`.
pub fn serve_if_child() -> Option<std::process::ExitCode> {
    std::env::var_os(CHILD)?;
    Some(
        parlor::App::new()
            .games(parlor_games::register)
            .embedded_pages(parlor_games::Pages::get)
            .run(),
    )
}

/// `parlor serve` of this build, on a free loopback port, with its ledger
/// in `data_dir`; add arguments before handing it to [`start`].
pub fn serve_command(data_dir: &Path) -> Command {
    let exe = std::env::current_exe().expect("the bench knows its executable");
    let mut command = Command::new(exe);
    command
        .env(CHILD, "1")
        .arg("serve")
        .args(["--bind", "127.0.0.1:0"])
        .arg("--data-dir")
        .arg(data_dir);
    command
}

/// Starts the server and reads where it serves from its log ("serving on
/// http://ADDR/"); the whole log goes to `log`.
pub async fn start(mut command: Command, log: &Path) -> (Child, SocketAddr) {
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
    // Keep the pipe drained so the server never blocks on its log.
    tokio::spawn(async move {
        while let Ok(Some(line)) = lines.next_line().await {
            let _ = file.write_all(format!("{line}\n").as_bytes()).await;
        }
    });
    (child, address)
}

/// SIGTERM, then up to 30 s for the graceful stop, then SIGKILL.
pub async fn stop(child: &mut Child) {
    if let Some(pid) = child.id() {
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status();
    }
    if tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .is_err()
    {
        eprintln!("the server did not stop within 30 s of SIGTERM; killed");
        let _ = child.kill().await;
    }
}

/// VmRSS of process `pid` (`"self"` for this one), bytes.
pub fn rss_bytes(pid: impl std::fmt::Display) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// `GET path` over a fresh HTTP/1.1 connection: (status, body); `None`
/// when there was no answer within 5 s.
pub async fn get(server: SocketAddr, path: &str) -> Option<(u16, Bytes)> {
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

/// The rooms `/health` counts, `None` when it did not answer.
pub async fn rooms_open(server: SocketAddr) -> Option<u64> {
    let (_, body) = get(server, "/health").await?;
    serde_json::from_slice::<serde_json::Value>(&body).ok()?["rooms"].as_u64()
}
