//! The one clock a room reads. A server's rooms read the system clock; the
//! test harness ([`crate::testing::TestRoom`]) gives its room a manual
//! clock that it moves forward itself, so seconds of a room's life (seat
//! graces, a turn-based game's timers, the delta of its ticks) pass in
//! microseconds and the same way every run.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Where a room reads the time.
#[derive(Clone, Debug, Default)]
pub struct RoomTime {
    /// `None`: the system clock.
    manual: Option<Arc<Manual>>,
}

/// A manual clock: a fixed start and how far it has been moved.
#[derive(Debug)]
struct Manual {
    start: Instant,
    nanos: AtomicU64,
}

impl RoomTime {
    /// The system clock.
    pub fn system() -> RoomTime {
        RoomTime::default()
    }

    /// A clock that stands still until [`RoomTime::advance`] moves it.
    ///
    /// ```
    /// use std::time::Duration;
    /// use parlor::room::RoomTime;
    ///
    /// let time = RoomTime::manual();
    /// let start = time.now();
    /// time.advance(Duration::from_secs(30));
    /// assert_eq!(time.now() - start, Duration::from_secs(30));
    /// ```
    pub fn manual() -> RoomTime {
        RoomTime {
            manual: Some(Arc::new(Manual {
                start: Instant::now(),
                nanos: AtomicU64::new(0),
            })),
        }
    }

    /// Now, by this clock.
    pub fn now(&self) -> Instant {
        match &self.manual {
            None => Instant::now(),
            Some(m) => m.start + Duration::from_nanos(m.nanos.load(Ordering::Acquire)),
        }
    }

    /// Moves a manual clock forward by `by`.
    ///
    /// # Panics
    /// On the system clock, which nobody moves.
    pub fn advance(&self, by: Duration) {
        let manual = self.manual.as_ref().expect("only a manual RoomTime can be advanced");
        let by = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        manual.nanos.fetch_add(by, Ordering::AcqRel);
    }
}
