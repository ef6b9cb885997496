//! Two small games for the engine's own unit tests, which cannot use the
//! bundled ones: those are a crate on top of this one (games/).

use serde::{Deserialize, Serialize};

use crate::catalog::Catalog;
use crate::prelude::*;

/// Two seats; each input adds to a shared count. Turn-based (no tick rate).
pub struct Pair;

/// What [`Pair`] replicates.
#[derive(Resource, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
pub struct Count(pub u32);

impl Game for Pair {
    type Input = u8;
    type Settings = NoSettings;
    const NAME: &'static str = "pair";

    fn build(room: &mut RoomBuilder) {
        room.replicate_resource(Count(0)).add_systems(count);
    }
}

fn count(mut inputs: ResMut<Inputs<u8>>, mut total: ResMut<Count>) {
    inputs.apply(|_, n| {
        total.0 += u32::from(*n);
        Ok(())
    });
}

pub const PAIR_MANIFEST: &str = "name = \"pair\"\nmin_players = 2\nmax_players = 2\n";

/// Up to eight seats, ticking at 20 Hz without end; its replicated tick
/// count changes every tick, so every tick sends a patch.
pub struct Drift;

/// What [`Drift`] replicates.
#[derive(Resource, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
pub struct Ticks(pub u64);

impl Game for Drift {
    type Input = u8;
    type Settings = NoSettings;
    const NAME: &'static str = "drift";

    fn build(room: &mut RoomBuilder) {
        room.replicate_resource(Ticks(0)).add_systems(advance);
    }
}

fn advance(mut ticks: ResMut<Ticks>) {
    ticks.0 += 1;
}

pub const DRIFT_MANIFEST: &str =
    "name = \"drift\"\nmin_players = 1\nmax_players = 8\ntick_rate = 20\nmatch_seconds = 60\ncontinuous = true\n";

/// A catalog of both.
pub fn catalog() -> Catalog {
    let mut catalog = Catalog::new();
    catalog.add::<Pair>(Manifest::parse(PAIR_MANIFEST).unwrap()).unwrap();
    catalog.add::<Drift>(Manifest::parse(DRIFT_MANIFEST).unwrap()).unwrap();
    catalog
}
