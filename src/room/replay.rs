//! Running a recorded match again ([`Replay`]): a room of the same game,
//! seeded with the match's revealed seed, given the recorded steps one by
//! one on a manual clock. `parlor replay` runs it as fast as it goes and
//! checks each match ends as recorded; a spectator of `watch {replay}`
//! sees it at the pace it was played ([`spawn_replay`]).

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use super::recording::{Recording, Step};
use super::{
    ClientHandle, Join, MatchSeed, Outbound, PlayerInfo, Room, RoomCommand, RoomContext, RoomHandle, RoomTime,
};
use crate::game::Clock;
use crate::protocol::{frames, ClientMessage, LeftReason, RankLine};
use crate::simulation::GameType;

/// What a replaying room keeps instead of writing to the ledger.
#[derive(Default)]
pub(crate) struct Replaying {
    /// The seeds of the matches after the current one.
    pub(super) seeds: VecDeque<[u8; 32]>,
    /// The ranking of each match the room ended, in order.
    pub(super) outcomes: Vec<Vec<RankLine>>,
}

/// One recorded match, as the ledger holds it.
#[derive(Debug, Clone)]
pub struct ReplayMatch {
    pub id: String,
    /// The seed its signed record reveals.
    pub seed: [u8; 32],
    /// The ranking its signed record holds.
    pub ranking: Vec<RankLine>,
    /// Stopped by the server or an operator: its ranking is everyone
    /// level, not the game's.
    pub aborted: bool,
    pub recording: Recording,
}

/// Why a replay could not go on: the game, run again, did not do what the
/// recording says it did.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("match {match_id}, tick {tick}: {problem}")]
pub struct ReplayError {
    pub match_id: String,
    /// The room's tick (`Clock.tick`) when it diverged.
    pub tick: u64,
    pub problem: String,
}

/// What running one recorded match again showed.
#[derive(Debug, Clone)]
pub struct ReplayReport {
    pub match_id: String,
    /// Ticks and inputs the recording held.
    pub ticks: u64,
    pub inputs: u64,
    /// The ranking the replay reached (`None` for an aborted match, which
    /// the game did not end).
    pub ranking: Option<Vec<RankLine>>,
}

/// Where a replay stands after [`Replay::advance`].
#[derive(Debug)]
pub enum Progress {
    /// A tick ran.
    Ticked,
    /// A match's recording ended, and the match with it as recorded.
    Ended(ReplayReport),
    /// Every match has been run.
    Done,
}

/// Outbound slots of each replayed player's queue; emptied after every step.
const QUEUE: usize = 256;

/// A recorded room run again, match after match, from its first recorded
/// match (a continuous room's world carries over) to the last of `chain`.
pub struct Replay {
    room: Room,
    time: RoomTime,
    chain: Vec<ReplayMatch>,
    /// The match and step to run next.
    at_match: usize,
    at_step: usize,
    /// Real-time ticks still to run of the current `Ticks` step.
    ticks_left: u32,
    /// Of the current match, for its report.
    ticks: u64,
    inputs: u64,
    /// The turn-based clock of the last tick run (since the room opened).
    last_tick_at: Duration,
    /// The replayed players' queues, which nobody reads.
    queues: Vec<mpsc::Receiver<Outbound>>,
}

impl Replay {
    /// A room of `game` ready to run `chain` (oldest first); its first match
    /// draws from the first seed.
    ///
    /// # Panics
    /// If `chain` is empty.
    pub fn new(ctx: RoomContext, game: Arc<dyn GameType>, chain: Vec<ReplayMatch>) -> Replay {
        let first = chain.first().expect("a replay has a match");
        let seed = MatchSeed::from_bytes(first.seed);
        let time = RoomTime::manual();
        let mut room = Room::seeded(ctx, game, format!("REPLAY-{}", first.id).into(), seed).with_time(time.clone());
        room.recorder = None;
        room.replaying = Some(Box::new(Replaying {
            seeds: chain.iter().skip(1).map(|m| m.seed).collect(),
            outcomes: Vec::new(),
        }));
        Replay {
            room,
            time,
            chain,
            at_match: 0,
            at_step: 0,
            ticks_left: 0,
            ticks: 0,
            inputs: 0,
            last_tick_at: Duration::ZERO,
            queues: Vec::new(),
        }
    }

    /// The matches this replay runs, oldest first.
    pub fn chain(&self) -> &[ReplayMatch] {
        &self.chain
    }

    /// The index in [`Replay::chain`] of the match being run.
    pub fn current(&self) -> usize {
        self.at_match
    }

    /// Runs the steps up to the next tick, and the tick; or ends the
    /// current match when its recording has no more steps.
    pub fn advance(&mut self) -> Result<Progress, ReplayError> {
        loop {
            if self.ticks_left > 0 {
                self.ticks_left -= 1;
                return self.tick(None);
            }
            let Some(recorded) = self.chain.get(self.at_match) else {
                return Ok(Progress::Done);
            };
            let Some(step) = recorded.recording.steps.get(self.at_step).cloned() else {
                return self.end_match();
            };
            self.at_step += 1;
            match step {
                Step::Ticks(n) if n > 0 => self.ticks_left = n,
                Step::Ticks(_) => {}
                Step::TickAt(nanos) => return self.tick(Some(Duration::from_nanos(nanos))),
                step => self.apply(step)?,
            }
        }
    }

    /// Runs every match to its end, as fast as it goes: one report per
    /// match, or where the replay diverged.
    pub fn run(mut self) -> Result<Vec<ReplayReport>, ReplayError> {
        let mut reports = Vec::new();
        loop {
            match self.advance()? {
                Progress::Ticked => {}
                Progress::Ended(report) => reports.push(report),
                Progress::Done => return Ok(reports),
            }
        }
    }

    /// How long after the last tick the next one came when the match was
    /// played: a tick period in real time, the recorded gap turn-based;
    /// zero when a match ends first.
    pub fn next_pause(&self) -> Duration {
        if self.ticks_left > 0 {
            return self.period();
        }
        let Some(recorded) = self.chain.get(self.at_match) else {
            return Duration::ZERO;
        };
        for step in &recorded.recording.steps[self.at_step..] {
            match step {
                Step::Ticks(n) if *n > 0 => return self.period(),
                Step::TickAt(nanos) => return Duration::from_nanos(*nanos).saturating_sub(self.last_tick_at),
                _ => {}
            }
        }
        Duration::ZERO
    }

    fn period(&self) -> Duration {
        self.room.game.manifest().tick_interval().unwrap_or_default()
    }

    /// The room being replayed, to watch it.
    pub(super) fn room(&mut self) -> &mut Room {
        &mut self.room
    }

    fn diverged(&self, problem: impl Into<String>) -> ReplayError {
        ReplayError {
            match_id: self.chain.get(self.at_match).map_or_else(String::new, |m| m.id.clone()),
            tick: self.room.sim.world.resource::<Clock>().tick,
            problem: problem.into(),
        }
    }

    fn member(&self, id: &str) -> Result<usize, ReplayError> {
        self.room
            .members
            .iter()
            .position(|m| &*m.info.id == id)
            .ok_or_else(|| self.diverged(format!("the recording names {id}, who is not seated")))
    }

    /// A seat, a leave, an online change or an input, as the room applied it.
    fn apply(&mut self, step: Step) -> Result<(), ReplayError> {
        if self.room.closed {
            return Err(self.diverged("the room closed before the recording ended"));
        }
        match step {
            Step::Seat { id, name } => {
                let (client, queue) = ClientHandle::queue(QUEUE, 0, crate::protocol::PatchForm::Compact);
                self.queues.push(queue);
                let player = PlayerInfo {
                    id: id.as_str().into(),
                    name: name.into(),
                };
                self.room
                    .join(player, client, false, None)
                    .map_err(|code| self.diverged(format!("seating {id} was refused ({code:?})")))?;
            }
            Step::Online { id, online } => {
                let i = self.member(&id)?;
                self.room.set_online(i, online);
            }
            Step::Leave { id } => {
                self.member(&id)?;
                self.room.leave(&id);
            }
            Step::Input { id, frame } => {
                self.member(&id)?;
                let Ok(ClientMessage::Input { seq, d, .. }) = self.room.game.decode_client(&frame) else {
                    return Err(self.diverged(format!("an input of {id} does not decode for this game")));
                };
                self.inputs += 1;
                self.room.handle(RoomCommand::Input {
                    player: id.into(),
                    seq,
                    data: d,
                });
            }
            Step::Ticks(_) | Step::TickAt(_) => unreachable!("ticks are run by advance"),
        }
        self.drain();
        Ok(())
    }

    /// One tick, turn-based at `at` since the room opened.
    fn tick(&mut self, at: Option<Duration>) -> Result<Progress, ReplayError> {
        if self.room.closed {
            return Err(self.diverged("the room closed before the recording ended"));
        }
        if let Some(at) = at {
            let now = self.time.now().saturating_duration_since(self.room.opened);
            self.time.advance(at.saturating_sub(now));
            self.last_tick_at = at;
        }
        let ended = self.outcomes();
        self.room.tick();
        self.ticks += 1;
        self.drain();
        if self.room.closed && self.outcomes() == ended {
            return Err(self.diverged("the room closed: a game system panicked"));
        }
        if self.outcomes() > self.at_match + 1 || (self.outcomes() > ended && !self.at_last_tick()) {
            return Err(self.diverged("the game ended the match here, before its recording did"));
        }
        Ok(Progress::Ticked)
    }

    /// Whether the tick just run was the current match's last step.
    fn at_last_tick(&self) -> bool {
        self.ticks_left == 0
            && self.chain.get(self.at_match).is_some_and(|m| {
                m.recording.steps[self.at_step..]
                    .iter()
                    .all(|s| matches!(s, Step::Ticks(0)))
            })
    }

    fn outcomes(&self) -> usize {
        self.room.replaying.as_ref().map_or(0, |r| r.outcomes.len())
    }

    /// The current match's recording is over: the game must have ended it
    /// on its last tick with the recorded ranking (or, for an aborted
    /// match, not at all).
    fn end_match(&mut self) -> Result<Progress, ReplayError> {
        let recorded = &self.chain[self.at_match];
        let reached = self
            .room
            .replaying
            .as_ref()
            .and_then(|r| r.outcomes.get(self.at_match))
            .cloned();
        let ranking = match (recorded.aborted, reached) {
            (false, None) => return Err(self.diverged("the recording ended and the game did not end the match")),
            (true, Some(_)) => {
                return Err(self.diverged("the game ended a match the recording says was aborted"));
            }
            (true, None) => None,
            (false, Some(ranking)) if ranking != recorded.ranking => {
                return Err(self.diverged(format!(
                    "the game ranked {}; the record says {}",
                    show(&ranking),
                    show(&recorded.ranking)
                )));
            }
            (false, Some(ranking)) => Some(ranking),
        };
        let report = ReplayReport {
            match_id: recorded.id.clone(),
            ticks: self.ticks,
            inputs: self.inputs,
            ranking,
        };
        self.at_match += 1;
        self.at_step = 0;
        self.ticks = 0;
        self.inputs = 0;
        Ok(Progress::Ended(report))
    }

    /// Empties the replayed players' queues (what they would have been sent).
    fn drain(&mut self) {
        for queue in &mut self.queues {
            while queue.try_recv().is_ok() {}
        }
    }
}

/// A ranking as one line: `1 Ann (12), 2 Bob (7)`.
pub fn show(ranking: &[RankLine]) -> String {
    let lines: Vec<String> = ranking
        .iter()
        .map(|l| format!("{} {} ({})", l.rank, l.name, l.score))
        .collect();
    lines.join(", ")
}

/// The longest wait between two ticks a spectator of a replay sits
/// through: a turn-based match's idle minutes pass in this.
pub const MAX_REPLAY_PAUSE: Duration = Duration::from_secs(2);

/// Plays the last match of `replay` to spectators at the pace it was
/// played: the matches before it run at once, then the room takes
/// `watch` (with the replay's room code) and ticks as recorded. At the end
/// its spectators get the recorded `result` and `left` (`finished`); the
/// room closes when its last spectator goes, or after `ctx`'s unclaimed
/// grace if nobody came. `guard` is dropped when it closes (a place among
/// the replays a server plays at once).
pub fn spawn_replay(mut replay: Replay, guard: impl Send + 'static) -> RoomHandle {
    let ctx = replay.room.ctx.clone();
    let (tx, rx) = mpsc::channel(ctx.inbox);
    let handle = RoomHandle {
        code: replay.room.code.clone(),
        game: replay.room.game.clone(),
        private: true,
        invite: None,
        tx,
        directory: ctx.directory.clone(),
        stats: replay.room.stats.clone(),
    };
    let last = replay.chain.len() - 1;
    ctx.lifecycle.spawn(async move {
        let _guard = guard;
        // The room's earlier matches, at once; a yield now and then keeps
        // the worker thread shared.
        let mut steps = 0u32;
        while replay.current() < last {
            match replay.advance() {
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "a replay diverged before the match played back");
                    return;
                }
            }
            steps += 1;
            if steps.is_multiple_of(256) {
                tokio::task::yield_now().await;
            }
        }
        play_back(replay, rx).await;
    });
    handle
}

/// The match watched: commands between ticks, ticks at the recorded pace.
async fn play_back(mut replay: Replay, mut rx: mpsc::Receiver<RoomCommand>) {
    let ctx = replay.room.ctx.clone();
    let stopping = ctx.lifecycle.stopping();
    tokio::pin!(stopping);
    let unclaimed = tokio::time::sleep(ctx.unclaimed_grace);
    tokio::pin!(unclaimed);
    let mut watched = false;
    loop {
        let pause = replay.next_pause().min(MAX_REPLAY_PAUSE);
        tokio::select! {
            command = rx.recv() => match command {
                Some(RoomCommand::Watch(watch)) => {
                    let Join { player, client, rid, reply, .. } = *watch;
                    let answer = replay.room().watch(player, client, rid);
                    let refused = answer.is_err();
                    let _ = reply.send(answer);
                    // Refused (a game that takes no spectators): a replay
                    // nobody watches gives its place back at once.
                    if refused && replay.room.watchers.is_empty() {
                        return;
                    }
                    watched |= !refused;
                }
                Some(RoomCommand::Unwatch { client }) => {
                    replay.room().unwatch(&client);
                    if replay.room.watchers.is_empty() {
                        return;
                    }
                }
                Some(RoomCommand::Join(join)) => {
                    let _ = join.reply.send(Err(crate::protocol::ErrorCode::NoSuchRoom));
                }
                Some(RoomCommand::Inspect(reply)) => {
                    let _ = reply.send(replay.room().inspect());
                }
                Some(RoomCommand::Close) | None => break,
                Some(_) => {}
            },
            _ = tokio::time::sleep(pause), if watched => match replay.advance() {
                Ok(Progress::Ticked) => {}
                Ok(Progress::Ended(_)) | Ok(Progress::Done) => {
                    let recorded = replay.chain.last().expect("a replay has a match");
                    let result = frames::result(
                        &recorded.id,
                        &recorded.ranking,
                        recorded.aborted,
                        Some(&hex::encode(recorded.seed)),
                    );
                    for watcher in &replay.room.watchers {
                        watcher.client.send_frame(result.clone());
                    }
                    replay.room().dismiss_watchers(LeftReason::Finished);
                    return;
                }
                Err(e) => {
                    // The game no longer plays the match as recorded: its
                    // spectators are told the room failed, not that it ended.
                    tracing::warn!(error = %e, "a replay diverged while played back");
                    replay.room().dismiss_watchers(LeftReason::Error);
                    return;
                }
            },
            _ = &mut unclaimed, if !watched => break,
            _ = &mut stopping => {
                replay.room().dismiss_watchers(LeftReason::Shutdown);
                return;
            }
        }
    }
    replay.room().dismiss_watchers(LeftReason::Finished);
}
