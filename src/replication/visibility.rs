//! Who may see each replicated value: everyone, one player (a private
//! component's owner), a listed set (an entity's [`VisibleTo`]), or nobody;
//! and which entities changed who sees them since the last collection.
//!
//! A value's [`Audience`] is decided when it is collected, so encoding a
//! view is a filter over the tick's values: clients whose views agree share
//! one encoded patch ([`View`]).

use std::collections::{HashMap, HashSet};

use bevy_ecs::prelude::*;

use crate::game::{Owner, Player, VisibleTo};

/// Who may see one value of a tick's [`Changes`](super::Changes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Audience {
    Everyone,
    Nobody,
    Player(Entity),
    /// One of the tick's lists of players (`Changes::lists`).
    Listed(u32),
    /// Everyone but one of the tick's lists (spectators included): who
    /// loses sight of an entity that was public.
    AllBut(u32),
}

/// Whose view a frame is encoded for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// Everything, hidden values included: the operator page.
    All,
    /// What the player with this entity may see.
    Player(Entity),
    /// What everyone may see: a spectator's view.
    Public,
}

impl View {
    /// Whether this view includes values for `audience`.
    pub(crate) fn sees(self, audience: Audience, lists: &[Vec<Entity>]) -> bool {
        match (self, audience) {
            (View::All, _) | (_, Audience::Everyone) => true,
            (View::Player(me), Audience::Player(p)) => me == p,
            (View::Player(me), Audience::Listed(i)) => lists[i as usize].contains(&me),
            (View::Player(me), Audience::AllBut(i)) => !lists[i as usize].contains(&me),
            (View::Public, Audience::AllBut(_)) => true,
            _ => false,
        }
    }
}

/// What decides the audience of values during one collection.
pub(crate) struct Gate {
    /// Whether any entity may carry `VisibleTo` / `Owner` (their component
    /// types are registered); a game using neither pays one lookup a tick.
    visible_to: bool,
    owner: bool,
    /// Entities whose `VisibleTo` or `Owner` changed: every replicated
    /// component of theirs is sent again, to its new audience.
    pub(crate) regated: HashSet<Entity>,
}

impl Gate {
    /// The gate of a snapshot: audiences only, nothing regated.
    pub(crate) fn of(world: &World) -> Gate {
        Gate {
            visible_to: world.components().component_id::<VisibleTo>().is_some(),
            owner: world.components().component_id::<Owner>().is_some(),
            regated: HashSet::new(),
        }
    }

    /// Who may see component values on `entity`; `private` for a type
    /// registered with `replicate_private`. `lists` gets `VisibleTo`'s list
    /// (once per entity per tick, `listed` remembers where).
    pub(crate) fn audience(&self, world: &World, entity: Entity, private: bool, lists: &mut Lists) -> Audience {
        let listed = if self.visible_to {
            world.get::<VisibleTo>(entity).map(|v| (lists.index(entity, &v.0), v))
        } else {
            None
        };
        if !private {
            return listed.map_or(Audience::Everyone, |(i, _)| Audience::Listed(i));
        }
        let owner = if world.get::<Player>(entity).is_some() {
            Some(entity)
        } else if self.owner {
            world.get::<Owner>(entity).map(|o| o.0)
        } else {
            None
        };
        match (owner, listed) {
            (None, _) => Audience::Nobody,
            (Some(o), Some((_, v))) if !v.contains(o) => Audience::Nobody,
            (Some(o), _) => Audience::Player(o),
        }
    }
}

/// The lists of players one tick's values are limited to.
#[derive(Debug, Default)]
pub(crate) struct Lists {
    pub(crate) lists: Vec<Vec<Entity>>,
    of_entity: HashMap<Entity, u32>,
}

impl Lists {
    fn index(&mut self, entity: Entity, players: &[Entity]) -> u32 {
        *self.of_entity.entry(entity).or_insert_with(|| {
            self.lists.push(players.to_vec());
            self.lists.len() as u32 - 1
        })
    }

    /// A list that belongs to no live entity (who stops seeing one).
    pub(crate) fn push(&mut self, players: Vec<Entity>) -> u32 {
        self.lists.push(players);
        self.lists.len() as u32 - 1
    }

    pub(crate) fn clear(&mut self) {
        self.lists.clear();
        self.of_entity.clear();
    }
}

/// Who saw a gated entity as of the last collection.
#[derive(Debug, Clone, Default)]
struct Sight {
    listed: Option<Vec<Entity>>,
    owner: Option<Entity>,
}

/// Who stops seeing an entity.
#[derive(Debug)]
pub(crate) enum Lost {
    /// These players (it was listed for them, and no longer is).
    Players(Vec<Entity>),
    /// Everyone but these players (it was public, and is listed now).
    AllBut(Vec<Entity>),
}

/// What a sight change asks the collection to send besides the values.
#[derive(Debug, Default)]
pub(crate) struct SightChanges {
    /// (entity, who no longer sees it): sent as `gone` to them.
    pub(crate) hidden: Vec<(Entity, Lost)>,
    /// (entity, its former owner): the private components go from them.
    pub(crate) disowned: Vec<(Entity, Entity)>,
}

/// The last known sight of every entity carrying `VisibleTo` or `Owner`,
/// kept per room, so a change can tell who stops seeing what.
#[derive(Default)]
pub(crate) struct Sights {
    known: HashMap<Entity, Sight>,
    listed: Option<QueryState<(Entity, Ref<'static, VisibleTo>)>>,
    owned: Option<QueryState<(Entity, Ref<'static, Owner>)>>,
}

impl Sights {
    /// Finds the entities whose sight changed since the last collection,
    /// updating what is known and marking them regated in `gate`.
    pub(crate) fn update(&mut self, world: &mut World, gate: &mut Gate) -> SightChanges {
        let mut out = SightChanges::default();
        if !gate.visible_to && !gate.owner {
            return out;
        }
        let mut touched: Vec<Entity> = Vec::new();
        if gate.visible_to {
            let query = self.listed.get_or_insert_with(|| world.query());
            touched.extend(query.iter(world).filter(|(_, v)| v.is_changed()).map(|(e, _)| e));
            touched.extend(world.removed::<VisibleTo>());
        }
        if gate.owner {
            let query = self.owned.get_or_insert_with(|| world.query());
            touched.extend(query.iter(world).filter(|(_, o)| o.is_changed()).map(|(e, _)| e));
            touched.extend(world.removed::<Owner>());
        }
        touched.sort_unstable();
        touched.dedup();
        for entity in touched {
            let old = self.known.remove(&entity).unwrap_or_default();
            let Ok(now) = world.get_entity(entity) else {
                // Despawned: `gone` goes to whoever saw it (`Sights::gone`).
                self.known.insert(entity, old);
                continue;
            };
            let new = Sight {
                listed: now.get::<VisibleTo>().map(|v| v.0.clone()),
                owner: now.get::<Owner>().map(|o| o.0),
            };
            // Spawned since the last collection: nobody has seen it yet.
            let spawned = now
                .spawn_tick()
                .is_newer_than(world.last_change_tick(), world.read_change_tick());
            match (&old.listed, &new.listed) {
                (Some(before), Some(after)) => {
                    let lost: Vec<Entity> = before.iter().copied().filter(|p| !after.contains(p)).collect();
                    if !lost.is_empty() {
                        out.hidden.push((entity, Lost::Players(lost)));
                    }
                }
                (None, Some(after)) if !spawned => out.hidden.push((entity, Lost::AllBut(after.clone()))),
                _ => {}
            }
            if let Some(before) = old.owner.filter(|o| new.owner != Some(*o)) {
                out.disowned.push((entity, before));
            }
            gate.regated.insert(entity);
            if new.listed.is_some() || new.owner.is_some() {
                self.known.insert(entity, new);
            }
        }
        out
    }

    /// Who saw `entity`, despawned this tick: the players its `VisibleTo`
    /// listed, or everyone (`None`).
    pub(crate) fn seen_by(&self, entity: Entity) -> Option<&Vec<Entity>> {
        self.known.get(&entity).and_then(|s| s.listed.as_ref())
    }

    /// Forgets `entity`, despawned.
    /// Whether any entity is gated (some player may not see it).
    pub(crate) fn any(&self) -> bool {
        !self.known.is_empty()
    }

    pub(crate) fn forget(&mut self, entity: Entity) {
        self.known.remove(&entity);
    }
}
