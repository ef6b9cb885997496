//! Replication: bevy change detection on the types a game marked replicated,
//! turned into the lists of one `patch` per view per tick and into full
//! `joined` states; [`crate::protocol::frames`] writes the frames around them.
//!
//! After the game's systems have run, [`Replication::collect`] reads, for
//! each replicated type, what changed since the previous collection (bevy's
//! change ticks against the world's last `clear_trackers`, and its removed
//! components) and appends it to [`Changes`], values already encoded compact
//! (a struct as an array in field order), each with who may see it
//! (`visibility.rs`: a private component's owner, an entity's `VisibleTo`
//! list, or everyone). The room then writes the patch frame around those
//! bytes once per distinct view and hands the same bytes to every client
//! that has that view; with nothing hidden, that is once for everyone.
//!
//! The collection is plain functions over cached `QueryState`s rather than a
//! system per type: a system and its place in a schedule cost kilobytes per
//! room, and idle rooms are meant to be cheap (docs/benchmarks.md).

mod changes;
mod schema;
mod visibility;

use std::any::Any;
use std::sync::Arc;

use bevy_ecs::prelude::*;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::game::Player;
use crate::protocol::FrameWriter;
pub use changes::Changes;
pub use schema::field_names;
pub use visibility::View;
use visibility::{Gate, Sights};

/// Per-room state of one type's collector (its cached query).
type CollectorState = Option<Box<dyn Any + Send + Sync>>;
type Snapshot = fn(&mut World, u16, bool, &Gate, &mut Changes);
type Collect = fn(&mut World, &mut CollectorState, u16, bool, &Gate, &mut Changes);
type Has = fn(&World, Entity) -> bool;

/// One replicated type: its schema entry and how to read it.
pub struct ReplicatedType {
    name: &'static str,
    fields: Option<Vec<&'static str>>,
    /// Sent only to the owner ([`RoomBuilder::replicate_private`](crate::simulation::RoomBuilder::replicate_private)).
    private: bool,
    snapshot: Snapshot,
    collect: Collect,
    has: Has,
}

/// The replicated types of one room, in schema index order, and the state
/// of their collectors. The type table is shared by all rooms of a game.
pub struct Replication {
    types: Arc<Vec<ReplicatedType>>,
    states: Vec<CollectorState>,
    /// Who saw each gated entity, to tell who stops seeing it.
    sights: Sights,
}

impl Replication {
    /// A registry holding the engine's `Player` component as type 0.
    pub(crate) fn new() -> Self {
        let mut replication = Replication {
            types: Arc::new(Vec::new()),
            states: Vec::new(),
            sights: Sights::default(),
        };
        replication.add_component::<Player>(false);
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

    /// Registers component `C`; `private` sends it to its owner only.
    pub(crate) fn add_component<C: Component + Serialize + DeserializeOwned>(&mut self, private: bool) {
        self.push(ReplicatedType {
            name: crate::protocol::wire_name::<C>(),
            fields: field_names::<C>(),
            private,
            snapshot: snapshot_component::<C>,
            collect: collect_component::<C>,
            has: has_component::<C>,
        });
    }

    pub(crate) fn add_resource<R: Resource + Serialize + DeserializeOwned>(&mut self) {
        self.push(ReplicatedType {
            name: crate::protocol::wire_name::<R>(),
            fields: field_names::<R>(),
            private: false,
            snapshot: snapshot_resource::<R>,
            collect: collect_resource::<R>,
            has: |_, _| false,
        });
    }

    /// Shares `table` (the same game's types, registered by an earlier room)
    /// instead of this room's own copy.
    pub(crate) fn share(&mut self, table: &Arc<Vec<ReplicatedType>>) {
        let same = table.len() == self.types.len()
            && table
                .iter()
                .zip(self.types.iter())
                .all(|(a, b)| a.name == b.name && a.private == b.private);
        assert!(same, "a game must register the same replicated types in every room");
        self.types = table.clone();
    }

    /// The type table, to share with later rooms.
    pub(crate) fn table(&self) -> &Arc<Vec<ReplicatedType>> {
        &self.types
    }

    /// Appends what changed since the previous collection to `changes`,
    /// each value with who may see it.
    pub fn collect(&mut self, world: &mut World, changes: &mut Changes) {
        let mut gate = Gate::of(world);
        let sight = self.sights.update(world, &mut gate);
        for (index, t) in self.types.iter().enumerate() {
            (t.collect)(world, &mut self.states[index], index as u16, t.private, &gate, changes);
        }
        changes.settle(&mut self.sights, sight, |entity, push| {
            for (index, t) in self.types.iter().enumerate() {
                if t.private && (t.has)(world, entity) {
                    push(index as u16);
                }
            }
        });
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

    /// Every replicated entity and resource, each value with who may see
    /// it, as a `joined` `state` needs it ([`Changes::encode_state`]).
    pub fn snapshot(&self, world: &mut World) -> Changes {
        let gate = Gate::of(world);
        let mut changes = Changes::default();
        for (index, t) in self.types.iter().enumerate() {
            (t.snapshot)(world, index as u16, t.private, &gate, &mut changes);
        }
        changes
    }

    /// The number of fields of type `ty`'s struct, if it is one.
    /// Whether this room may hide anything from someone: a private type,
    /// or an entity limited to some players.
    fn may_hide(&self) -> bool {
        self.types.iter().any(|t| t.private) || self.sights.any()
    }

    fn fields_of(&self, ty: u16) -> Option<usize> {
        self.types[ty as usize].fields.as_ref().map(Vec::len)
    }

    fn name_of(&self, ty: u16) -> &'static str {
        self.types[ty as usize].name
    }
}

fn has_component<C: Component>(world: &World, entity: Entity) -> bool {
    world.get::<C>(entity).is_some()
}

fn snapshot_component<C: Component + Serialize>(
    world: &mut World,
    ty: u16,
    private: bool,
    gate: &Gate,
    out: &mut Changes,
) {
    let mut query = world.query::<(Entity, &C)>();
    for (entity, value) in query.iter(world) {
        let audience = gate.audience(world, entity, private, &mut out.lists);
        out.component(entity, ty, value, audience);
    }
}

fn snapshot_resource<R: Resource + Serialize>(world: &mut World, ty: u16, _: bool, _: &Gate, out: &mut Changes) {
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
    private: bool,
    gate: &Gate,
    out: &mut Changes,
) {
    let state = state.get_or_insert_with(|| Box::new(world.query::<(Entity, Ref<C>)>()));
    let query = state
        .downcast_mut::<ChangedQuery<C>>()
        .expect("a collector's state is its own query");
    // `Ref::is_changed` here compares with the world's last
    // `clear_trackers`, which the room calls after every collection.
    let regated = !gate.regated.is_empty();
    for (entity, value) in query.iter(world) {
        if value.is_changed() || (regated && gate.regated.contains(&entity)) {
            let audience = gate.audience(world, entity, private, &mut out.lists);
            out.component(entity, ty, &*value, audience);
        }
    }
    for entity in world.removed::<C>() {
        // Removed and added again within the tick: the change above covers it.
        if world.get::<C>(entity).is_none() {
            out.removed(world, entity, ty, private, gate);
        }
    }
}

fn collect_resource<R: Resource + Serialize>(
    world: &mut World,
    _: &mut CollectorState,
    ty: u16,
    _: bool,
    _: &Gate,
    out: &mut Changes,
) {
    if let Some(value) = world.get_resource_ref::<R>() {
        if value.is_changed() {
            out.resource(ty, &*value);
        }
    }
}
