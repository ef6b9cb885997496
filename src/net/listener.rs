//! The accept loop. Every TCP connection is counted against its address
//! before a byte of HTTP is read, and HTTP/1 gets a deadline for each
//! request's headers that also ends idle keep-alive connections: neither
//! is available through `axum::serve`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper::Request;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tower::ServiceExt;

use super::{AppState, ConnectionLimiter, ConnectionSlot};

/// What a connection over the per-address limit is told before it closes.
const TOO_MANY: &[u8] = b"HTTP/1.1 429 Too Many Requests\r\ncontent-type: text/plain\r\ncontent-length: 44\r\nconnection: close\r\n\r\ntoo many connections from this address now\r\n";

/// The TCP connection a request came over, counted against its address
/// (or exempt). A websocket takes a clone so the count lasts as long as
/// the socket, not just the HTTP exchange that upgraded it.
#[derive(Clone)]
pub struct TcpSlot(pub Arc<ConnectionSlot>);

/// Accepts connections until `stop` resolves, then lets each finish its
/// request in flight (websockets stop through the lifecycle).
pub(super) async fn serve(listener: TcpListener, app: Router, state: AppState) {
    let stop = state.lifecycle.stopping();
    tokio::pin!(stop);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut stop => return,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of file descriptors, mostly: back off instead of
                // spinning on the error.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Some(slot) = count(&state, peer) else {
            state.metrics.refused(crate::metrics::Limit::PerAddress);
            // Best effort: the refusal fits in the socket buffer of a new
            // connection, and nothing waits on a peer that does not read.
            let _ = stream.try_write(TOO_MANY);
            continue;
        };
        tokio::spawn(connection(stream, peer, slot, app.clone(), state.clone()));
    }
}

/// The slot for a new connection from `peer`, or `None` over the limit. A
/// trusted proxy's connections are not counted here: its clients are,
/// one by one, when they open websockets.
fn count(state: &AppState, peer: SocketAddr) -> Option<ConnectionSlot> {
    let ip = peer.ip();
    if state.config.proxy.trusts(ip) || !state.counts(ip) {
        return Some(ConnectionSlot::uncounted());
    }
    ConnectionLimiter::acquire(&state.connections, ip)
}

/// Serves HTTP/1 on one connection until it closes or upgrades.
async fn connection(stream: TcpStream, peer: SocketAddr, slot: ConnectionSlot, app: Router, state: AppState) {
    let _alive = state.lifecycle.guard();
    // Game frames are small and latency-bound: no Nagle delay.
    let _ = stream.set_nodelay(true);
    let slot = TcpSlot(Arc::new(slot));
    let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
        request.extensions_mut().insert(ConnectInfo(peer));
        request.extensions_mut().insert(slot.clone());
        app.clone().oneshot(request)
    });
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(state.config.limits.http_header_timeout());
    let served = http.serve_connection(TokioIo::new(stream), service).with_upgrades();
    tokio::pin!(served);
    let stop = state.lifecycle.stopping();
    tokio::pin!(stop);
    tokio::select! {
        result = &mut served => log_end(&state, result),
        () = &mut stop => {
            // Finish the request in flight, then close.
            served.as_mut().graceful_shutdown();
            log_end(&state, served.await);
        }
    }
    // The socket closes when `served` drops, after the count above.
}

fn log_end(state: &AppState, result: Result<(), hyper::Error>) {
    if let Err(e) = result {
        if e.is_timeout() {
            state.metrics.kick(crate::metrics::Kick::HttpHeaderTimeout);
        }
        // Timeouts and resets are what the open internet does.
        tracing::debug!(error = %e, "an HTTP connection ended with an error");
    }
}
