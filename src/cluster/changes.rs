//! What rooms reported since the cluster directory was last written.
//!
//! Rooms report synchronously from their tasks and must never wait on
//! Redis, so [`ReportingDirectory`] passes each report on to the node's
//! [`LocalDirectory`] (which matchmaking here reads at once) and notes the
//! room or the held seat as changed; the publisher writes the latest state
//! of what changed. What waits is bounded by the node's rooms and held
//! seats, however often they change: a room changed twice is written once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::Notify;

use crate::matchmaking::LocalDirectory;
use crate::room::Directory;

/// Players whose join is noted per room before the oldest is dropped: a
/// dropped note leaves a reservation to end at its window, never a seat
/// counted short.
const JOINS_NOTED: usize = 64;

/// Changes waiting to be written to the cluster directory.
#[derive(Default)]
pub(crate) struct Changes {
    /// Rooms whose state changed (seats, opened, closed), with the players
    /// who joined since the last write: their reservations go in the same
    /// write as the count that includes them.
    pub rooms: HashMap<Arc<str>, Vec<Arc<str>>>,
    /// Player -> (room code, whether the seat is held now).
    pub held: HashMap<Arc<str>, (Arc<str>, bool)>,
}

impl Changes {
    /// Folds `later` into these, the later change winning.
    pub fn merge(&mut self, later: Changes) {
        for (code, joined) in later.rooms {
            let noted = self.rooms.entry(code).or_default();
            for player in joined {
                note_join(noted, player);
            }
        }
        self.held.extend(later.held);
    }

    pub fn is_empty(&self) -> bool {
        self.rooms.is_empty() && self.held.is_empty()
    }
}

fn note_join(noted: &mut Vec<Arc<str>>, player: Arc<str>) {
    if !noted.contains(&player) {
        if noted.len() >= JOINS_NOTED {
            noted.remove(0);
        }
        noted.push(player);
    }
}

/// The directory a clustered node's rooms report to: the local directory,
/// plus a note of every change for the cluster's publisher.
pub struct ReportingDirectory {
    pub(crate) local: Arc<LocalDirectory>,
    pub(crate) changes: Mutex<Changes>,
    /// Wakes the publisher.
    pub(crate) wake: Notify,
}

impl ReportingDirectory {
    /// Reports to `local`, noting each change for the publisher.
    pub fn new(local: Arc<LocalDirectory>) -> ReportingDirectory {
        ReportingDirectory {
            local,
            changes: Mutex::default(),
            wake: Notify::new(),
        }
    }

    /// Takes what changed so far.
    pub(crate) fn take(&self) -> Changes {
        std::mem::take(&mut *self.changes.lock().expect("cluster changes lock"))
    }

    /// Puts back changes whose write failed, under any noted since.
    pub(crate) fn put_back(&self, failed: Changes) {
        let mut changes = self.changes.lock().expect("cluster changes lock");
        let later = std::mem::take(&mut *changes);
        *changes = failed;
        changes.merge(later);
    }

    /// Notes every room and held seat of this node as changed: after Redis
    /// forgot the node (it restarted, or the node's registration expired).
    pub(crate) fn all_changed(&self) {
        {
            let mut changes = self.changes.lock().expect("cluster changes lock");
            for code in self.local.codes() {
                changes.rooms.entry(code).or_default();
            }
            for (player, code) in self.local.held_seats() {
                changes.held.insert(player, (code, true));
            }
        }
        self.wake.notify_one();
    }

    fn room_changed(&self, code: &str, joined: Option<&str>) {
        {
            let mut changes = self.changes.lock().expect("cluster changes lock");
            let noted = changes.rooms.entry(Arc::from(code)).or_default();
            if let Some(player) = joined {
                note_join(noted, Arc::from(player));
            }
        }
        self.wake.notify_one();
    }
}

impl ReportingDirectory {
    /// Notes that `player`'s seat in room `code` is held now, or no more.
    fn held_changed(&self, code: &str, player: &str, held: bool) {
        self.changes
            .lock()
            .expect("cluster changes lock")
            .held
            .insert(Arc::from(player), (Arc::from(code), held));
        self.wake.notify_one();
    }
}

impl Directory for ReportingDirectory {
    fn seats_changed(&self, code: &str, players: u32, joined: Option<&str>) {
        self.local.seats_changed(code, players, joined);
        self.room_changed(code, joined);
    }

    fn closed(&self, code: &str) {
        self.local.closed(code);
        self.room_changed(code, None);
    }

    fn seat_held(&self, code: &str, player: &str) {
        self.local.seat_held(code, player);
        self.held_changed(code, player, true);
    }

    fn seat_released(&self, code: &str, player: &str) {
        self.local.seat_released(code, player);
        self.held_changed(code, player, false);
    }
}
