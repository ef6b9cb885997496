//! Test helpers: an in-process server on 127.0.0.1 and a websocket client
//! that speaks protocol v1 with tokio-tungstenite.
#![allow(dead_code)]

pub mod postgres;
pub mod prometheus;
pub mod secrets;
pub mod stall;
pub mod telegram;
pub mod ton;

use std::path::Path;
use std::time::Duration;

use parlor::catalog::{Catalog, ManifestSource};
use parlor::client::ClientError;
use parlor::config::{Config, EmbeddedPages};
use parlor::net::Server;
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;

/// A guard against a hung test; never a way to wait for something.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// A server with its own data directory.
pub struct TestServer {
    pub server: Server,
    pub dir: tempfile::TempDir,
}

impl TestServer {
    /// The bundled games with bundled manifests.
    pub async fn start() -> TestServer {
        Self::start_with(|_| {}, None).await
    }

    /// Bundled games, manifests overridden from `manifests` where present.
    pub async fn with_manifests(manifests: &[(&str, &str)]) -> TestServer {
        Self::with(manifests, |_| {}).await
    }

    /// Manifests overridden as in [`TestServer::with_manifests`], then the
    /// configuration changed by `configure`.
    pub async fn with(manifests: &[(&str, &str)], configure: impl FnOnce(&mut Config)) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let mdir = dir.path().join("manifests");
        std::fs::create_dir_all(&mdir).unwrap();
        for (name, text) in manifests {
            std::fs::write(mdir.join(format!("{name}.toml")), text).unwrap();
        }
        let catalog = parlor_games::bundled(&ManifestSource::Dir(&mdir)).unwrap();
        Self::start_in(dir, catalog, configure).await
    }

    pub async fn start_with(configure: impl FnOnce(&mut Config), catalog: Option<Catalog>) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let catalog = catalog.unwrap_or_else(|| parlor_games::bundled(&ManifestSource::Bundled).unwrap());
        Self::start_in(dir, catalog, configure).await
    }

    async fn start_in(dir: tempfile::TempDir, catalog: Catalog, configure: impl FnOnce(&mut Config)) -> TestServer {
        let mut config = Config {
            bind: "127.0.0.1:0".parse().unwrap(),
            data_dir: dir.path().join("data"),
            ..Config::default()
        };
        // The bundled games' pages, as the `parlor` binary serves them.
        config.web.embedded = Some(EmbeddedPages(parlor_games::Pages::get));
        configure(&mut config);
        let server = Server::start(config, catalog).await.unwrap();
        TestServer { server, dir }
    }

    pub fn ws_url(&self) -> String {
        format!("ws://{}/ws", self.server.addr())
    }

    pub fn http(&self, path: &str) -> String {
        format!("http://{}{}", self.server.addr(), path)
    }

    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }
}

/// GET over a plain TCP connection; returns (status, body).
pub async fn http_get(url: &str) -> (u16, String) {
    let (status, _, body) = http_get_with(url, &[]).await;
    (status, body)
}

/// GET with extra request headers (`Name: value` lines); returns the
/// status, the response head in lower case, and the body.
pub async fn http_get_with(url: &str, headers: &[&str]) -> (u16, String, String) {
    http_request("GET", url, headers, "").await
}

/// POSTs `body` as JSON with extra request headers; returns the status and
/// the body as JSON (`Null` if it is not).
pub async fn post_json(url: &str, headers: &[&str], body: &Value) -> (u16, Value) {
    let mut all = vec!["Content-Type: application/json"];
    all.extend_from_slice(headers);
    let (status, _, body) = http_request("POST", url, &all, &body.to_string()).await;
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

/// GET with extra request headers, the body read as JSON (`Null` if it is
/// not).
pub async fn get_json_with(url: &str, headers: &[&str]) -> (u16, Value) {
    let (status, _, body) = http_get_with(url, headers).await;
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

/// One HTTP/1.1 request on a new connection; returns the status, the
/// response head in lower case, and the body.
pub async fn http_request(method: &str, url: &str, headers: &[&str], body: &str) -> (u16, String, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_at(rest.find('/').unwrap());
    let mut stream = TcpStream::connect(host).await.unwrap();
    let mut extra: String = headers.iter().map(|h| format!("{h}\r\n")).collect();
    if method != "GET" {
        extra.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    stream
        .write_all(
            format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n{extra}\r\n{body}").as_bytes(),
        )
        .await
        .unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let text = String::from_utf8_lossy(&response).to_string();
    let status: u16 = text[9..12].parse().unwrap();
    let body_start = text.find("\r\n\r\n").unwrap() + 4;
    let head = text[..body_start].to_ascii_lowercase();
    let body = &text[body_start..];
    let body = if head.contains("transfer-encoding: chunked") {
        dechunk(body)
    } else {
        body.to_owned()
    };
    (status, head, body)
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    loop {
        let end = body.find("\r\n").unwrap();
        let len = usize::from_str_radix(body[..end].trim(), 16).unwrap();
        if len == 0 {
            return out;
        }
        out.push_str(&body[end + 2..end + 2 + len]);
        body = &body[end + 2 + len + 2..];
    }
}

pub async fn get_json(url: &str) -> (u16, Value) {
    let (status, body) = http_get(url).await;
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

/// A protocol client for tests: [`parlor::client::Client`], the same
/// client the load generator uses, with messages written as JSON values so
/// a test can send anything, well-formed or not.
pub struct Client {
    pub conn: parlor::client::Client,
    pub seq: u32,
}

pub use parlor::client::Closed;

fn encode(message: &Value) -> Vec<u8> {
    rmp_serde::to_vec_named(message).unwrap()
}

impl Client {
    pub async fn connect(url: &str) -> Client {
        Client {
            conn: parlor::client::Client::connect(url).await.unwrap(),
            seq: 0,
        }
    }

    /// Connects and says hello as a guest; returns the client and `welcome`.
    pub async fn guest(url: &str, name: &str) -> (Client, Value) {
        let mut client = Client::connect(url).await;
        client.send(json!({"t": "hello", "v": 1, "guest": name})).await;
        let welcome = client.expect("welcome").await;
        (client, welcome)
    }

    pub async fn send(&mut self, message: Value) {
        self.conn.send_frame(encode(&message)).await.unwrap();
    }

    /// Sends `messages` in one write, so the server reads them together.
    pub async fn send_batch(&mut self, messages: &[Value]) {
        for message in messages {
            self.conn.feed_frame(encode(message)).await.unwrap();
        }
        self.conn.flush().await.unwrap();
    }

    pub async fn send_raw(&mut self, message: Message) {
        self.conn.send_message(message).await.unwrap();
    }

    /// Connects and sends `hello` with `fields` besides `t` and `v`.
    pub async fn hello(url: &str, fields: Value) -> Client {
        let mut client = Client::connect(url).await;
        let mut hello = json!({"t": "hello", "v": 1});
        for (k, v) in fields.as_object().unwrap() {
            hello[k] = v.clone();
        }
        client.send(hello).await;
        client
    }

    /// Sends an input with the next sequence number; returns that number.
    pub async fn input(&mut self, d: Value) -> u32 {
        self.seq += 1;
        let seq = self.seq;
        self.send(json!({"t": "input", "seq": seq, "d": d})).await;
        seq
    }

    /// The next message, decoded to JSON; panics if the socket closes.
    pub async fn recv(&mut self) -> Value {
        match self.next().await {
            Ok(v) => v,
            Err(closed) => panic!("socket closed: {closed:?}"),
        }
    }

    /// The next frame as the server sent it, or how the server closed.
    pub async fn frame(&mut self) -> Result<Vec<u8>, Closed> {
        let frame = tokio::time::timeout(PATIENCE, self.conn.recv_frame())
            .await
            .expect("no message from the server in time");
        match frame {
            Ok(bytes) => Ok(bytes.to_vec()),
            Err(ClientError::Closed(closed)) => Err(closed),
            Err(ClientError::Text) => panic!("the server sent a text frame"),
            Err(_) => Err(Closed::Dropped),
        }
    }

    async fn next(&mut self) -> Result<Value, Closed> {
        let frame = self.frame().await?;
        Ok(rmp_serde::from_slice(&frame).expect("server frames decode"))
    }

    /// Reads until a message of type `t`, skipping others.
    pub async fn expect(&mut self, t: &str) -> Value {
        loop {
            let m = self.recv().await;
            if m["t"] == t {
                return m;
            }
            assert_ne!(m["t"], "error", "unexpected error while waiting for {t}: {m}");
        }
    }

    /// Reads until the server closes; returns how.
    pub async fn closed(&mut self) -> Closed {
        loop {
            if let Err(closed) = self.next().await {
                return closed;
            }
        }
    }

    /// Reads until a message of type `t`, applying joined/patch to `mirror`.
    pub async fn expect_mirrored(&mut self, mirror: &mut Mirror, t: &str) -> Value {
        loop {
            let m = self.recv().await;
            mirror.apply(&m);
            if m["t"] == t {
                return m;
            }
        }
    }
}

/// A client-side copy of a room's replicated state: the library's own.
pub use parlor::client::Mirror;

/// Spawns `command` (a server binary) with its log piped, reads the log
/// until the line with "serving on ", and returns the child and the first
/// word after it, without a trailing `/`. The rest of the log is drained in
/// a task, so the server never blocks on a full pipe.
pub async fn spawn_serving(command: &mut tokio::process::Command) -> (tokio::process::Child, String) {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let mut child = command
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let address = tokio::time::timeout(PATIENCE, async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(at) = line.find("serving on ") {
                let rest = line[at + "serving on ".len()..].split_whitespace().next().unwrap_or("");
                return rest.trim_end_matches('/').to_owned();
            }
        }
        panic!("the server exited without serving");
    })
    .await
    .expect("the server logs where it serves");
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, address)
}

/// The shortest recorded match: Ada creates a private tic-tac-toe room,
/// Bob (named `bob`) joins by its invite and leaves the started game, so
/// Ada wins by forfeit. Returns Ada's `result`.
pub async fn forfeited_match(ws_url: &str, bob: &str) -> Value {
    let (mut ada, _) = Client::guest(ws_url, "Ada").await;
    ada.send(json!({"t": "create", "game": "tictactoe", "private": true}))
        .await;
    let invite = ada.expect("joined").await["invite"].as_str().unwrap().to_owned();
    let (mut other, _) = Client::guest(ws_url, bob).await;
    other.send(json!({"t": "join", "room": invite})).await;
    other.expect("joined").await;
    other.send(json!({"t": "leave"})).await;
    ada.expect("result").await
}

/// Runs match `id` again from the server's ledger, as `parlor replay`
/// does: a report per match of its room up to it, or why not.
pub async fn replay_check(
    server: &TestServer,
    id: &str,
) -> Result<Vec<parlor::room::ReplayReport>, parlor::replay::CheckError> {
    let state = server.server.state();
    parlor::replay::check(state.ledger.clone(), &state.catalog, id, |_, _| {}).await
}

/// Runs the recorded match of `result` again from the server's ledger, as
/// `parlor replay` does, and checks it ends with the ranking the players
/// were sent. Returns the reports (the room's earlier matches first).
pub async fn assert_replays(server: &TestServer, result: &Value) -> Vec<parlor::room::ReplayReport> {
    let id = result["match"].as_str().expect("a result names its match");
    let reports = replay_check(server, id)
        .await
        .unwrap_or_else(|e| panic!("match {id} does not replay: {e}"));
    let last = reports.last().expect("the match itself is replayed");
    assert_eq!(last.match_id, id);
    let ranking = serde_json::to_value(last.ranking.as_ref().expect("the match was not aborted")).unwrap();
    assert_eq!(ranking, result["ranking"], "the replay ranks as the result did");
    reports
}
