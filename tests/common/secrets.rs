//! "secrets": a small real-time game for the tests of what each client may
//! see. Every seated player gets a private `Secret` and a public `Badge` on
//! their own entity, a card (public `Card`, private `Face`, `Owner` the
//! player) and a note (`Note`, on an entity `VisibleTo` the player only).
//! Every value carries a marker (`SECRET-of-Ann`) that a test looks for in
//! the bytes a client received. `[settings] noise = N` makes every patch
//! carry N fresh public bytes, for the tests of slow clients.

use parlor::catalog::Catalog;
use parlor::manifest::Manifest;
use parlor::prelude::*;
use serde::{Deserialize, Serialize};

/// Private: only the player whose entity carries it.
#[derive(Component, Serialize, Deserialize)]
pub struct Secret(pub String);

/// Public, on the player's entity.
#[derive(Component, Serialize, Deserialize)]
pub struct Badge(pub String);

/// Public: marks a card entity.
#[derive(Component, Serialize, Deserialize)]
pub struct Card(pub u8);

/// Private: only the card's `Owner`.
#[derive(Component, Serialize, Deserialize)]
pub struct Face(pub String);

/// Public, but its entity is `VisibleTo` its writer only, until revealed.
#[derive(Component, Serialize, Deserialize)]
pub struct Note(pub String);

/// Not replicated: whose note an entity is.
#[derive(Component)]
struct Writer(Entity);

/// Public filler, rewritten every tick when `noise` > 0.
#[derive(Resource, Serialize, Deserialize, Default)]
pub struct Noise(pub Vec<u8>);

/// `[settings]`.
#[derive(Resource, Deserialize, Clone, Default)]
#[serde(default, deny_unknown_fields)]
pub struct SecretsSettings {
    pub noise: usize,
}

/// What a player sends.
#[derive(Deserialize, Debug)]
#[serde(rename_all = "snake_case")]
pub enum Cmd {
    /// Replace my secret.
    Secret(String),
    /// Give my card to the player in this seat.
    Give(u8),
    /// Show my note to everyone.
    Reveal,
    /// Show my note to me only again.
    Hide,
    /// Despawn my note.
    Burn,
    /// End the match; I win.
    End,
}

pub struct Secrets;

impl Game for Secrets {
    type Input = Cmd;
    type Settings = SecretsSettings;
    const NAME: &'static str = "secrets";

    fn build(room: &mut RoomBuilder) {
        room.replicate_private::<Secret>()
            .replicate::<Badge>()
            .replicate::<Card>()
            .replicate_private::<Face>()
            .replicate::<Note>()
            .replicate_resource(Noise::default())
            .add_systems((seat, play, noise).chain());
    }
}

fn seat(new: Query<(Entity, &Player), Added<Player>>, mut commands: Commands) {
    for (entity, player) in &new {
        let name = &player.name;
        commands
            .entity(entity)
            .insert((Secret(format!("SECRET-of-{name}")), Badge(format!("badge-{name}"))));
        commands.spawn((Card(player.slot), Face(format!("FACE-of-{name}")), Owner(entity)));
        commands.spawn((
            Note(format!("NOTE-for-{name}")),
            Writer(entity),
            VisibleTo::players([entity]),
        ));
    }
}

fn play(
    inputs: Res<Inputs<Cmd>>,
    mut secrets: Query<&mut Secret>,
    players: Query<(Entity, &Player)>,
    mut cards: Query<&mut Owner, With<Card>>,
    notes: Query<(Entity, &Writer)>,
    mut commands: Commands,
) {
    for input in inputs.iter() {
        let me = input.player;
        let note = notes.iter().find(|(_, w)| w.0 == me).map(|(e, _)| e);
        match &input.data {
            Cmd::Secret(text) => {
                if let Ok(mut secret) = secrets.get_mut(me) {
                    secret.0 = text.clone();
                }
            }
            Cmd::Give(slot) => {
                let to = players.iter().find(|(_, p)| p.slot == *slot).map(|(e, _)| e);
                if let (Some(to), Some(mut owner)) = (to, cards.iter_mut().find(|o| o.0 == me)) {
                    owner.0 = to;
                }
            }
            Cmd::Reveal => {
                if let Some(note) = note {
                    commands.entity(note).remove::<VisibleTo>();
                }
            }
            Cmd::Hide => {
                if let Some(note) = note {
                    commands.entity(note).insert(VisibleTo::players([me]));
                }
            }
            Cmd::Burn => {
                if let Some(note) = note {
                    commands.entity(note).despawn();
                }
            }
            Cmd::End => commands.insert_resource(Outcome::winner(me, 1)),
        }
    }
}

fn noise(settings: Res<SecretsSettings>, mut rng: ResMut<MatchRng>, mut noise: ResMut<Noise>) {
    if settings.noise > 0 {
        noise.0 = (0..settings.noise).map(|_| rng.below(256) as u8).collect();
    }
}

/// The manifest: four seats, `extra` lines appended, and 20 ticks a
/// second unless `extra` sets `tick_rate`.
pub fn manifest(extra: &str) -> Manifest {
    let rate = if extra.contains("tick_rate") {
        ""
    } else {
        "tick_rate = 20\n"
    };
    Manifest::parse(&format!(
        "name = \"secrets\"\nmin_players = 1\nmax_players = 4\n{rate}{extra}"
    ))
    .unwrap()
}

/// A catalog of "secrets" with `manifest(extra)` and the bundled games.
pub fn catalog(extra: &str) -> Catalog {
    let mut catalog = parlor_games::bundled(&parlor::catalog::ManifestSource::Bundled).unwrap();
    catalog.add::<Secrets>(manifest(extra)).unwrap();
    catalog
}
