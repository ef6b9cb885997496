//! The room task: when a room ticks, and how it stops.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bevy_ecs::prelude::*;
use tokio::sync::mpsc;
use tokio::time::{interval, sleep_until, MissedTickBehavior};

use super::fairness::MatchSeed;
use super::membership::Member;
use super::recording::{Recorder, Step};
use super::replay::Replaying;
use super::time::RoomTime;
use super::watchers::Watcher;
use super::{Join, RoomCommand, RoomHandle};
use crate::game::{Clock, Outcome};
use crate::ledger::Ledger;
use crate::lifecycle::Lifecycle;
use crate::metrics::{Metrics, RoomMetrics};
use crate::simulation::{GameType, Simulation};

/// What rooms tell the room directory (the matchmaker). Only the room (its
/// task and its handle) writes its entries.
pub trait Directory: Send + Sync + 'static {
    /// The room now has `players` seated; `joined` names the player whose
    /// join made the change, if one did (a cluster directory drops that
    /// player's seat reservation in the same write as the new count).
    fn seats_changed(&self, code: &str, players: u32, joined: Option<&str>);
    /// The room has closed; forget it.
    fn closed(&self, code: &str);
    /// `player`'s connection dropped and room `code` holds (or, until it
    /// says otherwise with `seat_released`, is about to hold) the seat for
    /// the game's reconnection grace. Written by the room's handle.
    fn seat_held(&self, code: &str, player: &str);
    /// The seat `player` held in room `code` after a dropped connection is
    /// no longer held (taken back, released after the grace, or the room
    /// closed).
    fn seat_released(&self, code: &str, player: &str);
}

/// Everything a room needs from the server around it.
#[derive(Clone)]
pub struct RoomContext {
    pub ledger: Arc<dyn Ledger>,
    pub directory: Arc<dyn Directory>,
    /// The server's stop signal; room tasks and their ledger writes are
    /// tracked by it.
    pub lifecycle: Lifecycle,
    /// Capacity of a room's command inbox (joins, leaves, inputs).
    pub inbox: usize,
    /// Outbound slots kept free for messages that must not be dropped
    /// (`result`, `left`, errors); patches stop being queued to a client
    /// with fewer free slots, and it is resynced with `joined` later.
    pub outbound_reserve: usize,
    /// How long a new room waits for its first player before it closes.
    pub unclaimed_grace: Duration,
    /// How long a running match may go on after the stop signal before it
    /// is ended and recorded as aborted.
    pub shutdown_grace: Duration,
    /// The server's metrics.
    pub metrics: Arc<Metrics>,
}

/// Opens a room of `game` and starts its task.
pub fn spawn_room(
    ctx: RoomContext,
    game: Arc<dyn GameType>,
    code: Arc<str>,
    private: bool,
    invite: Option<Arc<str>>,
    chat: Option<Arc<str>>,
) -> RoomHandle {
    let (tx, rx) = mpsc::channel(ctx.inbox);
    let lifecycle = ctx.lifecycle.clone();
    let directory = ctx.directory.clone();
    let mut room = Room::new(ctx, game.clone(), code.clone());
    let handle = RoomHandle {
        code,
        game,
        private,
        invite: invite.clone(),
        tx,
        directory,
        stats: room.stats.clone(),
    };
    room.invite = invite;
    room.chat = chat;
    lifecycle.spawn(room.run(rx));
    handle
}

/// One room: the simulation plus who is in it. [`spawn_room`] runs it as
/// a task; benchmarks drive it directly with [`Room::handle`] and
/// [`Room::tick`].
pub struct Room {
    pub(super) ctx: RoomContext,
    pub(super) game: Arc<dyn GameType>,
    pub(super) code: Arc<str>,
    /// What joins this room when it is joined only by invite: sent to its
    /// members in `joined`.
    pub(super) invite: Option<Arc<str>>,
    /// The Telegram chat (`chat_instance`) whose room this is, if any: its
    /// matches are recorded with it, for that chat's leaderboard.
    pub(super) chat: Option<Arc<str>>,
    pub(super) sim: Simulation,
    pub(super) members: Vec<Member>,
    /// Spectators: no seat, the public view.
    pub(super) watchers: Vec<Watcher>,
    /// The seed the current match draws from, committed to in `joined`.
    pub(super) seed: MatchSeed,
    /// What the current match's recording holds so far (manifest `record`).
    pub(super) recorder: Option<Box<Recorder>>,
    /// Set when the room runs a recorded match again ([`super::Replay`]):
    /// the seeds of its next matches, and where its outcomes go instead of
    /// the ledger.
    pub(super) replaying: Option<Box<Replaying>>,
    /// Everyone seated during the current match, for its ranking.
    pub(super) roster: Vec<(Entity, super::PlayerInfo)>,
    pub(super) opened: Instant,
    /// The clock every `now` of this room comes from.
    pub(super) time: RoomTime,
    pub(super) match_started_at: i64,
    tick_interval: Option<Duration>,
    /// A turn-based room has something to tick for.
    pub(super) dirty: bool,
    pub(super) closed: bool,
    /// Set by the stop signal: the running match must end by then.
    pub(super) stop_deadline: Option<Instant>,
    /// This room's series; it counts as open until they are dropped with it.
    pub(super) metrics: RoomMetrics,
    /// What the operator page reads without asking the room.
    pub(super) stats: Arc<super::RoomStats>,
}

impl Room {
    /// A room of `game` with no players yet.
    pub fn new(ctx: RoomContext, game: Arc<dyn GameType>, code: Arc<str>) -> Room {
        Room::seeded(ctx, game, code, MatchSeed::draw())
    }

    /// A room whose first match draws from `seed` (a replay's).
    pub(super) fn seeded(ctx: RoomContext, game: Arc<dyn GameType>, code: Arc<str>, seed: MatchSeed) -> Room {
        let sim = game.new_simulation(seed.bytes());
        let recorder = game.manifest().record.then(Box::default);
        let tick_interval = game.manifest().tick_interval();
        let metrics = ctx.metrics.room(&game.manifest().name);
        Room {
            ctx,
            game,
            code,
            invite: None,
            chat: None,
            sim,
            members: Vec::new(),
            watchers: Vec::new(),
            seed,
            recorder,
            replaying: None,
            roster: Vec::new(),
            opened: Instant::now(),
            time: RoomTime::system(),
            match_started_at: super::outcome::unix_millis(),
            tick_interval,
            dirty: false,
            closed: false,
            stop_deadline: None,
            metrics,
            stats: Arc::default(),
        }
    }

    /// This room reading `time` instead of the system clock (the test
    /// harness's manual clock); the room opens at its now.
    pub fn with_time(mut self, time: RoomTime) -> Room {
        self.opened = time.now();
        self.time = time;
        self
    }

    /// The room's task: commands, ticks and timers until the room closes.
    pub async fn run(mut self, mut rx: mpsc::Receiver<RoomCommand>) {
        // A room nobody ever joined (its creator's connection dropped
        // between `create` and the join) must not live forever.
        let unclaimed = tokio::time::Instant::from_std(self.opened + self.ctx.unclaimed_grace);
        match self.tick_interval {
            Some(period) => self.run_real_time(&mut rx, period, unclaimed).await,
            None => self.run_turn_based(&mut rx, unclaimed).await,
        }
        for member in self.members.iter().filter(|m| m.offline_until.is_some()) {
            self.ctx.directory.seat_released(&self.code, &member.info.id);
        }
        // Spectators of a room whose last player left.
        self.dismiss_watchers(crate::protocol::LeftReason::Finished);
        self.ctx.directory.closed(&self.code);
    }

    /// Ticks at the game's rate. Commands wait in the inbox for the next
    /// tick, so the task wakes once per tick and never for an input: with
    /// players sending inputs at 10 Hz, waking per input cost more than the
    /// ticks themselves.
    async fn run_real_time(
        &mut self,
        rx: &mut mpsc::Receiver<RoomCommand>,
        period: Duration,
        unclaimed: tokio::time::Instant,
    ) {
        let mut ticker = interval(period);
        // An overloaded machine drops ticks rather than bursting to catch
        // up; the load generator reports the delivered rate.
        ticker.set_missed_tick_behavior(MissedTickBehavior::Skip);
        while !self.closed {
            if self.nobody_connected() && self.stop_deadline.is_none() {
                // The tick after a pause comes at once (a missed tick is
                // due), so whoever came back sees the room move.
                self.pause(rx, unclaimed).await;
                continue;
            }
            tokio::select! {
                _ = ticker.tick() => {}
                _ = sleep_until(unclaimed), if self.roster.is_empty() => {
                    self.closed = true;
                    break;
                }
            }
            // The room wakes every tick anyway: a flag read here is cheaper
            // than a stop future polled at each wake.
            if self.stop_deadline.is_none() && self.ctx.lifecycle.is_stopping() {
                self.begin_stop();
                if self.closed {
                    break;
                }
            }
            // At most one inbox's worth, so a flood cannot hold the tick.
            for _ in 0..self.ctx.inbox {
                match rx.try_recv() {
                    Ok(command) => self.handle(command),
                    Err(mpsc::error::TryRecvError::Empty) => break,
                    Err(mpsc::error::TryRecvError::Disconnected) => {
                        self.closed = true;
                        break;
                    }
                }
            }
            if !self.closed {
                self.tick();
            }
            self.stop_if_due();
        }
    }

    /// Whether no member is connected: nobody seated yet, or every seat
    /// held for a dropped connection.
    fn nobody_connected(&self) -> bool {
        self.members.iter().all(|m| m.offline_until.is_some())
    }

    /// A real-time room nobody is connected to does not tick: its clock and
    /// its game stand still (nobody sees them) until a join or a resume, a
    /// held seat's grace ending, the unclaimed deadline or the stop. A room
    /// whose players all dropped costs a parked task, not 20 ticks a second.
    async fn pause(&mut self, rx: &mut mpsc::Receiver<RoomCommand>, unclaimed: tokio::time::Instant) {
        let stopping = self.ctx.lifecycle.stopping();
        tokio::pin!(stopping);
        while !self.closed && self.nobody_connected() {
            let grace = self.members.iter().filter_map(|m| m.offline_until).min();
            tokio::select! {
                command = rx.recv() => match command {
                    Some(command) => self.handle(command),
                    None => self.closed = true,
                },
                _ = sleep_until(grace.map_or_else(tokio::time::Instant::now, tokio::time::Instant::from_std)), if grace.is_some() => {
                    self.release_expired_seats();
                }
                _ = sleep_until(unclaimed), if self.roster.is_empty() => self.closed = true,
                _ = &mut stopping => {
                    // A running match is given the shutdown grace, ticking.
                    self.begin_stop();
                    return;
                }
            }
        }
    }

    /// Ticks when commands arrive (one tick for a burst) or a timer the
    /// game set is due; otherwise the task is parked and costs nothing.
    async fn run_turn_based(&mut self, rx: &mut mpsc::Receiver<RoomCommand>, unclaimed: tokio::time::Instant) {
        // Parked for minutes at a time, a turn-based room waits on the stop
        // itself (a real-time room reads the flag at its tick).
        let stopping = self.ctx.lifecycle.stopping();
        tokio::pin!(stopping);
        while !self.closed {
            let wake = self.next_wake();
            let deadline = self.stop_deadline.map(tokio::time::Instant::from_std);
            tokio::select! {
                command = rx.recv() => {
                    let Some(command) = command else { break };
                    self.handle(command);
                    for _ in 1..self.ctx.inbox {
                        let Ok(command) = rx.try_recv() else { break };
                        self.handle(command);
                    }
                    if self.dirty && !self.closed {
                        self.tick();
                    }
                }
                _ = sleep_until(wake.unwrap_or_else(tokio::time::Instant::now)), if wake.is_some() => self.tick(),
                _ = sleep_until(unclaimed), if self.roster.is_empty() => self.closed = true,
                _ = &mut stopping, if self.stop_deadline.is_none() => self.begin_stop(),
                _ = sleep_until(deadline.unwrap_or_else(tokio::time::Instant::now)), if deadline.is_some() => {}
            }
            self.stop_if_due();
        }
    }

    /// When a turn-based room must next tick: a timer its game set, or the
    /// end of a held seat's grace.
    fn next_wake(&self) -> Option<tokio::time::Instant> {
        self.next_wake_at().map(tokio::time::Instant::from_std)
    }

    /// When a turn-based room must next tick, by its clock: a timer its
    /// game set, or the end of a held seat's grace.
    pub fn next_wake_at(&self) -> Option<Instant> {
        let timer = self.sim.world.resource::<Clock>().wake_at.map(|at| self.opened + at);
        let grace = self.members.iter().filter_map(|m| m.offline_until).min();
        match (timer, grace) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Whether a turn-based room has something to tick for (a command
    /// changed it since its last tick).
    pub fn is_dirty(&self) -> bool {
        self.dirty
    }

    /// Whether a match is being played (the game's systems run).
    pub(super) fn match_running(&self) -> bool {
        !self.roster.is_empty() && self.sim.world.resource::<Clock>().match_number > 0
    }

    /// The stop signal arrived: a room without a running match closes now;
    /// a running match gets the shutdown grace to finish.
    pub(super) fn begin_stop(&mut self) {
        self.stop_deadline = Some(self.time.now() + self.ctx.shutdown_grace);
        if !self.match_running() {
            self.close_for_stop();
        }
    }

    /// Ends a match still running at the end of the shutdown grace.
    fn stop_if_due(&mut self) {
        if self.closed || self.stop_deadline.is_none_or(|at| at > self.time.now()) {
            return;
        }
        if self.match_running() {
            self.abort_match();
        } else {
            self.close_for_stop();
        }
    }

    /// Applies one command (a join, a leave or an input).
    pub fn handle(&mut self, command: RoomCommand) {
        match command {
            RoomCommand::Join(join) => {
                let Join {
                    player,
                    client,
                    resume,
                    rid,
                    reply,
                } = *join;
                let _ = reply.send(self.join(player, client, resume, rid));
            }
            RoomCommand::Watch(watch) => {
                let Join {
                    player,
                    client,
                    rid,
                    reply,
                    ..
                } = *watch;
                let _ = reply.send(self.watch(player, client, rid));
            }
            RoomCommand::Unwatch { client } => self.unwatch(&client),
            RoomCommand::Leave { player } => self.leave(&player),
            RoomCommand::Disconnect { player, client } => self.disconnect(&player, &client),
            RoomCommand::Input { player, seq, data } => {
                let Some(member) = self.members.iter_mut().find(|m| m.info.id == player) else {
                    return;
                };
                let data = match data.downcast::<super::RecordedInput>() {
                    Ok(recorded) => {
                        if let Some(recorder) = &mut self.recorder {
                            recorder.push(Step::Input {
                                id: player.to_string(),
                                frame: recorded.frame,
                            });
                        }
                        recorded.data
                    }
                    Err(data) => data,
                };
                member.queued_seq = member.queued_seq.max(seq);
                let entity = member.entity;
                self.sim.push_input(entity, seq, data);
                self.metrics.input_queued();
                self.dirty = true;
            }
            RoomCommand::Inspect(reply) => {
                let _ = reply.send(self.inspect());
            }
            RoomCommand::Close => self.close_by_operator(),
        }
    }

    /// Whether the room has ended (empty, finished or failed).
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// Runs one tick: the game's systems, replication, the patch to every
    /// member, and the end of the match if the game set an `Outcome`.
    pub fn tick(&mut self) {
        self.release_expired_seats();
        if self.closed {
            return;
        }
        self.dirty = false;
        let started = Instant::now();
        let now = self.time.now().saturating_duration_since(self.opened);
        if let Some(recorder) = &mut self.recorder {
            recorder.tick(self.tick_interval.is_none().then_some(now));
        }
        {
            let mut clock = self.sim.world.resource_mut::<Clock>();
            clock.tick += 1;
            let delta = match self.tick_interval {
                Some(period) => period,
                None => now.saturating_sub(clock.elapsed),
            };
            clock.delta = delta;
            clock.elapsed += delta;
            if clock.wake_at.is_some_and(|at| at <= clock.elapsed) {
                clock.wake_at = None;
            }
        }
        for member in &mut self.members {
            member.ack = member.queued_seq;
        }
        // The game's systems run once its match has started.
        if self.sim.world.resource::<Clock>().match_number > 0 {
            let ran = catch_unwind(AssertUnwindSafe(|| self.sim.run_schedule()));
            if ran.is_err() {
                self.fail();
                return;
            }
        }
        self.send_rejections();
        self.send_events();
        self.send_patch();
        if let Some(outcome) = self.sim.world.remove_resource::<Outcome>() {
            self.finish_match(outcome);
        }
        let took = started.elapsed();
        self.metrics.tick(took);
        self.stats
            .last_tick_micros
            .store(took.as_micros() as u64, std::sync::atomic::Ordering::Relaxed);
    }
}
