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
    /// The last tick's values, sorted by type then entity, and their bytes
    /// in `last_bytes`: what every client of the room was sent last, for
    /// lean `p` to send a struct's changed fields only. Kept only while the
    /// room has a lean client and has never hidden anything
    /// ([`Changes::remember`]); swapped with `components` and `bytes`, so
    /// keeping them costs no allocation.
    last: Vec<Value>,
    last_bytes: Vec<u8>,
    /// Some change was once hidden from someone: clients may lack values
    /// others have, so values go whole from then on.
    ever_hidden: bool,
    /// A client got the whole state (a `joined`) since the last patch. Its
    /// values may be newer than `last` (changes made between ticks), so
    /// the next patch sends values whole.
    pub state_sent: bool,
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

    /// Whether a lean `p` of this tick may send a struct value's changed
    /// fields only: every client that gets it then has the last value.
    fn partial_allowed(&self) -> bool {
        !self.hidden && !self.ever_hidden && !self.state_sent
    }

    /// After a tick's patches, before [`Changes::clear`]: keeps this tick's
    /// values for the next tick's changed-fields-only values.
    /// `lean_clients`: whether any client of the room reads lean `p`;
    /// without one nothing is kept.
    pub fn remember(&mut self, replication: &Replication, lean_clients: bool) {
        self.ever_hidden |= self.hidden || replication.may_hide();
        self.last.clear();
        self.last_bytes.clear();
        if !lean_clients || self.ever_hidden {
            return;
        }
        // The swapped-in buffers are empty; `clear` keeps them so.
        std::mem::swap(&mut self.components, &mut self.last);
        std::mem::swap(&mut self.bytes, &mut self.last_bytes);
        // What clients no longer have, they have no last value of.
        if !self.removed.is_empty() || !self.gone.is_empty() {
            let (removed, gone) = (&self.removed, &self.gone);
            self.last.retain(|v| {
                !removed.iter().any(|r| (r.0, r.1) == (v.entity, v.ty)) && !gone.iter().any(|g| g.0 == v.entity)
            });
        }
        self.last.sort_unstable_by_key(|v| (v.ty, v.entity));
    }

    /// The encoded value of `ty` on `entity` that clients were sent last
    /// tick, if they were.
    fn last_value(&self, entity: u64, ty: u16) -> Option<&[u8]> {
        let at = self
            .last
            .binary_search_by_key(&(ty, entity), |v| (v.ty, v.entity))
            .ok()?;
        let v = &self.last[at];
        Some(&self.last_bytes[v.start as usize..v.end as usize])
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
        self.state_sent = false;
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
            // A struct value may go as its changed fields only (lean, and
            // only where every client of this prefix has the last value).
            let partial = lean && self.partial_allowed();
            let mut body = FrameWriter::with_capacity(8 + self.bytes.len() + 4 * values.len());
            // Elements of `c`: a type and count per group, then per value its
            // id and its fields (or its mask and changed fields).
            let mut len = 0;
            for group in values.chunk_by(|a, b| a.ty == b.ty) {
                let ty = group[0].ty;
                let fields = replication.fields_of(ty);
                body.uint(ty as u64).uint(group.len() as u64);
                len += 2;
                for v in group {
                    let value = self.value(v);
                    let inline = fields.map(|n| (n, inline_fields(value, n)));
                    if let (true, Some((n, Some(inline)))) = (partial, inline) {
                        let previous = self.last_value(v.entity, v.ty).and_then(|p| inline_fields(p, n));
                        len += write_changed_fields(&mut body, v.entity, inline, previous, n);
                        continue;
                    }
                    body.uint(v.entity);
                    len += 1 + fields.unwrap_or(1);
                    match inline {
                        None if lean => write_lean(&mut body, value, 1),
                        None => body.raw(value),
                        Some((n, Some(inline))) if lean => write_lean(&mut body, inline, n),
                        Some((_, Some(inline))) => body.raw(inline),
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
                                body.nil();
                            }
                            &mut body
                        }
                    };
                }
            }
            c.array(len as u32).raw(&body.buf);
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

/// Writes a struct value of `n` fields (its `inline` fields) for a lean
/// `p`, with `previous`, the fields the clients have: as the changed fields
/// only when that is smaller (the entity id negated, minus one, then a
/// bitmask of the fields that follow), else whole. Returns the elements
/// written.
fn write_changed_fields(w: &mut FrameWriter, entity: u64, inline: &[u8], previous: Option<&[u8]>, n: usize) -> usize {
    let whole = |w: &mut FrameWriter| {
        w.uint(entity);
        write_lean(w, inline, n);
        1 + n
    };
    let (Some(previous), true, Ok(id)) = (previous, (2..=32).contains(&n), i64::try_from(entity)) else {
        return whole(w);
    };
    let (mut now, mut before) = ([&[][..]; 32], [&[][..]; 32]);
    if !split_fields(inline, &mut now[..n]) || !split_fields(previous, &mut before[..n]) {
        return whole(w);
    }
    let (now, before) = (&now[..n], &before[..n]);
    let mut mask = 0u32;
    let mut changed_size = 0;
    let mut all_size = 0;
    for (i, (field, old)) in now.iter().zip(before).enumerate() {
        let size = whole_float(field).map_or(field.len(), int_len);
        all_size += size;
        if field != old {
            mask |= 1 << i;
            changed_size += size;
        }
    }
    let partial = int_len(-id - 1) + int_len(mask as i64) + changed_size;
    // Whole, from the fields already split, or the mask and its fields.
    let (written, mask) = if partial >= int_len(id) + all_size {
        w.uint(entity);
        (1 + n, u32::MAX)
    } else {
        w.int(-id - 1).uint(mask as u64);
        (2 + mask.count_ones() as usize, mask)
    };
    for (i, field) in now.iter().enumerate() {
        if mask & 1 << i != 0 {
            write_lean(w, field, 1);
        }
    }
    written
}

/// Fills `out` with the values at the start of `fields`, one slice each;
/// false if there are fewer.
fn split_fields<'a>(mut fields: &'a [u8], out: &mut [&'a [u8]]) -> bool {
    for slot in out {
        let Some(len) = value_len(fields) else {
            return false;
        };
        let (field, rest) = fields.split_at(len);
        *slot = field;
        fields = rest;
    }
    true
}

/// The bytes MessagePack takes for integer `v` in its shortest form.
fn int_len(v: i64) -> usize {
    match v {
        -32..=127 => 1,
        -128..=255 => 2,
        -32_768..=65_535 => 3,
        -2_147_483_648..=4_294_967_295 => 5,
        _ => 9,
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded<T: Serialize>(value: &T) -> Vec<u8> {
        rmp_serde::to_vec(value).unwrap()
    }

    #[test]
    fn value_len_walks_every_kind_of_value() {
        let nested = serde_json::json!({"a": [1, -5, 300, 70000, 5_000_000_000u64, 1.5, null, true, "x".repeat(40)],
            "b": {"c": "y".repeat(300)}, "d": [[], {}, -40000, -3_000_000_000i64]});
        let values: Vec<Vec<u8>> = vec![
            encoded(&nested),
            encoded(&1.25f32),
            encoded(&1.25f64),
            encoded(&lists_of_u16()),
            encoded(&"z".repeat(70_000)),
            encoded(&vec![0u8; 20]),
        ];
        for value in &values {
            let mut with_more = value.clone();
            with_more.extend_from_slice(&[0xc0, 0xc3]);
            assert_eq!(value_len(&with_more), Some(value.len()), "{value:x?}");
            // Cut short anywhere: no length.
            for cut in 0..value.len() {
                assert_eq!(value_len(&value[..cut]), None, "{value:x?} cut at {cut}");
            }
        }
        // Extension values, which rmp-serde does not write but a peer could.
        assert_eq!(value_len(&[0xd4, 1, 9, 0xc0]), Some(3));
        assert_eq!(value_len(&[0xc7, 2, 1, 9, 9, 0xc0]), Some(5));
        assert_eq!(value_len(&[0xc1]), None);
    }

    fn lists_of_u16() -> Vec<Vec<u16>> {
        vec![vec![1, 2, 3], vec![], vec![65535; 20]]
    }

    #[test]
    fn whole_floats_and_only_those_become_integers() {
        for (float, int) in [(0.0f64, Some(0)), (1000.0, Some(1000)), (-7.0, Some(-7)), (2.5, None)] {
            assert_eq!(whole_float(&encoded(&float)), int, "{float}");
            assert_eq!(whole_float(&encoded(&(float as f32))), int, "{float} as f32");
        }
        for kept in [
            -0.0f64,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            2f64.powi(53) + 2.0,
            1e300,
        ] {
            assert_eq!(whole_float(&encoded(&kept)), None, "{kept}");
        }
        assert_eq!(whole_float(&encoded(&7u32)), None, "an integer is left as it is");
        // What write_lean writes reads back as the same number.
        let mut w = FrameWriter::default();
        let fields = [encoded(&1000.0f32), encoded(&-0.0f32), encoded(&0.25f32)].concat();
        write_lean(&mut w, &fields, 3);
        let back: (f32, f32, f32) = rmp_serde::from_slice(&[&[0x93][..], &w.buf].concat()).unwrap();
        assert_eq!(back.0, 1000.0);
        assert!(back.1 == 0.0 && back.1.is_sign_negative());
        assert_eq!(back.2, 0.25);
        assert_eq!(w.buf.len(), 3 + 5 + 5);
    }

    #[test]
    fn changed_fields_go_alone_only_when_smaller() {
        let fields = |x: f32, y: f32, name: &str| [encoded(&x), encoded(&y), encoded(&name)].concat();
        let before = fields(1.5, 2.5, "a long enough name");
        let write = |now: &[u8], previous: Option<&[u8]>| {
            let mut w = FrameWriter::default();
            let elements = write_changed_fields(&mut w, 7, now, previous, 3);
            let mut array = FrameWriter::default();
            array.array(elements as u32).raw(&w.buf);
            rmp_serde::from_slice::<serde_json::Value>(&array.buf).unwrap()
        };
        // y alone changed: -(7 + 1), mask 0b010, y.
        let now = fields(1.5, 3.5, "a long enough name");
        assert_eq!(write(&now, Some(&before)), serde_json::json!([-8, 2, 3.5]));
        // Without a last value: whole.
        assert_eq!(
            write(&now, None),
            serde_json::json!([7, 1.5, 3.5, "a long enough name"])
        );
        // Everything changed: the mask would only add bytes, so whole.
        let all = fields(9.5, 8.5, "another name here!");
        assert_eq!(
            write(&all, Some(&before)),
            serde_json::json!([7, 9.5, 8.5, "another name here!"])
        );
        // The whole value is as small as the changed field: whole.
        let small_before = [encoded(&0.0f32), encoded(&1.0f32)].concat();
        let small_now = [encoded(&0.0f32), encoded(&2.0f32)].concat();
        let mut w = FrameWriter::default();
        assert_eq!(write_changed_fields(&mut w, 7, &small_now, Some(&small_before), 2), 3);
    }
}
