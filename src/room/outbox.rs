//! What a room queues to its members: `joined`, patches, events and
//! errors, within each member's bounded outbound queue.
//!
//! A patch is queued only while more than `outbound_reserve` slots are
//! free; a member with fewer is marked lagging and later gets a fresh
//! `joined` instead of what it missed. Frames that must arrive use the
//! reserve, and a member that cannot take even those is kicked.

use bevy_ecs::prelude::*;
use bytes::Bytes;

use super::{Outbound, Room};
use crate::game::{entity_id, Clock, GameEvents};
use crate::protocol::{frames, ErrorCode, Rid};

impl Room {
    /// A full `joined` frame for the member whose entity is `you`.
    pub fn joined_frame(&mut self, you: Entity, rid: Option<Rid>) -> Bytes {
        let state = self.sim.replication.snapshot(&mut self.sim.world).encode_state();
        frames::joined(&frames::Joined {
            room: &self.code,
            invite: self.invite.as_deref(),
            game: &self.game.manifest().name,
            you: entity_id(you),
            tick: self.sim.world.resource::<Clock>().tick,
            schema: self.game.schema(),
            state: &state,
            rid,
        })
    }

    /// The room's seats and replicated state, for the operator page.
    pub(super) fn inspect(&mut self) -> super::RoomInspection {
        let state = self.sim.replication.snapshot(&mut self.sim.world).encode_state();
        let json = |bytes: &[u8]| rmp_serde::from_slice(bytes).unwrap_or(serde_json::Value::Null);
        super::RoomInspection {
            tick: self.sim.world.resource::<Clock>().tick,
            running: self.match_running(),
            players: self
                .members
                .iter()
                .map(|m| {
                    (
                        m.info.id.to_string(),
                        m.info.name.to_string(),
                        m.offline_until.is_none(),
                    )
                })
                .collect(),
            schema: json(self.game.schema()),
            state: json(&state),
        }
    }

    /// Queues a frame that must arrive; a client too far behind for it is
    /// disconnected.
    pub(super) fn send_or_kick(&self, i: usize, frame: Bytes) -> Result<(), crate::protocol::ErrorCode> {
        let client = &self.members[i].client;
        if !client.send_frame(frame) {
            client.signal.kick();
            return Err(ErrorCode::Internal);
        }
        Ok(())
    }

    /// `illegal_input` to the senders of the inputs the game refused.
    pub(super) fn send_rejections(&mut self) {
        let rejections = self.sim.finish_inputs();
        self.metrics.inputs_settled(rejections.len());
        for (entity, reject) in rejections {
            if let Some(i) = self.members.iter().position(|m| m.entity == entity) {
                let _ = self.send_or_kick(i, frames::error(ErrorCode::IllegalInput, &reject.0, None));
            }
        }
    }

    pub(super) fn send_events(&mut self) {
        let Some(mut events) = self.sim.world.get_resource_mut::<GameEvents>() else {
            return;
        };
        let events = std::mem::take(&mut events.queue);
        for (to, name, data) in events {
            let frame = frames::event(&name, &data);
            for i in 0..self.members.len() {
                if self.members[i].offline_until.is_none() && to.is_none_or(|e| e == self.members[i].entity) {
                    let _ = self.send_or_kick(i, frame.clone());
                }
            }
        }
    }

    pub(super) fn send_patch(&mut self) {
        let tick = self.sim.world.resource::<Clock>().tick;
        let sim = &mut self.sim;
        sim.replication.collect(&mut sim.world, &mut sim.changes);
        // Each format is encoded once per tick, and only if a member reads it.
        let (plain, compact) = self.members.iter().fold((false, false), |(p, c), m| {
            (p || !m.client.compact, c || m.client.compact)
        });
        let compact_prefix = compact.then(|| sim.changes.encode_compact_prefix(tick, &sim.world, &sim.replication));
        let prefix = plain.then(|| sim.changes.encode_patch_prefix(tick, &sim.world));
        sim.changes.clear();
        // Collection compares change ticks with this point: from here on,
        // every change belongs to the next patch.
        sim.world.clear_trackers();

        let reserve = self.ctx.outbound_reserve;
        for i in 0..self.members.len() {
            let member = &self.members[i];
            if member.offline_until.is_some() {
                continue;
            }
            let free = member.client.tx.capacity();
            if free <= reserve {
                self.members[i].lagging = true;
                continue;
            }
            if member.lagging {
                let frame = self.joined_frame(self.members[i].entity, None);
                if self.members[i].client.send_frame(frame) {
                    self.members[i].lagging = false;
                    self.ctx.metrics.resync();
                }
                continue;
            }
            let (compact, prefix) = match (member.client.compact, &compact_prefix, &prefix) {
                (true, Some(p), _) | (false, _, Some(p)) => (member.client.compact, p.clone()),
                _ => continue,
            };
            let _ = member.client.tx.try_send(Outbound::Patch {
                stay: member.client.stay,
                compact,
                prefix,
                ack: member.ack,
            });
        }
    }
}
