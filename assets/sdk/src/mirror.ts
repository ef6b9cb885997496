import { ParlorError } from "./errors.js";

/**
 * An entity id: the server's u64 as a JS number. Ids are the bevy entity's
 * index in the low 32 bits and its generation in the high 32 bits, so they
 * stay exact (below 2^53) unless one entity slot of a room is reused more
 * than two million times. See docs/sdk.md, "Entity ids".
 */
export type EntityId = number;

/** One replicated type of a room: its name and, for a struct, its field names. */
export interface SchemaEntry {
  name: string;
  /** Field names of a struct type in wire order; `null` for any other type. */
  fields: string[] | null;
}

/** What one `joined` or `patch` did to the mirror (the `change` event). */
export interface StateChange {
  /** The server tick the state is at now. */
  tick: number;
  /**
   * `true` when the whole state was replaced by a `joined`: the first one of
   * a room, a resync after the client fell behind, or a restore after a
   * reconnection. The other fields then describe the difference from the
   * state before, so a renderer can treat a resync like a patch.
   */
  resync: boolean;
  /** The patch's `ack`: the highest input `seq` the room applied (patches only). */
  ack?: number;
  /** Entities new to the mirror. */
  spawned: EntityId[];
  /** Component names set on each entity (new or changed; values travel whole). */
  changed: Map<EntityId, string[]>;
  /** Component names removed from entities that still exist. */
  removed: Map<EntityId, string[]>;
  /** Entities despawned (and, on a resync, entities no longer there). */
  gone: EntityId[];
  /** Resource names set. */
  resources: string[];
}

/** The replicated components of one entity, by component name. */
export type Components = Record<string, unknown>;

/** A `joined` message, as far as the mirror reads it. */
export interface JoinedMessage {
  t: "joined";
  room: string;
  game: string;
  you: EntityId;
  tick: number;
  schema: Array<[string, string[] | null]>;
  state: { e: WireEntities; r: WireValues };
}

/** A `patch` message. */
export interface PatchMessage {
  t: "patch";
  tick: number;
  ack: number;
  ch: WireEntities;
  rm: Array<[EntityId, number[]]>;
  gone: EntityId[];
  r?: WireValues;
}

type WireValues = Array<[number, unknown]>;
type WireEntities = Array<[EntityId, WireValues]>;

function bad(what: string): never {
  throw new ParlorError("bad_frame", `malformed frame: ${what}`);
}

function list<T>(value: unknown, what: string): T[] {
  if (!Array.isArray(value)) bad(`${what} is not an array`);
  return value as T[];
}

/**
 * The client-side copy of a room's replicated state, kept equal to the
 * server's by applying `joined` and `patch` messages in order.
 *
 * - `entities`: every entity with at least one replicated component, by id;
 *   each is an object of its components by name (`{Player: {...},
 *   Position: {x, y}}`).
 * - `resources`: replicated resources by name.
 *
 * A struct value (sent as an array in field order) becomes an object with
 * the schema's field names; any other value stays as decoded (a newtype
 * `Score(3)` is `3`, a unit struct `Orb` is `null`, so test presence with
 * `"Orb" in entity`). Nested structs inside a value stay arrays: the schema
 * names top-level fields only.
 *
 * A changed component is a new object; an entity's object is kept and
 * updated in place, as is the `resources` object. An entity whose last
 * replicated component is removed leaves `entities` (it is reported in
 * `removed`, not `gone`), as a fresh `joined` would not list it either.
 */
export class StateMirror<
  C extends object = Record<string, any>,
  R extends object = Record<string, any>,
> {
  /** Entities by id. */
  readonly entities = new Map<EntityId, Partial<C>>();
  /** Resources by name. */
  readonly resources: Partial<R> = {} as Partial<R>;
  /** The room's replicated types, in index order. */
  schema: SchemaEntry[] = [];
  /** The tick of the last message applied. */
  tick = 0;
  /** Whether a `joined` has been applied. */
  loaded = false;
  /** Whether an entity id above 2^53 has been seen (it was rounded). */
  unsafeIds = false;

  private entry(index: unknown): SchemaEntry {
    const entry = typeof index === "number" ? this.schema[index] : undefined;
    if (entry === undefined) bad(`type index ${String(index)} is not in the schema`);
    return entry;
  }

  private id(value: unknown): EntityId {
    if (typeof value !== "number") bad("an entity id is not a number");
    if (!Number.isSafeInteger(value)) this.unsafeIds = true;
    return value;
  }

  /** Turns a wire value of `entry`'s type into its JS form. */
  private value(entry: SchemaEntry, raw: unknown): unknown {
    const fields = entry.fields;
    if (fields === null || !Array.isArray(raw) || raw.length !== fields.length) return raw;
    const object: Record<string, unknown> = {};
    for (let i = 0; i < fields.length; i++) object[fields[i]!] = raw[i];
    return object;
  }

  /** Replaces the whole state with a `joined` message's. */
  applyJoined(message: JoinedMessage): StateChange {
    const schema = list<[string, string[] | null]>(message.schema, "schema");
    const state = message.state;
    if (state === null || typeof state !== "object") bad("state is not a map");
    const wireEntities = list<[EntityId, WireValues]>(state.e, "state.e");
    const wireResources = list<[number, unknown]>(state.r, "state.r");

    this.schema = schema.map((pair) => {
      const [name, fields] = list<unknown>(pair, "a schema entry");
      if (typeof name !== "string") bad("a schema name is not a string");
      return { name, fields: Array.isArray(fields) ? fields.map(String) : null };
    });

    const resync = this.loaded;
    const before = new Map(this.entities);
    const change: StateChange = {
      tick: Number(message.tick),
      resync,
      spawned: [],
      changed: new Map(),
      removed: new Map(),
      gone: [],
      resources: [],
    };

    this.entities.clear();
    for (const item of wireEntities) {
      const [rawId, components] = list<unknown>(item, "an entity");
      const id = this.id(rawId);
      const entity: Components = {};
      const names: string[] = [];
      for (const pair of list<[number, unknown]>(components, "components")) {
        const [index, raw] = list<unknown>(pair, "a component");
        const entry = this.entry(index);
        entity[entry.name] = this.value(entry, raw);
        names.push(entry.name);
      }
      this.entities.set(id, entity as Partial<C>);
      change.changed.set(id, names);
      const old = before.get(id) as Components | undefined;
      if (old === undefined) {
        change.spawned.push(id);
      } else {
        const lost = Object.keys(old).filter((name) => !(name in entity));
        if (lost.length > 0) change.removed.set(id, lost);
      }
    }
    for (const id of before.keys()) {
      if (!this.entities.has(id)) change.gone.push(id);
    }

    const resources = this.resources as Record<string, unknown>;
    for (const name of Object.keys(resources)) delete resources[name];
    for (const pair of wireResources) {
      const [index, raw] = list<unknown>(pair, "a resource");
      const entry = this.entry(index);
      resources[entry.name] = this.value(entry, raw);
      change.resources.push(entry.name);
    }

    this.tick = change.tick;
    this.loaded = true;
    return change;
  }

  /** Applies a `patch` message: `ch`, then `rm`, then `gone`, then `r`. */
  applyPatch(message: PatchMessage): StateChange {
    if (!this.loaded) bad("a patch before joined");
    const change: StateChange = {
      tick: Number(message.tick),
      resync: false,
      ack: typeof message.ack === "number" ? message.ack : undefined,
      spawned: [],
      changed: new Map(),
      removed: new Map(),
      gone: [],
      resources: [],
    };

    for (const item of list<[EntityId, WireValues]>(message.ch ?? [], "ch")) {
      const [rawId, components] = list<unknown>(item, "an entity");
      const id = this.id(rawId);
      let entity = this.entities.get(id) as Components | undefined;
      if (entity === undefined) {
        entity = {};
        this.entities.set(id, entity as Partial<C>);
        change.spawned.push(id);
      }
      const names: string[] = [];
      for (const pair of list<[number, unknown]>(components, "components")) {
        const [index, raw] = list<unknown>(pair, "a component");
        const entry = this.entry(index);
        entity[entry.name] = this.value(entry, raw);
        names.push(entry.name);
      }
      change.changed.set(id, names);
    }

    for (const item of list<[EntityId, number[]]>(message.rm ?? [], "rm")) {
      const [rawId, indices] = list<unknown>(item, "a removal");
      const id = this.id(rawId);
      const entity = this.entities.get(id) as Components | undefined;
      const names = list<number>(indices, "removed types").map((index) => this.entry(index).name);
      if (entity === undefined) continue;
      for (const name of names) delete entity[name];
      change.removed.set(id, names);
      if (Object.keys(entity).length === 0) this.entities.delete(id);
    }

    for (const rawId of list<EntityId>(message.gone ?? [], "gone")) {
      const id = this.id(rawId);
      if (this.entities.delete(id)) change.gone.push(id);
    }

    if (message.r !== undefined && message.r !== null) {
      const resources = this.resources as Record<string, unknown>;
      for (const pair of list<[number, unknown]>(message.r, "r")) {
        const [index, raw] = list<unknown>(pair, "a resource");
        const entry = this.entry(index);
        resources[entry.name] = this.value(entry, raw);
        change.resources.push(entry.name);
      }
    }

    this.tick = change.tick;
    return change;
  }
}
