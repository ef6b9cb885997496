//! What the soak's clients saw, counted as they go: the well-behaved
//! players' deliveries and matches, and each abuser's outcomes.

use std::collections::BTreeMap;
use std::sync::Mutex;

use serde::Serialize;

/// Error messages and notes kept for the summary, at most.
const SAMPLES: usize = 8;

/// How one attempt of an abuser (or one non-reading player) ended.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// The server closed the connection: the close code, `dropped` (no
    /// close frame) or an HTTP status, and after how long.
    Closed(String, f64),
    /// The server turned the attempt away (HTTP 429, `rate_limited`,
    /// `server_full`, a connection closed at once).
    Refused(String),
    /// The server kept the connection open past the bound, or let the
    /// abuser keep a room.
    Open(String),
    /// The abuser got what it should not have (a guessed room's state).
    Breach(String),
}

/// One abuser's outcomes over the run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct AbuseTally {
    /// Attempts that ended one way or another.
    pub attempts: u64,
    /// Closes by the server, by code.
    pub closed: BTreeMap<String, u64>,
    /// Refusals by the server, by reason.
    pub refused: BTreeMap<String, u64>,
    /// Attempts the server did not contain.
    pub open: u64,
    pub breaches: u64,
    /// The longest an attempt lasted before the server closed it, seconds.
    pub longest_secs: f64,
    /// What the open attempts and breaches were.
    pub notes: Vec<String>,
}

impl AbuseTally {
    /// Whether the server contained this abuser: every attempt that ended
    /// was closed or refused, and there was at least one.
    pub fn contained(&self) -> bool {
        self.attempts > 0 && self.open == 0 && self.breaches == 0
    }

    fn add(&mut self, outcome: Outcome) {
        self.attempts += 1;
        match outcome {
            Outcome::Closed(code, secs) => {
                *self.closed.entry(code).or_default() += 1;
                self.longest_secs = self.longest_secs.max(secs);
            }
            Outcome::Refused(why) => *self.refused.entry(why).or_default() += 1,
            Outcome::Open(note) => {
                self.open += 1;
                self.note(note);
            }
            Outcome::Breach(note) => {
                self.breaches += 1;
                self.note(note);
            }
        }
    }

    fn note(&mut self, note: String) {
        if self.notes.len() < SAMPLES && !self.notes.contains(&note) {
            self.notes.push(note);
        }
    }
}

/// Counters of the well-behaved players, cumulative since the start.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Players {
    /// Patches arena players received.
    pub arena_patches: u64,
    /// Patches they should have received: seconds seated times the tick rate.
    pub arena_expected: f64,
    /// Arena players seated now.
    pub arena_seated: usize,
    /// Sessions resumed into the held seat after a dropped connection.
    pub resumes: u64,
    pub tictactoe_matches: u64,
    pub tictactoe_moves: u64,
    pub trivia_matches: u64,
    pub trivia_answers: u64,
    /// Anything that went wrong for a well-behaved player.
    pub errors: u64,
    pub error_samples: Vec<String>,
}

/// Where every client of the soak reports.
#[derive(Default)]
pub struct Tally {
    players: Mutex<Players>,
    abuse: Mutex<BTreeMap<&'static str, AbuseTally>>,
}

impl Tally {
    /// Arena deliveries: `patches` received over `seconds` seated.
    pub fn arena(&self, patches: u64, seconds: f64, tick_hz: f64) {
        let mut p = self.lock();
        p.arena_patches += patches;
        p.arena_expected += seconds * tick_hz;
    }

    /// An arena player sat down (+1) or got up (-1).
    pub fn seated(&self, delta: isize) {
        let mut p = self.lock();
        p.arena_seated = p.arena_seated.saturating_add_signed(delta);
    }

    /// Changes any other counter of the players.
    pub fn count(&self, f: impl FnOnce(&mut Players)) {
        f(&mut self.lock());
    }

    /// A well-behaved player's error.
    pub fn error(&self, what: String) {
        let mut p = self.lock();
        p.errors += 1;
        if p.error_samples.len() < SAMPLES {
            p.error_samples.push(what);
        }
    }

    /// How one attempt of abuser `kind` ended.
    pub fn abuse(&self, kind: &'static str, outcome: Outcome) {
        self.abuse
            .lock()
            .expect("tally lock")
            .entry(kind)
            .or_default()
            .add(outcome);
    }

    /// The players' counters now.
    pub fn players(&self) -> Players {
        self.lock().clone()
    }

    /// Every abuser's outcomes now.
    pub fn abusers(&self) -> BTreeMap<&'static str, AbuseTally> {
        self.abuse.lock().expect("tally lock").clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Players> {
        self.players.lock().expect("tally lock")
    }
}
