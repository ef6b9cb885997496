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

/** What one `joined`, `patch` or `p` did to the mirror (the `change` event). */
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
  /** A private room's invite (protocol 1.1). */
  invite?: string;
  game: string;
  /** This player's entity; `null` for a spectator (`watch`). */
  you: EntityId | null;
  /** `true` when the client watches without a seat (`watch`). */
  watching?: boolean;
  /** SHA-256 of the running match's seed, hex. */
  fair?: string;
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

/**
 * A `p` message: a patch in the compact form a client gets after asking
 * for it with `hello.compact` (docs/sdk.md, "Compact patches"). Keys other
 * than `t`, `k` and `a` are present only when non-empty; a lean `p`
 * (`hello.lean`) leaves out `k`, and `a` when it did not change.
 */
export interface CompactPatchMessage {
  t: "p";
  /** The tick (`patch.tick`); absent in a lean `p`: one more than the last. */
  k?: number;
  /** The ack (`patch.ack`); absent in a lean `p` when it did not change. */
  a?: number;
  /**
   * Changed or spawned components, grouped by type:
   * `[ty, n, id, ...value, id, ...value, ty, n, ...]`, where a struct value
   * is its fields inline (as many values as the schema has fields) and any
   * other value is one value. In a lean `p` a struct value may instead be
   * `-(id + 1), mask, ...fields`: only the fields the bitmask names.
   */
  c?: unknown[];
  /** Removed components: `[id, ty, id, ty, ...]`. */
  m?: unknown[];
  /** Despawned entities. */
  g?: EntityId[];
  /** Changed resources: `[ty, value, ty, value, ...]`, values whole. */
  r?: unknown[];
}

type WireValues = Array<[number, unknown]>;
type WireEntities = Array<[EntityId, WireValues]>;

/**
 * A patch checked against the schema and turned into JS values, before
 * any of it touches the mirror: what `patch` and `p` both come down to.
 */
interface Delta {
  tick: number;
  ack: number | undefined;
  ch: Array<[EntityId, Array<[SchemaEntry, unknown]>]>;
  rm: Array<[EntityId, SchemaEntry[]]>;
  gone: EntityId[];
  r: Array<[SchemaEntry, unknown]>;
}

function bad(what: string): never {
  throw new ParlorError("bad_frame", `malformed frame: ${what}`);
}

function list<T>(value: unknown, what: string): T[] {
  if (!Array.isArray(value)) bad(`${what} is not an array`);
  return value as T[];
}

/** A short printable form of a wire value, for error messages. */
function show(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

/** An optional array field: absent or nil is empty. */
function optional(value: unknown, what: string): unknown[] {
  return value === undefined || value === null ? [] : list<unknown>(value, what);
}

/** Runs `parse`, prefixing a malformed-frame error with which message it was. */
function checked<T>(kind: string, tick: unknown, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (!(error instanceof ParlorError)) throw error;
    const what = error.message.replace(/^malformed frame: /, "");
    throw new ParlorError("bad_frame", `malformed ${kind} at tick ${String(tick)}: ${what}; it was not applied`);
  }
}

/**
 * The client-side copy of a room's replicated state, kept equal to the
 * server's by applying `joined` and `patch` (or `p`, the compact patch)
 * messages in order.
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
    if (entry === undefined) {
      bad(`type index ${show(index)} is not in the schema (${this.schema.length} types)`);
    }
    return entry;
  }

  private id(value: unknown): EntityId {
    if (typeof value !== "number") bad(`an entity id is not a number: ${show(value)}`);
    return value;
  }

  /** Notes an id above 2^53 (`unsafeIds`). */
  private flag(id: EntityId): void {
    if (!Number.isSafeInteger(id)) this.unsafeIds = true;
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
      this.flag(id);
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

  /**
   * Applies a `patch` message: `ch`, then `rm`, then `gone`, then `r`.
   * Throws a `ParlorError` (`bad_frame`) for a malformed one, which is then
   * not applied at all.
   */
  applyPatch(message: PatchMessage): StateChange {
    if (!this.loaded) bad("a patch before joined");
    return this.applyDelta(checked("patch", message.tick, () => this.parsePatch(message)));
  }

  /**
   * Applies a `p` message (a compact patch) exactly as the equivalent
   * `patch`. Throws a `ParlorError` (`bad_frame`) for a malformed one
   * (counts that do not add up, an unknown type index...), which is then
   * not applied at all.
   */
  applyCompact(message: CompactPatchMessage): StateChange {
    if (!this.loaded) bad("a p before joined");
    return this.applyDelta(checked("p", message.k ?? this.tick + 1, () => this.parseCompact(message)));
  }

  private parsePatch(message: PatchMessage): Delta {
    const delta: Delta = {
      tick: Number(message.tick),
      ack: typeof message.ack === "number" ? message.ack : undefined,
      ch: [],
      rm: [],
      gone: [],
      r: [],
    };
    for (const item of optional(message.ch, "ch")) {
      const [rawId, components] = list<unknown>(item, "an entity");
      const values: Array<[SchemaEntry, unknown]> = [];
      for (const pair of list<unknown>(components, "components")) {
        const [index, raw] = list<unknown>(pair, "a component");
        const entry = this.entry(index);
        values.push([entry, this.value(entry, raw)]);
      }
      delta.ch.push([this.id(rawId), values]);
    }
    for (const item of optional(message.rm, "rm")) {
      const [rawId, indices] = list<unknown>(item, "a removal");
      delta.rm.push([this.id(rawId), list<unknown>(indices, "removed types").map((index) => this.entry(index))]);
    }
    for (const rawId of optional(message.gone, "gone")) delta.gone.push(this.id(rawId));
    for (const pair of optional(message.r, "r")) {
      const [index, raw] = list<unknown>(pair, "a resource");
      const entry = this.entry(index);
      delta.r.push([entry, this.value(entry, raw)]);
    }
    return delta;
  }

  private parseCompact(message: CompactPatchMessage): Delta {
    // A lean p has no k (it is the tick after the last one applied), and
    // an a only when the ack changed.
    if (message.k !== undefined && typeof message.k !== "number") bad("k (the tick) is not a number");
    if (message.a !== undefined && typeof message.a !== "number") bad("a (the ack) is not a number");
    const tick = message.k ?? this.tick + 1;
    const delta: Delta = { tick, ack: message.a, ch: [], rm: [], gone: [], r: [] };

    // c: [ty, n, id, value..., ty, n, ...], read as a stream against the
    // schema. Entities are gathered in the order they first appear, each
    // with its components in the order they came.
    const c = optional(message.c, "c");
    const byEntity = new Map<EntityId, Array<[SchemaEntry, unknown]>>();
    const gather = (id: EntityId, entry: SchemaEntry, value: unknown): void => {
      const values = byEntity.get(id);
      if (values === undefined) byEntity.set(id, [[entry, value]]);
      else values.push([entry, value]);
    };
    let at = 0;
    while (at < c.length) {
      const group = at;
      const entry = this.entry(c[at]);
      const n = c[at + 1];
      if (typeof n !== "number" || !Number.isInteger(n) || n < 0) {
        bad(`c[${group + 1}], the count of ${entry.name}, is not a count: ${show(n)}`);
      }
      at += 2;
      const width = entry.fields === null ? 1 : entry.fields.length;
      for (let i = 0; i < n; i++) {
        // A lean p may send a struct's changed fields only: the entity id
        // negated minus one, a bitmask of the fields, then those fields.
        if (entry.fields !== null && typeof c[at] === "number" && (c[at] as number) < 0) {
          const id = -(c[at] as number) - 1;
          const mask = c[at + 1];
          if (typeof mask !== "number" || !Number.isInteger(mask) || mask < 0 || mask >= 2 ** entry.fields.length) {
            bad(`c[${at + 1}], the changed fields of ${entry.name} ${id}, is not a mask of its fields: ${show(mask)}`);
          }
          const names = entry.fields.filter((_, f) => Math.floor(mask / 2 ** f) % 2 === 1);
          if (at + 2 + names.length > c.length) {
            bad(`c ends inside ${entry.name} ${i + 1} of ${n} (the group at c[${group}], ${c.length} items)`);
          }
          const before = this.entities.get(id)?.[entry.name as keyof C];
          if (before === undefined || before === null || typeof before !== "object") {
            bad(`changed fields of ${entry.name} for entity ${id}, which has none`);
          }
          const object: Record<string, unknown> = { ...(before as Record<string, unknown>) };
          names.forEach((name, f) => (object[name] = c[at + 2 + f]));
          at += 2 + names.length;
          gather(id, entry, object);
          continue;
        }
        if (at + 1 + width > c.length) {
          bad(`c ends inside ${entry.name} ${i + 1} of ${n} (the group at c[${group}], ${c.length} items)`);
        }
        const id = this.id(c[at]);
        let value: unknown;
        if (entry.fields === null) {
          value = c[at + 1];
        } else {
          const object: Record<string, unknown> = {};
          for (let f = 0; f < width; f++) object[entry.fields[f]!] = c[at + 1 + f];
          value = object;
        }
        at += 1 + width;
        gather(id, entry, value);
      }
    }
    delta.ch = [...byEntity];

    // m: [id, ty, id, ty, ...], gathered by entity like patch.rm.
    const m = optional(message.m, "m");
    if (m.length % 2 !== 0) bad(`m has an odd length (${m.length}), not id and type pairs`);
    const removed = new Map<EntityId, SchemaEntry[]>();
    for (let i = 0; i < m.length; i += 2) {
      const id = this.id(m[i]);
      const entry = this.entry(m[i + 1]);
      const entries = removed.get(id);
      if (entries === undefined) removed.set(id, [entry]);
      else entries.push(entry);
    }
    delta.rm = [...removed];

    for (const rawId of optional(message.g, "g")) delta.gone.push(this.id(rawId));

    // r: [ty, value, ty, value, ...], values whole as in patch.r.
    const r = optional(message.r, "r");
    if (r.length % 2 !== 0) bad(`r has an odd length (${r.length}), not type and value pairs`);
    for (let i = 0; i < r.length; i += 2) {
      const entry = this.entry(r[i]);
      delta.r.push([entry, this.value(entry, r[i + 1])]);
    }
    return delta;
  }

  /** Applies a checked patch; nothing in it can fail. */
  private applyDelta(delta: Delta): StateChange {
    const change: StateChange = {
      tick: delta.tick,
      resync: false,
      ack: delta.ack,
      spawned: [],
      changed: new Map(),
      removed: new Map(),
      gone: [],
      resources: [],
    };

    for (const [id, values] of delta.ch) {
      this.flag(id);
      let entity = this.entities.get(id) as Components | undefined;
      if (entity === undefined) {
        entity = {};
        this.entities.set(id, entity as Partial<C>);
        change.spawned.push(id);
      }
      const names: string[] = [];
      for (const [entry, value] of values) {
        entity[entry.name] = value;
        names.push(entry.name);
      }
      change.changed.set(id, names);
    }

    for (const [id, entries] of delta.rm) {
      this.flag(id);
      // A removal of an entity or a component this client never had (a
      // value private to another player) is no change here: nothing is
      // reported for it.
      const entity = this.entities.get(id) as Components | undefined;
      if (entity === undefined) continue;
      const names = entries.map((entry) => entry.name).filter((name) => name in entity);
      if (names.length === 0) continue;
      for (const name of names) delete entity[name];
      change.removed.set(id, names);
      if (Object.keys(entity).length === 0) this.entities.delete(id);
    }

    for (const id of delta.gone) {
      this.flag(id);
      // An entity this client never saw (all private to others) is not reported gone.
      if (this.entities.delete(id)) change.gone.push(id);
    }

    const resources = this.resources as Record<string, unknown>;
    for (const [entry, value] of delta.r) {
      resources[entry.name] = value;
      change.resources.push(entry.name);
    }

    this.tick = change.tick;
    return change;
  }
}
