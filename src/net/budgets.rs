//! Per-minute budgets of a connection and of its address, for what one
//! client must not do without end:
//! - guess room codes: looking up codes that do not exist (a `join` that
//!   gets `no_such_room`, a `GET /api/rooms/{code}` that gets 404) spends a
//!   token; an empty budget answers `rate_limited` (HTTP 429) without
//!   looking the code up;
//! - open rooms: each `create` spends a token; an empty budget answers
//!   `rate_limited` without opening one.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use parlor::net::budgets::Bucket;
//! let start = Instant::now();
//! let mut bucket = Bucket::full(2, start);
//! bucket.spend(60, start);
//! bucket.spend(60, start);
//! assert!(!bucket.has_token(60, start));
//! // At 60 a minute, one token comes back each second.
//! assert!(bucket.has_token(60, start + Duration::from_secs(1)));
//! ```

use std::net::IpAddr;
use std::time::Instant;

use dashmap::DashMap;

/// A token bucket holding up to `burst` tokens, refilled at a rate per
/// minute.
#[derive(Debug, Clone, Copy)]
pub struct Bucket {
    tokens: f64,
    burst: f64,
    updated: Instant,
}

impl Bucket {
    /// A full bucket of `burst` tokens.
    pub fn full(burst: u32, now: Instant) -> Bucket {
        Bucket {
            tokens: burst as f64,
            burst: burst as f64,
            updated: now,
        }
    }

    fn refill(&mut self, per_minute: u32, now: Instant) {
        let elapsed = now.saturating_duration_since(self.updated).as_secs_f64();
        self.tokens = (self.tokens + elapsed * per_minute as f64 / 60.0).min(self.burst);
        self.updated = now;
    }

    /// Whether a miss may be spent now.
    pub fn has_token(&mut self, per_minute: u32, now: Instant) -> bool {
        self.refill(per_minute, now);
        self.tokens >= 1.0
    }

    /// Spends one miss (down to zero).
    pub fn spend(&mut self, per_minute: u32, now: Instant) {
        self.refill(per_minute, now);
        self.tokens = (self.tokens - 1.0).max(0.0);
    }

    fn is_full(&mut self, per_minute: u32, now: Instant) -> bool {
        self.refill(per_minute, now);
        self.tokens >= self.burst
    }
}

/// One budget of every address, each a [`Bucket`] of `per_minute` tokens.
/// Addresses whose bucket has refilled are forgotten when the map grows,
/// so it holds only addresses that spent within about a minute.
pub struct AddressBudget {
    buckets: DashMap<IpAddr, Bucket>,
    per_minute: u32,
}

/// Addresses tracked before a sweep of the refilled ones.
const SWEEP_AT: usize = 10_000;

impl AddressBudget {
    /// A budget of `per_minute` misses per address.
    pub fn new(per_minute: u32) -> AddressBudget {
        AddressBudget {
            buckets: DashMap::new(),
            per_minute,
        }
    }

    /// Whether `ip` may miss now.
    pub fn has_token(&self, ip: IpAddr) -> bool {
        let now = Instant::now();
        self.buckets
            .get_mut(&ip)
            .is_none_or(|mut bucket| bucket.has_token(self.per_minute, now))
    }

    /// Spends one of `ip`'s misses.
    pub fn spend(&self, ip: IpAddr) {
        let now = Instant::now();
        if self.buckets.len() >= SWEEP_AT {
            let per_minute = self.per_minute;
            self.buckets.retain(|_, bucket| !bucket.is_full(per_minute, now));
        }
        self.buckets
            .entry(ip)
            .or_insert_with(|| Bucket::full(self.per_minute, now))
            .spend(self.per_minute, now);
    }
}
