//! Crazy Eights' rules, tested in-process with
//! [`parlor::testing::TestRoom`]. The deal is random (each room draws its
//! own seed), so a test that needs a particular hand deals fresh rooms
//! until one has it, and the deal itself is checked against the seed the
//! result reveals, recomputed here from the rules as docs/games.md states
//! them (not with the game's own `deal`).
//!
//! Every message every player receives goes through [`Cards::pump`],
//! which fails the test if a `Hand` other than the player's own is in it.

use std::collections::BTreeSet;

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use parlor::prelude::{entity_id, MatchRng};
use parlor::testing::{TestPlayer, TestRoom};
use parlor_games::eights::{Eights, Hand, HandSize, Phase, Table};

/// The bundled manifest, recorded: full games are replayed too.
const MANIFEST: &str = concat!(include_str!("../manifests/eights.toml"), "\nrecord = true\n");
const NAMES: [&str; 6] = ["Ann", "Ben", "Cy", "Dee", "Eve", "Fay"];

fn suit(card: u8) -> u8 {
    card / 13
}

fn rank(card: u8) -> u8 {
    card % 13
}

fn is_eight(card: u8) -> bool {
    rank(card) == 7
}

/// A card's value in a loser's hand, from the rules' text.
fn value(card: u8) -> i64 {
    match rank(card) {
        7 => 50,
        10..=12 => 10,
        r => r as i64 + 1,
    }
}

/// A room of eights and everything its players received.
struct Cards {
    room: TestRoom,
    players: Vec<TestPlayer>,
    /// Messages received and not yet read by the test, per player.
    inbox: Vec<Vec<Value>>,
    /// Every `joined.fair` seen.
    fair: Vec<String>,
}

impl Cards {
    /// A room with `n` players seated, in slot order.
    fn seat(n: usize) -> Cards {
        let mut cards = Cards {
            room: TestRoom::new::<Eights>(MANIFEST),
            players: Vec::new(),
            inbox: Vec::new(),
            fair: Vec::new(),
        };
        for _ in 0..n {
            cards.join();
        }
        cards
    }

    /// `n` players seated and dealt (by `start`, or by a full room).
    fn dealt(n: usize) -> Cards {
        let mut cards = Cards::seat(n);
        if n < 6 {
            cards.send(0, json!("start"));
        }
        assert_eq!(cards.table().phase, Phase::Play);
        cards
    }

    /// Deals fresh rooms of `n` until `wanted` holds for one (at most 500
    /// tries: the hands asked for here come up in about one deal in two).
    fn dealt_where(n: usize, wanted: impl Fn(&mut Cards) -> bool) -> Cards {
        for _ in 0..500 {
            let mut cards = Cards::dealt(n);
            if wanted(&mut cards) {
                return cards;
            }
        }
        panic!("500 deals and none as wanted");
    }

    fn join(&mut self) -> usize {
        let name = NAMES[self.players.len()];
        self.players.push(self.room.join(name));
        self.inbox.push(Vec::new());
        self.pump();
        self.players.len() - 1
    }

    /// Moves what each player received into their inbox, checking on the
    /// way that no frame carries another player's hand.
    fn pump(&mut self) {
        for (i, &player) in self.players.iter().enumerate() {
            let messages = self.room.messages(player);
            let you = self.room.id(player);
            let schema = self.room.view(player).schema.clone();
            for m in &messages {
                for owner in hands_in(m, &schema) {
                    assert_eq!(owner, you, "{} received the Hand of entity {owner}: {m}", NAMES[i]);
                }
                if m["t"] == "joined" {
                    self.fair.push(m["fair"].as_str().expect("joined.fair").to_owned());
                }
            }
            self.inbox[i].extend(messages);
        }
    }

    /// Player `i` sends `input` (JSON, as a page's SDK sends it).
    fn send(&mut self, i: usize, input: Value) {
        self.room.input(self.players[i], &input).expect("a well-formed move");
        self.pump();
    }

    /// Player `i` sends `input` and it is refused by the game with a
    /// message containing `why`; the public table is unchanged.
    fn refused(&mut self, i: usize, input: Value, why: &str) {
        let before = (self.table(), self.sizes(), self.hand(i));
        self.take(i);
        self.send(i, input.clone());
        let errors: Vec<Value> = self.take(i).into_iter().filter(|m| m["t"] == "error").collect();
        assert_eq!(errors.len(), 1, "{input}: {errors:?}");
        assert_eq!(errors[0]["code"], "illegal_input", "{input}");
        let message = errors[0]["message"].as_str().unwrap();
        assert!(message.contains(why), "{input}: {message:?} does not say {why:?}");
        assert_eq!(
            (self.table(), self.sizes(), self.hand(i)),
            before,
            "{input} changed the state"
        );
    }

    fn leave(&mut self, i: usize) {
        self.room.leave(self.players[i]);
        self.pump();
    }

    /// The messages player `i` received since the last call.
    fn take(&mut self, i: usize) -> Vec<Value> {
        self.pump();
        std::mem::take(&mut self.inbox[i])
    }

    fn id(&mut self, i: usize) -> u64 {
        self.room.id(self.players[i])
    }

    /// The public table, as player 0 sees it (everyone sees the same).
    fn table(&mut self) -> Table {
        self.table_seen_by(0)
    }

    fn table_seen_by(&mut self, i: usize) -> Table {
        self.room.view(self.players[i]).resource_as::<Table>().expect("Table")
    }

    /// Player `i`'s hand as their own client has it (empty if none).
    fn hand(&mut self, i: usize) -> Vec<u8> {
        let id = self.id(i);
        let player = self.players[i];
        self.room
            .view(player)
            .component_as::<Hand>(id)
            .map_or_else(Vec::new, |h| h.0)
    }

    /// Every HandSize, by entity id, as player 0 sees them.
    fn sizes(&mut self) -> Vec<(u64, u8)> {
        self.sizes_seen_by(0)
    }

    fn sizes_seen_by(&mut self, i: usize) -> Vec<(u64, u8)> {
        let player = self.players[i];
        self.room
            .view(player)
            .all_as::<HandSize>()
            .into_iter()
            .map(|(id, s)| (id, s.0))
            .collect()
    }

    /// The index of the player to move.
    fn turn(&mut self) -> usize {
        let turn = entity_id(self.table().turn.expect("someone to move").0);
        (0..self.players.len())
            .find(|&i| self.id(i) == turn)
            .expect("the turn is a seated player's")
    }

    /// Whether `card` may be played on the table now.
    fn legal(&mut self, card: u8) -> bool {
        let t = self.table();
        is_eight(card) || Some(suit(card)) == t.suit || rank(card) == rank(t.top.unwrap())
    }

    /// The seed the result revealed.
    fn seed(&self) -> [u8; 32] {
        let results = self.room.results();
        let hex = results[0].seed.as_deref().expect("the record reveals its seed");
        hex::decode(hex).unwrap().try_into().unwrap()
    }
}

/// The owners of the `Hand` values in one server message: entity ids.
fn hands_in(m: &Value, schema: &[Value]) -> Vec<u64> {
    let Some(hand) = schema.iter().position(|s| s[0] == "Hand") else {
        return Vec::new();
    };
    let hand = hand as u64;
    let list = |v: &Value| v.as_array().cloned().unwrap_or_default();
    let mut owners = Vec::new();
    let mut entities = |list: Vec<Value>| {
        for e in list {
            for c in e[1].as_array().unwrap() {
                if c[0] == hand {
                    owners.push(e[0].as_u64().unwrap());
                }
            }
        }
    };
    match m["t"].as_str() {
        Some("joined") => entities(list(&m["state"]["e"])),
        Some("patch") => entities(list(&m["ch"])),
        Some("p") => {
            // [type, n, id, value..., type, n, ...], a struct's fields
            // inline; Hand is a newtype, so one value per entity.
            let c = list(&m["c"]);
            let mut i = 0;
            while i < c.len() {
                let (ty, n) = (c[i].as_u64().unwrap(), c[i + 1].as_u64().unwrap() as usize);
                let width = schema[ty as usize][1].as_array().map_or(1, Vec::len);
                i += 2;
                for _ in 0..n {
                    if ty == hand {
                        owners.push(c[i].as_u64().unwrap());
                    }
                    i += 1 + width;
                }
            }
        }
        _ => {}
    }
    owners
}

/// The deal the rules give `n` players from `seed`: hands, top card,
/// draw pile.
fn expected_deal(seed: [u8; 32], n: usize) -> (Vec<Vec<u8>>, u8, Vec<u8>) {
    let mut deck: Vec<u8> = (0..52).collect();
    MatchRng::from_seed(seed).shuffle(&mut deck);
    let h = if n == 2 { 7 } else { 5 };
    let hands = (0..n).map(|k| (0..h).map(|j| deck[k + j * n]).collect()).collect();
    (hands, deck[h * n], deck[h * n + 1..].to_vec())
}

#[test]
fn the_deal_is_the_documented_function_of_the_revealed_seed() {
    for n in 2..=6 {
        // Six seated deal at once; fewer wait for start.
        let mut cards = Cards::seat(n);
        if n < 6 {
            assert_eq!(cards.table().phase, Phase::Lobby);
            assert!(cards.sizes().is_empty());
            cards.send(n - 1, json!("start"));
        }
        let table = cards.table();
        let hands: Vec<Vec<u8>> = (0..n).map(|i| cards.hand(i)).collect();
        let seen: BTreeSet<u8> = hands.iter().flatten().copied().chain([table.top.unwrap()]).collect();
        assert_eq!(
            seen.len() + table.draw_pile as usize,
            52,
            "{n} players: every card once"
        );
        // Everyone sees everyone's hand size, and only their own hand.
        for i in 0..n {
            let mut sizes = cards.sizes_seen_by(i);
            sizes.sort();
            let mut expected: Vec<(u64, u8)> = (0..n).map(|k| (cards.id(k), hands[k].len() as u8)).collect();
            expected.sort();
            assert_eq!(sizes, expected);
            let player = cards.players[i];
            assert_eq!(cards.room.view(player).all_as::<Hand>().len(), 1);
        }
        // The first seat moves first.
        assert_eq!(cards.turn(), 0);
        // Everyone else leaves: the last one wins, and the seed comes out.
        for i in 1..n {
            cards.leave(i);
        }
        assert_eq!(cards.table().phase, Phase::Over);
        let seed = cards.seed();
        let (want_hands, want_top, want_pile) = expected_deal(seed, n);
        assert_eq!(hands, want_hands, "{n} players");
        assert_eq!(table.top, Some(want_top));
        assert_eq!(table.suit, Some(suit(want_top)));
        assert_eq!(table.draw_pile as usize, want_pile.len());
        // The commitment each player got before the deal is the seed's.
        let commit = hex::encode(Sha256::digest(seed));
        assert_eq!(cards.fair.len(), n);
        assert!(cards.fair.iter().all(|f| *f == commit), "{:?} vs {commit}", cards.fair);
    }
}

#[test]
fn the_lobby_waits_for_start_with_two_seated() {
    let mut cards = Cards::seat(2);
    cards.refused(1, json!("draw"), "not dealt");
    cards.refused(0, json!({"play": {"card": 3, "suit": null}}), "not dealt");
    // Alone, nobody deals.
    cards.leave(1);
    cards.refused(0, json!("start"), "at least 2");
    assert_eq!(cards.table(), Table::default());
    // Someone new sits down: now it deals, to both.
    cards.join();
    cards.send(2, json!("start"));
    assert_eq!(cards.table().phase, Phase::Play);
    assert_eq!((cards.hand(0).len(), cards.hand(2).len()), (7, 7));
    cards.refused(0, json!("start"), "already dealt");
}

#[test]
fn a_matching_card_is_played_and_anything_else_refused_unchanged() {
    // Ann, to move, holds a card that follows (not an 8) and one that
    // does not.
    let mut cards = Cards::dealt_where(2, |c| {
        let hand = c.hand(0);
        hand.iter().any(|&x| !is_eight(x) && c.legal(x)) && hand.iter().any(|&x| !c.legal(x))
    });
    let hand = cards.hand(0);
    let wrong = *hand.iter().find(|&&x| !cards.legal(x)).unwrap();
    let right = *hand.iter().find(|&&x| !is_eight(x) && cards.legal(x)).unwrap();
    let not_held = (0..52)
        .find(|x| !hand.contains(x) && Some(*x) != cards.table().top)
        .unwrap();

    cards.refused(0, json!({"play": {"card": wrong, "suit": null}}), "follows neither");
    cards.refused(0, json!({"play": {"card": not_held}}), "do not hold");
    cards.refused(0, json!({"play": {"card": 52}}), "no card 52");
    cards.refused(0, json!({"play": {"card": right, "suit": 1}}), "only an 8");
    let bens = cards.hand(1)[0];
    cards.refused(1, json!({"play": {"card": bens}}), "not your turn");
    cards.refused(1, json!("draw"), "not your turn");

    let ben = cards.id(1);
    cards.send(0, json!({"play": {"card": right, "suit": null}}));
    let table = cards.table();
    assert_eq!(table.top, Some(right));
    assert_eq!(table.suit, Some(suit(right)));
    assert_eq!(table.turn.map(|t| entity_id(t.0)), Some(ben));
    assert!(!table.drew);
    let mut rest = hand.clone();
    rest.retain(|&x| x != right);
    assert_eq!(cards.hand(0), rest);
    let ann = cards.id(0);
    assert!(cards.sizes_seen_by(1).contains(&(ann, 6)));
    assert!(cards.take(0).iter().all(|m| m["t"] != "error"));
}

#[test]
fn an_eight_names_the_suit_to_follow() {
    // Ann holds an 8; Ben holds a card that is not an 8.
    let mut cards = Cards::dealt_where(2, |c| c.hand(0).iter().any(|&x| is_eight(x)));
    let eight = *cards.hand(0).iter().find(|&&x| is_eight(x)).unwrap();
    let bens = cards.hand(1);
    let Some(&other) = bens.iter().find(|&&x| !is_eight(x)) else {
        panic!("Ben holds seven 8s");
    };
    // Name a suit that Ben's card is not of.
    let named = (suit(other) + 1) % 4;

    cards.refused(0, json!({"play": {"card": eight, "suit": null}}), "names a suit");
    cards.refused(0, json!({"play": {"card": eight}}), "names a suit");
    cards.refused(0, json!({"play": {"card": eight, "suit": 4}}), "no suit 4");
    cards.send(0, json!({"play": {"card": eight, "suit": named}}));
    let table = cards.table();
    assert_eq!((table.top, table.suit), (Some(eight), Some(named)));
    assert_eq!(cards.turn(), 1);
    // Ben's card has neither the named suit nor the 8's rank.
    cards.refused(1, json!({"play": {"card": other}}), "follows neither");
    // A card of the named suit, if Ben has one, follows.
    if let Some(&follows) = bens.iter().find(|&&x| suit(x) == named && !is_eight(x)) {
        cards.send(1, json!({"play": {"card": follows}}));
        assert_eq!(cards.table().top, Some(follows));
        assert_eq!(cards.turn(), 0);
    }
}

#[test]
fn a_draw_takes_the_front_of_the_pile_and_then_a_pass_ends_the_turn() {
    let mut cards = Cards::dealt(3);
    let hand = cards.hand(0);
    cards.refused(0, json!("pass"), "draw first");
    cards.send(0, json!("draw"));
    let table = cards.table();
    assert!(table.drew);
    assert_eq!(table.draw_pile, 52 - 15 - 1 - 1);
    assert_eq!(cards.turn(), 0);
    let drawn = cards.hand(0);
    assert_eq!(drawn[..5], hand[..]);
    assert_eq!(drawn.len(), 6);
    // Others see the size, not the card.
    let ann = cards.id(0);
    for i in 1..3 {
        assert!(cards.sizes_seen_by(i).contains(&(ann, 6)));
    }
    cards.refused(0, json!("draw"), "already drew");
    cards.send(0, json!("pass"));
    let table = cards.table();
    assert!(!table.drew);
    assert_eq!(cards.turn(), 1);
    assert_eq!(cards.hand(0), drawn);
    // The card drawn was the pile's first.
    let first_pile_card = {
        for i in 1..3 {
            cards.leave(i);
        }
        expected_deal(cards.seed(), 3).2[0]
    };
    assert_eq!(drawn[5], first_pile_card);
}

/// Plays a whole match of `n` with a plain strategy (the first card that
/// follows, an 8 last and naming the suit held most; else draw; else
/// pass), checking every draw against the seed's pile once it is known.
/// `None` if play stalls (empty pile, nobody can play): then the caller
/// deals again.
fn play_out(n: usize) -> Option<(Cards, usize, Vec<Vec<u8>>)> {
    let mut cards = Cards::dealt(n);
    let start_pile = cards.table().draw_pile;
    let mut drawn = Vec::new();
    let mut passes_on_empty = 0;
    while cards.table().phase == Phase::Play {
        let who = cards.turn();
        let hand = cards.hand(who);
        let table = cards.table();
        let mut playable: Vec<u8> = hand.iter().copied().filter(|&x| cards.legal(x)).collect();
        playable.sort_by_key(|&x| is_eight(x));
        if let Some(&card) = playable.first() {
            let suit_named = is_eight(card).then(|| {
                (0..4u8)
                    .max_by_key(|&s| hand.iter().filter(|&&x| x != card && suit(x) == s).count())
                    .unwrap()
            });
            cards.send(who, json!({"play": {"card": card, "suit": suit_named}}));
            passes_on_empty = 0;
        } else if !table.drew && table.draw_pile > 0 {
            cards.send(who, json!("draw"));
            drawn.push(*cards.hand(who).last().unwrap());
        } else {
            if table.draw_pile == 0 {
                passes_on_empty += 1;
            }
            cards.send(who, json!("pass"));
        }
        // Kept in the inbox: the result is read from it at the end.
        assert!(
            cards.inbox[who].iter().all(|m| m["t"] != "error"),
            "a legal move was refused"
        );
    }
    // The last patch came before the result: these are the hands at the end.
    let hands: Vec<Vec<u8>> = (0..n).map(|i| cards.hand(i)).collect();
    // A blocked game (a round of passes on an empty pile) has no empty
    // hand: the caller deals again.
    assert!(passes_on_empty <= n);
    let winner = hands.iter().position(Vec::is_empty)?;
    let pile = expected_deal(cards.seed(), n).2;
    assert_eq!(drawn, pile[..drawn.len()], "draws come from the front of the pile");
    assert_eq!(cards.table().draw_pile as usize, start_pile as usize - drawn.len());
    Some((cards, winner, hands))
}

#[test]
fn the_first_empty_hand_wins_the_cards_left_in_the_others() {
    for n in [2, 4] {
        let (mut cards, winner, hands) = (0..50).find_map(|_| play_out(n)).expect("a match that ends");
        let table = cards.table();
        assert_eq!(table.phase, Phase::Over);
        assert_eq!(table.turn, None);
        assert_eq!(table.winner.map(|w| entity_id(w.0)), Some(cards.id(winner)));
        let score: i64 = hands.iter().flatten().map(|&c| value(c)).sum();
        assert!(score > 0);
        let results = cards.room.results();
        assert_eq!(results.len(), 1);
        let ranking: Vec<(&str, u32, i64)> = results[0]
            .ranking
            .iter()
            .map(|l| (l.name.as_str(), l.rank, l.score))
            .collect();
        assert_eq!(ranking[0], (NAMES[winner], 1, score));
        assert_eq!(ranking.len(), n);
        assert!(ranking[1..].iter().all(|&(_, rank, score)| rank == 2 && score == 0));
        // Everyone got the result, with the seed.
        for i in 0..n {
            let messages = cards.take(i);
            let result = messages.iter().find(|m| m["t"] == "result").expect("a result");
            assert_eq!(result["seed"].as_str().map(str::len), Some(64));
        }
        assert!(cards.room.is_closed());
        // Run again from its seed and its moves, the match ends the same.
        cards.room.replay(&results[0].id).unwrap();
    }
}

#[test]
fn a_leaver_takes_their_hand_and_the_turn_moves_on() {
    let mut cards = Cards::dealt(4);
    let (ann, ben, cy) = (cards.id(0), cards.id(1), cards.id(2));
    // Ben leaves while it is Ann's turn: the turn stays, and Ben is
    // skipped after Ann.
    cards.leave(1);
    assert_eq!(cards.turn(), 0);
    assert!(!cards.sizes().iter().any(|&(id, _)| id == ben));
    cards.send(0, json!("draw"));
    cards.send(0, json!("pass"));
    assert_eq!(cards.turn(), 2);
    // Cy leaves on his own turn: it passes to the next, Dee, with no draw
    // taken.
    cards.send(2, json!("draw"));
    cards.leave(2);
    assert_eq!(cards.turn(), 3);
    assert!(!cards.table().drew);
    assert_eq!(cards.sizes().len(), 2);
    assert!(!cards.sizes().iter().any(|&(id, _)| id == cy));
    // Dee leaves: Ann is the last dealt player and wins, with 0.
    cards.leave(3);
    let table = cards.table();
    assert_eq!(table.phase, Phase::Over);
    assert_eq!(table.winner.map(|w| entity_id(w.0)), Some(ann));
    let results = cards.room.results();
    assert_eq!(
        (results[0].ranking[0].name.as_str(), results[0].ranking[0].score),
        ("Ann", 0)
    );
    cards.room.replay(&results[0].id).unwrap();
}

#[test]
fn a_latecomer_sits_out_and_sees_only_the_public_table() {
    let mut cards = Cards::dealt(2);
    let cy = cards.join();
    let table = cards.table_seen_by(cy);
    assert_eq!(table, cards.table());
    let mut sizes = cards.sizes_seen_by(cy);
    sizes.sort();
    let mut expected = vec![(cards.id(0), 7), (cards.id(1), 7)];
    expected.sort();
    assert_eq!(sizes, expected);
    let player = cards.players[cy];
    assert!(cards.room.view(player).all_as::<Hand>().is_empty());
    cards.refused(cy, json!("draw"), "sat down after the deal");
    // Turns skip Cy.
    cards.send(0, json!("draw"));
    cards.send(0, json!("pass"));
    assert_eq!(cards.turn(), 1);
    cards.send(1, json!("draw"));
    cards.send(1, json!("pass"));
    assert_eq!(cards.turn(), 0);
}

#[test]
fn moves_that_are_not_moves_are_refused_before_the_game() {
    let mut cards = Cards::dealt(2);
    for bad in [
        json!("shuffle"),
        json!({"play": {"suit": 1}}),
        json!({"play": {"card": 300}}),
    ] {
        assert_eq!(
            cards.room.input(cards.players[0], &bad),
            Err(parlor::protocol::ErrorCode::BadMessage),
            "{bad}"
        );
    }
}

/// Nobody plays: everyone draws and passes until the pile is empty, and
/// then a full round of passes blocks the game; the lightest hand ranks
/// first, every score is minus the points held.
#[test]
fn a_blocked_game_ends_with_the_lightest_hand_first() {
    let mut cards = Cards::dealt(3);
    let mut passes_on_empty = 0;
    while cards.table().phase == Phase::Play {
        let who = cards.turn();
        let table = cards.table();
        if !table.drew && table.draw_pile > 0 {
            cards.send(who, json!("draw"));
        } else {
            passes_on_empty += usize::from(table.draw_pile == 0);
            cards.send(who, json!("pass"));
        }
    }
    assert_eq!(passes_on_empty, 3, "one full round of passes on the empty pile");
    let held: Vec<i64> = (0..3)
        .map(|i| -cards.hand(i).iter().map(|&c| value(c)).sum::<i64>())
        .collect();
    let results = cards.room.results();
    let mut ranking: Vec<(String, u32, i64)> = results[0]
        .ranking
        .iter()
        .map(|l| (l.name.clone(), l.rank, l.score))
        .collect();
    ranking.sort_by_key(|l| l.0.clone());
    for (i, (name, rank, score)) in ranking.iter().enumerate() {
        assert_eq!((name.as_str(), *score), (NAMES[i], held[i]));
        let better = held.iter().filter(|&&h| h > held[i]).count() as u32;
        assert_eq!(*rank, better + 1, "{name}");
    }
    let lightest = (0..3).max_by_key(|&i| (held[i], std::cmp::Reverse(i))).unwrap();
    let winner = cards.table().winner.map(|w| entity_id(w.0));
    assert_eq!(winner, Some(cards.id(lightest)));
    assert!(cards.room.is_closed());
    cards.room.replay(&results[0].id).unwrap();
}
