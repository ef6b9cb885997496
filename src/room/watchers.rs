//! Spectators: clients that watch a room without a seat. They get the
//! public view (nothing private to a player), events sent to everyone and
//! results; they send no inputs, take no seat and are capped by the
//! manifest's `spectators`.

use tokio::sync::mpsc;

use super::{ClientHandle, Outbound, PlayerInfo, Room};
use crate::protocol::{ErrorCode, LeftReason, Rid};

/// A client watching the room.
pub(super) struct Watcher {
    pub(super) info: PlayerInfo,
    pub(super) client: ClientHandle,
    /// Patches were skipped: the next one is replaced by a full `joined`.
    pub(super) lagging: bool,
}

impl Room {
    /// Adds a spectator and queues its `joined`. A seated player may watch
    /// too, from another connection (a second device): the seat stays as it is.
    pub(super) fn watch(
        &mut self,
        player: PlayerInfo,
        client: ClientHandle,
        rid: Option<Rid>,
    ) -> Result<(), ErrorCode> {
        if self.closed || self.stop_deadline.is_some() {
            return Err(ErrorCode::NoSuchRoom);
        }
        // The same player watching from another connection moves here.
        self.watchers.retain(|w| {
            let same = w.info.id == player.id;
            if same {
                w.client.send_left(LeftReason::Replaced);
            }
            !same
        });
        self.metrics.watching(self.watchers.len());
        let cap = self.game.manifest().spectators;
        if self.watchers.len() as u32 >= cap {
            return Err(ErrorCode::RoomFull);
        }
        let frame = self.watch_frame(rid);
        if !client.send_frame(frame) {
            return Err(ErrorCode::Internal);
        }
        self.watchers.push(Watcher {
            info: player,
            client,
            lagging: false,
        });
        self.metrics.watching(self.watchers.len());
        Ok(())
    }

    /// The spectator on `client` is gone.
    pub(super) fn unwatch(&mut self, client: &mpsc::Sender<Outbound>) {
        self.watchers.retain(|w| !w.client.tx.same_channel(client));
        self.metrics.watching(self.watchers.len());
    }

    /// Tells every spectator `reason` and forgets them.
    pub(super) fn dismiss_watchers(&mut self, reason: LeftReason) {
        for watcher in self.watchers.drain(..) {
            if !watcher.client.send_left(reason) {
                watcher.client.signal.kick();
            }
        }
        self.metrics.watching(0);
    }
}
