//! Who is in a room: seats taken, taken over, held for a dropped
//! connection, and released.

use std::time::Instant;

use bevy_ecs::prelude::*;
use tokio::sync::mpsc;

use super::recording::Step;
use super::{ClientHandle, Outbound, PlayerInfo, Room};
use crate::game::{Clock, Player};
use crate::protocol::{ErrorCode, LeftReason, Rid};

/// A seated player.
pub(super) struct Member {
    pub(super) info: PlayerInfo,
    pub(super) entity: Entity,
    pub(super) client: ClientHandle,
    /// Highest input `seq` queued / applied for this member.
    pub(super) queued_seq: u32,
    pub(super) ack: u32,
    /// The ack this member's connection was last sent in a patch (`None`
    /// since its last `joined`): a lean `p` repeats none.
    pub(super) sent_ack: Option<u32>,
    /// Patches were skipped: the next one is replaced by a full `joined`.
    pub(super) lagging: bool,
    /// The connection dropped: the seat is held until this instant.
    pub(super) offline_until: Option<Instant>,
}

impl Room {
    pub(super) fn join(
        &mut self,
        player: PlayerInfo,
        client: ClientHandle,
        resume: bool,
        rid: Option<Rid>,
    ) -> Result<(), ErrorCode> {
        if self.closed {
            return Err(ErrorCode::NoSuchRoom);
        }
        if let Some(i) = self.members.iter().position(|m| m.info.id == player.id) {
            // The same player from a new connection takes over the seat,
            // whether the old connection dropped or is still open.
            let member = &mut self.members[i];
            let old = std::mem::replace(&mut member.client, client);
            if member.offline_until.take().is_some() {
                // Back by `join` or by `hello`: either way the directory
                // no longer needs to remember the held seat.
                self.ctx.directory.seat_released(&self.code, &player.id);
                self.set_online(i, true);
            } else {
                old.send_left(LeftReason::Replaced);
            }
            self.members[i].lagging = false;
            self.members[i].sent_ack = None;
            let frame = self.joined_frame(self.members[i].entity, rid);
            return self.send_or_kick(i, frame);
        }
        // A stopping server seats nobody new.
        if resume || self.stop_deadline.is_some() {
            return Err(ErrorCode::NoSuchRoom);
        }
        let manifest = self.game.manifest();
        if self.members.len() as u32 >= manifest.max_players {
            return Err(ErrorCode::RoomFull);
        }
        let slot = (0..manifest.max_players as u8)
            .find(|s| self.members.iter().all(|m| self.slot_of(m) != *s))
            .expect("a free seat exists below max_players");
        let entity = self
            .sim
            .world
            .spawn(Player {
                id: player.id.to_string(),
                name: player.name.to_string(),
                slot,
                online: true,
            })
            .id();
        self.roster.push((entity, player.clone()));
        if let Some(recorder) = &mut self.recorder {
            recorder.push(Step::Seat {
                id: player.id.to_string(),
                name: player.name.to_string(),
            });
        }
        self.members.push(Member {
            info: player,
            entity,
            client,
            queued_seq: 0,
            ack: 0,
            sent_ack: None,
            lagging: false,
            offline_until: None,
        });
        self.metrics.online(1);
        let min = manifest.min_players;
        let mut clock = self.sim.world.resource_mut::<Clock>();
        if clock.match_number == 0 && self.members.len() as u32 >= min {
            clock.match_number = 1;
            self.match_started_at = super::outcome::unix_millis();
        }
        self.dirty = true;
        let seated = self.members.len() as u32;
        self.ctx
            .directory
            .seats_changed(&self.code, seated, Some(&self.members[seated as usize - 1].info.id));
        let frame = self.joined_frame(entity, rid);
        self.send_or_kick(self.members.len() - 1, frame)
    }

    fn slot_of(&self, member: &Member) -> u8 {
        self.sim.world.get::<Player>(member.entity).map_or(u8::MAX, |p| p.slot)
    }

    /// A player's connection dropped: hold the seat for the game's
    /// reconnection grace (a game without one releases it at once). A
    /// notice from a connection that no longer holds the seat is ignored.
    pub(super) fn disconnect(&mut self, player: &str, client: &mpsc::Sender<Outbound>) {
        let Some(i) = self
            .members
            .iter()
            .position(|m| &*m.info.id == player && m.client.tx.same_channel(client))
        else {
            // Not this connection's seat (any more): the held seat the
            // handle recorded is not held, unless the player's seat is
            // held already from an earlier drop.
            let held = self
                .members
                .iter()
                .any(|m| &*m.info.id == player && m.offline_until.is_some());
            if !held {
                self.ctx.directory.seat_released(&self.code, player);
            }
            return;
        };
        let grace = self.game.manifest().reconnect_grace();
        if grace.is_zero() || self.stop_deadline.is_some() {
            self.leave(player);
            self.ctx.directory.seat_released(&self.code, player);
            return;
        }
        self.members[i].offline_until = Some(self.time.now() + grace);
        self.set_online(i, false);
    }

    /// Sets `Player.online` of member `i`; the game sees the change next tick.
    pub(super) fn set_online(&mut self, i: usize, online: bool) {
        if let Some(recorder) = &mut self.recorder {
            recorder.push(Step::Online {
                id: self.members[i].info.id.to_string(),
                online,
            });
        }
        if let Some(mut p) = self.sim.world.get_mut::<Player>(self.members[i].entity) {
            if p.online != online {
                self.metrics.online(if online { 1 } else { -1 });
            }
            p.online = online;
        }
        self.dirty = true;
    }

    /// Releases, as leaves, the seats whose grace has run out.
    pub fn release_expired_seats(&mut self) {
        let now = self.time.now();
        while let Some(i) = self
            .members
            .iter()
            .position(|m| m.offline_until.is_some_and(|t| t <= now))
        {
            let player = self.members[i].info.id.clone();
            self.leave(&player);
            self.ctx.directory.seat_released(&self.code, &player);
        }
    }

    pub(super) fn leave(&mut self, player: &str) {
        let Some(i) = self.members.iter().position(|m| &*m.info.id == player) else {
            return;
        };
        if let Some(recorder) = &mut self.recorder {
            recorder.push(Step::Leave { id: player.to_owned() });
        }
        let member = self.members.swap_remove(i);
        if member.offline_until.is_none() {
            self.metrics.online(-1);
        }
        self.sim.world.despawn(member.entity);
        self.dirty = true;
        if self.members.is_empty() {
            self.closed = true;
        } else {
            self.ctx
                .directory
                .seats_changed(&self.code, self.members.len() as u32, None);
        }
    }

    /// Empties the room, telling every connected member `reason`; held
    /// seats are released.
    pub(super) fn dismiss_all(&mut self, reason: LeftReason) {
        for member in &self.members {
            if member.offline_until.is_some() {
                self.ctx.directory.seat_released(&self.code, &member.info.id);
            } else {
                self.metrics.online(-1);
                if !member.client.send_left(reason) {
                    member.client.signal.kick();
                }
            }
        }
        self.members.clear();
        self.dismiss_watchers(reason);
        self.closed = true;
    }
}
