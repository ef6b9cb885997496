//! Wire messages of protocol version 1 (docs/protocol.md).
//!
//! Client messages are decoded with rmp-serde from an internally tagged map.
//! Server messages whose fields are plain values are encoded the same way;
//! `joined`, `patch` and `event` carry game values that were encoded once per
//! tick, so they are assembled with [`FrameWriter`] around those bytes
//! instead of being decoded and encoded again.
//!
//! ```
//! use parlor::protocol::{ClientMessage, decode_client};
//! let frame = rmp_serde::to_vec_named(&serde_json::json!({"t": "ping", "n": 7})).unwrap();
//! assert!(matches!(decode_client(&frame), Ok(ClientMessage::Ping { n: 7 })));
//! ```

use bytes::Bytes;
use serde::{Deserialize, Serialize};

/// The protocol version this server speaks.
pub const VERSION: u32 = 1;

/// A message from a client, as far as the session needs to understand it.
/// An `input`'s `d` is skipped here and decoded by the room's game.
#[derive(Debug, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
pub enum ClientMessage {
    Hello {
        v: u32,
        #[serde(default)]
        init_data: Option<String>,
        #[serde(default)]
        guest: Option<String>,
        #[serde(default)]
        session: Option<String>,
        /// Extension: receive `p` (compact patches) instead of `patch`.
        #[serde(default)]
        compact: bool,
    },
    Quick {
        game: String,
    },
    Create {
        game: String,
        #[serde(default)]
        private: bool,
    },
    Join {
        room: String,
    },
    Chat {
        game: String,
    },
    Input {
        seq: u32,
        #[allow(dead_code)]
        d: serde::de::IgnoredAny,
    },
    Leave,
    Ping {
        n: u32,
    },
}

/// The typed form of an `input` message, decoded by the room's game type.
#[derive(Debug, Deserialize)]
pub struct InputMessage<I> {
    pub seq: u32,
    pub d: I,
}

/// Decodes one client frame.
pub fn decode_client(frame: &[u8]) -> Result<ClientMessage, String> {
    rmp_serde::from_slice(frame).map_err(|e| e.to_string())
}

/// The `code` of an `error` message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    BadMessage,
    AuthFailed,
    AuthExpired,
    GuestDisabled,
    NoSuchGame,
    NoSuchRoom,
    RoomFull,
    NotInRoom,
    RateLimited,
    Version,
    Internal,
    /// Extension: a game refused an input (the state is unchanged).
    IllegalInput,
    /// Extension: the server holds as many rooms as it is configured for.
    ServerFull,
    /// Extension: a message this server does not offer yet.
    Unsupported,
}

/// One player's line in a `result`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RankLine {
    pub player: String,
    pub name: String,
    pub rank: u32,
    pub score: i64,
}

/// The `player` of a `welcome`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PlayerRef {
    pub id: String,
    pub name: String,
}

/// Server messages made of plain values.
#[derive(Debug, Serialize)]
#[serde(tag = "t", rename_all = "snake_case")]
pub enum ServerMessage<'a> {
    Welcome {
        player: &'a PlayerRef,
        session: &'a str,
        /// Extension: the room whose seat this player still holds from a
        /// dropped connection; a fresh `joined` of it follows.
        room: Option<&'a str>,
    },
    Result {
        #[serde(rename = "match")]
        match_id: &'a str,
        ranking: &'a [RankLine],
    },
    Left {
        reason: &'a str,
    },
    Error {
        code: ErrorCode,
        message: &'a str,
    },
    Pong {
        n: u32,
    },
}

impl ServerMessage<'_> {
    /// The encoded frame.
    pub fn encode(&self) -> Bytes {
        Bytes::from(rmp_serde::to_vec_named(self).expect("server messages serialize"))
    }
}

/// Shorthand for an encoded `error`.
pub fn error_frame(code: ErrorCode, message: &str) -> Bytes {
    ServerMessage::Error { code, message }.encode()
}

/// Appends MessagePack values to a buffer. Writing to a `Vec` cannot fail,
/// so the methods do not return errors.
#[derive(Default)]
pub struct FrameWriter {
    pub buf: Vec<u8>,
}

impl FrameWriter {
    pub fn with_capacity(n: usize) -> Self {
        FrameWriter {
            buf: Vec::with_capacity(n),
        }
    }

    pub fn map(&mut self, len: u32) -> &mut Self {
        let _ = rmp::encode::write_map_len(&mut self.buf, len);
        self
    }

    pub fn array(&mut self, len: u32) -> &mut Self {
        let _ = rmp::encode::write_array_len(&mut self.buf, len);
        self
    }

    pub fn str(&mut self, s: &str) -> &mut Self {
        let _ = rmp::encode::write_str(&mut self.buf, s);
        self
    }

    pub fn uint(&mut self, v: u64) -> &mut Self {
        let _ = rmp::encode::write_uint(&mut self.buf, v);
        self
    }

    pub fn nil(&mut self) -> &mut Self {
        let _ = rmp::encode::write_nil(&mut self.buf);
        self
    }

    /// Appends bytes that already hold one encoded value.
    pub fn raw(&mut self, encoded: &[u8]) -> &mut Self {
        self.buf.extend_from_slice(encoded);
        self
    }

    pub fn finish(self) -> Bytes {
        Bytes::from(self.buf)
    }
}

/// Encodes an `event` message around an already encoded value.
pub fn event_frame(name: &str, data: &[u8]) -> Bytes {
    let mut w = FrameWriter::with_capacity(16 + name.len() + data.len());
    w.map(3).str("t").str("event").str("name").str(name).str("d").raw(data);
    w.finish()
}

/// Completes a shared patch prefix with one client's `ack`: the prefix is
/// encoded once per room per tick and ends right before the `ack` entry.
pub fn patch_with_ack(prefix: &[u8], ack: u32) -> Bytes {
    let mut w = FrameWriter::with_capacity(prefix.len() + 9);
    w.raw(prefix).str("ack").uint(ack as u64);
    w.finish()
}

/// [`patch_with_ack`] for a compact patch (`p`), whose ack key is `a`.
pub fn compact_patch_with_ack(prefix: &[u8], ack: u32) -> Bytes {
    let mut w = FrameWriter::with_capacity(prefix.len() + 7);
    w.raw(prefix).str("a").uint(ack as u64);
    w.finish()
}
