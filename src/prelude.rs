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

pub use bevy_ecs::prelude::*;

pub use crate::game::{entity_id, Clock, EntityId, GameEvents, Input, Inputs, Outcome, Placing, Player, Reject};
pub use crate::manifest::Manifest;
pub use crate::simulation::{Game, NoSettings, RoomBuilder, Tick};
