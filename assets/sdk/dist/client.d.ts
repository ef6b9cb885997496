import { Emitter } from "./emitter.js";
import { ParlorError } from "./errors.js";
import { Room } from "./room.js";
/** The signed-in player, from `welcome`. */
export interface Player {
    id: string;
    name: string;
}
/** How the client reconnects after the socket drops (docs/sdk.md). */
export interface ReconnectOptions {
    /** Attempts in a row before giving up; default 20. `Infinity` never gives up. */
    attempts?: number;
    /** The first delay in ms; default 250. Each attempt doubles it. */
    minDelay?: number;
    /** The longest delay in ms; default 8000. */
    maxDelay?: number;
}
/** Options of `Parlor.connect`. */
export interface ConnectOptions {
    /** Telegram initData to sign in with; default `Telegram.WebApp.initData`. */
    initData?: string;
    /** A guest name, used outside Telegram; default "Guest NNNN". */
    guest?: string;
    /**
     * A session token from an earlier connection (`client.session`, kept by
     * the page, say in sessionStorage), to sign in as the same player and get
     * a seat still held back (a reloaded page). If the server refuses it, the
     * client signs in with initData or the guest name instead.
     */
    session?: string;
    /** The start parameter; default Telegram's `start_param`. */
    startParam?: string | null;
    /** A WebSocket constructor (the `ws` package in Node); default `globalThis.WebSocket`. */
    WebSocket?: new (url: string) => any;
    /** `false` turns automatic reconnection off; default on (see `ReconnectOptions`). */
    reconnect?: boolean | ReconnectOptions;
    /** How long a request (join, ping, the handshake) may wait for its answer, in ms; default 10000. */
    requestTimeout?: number;
    /** The server's inbound frame limit in bytes; default `MAX_FRAME_BYTES` (16384). */
    maxFrameBytes?: number;
    /** Inputs are dropped while the socket holds more unsent bytes than this; default 262144. */
    maxBufferedBytes?: number;
    /**
     * Ask for compact patches (`p` messages, fewer bytes; `hello.compact`);
     * default `true`. A server without them ignores the request and sends
     * `patch`, which the client applies all the same.
     */
    compact?: boolean;
    /**
     * With `compact`, ask for lean compact patches (`hello.lean`): no tick
     * in each `p` (it is one more than the last), the ack only when it
     * changed, a float that holds a whole number sent as an integer (the
     * same number in JavaScript), and a struct value whose fields partly
     * changed sent as those fields only; default `true`. A server without them
     * sends full `p` messages, which the client applies all the same.
     */
    lean?: boolean;
}
/** `connecting` until the first `welcome`, then `open`; `reconnecting` while the socket is down; `closed` at the end. */
export type ClientStatus = "connecting" | "open" | "reconnecting" | "closed";
/** The events of a client, for `client.on(name, fn)`. */
export interface ClientEvents {
    /** An error not tied to a request or a room (`bad_frame`, a refused hello while reconnecting, ...). */
    error: ParlorError;
    /** The socket dropped; another attempt starts after `delay` ms. */
    reconnecting: {
        attempt: number;
        delay: number;
        code: number;
        reason: string;
    };
    /** Signed in again; `room` is the restored room (the same object as before), or null. */
    reconnected: {
        room: Room<any, any> | null;
    };
    /** The client is closed for good: by `client.close()`, a fatal error, or reconnection giving up. */
    close: {
        code: number;
        reason: string;
    };
    /** The server put this client in a room it did not ask for just now (a late answer, a resumed seat elsewhere). */
    room: Room<any, any>;
    /**
     * The server said the room lives on another node (`redirect`): the client
     * follows it (connects to `url` and signs in there as the same player,
     * docs/sdk.md "Clusters"). Informational; emitted before following.
     */
    redirect: {
        url: string;
        room: string;
    };
}
/** Turns `url` into a ws:// or wss:// address; relative to the page in a browser. */
export declare function resolveUrl(url?: string): string;
/**
 * A connection to a Parlor server, signed in as one player. Create it with
 * `Parlor.connect`. It is in at most one room at a time (`client.room`);
 * entering another room leaves the current one (which emits `left` with
 * reason `switched`).
 */
export declare class Client extends Emitter<ClientEvents> {
    /**
     * The websocket address of the node the client is connected to: the one
     * given to `connect`, until a `redirect` moves the client to another node
     * of a cluster (reconnections then go there).
     */
    url: string;
    /** The signed-in player (a guest who signs in afresh after a reconnection gets a new id). */
    player: Player;
    /** The resume token from the last `welcome` ("" when the server offers none). */
    session: string;
    /** The start parameter the page was opened with, if any. */
    readonly startParam: string | null;
    /** The start parameter, upper-cased, when it is a room code; else null. */
    readonly startRoom: string | null;
    /** The room this client is in, or null. */
    room: Room<any, any> | null;
    status: ClientStatus;
    /** The server's inbound frame limit this client keeps inputs under. */
    readonly maxFrameBytes: number;
    /** Whether each `hello` asks for compact patches (the `compact` option). */
    readonly compact: boolean;
    /** Whether each `hello` asks for lean compact patches (the `lean` option). */
    readonly lean: boolean;
    private readonly Socket;
    private readonly credentials;
    private readonly requestTimeout;
    private readonly maxBufferedBytes;
    private readonly retry;
    private socket;
    private welcomed;
    private helloKind;
    private handshakeTimer;
    private retryTimer;
    private attempt;
    /** The last request id sent; each request gets the next one (a u32, wrapping). */
    private ridCounter;
    /** The request id of this socket's `hello`. */
    private helloRid;
    /**
     * Whether the server echoes request ids on this socket (protocol 1.1), as
     * its `welcome` tells. If not, answers are matched to requests in order.
     */
    private echoes;
    /** Room requests waiting, by request id, oldest first. */
    private pending;
    /** Pings waiting, by request id (also their `n`). */
    private pings;
    /** Leaves waiting, by request id. */
    private leaves;
    private restoring;
    /** A redirect being followed (the socket to the room's node is opening), or null. */
    private following;
    /** Redirects followed since the last `joined`. */
    private redirects;
    /** A restoring `join` whose room the app left meanwhile: its `joined` is answered with `leave`. */
    private abandoned;
    private fatal;
    private startUsed;
    private held;
    private signInAfresh;
    private heldTimer;
    private opening;
    private readonly link;
    /** Joins a public room of `game` with a free seat, or opens one. */
    quick<C extends object = Record<string, any>, R extends object = Record<string, any>>(game: string): Promise<Room<C, R>>;
    /** Opens a new room of `game`; a private one is joinable by code only. */
    create<C extends object = Record<string, any>, R extends object = Record<string, any>>(game: string, options?: {
        private?: boolean;
    }): Promise<Room<C, R>>;
    /** Joins the room with this code, or a private room by its invite (`room.invite`; any case). */
    join<C extends object = Record<string, any>, R extends object = Record<string, any>>(code: string): Promise<Room<C, R>>;
    /** Joins the room of `game` for the Telegram chat the Mini App was opened from. */
    chat<C extends object = Record<string, any>, R extends object = Record<string, any>>(game: string): Promise<Room<C, R>>;
    /**
     * Watches the room with this code, or a private room by its invite, without
     * a seat: the room's `watching` is true and `you` null; it gets the public
     * state, events and results, and sends no inputs. Rejects with
     * `no_such_room` (no such room, or a private room's code without its
     * secret) or `room_full` (as many spectators as the game takes). Watching
     * opens no room, and like `join` it leaves the room the client was in.
     */
    watch<C extends object = Record<string, any>, R extends object = Record<string, any>>(code: string): Promise<Room<C, R>>;
    /**
     * Watches the room of `game` for the Telegram chat the Mini App was opened
     * from, without a seat (see `watch`); for instance after `chat(game)`
     * was refused with `room_full`. Rejects with `no_such_room` when the chat has no open room
     * of `game` (watching opens none) or the client did not sign in from a
     * chat.
     */
    watchChat<C extends object = Record<string, any>, R extends object = Record<string, any>>(game: string): Promise<Room<C, R>>;
    /**
     * Watches a recorded match played back, by its id (`result.match`): the
     * server plays it again in a room of its own, at the pace it was played,
     * then sends the recorded `result` and `left` with reason `finished`. The
     * room is watched without a seat (see `watch`), and `room.replay` is the
     * match id. Rejects with `no_such_room` (no such match, or a match of a
     * game that does not record) or `rate_limited` (the server plays as many
     * replays as it will at once). A reconnection watches the replay again,
     * from the beginning. Like `watch`, it leaves the room the client was in.
     */
    watchReplay<C extends object = Record<string, any>, R extends object = Record<string, any>>(match: string): Promise<Room<C, R>>;
    /**
     * The default way in. If the client is already in a room of `game` (a seat
     * the server kept for a reloaded page; not a room it watches), that room.
     * Else the first call joins `startRoom` when the page was opened with a
     * room code (an invite link); otherwise, or when that room is gone or full (unless `fallback`
     * is false), or is of another game, a quick match of `game`.
     */
    play<C extends object = Record<string, any>, R extends object = Record<string, any>>(game: string, options?: {
        fallback?: boolean;
    }): Promise<Room<C, R>>;
    /** Round-trip time to the server in milliseconds. */
    ping(): Promise<number>;
    /** Closes the connection for good; the room, if any, emits `left` with reason `closed`. */
    close(): void;
    private request;
    /** Sends `message` with a fresh request id as `entry`'s request, waiting `requestTimeout` for its answer. */
    private sendRequest;
    /** The next request id: every request the client sends carries a fresh one. */
    private nextRid;
    /** The oldest room request waiting, taken out: the answer by order, from a server that does not echo request ids. */
    private takeOldest;
    private canSend;
    private write;
    private leaveRoom;
    /** Whether a `leave` for `room` is already waiting for its answer (it is not sent twice). */
    private leaveWaiting;
    /** Sends `leave` with a fresh request id; its answer is waited for at most `requestTimeout`. */
    private sendLeave;
    private ready;
    private openSocket;
    /** Closes `socket` and handles it as gone now, without waiting for its close event. */
    private drop;
    private hello;
    private onData;
    private dispatch;
    private onHandshake;
    private finishOpening;
    /** The held seat's `joined` came, or `left`, or neither in time: connect resolves. */
    private endHeld;
    private onJoined;
    /**
     * Whether a message without a matching request id may answer the oldest
     * request waiting: only without an id, from a server that does not echo
     * ids (protocol 1.0). From one that does, a message without an id is
     * never an answer.
     */
    private inOrder;
    /** The `joined` that restores the room being restored. */
    private restored;
    private onLeft;
    /** `room` (if any, and still active) is left, answering its `leave`. */
    private leftBy;
    /**
     * A new `Room` from `joined`, which answers `request` (null when nothing
     * was asked for); the room the client was in, if any, is left (`switched`).
     */
    private adopt;
    private onError;
    /**
     * A `redirect`: the room lives on another node of a cluster. As the answer
     * to a room request (its `rid`), or to the `join` restoring a room, or
     * right after `welcome` (a session whose held seat is on another node).
     * The client moves there: closes this socket, connects to `url`, signs in
     * with the latest session token, then sends `join` for the request (the
     * held seat comes back by itself).
     */
    private onRedirect;
    /** Leaves this node for the one at `url` (see `onRedirect`). */
    private move;
    /** An error about `room`: to the room's listeners, else to the client's. */
    private roomError;
    private onSocketGone;
    private scheduleRetry;
    /** After a `welcome` on a new socket: get the room back, if there was one. */
    private resume;
    private restoreByJoin;
    /** The room being restored is not got back: it is left (`expired`, or `shutdown`). */
    private expire;
    private rejectWaiting;
    private shutdown;
}
