//! The game API's values: what a game's systems read and write. The
//! lowest layer of the engine; it imports nothing else of Parlor's but the
//! manifest.
//!
//! A game is a set of bevy_ecs components, resources and systems. It
//! implements [`Game`](crate::simulation::Game), whose `build` registers
//! them on a [`RoomBuilder`](crate::simulation::RoomBuilder) and marks which
//! of them are replicated to clients. The engine spawns one entity with a
//! [`Player`] component per seated player, hands each tick's inputs to the
//! game as the [`Inputs`] resource, and ends a match when the game inserts
//! an [`Outcome`]. A game file imports [`crate::prelude`].
//!
//! ```
//! use parlor::prelude::*;
//! use serde::{Deserialize, Serialize};
//!
//! /// Replicated: how many times the button was pressed.
//! #[derive(Resource, Serialize, Deserialize, Default)]
//! pub struct Presses(pub u32);
//!
//! /// First player to press ten times wins.
//! pub struct Clicker;
//!
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
//!         if presses.0 == 10 {
//!             commands.insert_resource(Outcome::winner(input.player, 10));
//!         }
//!     }
//! }
//! ```

use std::time::Duration;

use bevy_ecs::prelude::*;
use rand::rngs::ChaCha20Rng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

pub use bevy_ecs::system::ScheduleSystem;

/// The engine's component on every seated player's entity. Always
/// replicated, as schema type 0.
#[derive(Component, Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Player {
    /// The player's stable id, e.g. `guest:k3j9x2` or `tg:12345`.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Seat number, 0-based, lowest free seat on join.
    pub slot: u8,
    /// False while the player's connection is away.
    pub online: bool,
}

/// Who a private component belongs to, on an entity that is not the
/// player's own: a card in a hand carries `Owner(player)`. A component
/// registered with [`RoomBuilder::replicate_private`](crate::simulation::RoomBuilder::replicate_private)
/// is sent to the player whose entity carries it, or else to the player
/// its `Owner` names, and to nobody on an entity with neither (the deck).
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq)]
pub struct Owner(pub Entity);

/// Limits who sees an entity at all: its replicated components, and that it
/// exists, reach only the listed players (never spectators). Changing the
/// list shows the entity whole to players added and removes it (`gone`)
/// from players dropped; removing the component makes the entity public.
/// For one owner's secret on an otherwise public entity, see [`Owner`].
///
/// ```
/// use parlor::prelude::*;
///
/// let mut world = World::new();
/// let (ann, bob) = (world.spawn_empty().id(), world.spawn_empty().id());
/// // A note only Ann and Bob can read.
/// world.spawn(VisibleTo::players([ann, bob]));
/// ```
#[derive(Component, Debug, Clone, PartialEq, Eq, Default)]
pub struct VisibleTo(pub Vec<Entity>);

impl VisibleTo {
    /// Visible to these players only.
    pub fn players(players: impl IntoIterator<Item = Entity>) -> Self {
        VisibleTo(players.into_iter().collect())
    }

    /// Whether `player` is one of them.
    pub fn contains(&self, player: Entity) -> bool {
        self.0.contains(&player)
    }
}

/// One player input queued for a tick.
#[derive(Debug)]
pub struct Input<I> {
    /// The entity of the player who sent it.
    pub player: Entity,
    /// The client's sequence number.
    pub seq: u32,
    /// The decoded `d` field.
    pub data: I,
}

/// Why a game refused an input. The client gets an `error` with code
/// `illegal_input` and this message; the game must leave state unchanged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reject(pub String);

impl Reject {
    /// A refusal with a message for the player.
    pub fn new(message: impl Into<String>) -> Self {
        Reject(message.into())
    }
}

/// The inputs that arrived since the previous tick, in arrival order.
/// The engine fills it before the game's systems run and empties it after.
#[derive(Resource, Debug)]
pub struct Inputs<I: Send + Sync + 'static> {
    pub(crate) queue: Vec<Input<I>>,
    pub(crate) rejected: Vec<(Entity, Reject)>,
}

impl<I: Send + Sync + 'static> Default for Inputs<I> {
    fn default() -> Self {
        Inputs {
            queue: Vec::new(),
            rejected: Vec::new(),
        }
    }
}

impl<I: Send + Sync + 'static> Inputs<I> {
    /// The queued inputs, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &Input<I>> {
        self.queue.iter()
    }

    /// Whether any input is queued.
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// Applies each queued input with `apply`, oldest first; an input it
    /// returns `Err` for is refused and its sender gets `illegal_input`.
    pub fn apply(&mut self, mut apply: impl FnMut(Entity, &I) -> Result<(), Reject>) {
        for input in &self.queue {
            if let Err(reject) = apply(input.player, &input.data) {
                self.rejected.push((input.player, reject));
            }
        }
    }
}

/// One player's place in a finished match.
#[derive(Debug, Clone, PartialEq)]
pub struct Placing {
    /// The player's entity.
    pub player: Entity,
    /// 1 is best; equal ranks are ties.
    pub rank: u32,
    /// The game's score for this player.
    pub score: i64,
}

/// Inserted by a game to end the current match. The engine records it in
/// the ledger, sends `result`, removes the resource, and then closes the room
/// or, for a manifest with `continuous = true`, lets the game go on.
#[derive(Resource, Debug, Clone, PartialEq, Default)]
pub struct Outcome {
    /// Every ranked player.
    pub ranking: Vec<Placing>,
}

impl Outcome {
    /// Ranks players by score, highest first; equal scores share a rank
    /// (1, 1, 3, ...).
    pub fn by_score(scores: impl IntoIterator<Item = (Entity, i64)>) -> Self {
        let mut scores: Vec<(Entity, i64)> = scores.into_iter().collect();
        scores.sort_by_key(|&(_, score)| std::cmp::Reverse(score));
        let mut ranking = Vec::with_capacity(scores.len());
        for (i, (player, score)) in scores.iter().enumerate() {
            let rank = match ranking.last() {
                Some(Placing { rank, score: prev, .. }) if prev == score => *rank,
                _ => i as u32 + 1,
            };
            ranking.push(Placing {
                player: *player,
                rank,
                score: *score,
            });
        }
        Outcome { ranking }
    }

    /// One winner with `score`; every other seated player is ranked second
    /// by the engine.
    pub fn winner(player: Entity, score: i64) -> Self {
        Outcome {
            ranking: vec![Placing { player, rank: 1, score }],
        }
    }
}

/// The room's clock, updated by the engine before each tick.
#[derive(Resource, Debug, Clone, Default)]
pub struct Clock {
    /// Number of the tick being run (the first is 1).
    pub tick: u64,
    /// Simulated time since the room opened. Real-time rooms advance it by
    /// exactly `1 / tick_rate` per tick, so the game stays deterministic.
    pub elapsed: Duration,
    /// Time since the previous tick (fixed in real-time rooms).
    pub delta: Duration,
    /// The match being played: 1 for the room's first, 2 for the next
    /// round, and so on; 0 until the manifest's minimum seats are filled
    /// (the game's systems run only from then on). It lives here rather than
    /// in a resource of its own because every resource costs each room
    /// about 2 KiB.
    pub match_number: u32,
    pub(crate) wake_at: Option<Duration>,
}

impl Clock {
    /// Asks for a tick no later than `after` from now. Turn-based rooms
    /// otherwise tick only when an input arrives or membership changes.
    pub fn wake_after(&mut self, after: Duration) {
        let at = self.elapsed + after;
        self.wake_at = Some(self.wake_at.map_or(at, |w| w.min(at)));
    }

    /// `delta` in seconds.
    pub fn delta_secs(&self) -> f32 {
        self.delta.as_secs_f32()
    }
}

/// One-off game events (`event` messages) produced during a tick. A game
/// that sends events inserts this resource in [`Game::build`]
/// (`room.insert_resource(GameEvents::default())`); the engine does not add
/// it to every room, because each resource costs a room about 2 KiB.
#[derive(Resource, Debug, Default)]
pub struct GameEvents {
    pub(crate) queue: Vec<(Option<Entity>, String, Vec<u8>)>,
}

impl GameEvents {
    /// Sends event `name` with value `data` to every client of the room.
    pub fn broadcast<T: Serialize>(&mut self, name: &str, data: &T) {
        self.push(None, name, data);
    }

    /// Sends event `name` to one player only.
    pub fn send_to<T: Serialize>(&mut self, player: Entity, name: &str, data: &T) {
        self.push(Some(player), name, data);
    }

    fn push<T: Serialize>(&mut self, to: Option<Entity>, name: &str, data: &T) {
        // Values travel compact (structs as arrays), like replicated state.
        let bytes = rmp_serde::to_vec(data).expect("event values serialize to MessagePack");
        self.queue.push((to, name.to_owned(), bytes));
    }
}

/// The wire id of an entity: its index in the low 32 bits and its
/// generation in the high ones, so ids are small and stable for a room's
/// life. It is what clients know an entity by: `joined.you`, the keys of
/// the entity state, `patch.gone`. It is not `Entity::to_bits()`, which
/// encodes the index differently; to put an entity in replicated state or
/// an event, use [`EntityId`], which travels as this id.
pub fn entity_id(entity: Entity) -> u64 {
    entity.index_u32() as u64 | ((entity.generation().to_bits() as u64) << 32)
}

/// An entity inside replicated state or an event value, sent as its wire
/// id ([`entity_id`]), so a client can compare it with `joined.you` and
/// look it up in the entity state as it is.
///
/// ```
/// use parlor::prelude::*;
/// use serde::{Deserialize, Serialize};
///
/// /// Replicated: whose turn it is.
/// #[derive(Resource, Serialize, Deserialize, Default)]
/// pub struct Turn {
///     pub player: Option<EntityId>,
/// }
///
/// let mut world = World::new();
/// let alice = world.spawn_empty().id();
/// let turn = Turn { player: Some(EntityId(alice)) };
/// let bytes = rmp_serde::to_vec(&turn).unwrap();
/// // On the wire: the id the client got as `joined.you`.
/// assert_eq!(rmp_serde::from_slice::<(Option<u64>,)>(&bytes).unwrap(), (Some(entity_id(alice)),));
/// let back: Turn = rmp_serde::from_slice(&bytes).unwrap();
/// assert_eq!(back.player, Some(EntityId(alice)));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EntityId(pub Entity);

impl From<Entity> for EntityId {
    fn from(entity: Entity) -> Self {
        EntityId(entity)
    }
}

impl Serialize for EntityId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u64(entity_id(self.0))
    }
}

impl<'de> serde::Deserialize<'de> for EntityId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let id = u64::deserialize(deserializer)?;
        let index = bevy_ecs::entity::EntityIndex::from_raw_u32(id as u32)
            .ok_or_else(|| serde::de::Error::custom(format!("{id} is not an entity id")))?;
        let generation = bevy_ecs::entity::EntityGeneration::from_bits((id >> 32) as u32);
        Ok(EntityId(Entity::from_index_and_generation(index, generation)))
    }
}

/// The match's random source, for everything random in a game: shuffles,
/// spawn points, which questions are asked.
///
/// It is ChaCha20 (rand's `ChaCha20Rng`, stream 0) seeded with 32 bytes
/// the server draws from the operating system when the room opens, and
/// again for each next match of a continuous room. Players get the SHA-256
/// of the seed before the match is played (`joined.fair`, then `fair`) and
/// the seed itself once it ends (`result.seed`, and the signed match
/// record), so anyone can re-run the draws and see that the server did not
/// choose them (docs/fairness.md). A replay reproduces a match only if the
/// game draws from nothing else.
///
/// [`MatchRng::below`] and [`MatchRng::shuffle`] are specified to the bit
/// so a check outside Rust is ten lines; rand's own methods (through
/// `Deref` to the generator, with `rand::RngExt` in scope) are as
/// deterministic, but a check of them must reimplement rand's algorithms.
///
/// ```
/// use parlor::prelude::*;
///
/// let mut rng = MatchRng::from_seed([7; 32]);
/// let mut deck: Vec<u8> = (0..36).collect();
/// rng.shuffle(&mut deck);
/// let mut again = MatchRng::from_seed([7; 32]);
/// let mut same: Vec<u8> = (0..36).collect();
/// again.shuffle(&mut same);
/// assert_eq!(deck, same);
/// assert!(rng.below(6) < 6);
/// ```
#[derive(Resource, Debug)]
pub struct MatchRng(ChaCha20Rng);

impl MatchRng {
    /// The generator a match with this seed draws from.
    pub fn from_seed(seed: [u8; 32]) -> Self {
        MatchRng(ChaCha20Rng::from_seed(seed))
    }

    /// The next 64 bits: the next 8 bytes of the ChaCha20 keystream (key
    /// the seed, nonce and counter 0), little-endian.
    pub fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// A uniform number in `0..n`: the next 64-bit draw `x`, redrawn while
    /// `x >= 2^64 - (2^64 mod n)`, then `x mod n`.
    ///
    /// # Panics
    /// When `n` is 0.
    pub fn below(&mut self, n: u64) -> u64 {
        assert!(n > 0, "MatchRng::below needs a non-empty range");
        // 2^64 mod n, without 128-bit arithmetic.
        let spare = (u64::MAX % n + 1) % n;
        loop {
            let x = self.next_u64();
            if spare == 0 || x < spare.wrapping_neg() {
                return x % n;
            }
        }
    }

    /// Shuffles `items` (Fisher-Yates from the end): for `i` from
    /// `len - 1` down to 1, swap item `i` with item `below(i + 1)`.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }
}

impl std::ops::Deref for MatchRng {
    type Target = ChaCha20Rng;
    fn deref(&self) -> &ChaCha20Rng {
        &self.0
    }
}

impl std::ops::DerefMut for MatchRng {
    fn deref_mut(&mut self) -> &mut ChaCha20Rng {
        &mut self.0
    }
}
