//! The raw baseline for the load comparison: the least a websocket server
//! can do to deliver the same traffic, with no game and no engine.
//!
//! It speaks just enough of protocol v1 for `parlor load`: `welcome` on
//! `hello`, `joined` on `create`/`join`/`quick`, then, from one task per
//! connection with its own timer, a pre-encoded `patch` of `--frame-bytes`
//! bytes at `--rate` Hz carrying the highest input `seq` seen as `ack`.
//!
//! `cargo run --release --bin raw-baseline -- --bind 127.0.0.1:9100 --frame-bytes 154`

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;

#[derive(Parser)]
struct Args {
    #[arg(long, default_value = "127.0.0.1:9100")]
    bind: SocketAddr,
    /// Size of each patch frame's payload
    #[arg(long, default_value_t = 154)]
    frame_bytes: usize,
    /// Patches per second per client
    #[arg(long, default_value_t = 20.0)]
    rate: f64,
}

#[path = "baseline/protocol.rs"]
mod protocol;

use protocol::patch_prefix;

async fn connection(stream: TcpStream, prefix: Arc<Vec<u8>>, period: Duration, rooms: Arc<AtomicU64>) {
    let config = WebSocketConfig::default().read_buffer_size(4096);
    let Ok(mut ws) = tokio_tungstenite::accept_async_with_config(stream, Some(config)).await else {
        return;
    };
    let mut ack = 0u32;
    let mut ticker: Option<tokio::time::Interval> = None;
    loop {
        tokio::select! {
            _ = async { ticker.as_mut().expect("guarded").tick().await }, if ticker.is_some() => {
                let mut frame = Vec::with_capacity(prefix.len() + 9);
                frame.extend_from_slice(&prefix);
                rmp::encode::write_str(&mut frame, "ack").expect("vec");
                rmp::encode::write_u32(&mut frame, ack).expect("vec");
                if ws.send(Message::Binary(frame.into())).await.is_err() {
                    return;
                }
            }
            message = ws.next() => {
                let Some(Ok(message)) = message else { return };
                let Message::Binary(b) = message else { continue };
                let (reply, entered) = protocol::answer(&b, &mut ack, || rooms.fetch_add(1, Ordering::Relaxed));
                if entered {
                    let mut t = tokio::time::interval(period);
                    t.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
                    ticker = Some(t);
                }
                if let Some(reply) = reply {
                    if ws.send(Message::Binary(reply)).await.is_err() {
                        return;
                    }
                }
            }
        }
    }
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let _ = rlimit::increase_nofile_limit(u64::MAX);
    let prefix = Arc::new(patch_prefix(args.frame_bytes));
    let period = Duration::from_secs_f64(1.0 / args.rate);
    let listener = TcpListener::bind(args.bind).await.expect("bind");
    eprintln!(
        "raw baseline serving on ws://{}/ ({} byte patches at {} Hz)",
        listener.local_addr().expect("bound"),
        prefix.len() + 9,
        args.rate
    );
    let rooms = Arc::new(AtomicU64::new(0));
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(connection(stream, prefix.clone(), period, rooms.clone()));
    }
}
