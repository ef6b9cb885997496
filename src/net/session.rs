//! One websocket connection: authentication, room requests, inputs, and
//! the writing of everything the rooms queue for this client.
//!
//! A connection that drops while its player is in a room does not leave
//! it: the room holds the seat for the game's reconnection grace, and a
//! `hello` with the `session` token from `welcome` takes it back.

use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use tokio::sync::{mpsc, Notify};
use tokio::time::sleep;

use super::{AppState, ConnectionSlot};
use crate::auth::SessionClaims;
use crate::matchmaking::{is_room_code, random_code, Matchmaker};
use crate::protocol::{
    compact_patch_with_ack, decode_client, error_frame, patch_with_ack, ClientMessage, ErrorCode, PlayerRef,
    ServerMessage, VERSION,
};
use crate::room::{ClientHandle, Directory, Outbound, PlayerInfo, RoomHandle};

/// Close codes this server uses.
mod close {
    pub const POLICY: u16 = 1008;
    pub const UNSUPPORTED_DATA: u16 = 1003;
    pub const TOO_BIG: u16 = 1009;
}

/// Longest guest display name, in characters.
pub const MAX_NAME_CHARS: usize = 32;
/// Frames written before one flush: batches a burst into few syscalls.
const WRITE_BATCH: usize = 32;

/// What the reader decided about the connection.
enum Next {
    Continue,
    Close(u16, &'static str),
}

/// Longest `chat_instance` kept for `chat`; Telegram's are far shorter.
const MAX_CHAT_INSTANCE_CHARS: usize = 128;

/// The state of one connection.
struct Session {
    state: AppState,
    client: ClientHandle,
    player: Option<PlayerInfo>,
    /// The chat the Mini App was opened from, for `chat`.
    chat_instance: Option<String>,
    room: Option<RoomHandle>,
    inputs: InputBudget,
    bad_messages: u32,
}

/// A token bucket of inputs: holds one second's worth of the room's
/// `input_rate`, refilled continuously.
struct InputBudget {
    rate: f64,
    tokens: f64,
    updated: Instant,
    /// When the client was last told it is over the rate; it is told at
    /// most once a second, so a flood does not become a flood of errors.
    warned: Option<Instant>,
}

impl InputBudget {
    fn new(rate: u32) -> InputBudget {
        InputBudget {
            rate: rate as f64,
            tokens: rate as f64,
            updated: Instant::now(),
            warned: None,
        }
    }

    /// Takes one input's token; false if there is none.
    fn take(&mut self) -> bool {
        let now = Instant::now();
        let refill = now.duration_since(self.updated).as_secs_f64() * self.rate;
        self.tokens = (self.tokens + refill).min(self.rate);
        self.updated = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// Whether a dropped input should be reported now.
    fn should_warn(&mut self) -> bool {
        let now = Instant::now();
        if self.warned.is_some_and(|at| now.duration_since(at).as_secs() < 1) {
            return false;
        }
        self.warned = Some(now);
        true
    }
}

fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// Serves one upgraded websocket until it closes. `_slot` counts the
/// connection against its IP address's limit until it is dropped.
pub async fn run(mut socket: WebSocket, state: AppState, _slot: ConnectionSlot) {
    let limits = state.config.limits.clone();
    let (tx, mut outbound) = mpsc::channel(limits.outbound_queue);
    let kick = Arc::new(Notify::new());
    let mut session = Session {
        state,
        client: ClientHandle {
            tx,
            kick: kick.clone(),
            stay: 0,
            compact: false,
        },
        player: None,
        chat_instance: None,
        room: None,
        inputs: InputBudget::new(1),
        bad_messages: 0,
    };
    let hello_deadline = sleep(limits.hello_timeout());
    tokio::pin!(hello_deadline);
    // Registered once: re-creating it every pass of the loop showed up in
    // profiles (a kick happens at most once, then the connection closes).
    let kicked = kick.notified();
    tokio::pin!(kicked);

    let closing = loop {
        tokio::select! {
            _ = &mut kicked => break Some((close::POLICY, "too far behind")),
            Some(first) = outbound.recv() => {
                // Write what is queued, then flush once.
                let mut next = Some(first);
                let mut written = 0;
                while let Some(item) = next.take() {
                    if let Some(frame) = session.outbound_frame(item) {
                        if socket.feed(Message::Binary(frame)).await.is_err() {
                            break;
                        }
                    }
                    written += 1;
                    if written < WRITE_BATCH {
                        next = outbound.try_recv().ok();
                    }
                }
                if socket.flush().await.is_err() {
                    break None;
                }
            }
            message = socket.next() => match message {
                None => break None,
                Some(Err(error)) => break read_error(error),
                Some(Ok(Message::Binary(frame))) => {
                    if let Next::Close(code, reason) = session.on_frame(&frame).await {
                        // Let the error that explains the close go out first.
                        while let Ok(item) = outbound.try_recv() {
                            if let Some(frame) = session.outbound_frame(item) {
                                let _ = socket.feed(Message::Binary(frame)).await;
                            }
                        }
                        break Some((code, reason));
                    }
                }
                Some(Ok(Message::Text(_))) => break Some((close::UNSUPPORTED_DATA, "text frames are not part of the protocol; send binary MessagePack")),
                Some(Ok(Message::Close(_))) => break None,
                Some(Ok(_)) => {} // ping/pong: tungstenite answers pings itself
            },
            _ = &mut hello_deadline, if session.player.is_none() => break Some((close::POLICY, "no hello in time")),
        }
    };
    if let Some((code, reason)) = closing {
        let _ = socket
            .send(Message::Close(Some(CloseFrame {
                code,
                reason: reason.into(),
            })))
            .await;
    }
    session.disconnected();
}

/// The close to send after a read error: 1009 for an oversize message.
fn read_error(error: axum::Error) -> Option<(u16, &'static str)> {
    match error.into_inner().downcast::<tungstenite::Error>() {
        Ok(e) if matches!(*e, tungstenite::Error::Capacity(_)) => Some((close::TOO_BIG, "message too big")),
        _ => None,
    }
}

impl Session {
    /// Turns a queued item into a frame, or `None` if it is stale.
    fn outbound_frame(&mut self, item: Outbound) -> Option<Bytes> {
        match item {
            Outbound::Frame(frame) => Some(frame),
            Outbound::RoomFrame { stay, frame } => self.in_stay(stay).then_some(frame),
            Outbound::Patch {
                stay,
                compact,
                prefix,
                ack,
            } => self.in_stay(stay).then(|| match compact {
                true => compact_patch_with_ack(&prefix, ack),
                false => patch_with_ack(&prefix, ack),
            }),
            Outbound::Left { stay, reason } => {
                // A room this client already left says nothing more to it.
                if self.in_stay(stay) {
                    self.room = None;
                    Some(ServerMessage::Left { reason }.encode())
                } else {
                    None
                }
            }
        }
    }

    /// Whether this client is still in the room it entered as `stay`.
    fn in_stay(&self, stay: u16) -> bool {
        self.room.is_some() && self.client.stay == stay
    }

    /// A handle for the room about to be entered: a new stay, so frames
    /// still queued by the room left before are recognised and dropped.
    fn next_stay(&mut self) -> ClientHandle {
        self.client.stay = self.client.stay.wrapping_add(1);
        self.client.clone()
    }

    fn send(&self, frame: Bytes) {
        // Replies share the bounded queue; under overload they are dropped
        // like patches, and the client is resynced by its room.
        let _ = self.client.tx.try_send(Outbound::Frame(frame));
    }

    fn error(&self, code: ErrorCode, message: &str) -> Next {
        self.send(error_frame(code, message));
        Next::Continue
    }

    fn bad_message(&mut self, message: &str) -> Next {
        self.bad_messages += 1;
        self.send(error_frame(ErrorCode::BadMessage, message));
        if self.bad_messages > self.state.config.limits.max_bad_messages {
            Next::Close(close::POLICY, "too many bad messages")
        } else {
            Next::Continue
        }
    }

    async fn on_frame(&mut self, frame: &[u8]) -> Next {
        let message = match decode_client(frame) {
            Ok(message) => message,
            Err(e) => return self.bad_message(&format!("undecodable message: {e}")),
        };
        let Some(player) = self.player.clone() else {
            return match message {
                ClientMessage::Hello {
                    v,
                    init_data,
                    guest,
                    session,
                    compact,
                } => {
                    self.client.compact = compact;
                    self.hello(v, init_data, guest, session).await
                }
                _ => self.bad_message("the first message must be hello"),
            };
        };
        match message {
            ClientMessage::Hello { .. } => self.bad_message("hello was already sent on this connection"),
            ClientMessage::Quick { game } => self.enter(player, Request::Quick(game)).await,
            ClientMessage::Create { game, private } => self.enter(player, Request::Create(game, private)).await,
            ClientMessage::Join { room } => self.enter(player, Request::Join(room)).await,
            ClientMessage::Chat { game } => match self.chat_instance.clone() {
                Some(chat) => self.enter(player, Request::Chat(game, chat)).await,
                None => self.error(
                    ErrorCode::NoSuchRoom,
                    "chat needs Telegram sign-in from a Mini App opened in a chat (init_data with chat_instance)",
                ),
            },
            ClientMessage::Input { seq, .. } => {
                if self.room.is_none() {
                    return self.error(ErrorCode::NotInRoom, "input outside a room");
                }
                if !self.inputs.take() {
                    if self.inputs.should_warn() {
                        let rate = self.inputs.rate;
                        return self.error(
                            ErrorCode::RateLimited,
                            &format!("more than {rate} inputs per second; inputs over the rate are dropped"),
                        );
                    }
                    return Next::Continue;
                }
                let Some(room) = &self.room else {
                    return self.error(ErrorCode::NotInRoom, "input outside a room");
                };
                match room.game.decode_input(frame) {
                    Ok((_, data)) => match room.input(player.id, seq, data) {
                        Ok(()) => Next::Continue,
                        Err(ErrorCode::RateLimited) => {
                            self.error(ErrorCode::RateLimited, "the room's input queue is full; input dropped")
                        }
                        Err(code) => self.error(code, "the room has closed"),
                    },
                    Err(e) => {
                        self.bad_message(&format!("input d does not fit game {}: {e}", room.game.manifest().name))
                    }
                }
            }
            ClientMessage::Leave => {
                if self.room.is_none() {
                    return self.error(ErrorCode::NotInRoom, "not in a room");
                }
                self.leave_room();
                self.send(ServerMessage::Left { reason: "leave" }.encode());
                Next::Continue
            }
            ClientMessage::Ping { n } => {
                self.send(ServerMessage::Pong { n }.encode());
                Next::Continue
            }
        }
    }

    async fn hello(
        &mut self,
        v: u32,
        init_data: Option<String>,
        guest: Option<String>,
        session: Option<String>,
    ) -> Next {
        if v != VERSION {
            self.send(error_frame(
                ErrorCode::Version,
                &format!("this server speaks protocol version {VERSION}"),
            ));
            return Next::Close(close::POLICY, "unsupported protocol version");
        }
        let given = [init_data.is_some(), guest.is_some(), session.is_some()];
        if given.iter().filter(|g| **g).count() != 1 {
            return self.bad_message("hello needs exactly one of init_data, guest or session");
        }
        let now = unix_now();
        let (player, chat_instance) = if let Some(raw) = init_data {
            let telegram = &self.state.telegram;
            if !telegram.is_configured() {
                return self.refuse(
                    ErrorCode::AuthFailed,
                    "Telegram sign-in is off on this server (no bot token or bot id is configured)",
                );
            }
            match telegram.verify(&raw, now) {
                Ok(data) => (
                    PlayerRef {
                        id: data.player_id(),
                        name: data.display_name(),
                    },
                    data.chat_instance
                        .filter(|c| c.chars().count() <= MAX_CHAT_INSTANCE_CHARS),
                ),
                Err(e) => {
                    tracing::debug!(reason = %e, "init_data refused");
                    return self.refuse(e.code(), &format!("init_data refused: {e}"));
                }
            }
        } else if let Some(token) = session {
            match self.state.sessions.verify(&token, now) {
                Ok(claims) if claims.player_id.starts_with(GUEST_PREFIX) && !self.state.config.allow_guests => {
                    return self.refuse(ErrorCode::GuestDisabled, "this server does not accept guests");
                }
                Ok(claims) => (
                    PlayerRef {
                        id: claims.player_id,
                        name: claims.name,
                    },
                    claims.chat_instance,
                ),
                Err(e) => {
                    tracing::debug!(reason = %e, "session token refused");
                    return self.refuse(e.code(), &format!("session refused: {e}"));
                }
            }
        } else {
            if !self.state.config.allow_guests {
                return self.refuse(
                    ErrorCode::GuestDisabled,
                    "this server does not accept guests; open the game from Telegram",
                );
            }
            let name = guest.unwrap_or_default();
            let name = name.trim();
            if name.is_empty() || name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
                return self.bad_message(&format!(
                    "a guest name must be 1 to {MAX_NAME_CHARS} characters without control characters"
                ));
            }
            let id = format!("{GUEST_PREFIX}{}", random_code(10).to_ascii_lowercase());
            (
                PlayerRef {
                    id,
                    name: name.to_owned(),
                },
                None,
            )
        };
        let token = self.state.sessions.issue(&SessionClaims {
            player_id: player.id.clone(),
            name: player.name.clone(),
            expires: now + self.state.config.limits.session_ttl_secs,
            chat_instance: chat_instance.clone(),
        });
        let info = PlayerInfo {
            id: player.id.as_str().into(),
            name: player.name.as_str().into(),
        };
        // A seat held since a dropped connection is given back at once.
        let held = self.state.matchmaker.take_held_seat(&info.id);
        self.send(
            ServerMessage::Welcome {
                player: &player,
                session: &token,
                room: held.as_ref().map(|r| &*r.code),
            }
            .encode(),
        );
        self.player = Some(info.clone());
        self.chat_instance = chat_instance;
        if let Some(room) = held {
            self.inputs = InputBudget::new(room.game.manifest().input_rate);
            self.room = Some(room.clone());
            let client = self.next_stay();
            if room.resume(info, client).await.is_err() {
                // The grace ran out between the lookup and the resume.
                self.room = None;
                self.send(ServerMessage::Left { reason: "expired" }.encode());
            }
        }
        Next::Continue
    }

    /// Refuses a `hello`: the error, then the socket closes.
    fn refuse(&self, code: ErrorCode, message: &str) -> Next {
        self.send(error_frame(code, message));
        Next::Close(close::POLICY, "sign-in refused")
    }

    async fn enter(&mut self, player: PlayerInfo, request: Request) -> Next {
        self.leave_room();
        let client = self.next_stay();
        let matchmaker = &self.state.matchmaker;
        // A quick match can lose its seat to another player, and a quick or
        // chat room can be closing (its last player just left), between the
        // pick and the join; try again a few times.
        let retries = matches!(request, Request::Quick(_) | Request::Chat(..));
        let attempts = if retries { 3 } else { 1 };
        let mut outcome = Err(ErrorCode::Internal);
        for _ in 0..attempts {
            let room = match &request {
                Request::Quick(game) => matchmaker.quick(game),
                Request::Create(game, private) => matchmaker.create(game, *private),
                Request::Join(code) if !is_room_code(code) => Err(ErrorCode::NoSuchRoom),
                Request::Join(code) => matchmaker.find(code),
                Request::Chat(game, chat) => matchmaker.chat(game, chat),
            };
            outcome = match room {
                Ok(room) => match room.join(player.clone(), client.clone()).await {
                    Ok(()) => Ok(room),
                    Err(ErrorCode::NoSuchRoom) => {
                        // The room refused because it has closed: drop it
                        // from the directory now rather than when its task
                        // ends, so the next pick does not return it.
                        Directory::closed(&**matchmaker, &room.code);
                        Err(ErrorCode::NoSuchRoom)
                    }
                    Err(code) => Err(code),
                },
                Err(code) => Err(code),
            };
            if !(retries && matches!(outcome, Err(ErrorCode::RoomFull | ErrorCode::NoSuchRoom))) {
                break;
            }
        }
        match outcome {
            Ok(room) => {
                self.inputs = InputBudget::new(room.game.manifest().input_rate);
                self.room = Some(room);
                Next::Continue
            }
            Err(code) => {
                let message = match (&request, code) {
                    (Request::Quick(g) | Request::Create(g, _) | Request::Chat(g, _), ErrorCode::NoSuchGame) => {
                        format!("no game named {g:?}")
                    }
                    (Request::Join(c), ErrorCode::NoSuchRoom) => format!("no room with code {c:?}"),
                    (_, ErrorCode::RoomFull) => "the room is full".to_owned(),
                    (_, ErrorCode::ServerFull) => "this server holds as many rooms as it may".to_owned(),
                    _ => "could not join the room".to_owned(),
                };
                self.error(code, &message)
            }
        }
    }

    fn leave_room(&mut self) {
        if let (Some(room), Some(player)) = (self.room.take(), &self.player) {
            room.leave(player.id.clone());
        }
    }

    /// The socket is gone without a `leave`: the room holds the seat for
    /// the game's grace, and a `hello` with the session takes it back.
    fn disconnected(&mut self) {
        let (Some(room), Some(player)) = (self.room.take(), &self.player) else {
            return;
        };
        if room.game.manifest().reconnect_grace().is_zero() {
            room.leave(player.id.clone());
            return;
        }
        self.state.matchmaker.hold_seat(&player.id, &room);
        room.disconnect(player.id.clone(), &self.client);
    }
}

/// Ids of guests start with this; Telegram players' with `tg:`.
const GUEST_PREFIX: &str = "guest:";

enum Request {
    Quick(String),
    Create(String, bool),
    Join(String),
    /// A game and the chat's `chat_instance`.
    Chat(String, String),
}
