//! The games a server hosts: each game's manifest paired with its Rust
//! implementation, behind an object-safe [`GameType`] so rooms of different
//! games can live in one directory.

use std::any::Any;
use std::collections::BTreeMap;
use std::marker::PhantomData;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use bevy_ecs::prelude::*;
use bevy_ecs::schedule::SingleThreadedExecutor;
use bytes::Bytes;

use crate::game::{Clock, Game, Input, Inputs, Reject, RoomBuilder};
use crate::manifest::{Manifest, ManifestError};
use crate::protocol::{FrameWriter, InputMessage};
use crate::replication::{Changes, ReplicatedType, Replication};
use crate::room::Simulation;

/// An input whose game type is known only to its room.
pub type AnyInput = Box<dyn Any + Send>;

/// A hosted game, with its type erased.
pub trait GameType: Send + Sync + 'static {
    /// The game's manifest.
    fn manifest(&self) -> &Manifest;
    /// A fresh simulation for a new room.
    fn new_simulation(&self) -> Simulation;
    /// Decodes an `input` frame into `(seq, d)` for this game.
    fn decode_input(&self, frame: &[u8]) -> Result<(u32, AnyInput), String>;
    /// The encoded `schema` array, the same for every room of the game.
    fn schema(&self) -> &Bytes;
}

/// A [`Game`] with its manifest.
struct Hosted<G: Game> {
    manifest: Manifest,
    schema: Bytes,
    /// The replicated types, registered by the first room and shared.
    types: OnceLock<Arc<Vec<ReplicatedType>>>,
    _game: PhantomData<fn() -> G>,
}

impl<G: Game> Hosted<G> {
    fn new(manifest: Manifest) -> Self {
        let mut hosted = Hosted {
            manifest,
            schema: Bytes::new(),
            types: OnceLock::new(),
            _game: PhantomData,
        };
        // Building one room at start-up checks the game sets itself up
        // without panicking and gives the schema shared by all its rooms.
        let probe = hosted.new_simulation();
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

    fn new_simulation(&self) -> Simulation {
        let mut world = World::new();
        let mut schedule = Schedule::new(crate::game::Tick);
        // Rooms run in parallel with each other; one room's systems run on
        // one thread, which is far cheaper per tick (see docs/benchmarks.md).
        schedule.set_executor(SingleThreadedExecutor::new());
        let mut replication = Replication::new();
        // `Inputs` is inserted when the match starts or the first input
        // arrives: a resource costs a room 2-3 KiB, and most rooms waiting
        // for players never get either.
        world.insert_resource(Clock::default());
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

    fn decode_input(&self, frame: &[u8]) -> Result<(u32, AnyInput), String> {
        let message: InputMessage<G::Input> = rmp_serde::from_slice(frame).map_err(|e| e.to_string())?;
        Ok((message.seq, Box::new(message.d)))
    }

    fn schema(&self) -> &Bytes {
        &self.schema
    }
}

fn push_input<I: Send + Sync + 'static>(world: &mut World, player: Entity, seq: u32, data: AnyInput) {
    if let Ok(data) = data.downcast::<I>() {
        world
            .get_resource_or_insert_with(Inputs::<I>::default)
            .queue
            .push(Input {
                player,
                seq,
                data: *data,
            });
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

/// Why the catalog could not be built.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    #[error("no manifest for game {0:?} (expected {0}.toml)")]
    MissingManifest(String),
    #[error("manifest {file} names game {name:?}; the file must be named after the game")]
    NameMismatch { file: String, name: String },
}

/// Where manifests come from.
pub enum ManifestSource<'a> {
    /// The manifests compiled into the binary (assets/games/).
    Bundled,
    /// A directory of NAME.toml files that replace the bundled ones; a game
    /// without a file there keeps its bundled manifest.
    Dir(&'a Path),
}

/// The games this server hosts, by name.
#[derive(Clone, Default)]
pub struct Catalog {
    games: BTreeMap<String, Arc<dyn GameType>>,
}

impl Catalog {
    /// An empty catalog; add games with [`Catalog::add`].
    pub fn new() -> Self {
        Self::default()
    }

    /// Hosts game `G` with `manifest`, which [`Game::check_manifest`] must
    /// accept.
    pub fn add<G: Game>(&mut self, manifest: Manifest) -> Result<&mut Self, CatalogError> {
        self.add_checked::<G>(manifest, &format!("manifest for {}", G::NAME))
    }

    /// [`Catalog::add`], naming the manifest `path` in errors.
    fn add_checked<G: Game>(&mut self, manifest: Manifest, path: &str) -> Result<&mut Self, CatalogError> {
        if manifest.name != G::NAME {
            return Err(CatalogError::NameMismatch {
                file: path.to_owned(),
                name: manifest.name,
            });
        }
        G::check_manifest(&manifest).map_err(|message| ManifestError::Invalid {
            path: path.to_owned(),
            message,
        })?;
        self.games
            .insert(G::NAME.to_owned(), Arc::new(Hosted::<G>::new(manifest)));
        Ok(self)
    }

    /// Hosts game `G`, reading its manifest from `source`.
    pub fn add_from<G: Game>(&mut self, source: &ManifestSource, bundled: &str) -> Result<&mut Self, CatalogError> {
        let file = format!("{}.toml", G::NAME);
        let (manifest, path) = match source {
            ManifestSource::Dir(dir) if dir.join(&file).exists() => {
                let path = dir.join(&file);
                (Manifest::load(&path)?, path.display().to_string())
            }
            _ => {
                let path = format!("assets/games/{file}");
                (Manifest::parse_named(bundled, &path)?, path)
            }
        };
        if manifest.name != G::NAME {
            return Err(CatalogError::NameMismatch {
                file,
                name: manifest.name,
            });
        }
        self.add_checked::<G>(manifest, &path)
    }

    /// The bundled games with manifests from `source`.
    pub fn bundled(source: &ManifestSource) -> Result<Catalog, CatalogError> {
        let mut catalog = Catalog::new();
        crate::games::register(&mut catalog, source)?;
        Ok(catalog)
    }

    /// A game by name.
    pub fn get(&self, name: &str) -> Option<&Arc<dyn GameType>> {
        self.games.get(name)
    }

    /// Every game, by name.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<dyn GameType>> {
        self.games.values()
    }
}
