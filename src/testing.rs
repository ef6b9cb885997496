//! Rules tested in-process: [`TestRoom`] is a real room of your game (the
//! engine's own seating, input checks, replication and match end) with no
//! sockets, no task and no real time. You seat players, send inputs,
//! move the room's clock yourself, and read what each player's client
//! would see. A test of a whole match runs in milliseconds.
//!
//! ```
//! use parlor::prelude::*;
//! use parlor::testing::TestRoom;
//! use serde::{Deserialize, Serialize};
//!
//! /// Replicated: presses so far.
//! #[derive(Resource, Serialize, Deserialize, Default, Debug, PartialEq)]
//! pub struct Presses(pub u32);
//!
//! pub struct Clicker;
//! impl Game for Clicker {
//!     type Input = ();
//!     type Settings = NoSettings;
//!     const NAME: &'static str = "clicker";
//!     fn build(room: &mut RoomBuilder) {
//!         room.replicate_resource(Presses::default()).add_systems(press);
//!     }
//! }
//!
//! fn press(inputs: Res<Inputs<()>>, mut presses: ResMut<Presses>, mut commands: Commands) {
//!     for input in inputs.iter() {
//!         presses.0 += 1;
//!         if presses.0 == 3 {
//!             commands.insert_resource(Outcome::winner(input.player, 3));
//!         }
//!     }
//! }
//!
//! let mut room = TestRoom::new::<Clicker>("name = \"clicker\"\nmin_players = 2\nmax_players = 2\n");
//! let ann = room.join("Ann");
//! let ben = room.join("Ben");
//! room.input(ann, &()).unwrap();
//! room.input(ben, &()).unwrap();
//! room.tick();
//! assert_eq!(room.view(ben).resource_as::<Presses>(), Some(Presses(2)));
//! room.input(ben, &()).unwrap();
//! room.tick();
//! let result = &room.results()[0];
//! assert_eq!((result.ranking[0].name.as_str(), result.ranking[0].rank), ("Ben", 1));
//! assert!(room.is_closed());
//! ```

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};

use crate::catalog::{Catalog, CatalogError};
use crate::client::Mirror;
use crate::ledger::{BoxFuture, Ledger, LedgerError, MatchRecord};
use crate::lifecycle::Lifecycle;
use crate::manifest::Manifest;
use crate::matchmaking::LocalDirectory;
use crate::protocol::{ClientMessage, ErrorCode};
use crate::room::{
    ClientHandle, Join, MatchSeed, Outbound, PlayerInfo, RecordedInput, Recording, Replay, ReplayMatch, ReplayReport,
    Room, RoomCommand, RoomContext, RoomTime,
};
use crate::simulation::{DecodeError, Game, GameType};

/// A player of a [`TestRoom`], in the order they joined.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TestPlayer(usize);

/// One room of a game, driven by the test.
pub struct TestRoom {
    room: Room,
    game: Arc<dyn GameType>,
    time: RoomTime,
    /// The room's ledger writes are tasks; this runs them, and the room
    /// is driven inside it ([`TestRoom::runtime`]).
    runtime: Arc<tokio::runtime::Runtime>,
    lifecycle: Lifecycle,
    ledger: Arc<RecordedMatches>,
    players: Vec<Seat>,
    /// The next input's sequence number.
    seq: u32,
}

/// A player's connection, as the room sees it, and what their client got.
struct Seat {
    info: PlayerInfo,
    client: ClientHandle,
    outbound: mpsc::Receiver<Outbound>,
    mirror: Mirror,
    /// Every message received and not yet taken by [`TestRoom::messages`].
    received: Vec<Value>,
}

/// The context of a harness room (and of a replay of one): in memory,
/// reporting to nothing shared.
fn context(ledger: Arc<RecordedMatches>, lifecycle: Lifecycle) -> RoomContext {
    RoomContext {
        ledger,
        directory: Arc::new(LocalDirectory::default()),
        lifecycle,
        inbox: QUEUE,
        outbound_reserve: 8,
        unclaimed_grace: Duration::from_secs(5),
        shutdown_grace: Duration::from_secs(10),
        metrics: Arc::default(),
    }
}

/// Outbound messages a player's queue holds: far more than a test sends
/// between two reads, so nothing is skipped for a resync.
const QUEUE: usize = 4096;

impl TestRoom {
    /// A room of `G` with `manifest` (TOML), its settings read and checked
    /// as at a server's start.
    ///
    /// # Panics
    /// When the manifest is refused, with the reason.
    pub fn new<G: Game>(manifest: &str) -> TestRoom {
        TestRoom::try_new::<G>(manifest).unwrap_or_else(|e| panic!("{e}"))
    }

    /// [`TestRoom::new`], with a refused manifest as an error.
    pub fn try_new<G: Game>(manifest: &str) -> Result<TestRoom, CatalogError> {
        let manifest = Manifest::parse(manifest).map_err(CatalogError::Manifest)?;
        let mut catalog = Catalog::new();
        catalog.add::<G>(manifest)?;
        let game = catalog.get(G::NAME).expect("just added").clone();
        let runtime = Arc::new(
            tokio::runtime::Builder::new_current_thread()
                .build()
                .expect("a current-thread runtime"),
        );
        let lifecycle = Lifecycle::new();
        let ledger = Arc::new(RecordedMatches::default());
        let context = context(ledger.clone(), lifecycle.clone());
        let time = RoomTime::manual();
        let room = Room::new(context, game.clone(), "TEST22".into()).with_time(time.clone());
        Ok(TestRoom {
            room,
            game,
            time,
            runtime,
            lifecycle,
            ledger,
            players: Vec::new(),
            seq: 0,
        })
    }

    /// Seats a new player named `name` (a guest `guest:<name>`), as a
    /// `join` would; they get `joined` and are an entity with `Player`
    /// from now on. A turn-based room ticks for the change, as a server's
    /// would.
    ///
    /// # Panics
    /// When the room refuses the seat (full, or closed).
    pub fn join(&mut self, name: &str) -> TestPlayer {
        self.try_join(name)
            .unwrap_or_else(|e| panic!("{name} could not join: {}", e.as_str()))
    }

    /// [`TestRoom::join`], with a refusal (`room_full`, ...) as an error.
    pub fn try_join(&mut self, name: &str) -> Result<TestPlayer, ErrorCode> {
        let runtime = self.runtime();
        let _inside = runtime.enter();
        let (client, outbound) = ClientHandle::queue(QUEUE, 1, crate::protocol::PatchForm::Compact);
        let info = PlayerInfo {
            id: format!("guest:{name}").into(),
            name: name.into(),
        };
        let (reply, mut answer) = oneshot::channel();
        self.room.handle(RoomCommand::Join(Box::new(Join {
            player: info.clone(),
            client: client.clone(),
            resume: false,
            rid: None,
            reply,
        })));
        answer.try_recv().expect("a room answers a join at once")?;
        self.players.push(Seat {
            info,
            client,
            outbound,
            mirror: Mirror::default(),
            received: Vec::new(),
        });
        self.settle();
        Ok(TestPlayer(self.players.len() - 1))
    }

    /// `player` leaves for good (their seat is released).
    pub fn leave(&mut self, player: TestPlayer) {
        let runtime = self.runtime();
        let _inside = runtime.enter();
        let id = self.players[player.0].info.id.clone();
        self.room.handle(RoomCommand::Leave { player: id });
        self.settle();
    }

    /// `player`'s connection drops: their seat is held for the manifest's
    /// `reconnect_grace_secs` (move the clock past it with
    /// [`TestRoom::advance`] to see it released) and `Player.online` turns
    /// false.
    pub fn disconnect(&mut self, player: TestPlayer) {
        let runtime = self.runtime();
        let _inside = runtime.enter();
        let seat = &self.players[player.0];
        self.room.handle(RoomCommand::Disconnect {
            player: seat.info.id.clone(),
            client: seat.client.tx.clone(),
        });
        self.settle();
    }

    /// `player` sends `input`: encoded as their client would send it,
    /// decoded by the game's input type, and handled as the room would: a
    /// turn-based room ticks for it at once, a real-time room queues it for
    /// its next tick. An
    /// input that is not the game's type is refused with `bad_message`,
    /// as the server refuses it. (A rule the game checks itself is
    /// refused at the tick, as an `error` in the player's messages.)
    pub fn input<I: Serialize>(&mut self, player: TestPlayer, input: &I) -> Result<(), ErrorCode> {
        self.seq += 1;
        let frame = rmp_serde::to_vec_named(&ClientMessage::Input {
            seq: self.seq,
            d: input,
            rid: None,
        })
        .expect("inputs serialize to MessagePack");
        let data = match self.game.decode_client(&frame) {
            Ok(ClientMessage::Input { d, .. }) => d,
            Ok(_) | Err(DecodeError::Frame(_)) | Err(DecodeError::Input { .. }) => return Err(ErrorCode::BadMessage),
        };
        let runtime = self.runtime();
        let _inside = runtime.enter();
        self.room.handle(RoomCommand::Input {
            player: self.players[player.0].info.id.clone(),
            seq: self.seq,
            data: RecordedInput::wrap(&self.game, data, &frame),
        });
        // A turn-based room ticks for it now; a real-time one at its next
        // tick ([`TestRoom::tick`], [`TestRoom::advance`]).
        self.settle();
        Ok(())
    }

    /// Runs one tick now: the game's systems (once its match has started),
    /// then replication to every player.
    pub fn tick(&mut self) {
        let runtime = self.runtime();
        let _inside = runtime.enter();
        if !self.room.is_closed() {
            self.room.tick();
        }
        self.settle();
    }

    /// Moves the room's clock forward by `by`. A real-time room ticks at
    /// its rate on the way (one tick per `1 / tick_rate`); a turn-based
    /// room ticks when a timer its game set falls due. A held seat whose
    /// grace ends on the way is released.
    pub fn advance(&mut self, by: Duration) {
        let runtime = self.runtime();
        let _inside = runtime.enter();
        match self.game.manifest().tick_interval() {
            Some(period) => {
                let mut left = by;
                while left >= period && !self.room.is_closed() {
                    self.time.advance(period);
                    left -= period;
                    self.tick();
                }
                self.time.advance(left);
            }
            None => {
                let end = self.time.now() + by;
                while let Some(wake) = self.room.next_wake_at().filter(|at| *at <= end) {
                    if self.room.is_closed() {
                        break;
                    }
                    let now = self.time.now();
                    self.time.advance(wake.saturating_duration_since(now));
                    self.tick();
                }
                self.time.advance(end.saturating_duration_since(self.time.now()));
            }
        }
        self.room.release_expired_seats();
        self.settle();
    }

    /// The runtime the room is driven in: its ledger writes are tasks.
    fn runtime(&self) -> Arc<tokio::runtime::Runtime> {
        self.runtime.clone()
    }

    /// The room's state as `player`'s client sees it.
    pub fn view(&mut self, player: TestPlayer) -> &Mirror {
        self.receive();
        &self.players[player.0].mirror
    }

    /// The messages `player` received since the last call, decoded (as
    /// JSON values: `joined`, `p`, `event`, `error`, `result`, `left`).
    pub fn messages(&mut self, player: TestPlayer) -> Vec<Value> {
        self.receive();
        std::mem::take(&mut self.players[player.0].received)
    }

    /// The entity id of `player` (their `joined.you`).
    pub fn id(&mut self, player: TestPlayer) -> u64 {
        self.view(player).you
    }

    /// The matches recorded so far, in order.
    pub fn results(&self) -> Vec<MatchRecord> {
        self.ledger.0.lock().expect("results lock").clone()
    }

    /// Runs recorded match `match_id` again, as `parlor replay` does: from
    /// its seed and what the room recorded (the manifest must say
    /// `record = true`), in a fresh room of the game, with every match of
    /// this room before it first. `Ok` with a report per match if each
    /// ends with the ranking it was recorded with; a game that reads
    /// anything but its world, inputs, `Clock` and `MatchRng` (the system
    /// time, another generator, a `HashMap`'s order) is caught here.
    ///
    /// ```
    /// # use parlor::prelude::*;
    /// # pub struct Clicker;
    /// # impl Game for Clicker {
    /// #     type Input = ();
    /// #     type Settings = NoSettings;
    /// #     const NAME: &'static str = "clicker";
    /// #     fn build(room: &mut RoomBuilder) { room.add_systems(press); }
    /// # }
    /// # fn press(inputs: Res<Inputs<()>>, mut commands: Commands) {
    /// #     if let Some(input) = inputs.iter().next() {
    /// #         commands.insert_resource(Outcome::winner(input.player, 1));
    /// #     }
    /// # }
    /// use parlor::testing::TestRoom;
    /// let mut room = TestRoom::new::<Clicker>("name = \"clicker\"\nmin_players = 1\nmax_players = 1\nrecord = true\n");
    /// let ann = room.join("Ann");
    /// room.input(ann, &()).unwrap();
    /// let id = room.results()[0].id.clone();
    /// let reports = room.replay(&id).unwrap();
    /// assert_eq!(reports[0].ranking.as_ref().unwrap()[0].name, "Ann");
    /// ```
    pub fn replay(&self, match_id: &str) -> Result<Vec<ReplayReport>, String> {
        let results = self.results();
        let mut chain = Vec::new();
        let mut next = Some(match_id.to_owned());
        while let Some(id) = next {
            let record = results
                .iter()
                .find(|r| r.id == id)
                .ok_or_else(|| format!("this room recorded no match {id}"))?;
            let bytes = record
                .recording
                .as_ref()
                .ok_or_else(|| format!("match {id} has no recording: add `record = true` to the manifest"))?;
            let recording = Recording::decode(bytes)?;
            let seed = record
                .seed
                .as_deref()
                .and_then(MatchSeed::parse)
                .ok_or_else(|| format!("match {id} has no seed"))?;
            next = recording.previous.clone();
            chain.push(ReplayMatch {
                id,
                seed,
                ranking: record.ranking.clone(),
                aborted: record.aborted,
                recording,
            });
        }
        chain.reverse();
        let context = context(Arc::new(RecordedMatches::default()), Lifecycle::new());
        Replay::new(context, self.game.clone(), chain)
            .run()
            .map_err(|e| e.to_string())
    }

    /// Whether the room has ended (finished, empty or failed).
    pub fn is_closed(&self) -> bool {
        self.room.is_closed()
    }

    /// Ticks a turn-based room that has something to tick for (as its
    /// task would), then runs the room's ledger writes to their end, so
    /// `result` is in each player's queue.
    fn settle(&mut self) {
        if self.game.manifest().turn_based() && self.room.is_dirty() && !self.room.is_closed() {
            self.room.tick();
        }
        let lifecycle = self.lifecycle.clone();
        // The writes are ready at once (the ledger is in memory): each
        // yield lets them run.
        self.runtime.block_on(async move {
            while lifecycle.pending() > 0 {
                tokio::task::yield_now().await;
            }
        });
    }

    /// Moves what the room queued for each player into their mirror.
    fn receive(&mut self) {
        for seat in &mut self.players {
            while let Ok(item) = seat.outbound.try_recv() {
                let frame = item.into_frame();
                let message = seat.mirror.apply_frame(&frame).expect("the room's frames decode");
                seat.received.push(message);
            }
        }
    }
}

/// The harness's ledger: matches kept in memory, in order. (A server's
/// SQLite ledger is tested through sockets; rules tests need the records,
/// not the disk.)
#[derive(Default)]
struct RecordedMatches(Mutex<Vec<MatchRecord>>);

impl Ledger for RecordedMatches {
    fn record<'a>(&'a self, record: &'a MatchRecord) -> BoxFuture<'a, Result<(), LedgerError>> {
        self.0.lock().expect("results lock").push(record.clone());
        Box::pin(std::future::ready(Ok(())))
    }

    /// No room asks: sessions are the connections'.
    fn advance_session<'a>(&'a self, _: &'a str, _: u64, _: u64, _: u64) -> BoxFuture<'a, Result<bool, LedgerError>> {
        Box::pin(std::future::ready(Ok(true)))
    }
}
