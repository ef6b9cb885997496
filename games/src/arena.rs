//! Arena: players steer around a square field collecting orbs. Rounds of
//! `match_seconds` follow each other; each round's ranking by score is a
//! recorded match, then scores reset. Players may join a running round.

use parlor::prelude::*;
use rand::RngExt;
use serde::{Deserialize, Serialize};

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

/// The arena's `[settings]` (manifests/arena.toml): `field`, default
/// 1000; `speed`, 200; `reach`, 20; `orbs`, 30.
#[derive(Resource, Deserialize, Debug, Clone, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ArenaSettings {
    /// The field is `field` x `field` units.
    pub field: f32,
    /// Units per second at full steer.
    pub speed: f32,
    /// An orb within this distance is collected.
    pub reach: f32,
    /// Orbs on the field.
    pub orbs: u32,
}

impl Default for ArenaSettings {
    fn default() -> Self {
        ArenaSettings {
            field: 1000.0,
            speed: 200.0,
            reach: 20.0,
            orbs: 30,
        }
    }
}

/// Most orbs a field may hold: each is an entity every player receives.
pub const MAX_ORBS: u32 = 10_000;
/// Largest `field`, `speed` or `reach` a manifest may give, in field units.
pub const MAX_DISTANCE: f32 = 1_000_000.0;

impl ArenaSettings {
    /// Refuses values no field can hold: a field must have room for a spot
    /// (`field` above 0), and every value must be finite and within
    /// [`MAX_DISTANCE`] or [`MAX_ORBS`].
    fn check(&self) -> Result<(), String> {
        for (key, value, above_zero) in [
            ("field", self.field, true),
            ("speed", self.speed, false),
            ("reach", self.reach, false),
        ] {
            let low_ok = if above_zero { value > 0.0 } else { value >= 0.0 };
            if !low_ok || value > MAX_DISTANCE {
                let low = if above_zero { "above 0" } else { "0 or more" };
                return Err(format!(
                    "setting `{key}` = {value} must be {low} and at most {MAX_DISTANCE}"
                ));
            }
        }
        if self.orbs > MAX_ORBS {
            return Err(format!("setting `orbs` = {} must be at most {MAX_ORBS}", self.orbs));
        }
        Ok(())
    }
}

/// The rules one room plays by: its settings, and the round's length in
/// ticks from the manifest.
#[derive(Resource, Debug, Clone)]
pub struct Rules {
    pub field: f32,
    pub speed: f32,
    pub reach: f32,
    pub round_ticks: u64,
}

impl Rules {
    fn new(settings: &ArenaSettings, manifest: &Manifest) -> Rules {
        Rules {
            field: settings.field,
            speed: settings.speed,
            reach: settings.reach,
            round_ticks: manifest.match_seconds.unwrap_or(60) as u64 * manifest.tick_rate.unwrap_or(20) as u64,
        }
    }
}

pub struct Arena;

impl Game for Arena {
    type Input = SteerInput;
    type Settings = ArenaSettings;
    const NAME: &'static str = "arena";

    /// Refuses settings out of range, so that they stop the server at
    /// start-up with a clear message.
    fn check_settings(settings: &ArenaSettings) -> Result<(), String> {
        settings.check()
    }

    fn build(room: &mut RoomBuilder) {
        let settings = room.settings::<ArenaSettings>().clone();
        let rules = Rules::new(&settings, room.manifest());
        // Every spot comes from the match's seeded generator, so the orbs
        // a match had can be re-drawn from its revealed seed.
        let world = room.world_mut();
        let spots: Vec<Position> = {
            let mut rng = world.resource_mut::<MatchRng>();
            (0..settings.orbs).map(|_| random_spot(&mut rng, &rules)).collect()
        };
        world.spawn_batch(spots.into_iter().map(|spot| (Orb, spot)));
        room.insert_resource(rules)
            .replicate::<Position>()
            .replicate::<Score>()
            .replicate::<Orb>()
            .replicate_resource(Round::default())
            .add_systems((seat_players, steer, pause_offline, movement, collect, rounds).chain());
    }
}

fn random_spot(rng: &mut MatchRng, rules: &Rules) -> Position {
    Position {
        x: rng.random_range(0.0..rules.field),
        y: rng.random_range(0.0..rules.field),
    }
}

fn seat_players(
    new: Query<Entity, Added<Player>>,
    rules: Res<Rules>,
    mut dice: ResMut<MatchRng>,
    mut commands: Commands,
) {
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
    mut dice: ResMut<MatchRng>,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(settings: &str) -> Manifest {
        Manifest::parse(&format!(
            "name = \"arena\"\nmin_players = 1\nmax_players = 8\ntick_rate = 20\n[settings]\n{settings}"
        ))
        .unwrap()
    }

    /// The settings as the catalog reads and checks them.
    fn settings(text: &str) -> Result<ArenaSettings, String> {
        let settings = manifest(text).settings_as::<ArenaSettings>()?;
        Arena::check_settings(&settings).map(|()| settings)
    }

    #[test]
    fn settings_have_defaults_and_limits() {
        assert_eq!(settings(""), Ok(ArenaSettings::default()));
        let rules = Rules::new(&ArenaSettings::default(), &manifest(""));
        assert_eq!(
            (rules.field, rules.speed, rules.reach, rules.round_ticks),
            (1000.0, 200.0, 20.0, 1200)
        );
        // Whole numbers are numbers too.
        let s = settings("field = 300\nspeed = 0\norbs = 0").unwrap();
        assert_eq!((s.field, s.speed, s.orbs), (300.0, 0.0, 0));
        // Each of these panicked in a room (an empty range for the orbs'
        // spots, a clamp to a negative field) or asked for unbounded work.
        for bad in [
            "field = 0.0",
            "field = -5.0",
            "field = nan",
            "field = inf",
            "speed = -1",
            "reach = nan",
            "reach = 1e7",
            "orbs = -1",
            "orbs = 10001",
            "orbs = 2.5",
            "field = \"wide\"",
            "orb = 5",
        ] {
            assert!(settings(bad).is_err(), "{bad} was accepted");
        }
        assert!(settings("orb = 5").unwrap_err().contains("`orb`"));
    }
}
