//! Recorded matches played back to spectators (`watch {replay}`), a few
//! at a time: each costs a room run from its room's first recorded match.

use std::sync::Arc;

use tokio::sync::Semaphore;

use super::Shared;
use crate::protocol::ErrorCode;
use crate::replay::{load, LoadError};
use crate::room::{spawn_replay, RoomHandle};

/// Replays a server plays at once; a `watch {replay}` over it is refused
/// with `rate_limited`.
pub const MAX_LIVE_REPLAYS: usize = 16;

/// Matches of one room a played-back replay runs (the one watched and
/// those before it); a later match is refused (`parlor replay` runs any).
pub const MAX_REPLAY_MATCHES: usize = 20;

/// The places among the replays being played.
pub struct Replays {
    places: Arc<Semaphore>,
}

impl Default for Replays {
    fn default() -> Self {
        Replays {
            places: Arc::new(Semaphore::new(MAX_LIVE_REPLAYS)),
        }
    }
}

impl Replays {
    /// A room playing match `id` back, ready to be watched; or why not.
    pub async fn open(&self, state: &Shared, id: &str) -> Result<RoomHandle, (ErrorCode, String)> {
        if id.is_empty() || id.len() > 64 {
            return Err((ErrorCode::NoSuchRoom, "a match id is 1 to 64 characters".to_owned()));
        }
        let Ok(place) = self.places.clone().try_acquire_owned() else {
            return Err((
                ErrorCode::RateLimited,
                format!("the server plays {MAX_LIVE_REPLAYS} replays at once; try again shortly"),
            ));
        };
        let recorded = load(&*state.ledger, &state.catalog, id, MAX_REPLAY_MATCHES)
            .await
            .map_err(|e| match e {
                LoadError::Ledger(e) => {
                    tracing::error!(error = %e, "reading a recorded match failed");
                    (ErrorCode::Internal, "the ledger could not be read".to_owned())
                }
                e => (ErrorCode::NoSuchRoom, e.to_string()),
            })?;
        let replay = recorded.replay(state.ledger.clone(), state.lifecycle.clone());
        Ok(spawn_replay(replay, (place, state.metrics.replay())))
    }
}
