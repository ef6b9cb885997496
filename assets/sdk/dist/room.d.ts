import type { LEFT_REASONS } from "./constants.js";
import { Emitter } from "./emitter.js";
import { ParlorError } from "./errors.js";
import type { EntityId, StateChange } from "./mirror.js";
import { StateMirror } from "./mirror.js";
/** An `event` message: a one-off game event. */
export interface GameEvent {
    name: string;
    d: unknown;
}
/** One player's line in a `result`. */
export interface RankLine {
    player: string;
    name: string;
    /** 1 is best; ties share a rank. */
    rank: number;
    score: number;
}
/** A `result` message: the match ended and is recorded. */
export interface MatchResult {
    match: string;
    ranking: RankLine[];
    /**
     * The match's seed, hex, revealed now that it is over: its SHA-256 is the
     * commitment `room.fair` held while it was played.
     * `null` from a server that sends none.
     */
    seed: string | null;
}
/** A `fair` message: the commitment to the seed of the match that begins next. */
export interface FairEvent {
    /** SHA-256 of the next match's seed, hex (also `room.fair` from now on). */
    commit: string;
}
/** A `left.reason` the server sends: one of `LEFT_REASONS`. */
export type LeftReason = (typeof LEFT_REASONS)[number];
/**
 * Why a room was left: the server's `leave` (the app asked), `finished`
 * (the match ended and the room closed), `error` (the game failed),
 * `replaced` (the same player joined from another connection), `expired`
 * (a held seat was released), `shutdown` (the server is shutting down; the
 * client reconnects, without the room); or the SDK's `switched` (this
 * client entered another room), `expired` (the seat was lost while
 * reconnecting), `closed` (`client.close()`), `disconnected` (the
 * connection is gone for good). A newer server may send other reasons.
 */
export interface LeftEvent {
    reason: LeftReason | "switched" | "closed" | "disconnected" | (string & {});
}
/** The events of a room, for `room.on(name, fn)`. */
export interface RoomEvents {
    /** After each `joined` and `patch` (or `p`) is applied to `room.state`. */
    change: StateChange;
    event: GameEvent;
    result: MatchResult;
    /** A continuous room's next match has a new seed commitment (`room.fair` is updated first). */
    fair: FairEvent;
    left: LeftEvent;
    /**
     * An error about this room's inputs (`illegal_input`, `rate_limited`,
     * `spectator`, ...), or a patch for it that was malformed and not applied
     * (`bad_frame`).
     */
    error: ParlorError;
}
/**
 * A room this client is in. Its `state` mirrors the room's replicated state;
 * it stays readable after the room is left (the final board, say).
 */
export declare class Room<C extends object = Record<string, any>, R extends object = Record<string, any>> extends Emitter<RoomEvents> {
    /** The room code (6 characters): joins a public room or a chat's room (`t.me/<bot>/<app>?startapp=CODE`). */
    readonly code: string;
    /**
     * A private room's invite (`CODE-SECRET`), the only way into it: share
     * this, not the code (`t.me/<bot>/<app>?startapp=CODE-SECRET`). `null`
     * for public and chat rooms (and from a 1.0 server).
     */
    readonly invite: string | null;
    /** The game's name. */
    readonly game: string;
    /** The mirrored state. */
    readonly state: StateMirror<C, R>;
    /** This player's entity id; `null` while watching (a spectator has no entity). */
    you: EntityId | null;
    /**
     * Whether the client watches this room without a seat (`client.watch`,
     * `client.watchChat`, `client.watchReplay`): it sees the public state,
     * events and results, and sends no inputs (`send` throws `spectator`).
     */
    watching: boolean;
    /**
     * The id of the recorded match this room plays back (`client.watchReplay`),
     * or `null` for a live room. A replay is watched (`watching` is true); it
     * ends with the recorded `result` and `left` with reason `finished`.
     */
    readonly replay: string | null;
    /**
     * The commitment to the current match's seed: its SHA-256, hex, from
     * `joined` and each `fair` message; the `result` reveals the seed.
     * `null` from a server that sends none.
     */
    fair: string | null;
    /** The highest input `seq` sent. */
    seq: number;
    /** The highest input `seq` the room applied (from the last patch). */
    ack: number;
    /** `active` until the room is left. */
    status: "active" | "left";
    /** Why the room was left, once it is. */
    leftReason: LeftEvent["reason"] | null;
    private readonly link;
    private warnedUnsafe;
    /** This player's entity's components (`undefined` if it has none replicated, or while watching). */
    get me(): Partial<C> | undefined;
    /** Whether inputs can be sent now (never while watching). */
    get connected(): boolean;
    /**
     * Sends an input with the next `seq`. Returns false, and sends nothing,
     * while the room is left or the connection is down (inputs are dropped,
     * never queued) or the socket's send buffer is full. Throws a
     * `ParlorError` with code `too_big` for an input over the server's frame
     * limit, and with code `spectator` while watching (nothing is sent: the
     * server would refuse it with that code).
     */
    send(input: unknown): boolean;
    /**
     * Leaves the room. Resolves once the server confirms (the room then emits
     * `left` with reason `leave`), or at once when not connected. The seat is
     * not kept for reconnection.
     */
    leave(): Promise<void>;
    /** Round-trip time to the server in milliseconds. */
    ping(): Promise<number>;
    private checkIds;
}
