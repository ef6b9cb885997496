//! One live connection per session: a sign-in that continues a session
//! another connection still holds replaces that connection, and waits until
//! it has let go of its room seat (so the seat is found held, and resumed).

use std::sync::Arc;
use std::time::Duration;

use dashmap::DashMap;
use tokio::sync::watch;

use crate::lifecycle::ConnectionSignal;

/// The connection holding each session now.
#[derive(Default)]
pub struct LiveSessions {
    by_session: DashMap<String, Holder>,
}

/// A session's connection: its signal, and a channel that closes when the
/// connection is gone.
struct Holder {
    signal: Arc<ConnectionSignal>,
    gone: watch::Receiver<()>,
}

/// A connection's hold on its session; dropped when the connection has
/// finished (after its room heard of the disconnect), which releases any
/// connection waiting to take over.
pub struct Hold {
    sessions: Arc<LiveSessions>,
    sid: String,
    signal: Arc<ConnectionSignal>,
    _gone: watch::Sender<()>,
}

impl LiveSessions {
    /// Makes the connection with `signal` the holder of session `sid`. A
    /// previous holder is told it was replaced, and this waits, up to
    /// `patience`, until it is gone.
    pub async fn take(this: &Arc<Self>, sid: &str, signal: &Arc<ConnectionSignal>, patience: Duration) -> Hold {
        let (sender, gone) = watch::channel(());
        let holder = Holder {
            signal: signal.clone(),
            gone,
        };
        let previous = this.by_session.insert(sid.to_owned(), holder);
        if let Some(mut previous) = previous {
            previous.signal.replace();
            // Err when the sender is dropped: the old connection is gone.
            let _ = tokio::time::timeout(patience, previous.gone.changed()).await;
        }
        Hold {
            sessions: this.clone(),
            sid: sid.to_owned(),
            signal: signal.clone(),
            _gone: sender,
        }
    }

    /// Sessions with a live connection.
    pub fn len(&self) -> usize {
        self.by_session.len()
    }

    /// Whether no session has a live connection.
    pub fn is_empty(&self) -> bool {
        self.by_session.is_empty()
    }
}

impl Drop for Hold {
    fn drop(&mut self) {
        // Only while this connection is still the holder: a replacement's
        // entry stays.
        self.sessions
            .by_session
            .remove_if(&self.sid, |_, holder| Arc::ptr_eq(&holder.signal, &self.signal));
    }
}
