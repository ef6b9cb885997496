//! What the server counts about itself, for `GET /metrics` in the
//! Prometheus text format (docs/operations.md, Metrics, lists every metric).
//!
//! One [`Metrics`] belongs to one server, not to the process: two servers in
//! one test process keep their own counts. Sessions and rooms reach it
//! through the server's state and the room context, and record into
//! handles resolved once (per room, per connection): a recording is an
//! atomic add, never a lock, a lookup or an allocation. Every label takes
//! its values from a closed set (the protocol's error codes, the catalog's
//! game names, the enums here), never from what a client sends.
//!
//! ```
//! use std::time::Duration;
//! use parlor::metrics::{Metrics, SignIn};
//!
//! let metrics = Metrics::new(["arena"]);
//! metrics.sign_in(SignIn::Guest, true);
//! let mut room = metrics.room("arena");
//! room.online(1);
//! room.tick(Duration::from_micros(80));
//! let text = metrics.encode();
//! assert!(text.contains("parlor_signins_total{method=\"guest\",result=\"ok\"} 1"));
//! assert!(text.contains("parlor_players{game=\"arena\"} 1"));
//! assert!(text.contains("parlor_tick_duration_seconds_count{game=\"arena\"} 1"));
//! drop(room);
//! assert!(metrics.encode().contains("parlor_rooms{game=\"arena\"} 0"));
//! ```

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use prometheus_client::encoding::{EncodeLabelSet, EncodeMetric, MetricEncoder, NoLabelSet};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::{MetricType, TypedMetric};
use prometheus_client::registry::{Metric, Registry, Unit};

use crate::protocol::ErrorCode;

/// The `Content-Type` of what [`Metrics::encode`] writes: the Prometheus
/// text format, version 0.0.4.
pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

/// Upper bounds of the tick duration buckets, in nanoseconds: 50 us (an
/// idle real-time room) to 1 s (a room that holds its thread far too long).
const TICK_BOUNDS: [u64; 14] = one_two_five(50_000);

/// Upper bounds of the ledger write buckets, in nanoseconds: 250 us (a
/// committed SQLite transaction in WAL mode) to 10 s (a stalled disk).
const LEDGER_BOUNDS: [u64; 15] = one_two_five(250_000);

/// `N` bucket bounds from `first` (1, 2.5 or 5 times a power of ten) on,
/// in steps of 1, 2.5, 5 per power of ten.
const fn one_two_five<const N: usize>(first: u64) -> [u64; N] {
    let mut bounds = [0; N];
    let mut i = 0;
    let mut bound = first;
    while i < N {
        bounds[i] = bound;
        let mut power = 1;
        while power < bound {
            power *= 10;
        }
        // 1 -> 2.5, then 2.5 -> 5 -> 10.
        bound = if power == bound { bound * 5 / 2 } else { bound * 2 };
        i += 1;
    }
    bounds
}

/// The websocket close codes counted by code; any other is counted as
/// `other`, so a code can never grow the label set.
const CLOSE_CODES: [(u16, &str); 8] = [
    (1000, "1000"),
    (1001, "1001"),
    (1003, "1003"),
    (1008, "1008"),
    (1009, "1009"),
    (1011, "1011"),
    (1013, "1013"),
    (4001, "4001"),
];

/// How a `hello` signed in (the `method` label of `parlor_signins_total`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignIn {
    /// Telegram initData.
    Telegram,
    /// A guest name.
    Guest,
    /// A session token from an earlier `welcome`.
    Session,
}

impl SignIn {
    /// Every method, in label order.
    pub const ALL: [SignIn; 3] = [SignIn::Telegram, SignIn::Guest, SignIn::Session];

    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            SignIn::Telegram => "telegram",
            SignIn::Guest => "guest",
            SignIn::Session => "session",
        }
    }
}

/// Why the server ended a connection because of what its peer did or did
/// not do (the `reason` label of `parlor_kicks_total`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kick {
    /// Its room could not queue a message that must arrive (1008).
    TooFarBehind,
    /// A write to it waited longer than `limits.write_timeout_secs`.
    WriteTimeout,
    /// No `hello` within `limits.hello_timeout_secs` (1008).
    HelloTimeout,
    /// More undecodable messages than `limits.max_bad_messages` (1008).
    BadMessages,
    /// Websocket pings over their budget (1008).
    Pings,
    /// Joins of codes that do not exist far over their budget (1008).
    JoinMisses,
    /// A message over `limits.max_frame_bytes` (1009).
    TooBig,
    /// A text frame (1003).
    TextFrame,
    /// No pong to the keepalive ping within `limits.keepalive_secs` (1008).
    NotReading,
    /// An HTTP connection that sent no complete request headers within
    /// `limits.http_header_timeout_secs` (silent, half-sent, or idle
    /// after a keep-alive response); closed without an answer.
    HttpHeaderTimeout,
}

impl Kick {
    /// Every reason, in label order.
    pub const ALL: [Kick; 10] = [
        Kick::TooFarBehind,
        Kick::WriteTimeout,
        Kick::HelloTimeout,
        Kick::BadMessages,
        Kick::Pings,
        Kick::JoinMisses,
        Kick::TooBig,
        Kick::TextFrame,
        Kick::NotReading,
        Kick::HttpHeaderTimeout,
    ];

    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Kick::TooFarBehind => "too_far_behind",
            Kick::WriteTimeout => "write_timeout",
            Kick::HelloTimeout => "hello_timeout",
            Kick::BadMessages => "bad_messages",
            Kick::Pings => "pings",
            Kick::JoinMisses => "join_misses",
            Kick::TooBig => "too_big",
            Kick::TextFrame => "text_frame",
            Kick::NotReading => "not_reading",
            Kick::HttpHeaderTimeout => "http_header_timeout",
        }
    }
}

/// A server limit that refused a connection or a request (the `limit`
/// label of `parlor_connections_refused_total`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// `limits.connections_per_ip`: a TCP connection or a websocket
    /// upgrade answered 429.
    PerAddress,
    /// `limits.max_rooms`: `create`, `quick` or `chat` answered `server_full`.
    Rooms,
    /// The join miss budgets: a `join` or `/api/rooms/{code}` answered
    /// `rate_limited` without a lookup.
    JoinMisses,
    /// The budgets of rooms opened (`rooms_per_minute`, per connection and
    /// per address): a `create` answered `rate_limited`.
    RoomBudget,
    /// `[web] allowed_origins`: a websocket upgrade from another site's
    /// page answered 403.
    Origin,
}

impl Limit {
    /// Every limit, in label order.
    pub const ALL: [Limit; 5] = [
        Limit::PerAddress,
        Limit::Rooms,
        Limit::JoinMisses,
        Limit::RoomBudget,
        Limit::Origin,
    ];

    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Limit::PerAddress => "per_address",
            Limit::Rooms => "rooms",
            Limit::JoinMisses => "join_misses",
            Limit::RoomBudget => "room_budget",
            Limit::Origin => "origin",
        }
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct GameLabel {
    game: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SignInLabels {
    method: &'static str,
    result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct InputLabels {
    result: &'static str,
    reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabel {
    reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LimitLabel {
    limit: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CodeLabel {
    code: &'static str,
}

/// A histogram of durations with fixed buckets, recorded with two relaxed
/// atomic adds (the bucket and the sum). prometheus-client's own
/// `Histogram` takes a mutex on every observation, and every room of a
/// game observes each of its ticks into the same histogram.
#[derive(Clone, Debug)]
pub struct DurationHistogram(Arc<HistogramCells>);

#[derive(Debug)]
struct HistogramCells {
    /// Upper bounds in nanoseconds, ascending.
    bounds: &'static [u64],
    /// Observations per bucket (not cumulative), then those above the
    /// last bound.
    counts: Box<[AtomicU64]>,
    sum_nanos: AtomicU64,
}

impl DurationHistogram {
    fn new(bounds: &'static [u64]) -> DurationHistogram {
        DurationHistogram(Arc::new(HistogramCells {
            bounds,
            counts: (0..=bounds.len()).map(|_| AtomicU64::new(0)).collect(),
            sum_nanos: AtomicU64::new(0),
        }))
    }

    fn ticks() -> DurationHistogram {
        Self::new(&TICK_BOUNDS)
    }

    /// Records one duration.
    pub fn observe(&self, took: Duration) {
        let cells = &*self.0;
        let nanos = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX);
        let bucket = cells
            .bounds
            .iter()
            .position(|&bound| nanos <= bound)
            .unwrap_or(cells.bounds.len());
        cells.counts[bucket].fetch_add(1, Ordering::Relaxed);
        cells.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    /// Durations recorded so far.
    pub fn count(&self) -> u64 {
        self.0.counts.iter().map(|c| c.load(Ordering::Relaxed)).sum()
    }
}

impl TypedMetric for DurationHistogram {
    const TYPE: MetricType = MetricType::Histogram;
}

impl EncodeMetric for DurationHistogram {
    fn encode(&self, mut encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        let cells = &*self.0;
        // The count is the buckets' total as read here, so the `+Inf`
        // bucket always equals `_count` even while rooms record.
        let buckets: Vec<(f64, u64)> = cells
            .bounds
            .iter()
            .zip(cells.counts.iter())
            .map(|(&bound, count)| (bound as f64 / 1e9, count.load(Ordering::Relaxed)))
            .collect();
        let above = cells.counts[cells.bounds.len()].load(Ordering::Relaxed);
        let count = buckets.iter().map(|(_, n)| n).sum::<u64>() + above;
        let sum = cells.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9;
        encoder.encode_histogram::<NoLabelSet>(sum, count, &buckets, None)
    }

    fn metric_type(&self) -> MetricType {
        MetricType::Histogram
    }
}

/// The metrics of one server: a registry, and a handle to each series the
/// engine records into.
pub struct Metrics {
    registry: Registry,
    rooms: Family<GameLabel, Gauge>,
    players: Family<GameLabel, Gauge>,
    spectators: Family<GameLabel, Gauge>,
    ticks: Family<GameLabel, DurationHistogram, fn() -> DurationHistogram>,
    connections: Gauge,
    /// Recorded matches being played back to spectators.
    replays: Gauge,
    /// By [`SignIn`], then ok / refused.
    sign_ins: [[Counter; 2]; SignIn::ALL.len()],
    frames_sent: Counter,
    bytes_sent: Counter,
    patches_straight: Counter,
    inputs_accepted: Counter,
    /// By the position of the code in [`ErrorCode::ALL`].
    inputs_refused: [Counter; ErrorCode::ALL.len()],
    resyncs: Counter,
    kicks: [Counter; Kick::ALL.len()],
    refused: [Counter; Limit::ALL.len()],
    ledger_writes: DurationHistogram,
    ledger_failures: Counter,
    /// By [`CLOSE_CODES`], then `other`.
    closes: [Counter; CLOSE_CODES.len() + 1],
    /// 1 while the cluster directory (Redis) answers, 0 while this node
    /// matches players on its own; absent meaning: a single node.
    cluster_up: Gauge,
    /// Seat requests answered with `redirect`.
    redirects: Counter,
    /// Seat requests matched on this node alone because Redis did not answer.
    cluster_fallbacks: Counter,
    /// Set from /proc at each scrape.
    #[cfg(target_os = "linux")]
    resident: Gauge,
}

impl Default for Metrics {
    /// Metrics with no game's series made in advance (benchmarks, unit
    /// tests); a room of any game still makes its own.
    fn default() -> Self {
        Metrics::new(std::iter::empty::<&str>())
    }
}

impl Metrics {
    /// The metrics of a server hosting `games`, every series at zero: a
    /// series that exists before its first event lets a rate start there.
    pub fn new<S: AsRef<str>>(games: impl IntoIterator<Item = S>) -> Metrics {
        let mut registry = Registry::with_prefix("parlor");
        let r = &mut registry;
        let seconds = || Some(Unit::Seconds);

        let rooms = registered(
            r,
            "rooms",
            "Open rooms, by game",
            None,
            Family::<GameLabel, Gauge>::default(),
        );
        let players = registered(
            r,
            "players",
            "Seated players whose connection is open, by game",
            None,
            Family::<GameLabel, Gauge>::default(),
        );
        let spectators = registered(
            r,
            "spectators",
            "Clients watching rooms without a seat (`watch`), by game",
            None,
            Family::<GameLabel, Gauge>::default(),
        );
        let ticks = registered(
            r,
            "tick_duration",
            "Time a room took to run one tick (systems, replication, queueing), by game",
            seconds(),
            Family::new_with_constructor(DurationHistogram::ticks as fn() -> DurationHistogram),
        );
        for game in games {
            let label = GameLabel {
                game: game.as_ref().to_owned(),
            };
            // Made now, so each series exists at zero before its first event.
            drop(rooms.get_or_create(&label));
            drop(players.get_or_create(&label));
            drop(spectators.get_or_create(&label));
            drop(ticks.get_or_create(&label));
        }
        let connections = registered(r, "connections", "Open websocket connections", None, Gauge::default());
        let replays = registered(
            r,
            "replays",
            "Recorded matches being played back to spectators",
            None,
            Gauge::default(),
        );

        let family = registered(
            r,
            "signins",
            "hello messages that signed in (ok) or were refused, by method",
            None,
            Family::<SignInLabels, Counter>::default(),
        );
        let sign_ins = SignIn::ALL.map(|method| {
            ["ok", "refused"].map(|result| {
                let method = method.as_str();
                family.get_or_create(&SignInLabels { method, result }).clone()
            })
        });

        let frames_sent = registered(
            r,
            "frames_sent",
            "Websocket frames written to clients",
            None,
            Counter::default(),
        );
        let bytes_sent = registered(
            r,
            "bytes_sent",
            "Payload bytes of the websocket frames written to clients",
            None,
            Counter::default(),
        );

        let patches_straight = registered(
            r,
            "patches_written_straight",
            "Patches a room wrote straight to a client's socket; the others went through the client's queue",
            None,
            Counter::default(),
        );

        let family = registered(
            r,
            "inputs",
            "Inputs the game took (accepted) or that were refused, by the error code sent",
            None,
            Family::<InputLabels, Counter>::default(),
        );
        let input = |result, reason| family.get_or_create(&InputLabels { result, reason }).clone();
        let inputs_accepted = input("accepted", "");
        let inputs_refused = ErrorCode::ALL.map(|code| input("refused", code.as_str()));

        let resyncs = registered(
            r,
            "resyncs",
            "Fresh joined messages sent to clients whose queue skipped patches",
            None,
            Counter::default(),
        );
        let family = registered(
            r,
            "kicks",
            "Connections the server ended for what the peer did or did not do, by reason",
            None,
            Family::<ReasonLabel, Counter>::default(),
        );
        let kicks = Kick::ALL.map(|kick| family.get_or_create(&ReasonLabel { reason: kick.as_str() }).clone());
        let family = registered(
            r,
            "connections_refused",
            "Connections and requests a server limit refused, by limit",
            None,
            Family::<LimitLabel, Counter>::default(),
        );
        let refused = Limit::ALL.map(|limit| family.get_or_create(&LimitLabel { limit: limit.as_str() }).clone());

        let ledger_writes = registered(
            r,
            "ledger_write",
            "Time of each ledger write (match records, session resumes), failures included",
            seconds(),
            DurationHistogram::new(&LEDGER_BOUNDS),
        );
        let ledger_failures = registered(
            r,
            "ledger_write_failures",
            "Ledger writes that failed",
            None,
            Counter::default(),
        );

        let family = registered(
            r,
            "closes",
            "Websocket close frames the server sent, by close code",
            None,
            Family::<CodeLabel, Counter>::default(),
        );
        let closes = std::array::from_fn(|i| {
            let code = CLOSE_CODES.get(i).map_or("other", |(_, label)| *label);
            family.get_or_create(&CodeLabel { code }).clone()
        });

        let cluster_up = registered(
            r,
            "cluster_redis_up",
            "1 while the cluster directory in Redis answers, 0 while this node matches players alone (0 on a single node)",
            None,
            Gauge::default(),
        );
        let redirects = registered(
            r,
            "cluster_redirects",
            "Seat requests and resumes answered with redirect to another node",
            None,
            Counter::default(),
        );
        let cluster_fallbacks = registered(
            r,
            "cluster_fallbacks",
            "Seat requests matched on this node alone because Redis did not answer",
            None,
            Counter::default(),
        );

        #[cfg(target_os = "linux")]
        let resident = registered(
            r,
            "process_resident",
            "Resident memory of the server process, read at each scrape",
            Some(Unit::Bytes),
            Gauge::default(),
        );

        Metrics {
            registry,
            rooms,
            players,
            spectators,
            ticks,
            connections,
            replays,
            sign_ins,
            frames_sent,
            bytes_sent,
            patches_straight,
            inputs_accepted,
            inputs_refused,
            resyncs,
            kicks,
            refused,
            ledger_writes,
            ledger_failures,
            closes,
            cluster_up,
            redirects,
            cluster_fallbacks,
            #[cfg(target_os = "linux")]
            resident,
        }
    }

    /// Whether the cluster directory answers.
    pub fn cluster_up(&self, up: bool) {
        self.cluster_up.set(i64::from(up));
    }

    /// A seat request or resume was sent elsewhere.
    pub fn redirected(&self) {
        self.redirects.inc();
    }

    /// A seat request was matched on this node alone.
    pub fn cluster_fallback(&self) {
        self.cluster_fallbacks.inc();
    }

    /// Everything, in the Prometheus text format ([`CONTENT_TYPE`]).
    pub fn encode(&self) -> String {
        #[cfg(target_os = "linux")]
        if let Some(bytes) = resident_bytes() {
            self.resident.set(bytes);
        }
        let mut text = String::with_capacity(8 * 1024);
        prometheus_client::encoding::prometheus_text::encode(&mut text, &self.registry)
            .expect("writing to a String cannot fail");
        text
    }

    /// The handles of a new room of `game`, which counts as open until
    /// they are dropped.
    pub fn room(&self, game: &str) -> RoomMetrics {
        let label = GameLabel { game: game.to_owned() };
        let rooms = self.rooms.get_or_create(&label).clone();
        rooms.inc();
        RoomMetrics {
            rooms,
            players: self.players.get_or_create(&label).clone(),
            spectators: self.spectators.get_or_create(&label).clone(),
            ticks: self.ticks.get_or_create(&label).clone(),
            inputs_accepted: self.inputs_accepted.clone(),
            inputs_illegal: self.input_refused_counter(ErrorCode::IllegalInput).clone(),
            online: 0,
            watching: 0,
            queued_inputs: 0,
        }
    }

    /// Counts an open websocket connection until the returned guard is
    /// dropped.
    pub fn connection(&self) -> OpenConnection {
        self.connections.inc();
        OpenConnection(self.connections.clone())
    }

    /// Counts a replay being played back until the returned guard is
    /// dropped.
    pub fn replay(&self) -> OpenConnection {
        self.replays.inc();
        OpenConnection(self.replays.clone())
    }

    /// A `hello` signed in with `method` (`ok`) or was refused.
    pub fn sign_in(&self, method: SignIn, ok: bool) {
        let at = SignIn::ALL.iter().position(|m| *m == method).unwrap_or(0);
        self.sign_ins[at][usize::from(!ok)].inc();
    }

    /// `frames` websocket frames of `bytes` payload bytes in all were
    /// written to a client.
    pub fn sent(&self, frames: u64, bytes: u64) {
        if frames > 0 {
            self.frames_sent.inc_by(frames);
            self.bytes_sent.inc_by(bytes);
        }
    }

    /// A room wrote `frames` patches of `bytes` payload bytes in all
    /// straight to its clients' sockets.
    pub fn sent_straight(&self, frames: u64, bytes: u64) {
        self.sent(frames, bytes);
        self.patches_straight.inc_by(frames);
    }

    fn input_refused_counter(&self, code: ErrorCode) -> &Counter {
        let at = ErrorCode::ALL.iter().position(|c| *c == code).unwrap_or(0);
        &self.inputs_refused[at]
    }

    /// An input was refused with `code` before it reached the room (the
    /// room counts what its game took and refused).
    pub fn input_refused(&self, code: ErrorCode) {
        self.input_refused_counter(code).inc();
    }

    /// A client that skipped patches was sent a fresh `joined`.
    pub fn resync(&self) {
        self.resyncs.inc();
    }

    /// The server ended a connection for `why`.
    pub fn kick(&self, why: Kick) {
        self.kicks[Kick::ALL.iter().position(|k| *k == why).unwrap_or(0)].inc();
    }

    /// `limit` refused a connection or a request.
    pub fn refused(&self, limit: Limit) {
        self.refused[Limit::ALL.iter().position(|l| *l == limit).unwrap_or(0)].inc();
    }

    /// A ledger write (a match record, a session's next generation) took
    /// `took` and succeeded (`ok`) or failed.
    pub fn ledger_write(&self, took: Duration, ok: bool) {
        self.ledger_writes.observe(took);
        if !ok {
            self.ledger_failures.inc();
        }
    }

    /// A close frame with `code` was sent.
    pub fn close(&self, code: u16) {
        let at = CLOSE_CODES
            .iter()
            .position(|(c, _)| *c == code)
            .unwrap_or(CLOSE_CODES.len());
        self.closes[at].inc();
    }
}

/// Registers `metric` as `name` (with `unit`, the name's suffix) and
/// returns it: a clone is a handle to the same series.
fn registered<M: Metric + Clone>(registry: &mut Registry, name: &str, help: &str, unit: Option<Unit>, metric: M) -> M {
    match unit {
        Some(unit) => registry.register_with_unit(name, help, unit, metric.clone()),
        None => registry.register(name, help, metric.clone()),
    }
    metric
}

/// One open connection in `parlor_connections` (or one replay in
/// `parlor_replays`), until dropped.
pub struct OpenConnection(Gauge);

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// What one room records, resolved once when it opens: its game's series,
/// and its own share of the gauges, which leaves them when it is dropped.
pub struct RoomMetrics {
    rooms: Gauge,
    players: Gauge,
    spectators: Gauge,
    ticks: DurationHistogram,
    inputs_accepted: Counter,
    inputs_illegal: Counter,
    /// Players this room has added to `parlor_players`.
    online: i64,
    /// Spectators this room has added to `parlor_spectators`.
    watching: i64,
    /// Inputs handed to the game since its last tick.
    queued_inputs: u64,
}

impl RoomMetrics {
    /// `delta` seated players connected (positive) or disconnected.
    pub fn online(&mut self, delta: i64) {
        self.online += delta;
        self.players.inc_by(delta);
    }

    /// The room now has `now` spectators.
    pub fn watching(&mut self, now: usize) {
        let now = now as i64;
        self.spectators.inc_by(now - self.watching);
        self.watching = now;
    }

    /// One tick took `took`.
    pub fn tick(&self, took: Duration) {
        self.ticks.observe(took);
    }

    /// An input was queued for the game's next tick.
    pub fn input_queued(&mut self) {
        self.queued_inputs += 1;
    }

    /// The game ran its tick over the queued inputs and refused `refused`
    /// of them; the rest count as accepted.
    pub fn inputs_settled(&mut self, refused: usize) {
        let refused = refused as u64;
        let accepted = self.queued_inputs.saturating_sub(refused);
        if accepted > 0 {
            self.inputs_accepted.inc_by(accepted);
        }
        if refused > 0 {
            self.inputs_illegal.inc_by(refused);
        }
        self.queued_inputs = 0;
    }
}

impl Drop for RoomMetrics {
    fn drop(&mut self) {
        self.rooms.dec();
        self.players.dec_by(self.online);
        self.spectators.dec_by(self.watching);
    }
}

/// The process's resident set size in bytes: `VmRSS` of /proc/self/status
/// (in kB there, which spares asking the system for its page size).
#[cfg(target_os = "linux")]
fn resident_bytes() -> Option<i64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: i64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_go_one_two_and_a_half_five_per_power_of_ten() {
        assert_eq!(TICK_BOUNDS[..5], [50_000, 100_000, 250_000, 500_000, 1_000_000]);
        assert_eq!(TICK_BOUNDS[13], 1_000_000_000);
        assert_eq!(LEDGER_BOUNDS[0], 250_000);
        assert_eq!(LEDGER_BOUNDS[14], 10_000_000_000);
    }

    #[test]
    fn a_histogram_counts_each_duration_once_in_its_bucket() {
        let h = DurationHistogram::ticks();
        h.observe(Duration::from_micros(50));
        h.observe(Duration::from_micros(51));
        h.observe(Duration::from_secs(5));
        assert_eq!(h.count(), 3);
        let counts: Vec<u64> = h.0.counts.iter().map(|c| c.load(Ordering::Relaxed)).collect();
        assert_eq!((counts[0], counts[1], counts[TICK_BOUNDS.len()]), (1, 1, 1));
    }

    #[test]
    fn an_unknown_close_code_is_counted_as_other() {
        let metrics = Metrics::default();
        metrics.close(4000);
        metrics.close(1008);
        let text = metrics.encode();
        assert!(text.contains("parlor_closes_total{code=\"other\"} 1"), "{text}");
        assert!(text.contains("parlor_closes_total{code=\"1008\"} 1"), "{text}");
    }

    #[test]
    fn a_room_takes_its_players_with_it() {
        let metrics = Metrics::new(["arena"]);
        let mut room = metrics.room("arena");
        room.online(2);
        room.online(-1);
        assert!(metrics.encode().contains("parlor_players{game=\"arena\"} 1"));
        drop(room);
        let text = metrics.encode();
        assert!(text.contains("parlor_players{game=\"arena\"} 0"), "{text}");
        assert!(text.contains("parlor_rooms{game=\"arena\"} 0"), "{text}");
    }

    #[test]
    fn inputs_the_game_did_not_refuse_are_accepted() {
        let metrics = Metrics::default();
        let mut room = metrics.room("tictactoe");
        for _ in 0..3 {
            room.input_queued();
        }
        room.inputs_settled(1);
        let text = metrics.encode();
        assert!(
            text.contains("parlor_inputs_total{result=\"accepted\",reason=\"\"} 2"),
            "{text}"
        );
        assert!(text.contains("parlor_inputs_total{result=\"refused\",reason=\"illegal_input\"} 1"));
    }
}
