//! The server's lifecycle: one stop signal that reaches the listener, every
//! session and every room, and a tracker that the stop waits on until
//! everything that heard the signal has finished (sessions closed, rooms
//! ended, ledger writes committed).
//!
//! Every long-lived task holds a [`Lifecycle::guard`] (or is spawned with
//! [`Lifecycle::spawn`]) and watches [`Lifecycle::stopping`]; `Server::stop`
//! calls [`Lifecycle::stop`] and then awaits [`Lifecycle::finished`].
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let lifecycle = parlor::lifecycle::Lifecycle::new();
//! let seen = lifecycle.clone();
//! lifecycle.spawn(async move { seen.stopping().await; });
//! lifecycle.stop();
//! lifecycle.finished().await; // the task saw the signal and ended
//! # }
//! ```

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use dashmap::DashMap;
use tokio::sync::futures::Notified;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tokio_util::task::task_tracker::TaskTrackerToken;
use tokio_util::task::TaskTracker;

/// The stop signal and the tracker of what must finish before the process
/// exits. Cloning shares both.
#[derive(Clone, Default)]
pub struct Lifecycle {
    stop: CancellationToken,
    /// Set with the stop; a plain flag for the hot paths that check it.
    stopped: Arc<AtomicBool>,
    tasks: TaskTracker,
    /// Open connections' signals, woken by the stop.
    connections: Arc<DashMap<u64, Arc<ConnectionSignal>>>,
    next_connection: Arc<AtomicU64>,
}

/// What wakes a connection's task besides its socket and queue: its room
/// kicked it (it fell too far behind), a newer connection took over its
/// session, or the server is stopping. One
/// `Notify` for both, so the connection's loop waits on one future per
/// wake-up: waiting on the stop signal itself cost every connection a lock
/// on each of its dozens of wake-ups a second.
#[derive(Debug, Default)]
pub struct ConnectionSignal {
    notify: Notify,
    kicked: AtomicBool,
    replaced: AtomicBool,
}

impl ConnectionSignal {
    /// Kicks the connection: it closes (1008).
    pub fn kick(&self) {
        self.kicked.store(true, Ordering::Release);
        self.notify.notify_one();
    }

    /// Whether the connection was kicked (rather than woken by the stop).
    pub fn was_kicked(&self) -> bool {
        self.kicked.load(Ordering::Acquire)
    }

    /// A newer connection took over this one's session: it closes (4001).
    pub fn replace(&self) {
        self.replaced.store(true, Ordering::Release);
        self.notify.notify_one();
    }

    /// Whether a newer connection took over this one's session.
    pub fn was_replaced(&self) -> bool {
        self.replaced.load(Ordering::Acquire)
    }

    /// Completes at the next kick or stop (or at once for one that came
    /// while nobody waited).
    pub fn notified(&self) -> Notified<'_> {
        self.notify.notified()
    }
}

/// A connection's place in the lifecycle: its signal is woken by the stop
/// until this is dropped.
pub struct Registration {
    connections: Arc<DashMap<u64, Arc<ConnectionSignal>>>,
    id: u64,
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.connections.remove(&self.id);
    }
}

impl Lifecycle {
    /// A running lifecycle.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sends the stop signal. Idempotent.
    pub fn stop(&self) {
        self.stopped.store(true, Ordering::Release);
        self.stop.cancel();
        self.tasks.close();
        for connection in self.connections.iter() {
            connection.notify.notify_one();
        }
    }

    /// Whether the stop signal was sent.
    pub fn is_stopping(&self) -> bool {
        self.stopped.load(Ordering::Acquire)
    }

    /// Registers a connection's signal, to be woken by the stop (at once if
    /// the stop came already).
    pub fn register(&self, signal: &Arc<ConnectionSignal>) -> Registration {
        let id = self.next_connection.fetch_add(1, Ordering::Relaxed);
        self.connections.insert(id, signal.clone());
        if self.is_stopping() {
            signal.notify.notify_one();
        }
        Registration {
            connections: self.connections.clone(),
            id,
        }
    }

    /// Completes when the stop signal is sent. Each call watches a child
    /// of the signal, whose waiter list is its own: rooms poll theirs on
    /// every tick, and the root's list would be one lock for all of them.
    pub fn stopping(&self) -> impl Future<Output = ()> + Send + 'static {
        self.stop.child_token().cancelled_owned()
    }

    /// A token the stop waits for until it is dropped.
    pub fn guard(&self) -> TaskTrackerToken {
        self.tasks.token()
    }

    /// Spawns a task the stop waits for.
    pub fn spawn<F>(&self, task: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.tasks.spawn(task);
    }

    /// Tracked tasks and guards still alive (e.g. ledger writes in flight).
    pub fn pending(&self) -> usize {
        self.tasks.len()
    }

    /// Completes once the stop signal was sent and every guard and tracked
    /// task is gone.
    pub async fn finished(&self) {
        self.tasks.wait().await;
    }
}

/// Completes on Ctrl-C (SIGINT) or SIGTERM, the signals an operator or a
/// process supervisor (systemd, Kubernetes) stops a server with; returns
/// the signal's name.
pub async fn signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = match signal(SignalKind::terminate()) {
            Ok(term) => term,
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM; only Ctrl-C stops the server cleanly");
                let _ = tokio::signal::ctrl_c().await;
                return "SIGINT";
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => "SIGINT",
            _ = term.recv() => "SIGTERM",
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "Ctrl-C"
    }
}
