//! The websocket a session reads, over the connection's [`Outlet`].
//!
//! The server answers the upgrade itself (`upgrade_response`) and takes
//! the TCP stream back from hyper (`open`): rooms write patches straight
//! to that stream, which a websocket from axum's extractor would hide.
//! tokio-tungstenite still reads and parses client frames; what it writes
//! itself (pongs, pings, the close) goes through the outlet, in order with
//! what the session and the rooms write.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tungstenite::protocol::{Role, WebSocketConfig};

use crate::room::Outlet;

/// A session's websocket.
pub type Socket = WebSocketStream<OutletIo>;

/// The outlet's socket as tokio-tungstenite's stream: reads from the TCP
/// stream, writes through the outlet.
pub struct OutletIo(Arc<Outlet>);

impl AsyncRead for OutletIo {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let socket = self.0.socket();
        loop {
            ready!(socket.poll_read_ready(cx))?;
            match socket.try_read(buf.initialize_unfilled()) {
                Ok(n) => {
                    buf.advance(n);
                    return Poll::Ready(Ok(()));
                }
                // The readiness was stale; polling again registers for the next.
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }
}

impl AsyncWrite for OutletIo {
    fn poll_write(self: Pin<&mut Self>, _: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Poll::Ready(self.0.write_raw(buf).map(|()| buf.len()))
    }

    /// The session writes the backlog out; nothing is held here.
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    /// The socket closes when the connection drops its outlet.
    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// Why a request to `/ws` is not a websocket upgrade this server takes.
pub struct NotAnUpgrade(StatusCode, &'static str);

impl IntoResponse for NotAnUpgrade {
    fn into_response(self) -> Response {
        (self.0, format!("{}\n", self.1)).into_response()
    }
}

/// The `101 Switching Protocols` answer to a websocket upgrade request
/// (RFC 6455, section 4.2), or why it is not one.
pub fn upgrade_response(headers: &HeaderMap) -> Result<Response, NotAnUpgrade> {
    let has_token = |name: header::HeaderName, token: &str| {
        headers.get_all(name).iter().any(|v| {
            v.to_str()
                .is_ok_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
        })
    };
    if !has_token(header::CONNECTION, "upgrade") || !has_token(header::UPGRADE, "websocket") {
        return Err(NotAnUpgrade(
            StatusCode::UPGRADE_REQUIRED,
            "this is a websocket endpoint: upgrade to websocket",
        ));
    }
    if headers.get(header::SEC_WEBSOCKET_VERSION).map(HeaderValue::as_bytes) != Some(b"13") {
        return Err(NotAnUpgrade(
            StatusCode::BAD_REQUEST,
            "sec-websocket-version must be 13",
        ));
    }
    let Some(key) = headers.get(header::SEC_WEBSOCKET_KEY) else {
        return Err(NotAnUpgrade(StatusCode::BAD_REQUEST, "sec-websocket-key is missing"));
    };
    let accept = tungstenite::handshake::derive_accept_key(key.as_bytes());
    let response = Response::builder()
        .status(StatusCode::SWITCHING_PROTOCOLS)
        .header(header::CONNECTION, "upgrade")
        .header(header::UPGRADE, "websocket")
        .header(header::SEC_WEBSOCKET_ACCEPT, accept)
        .body(Body::empty())
        .map_err(|_| NotAnUpgrade(StatusCode::INTERNAL_SERVER_ERROR, "cannot build the upgrade response"))?;
    Ok(response)
}

/// The websocket and its outlet once hyper has handed the connection over;
/// `None` if the upgrade failed, or the connection is not a plain TCP
/// stream (the server's own listener, or `axum::serve` on a TCP listener,
/// serve the router with one; TLS ends at a proxy in front).
pub async fn open(upgrade: OnUpgrade, config: WebSocketConfig, cap: usize) -> Option<(Socket, Arc<Outlet>)> {
    let upgraded = match upgrade.await {
        Ok(upgraded) => upgraded,
        Err(e) => {
            tracing::debug!(error = %e, "a websocket upgrade did not complete");
            return None;
        }
    };
    let parts = match upgraded.downcast::<TokioIo<TcpStream>>() {
        Ok(parts) => parts,
        Err(_) => {
            tracing::error!("/ws needs the router served over plain TCP streams; this connection is not one");
            return None;
        }
    };
    let outlet = Outlet::new(parts.io.into_inner(), cap);
    // Bytes the client sent right behind its request, which hyper read.
    let early = parts.read_buf.to_vec();
    let socket =
        WebSocketStream::from_partially_read(OutletIo(outlet.clone()), early, Role::Server, Some(config)).await;
    Some((socket, outlet))
}
