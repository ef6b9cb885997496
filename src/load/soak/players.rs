//! The soak's well-behaved players (arena seats that steer and sometimes
//! drop and resume, tic-tac-toe pairs, trivia groups) and the players
//! that stop reading their socket.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};
use serde::Serialize;
use tokio::sync::watch;

use super::tally::Outcome;
use super::wire::{self, answer, connect, hello, joined, pause, source, unless_stopped, wait_until, Group};
use super::Ctx;
use crate::client::{Client, ClientError};
use crate::load::bot::{Peek, Request, Steer};
use crate::protocol::{ClientMessage, ErrorCode, LeftReason, ServerMessage, Value};

/// How often an arena player hands what it counted to the tally.
const REPORT_EVERY: Duration = Duration::from_millis(250);
/// Tic-tac-toe matches a pair plays on one pair of connections.
const MATCHES_PER_CONNECTION: u32 = 5;

fn rng() -> SmallRng {
    SmallRng::from_rng(&mut rand::rng())
}

fn jitter(rng: &mut SmallRng, from: f64, to: f64) -> Duration {
    Duration::from_secs_f64(rng.random_range(from..to))
}

async fn send<D: Serialize>(client: &mut Client, message: &ClientMessage<D>) -> Result<(), String> {
    client.send(message).await.map_err(|e| format!("send: {e}"))
}

/// What an arena player does after a stretch in its room.
enum Next {
    Stop,
    /// Drop the connection (no `leave`) and resume the session.
    Reconnect,
}

/// Seat `seat` of arena room `room`: seat 0 opens the room (private) and
/// publishes its code, the others join it. Seat 1 drops its connection
/// every `plan.reconnect_every` (± half) and resumes its session into the
/// held seat. Steers at 10 Hz and counts patches until the soak stops.
pub async fn arena_seat(ctx: Arc<Ctx>, room: usize, seat: usize, mut stop: watch::Receiver<bool>) {
    let mut me = ArenaSeat {
        room,
        seat,
        session: None,
        rng: rng(),
    };
    let mut planned = false;
    while !*stop.borrow() {
        match me.stretch(&ctx, planned, &mut stop).await {
            Ok(Next::Stop) => break,
            Ok(Next::Reconnect) => {
                planned = true;
                let away = jitter(&mut me.rng, 1.0, 3.0);
                pause(&mut stop, away).await;
            }
            Err(e) => {
                planned = false;
                ctx.tally.error(format!("arena room {room} seat {seat}: {e}"));
                pause(&mut stop, Duration::from_secs(2)).await;
            }
        }
    }
}

/// One arena seat's state across its connections.
struct ArenaSeat {
    room: usize,
    seat: usize,
    /// The token of the last `welcome`, to resume with.
    session: Option<String>,
    rng: SmallRng,
}

impl ArenaSeat {
    /// One connection: sign in (resuming when `resume`), take the seat,
    /// play until the stop, an error or the next planned drop.
    async fn stretch(&mut self, ctx: &Ctx, resume: bool, stop: &mut watch::Receiver<bool>) -> Result<Next, String> {
        let from = source(Group::Arena, self.room * 8 + self.seat);
        let mut client = connect(ctx.server, from, None)
            .await
            .map_err(|e| format!("connect: {e}"))?;
        let guest = format!("arena{}s{}", self.room, self.seat);
        let session = self.session.take();
        let welcome = match session {
            Some(token) => hello(&mut client, None, Some(token)).await?,
            None => hello(&mut client, Some(guest), None).await?,
        };
        self.session = Some(welcome.session);
        let codes = &ctx.arena_codes[self.room];
        let code = codes.borrow().clone();
        match (welcome.room, code) {
            (Some(held), Some(code)) if wire::code_of(&code) == held => {
                joined(&mut client).await?;
                ctx.tally.count(|p| p.resumes += 1);
            }
            (held, code) => {
                if resume {
                    return Err(format!("resumed without the held seat (welcome.room {held:?})"));
                }
                if let Some(code) = code {
                    send(&mut client, &Request::Join { room: code, rid: None }).await?;
                } else if self.seat == 0 {
                    let create = Request::Create {
                        game: "arena".into(),
                        private: true,
                        rid: None,
                    };
                    send(&mut client, &create).await?;
                } else {
                    let mut rx = codes.subscribe();
                    let Some(Some(room)) = wait_until(stop, &mut rx, Option::is_some).await else {
                        return Ok(Next::Stop);
                    };
                    send(&mut client, &Request::Join { room, rid: None }).await?;
                }
                let entered = joined(&mut client).await?;
                if self.seat == 0 {
                    codes.send_replace(wire::join_token(&entered));
                }
            }
        }
        let leave_at = (self.seat == 1).then(|| {
            let every = ctx.plan.reconnect_every.as_secs_f64();
            tokio::time::Instant::now() + jitter(&mut self.rng, every * 0.5, every * 1.5)
        });
        ctx.tally.seated(1);
        let outcome = self.steer(ctx, &mut client, leave_at, stop).await;
        ctx.tally.seated(-1);
        if !matches!(outcome, Ok(Next::Reconnect)) {
            client.close().await;
        }
        outcome
    }

    /// The seated part: steer, read every frame, report deliveries.
    async fn steer(
        &mut self,
        ctx: &Ctx,
        client: &mut Client,
        leave_at: Option<tokio::time::Instant>,
        stop: &mut watch::Receiver<bool>,
    ) -> Result<Next, String> {
        let input_every = Duration::from_millis(100);
        let now = tokio::time::Instant::now();
        let mut next_input = now + input_every.mul_f64(self.rng.random_range(0.0..1.0));
        let mut next_report = now + REPORT_EVERY;
        let mut last_report = Instant::now();
        let mut patches = 0u64;
        let mut seq = 0u32;
        let mut angle: f32 = self.rng.random_range(0.0..std::f32::consts::TAU);
        let far = now + Duration::from_secs(1 << 30);
        let result = loop {
            tokio::select! {
                _ = stop.changed() => break Ok(Next::Stop),
                _ = tokio::time::sleep_until(leave_at.unwrap_or(far)) => break Ok(Next::Reconnect),
                _ = tokio::time::sleep_until(next_report) => {
                    ctx.tally.arena(patches, last_report.elapsed().as_secs_f64(), ctx.tick_hz);
                    patches = 0;
                    last_report = Instant::now();
                    next_report += REPORT_EVERY;
                }
                _ = tokio::time::sleep_until(next_input) => {
                    seq += 1;
                    angle += self.rng.random_range(-0.5..0.5);
                    let steer = Steer { dx: angle.cos(), dy: angle.sin() };
                    if let Err(e) = send(client, &ClientMessage::Input { seq, d: steer, rid: None }).await {
                        break Err(e);
                    }
                    next_input += input_every;
                }
                frame = client.recv_frame() => {
                    let frame = match frame {
                        Ok(frame) => frame,
                        Err(e) => break Err(format!("read: {e}")),
                    };
                    let peek: Peek = match rmp_serde::from_slice(&frame) {
                        Ok(peek) => peek,
                        Err(e) => break Err(format!("undecodable frame: {e}")),
                    };
                    match peek.t {
                        "patch" | "p" => patches += 1,
                        "error" => break Err(format!("error {}: {}", peek.code.unwrap_or_default(), peek.message.unwrap_or_default())),
                        "left" => break Err(format!("left the room: {}", peek.reason.unwrap_or_default())),
                        _ => {}
                    }
                }
            }
        };
        ctx.tally
            .arena(patches, last_report.elapsed().as_secs_f64(), ctx.tick_hz);
        result
    }
}

/// A player seated in arena room `room` (its eighth seat) that reads for a
/// few seconds, then stops reading for `plan.non_reader_hold`, then looks
/// at what the server did: a close (1008, 1013, or the connection
/// dropped) contains it; a socket still open or still fed is not. It
/// resumes its session and does it again until the soak stops.
pub async fn non_reader(ctx: Arc<Ctx>, room: usize, mut stop: watch::Receiver<bool>) {
    const KIND: &str = "non-reading player";
    let from = source(Group::NonReader, room);
    let mut session: Option<String> = None;
    let mut codes = ctx.arena_codes[room].subscribe();
    let Some(Some(code)) = wait_until(&mut stop, &mut codes, Option::is_some).await else {
        return;
    };
    loop {
        // A receive buffer of a few KiB: the server's writes back up within
        // a second of the last read, as they would to a stalled phone.
        let mut client = match connect(ctx.server, from, Some(4096)).await {
            Ok(client) => client,
            Err(e) => {
                ctx.tally.abuse(KIND, Outcome::Refused(wire::refusal(&e)));
                if !pause(&mut stop, Duration::from_secs(5)).await {
                    return;
                }
                continue;
            }
        };
        let seated = async {
            let welcome = match session.take() {
                Some(token) => hello(&mut client, None, Some(token)).await?,
                None => hello(&mut client, Some(format!("stalled{room}")), None).await?,
            };
            session = Some(welcome.session);
            if welcome.room.is_none() {
                send(
                    &mut client,
                    &Request::Join {
                        room: code.clone(),
                        rid: None,
                    },
                )
                .await?;
            }
            joined(&mut client).await
        };
        if let Err(e) = seated.await {
            ctx.tally
                .error(format!("non-reading player {room} could not take its seat: {e}"));
            if !pause(&mut stop, Duration::from_secs(5)).await {
                return;
            }
            continue;
        }
        // Read like anyone for a moment, then stop.
        let reading = Instant::now() + Duration::from_secs(3);
        while Instant::now() < reading {
            if tokio::time::timeout(Duration::from_secs(1), client.recv_frame())
                .await
                .is_ok_and(|f| f.is_err())
            {
                break;
            }
        }
        let stopped_reading = Instant::now();
        if !pause(&mut stop, ctx.plan.non_reader_hold).await {
            return;
        }
        let outcome = drained(&mut client, stopped_reading).await;
        ctx.tally.abuse(KIND, outcome);
        drop(client);
        if !pause(&mut stop, Duration::from_secs(5)).await {
            return;
        }
    }
}

/// Reads what a non-reading client left unread, to see whether the server
/// closed it: a close frame or the end of the stream. Frames still coming
/// after 10 s of reading, or a silent open socket, mean it did not.
async fn drained(client: &mut Client, since: Instant) -> Outcome {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut frames = 0u64;
    loop {
        match tokio::time::timeout(Duration::from_secs(3), client.recv_frame()).await {
            Ok(Ok(_)) if Instant::now() < deadline => frames += 1,
            Ok(Ok(_)) => {
                return Outcome::Open(format!(
                    "still sent frames {:.0} s after it stopped reading ({frames} read back)",
                    since.elapsed().as_secs_f64()
                ))
            }
            Ok(Err(ClientError::Closed(closed))) => {
                return Outcome::Closed(wire::close_code(&closed), since.elapsed().as_secs_f64())
            }
            Ok(Err(_)) => return Outcome::Closed("dropped".into(), since.elapsed().as_secs_f64()),
            Err(_) => {
                return Outcome::Open(format!(
                    "socket still open {:.0} s after it stopped reading",
                    since.elapsed().as_secs_f64()
                ))
            }
        }
    }
}

/// A tic-tac-toe move.
#[derive(Serialize)]
struct Move {
    cell: usize,
}

/// A trivia answer.
#[derive(Serialize)]
struct Answer {
    answer: u32,
}

/// Tic-tac-toe pair `pair`: one player opens a private room, the other
/// joins by code, they play random legal moves to the end (the room then
/// closes), and start over; every few matches both reconnect as new
/// guests.
pub async fn tictactoe_pair(ctx: Arc<Ctx>, pair: usize, mut stop: watch::Receiver<bool>) {
    let mut rng = rng();
    let mut round = 0u64;
    while !*stop.borrow() {
        round += 1;
        let mut clients = Vec::new();
        for i in 0..2 {
            let from = source(Group::Tictactoe, 2 * pair + i);
            let signed_in = async {
                let mut client = connect(ctx.server, from, None)
                    .await
                    .map_err(|e| format!("connect: {e}"))?;
                hello(&mut client, Some(format!("ttt{pair}p{i}r{round}")), None).await?;
                Ok::<_, String>(client)
            };
            match signed_in.await {
                Ok(client) => clients.push(client),
                Err(e) => ctx.tally.error(format!("tictactoe pair {pair}: {e}")),
            }
        }
        let [mut a, mut b] = match <[Client; 2]>::try_from(clients) {
            Ok(both) => both,
            Err(_) => {
                pause(&mut stop, Duration::from_secs(2)).await;
                continue;
            }
        };
        for _ in 0..MATCHES_PER_CONNECTION {
            match tictactoe_match(&ctx, &mut a, &mut b, &mut rng, &mut stop).await {
                Ok(true) => ctx.tally.count(|p| p.tictactoe_matches += 1),
                Ok(false) => break,
                Err(e) => {
                    ctx.tally.error(format!("tictactoe pair {pair}: {e}"));
                    pause(&mut stop, Duration::from_secs(2)).await;
                    break;
                }
            }
            let rest = jitter(&mut rng, 0.5, 1.5);
            if !pause(&mut stop, rest).await {
                break;
            }
        }
        a.close().await;
        b.close().await;
    }
}

/// The slot of the player `joined` was sent to, read from its `Player`.
fn slot(joined: &ServerMessage) -> Option<u64> {
    let ServerMessage::Joined { you, schema, state, .. } = joined else {
        return None;
    };
    let ty = schema.iter().position(|(name, _)| name == "Player")?;
    let field = schema[ty].1.as_ref()?.iter().position(|f| f == "slot")?;
    let (_, components) = state.e.iter().find(|(id, _)| Some(*id) == *you)?;
    let (_, player) = components.iter().find(|(t, _)| usize::from(*t) == ty)?;
    player.get(field)?.as_u64()
}

/// Whether `mark` holds a row, a column or a diagonal of the board (the
/// bot knows the rules, as a player does).
fn won(board: &[u8; 9], mark: u8) -> bool {
    let at = |row: usize, col: usize| board[3 * row + col] == mark;
    (0..3).any(|i| (0..3).all(|j| at(i, j)) || (0..3).all(|j| at(j, i)))
        || (0..3).all(|i| at(i, i))
        || (0..3).all(|i| at(i, 2 - i))
}

/// One tic-tac-toe match of `a` (who opens the room) and `b`; true when
/// it was played to its `result`, false if the soak stopped.
async fn tictactoe_match(
    ctx: &Ctx,
    a: &mut Client,
    b: &mut Client,
    rng: &mut SmallRng,
    stop: &mut watch::Receiver<bool>,
) -> Result<bool, String> {
    let create = Request::Create {
        game: "tictactoe".into(),
        private: true,
        rid: None,
    };
    send(a, &create).await?;
    let joined_a = joined(a).await?;
    let room = wire::join_token(&joined_a).ok_or("joined without a room")?;
    send(b, &Request::Join { room, rid: None }).await?;
    let joined_b = joined(b).await?;
    let slots = [slot(&joined_a), slot(&joined_b)];
    let mut players = [
        (a, slots[0].ok_or("no slot in joined")?, 0u32),
        (b, slots[1].ok_or("no slot in joined")?, 0u32),
    ];
    let mut board = [0u8; 9];
    let mut turn = 0u64;
    loop {
        let think = jitter(rng, 0.1, 0.4);
        if !pause(stop, think).await {
            return Ok(false);
        }
        let mover = players
            .iter()
            .position(|(_, slot, _)| *slot == turn)
            .ok_or("no player holds the slot to move")?;
        let free: Vec<usize> = (0..9).filter(|&c| board[c] == 0).collect();
        let cell = free[rng.random_range(0..free.len())];
        let (client, _, seq) = &mut players[mover];
        *seq += 1;
        let seq = *seq;
        send(
            client,
            &ClientMessage::Input {
                seq,
                d: Move { cell },
                rid: None,
            },
        )
        .await?;
        acked(client, seq).await?;
        ctx.tally.count(|p| p.tictactoe_moves += 1);
        let mark = turn as u8 + 1;
        board[cell] = mark;
        if won(&board, mark) || board.iter().all(|&c| c != 0) {
            for (client, _, _) in players.iter_mut() {
                finished(client).await?;
            }
            return Ok(true);
        }
        turn = 1 - turn;
    }
}

/// Reads until the patch acknowledging input `seq`.
async fn acked(client: &mut Client, seq: u32) -> Result<(), String> {
    loop {
        match answer(client).await? {
            ServerMessage::Patch { ack, .. } | ServerMessage::CompactPatch { a: Some(ack), .. } if ack >= seq => {
                return Ok(())
            }
            m @ (ServerMessage::Error { .. } | ServerMessage::Left { .. }) => {
                return Err(format!("{} waiting for the ack of {seq}", wire::describe(&m)))
            }
            _ => {}
        }
    }
}

/// Reads until `result` and then `left` with reason `finished`.
async fn finished(client: &mut Client) -> Result<(), String> {
    let mut result = false;
    loop {
        match answer(client).await? {
            ServerMessage::Result { .. } => result = true,
            ServerMessage::Left {
                reason: LeftReason::Finished,
                ..
            } if result => return Ok(()),
            m @ (ServerMessage::Error { .. } | ServerMessage::Left { .. }) => {
                return Err(format!("{} waiting for the result", wire::describe(&m)))
            }
            _ => {}
        }
    }
}

/// Player `seat` of trivia group `group`: seat 0 opens a private room and
/// publishes its code (with a generation number), the others join it; all
/// answer each question at random after a short think, and after the
/// match (the room closes) the group starts over in a new room.
pub async fn trivia_player(ctx: Arc<Ctx>, group: usize, seat: usize, mut stop: watch::Receiver<bool>) {
    let mut rng = rng();
    let codes = &ctx.trivia_codes[group];
    let mut seen = 0u64;
    while !*stop.borrow() {
        let from = source(Group::Trivia, group * ctx.plan.trivia_seats + seat);
        let mut client = match connect(ctx.server, from, None).await {
            Ok(client) => client,
            Err(e) => {
                ctx.tally.error(format!("trivia {group}/{seat}: connect: {e}"));
                pause(&mut stop, Duration::from_secs(2)).await;
                continue;
            }
        };
        if let Err(e) = hello(&mut client, Some(format!("quiz{group}s{seat}")), None).await {
            ctx.tally.error(format!("trivia {group}/{seat}: {e}"));
            pause(&mut stop, Duration::from_secs(2)).await;
            continue;
        }
        loop {
            let entered = if seat == 0 {
                trivia_open(&mut client, codes, &mut seen).await
            } else {
                let mut rx = codes.subscribe();
                let Some((generation, code)) = wait_until(&mut stop, &mut rx, |(g, _)| *g > seen).await else {
                    return;
                };
                seen = generation;
                trivia_join(&mut client, code).await
            };
            let played = match entered {
                Ok(()) => unless_stopped(&mut stop, trivia_match(&ctx, &mut client, &mut rng)).await,
                Err(e) => Some(Err(e)),
            };
            match played {
                None => return,
                Some(Ok(())) if seat == 0 => ctx.tally.count(|p| p.trivia_matches += 1),
                Some(Ok(())) => {}
                Some(Err(e)) => {
                    ctx.tally.error(format!("trivia {group}/{seat}: {e}"));
                    break;
                }
            }
            if !pause(&mut stop, Duration::from_secs(1)).await {
                return;
            }
        }
        client.close().await;
        pause(&mut stop, Duration::from_secs(2)).await;
    }
}

async fn trivia_open(client: &mut Client, codes: &watch::Sender<(u64, String)>, seen: &mut u64) -> Result<(), String> {
    let create = Request::Create {
        game: "trivia".into(),
        private: true,
        rid: None,
    };
    send(client, &create).await?;
    let room = wire::join_token(&joined(client).await?).ok_or("joined without a room")?;
    *seen += 1;
    codes.send_replace((*seen, room));
    Ok(())
}

async fn trivia_join(client: &mut Client, room: String) -> Result<(), String> {
    send(client, &Request::Join { room, rid: None }).await?;
    joined(client).await.map(|_| ())
}

/// Plays one trivia match to its end (`result`, then `left` finished).
async fn trivia_match(ctx: &Ctx, client: &mut Client, rng: &mut SmallRng) -> Result<(), String> {
    let mut seq = 0;
    let mut result = false;
    loop {
        // Questions and reveals are seconds apart; the lobby too.
        let message = match tokio::time::timeout(Duration::from_secs(30), client.recv::<Value>()).await {
            Ok(Ok(m)) => m,
            Ok(Err(e)) => return Err(e.to_string()),
            Err(_) => return Err("nothing from the trivia room in 30 s".into()),
        };
        match message {
            ServerMessage::Event { name, .. } if name == "question" => {
                tokio::time::sleep(jitter(rng, 0.3, 2.0)).await;
                seq += 1;
                let d = Answer {
                    answer: rng.random_range(0..4),
                };
                send(client, &ClientMessage::Input { seq, d, rid: None }).await?;
                ctx.tally.count(|p| p.trivia_answers += 1);
            }
            ServerMessage::Result { .. } => result = true,
            ServerMessage::Left {
                reason: LeftReason::Finished,
                ..
            } if result => return Ok(()),
            ServerMessage::Error {
                code: ErrorCode::IllegalInput,
                message,
                ..
            } => return Err(format!("an answer was refused: {message}")),
            m @ (ServerMessage::Error { .. } | ServerMessage::Left { .. }) => {
                return Err(format!("{} during a trivia match", wire::describe(&m)))
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::won;

    #[test]
    fn rows_columns_and_diagonals_win() {
        let row = [0, 0, 0, 2, 2, 2, 1, 1, 0];
        let column = [1, 0, 2, 1, 0, 2, 0, 0, 2];
        let diagonal = [2, 1, 0, 1, 2, 0, 0, 0, 2];
        let other_diagonal = [0, 1, 2, 1, 2, 0, 2, 0, 0];
        for board in [row, column, diagonal, other_diagonal] {
            assert!(won(&board, 2), "{board:?}");
            assert!(!won(&board, 1), "{board:?}");
        }
        // A full board without a line of either mark.
        let drawn = [1, 2, 1, 1, 2, 2, 2, 1, 1];
        assert!(!won(&drawn, 1) && !won(&drawn, 2));
    }
}
