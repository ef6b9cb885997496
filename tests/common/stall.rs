//! A client that stops reading, for the tests of slow clients (resync,
//! kick): a small, fixed receive buffer, and a way to know its room's
//! queue to it has filled. tests/paths.rs explains the pipeline.

use serde::Deserialize;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::MaybeTlsStream;

use super::{Client, TestServer, PATIENCE};

/// The fields of a server message these tests look at; decoding only these
/// skips the bulk of 70 KB patches cheaply.
#[derive(Deserialize, Debug)]
pub struct Head {
    pub t: String,
    pub tick: Option<u64>,
}

/// Runs `f`, failing the test if it takes longer than PATIENCE: a guard for
/// loops that read a room which never stops sending.
pub async fn within<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(PATIENCE, f)
        .await
        .expect("the expected message did not come in time")
}

/// The next message's type and tick, its size, and its bytes.
pub async fn head(c: &mut Client) -> (Head, usize, Vec<u8>) {
    let bytes = c.frame().await.expect("the socket stays open");
    let head: Head = rmp_serde::from_slice(&bytes).expect("server frames decode");
    (head, bytes.len(), bytes)
}

/// A guest whose socket has a fixed 32 KiB receive buffer (doubled by Linux)
/// and whose websocket reads 4 KiB at a time; returns the client and that
/// receive buffer's size.
pub async fn small_buffered_guest(server: &TestServer, name: &str) -> (Client, usize) {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(32 * 1024).unwrap();
    let rcvbuf = socket.recv_buffer_size().unwrap() as usize;
    let stream = socket.connect(server.server.addr()).await.unwrap();
    let config = WebSocketConfig::default().read_buffer_size(4096);
    let (ws, _) =
        tokio_tungstenite::client_async_with_config(server.ws_url(), MaybeTlsStream::Plain(stream), Some(config))
            .await
            .unwrap();
    let mut client = Client {
        conn: parlor::client::Client::from_socket(ws),
        seq: 0,
    };
    client.send(json!({"t": "hello", "v": 1, "guest": name})).await;
    client.expect("welcome").await;
    (client, rcvbuf)
}

/// Bytes that can sit between a client's outbound queue and a client that
/// reads nothing, besides whole frames: the server's kernel send buffer (at
/// most `tcp_wmem`'s maximum, plus one segment over it), the client's
/// receive buffer, the 128 KiB backlog past which the server takes no more
/// frames from the queue, and the client's 4 KiB read buffer; 512 KiB covers
/// all but the first two.
pub fn pipeline_bytes(rcvbuf: usize) -> usize {
    let send_max = std::fs::read_to_string("/proc/sys/net/ipv4/tcp_wmem")
        .ok()
        .and_then(|s| s.split_whitespace().nth(2)?.parse().ok())
        .unwrap_or(64 << 20);
    send_max + rcvbuf + 512 * 1024
}

/// A watcher and a stalled client in one firehose room, which the watcher
/// opens with `create` (a private room) on a server whose outbound queue
/// holds `queue` messages. The watcher reads until the patches after the
/// stalled client's `joined` add up to more than the way to it holds, so
/// the stalled client's queue reached the reserve and patches were
/// skipped. Returns the watcher, the stalled client, and the stalled
/// client's `joined`.
pub async fn stall(server: &TestServer, create: Value, queue: usize) -> (Client, Client, Value) {
    let (mut watcher, _) = Client::guest(&server.ws_url(), "Watcher").await;
    watcher.send(create).await;
    let code = watcher.expect("joined").await["invite"].clone();
    let (mut slow, rcvbuf) = small_buffered_guest(server, "Slow").await;
    slow.send(json!({"t": "join", "room": code})).await;
    let joined = slow.expect("joined").await;
    let since = joined["tick"].as_u64().unwrap();

    // From here on `slow` reads nothing.
    let pipeline = pipeline_bytes(rcvbuf);
    let (mut sent, mut largest) = (0, 0);
    // The queue's patches, the frame being written, and one past the write
    // buffer are whole frames on top of the pipeline.
    within(async {
        while sent <= pipeline + (queue + 2) * largest {
            let (h, size, _) = head(&mut watcher).await;
            if h.t == "patch" && h.tick.unwrap() > since {
                sent += size;
                largest = largest.max(size);
            }
        }
    })
    .await;
    (watcher, slow, joined)
}
