//! Rock-paper-scissors, best of three, as a publisher writes it: a game on
//! Parlor's public API only (`parlor::prelude`, serde), hosted by its own
//! binary through `parlor::App`. It has no page of its own, so
//! `/play/rps` is the live state page; the browser tests play it there.
//!
//! `cargo run --example rock_paper_scissors -- serve`, then open
//! http://127.0.0.1:8080/play/rps in two browser tabs and send
//! `{"hand": "rock"}`.

use parlor::prelude::*;
use serde::{Deserialize, Serialize};

/// The game's manifest, compiled in (`serve --manifests DIR` overrides it).
const MANIFEST: &str = r#"
name = "rps"
title = "Rock, Paper, Scissors"
min_players = 2
max_players = 2

[settings]
wins_needed = 2
"#;

/// A hand.
#[derive(Deserialize, Serialize, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "lowercase")]
pub enum Hand {
    Rock,
    Paper,
    Scissors,
}

impl Hand {
    fn beats(self, other: Hand) -> bool {
        matches!(
            (self, other),
            (Hand::Rock, Hand::Scissors) | (Hand::Paper, Hand::Rock) | (Hand::Scissors, Hand::Paper)
        )
    }
}

/// The input: `{"hand": "rock"}`.
#[derive(Deserialize, Serialize)]
pub struct Throw {
    pub hand: Hand,
}

/// `[settings]`: rounds a player must win.
#[derive(Resource, Deserialize, Clone)]
#[serde(default, deny_unknown_fields)]
pub struct RpsSettings {
    pub wins_needed: u32,
}

impl Default for RpsSettings {
    fn default() -> Self {
        RpsSettings { wins_needed: 2 }
    }
}

/// Replicated on each player: rounds won, and whether they have thrown
/// this round (not what: that stays on the server until both have).
#[derive(Component, Serialize, Deserialize, Clone, Default)]
pub struct Hands {
    pub wins: u32,
    pub thrown: bool,
}

/// Not replicated: this round's hand.
#[derive(Component, Default)]
struct Held(Option<Hand>);

/// Replicated: the last round's hands, by player, once both were shown.
#[derive(Resource, Serialize, Deserialize, Default)]
pub struct LastRound {
    pub number: u32,
    pub shown: Vec<(EntityId, Hand)>,
}

pub struct Rps;

impl Game for Rps {
    type Input = Throw;
    type Settings = RpsSettings;
    const NAME: &'static str = "rps";

    fn check_settings(settings: &RpsSettings) -> Result<(), String> {
        match settings.wins_needed {
            1..=10 => Ok(()),
            n => Err(format!("setting `wins_needed` = {n} must be between 1 and 10")),
        }
    }

    fn build(room: &mut RoomBuilder) {
        room.replicate::<Hands>()
            .replicate_resource(LastRound::default())
            .add_systems((seat, throw, show).chain());
    }
}

fn seat(new: Query<Entity, Added<Player>>, mut commands: Commands) {
    for player in &new {
        commands.entity(player).insert((Hands::default(), Held::default()));
    }
}

fn throw(mut inputs: ResMut<Inputs<Throw>>, mut players: Query<(&mut Hands, &mut Held)>) {
    inputs.apply(|who, throw| {
        let (mut hands, mut held) = players.get_mut(who).map_err(|_| Reject::new("not seated"))?;
        if held.0.is_some() {
            return Err(Reject::new("you have thrown this round"));
        }
        held.0 = Some(throw.hand);
        hands.thrown = true;
        Ok(())
    });
}

fn show(
    mut players: Query<(Entity, &mut Hands, &mut Held)>,
    mut last: ResMut<LastRound>,
    settings: Res<RpsSettings>,
    mut commands: Commands,
) {
    let thrown: Vec<(Entity, Hand)> = players.iter().filter_map(|(e, _, held)| Some((e, held.0?))).collect();
    let [(a, hand_a), (b, hand_b)] = thrown[..] else {
        return;
    };
    let winner = if hand_a.beats(hand_b) {
        Some(a)
    } else if hand_b.beats(hand_a) {
        Some(b)
    } else {
        None
    };
    last.number += 1;
    last.shown = vec![(EntityId(a), hand_a), (EntityId(b), hand_b)];
    for (player, mut hands, mut held) in &mut players {
        held.0 = None;
        hands.thrown = false;
        if Some(player) == winner {
            hands.wins += 1;
            if hands.wins == settings.wins_needed {
                commands.insert_resource(Outcome::winner(player, hands.wins.into()));
            }
        }
    }
}

fn main() -> std::process::ExitCode {
    parlor::App::new().game::<Rps>(MANIFEST).run()
}

/// The rules, tested in-process: `cargo test --example rock_paper_scissors`
/// (plain `cargo test` runs them too).
#[cfg(test)]
mod tests {
    use super::*;
    use parlor::testing::TestRoom;

    fn throw(room: &mut TestRoom, player: parlor::testing::TestPlayer, hand: Hand) {
        room.input(player, &Throw { hand }).unwrap();
    }

    #[test]
    fn two_wins_take_the_match_and_a_draw_counts_for_nobody() {
        let mut room = TestRoom::new::<Rps>(MANIFEST);
        let ann = room.join("Ann");
        let ben = room.join("Ben");
        throw(&mut room, ann, Hand::Rock);
        throw(&mut room, ben, Hand::Rock);
        throw(&mut room, ann, Hand::Paper);
        throw(&mut room, ben, Hand::Rock);
        let ann_id = room.id(ann);
        assert_eq!(room.view(ben).component_as::<Hands>(ann_id).map(|h| h.wins), Some(1));
        let last = room.view(ben).resource_as::<LastRound>().unwrap();
        assert_eq!(last.number, 2);
        assert!(room.results().is_empty());
        throw(&mut room, ann, Hand::Scissors);
        throw(&mut room, ben, Hand::Paper);
        let results = room.results();
        assert_eq!(results[0].ranking[0].name, "Ann");
        assert!(room.is_closed());
    }

    #[test]
    fn a_hand_stays_hidden_until_both_have_thrown_and_one_throw_a_round() {
        let mut room = TestRoom::new::<Rps>(MANIFEST);
        let ann = room.join("Ann");
        let ben = room.join("Ben");
        throw(&mut room, ann, Hand::Rock);
        let ann_id = room.id(ann);
        let seen = room.view(ben).component_as::<Hands>(ann_id).unwrap();
        assert!(seen.thrown);
        assert!(room.view(ben).resource_as::<LastRound>().unwrap().shown.is_empty());
        throw(&mut room, ann, Hand::Paper);
        let refused: Vec<_> = room.messages(ann).into_iter().filter(|m| m["t"] == "error").collect();
        assert_eq!(refused.len(), 1, "{refused:?}");
        assert_eq!(refused[0]["code"], "illegal_input");
    }

    #[test]
    fn settings_out_of_range_are_refused_at_start() {
        let manifest = MANIFEST.replace("wins_needed = 2", "wins_needed = 0");
        let error = TestRoom::try_new::<Rps>(&manifest).err().unwrap().to_string();
        assert!(error.contains("wins_needed"), "{error}");
    }
}
