//! One arena-sized patch fanned out to a room's 8 members over real
//! loopback sockets, two ways in one run:
//!
//! - `straight`: what the server does, each member's frame written from the
//!   room's task through its `Outlet` (one vectored write, no wake-up);
//! - `queue + task per socket`: the design it replaced, the patch queued
//!   per member and each member's task woken to frame it with tungstenite
//!   and write it; the iteration ends when all 8 are written.
//!
//! Wall time per fan-out; readers on threads of their own drain the client
//! ends so no socket fills. `cargo bench --bench fanout`.

use std::io::Read;
use std::net::TcpStream as StdStream;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion};
use futures_util::SinkExt;
use parlor::protocol::PatchForm;
use parlor::room::{Outbound, Outlet};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::protocol::Role;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

const MEMBERS: usize = 8;
/// A lean `p` of an arena tick: a fixmap of `t` and `c`, and about 80
/// bytes of changes.
fn patch_prefix() -> Bytes {
    let mut prefix = vec![0x82, 0xa1, b't', 0xa1, b'p', 0xa1, b'c', 0xdc, 0x00, 0x4a];
    prefix.extend(std::iter::repeat_n(0x01, 74));
    Bytes::from(prefix)
}

/// `MEMBERS` connected pairs: the server ends, and a thread per client end
/// reading and dropping everything until the socket closes.
async fn sockets() -> Vec<TcpStream> {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut servers = Vec::new();
    for _ in 0..MEMBERS {
        let client = StdStream::connect(addr).unwrap();
        std::thread::spawn(move || {
            let mut client = client;
            let mut buf = vec![0u8; 64 * 1024];
            while matches!(client.read(&mut buf), Ok(n) if n > 0) {}
        });
        let (server, _) = listener.accept().await.unwrap();
        server.set_nodelay(true).unwrap();
        servers.push(server);
    }
    servers
}

fn fanout(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let prefix = patch_prefix();
    let mut group = c.benchmark_group("fan-out of one patch to 8 members");

    let outlets: Vec<Arc<Outlet>> = rt.block_on(async {
        let outlets: Vec<_> = sockets().await.into_iter().map(|s| Outlet::new(s, 1 << 20)).collect();
        for outlet in &outlets {
            outlet.open_to(Some(1));
        }
        outlets
    });
    let mut ack = 0u32;
    group.bench_function("straight (Outlet)", |b| {
        b.iter(|| {
            ack = ack.wrapping_add(1);
            for outlet in &outlets {
                // A socket that did not take everything keeps the rest in
                // the backlog, and the next patch finds it: write it out as
                // the connection would, then the patch.
                while outlet.write_patch(1, PatchForm::Lean, &prefix, Some(ack)).is_none() {
                    rt.block_on(outlet.write_out(Duration::from_secs(10))).unwrap();
                }
            }
        })
    });
    drop(outlets);

    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    let queues: Vec<mpsc::Sender<Outbound>> = rt.block_on(async {
        let mut queues = Vec::new();
        for socket in sockets().await {
            let (tx, mut rx) = mpsc::channel::<Outbound>(64);
            let done = done_tx.clone();
            tokio::spawn(async move {
                let mut ws = WebSocketStream::from_raw_socket(socket, Role::Server, None).await;
                while let Some(item) = rx.recv().await {
                    ws.feed(Message::Binary(item.into_frame())).await.unwrap();
                    ws.flush().await.unwrap();
                    let _ = done.send(());
                }
            });
            queues.push(tx);
        }
        queues
    });
    group.bench_function("queue + task per socket (before)", |b| {
        b.iter(|| {
            ack = ack.wrapping_add(1);
            for tx in &queues {
                let patch = Outbound::Patch {
                    stay: 1,
                    form: PatchForm::Lean,
                    prefix: prefix.clone(),
                    ack,
                };
                tx.try_send(patch).unwrap();
            }
            for _ in 0..MEMBERS {
                done_rx.recv().unwrap();
            }
        })
    });
    group.finish();
}

criterion_group!(benches, fanout);
criterion_main!(benches);
