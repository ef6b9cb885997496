//! `parlor load`: a load generator over real websockets.
//!
//! N bot clients connect (ramped evenly over `ramp`), say hello as guests,
//! join rooms (quick match, or `per_room` bots per private room: the first
//! creates it, the others join by code), send steering inputs at `input_hz`
//! and read every frame. After the ramp, a measured window of `duration`
//! gives the summary: delivered patch rate against the expected one, input ->
//! `ack` round trips, patch inter-arrival jitter, bytes per client-second and
//! errors.
//!
//! ```no_run
//! # async fn example() {
//! use parlor::load::{run, LoadConfig};
//! let config = LoadConfig { url: "ws://127.0.0.1:8080/ws".into(), clients: 200, ..LoadConfig::default() };
//! let summary = run(&config).await;
//! println!("{}", summary.table());
//! # }
//! ```

mod bot;
mod report;
pub mod soak;
mod stats;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use serde::Serialize;
use tokio::sync::watch;

pub use report::write_report;
use stats::Aggregate;
pub use stats::{Interval, Percentiles};

/// How players are put into rooms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Grouping {
    /// Every bot sends `quick`.
    Quick,
    /// Bots fill private rooms of this many players.
    PerRoom(u32),
}

/// What to run.
#[derive(Debug, Clone, Serialize)]
pub struct LoadConfig {
    /// The server's websocket URL.
    pub url: String,
    /// Further nodes of a cluster: bot `i` connects to the `i`-th of `url`
    /// and these, round robin, and follows `redirect`s as the SDK does.
    pub node_urls: Vec<String>,
    pub clients: usize,
    /// Time over which clients connect.
    pub ramp: Duration,
    /// The measured window after the ramp.
    pub duration: Duration,
    pub game: String,
    pub grouping: Grouping,
    /// Steering inputs per bot per second (0: none).
    pub input_hz: f64,
    /// The game's patch rate, for the expected rate and jitter.
    pub tick_hz: f64,
    /// Which patches to ask for: lean `p` by default, as the SDK does.
    pub form: crate::protocol::PatchForm,
    /// Draw progress bars (on a terminal).
    pub progress: bool,
}

impl LoadConfig {
    /// The node bot `i` connects to: `url` and `node_urls`, round robin.
    pub fn node_url(&self, i: usize) -> &str {
        match i % (1 + self.node_urls.len()) {
            0 => &self.url,
            n => &self.node_urls[n - 1],
        }
    }
}

impl Default for LoadConfig {
    fn default() -> Self {
        LoadConfig {
            url: "ws://127.0.0.1:8080/ws".into(),
            node_urls: Vec::new(),
            clients: 100,
            ramp: Duration::from_secs(5),
            duration: Duration::from_secs(10),
            game: "arena".into(),
            grouping: Grouping::PerRoom(8),
            input_hz: 10.0,
            tick_hz: 20.0,
            form: crate::protocol::PatchForm::Lean,
            progress: false,
        }
    }
}

/// What a run measured.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub config: LoadConfig,
    /// Bots in a room at the end of the window.
    pub connected: usize,
    pub window_secs: f64,
    pub patches_per_sec: f64,
    pub expected_patches_per_sec: f64,
    /// Delivered / expected patches over the window.
    pub delivered: f64,
    pub rtt_ms: Percentiles,
    pub jitter_ms: Percentiles,
    pub bytes_per_client_sec: f64,
    /// Errors over the whole run (ramp included).
    pub errors: u64,
    pub error_samples: Vec<String>,
    pub timeline: Vec<Interval>,
}

impl Summary {
    /// The summary as an aligned text table.
    pub fn table(&self) -> String {
        let c = &self.config;
        let rows = [
            ("clients in rooms", format!("{} of {}", self.connected, c.clients)),
            ("window", format!("{:.1} s", self.window_secs)),
            (
                "patches/s",
                format!(
                    "{:.0} of {:.0} expected ({:.1}%)",
                    self.patches_per_sec,
                    self.expected_patches_per_sec,
                    100.0 * self.delivered
                ),
            ),
            (
                "input -> ack",
                format!(
                    "p50 {:.1} ms  p95 {:.1} ms  p99 {:.1} ms  max {:.1} ms  ({} samples)",
                    self.rtt_ms.p50, self.rtt_ms.p95, self.rtt_ms.p99, self.rtt_ms.max, self.rtt_ms.samples
                ),
            ),
            (
                "patch jitter",
                format!(
                    "p50 {:.1} ms  p95 {:.1} ms  p99 {:.1} ms",
                    self.jitter_ms.p50, self.jitter_ms.p95, self.jitter_ms.p99
                ),
            ),
            ("bytes/client/s", format!("{:.0}", self.bytes_per_client_sec)),
            ("errors", self.errors.to_string()),
        ];
        let mut out = String::new();
        for (k, v) in rows {
            out.push_str(&format!("{k:>18}  {v}\n"));
        }
        for e in &self.error_samples {
            out.push_str(&format!("{:>18}  {e}\n", "error"));
        }
        out
    }
}

/// Shared between the bots and the runner.
pub(crate) struct Shared {
    pub config: LoadConfig,
    pub stats: Aggregate,
    pub in_room: AtomicUsize,
    pub started: Instant,
}

/// Runs the load and returns what it measured.
pub async fn run(config: &LoadConfig) -> Summary {
    let shared = Arc::new(Shared {
        config: config.clone(),
        stats: Aggregate::default(),
        in_room: AtomicUsize::new(0),
        started: Instant::now(),
    });
    let (stop_tx, stop) = watch::channel(false);
    let bars = MultiProgress::new();
    if !config.progress {
        bars.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let ramp_bar = bars.add(ProgressBar::new(config.clients as u64));
    ramp_bar.set_style(
        ProgressStyle::with_template("ramp  [{bar:40}] {pos}/{len} clients started {msg}")
            .expect("valid template")
            .progress_chars("=> "),
    );

    let groups = bot::Groups::new(config);
    let mut bots = Vec::with_capacity(config.clients);
    let ramp_step = config.ramp.div_f64(config.clients.max(1) as f64);
    let mut timeline = Vec::new();
    let mut next_second = Instant::now() + Duration::from_secs(1);
    let mut last_second = Instant::now();
    for i in 0..config.clients {
        let due = shared.started + ramp_step.mul_f64(i as f64);
        while Instant::now() < due {
            if Instant::now() >= next_second {
                timeline.push(close_second(&shared, &mut last_second));
                next_second += Duration::from_secs(1);
            }
            tokio::time::sleep_until(due.min(next_second).into()).await;
        }
        bots.push(tokio::spawn(bot::run(i, shared.clone(), groups.clone(), stop.clone())));
        ramp_bar.inc(1);
        if i % 64 == 0 {
            ramp_bar.set_message(format!("({} in rooms)", shared.in_room.load(Ordering::Relaxed)));
        }
    }
    ramp_bar.finish_with_message(format!("({} in rooms)", shared.in_room.load(Ordering::Relaxed)));

    let run_bar = bars.add(ProgressBar::new(config.duration.as_secs().max(1)));
    run_bar.set_style(
        ProgressStyle::with_template("run   [{bar:40}] {pos}/{len} s {msg}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    // The window starts on a second boundary of the timeline.
    while Instant::now() < next_second {
        tokio::time::sleep_until(next_second.into()).await;
    }
    timeline.push(close_second(&shared, &mut last_second));
    next_second += Duration::from_secs(1);
    shared.stats.start_window();
    let window_start = Instant::now();
    let window_end = window_start + config.duration;
    while Instant::now() < window_end {
        tokio::time::sleep_until(next_second.min(window_end).into()).await;
        if Instant::now() >= next_second || Instant::now() >= window_end {
            let interval = close_second(&shared, &mut last_second);
            run_bar.set_message(format!(
                "{} in rooms, {:.0} patches/s, p99 {:.1} ms",
                interval.connected, interval.patches_per_sec, interval.rtt_ms.p99
            ));
            run_bar.set_position(window_start.elapsed().as_secs());
            timeline.push(interval);
            next_second += Duration::from_secs(1);
        }
    }
    let window_secs = window_start.elapsed().as_secs_f64();
    let connected = shared.in_room.load(Ordering::Relaxed);
    shared.stats.end_window();
    let _ = stop_tx.send(true);
    for b in bots {
        let _ = b.await;
    }
    run_bar.finish();
    let (patches, bytes, _, rtt, jitter, error_samples) = shared.stats.window();
    let expected = connected as f64 * config.tick_hz;
    let patches_per_sec = patches as f64 / window_secs;
    Summary {
        config: config.clone(),
        connected,
        window_secs,
        patches_per_sec,
        expected_patches_per_sec: expected,
        delivered: if expected > 0.0 {
            patches_per_sec / expected
        } else {
            0.0
        },
        rtt_ms: rtt,
        jitter_ms: jitter,
        bytes_per_client_sec: if connected > 0 {
            bytes as f64 / window_secs / connected as f64
        } else {
            0.0
        },
        errors: shared.stats.total_errors(),
        error_samples,
        timeline,
    }
}

fn close_second(shared: &Shared, last: &mut Instant) -> Interval {
    let now = Instant::now();
    let seconds = now.duration_since(*last).as_secs_f64();
    *last = now;
    shared.stats.close_second(
        shared.started.elapsed().as_secs_f64(),
        seconds,
        shared.in_room.load(Ordering::Relaxed),
    )
}
