//! The room task: membership, the tick loop, and the end of a match.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bevy_ecs::prelude::*;
use bytes::Bytes;
use tokio::sync::mpsc;
use tokio::time::{interval, sleep_until, MissedTickBehavior};

use super::{ClientHandle, Join, Outbound, PlayerInfo, RoomCommand, RoomHandle, Simulation};
use crate::catalog::GameType;
use crate::game::{entity_id, Clock, GameEvents, Outcome, Player};
use crate::ledger::{Ledger, MatchRecord};
use crate::protocol::{error_frame, event_frame, ErrorCode, FrameWriter, RankLine, ServerMessage};

/// What rooms tell the room directory (the matchmaker).
pub trait Directory: Send + Sync + 'static {
    /// The room now has `players` seated.
    fn seats_changed(&self, code: &str, players: u32);
    /// The room has closed; forget it.
    fn closed(&self, code: &str);
    /// The seat `player` held in room `code` after a dropped connection is
    /// gone (released after the grace period, or the room closed).
    fn seat_released(&self, code: &str, player: &str);
}

/// Everything a room needs from the server around it.
#[derive(Clone)]
pub struct RoomContext {
    pub ledger: Arc<dyn Ledger>,
    pub directory: Arc<dyn Directory>,
    /// Capacity of a room's command inbox (joins, leaves, inputs).
    pub inbox: usize,
    /// Outbound slots kept free for messages that must not be dropped
    /// (`result`, `left`, errors); patches stop being queued to a client
    /// with fewer free slots, and it is resynced with `joined` later.
    pub outbound_reserve: usize,
    /// How long a new room waits for its first player before it closes.
    pub unclaimed_grace: Duration,
}

/// Opens a room of `game` and starts its task.
pub fn spawn_room(ctx: RoomContext, game: Arc<dyn GameType>, code: Arc<str>, private: bool) -> RoomHandle {
    let (tx, rx) = mpsc::channel(ctx.inbox);
    let handle = RoomHandle {
        code: code.clone(),
        game: game.clone(),
        private,
        tx,
    };
    let room = Room::new(ctx, game, code);
    tokio::spawn(room.run(rx));
    handle
}

/// A seated player.
struct Member {
    info: PlayerInfo,
    entity: Entity,
    client: ClientHandle,
    /// Highest input `seq` queued / applied for this member.
    queued_seq: u32,
    ack: u32,
    /// Patches were skipped: the next one is replaced by a full `joined`.
    lagging: bool,
    /// The connection dropped: the seat is held until this instant.
    offline_until: Option<Instant>,
}

/// One room: the simulation plus who is in it. [`spawn_room`] runs it as
/// a task; benchmarks drive it directly with [`Room::handle`] and
/// [`Room::tick`].
pub struct Room {
    ctx: RoomContext,
    game: Arc<dyn GameType>,
    code: Arc<str>,
    sim: Simulation,
    members: Vec<Member>,
    /// Everyone seated during the current match, for its ranking.
    roster: Vec<(Entity, PlayerInfo)>,
    opened: Instant,
    match_started_at: i64,
    tick_interval: Option<Duration>,
    /// A turn-based room has something to tick for.
    dirty: bool,
    closed: bool,
}

fn unix_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

impl Room {
    /// A room of `game` with no players yet.
    pub fn new(ctx: RoomContext, game: Arc<dyn GameType>, code: Arc<str>) -> Room {
        let sim = game.new_simulation();
        let tick_interval = game.manifest().tick_interval();
        Room {
            ctx,
            game,
            code,
            sim,
            members: Vec::new(),
            roster: Vec::new(),
            opened: Instant::now(),
            match_started_at: unix_millis(),
            tick_interval,
            dirty: false,
            closed: false,
        }
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
            tokio::select! {
                _ = ticker.tick() => {}
                _ = sleep_until(unclaimed), if self.roster.is_empty() => {
                    self.closed = true;
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
        }
    }

    /// Ticks when commands arrive (one tick for a burst) or a timer the
    /// game set is due; otherwise the task is parked and costs nothing.
    async fn run_turn_based(&mut self, rx: &mut mpsc::Receiver<RoomCommand>, unclaimed: tokio::time::Instant) {
        while !self.closed {
            let wake = self.next_wake();
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
            }
        }
    }

    /// When a turn-based room must next tick: a timer its game set, or the
    /// end of a held seat's grace.
    fn next_wake(&self) -> Option<tokio::time::Instant> {
        let timer = self.sim.world.resource::<Clock>().wake_at.map(|at| self.opened + at);
        let grace = self.members.iter().filter_map(|m| m.offline_until).min();
        let at = match (timer, grace) {
            (Some(a), Some(b)) => a.min(b),
            (a, b) => a.or(b)?,
        };
        Some(tokio::time::Instant::from_std(at))
    }

    /// Applies one command (a join, a leave or an input).
    pub fn handle(&mut self, command: RoomCommand) {
        match command {
            RoomCommand::Join(join) => {
                let Join {
                    player,
                    client,
                    resume,
                    reply,
                } = *join;
                let _ = reply.send(self.join(player, client, resume));
            }
            RoomCommand::Leave { player } => self.leave(&player),
            RoomCommand::Disconnect { player, client } => self.disconnect(&player, &client),
            RoomCommand::Input { player, seq, data } => {
                let Some(member) = self.members.iter_mut().find(|m| m.info.id == player) else {
                    return;
                };
                member.queued_seq = member.queued_seq.max(seq);
                let entity = member.entity;
                self.sim.push_input(entity, seq, data);
                self.dirty = true;
            }
        }
    }

    fn join(&mut self, player: PlayerInfo, client: ClientHandle, resume: bool) -> Result<(), ErrorCode> {
        if self.closed {
            return Err(ErrorCode::NoSuchRoom);
        }
        let manifest = self.game.manifest();
        if let Some(i) = self.members.iter().position(|m| m.info.id == player.id) {
            // The same player from a new connection takes over the seat,
            // whether the old connection dropped or is still open.
            let member = &mut self.members[i];
            let old = std::mem::replace(&mut member.client, client);
            if member.offline_until.take().is_some() {
                // Back by `join` or by `hello`: either way the directory
                // no longer needs to remember the held seat.
                self.ctx.directory.seat_released(&self.code, &player.id);
                self.set_online(i, true);
            } else {
                let _ = old.tx.try_send(Outbound::Left {
                    stay: old.stay,
                    reason: "replaced",
                });
            }
            self.members[i].lagging = false;
            let frame = self.joined_frame(self.members[i].entity);
            return self.send_or_kick(i, frame);
        }
        if resume {
            return Err(ErrorCode::NoSuchRoom);
        }
        if self.members.len() as u32 >= manifest.max_players {
            return Err(ErrorCode::RoomFull);
        }
        let slot = (0..manifest.max_players as u8)
            .find(|s| self.members.iter().all(|m| self.slot_of(m) != *s))
            .expect("a free seat exists below max_players");
        let entity = self
            .sim
            .world
            .spawn(Player {
                id: player.id.to_string(),
                name: player.name.to_string(),
                slot,
                online: true,
            })
            .id();
        self.roster.push((entity, player.clone()));
        self.members.push(Member {
            info: player,
            entity,
            client,
            queued_seq: 0,
            ack: 0,
            lagging: false,
            offline_until: None,
        });
        let min = manifest.min_players;
        let mut clock = self.sim.world.resource_mut::<Clock>();
        if clock.match_number == 0 && self.members.len() as u32 >= min {
            clock.match_number = 1;
            self.match_started_at = unix_millis();
        }
        self.dirty = true;
        self.ctx.directory.seats_changed(&self.code, self.members.len() as u32);
        let frame = self.joined_frame(entity);
        self.send_or_kick(self.members.len() - 1, frame)
    }

    /// Whether the room has ended (empty, finished or failed).
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    fn slot_of(&self, member: &Member) -> u8 {
        self.sim.world.get::<Player>(member.entity).map_or(u8::MAX, |p| p.slot)
    }

    /// Holds a dropped player's seat for the game's reconnection grace.
    fn disconnect(&mut self, player: &str, client: &mpsc::Sender<Outbound>) {
        let Some(i) = self
            .members
            .iter()
            .position(|m| &*m.info.id == player && m.client.tx.same_channel(client))
        else {
            return;
        };
        let grace = self.game.manifest().reconnect_grace();
        if grace.is_zero() {
            self.leave(player);
            return;
        }
        self.members[i].offline_until = Some(Instant::now() + grace);
        self.set_online(i, false);
    }

    /// Sets `Player.online` of member `i`; the game sees the change next tick.
    fn set_online(&mut self, i: usize, online: bool) {
        if let Some(mut p) = self.sim.world.get_mut::<Player>(self.members[i].entity) {
            p.online = online;
        }
        self.dirty = true;
    }

    /// Releases, as leaves, the seats whose grace has run out.
    fn release_expired_seats(&mut self) {
        let now = Instant::now();
        while let Some(i) = self
            .members
            .iter()
            .position(|m| m.offline_until.is_some_and(|t| t <= now))
        {
            let player = self.members[i].info.id.clone();
            self.leave(&player);
            self.ctx.directory.seat_released(&self.code, &player);
        }
    }

    fn leave(&mut self, player: &str) {
        let Some(i) = self.members.iter().position(|m| &*m.info.id == player) else {
            return;
        };
        let member = self.members.swap_remove(i);
        self.sim.world.despawn(member.entity);
        self.dirty = true;
        if self.members.is_empty() {
            self.closed = true;
        } else {
            self.ctx.directory.seats_changed(&self.code, self.members.len() as u32);
        }
    }

    /// A full `joined` frame for the member whose entity is `you`.
    pub fn joined_frame(&mut self, you: Entity) -> Bytes {
        let mut state = self.sim.replication.snapshot(&mut self.sim.world);
        let tick = self.sim.world.resource::<Clock>().tick;
        let schema = self.game.schema();
        let mut w = FrameWriter::with_capacity(256 + schema.len());
        w.map(7)
            .str("t")
            .str("joined")
            .str("room")
            .str(&self.code)
            .str("game")
            .str(&self.game.manifest().name)
            .str("you")
            .uint(entity_id(you))
            .str("tick")
            .uint(tick)
            .str("schema")
            .raw(schema)
            .str("state");
        state.write_state(&mut w);
        w.finish()
    }

    /// Queues a frame that must arrive; a client too far behind for it is
    /// disconnected.
    fn send_or_kick(&self, i: usize, frame: Bytes) -> Result<(), ErrorCode> {
        let client = &self.members[i].client;
        if !client.send_frame(frame) {
            client.kick.notify_one();
            return Err(ErrorCode::Internal);
        }
        Ok(())
    }

    /// Runs one tick: the game's systems, replication, the patch to every
    /// member, and the end of the match if the game set an `Outcome`.
    pub fn tick(&mut self) {
        self.release_expired_seats();
        if self.closed {
            return;
        }
        self.dirty = false;
        let now = self.opened.elapsed();
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
        for (entity, reject) in self.sim.finish_inputs() {
            if let Some(i) = self.members.iter().position(|m| m.entity == entity) {
                let _ = self.send_or_kick(i, error_frame(ErrorCode::IllegalInput, &reject.0));
            }
        }
        self.send_events();
        self.send_patch();
        if let Some(outcome) = self.sim.world.remove_resource::<Outcome>() {
            self.finish_match(outcome);
        }
    }

    fn send_events(&mut self) {
        let Some(mut events) = self.sim.world.get_resource_mut::<GameEvents>() else {
            return;
        };
        let events = std::mem::take(&mut events.queue);
        for (to, name, data) in events {
            let frame = event_frame(&name, &data);
            for i in 0..self.members.len() {
                if self.members[i].offline_until.is_none() && to.is_none_or(|e| e == self.members[i].entity) {
                    let _ = self.send_or_kick(i, frame.clone());
                }
            }
        }
    }

    fn send_patch(&mut self) {
        let tick = self.sim.world.resource::<Clock>().tick;
        let sim = &mut self.sim;
        sim.replication.collect(&mut sim.world, &mut sim.changes);
        // Each format is encoded once per tick, and only if a member reads it.
        let (plain, compact) = self.members.iter().fold((false, false), |(p, c), m| {
            (p || !m.client.compact, c || m.client.compact)
        });
        let compact_prefix = compact.then(|| sim.changes.encode_compact_prefix(tick, &sim.world, &sim.replication));
        let prefix = plain.then(|| sim.changes.encode_patch_prefix(tick, &sim.world));
        sim.changes.clear();
        // Collection compares change ticks with this point: from here on,
        // every change belongs to the next patch.
        sim.world.clear_trackers();

        let reserve = self.ctx.outbound_reserve;
        for i in 0..self.members.len() {
            let member = &self.members[i];
            if member.offline_until.is_some() {
                continue;
            }
            let free = member.client.tx.capacity();
            if free <= reserve {
                self.members[i].lagging = true;
                continue;
            }
            if member.lagging {
                let frame = self.joined_frame(self.members[i].entity);
                if self.members[i].client.send_frame(frame) {
                    self.members[i].lagging = false;
                }
                continue;
            }
            let (compact, prefix) = match (member.client.compact, &compact_prefix, &prefix) {
                (true, Some(p), _) | (false, _, Some(p)) => (member.client.compact, p.clone()),
                _ => continue,
            };
            let _ = member.client.tx.try_send(Outbound::Patch {
                stay: member.client.stay,
                compact,
                prefix,
                ack: member.ack,
            });
        }
    }

    /// Records the match, then tells the players; closes the room unless
    /// its game plays round after round.
    fn finish_match(&mut self, outcome: Outcome) {
        let mut ranking: Vec<RankLine> = Vec::new();
        for placing in &outcome.ranking {
            if let Some((_, info)) = self.roster.iter().find(|(e, _)| *e == placing.player) {
                if ranking.iter().all(|l| *l.player != *info.id) {
                    ranking.push(RankLine {
                        player: info.id.to_string(),
                        name: info.name.to_string(),
                        rank: placing.rank,
                        score: placing.score,
                    });
                }
            }
        }
        // Seated players the game did not rank share the next rank.
        let next = ranking.iter().map(|l| l.rank).max().unwrap_or(0) + 1;
        for (_, info) in &self.roster {
            if ranking.iter().all(|l| *l.player != *info.id) {
                ranking.push(RankLine {
                    player: info.id.to_string(),
                    name: info.name.to_string(),
                    rank: next,
                    score: 0,
                });
            }
        }
        ranking.sort_by_key(|l| l.rank);
        let ended_at = unix_millis();
        let record = MatchRecord {
            id: format!("{ended_at:012x}{:08x}", rand::random::<u32>()),
            game: self.game.manifest().name.clone(),
            room: self.code.to_string(),
            started_at: self.match_started_at,
            ended_at,
            ranking,
        };
        let continuous = self.game.manifest().continuous;
        // A player away on a held seat sees the outcome in the fresh
        // `joined` they get on return (or in the leaderboard).
        let recipients: Vec<ClientHandle> = self
            .members
            .iter()
            .filter(|m| m.offline_until.is_none())
            .map(|m| m.client.clone())
            .collect();
        if continuous {
            self.roster = self.members.iter().map(|m| (m.entity, m.info.clone())).collect();
            self.match_started_at = ended_at;
            self.sim.world.resource_mut::<Clock>().match_number += 1;
        } else {
            self.closed = true;
        }
        let ledger = self.ctx.ledger.clone();
        let room = self.code.clone();
        tokio::spawn(async move {
            let recorded = ledger.record(&record).await;
            let frame = match &recorded {
                Ok(()) => ServerMessage::Result {
                    match_id: &record.id,
                    ranking: &record.ranking,
                }
                .encode(),
                Err(e) => {
                    tracing::error!(room = %room, error = %e, "a match result could not be recorded");
                    error_frame(ErrorCode::Internal, "the match result could not be recorded")
                }
            };
            for client in recipients {
                let sent = client.send_frame(frame.clone())
                    && (continuous
                        || client
                            .tx
                            .try_send(Outbound::Left {
                                stay: client.stay,
                                reason: if recorded.is_ok() { "finished" } else { "error" },
                            })
                            .is_ok());
                if !sent {
                    client.kick.notify_one();
                }
            }
        });
    }

    /// A game system panicked: the world may be half-updated, so the room
    /// ends without recording anything.
    fn fail(&mut self) {
        tracing::error!(room = %self.code, game = %self.game.manifest().name, "a game system panicked; the room is closed");
        for member in &self.members {
            if member.offline_until.is_some() {
                self.ctx.directory.seat_released(&self.code, &member.info.id);
            }
            let _ = member.client.tx.try_send(Outbound::Left {
                stay: member.client.stay,
                reason: "error",
            });
        }
        self.members.clear();
        self.closed = true;
    }
}
