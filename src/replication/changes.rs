//! [`Changes`]: one tick's replicated values, already encoded, each with
//! who may see it, and the `patch`, `p` and `joined` lists written from
//! them for one view at a time.

use bevy_ecs::prelude::*;
use bytes::Bytes;
use serde::Serialize;

use super::visibility::{Audience, Gate, Lists, Lost, SightChanges, Sights, View};
use super::Replication;
use crate::game::entity_id;
use crate::protocol::{frames, FrameWriter, PatchForm};

/// One encoded value in [`Changes::bytes`].
#[derive(Debug, Clone, Copy)]
struct Value {
    entity: u64,
    ty: u16,
    start: u32,
    end: u32,
    audience: Audience,
}

/// What changed in a room during one tick (or all of it, for a snapshot),
/// with values encoded and who may see each.
#[derive(Default, Debug)]
pub struct Changes {
    bytes: Vec<u8>,
    components: Vec<Value>,
    resources: Vec<Value>,
    /// Removed components of live entities: (entity id, type, audience).
    removed: Vec<(u64, u16, Audience)>,
    /// Entities gone from a view: despawned, or hidden from some players.
    gone: Vec<(u64, Audience)>,
    /// Despawned entities seen by a collector, until `settle` knows who saw
    /// them.
    despawned: Vec<Entity>,
    pub(super) lists: Lists,
    /// The values of the view being encoded.
    scratch: Vec<Value>,
    /// Some change is not for everyone: views differ.
    hidden: bool,
}

impl Changes {
    fn push_value<T: Serialize>(&mut self, entity: u64, ty: u16, value: &T, audience: Audience) -> Value {
        let start = self.bytes.len() as u32;
        rmp_serde::encode::write(&mut self.bytes, value).expect("replicated values serialize to MessagePack");
        Value {
            entity,
            ty,
            start,
            end: self.bytes.len() as u32,
            audience,
        }
    }

    pub(super) fn component<T: Serialize>(&mut self, entity: Entity, ty: u16, value: &T, audience: Audience) {
        if audience == Audience::Nobody {
            return;
        }
        let v = self.push_value(entity_id(entity), ty, value, audience);
        self.hidden |= audience != Audience::Everyone;
        self.components.push(v);
    }

    pub(super) fn resource<T: Serialize>(&mut self, ty: u16, value: &T) {
        let v = self.push_value(0, ty, value, Audience::Everyone);
        self.resources.push(v);
    }

    /// Component `ty` was removed from `entity`, or `entity` despawned.
    pub(super) fn removed(&mut self, world: &World, entity: Entity, ty: u16, private: bool, gate: &Gate) {
        if world.get_entity(entity).is_err() {
            self.despawned.push(entity);
            return;
        }
        let audience = gate.audience(world, entity, private, &mut self.lists);
        if audience != Audience::Nobody {
            self.hidden |= audience != Audience::Everyone;
            self.removed.push((entity_id(entity), ty, audience));
        }
    }

    /// After every collector: despawns go to whoever saw the entity,
    /// players who stopped seeing an entity get it `gone`, and a former
    /// owner loses the private components (`private_types(entity, push)`
    /// lists those the entity carries).
    pub(super) fn settle(
        &mut self,
        sights: &mut Sights,
        changed: SightChanges,
        private_types: impl Fn(Entity, &mut dyn FnMut(u16)),
    ) {
        self.despawned.sort_unstable();
        self.despawned.dedup();
        for entity in std::mem::take(&mut self.despawned) {
            let audience = match sights.seen_by(entity) {
                Some(players) => Audience::Listed(self.lists.push(players.clone())),
                None => Audience::Everyone,
            };
            self.hidden |= audience != Audience::Everyone;
            self.gone.push((entity_id(entity), audience));
            sights.forget(entity);
        }
        for (entity, lost) in changed.hidden {
            let audience = match lost {
                Lost::Players(players) => Audience::Listed(self.lists.push(players)),
                Lost::AllBut(players) => Audience::AllBut(self.lists.push(players)),
            };
            self.hidden = true;
            self.gone.push((entity_id(entity), audience));
        }
        for (entity, owner) in changed.disowned {
            self.hidden = true;
            let removed = &mut self.removed;
            private_types(entity, &mut |ty| {
                removed.push((entity_id(entity), ty, Audience::Player(owner)))
            });
        }
    }

    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.components.is_empty() && self.resources.is_empty() && self.removed.is_empty() && self.gone.is_empty()
    }

    /// Whether some change is not for everyone: views then differ.
    pub fn has_hidden(&self) -> bool {
        self.hidden
    }

    /// Which of the changes not for everyone `view` sees, one bit each:
    /// views with equal signatures get equal frames.
    pub fn signature(&self, view: View) -> Vec<u64> {
        let lists = &self.lists.lists;
        let hidden = self
            .components
            .iter()
            .map(|v| v.audience)
            .chain(self.removed.iter().map(|r| r.2))
            .chain(self.gone.iter().map(|g| g.1))
            .filter(|a| *a != Audience::Everyone);
        let mut bits = Vec::new();
        for (i, audience) in hidden.enumerate() {
            if i % 64 == 0 {
                bits.push(0);
            }
            if view.sees(audience, lists) {
                *bits.last_mut().expect("pushed above") |= 1 << (i % 64);
            }
        }
        bits
    }

    /// Empties the buffer, keeping its allocations.
    pub fn clear(&mut self) {
        self.bytes.clear();
        self.components.clear();
        self.resources.clear();
        self.removed.clear();
        self.gone.clear();
        self.despawned.clear();
        self.lists.clear();
        self.hidden = false;
    }

    fn value(&self, v: &Value) -> &[u8] {
        &self.bytes[v.start as usize..v.end as usize]
    }

    /// Fills `scratch` with the components `view` sees, sorted by `key`.
    /// The components `view` sees, sorted by `key`: the tick's own list,
    /// lent (`true`) when nothing is hidden from the view, else a filtered
    /// copy in `scratch`. Hand it back with [`Changes::give_back`].
    fn visible<K: Ord>(&mut self, view: View, key: impl Fn(&Value) -> K) -> (Vec<Value>, bool) {
        self.components.sort_by_key(&key);
        if !self.hidden || view == View::All {
            return (std::mem::take(&mut self.components), true);
        }
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.clear();
        let lists = &self.lists.lists;
        scratch.extend(self.components.iter().filter(|v| view.sees(v.audience, lists)));
        (scratch, false)
    }

    fn give_back(&mut self, (values, lent): (Vec<Value>, bool)) {
        if lent {
            self.components = values;
        } else {
            self.scratch = values;
        }
    }

    /// Writes `[[entity id, [[type index, value], ...]], ...]`.
    fn write_entities(&mut self, view: View, w: &mut FrameWriter) {
        let (values, lent) = self.visible(view, |v| (v.entity, v.ty));
        let groups = values.chunk_by(|a, b| a.entity == b.entity);
        w.array(groups.clone().count() as u32);
        for group in groups {
            w.array(2).uint(group[0].entity).array(group.len() as u32);
            for v in group {
                w.array(2).uint(v.ty as u64).raw(self.value(v));
            }
        }
        self.give_back((values, lent));
    }

    fn write_resources(&self, w: &mut FrameWriter) {
        w.array(self.resources.len() as u32);
        for v in &self.resources {
            w.array(2).uint(v.ty as u64).raw(self.value(v));
        }
    }

    /// The encoded `state` map of a `joined` message, as `view` sees it.
    pub fn encode_state(&mut self, view: View) -> Vec<u8> {
        let mut w = FrameWriter::with_capacity(16 + self.bytes.len() + 12 * self.components.len());
        w.map(2).str("e");
        self.write_entities(view, &mut w);
        w.str("r");
        self.write_resources(&mut w);
        w.buf
    }

    /// Removed components of live entities, and entities gone, as `view`
    /// sees them.
    fn removals(&self, view: View) -> (Vec<(u64, u16)>, Vec<u64>) {
        let lists = &self.lists.lists;
        let mut rm: Vec<(u64, u16)> = self
            .removed
            .iter()
            .filter(|r| view.sees(r.2, lists))
            .map(|r| (r.0, r.1))
            .collect();
        let mut gone: Vec<u64> = self
            .gone
            .iter()
            .filter(|g| view.sees(g.1, lists))
            .map(|g| g.0)
            .collect();
        gone.sort_unstable();
        gone.dedup();
        rm.sort_unstable();
        rm.dedup();
        (rm, gone)
    }

    /// Encodes the shared part of a compact patch (`p`, a protocol
    /// extension, docs/protocol.md) as `view` sees it: everything but the
    /// ack, which each client's connection appends. Components are grouped
    /// by type, and a struct's fields are written inline (the client knows
    /// their count from the schema), which saves the array headers patch
    /// spends on every value.
    pub fn encode_compact_prefix(
        &mut self,
        tick: u64,
        view: View,
        replication: &Replication,
        form: PatchForm,
    ) -> Bytes {
        let lean = form == PatchForm::Lean;
        let (rm, gone) = self.removals(view);
        let (values, lent) = self.visible(view, |v| (v.ty, v.entity));
        let mut c = FrameWriter::default();
        if !values.is_empty() {
            let groups = values.chunk_by(|a, b| a.ty == b.ty);
            // Every inline field is an element of the array.
            let len: usize = groups
                .clone()
                .map(|g| 2 + g.len() * (1 + replication.fields_of(g[0].ty).unwrap_or(1)))
                .sum();
            c.buf.reserve(8 + self.bytes.len() + 4 * values.len());
            c.array(len as u32);
            for group in groups {
                let ty = group[0].ty;
                let fields = replication.fields_of(ty);
                c.uint(ty as u64).uint(group.len() as u64);
                for v in group {
                    c.uint(v.entity);
                    let value = self.value(v);
                    match fields.map(|n| (n, inline_fields(value, n))) {
                        None if lean => write_lean(&mut c, value, 1),
                        None => c.raw(value),
                        Some((n, Some(inline))) if lean => write_lean(&mut c, inline, n),
                        Some((_, Some(inline))) => c.raw(inline),
                        Some((n, None)) => {
                            // A game type whose Serialize does not match its
                            // fields (a custom impl, skipped fields): the
                            // schema cannot describe it. Nils keep the rest
                            // of the patch aligned.
                            tracing::error!(
                                ty = replication.name_of(ty),
                                "a replicated struct did not encode as an array of its fields"
                            );
                            for _ in 0..n {
                                c.nil();
                            }
                            &mut c
                        }
                    };
                }
            }
        }
        self.give_back((values, lent));
        let mut m = FrameWriter::default();
        if !rm.is_empty() {
            m.array(rm.len() as u32 * 2);
            for (id, ty) in &rm {
                m.uint(*id).uint(*ty as u64);
            }
        }
        let mut g = FrameWriter::default();
        if !gone.is_empty() {
            g.array(gone.len() as u32);
            for id in &gone {
                g.uint(*id);
            }
        }
        let mut r = FrameWriter::default();
        if !self.resources.is_empty() {
            r.array(self.resources.len() as u32 * 2);
            for v in &self.resources {
                r.uint(v.ty as u64).raw(self.value(v));
            }
        }
        fn present(w: &FrameWriter) -> Option<&[u8]> {
            (!w.buf.is_empty()).then_some(&w.buf[..])
        }
        frames::compact_patch_prefix(
            (!lean).then_some(tick),
            &frames::CompactLists {
                c: present(&c),
                m: present(&m),
                g: present(&g),
                r: present(&r),
            },
        )
    }

    /// Encodes the shared part of a `patch` as `view` sees it: everything
    /// but `ack`, which each client's connection appends.
    pub fn encode_patch_prefix(&mut self, tick: u64, view: View) -> Bytes {
        let (rm, gone) = self.removals(view);
        let mut ch = FrameWriter::with_capacity(8 + self.bytes.len() + 12 * self.components.len());
        self.write_entities(view, &mut ch);
        let mut rm_list = FrameWriter::default();
        let groups = rm.chunk_by(|a, b| a.0 == b.0);
        rm_list.array(groups.clone().count() as u32);
        for group in groups {
            rm_list.array(2).uint(group[0].0).array(group.len() as u32);
            for (_, ty) in group {
                rm_list.uint(*ty as u64);
            }
        }
        let mut gone_list = FrameWriter::default();
        gone_list.array(gone.len() as u32);
        for id in &gone {
            gone_list.uint(*id);
        }
        let mut r = FrameWriter::default();
        if !self.resources.is_empty() {
            self.write_resources(&mut r);
        }
        frames::patch_prefix(
            tick,
            &frames::PatchLists {
                ch: &ch.buf,
                rm: &rm_list.buf,
                gone: &gone_list.buf,
                r: (!r.buf.is_empty()).then_some(&r.buf[..]),
            },
        )
    }
}

/// Writes the `n` values at the start of `values` (a component value, or a
/// struct's inline fields) for a lean `p`: a float that holds a whole
/// number travels as the integer, which a client reads as the same number
/// in fewer bytes (0.0 in one byte instead of five); anything else as it
/// is. Minus zero, NaN, the infinities and whole numbers beyond 2^53 stay
/// floats.
fn write_lean<'w>(w: &'w mut FrameWriter, mut values: &[u8], n: usize) -> &'w mut FrameWriter {
    let start = w.buf.len();
    for _ in 0..n {
        let Some(len) = value_len(values) else {
            // Not n whole values (cannot happen for what rmp-serde wrote):
            // the values as they are, so nothing after them shifts.
            w.buf.truncate(start);
            return w.raw(values);
        };
        let (value, rest) = values.split_at(len);
        match whole_float(value) {
            Some(int) => w.int(int),
            None => w.raw(value),
        };
        values = rest;
    }
    w
}

/// The whole number an encoded float holds, if it holds one exactly.
fn whole_float(value: &[u8]) -> Option<i64> {
    let float = match value {
        [0xca, bytes @ ..] => f32::from_be_bytes(bytes.try_into().ok()?) as f64,
        [0xcb, bytes @ ..] => f64::from_be_bytes(bytes.try_into().ok()?),
        _ => return None,
    };
    let whole =
        float.fract() == 0.0 && float.abs() <= (1u64 << 53) as f64 && !(float == 0.0 && float.is_sign_negative());
    whole.then_some(float as i64)
}

/// The length of the first MessagePack value in `buf`; `None` if it is
/// cut short or not MessagePack.
fn value_len(buf: &[u8]) -> Option<usize> {
    use rmp::Marker;
    // A big-endian length of `n` bytes after the marker.
    let length =
        |n: usize| -> Option<usize> { Some(buf.get(1..1 + n)?.iter().fold(0usize, |a, b| a << 8 | *b as usize)) };
    // (bytes before the payload, payload bytes, nested values)
    let (head, body, items) = match Marker::from_u8(*buf.first()?) {
        Marker::FixPos(_) | Marker::FixNeg(_) | Marker::Null | Marker::True | Marker::False => (1, 0, 0),
        Marker::U8 | Marker::I8 => (2, 0, 0),
        Marker::U16 | Marker::I16 => (3, 0, 0),
        Marker::U32 | Marker::I32 | Marker::F32 => (5, 0, 0),
        Marker::U64 | Marker::I64 | Marker::F64 => (9, 0, 0),
        Marker::FixStr(n) => (1, n as usize, 0),
        Marker::Str8 | Marker::Bin8 => (2, length(1)?, 0),
        Marker::Str16 | Marker::Bin16 => (3, length(2)?, 0),
        Marker::Str32 | Marker::Bin32 => (5, length(4)?, 0),
        Marker::FixArray(n) => (1, 0, n as usize),
        Marker::Array16 => (3, 0, length(2)?),
        Marker::Array32 => (5, 0, length(4)?),
        Marker::FixMap(n) => (1, 0, 2 * n as usize),
        Marker::Map16 => (3, 0, 2 * length(2)?),
        Marker::Map32 => (5, 0, 2 * length(4)?),
        Marker::FixExt1 => (2, 1, 0),
        Marker::FixExt2 => (2, 2, 0),
        Marker::FixExt4 => (2, 4, 0),
        Marker::FixExt8 => (2, 8, 0),
        Marker::FixExt16 => (2, 16, 0),
        Marker::Ext8 => (3, length(1)?, 0),
        Marker::Ext16 => (4, length(2)?, 0),
        Marker::Ext32 => (6, length(4)?, 0),
        Marker::Reserved => return None,
    };
    let mut at = head + body;
    for _ in 0..items {
        at += value_len(buf.get(at..)?)?;
    }
    (at <= buf.len()).then_some(at)
}

/// A struct value's fields without the array header around them, if it is
/// an array of exactly the schema's field count; the count is checked so a
/// mismatch cannot shift every value after it.
fn inline_fields(value: &[u8], fields: usize) -> Option<&[u8]> {
    let mut rest = value;
    match rmp::decode::read_array_len(&mut rest) {
        Ok(n) if n as usize == fields => Some(rest),
        _ => None,
    }
}
