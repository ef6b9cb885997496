//! The bundled games' rules, tested in-process with
//! [`parlor::testing::TestRoom`]: real rooms, no sockets, the clock moved
//! by the test. The socket tests at the repository root (tests/tictactoe.rs,
//! tests/arena.rs, tests/trivia.rs) cover the same games end to end.
//! Crazy Eights' rules are in tests/eights.rs.

use std::time::Duration;

use serde_json::{json, Value};

use parlor::manifest::Manifest;
use parlor::testing::{TestPlayer, TestRoom};
use parlor_games::arena::{Arena, Position, Score};
use parlor_games::tictactoe::{Board, TicTacToe, Turn};
use parlor_games::trivia::{Quiz, Trivia, TriviaSettings};

// Recorded, so the tests of whole matches replay them too.
const TICTACTOE: &str = concat!(include_str!("../manifests/tictactoe.toml"), "\nrecord = true\n");
const ARENA: &str = concat!("record = true\n", include_str!("../manifests/arena.toml"));

/// The `error`s among `messages`, by code.
fn errors(messages: &[Value]) -> Vec<&str> {
    messages
        .iter()
        .filter(|m| m["t"] == "error")
        .filter_map(|m| m["code"].as_str())
        .collect()
}

/// The `event`s named `name` among `messages`, their values.
fn events<'a>(messages: &'a [Value], name: &str) -> Vec<&'a Value> {
    messages
        .iter()
        .filter(|m| m["t"] == "event" && m["name"] == name)
        .map(|m| &m["d"])
        .collect()
}

fn tictactoe() -> (TestRoom, TestPlayer, TestPlayer) {
    let mut room = TestRoom::new::<TicTacToe>(TICTACTOE);
    let x = room.join("Xena");
    let o = room.join("Otto");
    (room, x, o)
}

#[test]
fn tictactoe_three_in_a_row_wins_and_ends_the_room() {
    let (mut room, x, o) = tictactoe();
    for (player, cell) in [(x, 0), (o, 3), (x, 1), (o, 4), (x, 2)] {
        room.input(player, &json!({ "cell": cell })).unwrap();
    }
    assert_eq!(
        room.view(o).resource_as::<Board>(),
        Some(Board([1, 1, 1, 2, 2, 0, 0, 0, 0]))
    );
    let results = room.results();
    let ranking: Vec<(&str, u32)> = results[0].ranking.iter().map(|l| (l.name.as_str(), l.rank)).collect();
    assert_eq!(ranking, [("Xena", 1), ("Otto", 2)]);
    assert!(room.messages(o).iter().any(|m| m["t"] == "result"));
    assert!(room.is_closed());
    room.replay(&results[0].id).unwrap();
}

#[test]
fn tictactoe_refuses_a_move_out_of_turn_or_on_a_taken_cell_and_changes_nothing() {
    let (mut room, x, o) = tictactoe();
    room.input(o, &json!({ "cell": 4 })).unwrap();
    assert_eq!(errors(&room.messages(o)), ["illegal_input"]);
    room.input(x, &json!({ "cell": 4 })).unwrap();
    room.input(o, &json!({ "cell": 4 })).unwrap();
    assert_eq!(errors(&room.messages(o)), ["illegal_input"]);
    assert_eq!(
        room.view(x).resource_as::<Board>(),
        Some(Board([0, 0, 0, 0, 1, 0, 0, 0, 0]))
    );
    assert_eq!(room.view(x).resource_as::<Turn>(), Some(Turn(1)));
    // Not a move at all: refused before the game sees it.
    assert_eq!(
        room.input(x, &json!({ "square": 1 })),
        Err(parlor::protocol::ErrorCode::BadMessage)
    );
}

#[test]
fn tictactoe_a_player_who_leaves_loses() {
    let (mut room, x, o) = tictactoe();
    room.input(x, &json!({ "cell": 4 })).unwrap();
    room.leave(x);
    let results = room.results();
    assert_eq!(results[0].ranking[0].name, "Otto");
    assert!(room.messages(o).iter().any(|m| m["t"] == "result"));
    room.replay(&results[0].id).unwrap();
}

#[test]
fn arena_steering_moves_at_the_set_speed_and_rounds_end_on_time() {
    let mut room = TestRoom::new::<Arena>(ARENA);
    let ann = room.join("Ann");
    // A real-time room seats a player in its next tick.
    room.tick();
    let id = room.id(ann);
    let start = room.view(ann).component_as::<Position>(id).unwrap();
    // Right, for one second of room time: 200 units at the default speed,
    // unless the wall comes first.
    room.input(ann, &json!({ "dx": 1.0, "dy": 0.0 })).unwrap();
    room.advance(Duration::from_secs(1));
    let moved = room.view(ann).component_as::<Position>(id).unwrap();
    assert!(
        (moved.x - (start.x + 200.0).min(1000.0)).abs() < 0.01,
        "{start:?} -> {moved:?}"
    );
    assert_eq!(moved.y, start.y);
    assert!(room.results().is_empty());
    // The round is 60 s; the next one starts at once.
    room.advance(Duration::from_secs(59));
    assert_eq!(room.results().len(), 1);
    assert_eq!(room.results()[0].ranking[0].name, "Ann");
    assert!(!room.is_closed());
    assert_eq!(room.view(ann).component_as::<Score>(id), Some(Score(0)));
    room.replay(&room.results()[0].id).unwrap();
}

#[test]
fn arena_a_dropped_player_stands_still_and_loses_the_seat_after_the_grace() {
    let mut room = TestRoom::new::<Arena>(ARENA);
    let ann = room.join("Ann");
    let ben = room.join("Ben");
    room.tick();
    let ann_id = room.id(ann);
    room.input(ann, &json!({ "dx": 0.0, "dy": 1.0 })).unwrap();
    room.tick();
    room.disconnect(ann);
    let before = room.view(ben).component_as::<Position>(ann_id).unwrap();
    room.advance(Duration::from_secs(2));
    assert_eq!(room.view(ben).component_as::<Position>(ann_id), Some(before));
    // The seat is held for 30 s, then released.
    room.advance(Duration::from_secs(29));
    assert!(!room.view(ben).entities.contains_key(&ann_id));
}

/// Trivia with 2 questions of 5 s, a 2 s reveal and no lobby wait.
fn trivia() -> (TestRoom, TriviaSettings) {
    let manifest = "name = \"trivia\"\nmin_players = 2\nmax_players = 10\nrecord = true\n[settings]\nrounds = 2\n\
                    question_seconds = 5\nreveal_seconds = 2\nlobby_seconds = 0\n";
    let settings = Manifest::parse(manifest)
        .unwrap()
        .settings_as::<TriviaSettings>()
        .unwrap();
    (TestRoom::new::<Trivia>(manifest), settings)
}

#[test]
fn trivia_runs_on_its_timers_and_ranks_by_points() {
    let (mut room, settings) = trivia();
    let ann = room.join("Ann");
    let ben = room.join("Ben");
    for round in 1..=2 {
        let messages = room.messages(ann);
        let question = events(&messages, "question");
        assert_eq!(question.len(), 1, "round {round}: {messages:?}");
        let text = question[0]["text"].as_str().unwrap();
        let answer = settings
            .bank
            .questions()
            .iter()
            .find(|q| q.text == text)
            .unwrap()
            .answer;
        // Ann answers right at once (full points); the answer stays hidden
        // while Ben has not answered.
        room.input(ann, &json!({ "answer": answer })).unwrap();
        room.advance(Duration::from_secs(3));
        assert_eq!(room.view(ben).resource_as::<Quiz>().unwrap().answer, None);
        assert!(events(&room.messages(ben), "reveal").is_empty());
        // Ben answers wrong: everyone has answered, so the reveal comes at
        // once, before the 5 s are up.
        room.input(ben, &json!({ "answer": (answer + 1) % 4 })).unwrap();
        assert_eq!(
            room.view(ben).resource_as::<Quiz>().unwrap().answer,
            Some(answer as u32)
        );
        assert_eq!(events(&room.messages(ben), "reveal").len(), 1);
        // The next question after the 2 s reveal.
        room.advance(Duration::from_secs(2));
    }
    let results = room.results();
    assert_eq!(results.len(), 1);
    let ranking: Vec<(&str, u32, i64)> = results[0]
        .ranking
        .iter()
        .map(|l| (l.name.as_str(), l.rank, l.score))
        .collect();
    assert_eq!(ranking, [("Ann", 1, 2000), ("Ben", 2, 0)]);
    assert!(room.is_closed());
    room.replay(&results[0].id).unwrap();
}
