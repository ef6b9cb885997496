//! Wire messages of protocol version 1 (docs/protocol.md), one `serde`
//! definition each, used by the server and by [`crate::client`] alike.
//!
//! Every frame is one MessagePack map tagged by `t`. [`ClientMessage`] is
//! what clients send; [`ServerMessage`] is what the server sends, in the
//! form a client decodes it. The server writes its frames through
//! [`frames`], the one place that assembles them: the plain ones by
//! serializing these types, and `joined`, `patch`, `p` and `event` around
//! game values that were encoded once per tick. A unit test decodes every
//! frame [`frames`] writes as a [`ServerMessage`], so the two cannot drift.
//!
//! Protocol 1.1 adds request ids: a request may carry `rid`, and the reply
//! to it (and only the reply) echoes it. A client that sends none sees
//! protocol 1.0 exactly.
//!
//! ```
//! use parlor::protocol::{ClientMessage, Rid};
//! let ping: ClientMessage<()> = ClientMessage::Ping { n: 7, rid: Some(Rid(3)) };
//! let frame = ping.encode();
//! let back: ClientMessage<()> = ClientMessage::decode(&frame).unwrap();
//! assert_eq!(back, ping);
//! ```

pub mod frames;

use serde::de::{DeserializeOwned, IgnoredAny};
use serde::{Deserialize, Serialize};

pub use frames::FrameWriter;

/// The protocol version `hello.v` carries.
pub const VERSION: u32 = 1;
/// The server's default inbound frame limit, in bytes (`limits.max_frame_bytes`).
pub const DEFAULT_MAX_FRAME_BYTES: usize = 16 * 1024;
/// The websocket close code of a connection whose session a newer
/// connection took over (one connection per session); a client should not
/// reconnect on its own after it.
pub const CLOSE_SESSION_REPLACED: u16 = 4001;
/// How deeply maps and arrays may nest in a client frame (the frame's own
/// map is level 1). Far more than any message needs; rmp_serde's own limit,
/// 1024, let a 1 KiB frame overflow a 2 MiB thread stack in a debug build,
/// which aborts the whole server (found by the client_message fuzz target).
pub const MAX_CLIENT_DEPTH: usize = 32;

/// The name a replicated type has in `joined.schema`: its Rust name
/// without module path or generic arguments (`Board` for
/// `my_game::Board`, `Inputs` for `Inputs<Move>`).
pub fn wire_name<T>() -> &'static str {
    let full = std::any::type_name::<T>();
    let base = full.split('<').next().unwrap_or(full);
    base.rsplit("::").next().unwrap_or(base)
}
/// rmp_serde's setting for [`MAX_CLIENT_DEPTH`]: it refuses a value at its
/// limit, not beyond it.
const RMP_DEPTH: usize = MAX_CLIENT_DEPTH + 1;

/// A request id (protocol 1.1): any u32 the client picks, echoed on the
/// reply to that request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Rid(pub u32);

/// A message from a client. `D` is the type of an `input`'s `d`: the
/// room's game input on the server, whatever the client serializes on a
/// client, and [`IgnoredAny`] where only the envelope matters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
pub enum ClientMessage<D = IgnoredAny> {
    /// Sign in; exactly one of `init_data`, `guest`, `session`.
    Hello {
        v: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        init_data: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        guest: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        session: Option<String>,
        /// Extension: receive `p` (compact patches) instead of `patch`.
        #[serde(default, skip_serializing_if = "is_false")]
        compact: bool,
        /// Extension, with `compact`: lean `p`, without what the client
        /// can derive ([`PatchForm::Lean`]).
        #[serde(default, skip_serializing_if = "is_false")]
        lean: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rid: Option<Rid>,
    },
    /// A public room of `game` with a free seat, or a new one.
    Quick {
        game: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rid: Option<Rid>,
    },
    /// A new room of `game`.
    Create {
        game: String,
        #[serde(default)]
        private: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rid: Option<Rid>,
    },
    /// The room with this code.
    Join {
        room: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rid: Option<Rid>,
    },
    /// The room of `game` for the chat the Mini App was opened from.
    Chat {
        game: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rid: Option<Rid>,
    },
    /// Extension: watch a room without a seat, by its code (a private
    /// room's invite) in `room`, or the room of `game` for the chat the
    /// Mini App was opened from; or a recorded match played back, by its
    /// id in `replay`.
    Watch {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        room: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        game: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        replay: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rid: Option<Rid>,
    },
    /// A player input for the next tick.
    Input {
        seq: u32,
        d: D,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rid: Option<Rid>,
    },
    /// Leave the room.
    Leave {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rid: Option<Rid>,
    },
    /// Latency probe.
    Ping {
        n: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rid: Option<Rid>,
    },
}

/// Which patch message a client asked for in `hello` (docs/protocol.md,
/// "Compact patches").
///
/// ```
/// use parlor::protocol::PatchForm;
/// assert_eq!(PatchForm::asked(true, true), PatchForm::Lean);
/// assert_eq!(PatchForm::asked(false, true), PatchForm::Patch);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PatchForm {
    /// `patch`, as protocol v1 says.
    #[default]
    Patch,
    /// `p` (`hello.compact`): the same changes in fewer bytes.
    Compact,
    /// `p` without what the client can derive (`hello.compact` and
    /// `hello.lean`): no `k` (each is one tick after the message before
    /// it), `a` only when it changed, a float that holds a whole number
    /// written as an integer, and a struct value whose fields partly
    /// changed written as those fields only.
    Lean,
}

impl PatchForm {
    /// The form a `hello` with these flags asks for: `lean` only counts
    /// with `compact`.
    pub fn asked(compact: bool, lean: bool) -> PatchForm {
        match (compact, lean) {
            (false, _) => PatchForm::Patch,
            (true, false) => PatchForm::Compact,
            (true, true) => PatchForm::Lean,
        }
    }
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl<D> ClientMessage<D> {
    /// The request id the message carries, if any.
    pub fn rid(&self) -> Option<Rid> {
        match self {
            ClientMessage::Hello { rid, .. }
            | ClientMessage::Quick { rid, .. }
            | ClientMessage::Create { rid, .. }
            | ClientMessage::Join { rid, .. }
            | ClientMessage::Chat { rid, .. }
            | ClientMessage::Watch { rid, .. }
            | ClientMessage::Input { rid, .. }
            | ClientMessage::Leave { rid }
            | ClientMessage::Ping { rid, .. } => *rid,
        }
    }
}

impl<D> ClientMessage<D> {
    /// `hello` as guest `name`, asking for lean compact patches as the
    /// JavaScript SDK does. (Fields added to `Hello` later keep this
    /// working, where a struct literal would stop compiling.)
    ///
    /// ```
    /// use parlor::protocol::ClientMessage;
    /// let hello = ClientMessage::<()>::guest_hello("Ann");
    /// assert!(matches!(hello, ClientMessage::Hello { compact: true, lean: true, .. }));
    /// ```
    pub fn guest_hello(name: impl Into<String>) -> Self {
        ClientMessage::hello(Some(name.into()), None, PatchForm::Lean)
    }

    /// `hello` as `guest`, or resuming `session`, asking for patches in
    /// `form` (the flags [`PatchForm::asked`] reads back).
    ///
    /// ```
    /// use parlor::protocol::{ClientMessage, PatchForm};
    /// let hello = ClientMessage::<()>::hello(None, Some("token".into()), PatchForm::Compact);
    /// assert!(matches!(hello, ClientMessage::Hello { compact: true, lean: false, .. }));
    /// ```
    pub fn hello(guest: Option<String>, session: Option<String>, form: PatchForm) -> Self {
        ClientMessage::Hello {
            v: VERSION,
            init_data: None,
            guest,
            session,
            compact: form != PatchForm::Patch,
            lean: form == PatchForm::Lean,
            rid: None,
        }
    }

    /// The same message with an `input`'s `d` turned by `f`.
    pub fn map_input<E>(self, f: impl FnOnce(D) -> E) -> ClientMessage<E> {
        match self {
            ClientMessage::Input { seq, d, rid } => ClientMessage::Input { seq, d: f(d), rid },
            ClientMessage::Hello {
                v,
                init_data,
                guest,
                session,
                compact,
                lean,
                rid,
            } => ClientMessage::Hello {
                v,
                init_data,
                guest,
                session,
                compact,
                lean,
                rid,
            },
            ClientMessage::Quick { game, rid } => ClientMessage::Quick { game, rid },
            ClientMessage::Create { game, private, rid } => ClientMessage::Create { game, private, rid },
            ClientMessage::Join { room, rid } => ClientMessage::Join { room, rid },
            ClientMessage::Chat { game, rid } => ClientMessage::Chat { game, rid },
            ClientMessage::Watch {
                room,
                game,
                replay,
                rid,
            } => ClientMessage::Watch {
                room,
                game,
                replay,
                rid,
            },
            ClientMessage::Leave { rid } => ClientMessage::Leave { rid },
            ClientMessage::Ping { n, rid } => ClientMessage::Ping { n, rid },
        }
    }
}

impl<D: Serialize> ClientMessage<D> {
    /// The encoded frame.
    pub fn encode(&self) -> Vec<u8> {
        rmp_serde::to_vec_named(self).expect("client messages serialize")
    }
}

impl<D: DeserializeOwned> ClientMessage<D> {
    /// Decodes one client frame, `input.d` as a `D`. Strict: the frame is
    /// exactly one MessagePack map whose `t` is a string, with nothing after
    /// it (serde alone would take a top-level array, `t` as a variant
    /// number, and ignore trailing bytes), nested at most
    /// [`MAX_CLIENT_DEPTH`] deep.
    pub fn decode(frame: &[u8]) -> Result<Self, String> {
        check_envelope(frame)?;
        let mut rest = frame;
        let message = {
            let mut de = rmp_serde::Deserializer::new(&mut rest);
            de.set_max_depth(RMP_DEPTH);
            Self::deserialize(&mut de).map_err(|e| e.to_string())?
        };
        if !rest.is_empty() {
            return Err(format!(
                "{} bytes after the message; a frame holds one message",
                rest.len()
            ));
        }
        Ok(message)
    }
}

/// The `t` of a frame, for [`check_envelope`].
#[derive(Deserialize)]
struct Tag<'a> {
    #[serde(borrow)]
    t: Option<&'a str>,
}

/// Refuses a frame that is not a map, or whose `t` is missing or not a
/// string.
fn check_envelope(frame: &[u8]) -> Result<(), String> {
    let is_map = matches!(frame.first(), Some(0x80..=0x8f | 0xde | 0xdf));
    if !is_map {
        return Err("a message must be a MessagePack map".into());
    }
    let mut de = rmp_serde::Deserializer::from_read_ref(frame);
    de.set_max_depth(RMP_DEPTH);
    match Tag::deserialize(&mut de) {
        Ok(Tag { t: Some(_) }) => Ok(()),
        Ok(Tag { t: None }) => Err("a message needs `t`, its type".into()),
        Err(rmp_serde::decode::Error::DepthLimitExceeded) => Err(format!(
            "the message nests deeper than {MAX_CLIENT_DEPTH} maps and arrays"
        )),
        Err(_) => Err("`t` must be a string naming the message's type".into()),
    }
}

/// The `code` of an `error` message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
    /// Extension: a spectator sent an input.
    Spectator,
}

impl ErrorCode {
    /// Every code, in the order docs/protocol.md lists them.
    pub const ALL: [ErrorCode; 15] = [
        ErrorCode::BadMessage,
        ErrorCode::AuthFailed,
        ErrorCode::AuthExpired,
        ErrorCode::GuestDisabled,
        ErrorCode::NoSuchGame,
        ErrorCode::NoSuchRoom,
        ErrorCode::RoomFull,
        ErrorCode::NotInRoom,
        ErrorCode::RateLimited,
        ErrorCode::Version,
        ErrorCode::Internal,
        ErrorCode::IllegalInput,
        ErrorCode::ServerFull,
        ErrorCode::Unsupported,
        ErrorCode::Spectator,
    ];

    /// The code as it travels.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadMessage => "bad_message",
            ErrorCode::AuthFailed => "auth_failed",
            ErrorCode::AuthExpired => "auth_expired",
            ErrorCode::GuestDisabled => "guest_disabled",
            ErrorCode::NoSuchGame => "no_such_game",
            ErrorCode::NoSuchRoom => "no_such_room",
            ErrorCode::RoomFull => "room_full",
            ErrorCode::NotInRoom => "not_in_room",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::Version => "version",
            ErrorCode::Internal => "internal",
            ErrorCode::IllegalInput => "illegal_input",
            ErrorCode::ServerFull => "server_full",
            ErrorCode::Unsupported => "unsupported",
            ErrorCode::Spectator => "spectator",
        }
    }
}

/// Why a client is no longer in a room (`left.reason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeftReason {
    /// The client asked (`leave`).
    Leave,
    /// The match ended and the room closed (right after `result`).
    Finished,
    /// The game failed, or the result could not be recorded.
    Error,
    /// The same player joined the room from another connection.
    Replaced,
    /// The held seat was released before the player came back.
    Expired,
    /// The server is stopping; the socket closes next (1001).
    Shutdown,
}

impl LeftReason {
    /// Every reason.
    pub const ALL: [LeftReason; 6] = [
        LeftReason::Leave,
        LeftReason::Finished,
        LeftReason::Error,
        LeftReason::Replaced,
        LeftReason::Expired,
        LeftReason::Shutdown,
    ];

    /// The reason as it travels.
    pub fn as_str(self) -> &'static str {
        match self {
            LeftReason::Leave => "leave",
            LeftReason::Finished => "finished",
            LeftReason::Error => "error",
            LeftReason::Replaced => "replaced",
            LeftReason::Expired => "expired",
            LeftReason::Shutdown => "shutdown",
        }
    }
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

/// A game value as a client decodes it without knowing the game's types.
pub type Value = serde_json::Value;

/// One `schema` entry: a type's name and, for a struct, its field names.
pub type SchemaEntry = (String, Option<Vec<String>>);

/// The `state` of a `joined`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoomState<V = Value> {
    /// `[entity id, [[type index, value], ...]]` for every replicated entity.
    pub e: Vec<(u64, Vec<(u16, V)>)>,
    /// `[type index, value]` for every replicated resource.
    pub r: Vec<(u16, V)>,
}

/// A message from the server, as a client decodes it. The server writes
/// these through [`frames`]; `V` is how a client holds game values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case", bound(deserialize = "V: Deserialize<'de>"))]
pub enum ServerMessage<V = Value> {
    /// Signed in.
    Welcome {
        player: PlayerRef,
        session: String,
        /// Extension: the room whose seat this player still holds from a
        /// dropped connection; a fresh `joined` of it follows.
        #[serde(default)]
        room: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rid: Option<Rid>,
    },
    /// The full state of the room just entered (or a resync).
    Joined {
        room: String,
        /// Extension (1.1): a private room's invite, `CODE-SECRET`, the
        /// only thing that joins it by code.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        invite: Option<String>,
        game: String,
        /// This player's entity; nil for a spectator.
        you: Option<u64>,
        /// Extension: the client watches (`watch`) and has no seat.
        #[serde(default, skip_serializing_if = "is_false")]
        watching: bool,
        /// Extension: SHA-256 of the running match's seed, hex.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        fair: Option<String>,
        tick: u64,
        schema: Vec<SchemaEntry>,
        state: RoomState<V>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rid: Option<Rid>,
    },
    /// Changes since the previous patch.
    Patch {
        tick: u64,
        ch: Vec<(u64, Vec<(u16, V)>)>,
        rm: Vec<(u64, Vec<u16>)>,
        gone: Vec<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        r: Option<Vec<(u16, V)>>,
        ack: u32,
    },
    /// Extension: a compact patch (docs/protocol.md); the lists are flat.
    #[serde(rename = "p")]
    CompactPatch {
        /// The tick; absent in a lean `p`, whose tick is one more than
        /// that of the `joined` or `p` before it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        k: Option<u64>,
        #[serde(default = "Vec::new", skip_serializing_if = "Vec::is_empty")]
        c: Vec<V>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        m: Vec<u64>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        g: Vec<u64>,
        #[serde(default = "Vec::new", skip_serializing_if = "Vec::is_empty")]
        r: Vec<V>,
        /// The ack; a lean `p` carries it only when it changed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        a: Option<u32>,
    },
    /// A one-off game event.
    Event { name: String, d: V },
    /// The match ended and is recorded.
    Result {
        #[serde(rename = "match")]
        match_id: String,
        ranking: Vec<RankLine>,
        /// Extension: the server stopped the match before its end
        /// (`[shutdown]` grace); everyone seated is ranked level.
        #[serde(default, skip_serializing_if = "is_false")]
        aborted: bool,
        /// Extension: the match's seed, hex; its SHA-256 was sent before
        /// the match (`joined.fair`, `fair`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        seed: Option<String>,
    },
    /// Extension: a new match begins in a continuous room; `commit` is the
    /// SHA-256 of its seed, hex.
    Fair { commit: String },
    /// The client is no longer in a room.
    Left {
        reason: LeftReason,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rid: Option<Rid>,
    },
    /// The room lives on another node: connect to `url` and `join` `room`
    /// (or, for a held seat, sign in there with the session token).
    Redirect {
        url: String,
        room: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rid: Option<Rid>,
    },
    /// A request was refused, or something went wrong.
    Error {
        code: ErrorCode,
        message: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rid: Option<Rid>,
    },
    /// The answer to `ping`.
    Pong {
        n: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rid: Option<Rid>,
    },
}

impl<V: DeserializeOwned> ServerMessage<V> {
    /// Decodes one server frame.
    pub fn decode(frame: &[u8]) -> Result<Self, String> {
        rmp_serde::from_slice(frame).map_err(|e| e.to_string())
    }
}

impl<V> ServerMessage<V> {
    /// The request id this message answers, if it is a reply.
    pub fn rid(&self) -> Option<Rid> {
        match self {
            ServerMessage::Welcome { rid, .. }
            | ServerMessage::Joined { rid, .. }
            | ServerMessage::Left { rid, .. }
            | ServerMessage::Error { rid, .. }
            | ServerMessage::Pong { rid, .. } => *rid,
            _ => None,
        }
    }

    /// The message's `t`.
    pub fn kind(&self) -> &'static str {
        match self {
            ServerMessage::Welcome { .. } => "welcome",
            ServerMessage::Joined { .. } => "joined",
            ServerMessage::Patch { .. } => "patch",
            ServerMessage::CompactPatch { .. } => "p",
            ServerMessage::Event { .. } => "event",
            ServerMessage::Result { .. } => "result",
            ServerMessage::Fair { .. } => "fair",
            ServerMessage::Left { .. } => "left",
            ServerMessage::Redirect { .. } => "redirect",
            ServerMessage::Error { .. } => "error",
            ServerMessage::Pong { .. } => "pong",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_reasons_travel_as_their_names() {
        for code in ErrorCode::ALL {
            let encoded = serde_json::to_value(code).unwrap();
            assert_eq!(encoded, code.as_str());
        }
        for reason in LeftReason::ALL {
            assert_eq!(serde_json::to_value(reason).unwrap(), reason.as_str());
        }
    }

    #[test]
    fn a_v1_client_message_without_rid_decodes_and_encodes_without_one() {
        let v1 = rmp_serde::to_vec_named(&serde_json::json!({"t": "join", "room": "ABCDEF"})).unwrap();
        let message: ClientMessage<Value> = ClientMessage::decode(&v1).unwrap();
        assert_eq!(message.rid(), None);
        assert_eq!(ClientMessage::<Value>::decode(&message.encode()).unwrap(), message);
        let leave = rmp_serde::to_vec_named(&serde_json::json!({"t": "leave"})).unwrap();
        assert!(matches!(
            ClientMessage::<IgnoredAny>::decode(&leave),
            Ok(ClientMessage::Leave { rid: None })
        ));
    }

    #[test]
    fn decoding_is_strict_about_the_envelope() {
        let encode = |v: serde_json::Value| rmp_serde::to_vec_named(&v).unwrap();
        let decode = |frame: &[u8]| ClientMessage::<IgnoredAny>::decode(frame);
        assert!(decode(&encode(serde_json::json!({"t": "ping", "n": 1}))).is_ok());
        // A top-level array in field order (what serde would accept).
        let array = rmp_serde::to_vec(&("ping", 1)).unwrap();
        assert!(decode(&array).unwrap_err().contains("map"));
        // `t` as the variant's number.
        assert!(decode(&encode(serde_json::json!({"t": 7, "n": 1})))
            .unwrap_err()
            .contains("`t`"));
        assert!(decode(&encode(serde_json::json!({"n": 1})))
            .unwrap_err()
            .contains("`t`"));
        // A second value after the first.
        let mut two = encode(serde_json::json!({"t": "ping", "n": 1}));
        two.push(0xc0);
        assert!(decode(&two).unwrap_err().contains("after the message"));
        assert!(decode(&[]).is_err());
    }

    #[test]
    fn a_frame_may_nest_only_so_deep() {
        // `{"t": "input", "seq": 1, "d": [[...[1]...]]}`, the frame at level 1.
        let nested = |levels: usize| {
            let mut d = serde_json::json!(1);
            for _ in 0..levels - 1 {
                d = serde_json::json!([d]);
            }
            rmp_serde::to_vec_named(&serde_json::json!({"t": "input", "seq": 1, "d": d})).unwrap()
        };
        let deepest = nested(MAX_CLIENT_DEPTH);
        assert!(ClientMessage::<Value>::decode(&deepest).is_ok());
        let deeper = nested(MAX_CLIENT_DEPTH + 1);
        let error = ClientMessage::<IgnoredAny>::decode(&deeper).unwrap_err();
        assert!(error.contains("deeper than 32"), "{error}");
        // Deeper than rmp_serde's own limit, in 1 KiB: refused, not a crash.
        let mut frame = rmp_serde::to_vec_named(&serde_json::json!({"t": "ping", "n": 1})).unwrap();
        frame[0] += 1;
        frame.extend(rmp_serde::to_vec("x").unwrap());
        frame.extend(std::iter::repeat_n(0x91, 1000));
        frame.push(0xc0);
        assert!(ClientMessage::<Value>::decode(&frame).is_err());
    }

    #[test]
    fn input_d_decodes_as_the_type_asked_for() {
        #[derive(Debug, Serialize, Deserialize, PartialEq)]
        struct Steer {
            dx: f32,
        }
        let frame = ClientMessage::Input {
            seq: 4,
            d: Steer { dx: 0.5 },
            rid: None,
        }
        .encode();
        let typed: ClientMessage<Steer> = ClientMessage::decode(&frame).unwrap();
        assert!(matches!(typed, ClientMessage::Input { seq: 4, d: Steer { dx }, .. } if dx == 0.5));
        let wrong = ClientMessage::<u8>::decode(&frame);
        assert!(wrong.is_err());
        assert!(ClientMessage::<IgnoredAny>::decode(&frame).is_ok());
    }
}
