//! What a room sends its members: `joined`, patches, events and errors,
//! within each member's bounded outbound queue. A patch goes straight to
//! the member's socket instead when nothing waits before it (`outlet.rs`).
//!
//! A patch is sent only while more than `outbound_reserve` slots are
//! free; a member with fewer is marked lagging and later gets a fresh
//! `joined` instead of what it missed. Frames that must arrive use the
//! reserve, and a member that cannot take even those is kicked.

use bevy_ecs::prelude::*;
use bytes::Bytes;

use super::{ClientHandle, Outbound, Room};
use crate::game::{entity_id, Clock, GameEvents};
use crate::protocol::{frames, ErrorCode, PatchForm, Rid};
use crate::replication::{Changes, Replication, View};

impl Room {
    /// A full `joined` frame for the member whose entity is `you`: the
    /// state as that player may see it.
    pub fn joined_frame(&mut self, you: Entity, rid: Option<Rid>) -> Bytes {
        self.state_frame(View::Player(you), Some(entity_id(you)), rid)
    }

    /// A full `joined` frame for a spectator: the public view.
    pub(super) fn watch_frame(&mut self, rid: Option<Rid>) -> Bytes {
        self.state_frame(View::Public, None, rid)
    }

    fn state_frame(&mut self, view: View, you: Option<u64>, rid: Option<Rid>) -> Bytes {
        // This client may hold values newer than the last patch's.
        self.sim.changes.state_sent = true;
        let state = self.sim.replication.snapshot(&mut self.sim.world).encode_state(view);
        frames::joined(&frames::Joined {
            room: &self.code,
            invite: self.invite.as_deref(),
            game: &self.game.manifest().name,
            you,
            fair: Some(self.seed.commit()),
            tick: self.sim.world.resource::<Clock>().tick,
            schema: self.game.schema(),
            state: &state,
            rid,
        })
    }

    /// The room's seats and replicated state (hidden values included), for
    /// the operator page.
    pub(super) fn inspect(&mut self) -> super::RoomInspection {
        let state = self
            .sim
            .replication
            .snapshot(&mut self.sim.world)
            .encode_state(View::All);
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
            spectators: self.watchers.len(),
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
            if to.is_none() {
                for watcher in &self.watchers {
                    if !watcher.client.send_frame(frame.clone()) {
                        watcher.client.signal.kick();
                    }
                }
            }
        }
    }

    /// Collects the tick's changes and queues each member and spectator
    /// its patch. A patch is encoded once per format and per distinct view:
    /// with nothing hidden this tick, once for everyone; with private
    /// values, once per group of clients that see the same ones.
    pub(super) fn send_patch(&mut self) {
        let tick = self.sim.world.resource::<Clock>().tick;
        let sim = &mut self.sim;
        sim.replication.collect(&mut sim.world, &mut sim.changes);
        let mut views = Views {
            hidden: sim.changes.has_hidden(),
            tick,
            encoded: Vec::new(),
        };
        let reserve = self.ctx.outbound_reserve;
        // Frames and bytes written straight to sockets, for the metrics.
        let (mut written, mut bytes) = (0, 0);
        let mut count = |sent: Option<usize>| {
            if let Some(n) = sent {
                written += 1;
                bytes += n as u64;
            }
        };
        for i in 0..self.members.len() {
            let member = &self.members[i];
            if member.offline_until.is_some() {
                continue;
            }
            if member.client.tx.capacity() <= reserve {
                self.members[i].lagging = true;
                continue;
            }
            if member.lagging {
                let frame = self.joined_frame(self.members[i].entity, None);
                if self.members[i].client.send_frame(frame) {
                    self.members[i].lagging = false;
                    self.members[i].sent_ack = None;
                    self.ctx.metrics.resync();
                }
                continue;
            }
            let view = View::Player(member.entity);
            let form = member.client.form;
            let prefix = views.prefix(&mut self.sim.changes, &self.sim.replication, view, form);
            let member = &mut self.members[i];
            // A lean `p` carries the ack only when this client has not
            // been sent it yet.
            let ack = match form {
                PatchForm::Lean if member.sent_ack == Some(member.ack) => None,
                _ => Some(member.ack),
            };
            member.sent_ack = Some(member.ack);
            count(send_patch_to(&member.client, prefix, ack));
        }
        for i in 0..self.watchers.len() {
            let watcher = &self.watchers[i];
            if watcher.client.tx.capacity() <= reserve {
                self.watchers[i].lagging = true;
                continue;
            }
            if watcher.lagging {
                let frame = self.watch_frame(None);
                if self.watchers[i].client.send_frame(frame) {
                    self.watchers[i].lagging = false;
                    self.ctx.metrics.resync();
                }
                continue;
            }
            let form = watcher.client.form;
            let prefix = views.prefix(&mut self.sim.changes, &self.sim.replication, View::Public, form);
            // A spectator's ack is always 0: a lean `p` leaves it out.
            let ack = (form != PatchForm::Lean).then_some(0);
            count(send_patch_to(&self.watchers[i].client, prefix, ack));
        }
        self.ctx.metrics.sent_straight(written, bytes);
        let lean = |c: &ClientHandle| c.form == PatchForm::Lean;
        let lean_clients =
            self.members.iter().any(|m| lean(&m.client)) || self.watchers.iter().any(|w| lean(&w.client));
        self.sim.changes.remember(&self.sim.replication, lean_clients);
        self.sim.changes.clear();
        // Collection compares change ticks with this point: from here on,
        // every change belongs to the next patch.
        self.sim.world.clear_trackers();
    }
}

/// Writes a patch straight to the client's socket when it may go now,
/// else queues the prefix for the connection to append `ack`; with none (a
/// lean `p` whose ack did not change) the prefix is the whole frame.
/// Returns the length of a frame written straight.
fn send_patch_to(client: &ClientHandle, prefix: Bytes, ack: Option<u32>) -> Option<usize> {
    if let Some(outlet) = client.outlet.upgrade() {
        if let Some(written) = outlet.write_patch(client.stay, client.form, &prefix, ack) {
            return Some(written);
        }
    }
    client.push(match ack {
        Some(ack) => Outbound::Patch {
            stay: client.stay,
            form: client.form,
            prefix,
            ack,
        },
        None => Outbound::RoomFrame {
            stay: client.stay,
            frame: prefix,
        },
    });
    None
}

/// The patches of one tick, encoded once per form and per distinct view.
struct Views {
    /// Whether any change is hidden from someone (else one view for all).
    hidden: bool,
    tick: u64,
    /// (which hidden changes the view sees, its prefix in each form).
    encoded: Vec<(Vec<u64>, [Option<Bytes>; 3])>,
}

impl Views {
    /// The prefix for `view` in the client's form, encoding it if no
    /// client with the same view and form has had it yet.
    fn prefix(&mut self, changes: &mut Changes, replication: &Replication, view: View, form: PatchForm) -> Bytes {
        // With nothing hidden this tick, every view is the same one.
        let at = if !self.hidden && !self.encoded.is_empty() {
            0
        } else {
            let signature = if self.hidden {
                changes.signature(view)
            } else {
                Vec::new()
            };
            match self.encoded.iter().position(|(s, _)| *s == signature) {
                Some(at) => at,
                None => {
                    self.encoded.push((signature, Default::default()));
                    self.encoded.len() - 1
                }
            }
        };
        let tick = self.tick;
        self.encoded[at].1[form as usize]
            .get_or_insert_with(|| match form {
                PatchForm::Patch => changes.encode_patch_prefix(tick, view),
                PatchForm::Compact | PatchForm::Lean => changes.encode_compact_prefix(tick, view, replication, form),
            })
            .clone()
    }
}
