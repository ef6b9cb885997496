//! Parlor: the backend engine for real-time games that live inside chats.
//!
//! A publisher writes a game's rules once as bevy_ecs systems (see
//! [`game`]); Parlor hosts many rooms of it, each an isolated authoritative
//! simulation, keeps every client in sync over a websocket (protocol v1,
//! docs/protocol.md), and records each match's result in a [`ledger`].

//!
//! Layers, each importing only those before it: [`protocol`] (the wire
//! messages), [`game`] (the values a game's systems use) <- [`replication`]
//! <- [`simulation`] (`Game`, the bevy parts of a room) <- [`room`] (the
//! room task) <- [`matchmaking`] <- [`net`]. [`client`] is a protocol
//! client over the same message types. docs/architecture.md is the map.

/// The ECS every room runs, re-exported so a game's crate uses Parlor's
/// version of it (also in [`prelude`]).
pub use bevy_ecs;
/// The compiled-in files crate, re-exported for
/// [`App::embedded_pages`]: `#[crate_path = "parlor::rust_embed"]` on the
/// derive makes it work without a dependency of the game crate's own.
pub use rust_embed;

#[cfg(feature = "agones")]
pub mod agones;
pub mod app;
pub mod auth;
pub mod catalog;
pub mod client;
pub mod cluster;
pub mod config;
pub mod game;
pub mod keyfile;
pub mod ledger;
pub mod lifecycle;
#[cfg(feature = "load")]
pub mod load;
pub mod manifest;
pub mod matchmaking;
pub mod memory;
pub mod metrics;
pub mod net;
pub mod prelude;
pub mod protocol;
pub mod replay;
pub mod replication;
pub mod room;
pub mod scaffold;
pub mod simulation;
#[cfg(test)]
mod test_games;
pub mod testing;
pub mod ton;

pub use app::App;
