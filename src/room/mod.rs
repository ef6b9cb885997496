//! Rooms: one isolated, authoritative simulation of a game each.
//!
//! A room is a tokio task that owns its
//! [`Simulation`](crate::simulation::Simulation) (a bevy_ecs `World`
//! and `Schedule`) and receives [`RoomCommand`]s from player connections over
//! a bounded channel. Real-time rooms tick at their manifest's rate;
//! turn-based rooms tick only when an input, a membership change or a timer
//! the game set is due, so an idle room costs no CPU. After each tick the room
//! encodes one patch and writes the same bytes to every member's socket:
//! straight from the room's task while the socket takes them, else through
//! the member's bounded outbound queue (`outlet.rs` says when). Why a task
//! per room rather than shards of rooms per thread: docs/architecture.md,
//! measured in benches/room_driving.rs.
//!
//! The room is split by job: `task.rs` schedules ticks and stops the room,
//! `membership.rs` seats and releases players, `outbox.rs` queues frames to
//! members, `outcome.rs` ranks and records a match, `time.rs` is the one
//! clock a room reads, `watchers.rs` keeps its spectators, `fairness.rs`
//! the seed of its match, `recording.rs` what it records of each match,
//! `replay.rs` runs a recorded match again and `outlet.rs` is a client's
//! socket as rooms write to it; `tests.rs` drives a room in-process.

mod fairness;
mod membership;
mod outbox;
mod outcome;
mod outlet;
mod recording;
mod replay;
mod task;
#[cfg(test)]
mod tests;
mod time;
mod watchers;

use std::sync::{Arc, Weak};

use bytes::Bytes;
use tokio::sync::{mpsc, oneshot};

use crate::lifecycle::ConnectionSignal;
use crate::protocol::{frames, ErrorCode, LeftReason, PatchForm, Rid};
use crate::simulation::{AnyInput, GameType};
pub use fairness::MatchSeed;
pub use outlet::{Outlet, Stalled, DRAIN_LIMIT};
pub use recording::{Recording, Step, MAX_RECORDING_BYTES};
pub use replay::{
    show as show_ranking, spawn_replay, Progress, Replay, ReplayError, ReplayMatch, ReplayReport, MAX_REPLAY_PAUSE,
};
pub use task::{spawn_room, Directory, Room, RoomContext};
pub use time::RoomTime;

/// Who a connection authenticated as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlayerInfo {
    pub id: Arc<str>,
    pub name: Arc<str>,
}

/// What a room (or the session itself) queues for a client's socket.
///
/// What a room queues carries the `stay` of the [`ClientHandle`] it was
/// given: after a client leaves a room, frames that room queued before it
/// saw the leave are dropped by the connection instead of reaching a client
/// that is in another room now. A number rather than the room's code keeps
/// every slot of every outbound queue at 40 bytes.
#[derive(Debug)]
pub enum Outbound {
    /// A complete frame from the session itself.
    Frame(Bytes),
    /// A complete frame from a room.
    RoomFrame { stay: u16, frame: Bytes },
    /// A patch in the client's `form`, shared by a room's members; the
    /// connection appends the ack. (A lean `p` whose ack did not change
    /// carries none: it is complete as shared, and queued as a `RoomFrame`.)
    Patch {
        stay: u16,
        form: PatchForm,
        prefix: Bytes,
        ack: u32,
    },
    /// The client is no longer in the room; sent as `left`.
    Left { stay: u16, reason: LeftReason },
}

impl Outbound {
    /// The stay a room's message is for; `None` for the session's own.
    pub fn stay(&self) -> Option<u16> {
        match self {
            Outbound::Frame(_) => None,
            Outbound::RoomFrame { stay, .. } | Outbound::Patch { stay, .. } | Outbound::Left { stay, .. } => {
                Some(*stay)
            }
        }
    }

    /// The frame to write: a patch gets its ack appended, `Left` becomes
    /// `left`.
    pub fn into_frame(self) -> Bytes {
        match self {
            Outbound::Frame(frame) | Outbound::RoomFrame { frame, .. } => frame,
            Outbound::Patch {
                form: PatchForm::Patch,
                prefix,
                ack,
                ..
            } => frames::patch_with_ack(&prefix, ack),
            Outbound::Patch { prefix, ack, .. } => frames::compact_patch_with_ack(&prefix, ack),
            Outbound::Left { reason, .. } => frames::left(reason, None),
        }
    }
}

/// A room's way to reach one client connection.
#[derive(Clone, Debug)]
pub struct ClientHandle {
    /// The connection's bounded outbound queue.
    pub tx: mpsc::Sender<Outbound>,
    /// Kicked when the client fell so far behind that even messages that
    /// must not be dropped do not fit; the connection then closes.
    pub signal: Arc<ConnectionSignal>,
    /// Which of the connection's stays in rooms this handle is for; the
    /// room tags what it queues with it.
    pub stay: u16,
    /// Which patch message the client asked for.
    pub form: PatchForm,
    /// The connection's socket, for patches written straight to it; none
    /// (never upgrades) for in-process queues. Weak: the connection owns
    /// its socket, and it closes when the connection ends even while a
    /// room still holds the seat.
    pub outlet: Weak<Outlet>,
}

impl ClientHandle {
    /// A handle on a new outbound queue of `capacity` messages, with a
    /// signal of its own: for whatever reads the other end in-process (the
    /// test harness, benches, the room's tests). A connection makes its
    /// own, with its registered signal.
    pub fn queue(capacity: usize, stay: u16, form: PatchForm) -> (ClientHandle, mpsc::Receiver<Outbound>) {
        let (tx, rx) = mpsc::channel(capacity);
        let handle = ClientHandle {
            tx,
            signal: Arc::default(),
            stay,
            form,
            outlet: Weak::new(),
        };
        (handle, rx)
    }

    /// Queues `item` for the connection; false if the queue is full or the
    /// connection gone. Every item goes through here: the outlet counts
    /// what is queued, so a room writes a patch straight to the socket
    /// only when nothing queued before it is still waiting.
    pub fn push(&self, item: Outbound) -> bool {
        let outlet = self.outlet.upgrade();
        if let Some(outlet) = &outlet {
            outlet.queuing();
        }
        let queued = self.tx.try_send(item).is_ok();
        if let (false, Some(outlet)) = (queued, &outlet) {
            outlet.not_queued();
        }
        queued
    }

    /// Queues a room's frame for this stay; false if the queue is full or
    /// the connection gone.
    pub fn send_frame(&self, frame: Bytes) -> bool {
        self.push(Outbound::RoomFrame { stay: self.stay, frame })
    }

    /// Queues `left` for this stay; false if the queue is full or the
    /// connection gone.
    pub fn send_left(&self, reason: LeftReason) -> bool {
        self.push(Outbound::Left {
            stay: self.stay,
            reason,
        })
    }
}

/// A request to a room.
pub enum RoomCommand {
    /// Boxed: joins are rare, and the size of the largest variant sets the
    /// size of every slot of every room's inbox.
    Join(Box<Join>),
    Leave {
        player: Arc<str>,
    },
    /// The player's connection dropped: hold the seat for the game's
    /// reconnection grace. `client` names the connection that dropped, so a
    /// late notice from an old connection cannot mark a newer one offline.
    Disconnect {
        player: Arc<str>,
        client: mpsc::Sender<Outbound>,
    },
    Input {
        player: Arc<str>,
        seq: u32,
        /// The game's input; for a recording room (manifest `record`), a
        /// [`RecordedInput`] that holds it with its frame.
        data: AnyInput,
    },
    /// Watch without a seat (boxed, as joins are).
    Watch(Box<Join>),
    /// The spectator on connection `client` is gone (left, or dropped).
    Unwatch {
        client: mpsc::Sender<Outbound>,
    },
    /// What the room holds now, for the operator page.
    Inspect(oneshot::Sender<RoomInspection>),
    /// An operator closes the room: a running match is recorded as
    /// aborted, everyone gets `left` (`finished`).
    Close,
}

/// A room as the operator page shows it: its seats and its replicated
/// state, as a client in it would see them.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RoomInspection {
    pub tick: u64,
    /// Whether a match is being played.
    pub running: bool,
    /// (id, name, online) of each seated player.
    pub players: Vec<(String, String, bool)>,
    /// How many watch without a seat.
    pub spectators: usize,
    /// The schema and state of a `joined`, as JSON.
    pub schema: serde_json::Value,
    pub state: serde_json::Value,
}

/// Figures a room keeps current for the operator page; reading them never
/// waits on the room.
#[derive(Debug)]
pub struct RoomStats {
    /// When the room opened.
    pub opened: std::time::Instant,
    /// How long its last tick took, in microseconds.
    pub last_tick_micros: std::sync::atomic::AtomicU64,
}

impl Default for RoomStats {
    fn default() -> Self {
        RoomStats {
            opened: std::time::Instant::now(),
            last_tick_micros: std::sync::atomic::AtomicU64::new(0),
        }
    }
}

/// A request for a seat (or, as [`RoomCommand::Watch`], to watch).
pub struct Join {
    pub player: PlayerInfo,
    pub client: ClientHandle,
    /// Only take back a seat the player still holds; never open a new one.
    pub resume: bool,
    /// The request id to echo on `joined`.
    pub rid: Option<Rid>,
    pub reply: oneshot::Sender<Result<(), ErrorCode>>,
}

/// An input with the client frame that carried it, for a room that records
/// (manifest `record`): it travels in place of the input itself, so the
/// inbox slot of every room stays as small as an input without a frame.
pub struct RecordedInput {
    pub data: AnyInput,
    pub frame: Bytes,
}

impl RecordedInput {
    /// `data` as `game`'s rooms take it: with `frame` if they record.
    pub fn wrap(game: &Arc<dyn GameType>, data: AnyInput, frame: &[u8]) -> AnyInput {
        match game.manifest().record {
            true => Box::new(RecordedInput {
                data,
                frame: Bytes::copy_from_slice(frame),
            }),
            false => data,
        }
    }
}

/// A cloneable handle to a running room.
#[derive(Clone)]
pub struct RoomHandle {
    pub code: Arc<str>,
    pub game: Arc<dyn GameType>,
    pub private: bool,
    /// A private room's invite (its code, a dash, a secret): the only way
    /// to join it by code. `None` for rooms joined by their code.
    pub invite: Option<Arc<str>>,
    tx: mpsc::Sender<RoomCommand>,
    /// Where the room records held seats; see [`RoomHandle::disconnect`].
    directory: Arc<dyn Directory>,
    /// Its age and last tick time.
    pub stats: Arc<RoomStats>,
}

impl RoomHandle {
    /// Whether `given` (upper case) lets one join: the invite of a room
    /// that has one, compared in constant time; anything for other rooms.
    pub fn admits(&self, given: &str) -> bool {
        match &self.invite {
            None => true,
            Some(invite) => bool::from(subtle::ConstantTimeEq::ct_eq(invite.as_bytes(), given.as_bytes())),
        }
    }

    /// Seats `player`; on success the room has queued `joined` for `client`.
    pub async fn join(&self, player: PlayerInfo, client: ClientHandle, rid: Option<Rid>) -> Result<(), ErrorCode> {
        self.request_seat(player, client, false, rid).await
    }

    /// Gives `player` back the seat they hold since a dropped connection;
    /// `no_such_room` if the seat was released. On success the room has
    /// queued a fresh `joined` for `client`.
    pub async fn resume(&self, player: PlayerInfo, client: ClientHandle) -> Result<(), ErrorCode> {
        self.request_seat(player, client, true, None).await
    }

    async fn request_seat(
        &self,
        player: PlayerInfo,
        client: ClientHandle,
        resume: bool,
        rid: Option<Rid>,
    ) -> Result<(), ErrorCode> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(RoomCommand::Join(Box::new(Join {
                player,
                client,
                resume,
                rid,
                reply,
            })))
            .await
            .map_err(|_| ErrorCode::NoSuchRoom)?;
        answer.await.map_err(|_| ErrorCode::NoSuchRoom)?
    }

    /// Tells the room `player`'s connection `client` dropped; the seat is
    /// held for the game's reconnection grace. The held seat is recorded
    /// here, at once, so a page reloading faster than the room's next tick
    /// finds it; the room itself releases it if it does not hold the seat
    /// (no grace, a newer connection has it, the server is stopping).
    pub fn disconnect(&self, player: Arc<str>, client: &ClientHandle) {
        self.directory.seat_held(&self.code, &player);
        let command = RoomCommand::Disconnect {
            player,
            client: client.tx.clone(),
        };
        if let Err(mpsc::error::TrySendError::Full(command)) = self.tx.try_send(command) {
            let tx = self.tx.clone();
            tokio::spawn(async move {
                let _ = tx.send(command).await;
            });
        }
    }

    /// Watches the room without a seat; on success the room has queued
    /// `joined` (with `watching: true`) for `client`.
    pub async fn watch(&self, player: PlayerInfo, client: ClientHandle, rid: Option<Rid>) -> Result<(), ErrorCode> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(RoomCommand::Watch(Box::new(Join {
                player,
                client,
                resume: false,
                rid,
                reply,
            })))
            .await
            .map_err(|_| ErrorCode::NoSuchRoom)?;
        answer.await.map_err(|_| ErrorCode::NoSuchRoom)?
    }

    /// The spectator on `client` stops watching (it left, or its connection
    /// dropped).
    pub fn unwatch(&self, client: &ClientHandle) {
        let command = RoomCommand::Unwatch {
            client: client.tx.clone(),
        };
        if let Err(mpsc::error::TrySendError::Full(command)) = self.tx.try_send(command) {
            let tx = self.tx.clone();
            tokio::spawn(async move {
                let _ = tx.send(command).await;
            });
        }
    }

    /// Gives up `player`'s seat.
    pub fn leave(&self, player: Arc<str>) {
        // A full inbox must not lose the leave: wait for room in a task.
        if let Err(mpsc::error::TrySendError::Full(command)) = self.tx.try_send(RoomCommand::Leave { player }) {
            let tx = self.tx.clone();
            tokio::spawn(async move {
                let _ = tx.send(command).await;
            });
        }
    }

    /// Queues an input; refuses it when the room's inbox is full. `frame`
    /// is the client frame that carried it, kept by a recording room
    /// (manifest `record`); it is dropped unread by others.
    pub fn input(&self, player: Arc<str>, seq: u32, data: AnyInput, frame: &[u8]) -> Result<(), ErrorCode> {
        let data = RecordedInput::wrap(&self.game, data, frame);
        self.tx
            .try_send(RoomCommand::Input { player, seq, data })
            .map_err(|e| match e {
                mpsc::error::TrySendError::Full(_) => ErrorCode::RateLimited,
                mpsc::error::TrySendError::Closed(_) => ErrorCode::NotInRoom,
            })
    }

    /// What the room holds now; `None` if it has closed.
    pub async fn inspect(&self) -> Option<RoomInspection> {
        let (reply, answer) = oneshot::channel();
        self.tx.send(RoomCommand::Inspect(reply)).await.ok()?;
        answer.await.ok()
    }

    /// Closes the room (an operator's decision); false if it had closed.
    pub async fn close(&self) -> bool {
        self.tx.send(RoomCommand::Close).await.is_ok()
    }

    /// Whether the room's task has ended.
    pub fn is_closed(&self) -> bool {
        self.tx.is_closed()
    }
}
