//! One websocket connection: the socket loop (this file), the websocket
//! over the connection's outlet (`socket.rs`), sign-in (`signin.rs`) and
//! per-connection budgets (`budget.rs`).
//!
//! The loop reads client frames, writes what the rooms and the session
//! queue for this client (rooms write most patches straight to the socket,
//! see `room/outlet.rs`), writes out what the socket did not take at once,
//! and ends the connection: on a kick (the client fell too far behind), a
//! backlog the peer takes nothing of within `limits.write_timeout_secs` (a
//! peer that stopped reading), or the server's stop (after the room said
//! `left`, with close code 1001).
//!
//! A connection that drops while its player is in a room does not leave
//! it: the room holds the seat for the game's reconnection grace, and a
//! `hello` with the `session` token from `welcome` takes it back.

mod budget;
pub mod live;
mod signin;
pub mod socket;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use serde::de::IgnoredAny;
use tokio::sync::mpsc;
use tokio::time::{sleep, timeout};
use tungstenite::protocol::frame::CloseFrame;
use tungstenite::Message;

use super::budgets::Bucket;
use super::{AppState, ConnectionSlot};
use crate::auth::{new_session_id, SessionClaims};
use crate::cluster::Placement;
use crate::lifecycle::ConnectionSignal;
use crate::matchmaking::{seat, Matchmaker, SeatRequest};
use crate::metrics::{Kick, Limit, SignIn};
use crate::protocol::{frames, ClientMessage, ErrorCode, LeftReason, PatchForm, Rid};
use crate::room::{ClientHandle, Outbound, Outlet, PlayerInfo, RoomHandle, Stalled, DRAIN_LIMIT};
use crate::simulation::{AnyInput, DecodeError};
use budget::{BadMessages, InputBudget};
use live::{Hold, LiveSessions};
use signin::{Credentials, Refusal, Resumed};
use socket::Socket;

/// Close codes this server uses.
mod close {
    pub const GOING_AWAY: u16 = 1001;
    pub const UNSUPPORTED_DATA: u16 = 1003;
    pub const POLICY: u16 = 1008;
    pub const TOO_BIG: u16 = 1009;
    pub const REPLACED: u16 = crate::protocol::CLOSE_SESSION_REPLACED;
}

/// Websocket-level pings a client may send per second (a bucket of one
/// second's worth); browsers send none, and the protocol's own `ping`
/// message is budgeted like any other.
pub const MAX_PINGS_PER_SEC: u32 = 10;
/// Queued frames written at once: batches a burst into few syscalls.
const WRITE_BATCH: usize = 32;

/// What the reader decided about the connection.
enum Next {
    Continue,
    Close(u16, &'static str),
}

/// A client message whose `input.d`, if any, was decoded for the room the
/// client is in (`None` outside a room).
type Request = ClientMessage<Option<AnyInput>>;

/// The state of one connection.
struct Session {
    state: AppState,
    client: ClientHandle,
    /// The connection's socket, which rooms write to as well.
    outlet: Arc<Outlet>,
    player: Option<PlayerInfo>,
    /// The chat the Mini App was opened from, for `chat`.
    chat_instance: Option<String>,
    room: Option<RoomHandle>,
    /// In `room` as a spectator (`watch`), not in a seat.
    watching: bool,
    inputs: InputBudget,
    /// Websocket pings the client may send: a bucket of [`MAX_PINGS_PER_SEC`].
    pings: InputBudget,
    bad_messages: BadMessages,
    /// This connection's budget of joins of codes that do not exist.
    join_misses: Bucket,
    /// Joins refused for an empty budget; past three budgets, the close.
    refused_joins: u32,
    /// This connection's budget of rooms opened.
    rooms_opened: Bucket,
    /// The client's address, when per-address limits apply to it.
    peer: Option<IpAddr>,
    /// The server is stopping: the connection closes once out of a room.
    stopping: bool,
    /// This connection's hold on its session, from its `welcome`; dropped
    /// after the room heard of the disconnect.
    hold: Option<Hold>,
}

/// When a token issued at `now` for a session begun at `started` expires:
/// the token lifetime, but never past the session's maximum lifetime.
fn token_expiry(limits: &crate::config::Limits, now: u64, started: u64) -> u64 {
    (now + limits.session_ttl_secs).min(started.saturating_add(limits.session_max_lifetime_secs))
}

/// Now, unix seconds.
pub(super) fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// Serves one upgraded websocket until it closes. `_slot` counts the
/// connection against its IP address's limit until it is dropped; the
/// lifecycle guard makes the server's stop wait for it.
pub async fn run(
    mut socket: Socket,
    outlet: Arc<Outlet>,
    state: AppState,
    _slot: Arc<ConnectionSlot>,
    peer: Option<IpAddr>,
) {
    let _alive = state.lifecycle.guard();
    let metrics = state.metrics.clone();
    let _open = metrics.connection();
    let limits = state.config.limits.clone();
    let (tx, mut outbound) = mpsc::channel(limits.outbound_queue);
    let signal = Arc::new(ConnectionSignal::default());
    let _registered = state.lifecycle.register(&signal);
    let lifecycle = state.lifecycle.clone();
    let mut session = Session {
        bad_messages: BadMessages::new(limits.max_bad_messages),
        state,
        client: ClientHandle {
            tx,
            signal: signal.clone(),
            stay: 0,
            form: PatchForm::Patch,
            outlet: Arc::downgrade(&outlet),
        },
        outlet: outlet.clone(),
        player: None,
        chat_instance: None,
        room: None,
        watching: false,
        inputs: InputBudget::new(1),
        pings: InputBudget::new(MAX_PINGS_PER_SEC),
        join_misses: Bucket::full(limits.join_misses_per_minute, Instant::now()),
        refused_joins: 0,
        rooms_opened: Bucket::full(limits.rooms_per_minute, Instant::now()),
        peer,
        stopping: false,
        hold: None,
    };
    let hello_deadline = sleep(limits.hello_timeout());
    tokio::pin!(hello_deadline);
    // Registered once, and again only after it fired: re-creating it every
    // pass of the loop showed up in profiles.
    let woken = signal.notified();
    tokio::pin!(woken);
    // Pings the client must answer before the next is due.
    let mut keepalive = tokio::time::interval_at(tokio::time::Instant::now() + limits.keepalive(), limits.keepalive());
    keepalive.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut awaiting_pong = false;
    let mut batch = Vec::with_capacity(WRITE_BATCH);

    let closing = loop {
        session.stopping = session.stopping || lifecycle.is_stopping();
        // A stopping server's client that is in no room (any more) and has
        // been sent everything is done.
        if session.stopping && session.room.is_none() && outbound.is_empty() {
            break Some((close::GOING_AWAY, "the server is stopping"));
        }
        tokio::select! {
            _ = &mut woken => {
                if signal.was_kicked() {
                    metrics.kick(Kick::TooFarBehind);
                    break Some((close::POLICY, "too far behind"));
                }
                if signal.was_replaced() {
                    break Some((close::REPLACED, "a newer connection took over this session"));
                }
                // The stop: seen at the top of the loop.
                woken.set(signal.notified());
            }
            // While the backlog is long the queue is left to fill: its rooms
            // then skip and resync this client, as they would a slow one.
            Some(first) = outbound.recv(), if outlet.backlog() < DRAIN_LIMIT => {
                if session.write_queued(first, &mut outbound, &mut batch).is_err() {
                    break None;
                }
            }
            // Done when the backlog is written out; the next pass takes
            // from the queue again.
            written = outlet.write_backlog(limits.write_timeout()) => {
                if let Err(stalled) = written {
                    if stalled == Stalled::TimedOut {
                        metrics.kick(Kick::WriteTimeout);
                        tracing::debug!("a client did not read within the write timeout; dropped");
                    }
                    break None;
                }
            }
            message = socket.next() => match message {
                None => break None,
                Some(Err(error)) => break read_error(error, &session),
                Some(Ok(Message::Binary(frame))) => {
                    if let Next::Close(code, reason) = session.on_frame(&frame).await {
                        // Let the error that explains the close go out first.
                        if let Ok(first) = outbound.try_recv() {
                            let _ = session.write_queued(first, &mut outbound, &mut batch);
                        }
                        break Some((code, reason));
                    }
                }
                Some(Ok(Message::Text(_))) => {
                    metrics.kick(Kick::TextFrame);
                    break Some((close::UNSUPPORTED_DATA, "text frames are not part of the protocol; send binary MessagePack"));
                }
                Some(Ok(Message::Close(_))) => break None,
                Some(Ok(Message::Ping(_))) => {
                    // tungstenite answers pings itself; a flood of them
                    // (each owing a pong) closes the connection.
                    if !session.pings.take() {
                        metrics.kick(Kick::Pings);
                        break Some((close::POLICY, "too many pings"));
                    }
                }
                Some(Ok(Message::Pong(_))) => awaiting_pong = false,
                // Raw frames come only from a writer's own calls.
                Some(Ok(Message::Frame(_))) => {}
            },
            _ = keepalive.tick() => {
                if awaiting_pong {
                    // It has not read the last ping: it stopped reading, or
                    // is a whole keepalive period behind.
                    metrics.kick(Kick::NotReading);
                    break Some((close::POLICY, "not reading: no answer to the keepalive ping"));
                }
                awaiting_pong = true;
                // Written at once or kept in the backlog, within its cap.
                if socket.send(Message::Ping(Bytes::new())).await.is_err() {
                    break None;
                }
            }
            _ = &mut hello_deadline, if session.player.is_none() => {
                metrics.kick(Kick::HelloTimeout);
                break Some((close::POLICY, "no hello in time"));
            }
        }
    };
    // No room writes to the socket from here on.
    outlet.open_to(None);
    if let Some((code, reason)) = closing {
        metrics.close(code);
        let frame = Message::Close(Some(CloseFrame {
            code: code.into(),
            reason: reason.into(),
        }));
        // A client closed for being behind has a backlog to read before
        // the close: it gets as long as any write, then is dropped without.
        if socket.send(frame).await.is_ok() {
            let _ = timeout(limits.write_timeout(), outlet.write_out(limits.write_timeout())).await;
        }
    }
    session.disconnected();
    // Now a connection taking over the session finds the seat held.
    drop(session.hold.take());
}

/// The close to send after a read error: 1009 for an oversize message.
fn read_error(error: tungstenite::Error, session: &Session) -> Option<(u16, &'static str)> {
    match error {
        tungstenite::Error::Capacity(_) => {
            session.state.metrics.kick(Kick::TooBig);
            Some((close::TOO_BIG, "message too big"))
        }
        _ => None,
    }
}

impl Session {
    /// Writes `first` and whatever else is queued (up to a batch, and no
    /// further than the backlog's limit) in one write; fails once the
    /// socket has.
    fn write_queued(
        &mut self,
        first: Outbound,
        outbound: &mut mpsc::Receiver<Outbound>,
        batch: &mut Vec<Bytes>,
    ) -> Result<(), Stalled> {
        let mut next = Some(first);
        let (mut taken, mut bytes) = (0, 0);
        // The backlog stays within the limit and one frame, which leaves
        // the rest of the outlet's cap to pongs and the close.
        let room = DRAIN_LIMIT.saturating_sub(self.outlet.backlog());
        while let Some(item) = next.take() {
            taken += 1;
            if let Some(frame) = self.outbound_frame(item) {
                bytes += frame.len();
                batch.push(frame);
            }
            if taken < WRITE_BATCH && bytes < room {
                next = outbound.try_recv().ok();
            }
        }
        self.state.metrics.sent(batch.len() as u64, bytes as u64);
        let written = self.outlet.write_frames(batch, taken);
        batch.clear();
        written
    }

    /// Turns a queued item into a frame, or `None` if it is stale.
    fn outbound_frame(&mut self, item: Outbound) -> Option<Bytes> {
        // A room this client already left says nothing more to it.
        if item.stay().is_some_and(|stay| !self.in_stay(stay)) {
            return None;
        }
        if matches!(item, Outbound::Left { .. }) {
            self.room = None;
            self.outlet.open_to(None);
        }
        Some(item.into_frame())
    }

    /// Whether this client is still in the room it entered as `stay`.
    fn in_stay(&self, stay: u16) -> bool {
        self.room.is_some() && self.client.stay == stay
    }

    /// A handle for the room about to be entered: a new stay, so frames
    /// still queued by the room left before are recognised and dropped.
    fn next_stay(&mut self) -> ClientHandle {
        self.client.stay = self.client.stay.wrapping_add(1);
        // Only that room may write to the socket now (once nothing it
        // queued first waits).
        self.outlet.open_to(Some(self.client.stay));
        self.client.clone()
    }

    fn send(&self, frame: Bytes) {
        // Replies share the bounded queue; under overload they are dropped
        // like patches, and the client is resynced by its room.
        let _ = self.client.push(Outbound::Frame(frame));
    }

    fn error(&self, code: ErrorCode, message: &str, rid: Option<Rid>) -> Next {
        self.send(frames::error(code, message, rid));
        Next::Continue
    }

    fn bad_message(&mut self, message: &str, rid: Option<Rid>) -> Next {
        self.send(frames::error(ErrorCode::BadMessage, message, rid));
        if self.bad_messages.count() {
            self.state.metrics.kick(Kick::BadMessages);
            Next::Close(close::POLICY, "too many bad messages")
        } else {
            Next::Continue
        }
    }

    /// Decodes a frame once: for the room's game when in a room (so an
    /// input's `d` is its game's type), else the envelope alone.
    fn decode(&self, frame: &[u8]) -> Result<Request, (String, Option<Rid>)> {
        match &self.room {
            Some(room) => match room.game.decode_client(frame) {
                Ok(message) => Ok(message.map_input(Some)),
                Err(DecodeError::Input { message, rid }) => {
                    self.state.metrics.input_refused(ErrorCode::BadMessage);
                    Err((
                        format!("input d does not fit game {}: {message}", room.game.manifest().name),
                        rid,
                    ))
                }
                Err(DecodeError::Frame(e)) => Err((format!("undecodable message: {e}"), None)),
            },
            None => ClientMessage::<IgnoredAny>::decode(frame)
                .map(|message| message.map_input(|_| None))
                .map_err(|e| (format!("undecodable message: {e}"), None)),
        }
    }

    async fn on_frame(&mut self, frame: &[u8]) -> Next {
        let message = match self.decode(frame) {
            Ok(message) => message,
            Err((message, rid)) => return self.bad_message(&message, rid),
        };
        let rid = message.rid();
        let Some(player) = self.player.clone() else {
            return match message {
                ClientMessage::Hello {
                    v,
                    init_data,
                    guest,
                    session,
                    compact,
                    lean,
                    rid,
                } => {
                    self.client.form = PatchForm::asked(compact, lean);
                    let credentials = Credentials {
                        v,
                        init_data,
                        guest,
                        session,
                    };
                    self.hello(credentials, rid).await
                }
                _ => self.bad_message("the first message must be hello", rid),
            };
        };
        match message {
            ClientMessage::Hello { .. } => self.bad_message("hello was already sent on this connection", rid),
            ClientMessage::Quick { game, .. } => self.enter(player, SeatRequest::Quick { game }, rid).await,
            ClientMessage::Create { game, private, .. } => {
                self.enter(player, SeatRequest::Create { game, private }, rid).await
            }
            ClientMessage::Join { room, .. } => self.enter(player, SeatRequest::Join { code: room }, rid).await,
            ClientMessage::Chat { game, .. } => match self.chat_instance.clone() {
                Some(chat) => self.enter(player, SeatRequest::Chat { game, chat }, rid).await,
                None => self.error(
                    ErrorCode::NoSuchRoom,
                    "chat needs Telegram sign-in from a Mini App opened in a chat (init_data with chat_instance)",
                    rid,
                ),
            },
            ClientMessage::Watch { room, game, replay, .. } => self.watch(player, room, game, replay, rid).await,
            ClientMessage::Input { seq, d, .. } => self.input(player, seq, d, frame, rid),
            ClientMessage::Leave { .. } => {
                if self.room.is_none() {
                    return self.error(ErrorCode::NotInRoom, "not in a room", rid);
                }
                self.leave_room();
                self.send(frames::left(LeftReason::Leave, rid));
                Next::Continue
            }
            ClientMessage::Ping { n, .. } => {
                self.send(frames::pong(n, rid));
                Next::Continue
            }
        }
    }

    fn input(&mut self, player: PlayerInfo, seq: u32, d: Option<AnyInput>, frame: &[u8], rid: Option<Rid>) -> Next {
        if self.watching {
            self.state.metrics.input_refused(ErrorCode::Spectator);
            return self.error(
                ErrorCode::Spectator,
                "spectators send no inputs; join the room to play",
                rid,
            );
        }
        let (Some(room), Some(d)) = (&self.room, d) else {
            self.state.metrics.input_refused(ErrorCode::NotInRoom);
            return self.error(ErrorCode::NotInRoom, "input outside a room", rid);
        };
        if !self.inputs.take() {
            self.state.metrics.input_refused(ErrorCode::RateLimited);
            if self.inputs.should_warn() {
                let rate = self.inputs.rate;
                return self.error(
                    ErrorCode::RateLimited,
                    &format!("more than {rate} inputs per second; inputs over the rate are dropped"),
                    rid,
                );
            }
            return Next::Continue;
        }
        match room
            .input(player.id, seq, d, frame)
            .inspect_err(|code| self.state.metrics.input_refused(*code))
        {
            Ok(()) => Next::Continue,
            Err(ErrorCode::RateLimited) => self.error(
                ErrorCode::RateLimited,
                "the room's input queue is full; input dropped",
                rid,
            ),
            Err(code) => self.error(code, "the room has closed", rid),
        }
    }

    async fn hello(&mut self, credentials: Credentials, rid: Option<Rid>) -> Next {
        let now = unix_now();
        let verifier = signin::Verifier {
            telegram: &self.state.telegram,
            sessions: &self.state.sessions,
            allow_guests: self.state.config.allow_guests,
        };
        let method = credentials.method();
        let outcome = signin::sign_in(&verifier, credentials, now);
        if let (Some(method), Err(_)) = (method, &outcome) {
            self.state.metrics.sign_in(method, false);
        }
        let signed_in = match outcome {
            Ok(signed_in) => signed_in,
            Err(Refusal::Malformed(message)) => return self.bad_message(&message, rid),
            Err(Refusal::Refused(code, message)) => {
                self.send(frames::error(code, &message, rid));
                let reason = if code == ErrorCode::Version {
                    "unsupported protocol version"
                } else {
                    "sign-in refused"
                };
                return Next::Close(close::POLICY, reason);
            }
        };
        let player = signed_in.player;
        let limits = &self.state.config.limits;
        let (sid, generation, started) = match signed_in.resumed {
            None => (new_session_id(), 0, now),
            Some(resumed) => match self.advance(&resumed, now).await {
                Ok(()) => (resumed.sid, resumed.generation + 1, resumed.started),
                Err((code, message)) => {
                    self.state.metrics.sign_in(SignIn::Session, false);
                    self.send(frames::error(code, message, rid));
                    return Next::Close(close::POLICY, "sign-in refused");
                }
            },
        };
        if let Some(method) = method {
            self.state.metrics.sign_in(method, true);
        }
        // A session open on another connection moves here.
        let patience = limits.write_timeout() + Duration::from_secs(1);
        self.hold = Some(LiveSessions::take(&self.state.live_sessions, &sid, &self.client.signal, patience).await);
        let token = self.state.sessions.issue(&SessionClaims {
            player_id: player.id.clone(),
            name: player.name.clone(),
            expires: token_expiry(limits, now, started),
            chat_instance: signed_in.chat_instance.clone(),
            sid,
            generation,
            started,
        });
        let info = PlayerInfo {
            id: player.id.as_str().into(),
            name: player.name.as_str().into(),
        };
        // A seat held since a dropped connection is given back at once.
        let held = self.state.matchmaker.held_seat(&info.id);
        // One held on another node: the client signs in there (with the
        // token of this welcome) and finds it.
        let held_elsewhere = match (&held, &self.state.cluster) {
            (None, Some(cluster)) => cluster.held_elsewhere(&info.id).await,
            _ => None,
        };
        self.send(frames::welcome(&player, &token, held.as_ref().map(|r| &*r.code), rid));
        if let Some((url, room)) = held_elsewhere {
            self.send(frames::redirect(&url, &room, None));
        }
        self.player = Some(info.clone());
        self.chat_instance = signed_in.chat_instance;
        if let Some(room) = held {
            self.inputs = InputBudget::new(room.game.manifest().input_rate);
            self.room = Some(room.clone());
            let client = self.next_stay();
            if room.resume(info, client).await.is_err() {
                // The grace ran out between the lookup and the resume.
                self.room = None;
                self.outlet.open_to(None);
                self.send(frames::left(LeftReason::Expired, None));
            }
        }
        Next::Continue
    }

    /// Makes the next generation of a resumed session its newest, so the
    /// token just presented works no more.
    async fn advance(&self, resumed: &Resumed, now: u64) -> Result<(), (ErrorCode, &'static str)> {
        let expires = token_expiry(&self.state.config.limits, now, resumed.started);
        let started = Instant::now();
        let advanced = (self.state.ledger)
            .advance_session(&resumed.sid, resumed.generation, expires, now)
            .await;
        self.state.metrics.ledger_write(started.elapsed(), advanced.is_ok());
        match advanced {
            Ok(true) => Ok(()),
            Ok(false) => Err((
                ErrorCode::AuthFailed,
                "session refused: this token was used already (each welcome brings the next one); sign in again",
            )),
            Err(e) => {
                tracing::warn!(error = %e, "could not check a session against the ledger");
                Err((ErrorCode::Internal, "cannot check the session now; try again"))
            }
        }
    }

    async fn enter(&mut self, player: PlayerInfo, request: SeatRequest, rid: Option<Rid>) -> Next {
        let by_code = matches!(request, SeatRequest::Join { .. });
        if by_code && !self.may_miss() {
            return self.refuse_miss(rid);
        }
        let creates = matches!(request, SeatRequest::Create { .. });
        if creates && !self.may_open_room() {
            self.state.metrics.refused(Limit::RoomBudget);
            let per_minute = self.state.config.limits.rooms_per_minute;
            return self.error(
                ErrorCode::RateLimited,
                &format!("too many rooms opened (at most {per_minute} a minute per connection); wait a minute"),
                rid,
            );
        }
        self.leave_room();
        let client = self.next_stay();
        let placed = match &self.state.cluster {
            Some(cluster) => cluster.seat(&request, &player, &client, rid).await,
            None => seat(&*self.state.matchmaker, &request, &player, &client, rid)
                .await
                .map(Placement::Seated),
        };
        let placed = match placed {
            Ok(Placement::Elsewhere { url, room }) => {
                self.send(frames::redirect(&url, &room, rid));
                return Next::Continue;
            }
            Ok(Placement::Seated(room)) => Ok(room),
            Err(refused) => Err(refused),
        };
        match placed {
            Ok(room) => {
                if creates {
                    self.spend_room();
                }
                self.inputs = InputBudget::new(room.game.manifest().input_rate);
                self.room = Some(room);
                Next::Continue
            }
            Err((code, message)) => {
                if by_code && code == ErrorCode::NoSuchRoom {
                    self.spend_miss();
                }
                self.error(code, &message, rid)
            }
        }
    }

    /// A lookup by code refused for an empty miss budget: before the
    /// lookup, and without leaving the room the client is in; past three
    /// budgets of refusals, the connection closes.
    fn refuse_miss(&mut self, rid: Option<Rid>) -> Next {
        self.state.metrics.refused(Limit::JoinMisses);
        self.refused_joins += 1;
        if self.refused_joins > 3 * self.state.config.limits.join_misses_per_minute {
            self.state.metrics.kick(Kick::JoinMisses);
            return Next::Close(close::POLICY, "too many joins of rooms that do not exist");
        }
        self.error(
            ErrorCode::RateLimited,
            "too many joins of rooms that do not exist; wait a minute",
            rid,
        )
    }

    /// Whether this connection and its address may look up one more code
    /// that turns out not to exist.
    fn may_miss(&mut self) -> bool {
        let per_minute = self.state.config.limits.join_misses_per_minute;
        self.join_misses.has_token(per_minute, Instant::now())
            && self.peer.is_none_or(|ip| self.state.join_misses.has_token(ip))
    }

    /// Whether this connection and its address may open one more room.
    fn may_open_room(&mut self) -> bool {
        let per_minute = self.state.config.limits.rooms_per_minute;
        self.rooms_opened.has_token(per_minute, Instant::now())
            && self.peer.is_none_or(|ip| self.state.rooms_opened.has_token(ip))
    }

    fn spend_room(&mut self) {
        let per_minute = self.state.config.limits.rooms_per_minute;
        self.rooms_opened.spend(per_minute, Instant::now());
        if let Some(ip) = self.peer {
            self.state.rooms_opened.spend(ip);
        }
    }

    fn spend_miss(&mut self) {
        let per_minute = self.state.config.limits.join_misses_per_minute;
        self.join_misses.spend(per_minute, Instant::now());
        if let Some(ip) = self.peer {
            self.state.join_misses.spend(ip);
        }
    }

    fn leave_room(&mut self) {
        self.outlet.open_to(None);
        if let (Some(room), Some(player)) = (self.room.take(), &self.player) {
            if std::mem::take(&mut self.watching) {
                room.unwatch(&self.client);
            } else {
                room.leave(player.id.clone());
            }
        }
    }

    /// The socket is gone without a `leave`: the room decides whether it
    /// holds the seat for the game's grace (a `hello` with the session
    /// takes it back) or releases it. A spectator simply goes.
    fn disconnected(&mut self) {
        if let (Some(room), Some(player)) = (self.room.take(), &self.player) {
            if std::mem::take(&mut self.watching) {
                room.unwatch(&self.client);
            } else {
                room.disconnect(player.id.clone(), &self.client);
            }
        }
    }

    /// `watch`: the room with code (or invite) `code`, or the room of
    /// `game` for this Mini App's chat, without a seat. Watching opens no
    /// room; in a cluster it finds rooms of this node only.
    async fn watch(
        &mut self,
        player: PlayerInfo,
        code: Option<String>,
        game: Option<String>,
        replay: Option<String>,
        rid: Option<Rid>,
    ) -> Next {
        let room = match (code, game, replay) {
            (None, None, Some(id)) => match self.state.replays.open(&self.state, &id).await {
                Ok(room) => Ok(room),
                Err((code, message)) => return self.error(code, &message, rid),
            },
            (Some(code), None, None) => {
                if !self.may_miss() {
                    return self.refuse_miss(rid);
                }
                let found = self.state.matchmaker.find(&code);
                if found.is_err() {
                    self.spend_miss();
                }
                found.map_err(|_| "no such room to watch (a private room is watched by its invite)".to_owned())
            }
            (None, Some(game), None) => match &self.chat_instance {
                Some(chat) => self
                    .state
                    .matchmaker
                    .chat_room(&game, chat)
                    .ok_or_else(|| format!("this chat has no open room of {game} to watch")),
                None => Err(
                    "watch with game needs Telegram sign-in from a Mini App opened in a chat \
                     (init_data with chat_instance)"
                        .to_owned(),
                ),
            },
            _ => return self.bad_message("watch needs exactly one of room, game or replay", rid),
        };
        let room = match room {
            Ok(room) => room,
            Err(message) => return self.error(ErrorCode::NoSuchRoom, &message, rid),
        };
        self.leave_room();
        let client = self.next_stay();
        self.room = Some(room.clone());
        match room.watch(player, client, rid).await {
            Ok(()) => {
                self.watching = true;
                Next::Continue
            }
            Err(code) => {
                self.room = None;
                self.outlet.open_to(None);
                let message = match code {
                    ErrorCode::RoomFull => format!(
                        "the room has as many spectators as it takes ({})",
                        room.game.manifest().spectators
                    ),
                    _ => "the room has closed".to_owned(),
                };
                self.error(code, &message, rid)
            }
        }
    }
}
