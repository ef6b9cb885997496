//! Tic-tac-toe: the rules and nothing else.

use parlor::prelude::*;
use serde::{Deserialize, Serialize};

/// The nine cells, row by row: 0 empty, 1 seat 0's mark, 2 seat 1's.
#[derive(Resource, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
pub struct Board(pub [u8; 9]);

/// The seat to move.
#[derive(Resource, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
pub struct Turn(pub u8);

/// A move: the cell to mark, 0 to 8.
#[derive(Deserialize, Debug)]
pub struct Move {
    pub cell: usize,
}

pub struct TicTacToe;

impl Game for TicTacToe {
    type Input = Move;
    type Settings = NoSettings;
    const NAME: &'static str = "tictactoe";

    fn build(room: &mut RoomBuilder) {
        room.replicate_resource(Board::default())
            .replicate_resource(Turn(0))
            .add_systems((play, forfeit).chain());
    }
}

const LINES: [[usize; 3]; 8] = [
    [0, 1, 2],
    [3, 4, 5],
    [6, 7, 8],
    [0, 3, 6],
    [1, 4, 7],
    [2, 5, 8],
    [0, 4, 8],
    [2, 4, 6],
];

fn play(
    mut inputs: ResMut<Inputs<Move>>,
    players: Query<(Entity, &Player)>,
    mut board: ResMut<Board>,
    mut turn: ResMut<Turn>,
    mut commands: Commands,
) {
    let mut over = false;
    inputs.apply(|who, m| {
        let seat = players.get(who).map_err(|_| Reject::new("not seated"))?.1.slot;
        if over {
            return Err(Reject::new("the game is over"));
        }
        if seat != turn.0 {
            return Err(Reject::new("not your turn"));
        }
        if m.cell > 8 || board.0[m.cell] != 0 {
            return Err(Reject::new("that cell is not free"));
        }
        board.0[m.cell] = seat + 1;
        turn.0 = 1 - seat;
        let won = LINES.iter().any(|l| l.iter().all(|&c| board.0[c] == seat + 1));
        if won || board.0.iter().all(|&c| c != 0) {
            over = true;
            let rank = |s: u8| if won && s != seat { 2 } else { 1 };
            let ranking = players
                .iter()
                .map(|(player, p)| Placing {
                    player,
                    rank: rank(p.slot),
                    score: (rank(p.slot) == 1) as i64,
                })
                .collect();
            commands.insert_resource(Outcome { ranking });
        }
        Ok(())
    });
}

/// A player who leaves a started game loses it.
fn forfeit(players: Query<Entity, With<Player>>, outcome: Option<Res<Outcome>>, mut commands: Commands) {
    if outcome.is_none() && players.iter().count() == 1 {
        commands.insert_resource(Outcome::winner(players.iter().next().expect("one player"), 1));
    }
}
