//! Reporting to Agones (`parlor serve --agones`, feature `agones`): a node
//! run as an Agones GameServer tells the SDK sidecar in its pod that it is
//! `Ready` once serving, pings `Health` while it runs, keeps the Counters
//! `rooms` and `players` at its current load (the high-density pattern:
//! many rooms on one allocated GameServer, the Fleet's capacities saying
//! how many), and asks for `Shutdown` only after it has drained.
//!
//! It speaks through Agones' official Rust SDK (the `agones` crate, gRPC on
//! `localhost`); it imports nothing of the rest of the engine, which hands
//! it its load through [`AgonesLoad`] and its stop signal as a
//! [`CancellationToken`].

use std::error::Error as _;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc::error::TrySendError;
use tokio::time::{interval, timeout, Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

/// What the node reports to Agones, read each time it reports.
pub trait AgonesLoad: Send + Sync + 'static {
    /// Rooms open on this node now: the Counter `rooms`.
    fn rooms(&self) -> u64;
    /// Players connected to this node now: the Counter `players`.
    fn players(&self) -> u64;
}

/// Settings of the link to the SDK sidecar.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgonesOptions {
    /// The sidecar's gRPC port on localhost; `None` is the SDK's default:
    /// the variable `AGONES_SDK_GRPC_PORT` (which Agones sets in the
    /// pod), else 9357.
    pub port: Option<u16>,
    /// How often `Health` is pinged (Agones' `health.periodSeconds` must be
    /// longer).
    pub health_every: Duration,
    /// How often the load is read; the Counters are updated only when it
    /// changed.
    pub counters_every: Duration,
    /// How long [`AgonesLink::connect`] waits for the sidecar to answer,
    /// and each Counter update for its reply.
    pub connect_timeout: Duration,
}

impl Default for AgonesOptions {
    /// The SDK's port, `Health` every 2 s, the load read every second, 30 s
    /// to connect.
    fn default() -> Self {
        AgonesOptions {
            port: None,
            health_every: Duration::from_secs(2),
            counters_every: Duration::from_secs(1),
            connect_timeout: Duration::from_secs(30),
        }
    }
}

/// Why the link to the SDK sidecar failed.
#[derive(Debug, thiserror::Error)]
pub enum AgonesError {
    /// `AGONES_SDK_GRPC_PORT` holds something other than a port.
    #[error("AGONES_SDK_GRPC_PORT is {0:?}, which is not a port number")]
    BadPortVariable(String),
    /// Nothing answered on the port in time.
    #[error("cannot reach the Agones SDK server on port {port} within {} s: {reason}", .within.as_secs_f64())]
    Unreachable {
        /// The port on localhost.
        port: u16,
        /// How long it was tried.
        within: Duration,
        /// What went wrong.
        reason: String,
    },
    /// The sidecar refused a call, or the call failed on the way.
    #[error("the Agones SDK server did not take {call}: {reason}")]
    Call {
        /// The SDK call (`Ready`, `Shutdown`, ...).
        call: &'static str,
        /// The SDK's error, with its causes.
        reason: String,
    },
}

/// A connected Agones SDK: [`run`](AgonesLink::run) reports while the
/// node serves, [`shutdown`](AgonesLink::shutdown) ends the GameServer
/// after the drain. Cloning it shares the connection.
///
/// ```no_run
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicU64, Ordering};
///
/// use parlor::agones::{AgonesLink, AgonesLoad, AgonesOptions};
/// use tokio_util::sync::CancellationToken;
///
/// #[derive(Default)]
/// struct Load {
///     rooms: AtomicU64,
///     players: AtomicU64,
/// }
///
/// impl AgonesLoad for Load {
///     fn rooms(&self) -> u64 {
///         self.rooms.load(Ordering::Relaxed)
///     }
///     fn players(&self) -> u64 {
///         self.players.load(Ordering::Relaxed)
///     }
/// }
///
/// # async fn serve() -> Result<(), parlor::agones::AgonesError> {
/// let link = AgonesLink::connect(AgonesOptions::default()).await?;
/// let load = Arc::new(Load::default());
/// let stop = CancellationToken::new();
/// // Once the node accepts connections: Ready, then Health and Counters.
/// let reporting = tokio::spawn({
///     let (link, load, stop) = (link.clone(), load.clone(), stop.clone());
///     async move { link.run(load, stop).await }
/// });
/// // ... serve until told to stop, then drain ...
/// stop.cancel();
/// reporting.await.expect("the reporting task panicked");
/// link.shutdown().await?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct AgonesLink {
    sdk: agones::Sdk,
    options: AgonesOptions,
}

impl AgonesLink {
    /// Connects to the SDK sidecar on localhost, waiting up to
    /// `options.connect_timeout` for it to answer (the sidecar may start
    /// after the node): [`AgonesError::Unreachable`] when it does not,
    /// [`AgonesError::BadPortVariable`] when `AGONES_SDK_GRPC_PORT` is set
    /// to something else than a port.
    pub async fn connect(options: AgonesOptions) -> Result<AgonesLink, AgonesError> {
        let port = match options.port {
            Some(port) => port,
            None => match std::env::var("AGONES_SDK_GRPC_PORT") {
                Ok(value) => value.trim().parse().map_err(|_| AgonesError::BadPortVariable(value))?,
                Err(_) => 9357,
            },
        };
        let within = options.connect_timeout;
        let unreachable = |reason: String| AgonesError::Unreachable { port, within, reason };
        let deadline = Instant::now() + within;
        // The SDK retries for at most 30 s of its own; a longer timeout
        // asks it again.
        loop {
            match tokio::time::timeout_at(deadline, agones::Sdk::new(Some(port), None)).await {
                Ok(Ok(sdk)) => {
                    tracing::info!(port, "connected to the Agones SDK server");
                    return Ok(AgonesLink { sdk, options });
                }
                Ok(Err(agones::errors::Error::TimedOut(_))) if Instant::now() < deadline => continue,
                Ok(Err(agones::errors::Error::TimedOut(_))) | Err(_) => {
                    return Err(unreachable(
                        "no answer to GetGameServer (is the SDK sidecar running?)".into(),
                    ))
                }
                Ok(Err(e)) => return Err(unreachable(describe(&e))),
            }
        }
    }

    /// Marks the game server Ready, then until `stop` is cancelled: Health
    /// every `health_every`, and the Counters `rooms` and `players` (the
    /// beta Counters API: their count is set; their capacity is the Fleet
    /// spec's) whenever they changed, checked every `counters_every`.
    /// Returns when `stop` is cancelled, after a final Counters update.
    ///
    /// A refused or failed call is logged (once per streak of failures)
    /// and tried again next period; a refused Ready is asked again every
    /// `health_every`.
    pub async fn run(&self, load: Arc<dyn AgonesLoad>, stop: CancellationToken) {
        let mut sdk = self.sdk.clone();
        let mut streak = Streak::new("Ready");
        loop {
            let Some(answer) = stop.run_until_cancelled(sdk.ready()).await else {
                return;
            };
            match answer {
                Ok(()) => break,
                Err(e) => streak.failed(&describe(&e)),
            }
            if stop
                .run_until_cancelled(tokio::time::sleep(self.options.health_every))
                .await
                .is_none()
            {
                return;
            }
        }
        tracing::info!("told Agones this GameServer is Ready");
        tokio::join!(self.health(&stop), self.counters(load.as_ref(), &stop));
    }

    /// Tells Agones the server is shutting down (the GameServer ends);
    /// call only after the node drained.
    pub async fn shutdown(&self) -> Result<(), AgonesError> {
        self.sdk.clone().shutdown().await.map_err(|e| AgonesError::Call {
            call: "Shutdown",
            reason: describe(&e),
        })?;
        tracing::info!("told Agones this GameServer is shutting down");
        Ok(())
    }

    /// Health pings on the SDK's health stream until `stop`; a stream that
    /// closed (the sidecar went away) is opened again.
    async fn health(&self, stop: &CancellationToken) {
        let mut pings = self.sdk.health_check();
        // A ping is only queued on the stream's task; a stream counts as
        // recovered once it took pings two periods running.
        let mut fresh = false;
        let mut streak = Streak::new("Health");
        let mut every = interval(self.options.health_every);
        every.set_missed_tick_behavior(MissedTickBehavior::Delay);
        while stop.run_until_cancelled(every.tick()).await.is_some() {
            match pings.try_send(()) {
                Ok(()) if fresh => fresh = false,
                Ok(()) => streak.succeeded(),
                Err(TrySendError::Full(())) => streak.failed("the health stream takes no more pings"),
                Err(TrySendError::Closed(())) => {
                    streak.failed("the health stream closed");
                    pings = self.sdk.health_check();
                    fresh = true;
                }
            }
        }
    }

    /// The Counters kept at `load` until `stop`, then set once more.
    async fn counters(&self, load: &dyn AgonesLoad, stop: &CancellationToken) {
        let mut beta = self.sdk.beta().clone();
        let mut counters = [
            Counter::new("rooms", |load| load.rooms()),
            Counter::new("players", |load| load.players()),
        ];
        let mut every = interval(self.options.counters_every);
        every.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            let stopping = stop.run_until_cancelled(every.tick()).await.is_none();
            for counter in &mut counters {
                let value = (counter.read)(load);
                if counter.sent == Some(value) {
                    continue;
                }
                let count = i64::try_from(value).unwrap_or(i64::MAX);
                let within = self.options.connect_timeout;
                match timeout(within, beta.set_counter_count(counter.name, count)).await {
                    Ok(Ok(())) => {
                        counter.sent = Some(value);
                        counter.streak.succeeded();
                    }
                    Ok(Err(e)) => counter.streak.failed(&describe(&e)),
                    Err(_) => counter
                        .streak
                        .failed(&format!("no answer within {} s", within.as_secs_f64())),
                }
            }
            if stopping {
                return;
            }
        }
    }
}

/// One Counter as last set on the sidecar.
struct Counter {
    name: &'static str,
    read: fn(&dyn AgonesLoad) -> u64,
    sent: Option<u64>,
    streak: Streak,
}

impl Counter {
    fn new(name: &'static str, read: fn(&dyn AgonesLoad) -> u64) -> Self {
        Counter {
            name,
            read,
            sent: None,
            streak: Streak::new(name),
        }
    }
}

/// Failures of one kind of call, logged once when a streak of them starts
/// and once when it ends.
struct Streak {
    what: &'static str,
    failing: bool,
}

impl Streak {
    fn new(what: &'static str) -> Self {
        Streak { what, failing: false }
    }

    fn failed(&mut self, reason: &str) {
        if !self.failing {
            tracing::warn!(
                call = self.what,
                reason,
                "an Agones SDK call failed; trying again each period"
            );
            self.failing = true;
        }
    }

    fn succeeded(&mut self) {
        if self.failing {
            tracing::info!(call = self.what, "the Agones SDK call works again");
            self.failing = false;
        }
    }
}

/// The SDK's error with its causes: its own messages ("rpc failure") name
/// no reason; a gRPC status is told by its code and message, then what
/// caused it.
fn describe(error: &agones::errors::Error) -> String {
    let (mut text, mut cause) = match error {
        agones::errors::Error::Rpc(status) => (format!("{:?}: {}", status.code(), status.message()), status.source()),
        other => (other.to_string(), other.source()),
    };
    while let Some(e) = cause {
        text.push_str(": ");
        text.push_str(&e.to_string());
        cause = e.source();
    }
    text
}
