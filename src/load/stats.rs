//! Load statistics: what bots measure, aggregated per second and over the
//! measured window.

use std::sync::Mutex;

use hdrhistogram::Histogram;
use serde::Serialize;

/// What one bot measured since it last reported.
#[derive(Default)]
pub struct BotSample {
    pub patches: u64,
    pub bytes: u64,
    /// Input -> ack round trips, microseconds.
    pub rtt_us: Vec<u64>,
    /// |patch inter-arrival - tick period|, microseconds.
    pub jitter_us: Vec<u64>,
    pub errors: Vec<String>,
}

/// Latency percentiles in milliseconds.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq)]
pub struct Percentiles {
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
    pub samples: u64,
}

impl Percentiles {
    fn of(h: &Histogram<u64>) -> Percentiles {
        let ms = |us: u64| us as f64 / 1000.0;
        Percentiles {
            p50: ms(h.value_at_quantile(0.50)),
            p95: ms(h.value_at_quantile(0.95)),
            p99: ms(h.value_at_quantile(0.99)),
            max: ms(h.max()),
            samples: h.len(),
        }
    }
}

/// One second of the run.
#[derive(Debug, Clone, Serialize)]
pub struct Interval {
    /// Seconds since the load started.
    pub at: f64,
    pub connected: usize,
    pub patches_per_sec: f64,
    pub bytes_per_sec: f64,
    pub rtt_ms: Percentiles,
    pub errors: u64,
    /// Whether this second is in the measured window (after the ramp).
    pub measured: bool,
}

struct Counters {
    patches: u64,
    bytes: u64,
    errors: u64,
    rtt: Histogram<u64>,
    jitter: Histogram<u64>,
}

impl Counters {
    fn new() -> Counters {
        // 1 us to 60 s at 3 significant figures.
        let h = || Histogram::new_with_bounds(1, 60_000_000, 3).expect("valid histogram bounds");
        Counters {
            patches: 0,
            bytes: 0,
            errors: 0,
            rtt: h(),
            jitter: h(),
        }
    }

    fn add(&mut self, s: &BotSample) {
        self.patches += s.patches;
        self.bytes += s.bytes;
        self.errors += s.errors.len() as u64;
        for &v in &s.rtt_us {
            self.rtt.saturating_record(v.max(1));
        }
        for &v in &s.jitter_us {
            self.jitter.saturating_record(v.max(1));
        }
    }
}

/// Where bots report to.
pub struct Aggregate {
    inner: Mutex<AggregateInner>,
}

struct AggregateInner {
    second: Counters,
    window: Counters,
    measuring: bool,
    errors_all: u64,
    error_samples: Vec<String>,
}

/// Error messages kept for the summary.
const ERROR_SAMPLES: usize = 10;

impl Default for Aggregate {
    fn default() -> Self {
        Aggregate {
            inner: Mutex::new(AggregateInner {
                second: Counters::new(),
                window: Counters::new(),
                measuring: false,
                errors_all: 0,
                error_samples: Vec::new(),
            }),
        }
    }
}

impl Aggregate {
    pub fn report(&self, sample: &BotSample) {
        let mut inner = self.inner.lock().expect("stats lock");
        inner.second.add(sample);
        if inner.measuring {
            inner.window.add(sample);
        }
        inner.errors_all += sample.errors.len() as u64;
        for e in &sample.errors {
            if inner.error_samples.len() < ERROR_SAMPLES {
                inner.error_samples.push(e.clone());
            }
        }
    }

    /// Starts the measured window.
    pub fn start_window(&self) {
        self.inner.lock().expect("stats lock").measuring = true;
    }

    /// Ends the measured window; later reports count in the timeline only.
    pub fn end_window(&self) {
        self.inner.lock().expect("stats lock").measuring = false;
    }

    /// Closes the current second.
    pub fn close_second(&self, at: f64, seconds: f64, connected: usize) -> Interval {
        let mut inner = self.inner.lock().expect("stats lock");
        let measured = inner.measuring;
        let c = std::mem::replace(&mut inner.second, Counters::new());
        Interval {
            at,
            connected,
            patches_per_sec: c.patches as f64 / seconds,
            bytes_per_sec: c.bytes as f64 / seconds,
            rtt_ms: Percentiles::of(&c.rtt),
            errors: c.errors,
            measured,
        }
    }

    /// Totals of the measured window: patches, bytes, errors, rtt, jitter.
    pub fn window(&self) -> (u64, u64, u64, Percentiles, Percentiles, Vec<String>) {
        let inner = self.inner.lock().expect("stats lock");
        let w = &inner.window;
        (
            w.patches,
            w.bytes,
            w.errors,
            Percentiles::of(&w.rtt),
            Percentiles::of(&w.jitter),
            inner.error_samples.clone(),
        )
    }

    /// All errors seen, in the ramp or the measured window.
    pub fn total_errors(&self) -> u64 {
        self.inner.lock().expect("stats lock").errors_all
    }
}
