//! Arena: players steer around a square field collecting orbs. Rounds of
//! `match_seconds` follow each other; each round's ranking by score is a
//! recorded match, then scores reset. Players may join a running round.

use bevy_ecs::prelude::*;
use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::game::{Clock, Inputs, Outcome, Player};
use crate::simulation::{Game, RoomBuilder};

/// Where a player or an orb is, in field units.
#[derive(Component, Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Default)]
pub struct Position {
    pub x: f32,
    pub y: f32,
}

/// Orbs collected this round.
#[derive(Component, Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Default)]
pub struct Score(pub u32);

/// Marks an orb.
#[derive(Component, Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Default)]
pub struct Orb;

/// The current round and the tick it ends on.
#[derive(Resource, Serialize, Deserialize, Debug, Clone, PartialEq, Default)]
pub struct Round {
    pub number: u32,
    pub ends_at_tick: u64,
}

/// A player's steering, as last sent (not replicated).
#[derive(Component, Debug, Clone, Copy, PartialEq, Default)]
pub struct Steer {
    pub dx: f32,
    pub dy: f32,
}

/// The input: a direction, clamped to unit length.
#[derive(Deserialize, Debug, Clone, Copy)]
pub struct SteerInput {
    pub dx: f32,
    pub dy: f32,
}

/// The field's rules, from the manifest's `[settings]`.
#[derive(Resource, Debug, Clone)]
pub struct Rules {
    pub field: f32,
    pub speed: f32,
    pub reach: f32,
    pub round_ticks: u64,
}

/// The room's random source.
#[derive(Resource)]
pub struct Dice(pub SmallRng);

pub struct Arena;

impl Game for Arena {
    type Input = SteerInput;
    const NAME: &'static str = "arena";

    fn build(room: &mut RoomBuilder) {
        let manifest = room.manifest();
        let setting =
            |key: &str, default: f64| manifest.settings.get(key).and_then(|v| v.as_float()).unwrap_or(default);
        let rules = Rules {
            field: setting("field", 1000.0) as f32,
            speed: setting("speed", 200.0) as f32,
            reach: setting("reach", 20.0) as f32,
            round_ticks: manifest.match_seconds.unwrap_or(60) as u64 * manifest.tick_rate.unwrap_or(20) as u64,
        };
        let orbs = manifest.settings.get("orbs").and_then(|v| v.as_integer()).unwrap_or(30);
        let mut dice = Dice(SmallRng::from_rng(&mut rand::rng()));
        let world = room.world_mut();
        for _ in 0..orbs {
            world.spawn((Orb, random_spot(&mut dice, &rules)));
        }
        room.insert_resource(rules)
            .insert_resource(dice)
            .replicate::<Position>()
            .replicate::<Score>()
            .replicate::<Orb>()
            .replicate_resource(Round::default())
            .add_systems((seat_players, steer, pause_offline, movement, collect, rounds).chain());
    }
}

fn random_spot(dice: &mut Dice, rules: &Rules) -> Position {
    Position {
        x: dice.0.random_range(0.0..rules.field),
        y: dice.0.random_range(0.0..rules.field),
    }
}

fn seat_players(new: Query<Entity, Added<Player>>, rules: Res<Rules>, mut dice: ResMut<Dice>, mut commands: Commands) {
    for entity in &new {
        commands
            .entity(entity)
            .insert((random_spot(&mut dice, &rules), Score(0), Steer::default()));
    }
}

fn steer(inputs: Res<Inputs<SteerInput>>, mut players: Query<&mut Steer>) {
    for input in inputs.iter() {
        let SteerInput { dx, dy } = input.data;
        let (dx, dy) = if dx.is_finite() && dy.is_finite() {
            (dx, dy)
        } else {
            (0.0, 0.0)
        };
        let length = (dx * dx + dy * dy).sqrt();
        let scale = if length > 1.0 { 1.0 / length } else { 1.0 };
        if let Ok(mut s) = players.get_mut(input.player) {
            s.set_if_neq(Steer {
                dx: dx * scale,
                dy: dy * scale,
            });
        }
    }
}

/// A player whose connection dropped stands still until they are back (or
/// their seat is released), so nobody plays on their behalf.
fn pause_offline(mut players: Query<(&Player, &mut Steer), Changed<Player>>) {
    for (player, mut steer) in &mut players {
        if !player.online {
            steer.set_if_neq(Steer::default());
        }
    }
}

fn movement(mut movers: Query<(&Steer, &mut Position)>, rules: Res<Rules>, clock: Res<Clock>) {
    let step = rules.speed * clock.delta_secs();
    for (s, mut position) in &mut movers {
        let next = Position {
            x: (position.x + s.dx * step).clamp(0.0, rules.field),
            y: (position.y + s.dy * step).clamp(0.0, rules.field),
        };
        // Only a real move marks the position changed and is replicated.
        position.set_if_neq(next);
    }
}

fn collect(
    mut players: Query<(&Player, &Position, &mut Score)>,
    mut orbs: Query<&mut Position, (With<Orb>, Without<Player>)>,
    rules: Res<Rules>,
    mut dice: ResMut<Dice>,
) {
    let reach2 = rules.reach * rules.reach;
    for (who, player, mut score) in &mut players {
        if !who.online {
            continue;
        }
        for mut orb in &mut orbs {
            let (dx, dy) = (orb.x - player.x, orb.y - player.y);
            if dx * dx + dy * dy <= reach2 {
                score.0 += 1;
                *orb = random_spot(&mut dice, &rules);
            }
        }
    }
}

fn rounds(
    mut round: ResMut<Round>,
    clock: Res<Clock>,
    rules: Res<Rules>,
    mut players: Query<(Entity, &mut Score)>,
    mut commands: Commands,
) {
    if round.number == 0 {
        *round = Round {
            number: 1,
            ends_at_tick: clock.tick + rules.round_ticks,
        };
        return;
    }
    if clock.tick < round.ends_at_tick {
        return;
    }
    commands.insert_resource(Outcome::by_score(players.iter().map(|(e, s)| (e, s.0 as i64))));
    for (_, mut score) in &mut players {
        score.set_if_neq(Score(0));
    }
    *round = Round {
        number: round.number + 1,
        ends_at_tick: clock.tick + rules.round_ticks,
    };
}
