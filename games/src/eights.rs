//! Crazy Eights for 2 to 6 players: hidden hands, a shared discard pile,
//! turn-based (no tick rate: the room ticks on moves and on joins and
//! leaves). The rules, exactly as this module plays them:
//!
//! **Cards.** 52 cards, each an id `c` in `0..52`: suit `c / 13` (0 clubs,
//! 1 diamonds, 2 hearts, 3 spades) and rank `c % 13` (0 ace, 1 to 9 the
//! twos to tens, 10 jack, 11 queen, 12 king). An 8 is rank 7.
//!
//! **Lobby.** A room starts in the lobby phase. The cards are dealt when a
//! seated player sends `start` while at least 2 players are seated, or at
//! once when `max_players` (6) are seated. A player who sits down after
//! the deal has no hand and sits this match out (they see what a spectator
//! sees).
//!
//! **The deal**, a function of the match's seed only (so anyone can check
//! it once `result.seed` is revealed): the deck starts as the ids
//! `0, 1, ..., 51` in order and is shuffled once, with
//! [`MatchRng::shuffle`], when the cards are dealt; nothing else draws from
//! the match's `MatchRng` before (or after) it. With `n` seated players in
//! seat order (ascending [`Player::slot`]; player `k` is the `k`-th of
//! them, from 0), each gets `h` cards, `h` = 7 for 2 players and 5 for 3 to
//! 6: player `k` gets `deck[k], deck[k + n], deck[k + 2n], ...,
//! deck[k + (h - 1) n]`, in that order. `deck[h * n]` is the first top
//! card of the discard pile, and `deck[h * n + 1..]`, in order, is the draw
//! pile, drawn from its front ([`deal`]).
//!
//! **A turn.** Player 0 of the deal moves first; turns then go in seat
//! order among the dealt players still seated, wrapping around. On your
//! turn you may:
//! - play a card from your hand that has the current suit or the top
//!   card's rank, or any 8. An 8 names the suit that must be followed next
//!   (`suit`, 0 to 3, required with an 8 and refused with any other card);
//!   any other card makes its own suit the current one. Playing ends your
//!   turn. The current suit starts as the first top card's suit, even when
//!   that card is an 8;
//! - draw one card from the front of the draw pile, once per turn. After
//!   drawing you may play any legal card (not only the one drawn) or pass;
//! - pass, but only after drawing this turn or when the draw pile is
//!   empty. The discard pile is never reshuffled into the draw pile.
//!
//! **The end.** The first player to empty their hand wins, ranked 1, with
//! a score that is the sum of the cards left in the other dealt players'
//! hands: an 8 is 50, a jack, queen or king 10, an ace 1, any other card
//! its number ([`points`]). Everyone else is ranked 2 with 0 (the engine
//! ranks whoever the [`Outcome`] leaves out). A dealt player who leaves
//! (for good: a dropped connection keeps the seat, and the turn waits, for
//! the manifest's `reconnect_grace_secs`) has their hand taken out of the
//! game, and if it was their turn the turn passes to the next player. When
//! only one dealt player is left they win, with 0 (the others' cards left
//! with them). **A blocked game**: once the draw pile is empty, if every
//! dealt player still seated passes in a row (nobody plays a card for a
//! full round), the match ends there: each player scores minus the points
//! in their own hand, so the lightest hand ranks first (equal hands share
//! a rank), and the table names the first of them in seat order as winner.
//! The room plays one match and closes.
//!
//! **What clients see.** [`Table`] is public, and so is [`HandSize`] on
//! each dealt player's entity; [`Hand`] reaches only its owner
//! ([`RoomBuilder::replicate_private`]). The draw pile's order and the
//! cards played before the top one are in [`Deck`], which is not
//! replicated. A spectator, or a player sitting the match out, can follow
//! the whole game from the public part.

use std::collections::VecDeque;

use parlor::prelude::*;
use serde::{Deserialize, Serialize};

/// Cards in the deck.
pub const DECK_SIZE: u8 = 52;

/// The rank of an 8 (`card % 13`).
pub const EIGHT: u8 = 7;

/// Suit names, by suit number (`card / 13`).
pub const SUITS: [&str; 4] = ["clubs", "diamonds", "hearts", "spades"];

/// The fewest and most players a room of eights may seat.
pub const PLAYERS: std::ops::RangeInclusive<u32> = 2..=6;

/// The suit of card `card`: 0 clubs, 1 diamonds, 2 hearts, 3 spades.
pub fn suit(card: u8) -> u8 {
    card / 13
}

/// The rank of card `card`: 0 ace, 1 to 9 the twos to tens, 10 J, 11 Q,
/// 12 K.
pub fn rank(card: u8) -> u8 {
    card % 13
}

/// What card `card` left in a loser's hand scores for the winner: an 8 is
/// 50, a jack, queen or king 10, an ace 1, any other card its number.
pub fn points(card: u8) -> i64 {
    match rank(card) {
        EIGHT => 50,
        10..=12 => 10,
        r => r as i64 + 1,
    }
}

/// Cards each player is dealt: 7 with 2 players, 5 with 3 or more.
pub fn hand_size(players: usize) -> usize {
    if players == 2 {
        7
    } else {
        5
    }
}

/// The cards as the deal leaves them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dealt {
    /// Each player's hand, by position in seat order.
    pub hands: Vec<Vec<u8>>,
    /// The first top card of the discard pile.
    pub top: u8,
    /// The draw pile, the next card to draw first.
    pub pile: Vec<u8>,
}

/// Deals to `players` players from `rng`, as the module's rules say: one
/// shuffle of the ordered deck, then round-robin by seat.
///
/// # Panics
/// When `players` is not 2 to 6 (the deck would not cover the deal the
/// rules describe).
pub fn deal(rng: &mut MatchRng, players: usize) -> Dealt {
    assert!(
        PLAYERS.contains(&(players as u32)),
        "eights deals to 2 to 6 players, not {players}"
    );
    let mut deck: Vec<u8> = (0..DECK_SIZE).collect();
    rng.shuffle(&mut deck);
    let h = hand_size(players);
    let hands = (0..players)
        .map(|k| (0..h).map(|j| deck[k + j * players]).collect())
        .collect();
    Dealt {
        hands,
        top: deck[h * players],
        pile: deck[h * players + 1..].to_vec(),
    }
}

/// Replicated to its owner only: the cards a dealt player holds, in the
/// order they got them (dealt, then drawn); a card played is taken out and
/// the rest keep their order.
#[derive(Component, Serialize, Deserialize, Debug, Clone, PartialEq, Eq, Default)]
pub struct Hand(pub Vec<u8>);

/// Replicated to everyone: how many cards a dealt player holds. Only dealt
/// players have it.
#[derive(Component, Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HandSize(pub u8);

/// Where a match is.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Not dealt yet: waiting for `start`, or for the room to fill.
    #[default]
    Lobby,
    /// Dealt; players take turns.
    Play,
    /// Someone won; the result is out and the room closes.
    Over,
}

/// Replicated to everyone: the public state of the table, enough with
/// each player's [`HandSize`] to follow the game.
#[derive(Resource, Serialize, Deserialize, Debug, Clone, PartialEq, Eq, Default)]
pub struct Table {
    /// Where the match is.
    pub phase: Phase,
    /// The top card of the discard pile; nil in the lobby.
    pub top: Option<u8>,
    /// The suit the next card must follow (unless it matches the top
    /// card's rank, or is an 8): the top card's own suit, or the one named
    /// with an 8. Nil in the lobby.
    pub suit: Option<u8>,
    /// The player to move; nil in the lobby and once the match is over.
    pub turn: Option<EntityId>,
    /// Whether the player to move has drawn this turn (they may then pass,
    /// and may not draw again).
    pub drew: bool,
    /// Cards left in the draw pile.
    pub draw_pile: u8,
    /// The winner, once there is one.
    pub winner: Option<EntityId>,
}

/// Not replicated: the cards nobody may see and who was dealt in.
#[derive(Resource, Debug, Clone, Default)]
pub struct Deck {
    /// The draw pile, the next card to draw first.
    pub draw: VecDeque<u8>,
    /// The cards played, the top one last.
    pub discards: Vec<u8>,
    /// The dealt players still seated, in seat order, with their hands:
    /// the truth [`Hand`] and [`HandSize`] are copied from.
    pub seats: Vec<(Entity, Vec<u8>)>,
    /// Seated players that deal the cards without a `start`
    /// (the manifest's `max_players`).
    pub full: usize,
    /// Passes in a row with the draw pile empty: a full round of them
    /// blocks the game.
    pub passes: usize,
}

/// A player's move: `"start"`, `"draw"`, `"pass"`, or
/// `{"play": {"card": c, "suit": s}}` (externally tagged; `suit` may be
/// nil or left out except with an 8).
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Move {
    /// Deal now (lobby only, with at least 2 seated).
    Start,
    /// Play `card` from your hand; with an 8, `suit` names the suit to
    /// follow.
    Play {
        /// The card's id, 0 to 51.
        card: u8,
        /// The suit an 8 names, 0 to 3; nil for any other card.
        #[serde(default)]
        suit: Option<u8>,
    },
    /// Take the front card of the draw pile.
    Draw,
    /// End your turn without playing (after drawing, or with the draw pile
    /// empty).
    Pass,
}

/// The eights game.
pub struct Eights;

impl Game for Eights {
    type Input = Move;
    type Settings = NoSettings;
    const NAME: &'static str = "eights";

    /// Seats 2 to 6 (the deck covers that deal), turn-based, one match
    /// per room.
    fn check_manifest(manifest: &Manifest) -> Result<(), String> {
        if !PLAYERS.contains(&manifest.min_players) || !PLAYERS.contains(&manifest.max_players) {
            return Err(format!(
                "eights seats 2 to 6 players: `min_players` = {} and `max_players` = {} must both be in 2..=6",
                manifest.min_players, manifest.max_players
            ));
        }
        if manifest.tick_rate.is_some() {
            return Err("eights is turn-based: leave `tick_rate` out".into());
        }
        if manifest.continuous {
            return Err("eights plays one match per room: `continuous` must be false".into());
        }
        Ok(())
    }

    fn build(room: &mut RoomBuilder) {
        // Nothing here draws from MatchRng: the deal's shuffle must be
        // its first draw, so the deal is a function of the seed alone.
        let full = room.manifest().max_players as usize;
        room.insert_resource(Deck {
            full,
            ..Deck::default()
        })
        .replicate_private::<Hand>()
        .replicate::<HandSize>()
        .replicate_resource(Table::default())
        .add_systems(play);
    }
}

/// Everything one tick of eights reads and writes.
#[derive(parlor::bevy_ecs::system::SystemParam)]
struct Host<'w, 's> {
    inputs: ResMut<'w, Inputs<Move>>,
    table: ResMut<'w, Table>,
    deck: ResMut<'w, Deck>,
    rng: ResMut<'w, MatchRng>,
    players: Query<'w, 's, (Entity, &'static Player)>,
    hands: Query<'w, 's, (&'static mut Hand, &'static mut HandSize)>,
    commands: Commands<'w, 's>,
}

/// The one system: players who left, then the moves in arrival order, then
/// the deal of a full room; hands changed on the way are copied to their
/// components at the end.
fn play(mut host: Host) {
    // Entities whose hand changed this tick; a deal marks every one.
    let mut changed: Vec<Entity> = Vec::new();
    let mut ended: Option<Outcome> = None;

    host.departures(&mut ended);

    let Host {
        inputs,
        table,
        deck,
        rng,
        players,
        ..
    } = &mut host;
    inputs.apply(|who, m| {
        if ended.is_some() || table.phase == Phase::Over {
            return Err(Reject::new("the game is over"));
        }
        if *m == Move::Start {
            if table.phase != Phase::Lobby {
                return Err(Reject::new("the cards are already dealt"));
            }
            if players.iter().count() < 2 {
                return Err(Reject::new("at least 2 players must be seated to deal"));
            }
            deal_in(table, deck, rng, players, &mut changed);
            return Ok(());
        }
        if table.phase == Phase::Lobby {
            return Err(Reject::new("the cards are not dealt yet: send start"));
        }
        let Some(at) = deck.seats.iter().position(|(e, _)| *e == who) else {
            return Err(Reject::new(
                "you sat down after the deal: you have no hand in this match",
            ));
        };
        if table.turn != Some(EntityId(who)) {
            return Err(Reject::new("it is not your turn"));
        }
        match *m {
            Move::Start => unreachable!("handled above"),
            Move::Play { card, suit: named } => {
                let hand = &deck.seats[at].1;
                if card >= DECK_SIZE {
                    return Err(Reject::new(format!("there is no card {card}: cards are 0 to 51")));
                }
                let Some(i) = hand.iter().position(|&c| c == card) else {
                    return Err(Reject::new(format!("you do not hold card {card}")));
                };
                let top = table.top.expect("a dealt table has a top card");
                let follows = if rank(card) == EIGHT {
                    match named {
                        Some(s) if (s as usize) < SUITS.len() => s,
                        Some(s) => return Err(Reject::new(format!("there is no suit {s}: suits are 0 to 3"))),
                        None => return Err(Reject::new("an 8 names a suit: send suit 0 to 3")),
                    }
                } else if named.is_some() {
                    return Err(Reject::new("only an 8 names a suit: send suit nil"));
                } else if Some(suit(card)) == table.suit || rank(card) == rank(top) {
                    suit(card)
                } else {
                    let current = SUITS[table.suit.unwrap_or(0) as usize];
                    return Err(Reject::new(format!(
                        "card {card} follows neither the suit ({current}) nor the rank of the top card"
                    )));
                };
                deck.seats[at].1.remove(i);
                deck.discards.push(card);
                deck.passes = 0;
                changed.push(who);
                table.top = Some(card);
                table.suit = Some(follows);
                if deck.seats[at].1.is_empty() {
                    let score = deck
                        .seats
                        .iter()
                        .map(|(_, h)| h.iter().map(|&c| points(c)).sum::<i64>())
                        .sum();
                    finish(table, who, score, &mut ended);
                } else {
                    pass_turn(table, deck, at + 1);
                }
            }
            Move::Draw => {
                if table.drew {
                    return Err(Reject::new("you already drew this turn: play or pass"));
                }
                let Some(card) = deck.draw.pop_front() else {
                    return Err(Reject::new("the draw pile is empty: play or pass"));
                };
                deck.seats[at].1.push(card);
                changed.push(who);
                table.drew = true;
                table.draw_pile = deck.draw.len() as u8;
            }
            Move::Pass => {
                if !table.drew && !deck.draw.is_empty() {
                    return Err(Reject::new(
                        "draw first: you may pass after drawing, or when the draw pile is empty",
                    ));
                }
                if deck.draw.is_empty() {
                    deck.passes += 1;
                }
                if deck.passes >= deck.seats.len() {
                    block(table, deck, &mut ended);
                } else {
                    pass_turn(table, deck, at + 1);
                }
            }
        }
        Ok(())
    });

    if host.table.phase == Phase::Lobby && ended.is_none() && host.players.iter().count() >= host.deck.full {
        let Host {
            table,
            deck,
            rng,
            players,
            ..
        } = &mut host;
        deal_in(table, deck, rng, players, &mut changed);
    }

    host.copy_hands(&changed);
    if let Some(outcome) = ended {
        host.commands.insert_resource(outcome);
    }
}

impl Host<'_, '_> {
    /// Dealt players whose entity is gone have left for good: their hand
    /// goes with them, the turn moves on if it was theirs, and the last
    /// one left wins.
    fn departures(&mut self, ended: &mut Option<Outcome>) {
        if self.table.phase != Phase::Play {
            return;
        }
        let mut at = 0;
        while at < self.deck.seats.len() {
            let entity = self.deck.seats[at].0;
            if self.players.contains(entity) {
                at += 1;
                continue;
            }
            self.deck.seats.remove(at);
            if self.table.turn == Some(EntityId(entity)) && !self.deck.seats.is_empty() {
                // The next player now sits where the leaver did.
                pass_turn(&mut self.table, &self.deck, at);
            }
        }
        match self.deck.seats.as_slice() {
            [] => {
                // Nobody dealt is left (the last two left at once): the
                // match ends with nobody ranked above anybody.
                self.table.phase = Phase::Over;
                self.table.turn = None;
                *ended = Some(Outcome::default());
            }
            [(last, _)] => {
                let last = *last;
                finish(&mut self.table, last, 0, ended);
            }
            _ => {}
        }
    }

    /// Writes each changed hand to its player's [`Hand`] and [`HandSize`]
    /// (inserted at the deal, assigned after), so the components change
    /// only when the hand does.
    fn copy_hands(&mut self, changed: &[Entity]) {
        for &entity in changed {
            let Some((_, cards)) = self.deck.seats.iter().find(|(e, _)| *e == entity) else {
                continue;
            };
            let size = HandSize(cards.len() as u8);
            match self.hands.get_mut(entity) {
                Ok((mut hand, mut count)) => {
                    hand.0.clone_from(cards);
                    *count = size;
                }
                Err(_) => {
                    self.commands.entity(entity).insert((Hand(cards.clone()), size));
                }
            }
        }
    }
}

/// Deals to everyone seated now, in seat order, and opens play.
fn deal_in(
    table: &mut Table,
    deck: &mut Deck,
    rng: &mut MatchRng,
    players: &Query<(Entity, &Player)>,
    changed: &mut Vec<Entity>,
) {
    let mut seated: Vec<(u8, Entity)> = players.iter().map(|(e, p)| (p.slot, e)).collect();
    seated.sort_unstable();
    let dealt = deal(rng, seated.len());
    deck.seats = seated.iter().map(|&(_, e)| e).zip(dealt.hands).collect();
    deck.draw = dealt.pile.into();
    deck.discards = vec![dealt.top];
    changed.extend(deck.seats.iter().map(|(e, _)| *e));
    *table = Table {
        phase: Phase::Play,
        top: Some(dealt.top),
        suit: Some(suit(dealt.top)),
        turn: Some(EntityId(deck.seats[0].0)),
        drew: false,
        draw_pile: deck.draw.len() as u8,
        winner: None,
    };
}

/// Gives the turn to the dealt player at position `next` (wrapping), with
/// no draw taken yet.
fn pass_turn(table: &mut Table, deck: &Deck, next: usize) {
    table.turn = Some(EntityId(deck.seats[next % deck.seats.len()].0));
    table.drew = false;
}

/// Nobody can or will play and the pile is empty: the lightest hand wins,
/// every player scoring minus their own hand's points.
fn block(table: &mut Table, deck: &Deck, ended: &mut Option<Outcome>) {
    let held = |hand: &[u8]| -hand.iter().map(|&c| points(c)).sum::<i64>();
    let outcome = Outcome::by_score(deck.seats.iter().map(|(e, hand)| (*e, held(hand))));
    // Seats are in seat order and the ranking is stable: the first of the
    // lightest hands.
    let winner = outcome.ranking.first().map(|p| p.player);
    table.phase = Phase::Over;
    table.turn = None;
    table.drew = false;
    table.winner = winner.map(EntityId);
    *ended = Some(outcome);
}

/// `winner` has won with `score`: the table shows it and the match ends.
fn finish(table: &mut Table, winner: Entity, score: i64, ended: &mut Option<Outcome>) {
    table.phase = Phase::Over;
    table.turn = None;
    table.drew = false;
    table.winner = Some(EntityId(winner));
    *ended = Some(Outcome::winner(winner, score));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cards_have_the_documented_suits_ranks_and_points() {
        // The ace of clubs, the 8 of diamonds, the 10 of hearts, the king
        // of spades.
        assert_eq!((suit(0), rank(0), points(0)), (0, 0, 1));
        assert_eq!((suit(20), rank(20), points(20)), (1, EIGHT, 50));
        assert_eq!((suit(35), rank(35), points(35)), (2, 9, 10));
        assert_eq!((suit(51), rank(51), points(51)), (3, 12, 10));
        assert_eq!(points(14), 2);
        let total: i64 = (0..DECK_SIZE).map(points).sum();
        // Per suit: 1 + (2..=7) + 50 + 9 + 10 + 3 * 10.
        assert_eq!(total, 4 * (1 + 27 + 50 + 9 + 10 + 30));
    }

    #[test]
    fn the_deal_is_round_robin_over_one_shuffle() {
        for players in 2..=6 {
            let mut deck: Vec<u8> = (0..DECK_SIZE).collect();
            MatchRng::from_seed([3; 32]).shuffle(&mut deck);
            let dealt = deal(&mut MatchRng::from_seed([3; 32]), players);
            let h = hand_size(players);
            assert_eq!(dealt.hands.len(), players);
            for (k, hand) in dealt.hands.iter().enumerate() {
                let expected: Vec<u8> = (0..h).map(|j| deck[k + j * players]).collect();
                assert_eq!(*hand, expected);
            }
            assert_eq!(dealt.top, deck[h * players]);
            assert_eq!(dealt.pile, deck[h * players + 1..]);
        }
    }

    #[test]
    fn the_manifest_must_seat_two_to_six_turn_based_for_one_match() {
        let base = "name = \"eights\"\nmin_players = 2\nmax_players = 6\n";
        assert!(Eights::check_manifest(&Manifest::parse(base).unwrap()).is_ok());
        for bad in [
            "name = \"eights\"\nmin_players = 1\nmax_players = 6\n",
            "name = \"eights\"\nmin_players = 2\nmax_players = 7\n",
            &format!("{base}tick_rate = 10\n"),
            &format!("{base}continuous = true\n"),
        ] {
            assert!(Eights::check_manifest(&Manifest::parse(bad).unwrap()).is_err(), "{bad}");
        }
    }
}
