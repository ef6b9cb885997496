//! The end of a match: its ranking, its record in the ledger, and what the
//! players are told.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use bevy_ecs::prelude::*;

use super::fairness::MatchSeed;
use super::{ClientHandle, PlayerInfo, Room};
use crate::game::{Clock, MatchRng, Outcome};
use crate::ledger::MatchRecord;
use crate::protocol::{frames, ErrorCode, LeftReason, RankLine};

pub(super) fn unix_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// The ranking of a match: the game's placings of players on the roster
/// (each once), then every seated player the game did not rank, sharing the
/// next rank with score 0; best first.
pub(super) fn rank(outcome: &Outcome, roster: &[(Entity, PlayerInfo)]) -> Vec<RankLine> {
    let line = |info: &PlayerInfo, rank: u32, score: i64| RankLine {
        player: info.id.to_string(),
        name: info.name.to_string(),
        rank,
        score,
    };
    let mut ranking: Vec<RankLine> = Vec::new();
    for placing in &outcome.ranking {
        if let Some((_, info)) = roster.iter().find(|(e, _)| *e == placing.player) {
            if ranking.iter().all(|l| *l.player != *info.id) {
                ranking.push(line(info, placing.rank, placing.score));
            }
        }
    }
    let next = ranking.iter().map(|l| l.rank).max().unwrap_or(0) + 1;
    for (_, info) in roster {
        if ranking.iter().all(|l| *l.player != *info.id) {
            ranking.push(line(info, next, 0));
        }
    }
    ranking.sort_by_key(|l| l.rank);
    ranking
}

impl Room {
    /// The game set an `Outcome`: record the match, then tell the players;
    /// close the room unless its game plays round after round (and the
    /// server is not stopping).
    pub(super) fn finish_match(&mut self, outcome: Outcome) {
        let ranking = rank(&outcome, &self.roster);
        let continuous = self.game.manifest().continuous;
        let after = match (continuous, self.stop_deadline.is_some()) {
            (false, _) => Some(LeftReason::Finished),
            (true, true) => Some(LeftReason::Shutdown),
            (true, false) => None,
        };
        self.record(ranking, false, after);
    }

    /// The shutdown grace ran out mid-match: the match is recorded as
    /// aborted, everyone seated level (rank 1, score 0), and the room
    /// closes.
    pub(super) fn abort_match(&mut self) {
        tracing::info!(room = %self.code, "the server is stopping; the running match is recorded as aborted");
        self.record(self.level_ranking(), true, Some(LeftReason::Shutdown));
    }

    /// An operator closes the room: a running match is recorded as
    /// aborted (everyone level), then everyone gets `left` (`finished`).
    pub(super) fn close_by_operator(&mut self) {
        if self.closed {
            return;
        }
        tracing::info!(room = %self.code, "closed by an operator");
        if self.match_running() {
            self.record(self.level_ranking(), true, Some(LeftReason::Finished));
        } else {
            self.dismiss_all(LeftReason::Finished);
        }
    }

    /// An aborted match's ranking: everyone on the roster level (rank 1,
    /// score 0).
    fn level_ranking(&self) -> Vec<RankLine> {
        rank(&Outcome::default(), &self.roster)
            .into_iter()
            .map(|line| RankLine { rank: 1, ..line })
            .collect()
    }

    /// The server is stopping and no match is running: close now.
    pub(super) fn close_for_stop(&mut self) {
        self.dismiss_all(LeftReason::Shutdown);
    }

    /// Writes the record in a task the server's stop waits for, then sends
    /// `result` (or `internal` if the write failed) and, when the room
    /// closes, `left` with `after`.
    fn record(&mut self, ranking: Vec<RankLine>, aborted: bool, after: Option<LeftReason>) {
        let ended_at = unix_millis();
        let id = format!("{ended_at:012x}{:08x}", rand::random::<u32>());
        let recording = self
            .recorder
            .as_mut()
            .and_then(|recorder| recorder.cut(&self.game.manifest().name, &id));
        // A replay keeps the outcome to compare; it writes nothing.
        if let Some(replaying) = &mut self.replaying {
            replaying.outcomes.push(ranking);
            match after {
                None => {
                    self.next_match(ended_at);
                }
                Some(_) => self.closed = true,
            }
            return;
        }
        let record = MatchRecord {
            id,
            game: self.game.manifest().name.clone(),
            room: self.code.to_string(),
            chat: self.chat.as_deref().map(str::to_owned),
            started_at: self.match_started_at,
            ended_at,
            ranking,
            aborted,
            seed: Some(self.seed.reveal()),
            recording,
            rewards: self.game.manifest().rewards.clone(),
        };
        // A player away on a held seat sees the outcome in the fresh
        // `joined` they get on return (or in the leaderboard).
        // Spectators too; those of a room that closes hear `left` from the
        // task, after the result, so the room forgets them now.
        let watchers: Vec<ClientHandle> = match after {
            Some(_) => {
                self.metrics.watching(0);
                std::mem::take(&mut self.watchers)
                    .into_iter()
                    .map(|w| w.client)
                    .collect()
            }
            None => self.watchers.iter().map(|w| w.client.clone()).collect(),
        };
        let recipients: Vec<ClientHandle> = self
            .members
            .iter()
            .filter(|m| m.offline_until.is_none())
            .map(|m| m.client.clone())
            .chain(watchers)
            .collect();
        // The next match of a continuous room draws from a new seed, whose
        // commitment follows the result.
        let next_commit = match after {
            None => Some(self.next_match(ended_at)),
            Some(_) => {
                self.closed = true;
                None
            }
        };
        let ledger = self.ctx.ledger.clone();
        let metrics = self.ctx.metrics.clone();
        let room = self.code.clone();
        self.ctx.lifecycle.spawn(async move {
            let started = Instant::now();
            let recorded = ledger.record(&record).await;
            metrics.ledger_write(started.elapsed(), recorded.is_ok());
            let frame = match &recorded {
                Ok(()) => frames::result(&record.id, &record.ranking, record.aborted, record.seed.as_deref()),
                Err(e) => {
                    tracing::error!(room = %room, error = %e, "a match result could not be recorded");
                    frames::error(ErrorCode::Internal, "the match result could not be recorded", None)
                }
            };
            for client in recipients {
                let left = match (after, &recorded) {
                    (None, _) => None,
                    (Some(_), Err(_)) => Some(LeftReason::Error),
                    (Some(reason), Ok(())) => Some(reason),
                };
                let sent = client.send_frame(frame.clone())
                    && left.is_none_or(|reason| client.send_left(reason))
                    && next_commit.as_ref().is_none_or(|fair| client.send_frame(fair.clone()));
                if !sent {
                    client.signal.kick();
                }
            }
        });
    }

    /// A continuous room's next match starts, with everyone seated now on
    /// its roster and a new seed (a replay's is the recorded one); returns
    /// the `fair` frame that commits to the seed.
    fn next_match(&mut self, ended_at: i64) -> bytes::Bytes {
        self.roster = self.members.iter().map(|m| (m.entity, m.info.clone())).collect();
        self.match_started_at = ended_at;
        self.sim.world.resource_mut::<Clock>().match_number += 1;
        self.seed = match self.replaying.as_mut().and_then(|r| r.seeds.pop_front()) {
            Some(seed) => MatchSeed::from_bytes(seed),
            None => MatchSeed::draw(),
        };
        self.sim.world.insert_resource(MatchRng::from_seed(self.seed.bytes()));
        frames::fair(self.seed.commit())
    }

    /// A game system panicked: the world may be half-updated, so the room
    /// ends without recording anything.
    pub(super) fn fail(&mut self) {
        tracing::error!(room = %self.code, game = %self.game.manifest().name, "a game system panicked; the room is closed");
        self.dismiss_all(LeftReason::Error);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::game::Placing;

    fn roster(world: &mut World, names: &[&str]) -> Vec<(Entity, PlayerInfo)> {
        names
            .iter()
            .map(|n| {
                let info = PlayerInfo {
                    id: Arc::from(format!("guest:{n}")),
                    name: Arc::from(*n),
                };
                (world.spawn_empty().id(), info)
            })
            .collect()
    }

    #[test]
    fn unranked_players_share_the_next_rank() {
        let mut world = World::new();
        let roster = roster(&mut world, &["ann", "bob", "cy"]);
        let ranking = rank(&Outcome::winner(roster[1].0, 7), &roster);
        let lines: Vec<(&str, u32, i64)> = ranking.iter().map(|l| (l.name.as_str(), l.rank, l.score)).collect();
        assert_eq!(lines, [("bob", 1, 7), ("ann", 2, 0), ("cy", 2, 0)]);
    }

    #[test]
    fn a_player_ranked_twice_or_not_seated_counts_once_or_not_at_all() {
        let mut world = World::new();
        let roster = roster(&mut world, &["ann"]);
        let stranger = world.spawn_empty().id();
        let placing = |player, rank| Placing { player, rank, score: 1 };
        let outcome = Outcome {
            ranking: vec![placing(roster[0].0, 1), placing(roster[0].0, 2), placing(stranger, 1)],
        };
        let ranking = rank(&outcome, &roster);
        assert_eq!(ranking.len(), 1);
        assert_eq!(ranking[0].rank, 1);
    }
}
