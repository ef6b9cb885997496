//! A room's recording (manifest `record = true`): everything that changed
//! its world from outside the game's systems, in the order it happened, so
//! `parlor replay` can run the match again from its seed and check that it
//! ends the same way (docs/replays.md).
//!
//! The game's systems are deterministic given their world, their inputs,
//! their clock and their [`MatchRng`](crate::game::MatchRng); so a match is
//! fully described by its seed (in the signed match record) and the steps
//! below. A continuous room's world carries over from one match to the
//! next, so each match's recording names the one before it in the same
//! room, and a replay runs the room from its first recorded match.

use std::time::Duration;

use bytes::Bytes;
use serde::{Deserialize, Serialize};

/// The most one match's recording may hold, in bytes of steps. A room
/// whose match goes over it stops recording (for the rest of its life: a
/// continuous room's later matches need this one) and its matches are
/// recorded without one.
pub const MAX_RECORDING_BYTES: usize = 4 << 20;

/// The version of the recording format written today.
pub const RECORDING_VERSION: u32 = 1;

/// One change to a room's world from outside the game's systems.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// A player took a new seat (its `Player` entity was spawned).
    Seat { id: String, name: String },
    /// A seated player's connection dropped (`online: false`) or came back.
    Online { id: String, online: bool },
    /// A player's seat was given up (its entity despawned).
    Leave { id: String },
    /// An input, as the client frame that carried it.
    Input { id: String, frame: Bytes },
    /// Real-time ticks, this many in a row (the clock moves one tick
    /// period each).
    Ticks(u32),
    /// A turn-based tick, at this many nanoseconds since the room opened:
    /// the precision of the room's clock, so the game's `Clock` reads the
    /// same in the replay to the last digit.
    TickAt(u64),
}

impl Step {
    /// Roughly what the step costs the recording, for its bound.
    fn size(&self) -> usize {
        8 + match self {
            Step::Seat { id, name } => id.len() + name.len(),
            Step::Online { id, .. } | Step::Leave { id } => id.len(),
            Step::Input { id, frame } => id.len() + frame.len(),
            Step::Ticks(_) | Step::TickAt(_) => 0,
        }
    }
}

/// One match's recording, as the ledger stores it (MessagePack).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recording {
    /// [`RECORDING_VERSION`] when written.
    pub v: u32,
    pub game: String,
    /// The room's previous match, whose recording this one continues (a
    /// continuous room's next match starts from the world the last one
    /// left); `None` for a room's first match.
    pub previous: Option<String>,
    /// Since the previous match ended (or the room opened), in order.
    pub steps: Vec<Step>,
}

impl Recording {
    /// The stored form.
    pub fn encode(&self) -> Bytes {
        Bytes::from(rmp_serde::to_vec_named(self).expect("a recording serializes"))
    }

    /// A stored recording; an error names what is wrong with it.
    pub fn decode(bytes: &[u8]) -> Result<Recording, String> {
        let recording: Recording =
            rmp_serde::from_slice(bytes).map_err(|e| format!("the recording does not decode: {e}"))?;
        if recording.v != RECORDING_VERSION {
            return Err(format!(
                "the recording is of format {}; this build reads {RECORDING_VERSION}",
                recording.v
            ));
        }
        Ok(recording)
    }
}

/// What a recording room keeps of its current match until the match ends.
#[derive(Debug, Default)]
pub(super) struct Recorder {
    steps: Vec<Step>,
    bytes: usize,
    /// The room's last match recorded, which the next continues.
    previous: Option<String>,
    /// A match went over [`MAX_RECORDING_BYTES`]: nothing after it can be
    /// replayed, so nothing more is kept.
    stopped: bool,
}

impl Recorder {
    /// Keeps `step`, unless the recording stopped or goes over its bound.
    pub(super) fn push(&mut self, step: Step) {
        if self.stopped {
            return;
        }
        // Runs of real-time ticks are one step.
        if let (Step::Ticks(1), Some(Step::Ticks(n))) = (&step, self.steps.last_mut()) {
            if *n < u32::MAX {
                *n += 1;
                return;
            }
        }
        self.bytes += step.size();
        if self.bytes > MAX_RECORDING_BYTES {
            tracing::warn!(
                limit = MAX_RECORDING_BYTES,
                "a match's recording went over its bound; this room records no more"
            );
            self.stopped = true;
            self.steps = Vec::new();
            return;
        }
        self.steps.push(step);
    }

    /// A tick: real-time (`None`) or turn-based at `at` since the room
    /// opened.
    pub(super) fn tick(&mut self, at: Option<Duration>) {
        self.push(match at {
            None => Step::Ticks(1),
            Some(at) => Step::TickAt(u64::try_from(at.as_nanos()).unwrap_or(u64::MAX)),
        });
    }

    /// Match `id` of `game` ended: its recording, encoded, if the room
    /// still records; the next match's starts empty.
    pub(super) fn cut(&mut self, game: &str, id: &str) -> Option<Bytes> {
        if self.stopped {
            return None;
        }
        let recording = Recording {
            v: RECORDING_VERSION,
            game: game.to_owned(),
            previous: self.previous.replace(id.to_owned()),
            steps: std::mem::take(&mut self.steps),
        };
        self.bytes = 0;
        Some(recording.encode())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_in_a_row_are_one_step_and_matches_chain() {
        let mut recorder = Recorder::default();
        recorder.push(Step::Seat {
            id: "guest:ann".into(),
            name: "Ann".into(),
        });
        for _ in 0..3 {
            recorder.tick(None);
        }
        recorder.push(Step::Leave { id: "guest:ann".into() });
        recorder.tick(None);
        let first = Recording::decode(&recorder.cut("arena", "m1").unwrap()).unwrap();
        assert_eq!(first.previous, None);
        assert_eq!(first.steps[1], Step::Ticks(3));
        assert_eq!(first.steps[3], Step::Ticks(1));
        recorder.tick(Some(Duration::from_millis(1500)));
        let second = Recording::decode(&recorder.cut("arena", "m2").unwrap()).unwrap();
        assert_eq!(second.previous.as_deref(), Some("m1"));
        assert_eq!(second.steps, [Step::TickAt(1_500_000_000)]);
    }

    #[test]
    fn a_match_over_the_bound_stops_the_recording_for_good() {
        let mut recorder = Recorder::default();
        let frame = Bytes::from(vec![0u8; 64 * 1024]);
        for _ in 0..(MAX_RECORDING_BYTES / frame.len() + 1) {
            recorder.push(Step::Input {
                id: "guest:ann".into(),
                frame: frame.clone(),
            });
        }
        assert!(recorder.cut("arena", "m1").is_none());
        recorder.tick(None);
        assert!(recorder.cut("arena", "m2").is_none());
        assert!(Recording::decode(b"\x90").is_err());
    }
}
