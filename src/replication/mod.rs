//! Replication: bevy change detection on the types a game marked replicated,
//! turned into the lists of one `patch` per room per tick and into full
//! `joined` states; [`crate::protocol::frames`] writes the frames around them.
//!
//! After the game's systems have run, [`Replication::collect`] reads, for
//! each replicated type, what changed since the previous collection (bevy's
//! change ticks against the world's last `clear_trackers`, and its removed
//! components) and appends it to [`Changes`], values already encoded compact
//! (a struct as an array in field order). The room then writes the patch
//! frame around those bytes once and hands the same bytes to every client.
//!
//! The collection is plain functions over cached `QueryState`s rather than a
//! system per type: a system and its place in a schedule cost kilobytes per
//! room, and idle rooms are meant to be cheap (docs/benchmarks.md).

mod schema;

use std::any::Any;
use std::sync::Arc;

use bevy_ecs::prelude::*;
use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::game::{entity_id, Player};
use crate::protocol::{frames, FrameWriter};
pub use schema::field_names;

/// Per-room state of one type's collector (its cached query).
type CollectorState = Option<Box<dyn Any + Send + Sync>>;
type Snapshot = fn(&mut World, u16, &mut Changes);
type Collect = fn(&mut World, &mut CollectorState, u16, &mut Changes);

/// One replicated type: its schema entry and how to read it.
pub struct ReplicatedType {
    name: &'static str,
    fields: Option<Vec<&'static str>>,
    snapshot: Snapshot,
    collect: Collect,
}

/// The replicated types of one room, in schema index order, and the state
/// of their collectors. The type table is shared by all rooms of a game.
pub struct Replication {
    types: Arc<Vec<ReplicatedType>>,
    states: Vec<CollectorState>,
}

impl Replication {
    /// A registry holding the engine's `Player` component as type 0.
    pub(crate) fn new() -> Self {
        let mut replication = Replication {
            types: Arc::new(Vec::new()),
            states: Vec::new(),
        };
        replication.add_component::<Player>();
        replication
    }

    fn push(&mut self, t: ReplicatedType) {
        assert!(
            self.types.iter().all(|known| known.name != t.name),
            "{} is replicated twice, or two replicated types share this name",
            t.name
        );
        assert!(
            self.types.len() < u16::MAX as usize,
            "fewer than 65535 replicated types"
        );
        Arc::get_mut(&mut self.types)
            .expect("types are registered before the table is shared")
            .push(t);
        self.states.push(None);
    }

    pub(crate) fn add_component<C: Component + Serialize + DeserializeOwned>(&mut self) {
        self.push(ReplicatedType {
            name: crate::protocol::wire_name::<C>(),
            fields: field_names::<C>(),
            snapshot: snapshot_component::<C>,
            collect: collect_component::<C>,
        });
    }

    pub(crate) fn add_resource<R: Resource + Serialize + DeserializeOwned>(&mut self) {
        self.push(ReplicatedType {
            name: crate::protocol::wire_name::<R>(),
            fields: field_names::<R>(),
            snapshot: snapshot_resource::<R>,
            collect: collect_resource::<R>,
        });
    }

    /// Shares `table` (the same game's types, registered by an earlier room)
    /// instead of this room's own copy.
    pub(crate) fn share(&mut self, table: &Arc<Vec<ReplicatedType>>) {
        let same =
            table.len() == self.types.len() && table.iter().zip(self.types.iter()).all(|(a, b)| a.name == b.name);
        assert!(same, "a game must register the same replicated types in every room");
        self.types = table.clone();
    }

    /// The type table, to share with later rooms.
    pub(crate) fn table(&self) -> &Arc<Vec<ReplicatedType>> {
        &self.types
    }

    /// Appends what changed since the previous collection to `changes`.
    pub fn collect(&mut self, world: &mut World, changes: &mut Changes) {
        for (index, t) in self.types.iter().enumerate() {
            (t.collect)(world, &mut self.states[index], index as u16, changes);
        }
    }

    /// Writes the `schema` array.
    pub fn write_schema(&self, w: &mut FrameWriter) {
        w.array(self.types.len() as u32);
        for t in self.types.iter() {
            w.array(2).str(t.name);
            match &t.fields {
                Some(fields) => {
                    w.array(fields.len() as u32);
                    for f in fields {
                        w.str(f);
                    }
                }
                None => {
                    w.nil();
                }
            }
        }
    }

    /// Every replicated entity and resource, as a `joined` `state` needs it.
    pub fn snapshot(&self, world: &mut World) -> Changes {
        let mut changes = Changes::default();
        for (index, t) in self.types.iter().enumerate() {
            (t.snapshot)(world, index as u16, &mut changes);
        }
        changes
    }
}

/// One encoded value in [`Changes::bytes`].
#[derive(Debug, Clone, Copy)]
struct Value {
    entity: u64,
    ty: u16,
    start: u32,
    end: u32,
}

/// What changed in a room during one tick (or all of it, for a snapshot),
/// with values encoded.
#[derive(Default, Debug)]
pub struct Changes {
    bytes: Vec<u8>,
    components: Vec<Value>,
    resources: Vec<Value>,
    removed: Vec<(Entity, u16)>,
}

impl Changes {
    fn push_value<T: Serialize>(&mut self, entity: u64, ty: u16, value: &T) -> Value {
        let start = self.bytes.len() as u32;
        rmp_serde::encode::write(&mut self.bytes, value).expect("replicated values serialize to MessagePack");
        Value {
            entity,
            ty,
            start,
            end: self.bytes.len() as u32,
        }
    }

    fn component<T: Serialize>(&mut self, entity: Entity, ty: u16, value: &T) {
        let v = self.push_value(entity_id(entity), ty, value);
        self.components.push(v);
    }

    fn resource<T: Serialize>(&mut self, ty: u16, value: &T) {
        let v = self.push_value(0, ty, value);
        self.resources.push(v);
    }

    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.components.is_empty() && self.resources.is_empty() && self.removed.is_empty()
    }

    /// Empties the buffer, keeping its allocations.
    pub fn clear(&mut self) {
        self.bytes.clear();
        self.components.clear();
        self.resources.clear();
        self.removed.clear();
    }

    fn value(&self, v: &Value) -> &[u8] {
        &self.bytes[v.start as usize..v.end as usize]
    }

    /// Writes `[[entity id, [[type index, value], ...]], ...]`.
    fn write_entities(&mut self, w: &mut FrameWriter) {
        self.components.sort_by_key(|v| (v.entity, v.ty));
        let groups = self.components.chunk_by(|a, b| a.entity == b.entity);
        w.array(groups.clone().count() as u32);
        for group in groups {
            w.array(2).uint(group[0].entity).array(group.len() as u32);
            for v in group {
                w.array(2).uint(v.ty as u64).raw(self.value(v));
            }
        }
    }

    fn write_resources(&self, w: &mut FrameWriter) {
        w.array(self.resources.len() as u32);
        for v in &self.resources {
            w.array(2).uint(v.ty as u64).raw(self.value(v));
        }
    }

    /// The encoded `state` map of a `joined` message.
    pub fn encode_state(&mut self) -> Vec<u8> {
        let mut w = FrameWriter::with_capacity(16 + self.bytes.len() + 12 * self.components.len());
        w.map(2).str("e");
        self.write_entities(&mut w);
        w.str("r");
        self.write_resources(&mut w);
        w.buf
    }

    /// Removed components of live entities, and despawned entities.
    fn removals(&self, world: &World) -> (Vec<(u64, u16)>, Vec<u64>) {
        let mut gone: Vec<u64> = Vec::new();
        let mut rm: Vec<(u64, u16)> = Vec::new();
        for &(entity, ty) in &self.removed {
            if world.get_entity(entity).is_ok() {
                rm.push((entity_id(entity), ty));
            } else {
                gone.push(entity_id(entity));
            }
        }
        gone.sort_unstable();
        gone.dedup();
        rm.sort_unstable();
        (rm, gone)
    }

    /// Encodes the shared part of a compact patch (`p`, a protocol
    /// extension, docs/protocol.md): everything but the ack, which each
    /// client's connection appends. Components are grouped by type, and a
    /// struct's fields are written inline (the client knows their count from
    /// the schema), which saves the array headers patch spends on every
    /// value.
    pub fn encode_compact_prefix(&mut self, tick: u64, world: &World, replication: &Replication) -> Bytes {
        let (rm, gone) = self.removals(world);
        let mut c = FrameWriter::default();
        if !self.components.is_empty() {
            self.components.sort_by_key(|v| (v.ty, v.entity));
            let groups = self.components.chunk_by(|a, b| a.ty == b.ty);
            let fields_of = |ty: u16| replication.types[ty as usize].fields.as_ref().map(Vec::len);
            // Every inline field is an element of the array.
            let len: usize = groups
                .clone()
                .map(|g| 2 + g.len() * (1 + fields_of(g[0].ty).unwrap_or(1)))
                .sum();
            c.buf.reserve(8 + self.bytes.len() + 4 * self.components.len());
            c.array(len as u32);
            for group in groups {
                let ty = group[0].ty;
                let fields = fields_of(ty);
                c.uint(ty as u64).uint(group.len() as u64);
                for v in group {
                    c.uint(v.entity);
                    let value = self.value(v);
                    match fields.map(|n| (n, inline_fields(value, n))) {
                        None => c.raw(value),
                        Some((_, Some(inline))) => c.raw(inline),
                        Some((n, None)) => {
                            // A game type whose Serialize does not match its
                            // fields (a custom impl, skipped fields): the
                            // schema cannot describe it. Nils keep the rest
                            // of the patch aligned.
                            tracing::error!(
                                ty = replication.types[ty as usize].name,
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
            tick,
            &frames::CompactLists {
                c: present(&c),
                m: present(&m),
                g: present(&g),
                r: present(&r),
            },
        )
    }

    /// Encodes the shared part of a `patch`: everything but `ack`, which
    /// each client's connection appends. `world` tells removed components
    /// (entity alive) from despawns.
    pub fn encode_patch_prefix(&mut self, tick: u64, world: &World) -> Bytes {
        let (rm, gone) = self.removals(world);
        let mut ch = FrameWriter::with_capacity(8 + self.bytes.len() + 12 * self.components.len());
        self.write_entities(&mut ch);
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

fn snapshot_component<C: Component + Serialize>(world: &mut World, ty: u16, out: &mut Changes) {
    let mut query = world.query::<(Entity, &C)>();
    for (entity, value) in query.iter(world) {
        out.component(entity, ty, value);
    }
}

fn snapshot_resource<R: Resource + Serialize>(world: &mut World, ty: u16, out: &mut Changes) {
    if let Some(value) = world.get_resource::<R>() {
        out.resource(ty, value);
    }
}

#[allow(clippy::type_complexity)] // the parameter list of a bevy system
type ChangedQuery<C> = QueryState<(Entity, Ref<'static, C>)>;

fn collect_component<C: Component + Serialize>(
    world: &mut World,
    state: &mut CollectorState,
    ty: u16,
    out: &mut Changes,
) {
    let state = state.get_or_insert_with(|| Box::new(world.query::<(Entity, Ref<C>)>()));
    let query = state
        .downcast_mut::<ChangedQuery<C>>()
        .expect("a collector's state is its own query");
    // `Ref::is_changed` here compares with the world's last
    // `clear_trackers`, which the room calls after every collection.
    for (entity, value) in query.iter(world) {
        if value.is_changed() {
            out.component(entity, ty, &*value);
        }
    }
    for entity in world.removed::<C>() {
        // Removed and added again within the tick: the change above covers it.
        if world.get::<C>(entity).is_none() {
            out.removed.push((entity, ty));
        }
    }
}

fn collect_resource<R: Resource + Serialize>(world: &mut World, _: &mut CollectorState, ty: u16, out: &mut Changes) {
    if let Some(value) = world.get_resource_ref::<R>() {
        if value.is_changed() {
            out.resource(ty, &*value);
        }
    }
}
