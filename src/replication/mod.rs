//! Replication: bevy change detection on the types a game marked replicated,
//! turned into one `patch` per room per tick and into full `joined` states.
//!
//! Each replicated type gets a collector system in the room's schedule that
//! runs after the game's systems and appends what changed since its previous
//! run to the [`Changes`] resource, values already encoded compact (a struct
//! as an array in field order). The room then writes the patch frame around
//! those bytes once and hands the same bytes to every client.

mod schema;

use bevy_ecs::prelude::*;
use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::game::{entity_id, Player};
use crate::protocol::FrameWriter;
pub use schema::field_names;

/// System set of the collectors; runs after the game's systems.
#[derive(SystemSet, Debug, Clone, PartialEq, Eq, Hash)]
pub struct Collect;

type Snapshot = fn(&mut World, u16, &mut Changes);

/// One replicated type: its schema entry and how to read all of it.
struct ReplicatedType {
    name: &'static str,
    fields: Option<Vec<&'static str>>,
    snapshot: Snapshot,
}

/// The replicated types of one room, in schema index order.
pub struct Replication {
    types: Vec<ReplicatedType>,
    /// Adds each type's collector to a schedule; kept as functions until
    /// [`Replication::install`] because schedule configs are not `Send`.
    installers: Vec<(u16, Installer)>,
}

type Installer = fn(&mut Schedule, u16);

impl Replication {
    /// A registry holding the engine's `Player` component as type 0.
    pub(crate) fn new() -> Self {
        let mut replication = Replication {
            types: Vec::new(),
            installers: Vec::new(),
        };
        replication.add_component::<Player>();
        replication
    }

    pub(crate) fn add_component<C: Component + Serialize + DeserializeOwned>(&mut self) {
        let index = self.next_index::<C>();
        self.types.push(ReplicatedType {
            name: short_name::<C>(),
            fields: field_names::<C>(),
            snapshot: snapshot_component::<C>,
        });
        self.installers.push((index, |schedule, ty| {
            schedule.add_systems(collect_component::<C>(ty).in_set(Collect));
        }));
    }

    pub(crate) fn add_resource<R: Resource + Serialize + DeserializeOwned>(&mut self) {
        let index = self.next_index::<R>();
        self.types.push(ReplicatedType {
            name: short_name::<R>(),
            fields: field_names::<R>(),
            snapshot: snapshot_resource::<R>,
        });
        self.installers.push((index, |schedule, ty| {
            schedule.add_systems(collect_resource::<R>(ty).in_set(Collect));
        }));
    }

    fn next_index<T>(&self) -> u16 {
        let name = short_name::<T>();
        assert!(
            self.types.iter().all(|t| t.name != name),
            "{name} is replicated twice, or two replicated types share this name"
        );
        u16::try_from(self.types.len()).expect("fewer than 65536 replicated types")
    }

    /// Moves the collector systems into the room's schedule.
    pub(crate) fn install(&mut self, schedule: &mut Schedule) {
        for (ty, install) in self.installers.drain(..) {
            install(schedule, ty);
        }
    }

    /// Writes the `schema` array.
    pub fn write_schema(&self, w: &mut FrameWriter) {
        w.array(self.types.len() as u32);
        for t in &self.types {
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

    /// The schema as `(name, fields)` pairs.
    pub fn schema(&self) -> impl Iterator<Item = (&str, Option<&[&'static str]>)> {
        self.types.iter().map(|t| (t.name, t.fields.as_deref()))
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
/// with values encoded. A resource of every room, filled by the collectors.
#[derive(Resource, Default, Debug)]
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

    /// Writes the `state` map of a `joined` message.
    pub fn write_state(&mut self, w: &mut FrameWriter) {
        w.map(2).str("e");
        self.write_entities(w);
        w.str("r");
        self.write_resources(w);
    }

    /// Encodes the shared part of a `patch`: everything but `ack`, which
    /// each client's connection appends ([`crate::protocol::patch_with_ack`]).
    /// `world` tells removed components (entity alive) from despawns.
    pub fn encode_patch_prefix(&mut self, tick: u64, world: &World) -> Bytes {
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

        let with_resources = !self.resources.is_empty();
        let mut w = FrameWriter::with_capacity(32 + self.bytes.len() + 12 * self.components.len());
        w.map(if with_resources { 7 } else { 6 })
            .str("t")
            .str("patch")
            .str("tick")
            .uint(tick)
            .str("ch");
        self.write_entities(&mut w);
        w.str("rm");
        let groups = rm.chunk_by(|a, b| a.0 == b.0);
        w.array(groups.clone().count() as u32);
        for group in groups {
            w.array(2).uint(group[0].0).array(group.len() as u32);
            for (_, ty) in group {
                w.uint(*ty as u64);
            }
        }
        w.str("gone").array(gone.len() as u32);
        for id in &gone {
            w.uint(*id);
        }
        if with_resources {
            w.str("r");
            self.write_resources(&mut w);
        }
        w.finish()
    }
}

fn short_name<T>() -> &'static str {
    let full = std::any::type_name::<T>();
    let base = full.split('<').next().unwrap_or(full);
    base.rsplit("::").next().unwrap_or(base)
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
fn collect_component<C: Component + Serialize>(
    ty: u16,
) -> impl FnMut(Query<(Entity, Ref<C>)>, RemovedComponents<C>, ResMut<Changes>) {
    move |query: Query<(Entity, Ref<C>)>, mut removed: RemovedComponents<C>, mut out: ResMut<Changes>| {
        for (entity, value) in &query {
            if value.is_changed() {
                out.component(entity, ty, &*value);
            }
        }
        for entity in removed.read() {
            // Removed and added again within the tick: the change above covers it.
            if !query.contains(entity) {
                out.removed.push((entity, ty));
            }
        }
    }
}

fn collect_resource<R: Resource + Serialize>(ty: u16) -> impl FnMut(Option<Res<R>>, ResMut<Changes>) {
    move |value: Option<Res<R>>, mut out: ResMut<Changes>| {
        if let Some(value) = value {
            if value.is_changed() {
                out.resource(ty, &*value);
            }
        }
    }
}
