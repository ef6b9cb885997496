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
    state: {
        e: WireEntities;
        r: WireValues;
    };
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
export declare class StateMirror<C extends object = Record<string, any>, R extends object = Record<string, any>> {
    /** Entities by id. */
    readonly entities: Map<number, Partial<C>>;
    /** Resources by name. */
    readonly resources: Partial<R>;
    /** The room's replicated types, in index order. */
    schema: SchemaEntry[];
    /** The tick of the last message applied. */
    tick: number;
    /** Whether a `joined` has been applied. */
    loaded: boolean;
    /** Whether an entity id above 2^53 has been seen (it was rounded). */
    unsafeIds: boolean;
    private entry;
    private id;
    /** Notes an id above 2^53 (`unsafeIds`). */
    private flag;
    /** Turns a wire value of `entry`'s type into its JS form. */
    private value;
    /** Replaces the whole state with a `joined` message's. */
    applyJoined(message: JoinedMessage): StateChange;
    /**
     * Applies a `patch` message: `ch`, then `rm`, then `gone`, then `r`.
     * Throws a `ParlorError` (`bad_frame`) for a malformed one, which is then
     * not applied at all.
     */
    applyPatch(message: PatchMessage): StateChange;
    /**
     * Applies a `p` message (a compact patch) exactly as the equivalent
     * `patch`. Throws a `ParlorError` (`bad_frame`) for a malformed one
     * (counts that do not add up, an unknown type index...), which is then
     * not applied at all.
     */
    applyCompact(message: CompactPatchMessage): StateChange;
    private parsePatch;
    private parseCompact;
    /** Applies a checked patch; nothing in it can fail. */
    private applyDelta;
}
export {};
