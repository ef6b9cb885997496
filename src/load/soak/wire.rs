//! Connections of the soak's clients: each from its own loopback address,
//! so the server's per-address limits (on for loopback in the soak) see
//! every player and every abuser apart, and the few protocol steps every
//! role takes.

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::MaybeTlsStream;

use crate::client::{Client, ClientError, Closed};
use crate::protocol::{ClientMessage, PatchForm, ServerMessage, Value};

/// How long one answer from the server may take before the soak calls it
/// an error: far above any wait a healthy server makes a client do.
pub const ANSWER: Duration = Duration::from_secs(10);

/// Which group of clients an address belongs to (its second octet).
#[derive(Debug, Clone, Copy)]
pub enum Group {
    Arena = 1,
    Tictactoe = 2,
    Trivia = 3,
    NonReader = 4,
    /// The harness's own checks (`/api/rooms/{code}`).
    Checker = 65,
    Abuser = 66,
}

/// The loopback address of client `i` of `group`: 127.group.hi.lo.
pub fn source(group: Group, i: usize) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(127, group as u8, (i / 250) as u8, (i % 250 + 1) as u8))
}

/// A TCP connection to `server` from `from`, with a receive buffer of
/// `recv_buffer` bytes if set (a small one makes a client that stops
/// reading back the server up at once).
pub async fn tcp(server: SocketAddr, from: IpAddr, recv_buffer: Option<u32>) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::new(from, 0))?;
    if let Some(bytes) = recv_buffer {
        socket.set_recv_buffer_size(bytes)?;
    }
    socket.connect(server).await
}

/// A websocket to `server`'s `/ws` from `from`.
pub async fn connect(server: SocketAddr, from: IpAddr, recv_buffer: Option<u32>) -> Result<Client, ClientError> {
    let stream = tcp(server, from, recv_buffer)
        .await
        .map_err(|e| ClientError::Socket(e.into()))?;
    // A small read buffer: tungstenite zero-fills all of it on every read.
    let config = WebSocketConfig::default().read_buffer_size(4096);
    let url = format!("ws://{server}/ws");
    let (ws, _) = tokio_tungstenite::client_async_with_config(url, MaybeTlsStream::Plain(stream), Some(config)).await?;
    Ok(Client::from_socket(ws))
}

/// How a refused or failed connection attempt reads in a summary: `http
/// 429` for the per-address limit, else the error.
pub fn refusal(e: &ClientError) -> String {
    match e {
        ClientError::Socket(tungstenite::Error::Http(response)) => format!("http {}", response.status().as_u16()),
        other => other.to_string(),
    }
}

/// What `welcome` said.
pub struct Welcome {
    pub session: String,
    /// The room of a held seat, when resuming.
    pub room: Option<String>,
}

/// Says `hello` as guest `name`, or with `session`, and reads `welcome`.
pub async fn hello(client: &mut Client, guest: Option<String>, session: Option<String>) -> Result<Welcome, String> {
    let hello = ClientMessage::<()>::hello(guest, session, PatchForm::Lean);
    client.send(&hello).await.map_err(|e| format!("hello: {e}"))?;
    match answer(client).await? {
        ServerMessage::Welcome { session, room, .. } => Ok(Welcome { session, room }),
        other => Err(format!("hello answered with {}", describe(&other))),
    }
}

/// The next message, within [`ANSWER`].
pub async fn answer(client: &mut Client) -> Result<ServerMessage, String> {
    match tokio::time::timeout(ANSWER, client.recv::<Value>()).await {
        Ok(Ok(message)) => Ok(message),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!("no message from the server in {ANSWER:?}")),
    }
}

/// Reads until `joined` (skipping what comes before it) and returns it.
pub async fn joined(client: &mut Client) -> Result<ServerMessage, String> {
    loop {
        match answer(client).await? {
            m @ ServerMessage::Joined { .. } => return Ok(m),
            ServerMessage::Error { code, message, .. } => {
                return Err(format!("error {code:?} waiting for joined: {message}"))
            }
            _ => {}
        }
    }
}

/// What joins the room a `joined` names: a private room's invite
/// (`CODE-SECRET`), else its code.
pub fn join_token(joined: &ServerMessage) -> Option<String> {
    match joined {
        ServerMessage::Joined { room, invite, .. } => Some(invite.clone().unwrap_or_else(|| room.clone())),
        _ => None,
    }
}

/// The room code of a join token (an invite's part before the `-`).
pub fn code_of(token: &str) -> &str {
    token.split('-').next().unwrap_or(token)
}

/// A message's type and, for an error, its code.
pub fn describe(m: &ServerMessage) -> String {
    match m {
        ServerMessage::Error { code, message, .. } => format!("error {code:?} ({message})"),
        ServerMessage::Left { reason, .. } => format!("left ({reason:?})"),
        ServerMessage::Welcome { .. } => "welcome".into(),
        ServerMessage::Joined { .. } => "joined".into(),
        ServerMessage::Patch { .. } | ServerMessage::CompactPatch { .. } => "patch".into(),
        ServerMessage::Event { name, .. } => format!("event {name}"),
        ServerMessage::Result { .. } => "result".into(),
        ServerMessage::Fair { .. } => "fair".into(),
        ServerMessage::Redirect { .. } => "redirect".into(),
        ServerMessage::Pong { .. } => "pong".into(),
    }
}

/// How the server ended a connection, as the summary counts it.
pub fn close_code(closed: &Closed) -> String {
    match closed {
        Closed::Code(code) => code.to_string(),
        Closed::Dropped => "dropped".into(),
    }
}

/// Runs `f` unless the soak stops first.
pub async fn unless_stopped<T>(stop: &mut watch::Receiver<bool>, f: impl Future<Output = T>) -> Option<T> {
    if *stop.borrow() {
        return None;
    }
    tokio::select! {
        out = f => Some(out),
        _ = stop.changed() => None,
    }
}

/// Sleeps for `d` unless the soak stops first; false if it stopped.
pub async fn pause(stop: &mut watch::Receiver<bool>, d: Duration) -> bool {
    unless_stopped(stop, tokio::time::sleep(d)).await.is_some()
}

/// The status of `GET path` on `server` from `from` (HTTP/1.1, the
/// connection closed after it); only the status line is read.
pub async fn http_status(server: SocketAddr, from: IpAddr, path: &str) -> std::io::Result<u16> {
    let mut stream = tcp(server, from, None).await?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {server}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).await?;
    std::str::from_utf8(&head[9..12])
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other("not an HTTP status line"))
}

/// Waits until `rx` holds a value that is `ready` and returns a copy of
/// it; `None` if the soak stops first (or the sender is gone).
pub async fn wait_until<T: Clone>(
    stop: &mut watch::Receiver<bool>,
    rx: &mut watch::Receiver<T>,
    ready: impl FnMut(&T) -> bool,
) -> Option<T> {
    let value = async { rx.wait_for(ready).await.ok().map(|v| v.clone()) };
    unless_stopped(stop, value).await.flatten()
}
