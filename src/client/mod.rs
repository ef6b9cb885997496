//! A protocol client over tokio-tungstenite, speaking the same
//! [`crate::protocol`] message types the server does. The tests use it;
//! so can a bot or a tool.
//!
//! ```no_run
//! # async fn example() -> Result<(), parlor::client::ClientError> {
//! use parlor::client::Client;
//! use parlor::protocol::{ClientMessage, ServerMessage};
//! let mut client = Client::connect("ws://127.0.0.1:8080/ws").await?;
//! let rid = client.next_rid();
//! client
//!     .send(&ClientMessage::<()>::Hello { v: 1, init_data: None, guest: Some("Ann".into()), session: None, compact: false, lean: false, rid: Some(rid) })
//!     .await?;
//! let welcome: ServerMessage = client.recv().await?;
//! assert_eq!(welcome.rid(), Some(rid));
//! # Ok(()) }
//! ```

mod mirror;

pub use mirror::Mirror;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::protocol::{ClientMessage, Rid, ServerMessage};

/// How the server ended a connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Closed {
    /// A close frame with this code.
    Code(u16),
    /// The connection ended without a close frame.
    Dropped,
}

/// Why a client call failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("websocket: {0}")]
    Socket(#[from] tungstenite::Error),
    #[error("the server closed the connection: {0:?}")]
    Closed(Closed),
    #[error("a server frame did not decode: {0}")]
    Decode(String),
    #[error("the server sent a text frame")]
    Text,
}

/// One connection to a Parlor server.
pub struct Client {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    rid: u32,
}

impl Client {
    /// Connects to a server's websocket URL (`ws://host:port/ws`).
    pub async fn connect(url: &str) -> Result<Client, ClientError> {
        Self::connect_with(url, WebSocketConfig::default()).await
    }

    /// [`Client::connect`] with websocket settings (e.g. a small read buffer).
    pub async fn connect_with(url: &str, config: WebSocketConfig) -> Result<Client, ClientError> {
        let (ws, _) = tokio_tungstenite::connect_async_with_config(url, Some(config), false).await?;
        Ok(Client { ws, rid: 0 })
    }

    /// A fresh request id.
    pub fn next_rid(&mut self) -> Rid {
        self.rid = self.rid.wrapping_add(1);
        Rid(self.rid)
    }

    /// Sends one message.
    pub async fn send<D: Serialize>(&mut self, message: &ClientMessage<D>) -> Result<(), ClientError> {
        self.send_frame(message.encode()).await
    }

    /// Sends one frame as it is (for frames no well-behaved client sends).
    pub async fn send_frame(&mut self, frame: Vec<u8>) -> Result<(), ClientError> {
        self.ws.send(Message::Binary(frame.into())).await?;
        Ok(())
    }

    /// Queues a frame without flushing; [`Client::flush`] sends what is queued.
    pub async fn feed_frame(&mut self, frame: Vec<u8>) -> Result<(), ClientError> {
        self.ws.feed(Message::Binary(frame.into())).await?;
        Ok(())
    }

    /// Sends the frames queued by [`Client::feed_frame`] in one write.
    pub async fn flush(&mut self) -> Result<(), ClientError> {
        self.ws.flush().await?;
        Ok(())
    }

    /// Sends any websocket message (a text frame, a ping, a close).
    pub async fn send_message(&mut self, message: Message) -> Result<(), ClientError> {
        self.ws.send(message).await?;
        Ok(())
    }

    /// The next binary frame from the server.
    pub async fn recv_frame(&mut self) -> Result<Bytes, ClientError> {
        loop {
            match self.ws.next().await {
                Some(Ok(Message::Binary(frame))) => return Ok(frame),
                Some(Ok(Message::Close(frame))) => {
                    let closed = frame.map_or(Closed::Dropped, |f| Closed::Code(f.code.into()));
                    return Err(ClientError::Closed(closed));
                }
                Some(Ok(Message::Text(_))) => return Err(ClientError::Text),
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return Err(ClientError::Closed(Closed::Dropped)),
            }
        }
    }

    /// The next message from the server, game values as `V`.
    pub async fn recv<V: DeserializeOwned>(&mut self) -> Result<ServerMessage<V>, ClientError> {
        let frame = self.recv_frame().await?;
        ServerMessage::decode(&frame).map_err(ClientError::Decode)
    }

    /// Closes the connection (a close frame, then the end of the stream).
    pub async fn close(&mut self) {
        let _ = self.ws.close(None).await;
    }

    /// Wraps a websocket that is already open (one connected over a socket
    /// set up by hand, e.g. with a small receive buffer).
    pub fn from_socket(ws: WebSocketStream<MaybeTlsStream<TcpStream>>) -> Client {
        Client { ws, rid: 0 }
    }
}
