//! Tic-tac-toe over real websockets: a win, a draw, refused moves, and the
//! leaderboard afterwards.

mod common;

use common::{get_json, Client, Mirror, TestServer};
use serde_json::{json, Value};

/// Two guests at one board, each with a mirror of the room's state.
struct Table {
    players: [Client; 2],
    mirrors: [Mirror; 2],
}

impl Table {
    /// Ada creates a private room (seat 0), Bob joins it by code (seat 1).
    async fn seat(server: &TestServer) -> Table {
        let (mut ada, _) = Client::guest(&server.ws_url(), "Ada").await;
        ada.send(json!({"t": "create", "game": "tictactoe", "private": true}))
            .await;
        let mut ma = Mirror::default();
        let joined = ada.expect_mirrored(&mut ma, "joined").await;
        assert_eq!(joined["game"], "tictactoe");
        let invite = joined["invite"].as_str().unwrap().to_owned();
        assert!(invite.starts_with(&format!("{}-", joined["room"].as_str().unwrap())));
        let (mut bob, _) = Client::guest(&server.ws_url(), "Bob").await;
        // Invites are case-insensitive.
        bob.send(json!({"t": "join", "room": invite.to_lowercase()})).await;
        let mut mb = Mirror::default();
        bob.expect_mirrored(&mut mb, "joined").await;
        // Ada learns of Bob through a patch.
        while ma.with("Player").len() < 2 {
            ada.expect_mirrored(&mut ma, "patch").await;
        }
        let seats: Vec<(String, u64)> = mb
            .with("Player")
            .iter()
            .map(|(_, p)| (p[1].as_str().unwrap().to_owned(), p[2].as_u64().unwrap()))
            .collect();
        assert!(
            seats.contains(&("Ada".into(), 0)) && seats.contains(&("Bob".into(), 1)),
            "{seats:?}"
        );
        Table {
            players: [ada, bob],
            mirrors: [ma, mb],
        }
    }

    /// Seat `seat` marks `cell`; both clients read the patch that shows it.
    async fn mark(&mut self, seat: usize, cell: u64) {
        self.players[seat].input(json!({"cell": cell})).await;
        for i in 0..2 {
            loop {
                let patch = self.players[i].expect_mirrored(&mut self.mirrors[i], "patch").await;
                if patch.get("r").is_some() {
                    break;
                }
            }
        }
        let [a, b] = &self.mirrors;
        assert_eq!(
            (a.tick, &a.entities, &a.resources),
            (b.tick, &b.entities, &b.resources),
            "both players see the same state"
        );
    }

    fn board(&self) -> &Value {
        self.mirrors[0].resource("Board")
    }
}

#[tokio::test]
async fn a_win_ranks_the_winner_first_and_is_on_the_leaderboard() {
    let server = TestServer::start().await;
    let mut t = Table::seat(&server).await;
    for (seat, cell) in [(0, 0), (1, 3), (0, 1), (1, 4)] {
        t.mark(seat, cell).await;
    }
    assert_eq!(t.board(), &json!([1, 1, 0, 2, 2, 0, 0, 0, 0]));
    assert_eq!(t.mirrors[0].resource("Turn"), &json!(0));
    t.players[0].input(json!({"cell": 2})).await;
    let ra = t.players[0].expect("result").await;
    let rb = t.players[1].expect("result").await;
    assert_eq!(ra, rb, "both players get the same result");
    let ranking = ra["ranking"].as_array().unwrap();
    assert_eq!(ranking.len(), 2);
    assert_eq!(
        (ranking[0]["name"].as_str(), ranking[0]["rank"].as_u64()),
        (Some("Ada"), Some(1))
    );
    assert_eq!(
        (ranking[1]["name"].as_str(), ranking[1]["rank"].as_u64()),
        (Some("Bob"), Some(2))
    );
    assert!(ra["match"].as_str().is_some_and(|id| !id.is_empty()));
    assert_eq!(t.players[0].expect("left").await["reason"], "finished");
    assert_eq!(t.players[1].expect("left").await["reason"], "finished");

    let (status, board) = get_json(&server.http("/api/leaderboard/tictactoe")).await;
    assert_eq!(status, 200);
    let entries = board["entries"].as_array().unwrap();
    assert_eq!(
        (entries[0]["name"].as_str(), entries[0]["best"].as_i64()),
        (Some("Ada"), Some(1))
    );
    assert_eq!(
        (entries[1]["name"].as_str(), entries[1]["best"].as_i64()),
        (Some("Bob"), Some(0))
    );
    // The finished room is gone from the directory.
    let (_, rooms) = get_json(&server.http("/api/rooms")).await;
    assert_eq!(rooms, json!([]));
}

#[tokio::test]
async fn a_full_board_without_a_line_is_a_draw() {
    let server = TestServer::start().await;
    let mut t = Table::seat(&server).await;
    // X O X / X O O / O X X: no line.
    let moves = [0, 1, 2, 4, 3, 5, 7, 6];
    for (i, cell) in moves.into_iter().enumerate() {
        t.mark(i % 2, cell).await;
    }
    t.players[0].input(json!({"cell": 8})).await;
    let result = t.players[0].expect("result").await;
    assert_eq!(result, t.players[1].expect("result").await);
    let ranks: Vec<u64> = result["ranking"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["rank"].as_u64().unwrap())
        .collect();
    assert_eq!(ranks, vec![1, 1], "a draw ranks both first: {result}");
}

#[tokio::test]
async fn illegal_moves_are_refused_and_change_nothing() {
    let server = TestServer::start().await;
    let mut t = Table::seat(&server).await;
    let empty = t.board().clone();
    assert_eq!(empty, json!([0, 0, 0, 0, 0, 0, 0, 0, 0]));

    t.players[1].input(json!({"cell": 4})).await;
    let e = t.players[1].expect("error").await;
    assert_eq!(
        (e["code"].as_str(), e["message"].as_str()),
        (Some("illegal_input"), Some("not your turn"))
    );

    t.mark(0, 4).await;
    for (cell, why) in [(4, "that cell is not free"), (9, "that cell is not free")] {
        t.players[1].input(json!({"cell": cell})).await;
        let e = t.players[1].expect("error").await;
        assert_eq!(
            (e["code"].as_str(), e["message"].as_str()),
            (Some("illegal_input"), Some(why))
        );
    }
    // A `d` that is not a move at all never reaches the game.
    t.players[1].input(json!({"square": 1})).await;
    assert_eq!(t.players[1].expect("error").await["code"], "bad_message");

    // Bob's refused moves left the board and the turn as they were.
    t.mark(1, 0).await;
    assert_eq!(t.board(), &json!([2, 0, 0, 0, 1, 0, 0, 0, 0]));
    assert_eq!(t.mirrors[1].resource("Turn"), &json!(0));
}

#[tokio::test]
async fn leaving_a_started_game_forfeits_it() {
    let server = TestServer::start().await;
    let mut t = Table::seat(&server).await;
    t.mark(0, 4).await;
    t.players[1].send(json!({"t": "leave"})).await;
    assert_eq!(t.players[1].expect("left").await["reason"], "leave");
    let result = t.players[0].expect("result").await;
    let lines: Vec<(String, u64)> = result["ranking"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["name"].as_str().unwrap().to_owned(), l["rank"].as_u64().unwrap()))
        .collect();
    assert_eq!(lines, vec![("Ada".into(), 1), ("Bob".into(), 2)]);
}
