//! The soak: a server under steady mixed load for a long time, sampled.
//!
//! Well-behaved players (arena rooms steering at 10 Hz, one seat per room
//! dropping its connection now and then and resuming its session;
//! tic-tac-toe pairs opening, playing out and closing rooms; trivia groups
//! playing whole matches), a few players that stop reading their socket,
//! and abusers (a ping flooder, a room code guesser, a room opener that
//! drops, half-sent HTTP requests) run against one server for the whole
//! run, each client from its own loopback address. Every
//! [`SoakConfig::sample_every`] the [`Probe`] reads the server (its RSS
//! and `/metrics`); the summary has the RSS slope after the warm-up, the
//! delivered patch rate of the arena players, and whether the server
//! contained every abuser.
//!
//! ```no_run
//! # async fn example() {
//! use std::time::Duration;
//! use parlor::load::soak::{run, Plan, Probe, ServerReading, SoakConfig};
//!
//! /// Reads nothing: the summary then has the players' side only.
//! struct Blind;
//! impl Probe for Blind {
//!     async fn read(&mut self) -> ServerReading {
//!         ServerReading::default()
//!     }
//! }
//!
//! let config = SoakConfig {
//!     server: "127.0.0.1:8080".parse().unwrap(),
//!     duration: Duration::from_secs(90),
//!     short: true,
//!     plan: Plan::short(),
//!     sample_every: Duration::from_secs(1),
//!     progress: false,
//! };
//! let summary = run(&config, &mut Blind).await;
//! println!("{}", summary.table());
//! # }
//! ```

mod abusers;
mod analysis;
mod players;
mod report;
mod scrape;
mod tally;
mod wire;

use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use tokio::sync::watch;

pub use analysis::{quantile_between, slope_percent_per_hour, warm_up};
pub use report::write_report;
pub use tally::AbuseTally;
use tally::{Players, Tally};

/// The games the soak plays, in the order the samples list them.
pub const GAMES: [&str; 3] = ["arena", "tictactoe", "trivia"];

/// How many of each client the soak runs, and their pace.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    /// Private arena rooms, each with `arena_seats` steering players.
    pub arena_rooms: usize,
    pub arena_seats: usize,
    /// Players that stop reading, each in its own arena room's last seat
    /// (at most `arena_rooms`).
    pub non_readers: usize,
    /// How long a non-reading player holds its unread socket before it
    /// looks whether the server closed it.
    pub non_reader_hold: Duration,
    /// Mean time between an arena seat's dropped connections.
    pub reconnect_every: Duration,
    pub tictactoe_pairs: usize,
    /// Trivia groups, each of `trivia_seats` players.
    pub trivia_rooms: usize,
    pub trivia_seats: usize,
    /// Raw TCP connections holding half an HTTP request.
    pub half_open: usize,
    /// How long the server may leave a half-sent request open before the
    /// soak calls it uncontained.
    pub half_open_bound: Duration,
    /// Rooms the dropper opens per burst, and the pause between bursts.
    pub dropper_burst: usize,
    pub dropper_every: Duration,
    /// The arena's seat grace (its manifest's `reconnect_grace_secs`): a
    /// dropped creator's room may live this long.
    pub arena_grace: Duration,
    /// Time over which the well-behaved players start.
    pub ramp: Duration,
}

impl Plan {
    /// The long run: 84 arena players in 12 rooms, 40 tic-tac-toe players,
    /// 32 trivia players, 3 non-readers and the abusers (80 half-open HTTP
    /// connections among them): about 160 well-behaved clients and 90
    /// hostile connections, which the server and the bots on one 2-core
    /// machine carry with room to spare (docs/benchmarks.md, Soak).
    pub fn full() -> Plan {
        Plan {
            arena_rooms: 12,
            arena_seats: 7,
            non_readers: 3,
            non_reader_hold: Duration::from_secs(60),
            reconnect_every: Duration::from_secs(60),
            tictactoe_pairs: 20,
            trivia_rooms: 4,
            trivia_seats: 8,
            half_open: 80,
            half_open_bound: Duration::from_secs(60),
            dropper_burst: 20,
            dropper_every: Duration::from_secs(60),
            arena_grace: Duration::from_secs(30),
            ramp: Duration::from_secs(10),
        }
    }

    /// CI's short run: every kind of client, fewer of each, shorter holds.
    pub fn short() -> Plan {
        Plan {
            arena_rooms: 4,
            non_readers: 2,
            non_reader_hold: Duration::from_secs(25),
            reconnect_every: Duration::from_secs(20),
            tictactoe_pairs: 6,
            trivia_rooms: 2,
            trivia_seats: 5,
            dropper_burst: 10,
            ramp: Duration::from_secs(4),
            ..Plan::full()
        }
    }
}

/// What to run.
#[derive(Debug, Clone, Serialize)]
pub struct SoakConfig {
    /// The server's address (HTTP and `/ws`).
    pub server: SocketAddr,
    /// The whole run, ramp included.
    pub duration: Duration,
    /// CI's short mode: the RSS slope is reported but not judged.
    pub short: bool,
    pub plan: Plan,
    pub sample_every: Duration,
    /// Draw a progress bar (on a terminal).
    pub progress: bool,
}

/// The `/metrics` series the soak reads (a contract with the server:
/// docs/benchmarks.md lists the names).
#[derive(Debug, Clone, Default)]
pub struct Metrics {
    /// `parlor_rooms{game}`.
    pub rooms: BTreeMap<String, f64>,
    /// `parlor_connections`.
    pub connections: Option<f64>,
    /// `parlor_tick_duration_seconds{game}`: cumulative buckets `(le,
    /// count)` in `le` order, the last `+Inf`.
    pub tick_buckets: BTreeMap<String, Vec<(f64, f64)>>,
    /// Sums of `parlor_closes_total`, `parlor_connections_refused_total`
    /// and `parlor_kicks_total` over their labels.
    pub closes: Option<f64>,
    pub refused: Option<f64>,
    pub kicks: Option<f64>,
    /// `parlor_process_resident_bytes`.
    pub resident_bytes: Option<f64>,
}

/// One reading of the server by the [`Probe`].
#[derive(Debug, Clone)]
pub struct ServerReading {
    /// The server process's resident set (VmRSS), bytes.
    pub rss_bytes: Option<u64>,
    /// Rooms by `/health`, there whatever `/metrics` offers.
    pub health_rooms: Option<f64>,
    /// `None` when `/metrics` could not be read (e.g. a 404).
    pub metrics: Option<Metrics>,
    /// False once the server process has exited.
    pub alive: bool,
}

impl Default for ServerReading {
    fn default() -> Self {
        ServerReading {
            rss_bytes: None,
            health_rooms: None,
            metrics: None,
            alive: true,
        }
    }
}

/// Reads the server; the soak calls it every [`SoakConfig::sample_every`].
pub trait Probe {
    fn read(&mut self) -> impl Future<Output = ServerReading>;
}

/// One sample of the run.
#[derive(Debug, Clone, Serialize)]
pub struct Sample {
    /// Seconds since the start.
    pub at: f64,
    pub rss_mb: Option<f64>,
    /// The server's own `parlor_process_resident_bytes`, MB.
    pub resident_mb: Option<f64>,
    /// Rooms by game ([`GAMES`] order), from `/metrics`.
    pub rooms: [Option<f64>; 3],
    /// All rooms, from `/health`.
    pub rooms_total: Option<f64>,
    pub connections: Option<f64>,
    /// Tick duration p99 over the interval by game, milliseconds.
    pub tick_p99_ms: [Option<f64>; 3],
    /// Delivered / expected arena patches over the interval.
    pub delivered: Option<f64>,
    pub arena_seated: usize,
    pub closes: Option<f64>,
    pub refused: Option<f64>,
    pub kicks: Option<f64>,
    /// Well-behaved players' errors so far.
    pub errors: u64,
}

/// One pass/fail check of the summary.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub name: String,
    pub passed: bool,
    pub detail: String,
}

/// What a soak measured, and its verdict.
#[derive(Debug, Clone, Serialize)]
pub struct SoakSummary {
    pub config: SoakConfig,
    pub elapsed_secs: f64,
    pub warm_up_secs: f64,
    /// RSS at the end of the warm-up and at the end, MB, and the highest.
    pub rss_after_warm_up_mb: Option<f64>,
    pub rss_last_mb: Option<f64>,
    pub rss_max_mb: Option<f64>,
    /// Least squares over the samples after the warm-up, % of their mean
    /// per hour.
    pub rss_slope_percent_per_hour: Option<f64>,
    /// Arena patches delivered / expected after the ramp.
    pub delivered: f64,
    /// The highest interval tick p99 by game ([`GAMES`] order), ms.
    pub tick_p99_max_ms: [Option<f64>; 3],
    /// Samples where `/metrics` could not be read.
    pub metrics_missing: usize,
    pub players: Players,
    pub abusers: BTreeMap<String, AbuseTally>,
    pub checks: Vec<Check>,
    pub passed: bool,
    pub samples: Vec<Sample>,
}

/// The clients' shared state.
pub(crate) struct Ctx {
    server: SocketAddr,
    plan: Plan,
    tally: Tally,
    /// The arena's tick rate, for the expected patches.
    tick_hz: f64,
    /// Each arena room's code, once its first seat opened it.
    arena_codes: Vec<watch::Sender<Option<String>>>,
    /// Each trivia group's current room: (generation, code).
    trivia_codes: Vec<watch::Sender<(u64, String)>>,
}

/// Runs the soak for `config.duration` and returns what it measured.
pub async fn run(config: &SoakConfig, probe: &mut impl Probe) -> SoakSummary {
    let plan = config.plan.clone();
    let ctx = Arc::new(Ctx {
        server: config.server,
        plan: plan.clone(),
        tally: Tally::default(),
        tick_hz: 20.0,
        arena_codes: (0..plan.arena_rooms).map(|_| watch::channel(None).0).collect(),
        trivia_codes: (0..plan.trivia_rooms)
            .map(|_| watch::channel((0, String::new())).0)
            .collect(),
    });
    let started = Instant::now();
    let (stop_tx, stop) = watch::channel(false);
    // Abusers from the start; players spread over the ramp.
    let mut tasks = vec![
        tokio::spawn(abusers::ping_flooder(ctx.clone(), stop.clone())),
        tokio::spawn(abusers::code_guesser(ctx.clone(), stop.clone())),
        tokio::spawn(abusers::room_dropper(ctx.clone(), stop.clone())),
        tokio::spawn(abusers::half_open_http(ctx.clone(), stop.clone())),
    ];
    let mut starts: Vec<Box<dyn FnOnce() -> tokio::task::JoinHandle<()>>> = Vec::new();
    for room in 0..plan.arena_rooms {
        for seat in 0..plan.arena_seats {
            let (ctx, stop) = (ctx.clone(), stop.clone());
            starts.push(Box::new(move || {
                tokio::spawn(players::arena_seat(ctx, room, seat, stop))
            }));
        }
    }
    for pair in 0..plan.tictactoe_pairs {
        let (ctx, stop) = (ctx.clone(), stop.clone());
        starts.push(Box::new(move || tokio::spawn(players::tictactoe_pair(ctx, pair, stop))));
    }
    for group in 0..plan.trivia_rooms {
        for seat in 0..plan.trivia_seats {
            let (ctx, stop) = (ctx.clone(), stop.clone());
            starts.push(Box::new(move || {
                tokio::spawn(players::trivia_player(ctx, group, seat, stop))
            }));
        }
    }
    for room in 0..plan.non_readers.min(plan.arena_rooms) {
        let (ctx, stop) = (ctx.clone(), stop.clone());
        starts.push(Box::new(move || tokio::spawn(players::non_reader(ctx, room, stop))));
    }
    let step = plan.ramp.div_f64(starts.len().max(1) as f64);
    for start in starts {
        tasks.push(start());
        tokio::time::sleep(step).await;
    }
    // Deliveries count from a few seconds after the ramp, once every room
    // has its players.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let baseline = ctx.tally.players();

    let bar = ProgressBar::new(config.duration.as_secs().max(1));
    if !config.progress {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    bar.set_style(
        ProgressStyle::with_template("soak  [{bar:40}] {pos}/{len} s  {msg}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    let mut samples = Vec::new();
    let mut metrics_missing = 0;
    let mut previous_metrics: Option<Metrics> = None;
    let mut previous_players = ctx.tally.players();
    let mut next = tokio::time::Instant::now();
    let end = started + config.duration;
    let mut died = false;
    while Instant::now() < end {
        next += config.sample_every;
        tokio::time::sleep_until(next).await;
        let reading = probe.read().await;
        if !reading.alive {
            died = true;
            break;
        }
        let players = ctx.tally.players();
        let sample = sample(
            started.elapsed().as_secs_f64(),
            &reading,
            previous_metrics.as_ref(),
            &previous_players,
            &players,
        );
        if reading.metrics.is_none() {
            metrics_missing += 1;
        }
        bar.set_position(started.elapsed().as_secs());
        bar.set_message(format!(
            "RSS {:.1} MB, {} arena seated, delivered {:.1}%, {} errors",
            sample.rss_mb.unwrap_or(0.0),
            sample.arena_seated,
            100.0 * sample.delivered.unwrap_or(0.0),
            sample.errors
        ));
        samples.push(sample);
        if reading.metrics.is_some() {
            previous_metrics = reading.metrics;
        }
        previous_players = players;
    }
    let players = ctx.tally.players();
    let _ = stop_tx.send(true);
    for task in tasks {
        let _ = tokio::time::timeout(Duration::from_secs(15), task).await;
    }
    bar.finish();
    let mut summary = summarize(
        config,
        started.elapsed(),
        samples,
        metrics_missing,
        &baseline,
        players,
        &ctx,
    );
    if died {
        summary.checks.insert(
            0,
            Check {
                name: "server alive".into(),
                passed: false,
                detail: "the server process exited during the run".into(),
            },
        );
        summary.passed = false;
    }
    summary
}

fn sample(at: f64, reading: &ServerReading, before: Option<&Metrics>, was: &Players, now: &Players) -> Sample {
    let mb = |bytes: f64| bytes / (1024.0 * 1024.0);
    let metrics = reading.metrics.as_ref();
    let by_game = |f: &dyn Fn(&Metrics, &str) -> Option<f64>| GAMES.map(|g| metrics.and_then(|m| f(m, g)));
    let expected = now.arena_expected - was.arena_expected;
    Sample {
        at,
        rss_mb: reading.rss_bytes.map(|b| mb(b as f64)),
        resident_mb: metrics.and_then(|m| m.resident_bytes).map(mb),
        rooms: by_game(&|m, g| m.rooms.get(g).copied()),
        rooms_total: reading.health_rooms,
        connections: metrics.and_then(|m| m.connections),
        tick_p99_ms: by_game(&|m, g| {
            let after = m.tick_buckets.get(g)?;
            let earlier = before
                .and_then(|b| b.tick_buckets.get(g))
                .map_or(&[][..], Vec::as_slice);
            quantile_between(earlier, after, 0.99).map(|s| s * 1000.0)
        }),
        delivered: (expected > 0.0).then(|| (now.arena_patches - was.arena_patches) as f64 / expected),
        arena_seated: now.arena_seated,
        closes: metrics.and_then(|m| m.closes),
        refused: metrics.and_then(|m| m.refused),
        kicks: metrics.and_then(|m| m.kicks),
        errors: now.errors,
    }
}

fn summarize(
    config: &SoakConfig,
    elapsed: Duration,
    samples: Vec<Sample>,
    metrics_missing: usize,
    baseline: &Players,
    players: Players,
    ctx: &Ctx,
) -> SoakSummary {
    let warm = warm_up(config.duration).as_secs_f64();
    let after_warm: Vec<(f64, f64)> = samples
        .iter()
        .filter(|s| s.at >= warm)
        .filter_map(|s| s.rss_mb.map(|r| (s.at, r)))
        .collect();
    let slope = slope_percent_per_hour(&after_warm);
    let expected = players.arena_expected - baseline.arena_expected;
    let delivered = if expected > 0.0 {
        (players.arena_patches - baseline.arena_patches) as f64 / expected
    } else {
        0.0
    };
    let max_of = |f: &dyn Fn(&Sample) -> Option<f64>| samples.iter().filter_map(f).reduce(f64::max);
    let tick_p99_max_ms = [0, 1, 2].map(|g| max_of(&|s| s.tick_p99_ms[g]));
    let abusers: BTreeMap<String, AbuseTally> = ctx
        .tally
        .abusers()
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();

    let mut checks = Vec::new();
    let mut check = |name: &str, passed: bool, detail: String| {
        checks.push(Check {
            name: name.into(),
            passed,
            detail,
        })
    };
    let with_rss = samples.iter().filter(|s| s.rss_mb.is_some()).count();
    check(
        "sampling",
        !samples.is_empty() && with_rss == samples.len(),
        format!(
            "{} samples, {with_rss} with RSS, {metrics_missing} without /metrics",
            samples.len()
        ),
    );
    check(
        "delivered >= 99%",
        delivered >= 0.99,
        format!("{:.2}% of expected arena patches", 100.0 * delivered),
    );
    check(
        "no player errors",
        players.errors == 0,
        format!("{} errors", players.errors),
    );
    check(
        "matches played",
        players.tictactoe_matches > 0 && players.trivia_matches > 0 && players.resumes > 0,
        format!(
            "{} tic-tac-toe, {} trivia, {} resumed sessions",
            players.tictactoe_matches, players.trivia_matches, players.resumes
        ),
    );
    let kinds = [
        abusers::PING_FLOOD,
        abusers::CODE_GUESSER,
        abusers::ROOM_DROPPER,
        abusers::HALF_OPEN_HTTP,
        "non-reading player",
    ];
    for kind in kinds {
        let tally = abusers.get(kind).cloned().unwrap_or_default();
        let detail = if tally.attempts == 0 {
            "no attempt ended within the run".into()
        } else {
            abuse_line(&tally)
        };
        check(&format!("contained: {kind}"), tally.contained(), detail);
    }
    match (config.short, slope) {
        (true, _) => check(
            "RSS slope < 1%/h",
            true,
            format!(
                "not judged in short mode ({})",
                slope.map_or("n/a".into(), |s| format!("{s:+.2}%/h"))
            ),
        ),
        (false, Some(s)) => check("RSS slope < 1%/h", s < 1.0, format!("{s:+.3}% of mean RSS per hour")),
        (false, None) => check("RSS slope < 1%/h", false, "too few samples after the warm-up".into()),
    }
    let passed = checks.iter().all(|c| c.passed);
    let rss: Vec<f64> = samples.iter().filter_map(|s| s.rss_mb).collect();
    SoakSummary {
        config: config.clone(),
        elapsed_secs: elapsed.as_secs_f64(),
        warm_up_secs: warm,
        rss_after_warm_up_mb: after_warm.first().map(|p| p.1),
        rss_last_mb: rss.last().copied(),
        rss_max_mb: rss.iter().copied().reduce(f64::max),
        rss_slope_percent_per_hour: slope,
        delivered,
        tick_p99_max_ms,
        metrics_missing,
        players,
        abusers,
        checks,
        passed,
        samples,
    }
}

/// One abuser's outcomes in a line.
fn abuse_line(t: &AbuseTally) -> String {
    let list = |m: &BTreeMap<String, u64>| {
        m.iter()
            .map(|(k, v)| format!("{k} x{v}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut line = format!("{} attempts", t.attempts);
    if !t.closed.is_empty() {
        line += &format!(
            "; closed by the server: {} (longest {:.1} s)",
            list(&t.closed),
            t.longest_secs
        );
    }
    if !t.refused.is_empty() {
        line += &format!("; refused: {}", list(&t.refused));
    }
    if t.open > 0 {
        line += &format!("; NOT contained x{}", t.open);
    }
    if t.breaches > 0 {
        line += &format!("; BREACHES x{}", t.breaches);
    }
    for note in &t.notes {
        line += &format!("; {note}");
    }
    line
}

impl SoakSummary {
    /// The summary as aligned text.
    pub fn table(&self) -> String {
        let opt = |v: Option<f64>, unit: &str| v.map_or("n/a".to_owned(), |v| format!("{v:.2}{unit}"));
        let p = &self.players;
        let mut rows = vec![
            (
                "run".to_owned(),
                format!(
                    "{:.0} s ({} mode), warm-up {:.0} s",
                    self.elapsed_secs,
                    if self.config.short { "short" } else { "full" },
                    self.warm_up_secs
                ),
            ),
            (
                "RSS".into(),
                format!(
                    "{} after warm-up, {} at the end, {} max",
                    opt(self.rss_after_warm_up_mb, " MB"),
                    opt(self.rss_last_mb, " MB"),
                    opt(self.rss_max_mb, " MB")
                ),
            ),
            ("RSS slope".into(), opt(self.rss_slope_percent_per_hour, " %/h")),
            ("delivered".into(), format!("{:.2}%", 100.0 * self.delivered)),
            (
                "tick p99 max".into(),
                GAMES
                    .iter()
                    .zip(self.tick_p99_max_ms)
                    .map(|(g, v)| format!("{g} {}", opt(v, " ms")))
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            (
                "players".into(),
                format!(
                    "{} tic-tac-toe matches ({} moves), {} trivia matches ({} answers), {} resumes, {} errors",
                    p.tictactoe_matches, p.tictactoe_moves, p.trivia_matches, p.trivia_answers, p.resumes, p.errors
                ),
            ),
        ];
        for e in &p.error_samples {
            rows.push(("error".into(), e.clone()));
        }
        for c in &self.checks {
            rows.push((
                format!("{} {}", if c.passed { "PASS" } else { "FAIL" }, c.name),
                c.detail.clone(),
            ));
        }
        let mut out = String::new();
        for (k, v) in rows {
            out.push_str(&format!("{k:>36}  {v}\n"));
        }
        out
    }
}
