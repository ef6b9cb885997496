//! What a game file imports: `use parlor::prelude::*;` brings the game
//! API, bevy_ecs's own prelude (at the version Parlor is built with) and
//! the manifest.
//!
//! ```
//! use parlor::prelude::*;
//! #[derive(Resource, Default)]
//! struct Turn(u32);
//! fn next(mut turn: ResMut<Turn>) { turn.0 += 1; }
//! ```

/// bevy_ecs itself, at the version Parlor is built with: its derives
/// (`Component`, `Resource`) name `bevy_ecs`, and this makes that name
/// resolve in a file that imports the prelude, so a game's crate needs no
/// bevy_ecs dependency of its own (and cannot pick a version that differs).
pub use bevy_ecs;
pub use bevy_ecs::prelude::*;

pub use crate::game::{
    entity_id, Clock, EntityId, GameEvents, Input, Inputs, MatchRng, Outcome, Owner, Placing, Player, Reject, VisibleTo,
};
pub use crate::manifest::Manifest;
pub use crate::simulation::{Game, NoSettings, RoomBuilder, Tick};
