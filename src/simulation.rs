//! The room simulation: what a game is to the engine, and the bevy parts
//! a room runs.
//!
//! A publisher implements [`Game`]; its [`Game::build`] registers the game's
//! resources, replicated types and systems on a [`RoomBuilder`]. The engine
//! hosts it as a [`GameType`] (the game with its type erased, so rooms of
//! different games share one directory), which builds a [`Simulation`] per
//! room and decodes the game's inputs. Layers: [`crate::game`] (values) <-
//! [`crate::replication`] <- this module <- [`crate::room`] (the task).
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

use std::any::Any;
use std::marker::PhantomData;
use std::sync::{Arc, OnceLock};

use bevy_ecs::prelude::*;
use bevy_ecs::schedule::{ScheduleLabel, SingleThreadedExecutor};
use bevy_ecs::system::ScheduleSystem;
use bytes::Bytes;
use serde::de::{DeserializeOwned, IgnoredAny};
use serde::Serialize;

use crate::game::{Clock, Input, Inputs, MatchRng, Reject};
use crate::manifest::Manifest;
use crate::protocol::{ClientMessage, FrameWriter, Rid};
use crate::replication::{Changes, ReplicatedType, Replication};

/// A game title hosted by Parlor.
///
/// `NAME` must match the `name` of the game's manifest
/// (NAME.toml, e.g. games/manifests/); the manifest gives seats, tick rate and match
/// length, the implementation gives the rules.
pub trait Game: Send + Sync + 'static {
    /// What a client sends as `d` in an `input` message, decoded with
    /// rmp-serde. Bad input never reaches the game: it is refused with
    /// `bad_message` before it is queued.
    type Input: DeserializeOwned + Send + Sync + 'static;
    /// The game's `[settings]`, read from its manifest when the server
    /// starts: a key the type does not read, or a value of the wrong type,
    /// stops the server with the manifest file named
    /// ([`Manifest::settings_as`]). Every room gets a copy as a resource,
    /// so systems read it as `Res<Self::Settings>`, and
    /// [`RoomBuilder::settings`] gives it to [`Game::build`].
    /// [`NoSettings`] for a game without any.
    ///
    /// ```
    /// use parlor::prelude::*;
    /// use serde::{Deserialize, Serialize};
    ///
    /// /// Replicated: how many times the button was pressed.
    /// #[derive(Resource, Serialize, Deserialize, Default)]
    /// pub struct Presses(pub u32);
    ///
    /// /// `[settings]` of the manifest: `target = 10` by default.
    /// #[derive(Resource, Deserialize, Clone)]
    /// #[serde(default, deny_unknown_fields)]
    /// pub struct ClickerSettings {
    ///     pub target: u32,
    /// }
    ///
    /// impl Default for ClickerSettings {
    ///     fn default() -> Self {
    ///         ClickerSettings { target: 10 }
    ///     }
    /// }
    ///
    /// pub struct Clicker;
    ///
    /// impl Game for Clicker {
    ///     type Input = ();
    ///     type Settings = ClickerSettings;
    ///     const NAME: &'static str = "clicker";
    ///     fn check_settings(settings: &ClickerSettings) -> Result<(), String> {
    ///         match settings.target {
    ///             0 => Err("setting `target` must be 1 or more".into()),
    ///             _ => Ok(()),
    ///         }
    ///     }
    ///     fn build(room: &mut RoomBuilder) {
    ///         room.replicate_resource(Presses::default()).add_systems(press);
    ///     }
    /// }
    ///
    /// fn press(
    ///     inputs: Res<Inputs<()>>,
    ///     settings: Res<ClickerSettings>,
    ///     mut presses: ResMut<Presses>,
    ///     mut commands: Commands,
    /// ) {
    ///     for input in inputs.iter() {
    ///         presses.0 += 1;
    ///         if presses.0 == settings.target {
    ///             commands.insert_resource(Outcome::winner(input.player, presses.0.into()));
    ///         }
    ///     }
    /// }
    /// ```
    type Settings: DeserializeOwned + Resource + Clone;
    /// The game's name, as in its manifest and in `quick`/`create`.
    const NAME: &'static str;
    /// Registers the game's resources, replicated types and systems.
    /// Called once per room, on a fresh `World`.
    fn build(room: &mut RoomBuilder);

    /// Checks the game's manifest (e.g. its `[settings]`) when the game is
    /// added to a catalog, before any room is built. An `Err` stops the
    /// server at start-up with the message, naming the manifest file.
    /// Every manifest is accepted by default.
    fn check_manifest(manifest: &Manifest) -> Result<(), String> {
        let _ = manifest;
        Ok(())
    }

    /// Checks the values of the game's settings beyond their types (ranges,
    /// settings that must agree), when the game is added to a catalog. An
    /// `Err` stops the server at start-up with the message, naming the
    /// manifest file. Every value is accepted by default.
    fn check_settings(settings: &Self::Settings) -> Result<(), String> {
        let _ = settings;
        Ok(())
    }
}

/// [`Game::Settings`] of a game without settings: its manifest's
/// `[settings]` must be empty or absent. Rooms do not hold it as a
/// resource (it carries nothing).
#[derive(Resource, serde::Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct NoSettings {}

/// The schedule a game's systems run in, once per tick.
#[derive(ScheduleLabel, Debug, Clone, PartialEq, Eq, Hash)]
pub struct Tick;

/// Sets up one room's `World` and `Schedule` for a game.
pub struct RoomBuilder<'a> {
    pub(crate) world: &'a mut World,
    pub(crate) schedule: &'a mut Schedule,
    pub(crate) replication: &'a mut Replication,
    pub(crate) manifest: &'a Manifest,
}

impl<'a> RoomBuilder<'a> {
    /// The game's manifest (seats, tick rate, match length).
    pub fn manifest(&self) -> &Manifest {
        self.manifest
    }

    /// The game's settings ([`Game::Settings`]), as every room of it holds
    /// them.
    ///
    /// # Panics
    /// When `S` is not the game's settings type, or is [`NoSettings`].
    pub fn settings<S: Resource>(&self) -> &S {
        self.world
            .get_resource::<S>()
            .expect("RoomBuilder::settings reads the game's own Game::Settings type")
    }

    /// Direct access to the room's world, for setup that needs it.
    pub fn world_mut(&mut self) -> &mut World {
        self.world
    }

    /// Adds a resource that is not replicated.
    pub fn insert_resource<R: Resource>(&mut self, value: R) -> &mut Self {
        self.world.insert_resource(value);
        self
    }

    /// Adds a resource and replicates it to every client of the room.
    pub fn replicate_resource<R>(&mut self, value: R) -> &mut Self
    where
        R: Resource + Serialize + DeserializeOwned,
    {
        self.world.insert_resource(value);
        self.replication.add_resource::<R>();
        self
    }

    /// Replicates component `C` on every entity that carries it.
    pub fn replicate<C>(&mut self) -> &mut Self
    where
        C: Component + Serialize + DeserializeOwned,
    {
        self.replication.add_component::<C>(false);
        self
    }

    /// Replicates component `C` to its owner only: the player whose entity
    /// carries it, or the player an [`Owner`](crate::game::Owner) component
    /// on the entity names; on an entity with neither it reaches nobody.
    /// Other players and spectators never receive it, in `joined` or in
    /// patches: the entity's other components still reach them, so they
    /// know the entity exists but not this value.
    ///
    /// ```
    /// use parlor::prelude::*;
    /// use serde::{Deserialize, Serialize};
    ///
    /// /// A player's cards: only that player's client receives them.
    /// #[derive(Component, Serialize, Deserialize, Default)]
    /// pub struct Hand(pub Vec<u8>);
    ///
    /// /// How many cards each player holds, for everyone to see.
    /// #[derive(Component, Serialize, Deserialize, Default)]
    /// pub struct HandSize(pub u8);
    ///
    /// pub struct Cards;
    ///
    /// impl Game for Cards {
    ///     type Input = ();
    ///     type Settings = NoSettings;
    ///     const NAME: &'static str = "cards";
    ///     fn build(room: &mut RoomBuilder) {
    ///         room.replicate_private::<Hand>().replicate::<HandSize>();
    ///     }
    /// }
    /// ```
    pub fn replicate_private<C>(&mut self) -> &mut Self
    where
        C: Component + Serialize + DeserializeOwned,
    {
        self.replication.add_component::<C>(true);
        self
    }

    /// Adds systems to the game's [`Tick`] schedule.
    pub fn add_systems<M>(&mut self, systems: impl IntoScheduleConfigs<ScheduleSystem, M>) -> &mut Self {
        self.schedule.add_systems(systems);
        self
    }
}

/// An input whose game type is known only to its room.
pub type AnyInput = Box<dyn Any + Send>;

/// A hosted game, with its type erased.
pub trait GameType: Send + Sync + 'static {
    /// The game's manifest.
    fn manifest(&self) -> &Manifest;
    /// A fresh simulation for a new room whose first match draws from
    /// `seed` ([`MatchRng`](crate::game::MatchRng)).
    fn new_simulation(&self, seed: [u8; 32]) -> Simulation;
    /// Decodes a client frame, an `input`'s `d` as this game's input type,
    /// in one pass. An error says whether the frame was an `input` whose
    /// `d` does not fit (the envelope decodes without it) or undecodable.
    fn decode_client(&self, frame: &[u8]) -> Result<ClientMessage<AnyInput>, DecodeError>;
    /// The encoded `schema` array, the same for every room of the game.
    fn schema(&self) -> &Bytes;
}

/// A [`Game`] with its manifest and settings.
pub(crate) struct Hosted<G: Game> {
    manifest: Manifest,
    settings: G::Settings,
    schema: Bytes,
    /// The replicated types, registered by the first room and shared.
    types: OnceLock<Arc<Vec<ReplicatedType>>>,
    _game: PhantomData<fn() -> G>,
}

impl<G: Game> Hosted<G> {
    pub(crate) fn new(manifest: Manifest, settings: G::Settings) -> Self {
        let mut hosted = Hosted {
            manifest,
            settings,
            schema: Bytes::new(),
            types: OnceLock::new(),
            _game: PhantomData,
        };
        // Building one room at start-up checks the game sets itself up
        // without panicking and gives the schema shared by all its rooms.
        let probe = hosted.new_simulation([0; 32]);
        let mut w = FrameWriter::default();
        probe.replication.write_schema(&mut w);
        hosted.schema = w.finish();
        hosted
    }
}

impl<G: Game> GameType for Hosted<G> {
    fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    fn new_simulation(&self, seed: [u8; 32]) -> Simulation {
        let mut world = World::new();
        let mut schedule = Schedule::new(Tick);
        // Rooms run in parallel with each other; one room's systems run on
        // one thread, which is far cheaper per tick (see docs/benchmarks.md).
        schedule.set_executor(SingleThreadedExecutor::new());
        let mut replication = Replication::new();
        // `Inputs` is inserted when the match starts or the first input
        // arrives: a resource costs a room kilobytes (docs/benchmarks.md),
        // and most rooms waiting for players never get either.
        world.insert_resource(Clock::default());
        // Before `build`, so a game's setup draws from it too.
        world.insert_resource(MatchRng::from_seed(seed));
        // A settings type that carries nothing (NoSettings) is not worth a
        // resource's memory in every room.
        if std::mem::size_of::<G::Settings>() > 0 {
            world.insert_resource(self.settings.clone());
        }
        {
            let mut builder = RoomBuilder {
                world: &mut world,
                schedule: &mut schedule,
                replication: &mut replication,
                manifest: &self.manifest,
            };
            G::build(&mut builder);
        }
        match self.types.get() {
            Some(table) => replication.share(table),
            None => {
                let _ = self.types.set(replication.table().clone());
            }
        }
        Simulation {
            world,
            schedule,
            replication,
            changes: Changes::default(),
            push_input: push_input::<G::Input>,
            finish_inputs: finish_inputs::<G::Input>,
            start_inputs: start_inputs::<G::Input>,
            inputs_started: false,
        }
    }

    fn decode_client(&self, frame: &[u8]) -> Result<ClientMessage<AnyInput>, DecodeError> {
        match ClientMessage::<G::Input>::decode(frame) {
            Ok(message) => Ok(message.map_input(|d| Box::new(d) as AnyInput)),
            // Only on the error path: is the envelope fine and `d` wrong?
            Err(e) => Err(match ClientMessage::<IgnoredAny>::decode(frame) {
                Ok(ClientMessage::Input { rid, .. }) => DecodeError::Input { message: e, rid },
                _ => DecodeError::Frame(e),
            }),
        }
    }

    fn schema(&self) -> &Bytes {
        &self.schema
    }
}

fn push_input<I: Send + Sync + 'static>(world: &mut World, player: Entity, seq: u32, data: AnyInput) {
    if let Ok(data) = data.downcast::<I>() {
        let input = Input {
            player,
            seq,
            data: *data,
        };
        // The queue exists from the first tick on; looking it up first
        // skips get_resource_or_insert_with's insert path, which showed in
        // the load profile at one call per input.
        match world.get_resource_mut::<Inputs<I>>() {
            Some(mut inputs) => inputs.queue.push(input),
            None => world
                .get_resource_or_insert_with(Inputs::<I>::default)
                .queue
                .push(input),
        }
    }
}

fn start_inputs<I: Send + Sync + 'static>(world: &mut World) {
    world.init_resource::<Inputs<I>>();
}

fn finish_inputs<I: Send + Sync + 'static>(world: &mut World) -> Vec<(Entity, Reject)> {
    let Some(mut inputs) = world.get_resource_mut::<Inputs<I>>() else {
        return Vec::new();
    };
    inputs.queue.clear();
    std::mem::take(&mut inputs.rejected)
}

/// Why a client frame did not decode for a game.
#[derive(Debug)]
pub enum DecodeError {
    /// Not a client message at all.
    Frame(String),
    /// An `input` whose `d` is not the game's input type.
    Input { message: String, rid: Option<Rid> },
}

/// The parts of a room that bevy runs: built by the game's [`GameType`].
pub struct Simulation {
    pub world: World,
    pub schedule: Schedule,
    pub replication: Replication,
    /// What the tick being run changed, filled by replication.
    pub changes: Changes,
    push_input: fn(&mut World, Entity, u32, AnyInput),
    finish_inputs: fn(&mut World) -> Vec<(Entity, Reject)>,
    start_inputs: fn(&mut World),
    inputs_started: bool,
}

impl Simulation {
    /// Queues an input for the next tick.
    pub fn push_input(&mut self, player: Entity, seq: u32, data: AnyInput) {
        (self.push_input)(&mut self.world, player, seq, data)
    }

    /// Runs the game's systems once (the room does so from the start of the
    /// match on), with the game's `Inputs` resource in place.
    pub fn run_schedule(&mut self) {
        if !self.inputs_started {
            (self.start_inputs)(&mut self.world);
            self.inputs_started = true;
        }
        self.schedule.run(&mut self.world);
    }

    /// Empties the input queue after a tick and returns the refused inputs.
    pub fn finish_inputs(&mut self) -> Vec<(Entity, Reject)> {
        (self.finish_inputs)(&mut self.world)
    }
}
