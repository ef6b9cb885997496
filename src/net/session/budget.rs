//! Per-connection budgets: inputs per second (a token bucket of the room's
//! `input_rate`) and undecodable messages.

use std::time::{Duration, Instant};

/// A token bucket of inputs: holds one second's worth of the room's
/// `input_rate`, refilled continuously.
pub(super) struct InputBudget {
    pub(super) rate: f64,
    tokens: f64,
    updated: Instant,
    /// When the client was last told it is over the rate; it is told at
    /// most once a second, so a flood does not become a flood of errors.
    warned: Option<Instant>,
}

impl InputBudget {
    pub(super) fn new(rate: u32) -> InputBudget {
        Self::new_at(rate, Instant::now())
    }

    fn new_at(rate: u32, now: Instant) -> InputBudget {
        InputBudget {
            rate: rate as f64,
            tokens: rate as f64,
            updated: now,
            warned: None,
        }
    }

    /// Takes one input's token; false if there is none.
    pub(super) fn take(&mut self) -> bool {
        self.take_at(Instant::now())
    }

    fn take_at(&mut self, now: Instant) -> bool {
        let refill = now.saturating_duration_since(self.updated).as_secs_f64() * self.rate;
        self.tokens = (self.tokens + refill).min(self.rate);
        self.updated = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// Whether a dropped input should be reported now.
    pub(super) fn should_warn(&mut self) -> bool {
        self.should_warn_at(Instant::now())
    }

    fn should_warn_at(&mut self, now: Instant) -> bool {
        if self
            .warned
            .is_some_and(|at| now.saturating_duration_since(at) < Duration::from_secs(1))
        {
            return false;
        }
        self.warned = Some(now);
        true
    }
}

/// Counts undecodable messages against `limits.max_bad_messages`.
pub(super) struct BadMessages {
    seen: u32,
    limit: u32,
}

impl BadMessages {
    pub(super) fn new(limit: u32) -> Self {
        BadMessages { seen: 0, limit }
    }

    /// Counts one; true once the connection is over its limit.
    pub(super) fn count(&mut self) -> bool {
        self.seen += 1;
        self.seen > self.limit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_gets_one_seconds_worth_then_the_rate() {
        let start = Instant::now();
        let mut budget = InputBudget::new_at(10, start);
        assert_eq!((0..15).filter(|_| budget.take_at(start)).count(), 10);
        // A tenth of a second refills one input.
        assert!(budget.take_at(start + Duration::from_millis(100)));
        assert!(!budget.take_at(start + Duration::from_millis(100)));
        // Idle time never banks more than a second's worth.
        let later = start + Duration::from_secs(60);
        assert_eq!((0..15).filter(|_| budget.take_at(later)).count(), 10);
    }

    #[test]
    fn a_flood_is_warned_about_once_a_second() {
        let start = Instant::now();
        let mut budget = InputBudget::new_at(1, start);
        assert!(budget.should_warn_at(start));
        assert!(!budget.should_warn_at(start + Duration::from_millis(999)));
        assert!(budget.should_warn_at(start + Duration::from_secs(1)));
    }

    #[test]
    fn bad_messages_close_past_the_limit() {
        let mut bad = BadMessages::new(2);
        assert!(!bad.count());
        assert!(!bad.count());
        assert!(bad.count());
    }
}
