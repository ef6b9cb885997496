//! One websocket connection: authentication, room requests, inputs, and
//! the writing of everything the rooms queue for this client.

use std::sync::Arc;

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use tokio::sync::{mpsc, Notify};
use tokio::time::sleep;

use super::AppState;
use crate::matchmaking::{is_room_code, random_code, Matchmaker};
use crate::protocol::{
    decode_client, error_frame, patch_with_ack, ClientMessage, ErrorCode, PlayerRef, ServerMessage, VERSION,
};
use crate::room::{ClientHandle, Outbound, PlayerInfo, RoomHandle};

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

/// The state of one connection.
struct Session {
    state: AppState,
    client: ClientHandle,
    player: Option<PlayerInfo>,
    room: Option<RoomHandle>,
    bad_messages: u32,
}

/// Serves one upgraded websocket until it closes.
pub async fn run(mut socket: WebSocket, state: AppState) {
    let limits = state.config.limits.clone();
    let (tx, mut outbound) = mpsc::channel(limits.outbound_queue);
    let kick = Arc::new(Notify::new());
    let mut session = Session {
        state,
        client: ClientHandle { tx, kick: kick.clone() },
        player: None,
        room: None,
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
    session.leave_room();
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
            Outbound::Patch { prefix, ack } => Some(patch_with_ack(&prefix, ack)),
            Outbound::Left { room, reason } => {
                // A room this client already left says nothing more to it.
                if self.room.as_ref().is_some_and(|r| r.code == room) {
                    self.room = None;
                    Some(ServerMessage::Left { reason }.encode())
                } else {
                    None
                }
            }
        }
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
                } => self.hello(v, init_data, guest, session),
                _ => self.bad_message("the first message must be hello"),
            };
        };
        match message {
            ClientMessage::Hello { .. } => self.bad_message("hello was already sent on this connection"),
            ClientMessage::Quick { game } => self.enter(player, Request::Quick(game)).await,
            ClientMessage::Create { game, private } => self.enter(player, Request::Create(game, private)).await,
            ClientMessage::Join { room } => self.enter(player, Request::Join(room)).await,
            ClientMessage::Chat { .. } => self.error(
                ErrorCode::Unsupported,
                "chat rooms need Telegram sign-in, which this server does not offer yet",
            ),
            ClientMessage::Input { seq, .. } => {
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

    fn hello(&mut self, v: u32, init_data: Option<String>, guest: Option<String>, session: Option<String>) -> Next {
        if v != VERSION {
            self.send(error_frame(
                ErrorCode::Version,
                &format!("this server speaks protocol version {VERSION}"),
            ));
            return Next::Close(close::POLICY, "unsupported protocol version");
        }
        if init_data.is_some() {
            return self.error(
                ErrorCode::AuthFailed,
                "this server does not accept Telegram init_data yet; sign in with guest",
            );
        }
        if session.is_some() {
            return self.error(
                ErrorCode::AuthFailed,
                "this server does not resume sessions yet; sign in with guest",
            );
        }
        let Some(name) = guest else {
            return self.bad_message("hello needs one of init_data, guest or session");
        };
        let name = name.trim();
        if name.is_empty() || name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
            return self.bad_message(&format!(
                "a guest name must be 1 to {MAX_NAME_CHARS} characters without control characters"
            ));
        }
        let id = format!("guest:{}", random_code(10).to_ascii_lowercase());
        let player = PlayerRef {
            id,
            name: name.to_owned(),
        };
        // Session resumption comes with Telegram sign-in; until then the
        // token is empty and `hello` with `session` is refused.
        self.send(
            ServerMessage::Welcome {
                player: &player,
                session: "",
            }
            .encode(),
        );
        self.player = Some(PlayerInfo {
            id: player.id.into(),
            name: player.name.into(),
        });
        Next::Continue
    }

    async fn enter(&mut self, player: PlayerInfo, request: Request) -> Next {
        self.leave_room();
        let matchmaker = &self.state.matchmaker;
        // A quick match can lose its seat to another player between the
        // pick and the join; try again a few times.
        let attempts = if matches!(request, Request::Quick(_)) { 3 } else { 1 };
        let mut outcome = Err(ErrorCode::Internal);
        for _ in 0..attempts {
            let room = match &request {
                Request::Quick(game) => matchmaker.quick(game),
                Request::Create(game, private) => matchmaker.create(game, *private),
                Request::Join(code) if !is_room_code(code) => Err(ErrorCode::NoSuchRoom),
                Request::Join(code) => matchmaker.find(code),
            };
            outcome = match room {
                Ok(room) => room.join(player.clone(), self.client.clone()).await.map(|()| room),
                Err(code) => Err(code),
            };
            if !matches!(outcome, Err(ErrorCode::RoomFull)) {
                break;
            }
        }
        match outcome {
            Ok(room) => {
                self.room = Some(room);
                Next::Continue
            }
            Err(code) => {
                let message = match (&request, code) {
                    (Request::Quick(g) | Request::Create(g, _), ErrorCode::NoSuchGame) => {
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
}

enum Request {
    Quick(String),
    Create(String, bool),
    Join(String),
}
