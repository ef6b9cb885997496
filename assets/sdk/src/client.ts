import { decodeFrame, encodeFrame } from "./codec.js";
import type { Message } from "./codec.js";
import { CLOSE_SESSION_REPLACED, MAX_FRAME_BYTES, PROTOCOL_VERSION } from "./constants.js";
import { Emitter } from "./emitter.js";
import { ParlorError } from "./errors.js";
import type { ErrorCode } from "./errors.js";
import type { CompactPatchMessage, JoinedMessage, PatchMessage } from "./mirror.js";
import { Room } from "./room.js";
import type { MatchResult, RoomLink } from "./room.js";
import { guestName, isRoomCode, telegramLaunch } from "./telegram.js";

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
  reconnecting: { attempt: number; delay: number; code: number; reason: string };
  /** Signed in again; `room` is the restored room (the same object as before), or null. */
  reconnected: { room: Room<any, any> | null };
  /** The client is closed for good: by `client.close()`, a fatal error, or reconnection giving up. */
  close: { code: number; reason: string };
  /** The server put this client in a room it did not ask for just now (a late answer, a resumed seat elsewhere). */
  room: Room<any, any>;
  /**
   * The server said the room lives on another node (`redirect`): the client
   * follows it (connects to `url` and signs in there as the same player,
   * docs/sdk.md "Clusters"). Informational; emitted before following.
   */
  redirect: { url: string; room: string };
}

interface SocketLike {
  binaryType: string;
  readonly readyState: number;
  readonly bufferedAmount: number;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code?: number; reason?: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

/** A room request (quick, create, join, chat, watch) waiting for its `joined` or `error`. */
interface Pending {
  /** The request as sent, without its `rid` (sent again on another node after a redirect). */
  message: Message;
  resolve: (room: Room<any, any>) => void;
  reject: (error: ParlorError) => void;
  timer: ReturnType<typeof setTimeout>;
}

/** A `leave` waiting for its `left` (or `not_in_room`); `room` is null for a leave the app did not ask for. */
interface PendingLeave {
  room: Room<any, any> | null;
  timer: ReturnType<typeof setTimeout>;
}

interface PendingPing {
  resolve: () => void;
  reject: (error: ParlorError) => void;
  timer: ReturnType<typeof setTimeout>;
}

/** A `redirect` being followed: the socket to the room's node is opening. */
interface Following {
  /** What to `join` there. */
  room: string;
  /** The request the redirect answered (it is answered by the `join` there), or null. */
  request: Pending | null;
  /** Other requests that were waiting on the old socket: sent again there. */
  carried: Pending[];
  /** A room was being restored after a reconnection: the new node's `welcome` resumes it. */
  reconnecting: boolean;
}

interface Restoring {
  room: Room<any, any>;
  via: "session" | "join";
  /** The request id of the `join` (via `join` only). */
  rid?: number;
  timer: ReturnType<typeof setTimeout>;
}

const OPEN = 1;
/** Requests waiting for an answer at once; more are refused with `busy`. */
const MAX_PENDING = 8;
/** Pings waiting for a pong at once; more are refused with `busy`. */
const MAX_PINGS = 16;
/** Redirects followed in a row without a `joined` in between; one more fails with `redirect_loop`. */
const MAX_REDIRECTS = 3;
/** A set of the server's error codes (each checked against `ERROR_CODES` by the compiler). */
const codes = (...list: ErrorCode[]): ReadonlySet<string> => new Set<string>(list);
/**
 * Error codes that answer a quick/create/join/chat request, for a server
 * that does not echo request ids (a server that does says which request an
 * error answers with its `rid`).
 */
const REQUEST_ERRORS = codes(
  "no_such_game",
  "no_such_room",
  "room_full",
  "server_full",
  "unsupported",
  "internal",
  "guest_disabled",
);
/** Refusals of a `hello` with a session token, after which the client signs in afresh. */
const SESSION_REFUSALS = codes("auth_expired", "auth_failed", "guest_disabled");
/** Refusals of a fresh `hello` that another attempt cannot change. */
const FATAL_HELLO = codes("auth_failed", "auth_expired", "guest_disabled", "version", "bad_message");
/** Error codes about the current room's inputs. */
const ROOM_ERRORS = codes("illegal_input", "rate_limited", "not_in_room", "bad_message", "spectator");

const now: () => number =
  typeof performance !== "undefined" && typeof performance.now === "function"
    ? () => performance.now()
    : () => Date.now();

/** Turns `url` into a ws:// or wss:// address; relative to the page in a browser. */
export function resolveUrl(url?: string): string {
  const location = (globalThis as { location?: { href: string } }).location;
  let address = url === undefined || url === "" ? "/ws" : url;
  if (!/^[a-z][a-z0-9+.-]*:/i.test(address)) {
    if (location === undefined) throw new TypeError("connect needs an absolute ws:// url outside a browser");
    address = new URL(address, location.href).href;
  }
  return address.replace(/^http(s?):/i, "ws$1:");
}

/**
 * A connection to a Parlor server, signed in as one player. Create it with
 * `Parlor.connect`. It is in at most one room at a time (`client.room`);
 * entering another room leaves the current one (which emits `left` with
 * reason `switched`).
 */
export class Client extends Emitter<ClientEvents> {
  /**
   * The websocket address of the node the client is connected to: the one
   * given to `connect`, until a `redirect` moves the client to another node
   * of a cluster (reconnections then go there).
   */
  url: string;
  /** The signed-in player (a guest who signs in afresh after a reconnection gets a new id). */
  player: Player = { id: "", name: "" };
  /** The resume token from the last `welcome` ("" when the server offers none). */
  session = "";
  /** The start parameter the page was opened with, if any. */
  readonly startParam: string | null;
  /** The start parameter, upper-cased, when it is a room code; else null. */
  readonly startRoom: string | null;
  /** The room this client is in, or null. */
  room: Room<any, any> | null = null;
  status: ClientStatus = "connecting";
  /** The server's inbound frame limit this client keeps inputs under. */
  readonly maxFrameBytes: number;
  /** Whether each `hello` asks for compact patches (the `compact` option). */
  readonly compact: boolean;
  /** Whether each `hello` asks for lean compact patches (the `lean` option). */
  readonly lean: boolean;

  private readonly Socket: new (url: string) => SocketLike;
  private readonly credentials: { init_data: string } | { guest: string };
  private readonly requestTimeout: number;
  private readonly maxBufferedBytes: number;
  private readonly retry: Required<ReconnectOptions> & { enabled: boolean };
  private socket: SocketLike | null = null;
  private welcomed = false;
  private helloKind: "session" | "fresh" = "fresh";
  private handshakeTimer: ReturnType<typeof setTimeout> | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private attempt = 0;
  /** The last request id sent; each request gets the next one (a u32, wrapping). */
  private ridCounter = 0;
  /** The request id of this socket's `hello`. */
  private helloRid = -1;
  /**
   * Whether the server echoes request ids on this socket (protocol 1.1), as
   * its `welcome` tells. If not, answers are matched to requests in order.
   */
  private echoes = false;
  /** Room requests waiting, by request id, oldest first. */
  private pending = new Map<number, Pending>();
  /** Pings waiting, by request id (also their `n`). */
  private pings = new Map<number, PendingPing>();
  /** Leaves waiting, by request id. */
  private leaves = new Map<number, PendingLeave>();
  private restoring: Restoring | null = null;
  /** A redirect being followed (the socket to the room's node is opening), or null. */
  private following: Following | null = null;
  /** Redirects followed since the last `joined`. */
  private redirects = 0;
  /** A restoring `join` whose room the app left meanwhile: its `joined` is answered with `leave`. */
  private abandoned: { code: string; rid: number } | null = null;
  private fatal: ParlorError | null = null;
  private startUsed = false;
  private held: string | null = null;
  private signInAfresh = false;
  private heldTimer: ReturnType<typeof setTimeout> | undefined;
  private opening: { resolve: () => void; reject: (error: Error) => void } | undefined;
  private readonly link: RoomLink;

  /** @internal Use `Parlor.connect`. */
  constructor(url: string | undefined, options: ConnectOptions = {}) {
    super();
    this.url = resolveUrl(url);
    const launch = telegramLaunch();
    const Socket = options.WebSocket ?? (globalThis as { WebSocket?: new (url: string) => unknown }).WebSocket;
    if (typeof Socket !== "function") {
      throw new TypeError("no WebSocket: pass one as the WebSocket option (the ws package in Node)");
    }
    this.Socket = Socket as new (url: string) => SocketLike;
    const initData = options.initData || launch.initData;
    this.credentials = initData ? { init_data: initData } : { guest: options.guest || guestName() };
    this.session = options.session ?? "";
    const startParam = options.startParam === undefined ? launch.startParam : options.startParam;
    this.startParam = startParam || null;
    this.startRoom = isRoomCode(this.startParam) ? this.startParam.toUpperCase() : null;
    this.requestTimeout = options.requestTimeout ?? 10_000;
    this.maxFrameBytes = options.maxFrameBytes ?? MAX_FRAME_BYTES;
    this.maxBufferedBytes = options.maxBufferedBytes ?? 256 * 1024;
    this.compact = options.compact !== false;
    this.lean = this.compact && options.lean !== false;
    const retry = typeof options.reconnect === "object" ? options.reconnect : {};
    this.retry = {
      enabled: options.reconnect !== false,
      attempts: retry.attempts ?? 20,
      minDelay: retry.minDelay ?? 250,
      maxDelay: retry.maxDelay ?? 8000,
    };
    this.link = {
      canSend: (room) => this.canSend(room),
      write: (frame) => this.write(frame),
      leaveRoom: (room) => this.leaveRoom(room),
      ping: () => this.ping(),
      nextRid: () => this.nextRid(),
      maxFrameBytes: this.maxFrameBytes,
    };
  }

  /** @internal Opens the first connection; resolves on `welcome`. */
  start(): Promise<this> {
    return new Promise<this>((resolve, reject) => {
      this.opening = { resolve: () => resolve(this), reject };
      this.openSocket();
    });
  }

  // ---- requests ----

  /** Joins a public room of `game` with a free seat, or opens one. */
  quick<C extends object = Record<string, any>, R extends object = Record<string, any>>(
    game: string,
  ): Promise<Room<C, R>> {
    return this.request({ t: "quick", game: checkName(game) });
  }

  /** Opens a new room of `game`; a private one is joinable by code only. */
  create<C extends object = Record<string, any>, R extends object = Record<string, any>>(
    game: string,
    options: { private?: boolean } = {},
  ): Promise<Room<C, R>> {
    return this.request({ t: "create", game: checkName(game), private: options.private === true });
  }

  /** Joins the room with this code, or a private room by its invite (`room.invite`; any case). */
  join<C extends object = Record<string, any>, R extends object = Record<string, any>>(
    code: string,
  ): Promise<Room<C, R>> {
    return this.request({ t: "join", room: checkName(code).toUpperCase() });
  }

  /** Joins the room of `game` for the Telegram chat the Mini App was opened from. */
  chat<C extends object = Record<string, any>, R extends object = Record<string, any>>(
    game: string,
  ): Promise<Room<C, R>> {
    return this.request({ t: "chat", game: checkName(game) });
  }

  /**
   * Watches the room with this code, or a private room by its invite, without
   * a seat: the room's `watching` is true and `you` null; it gets the public
   * state, events and results, and sends no inputs. Rejects with
   * `no_such_room` (no such room, or a private room's code without its
   * secret) or `room_full` (as many spectators as the game takes). Watching
   * opens no room, and like `join` it leaves the room the client was in.
   */
  watch<C extends object = Record<string, any>, R extends object = Record<string, any>>(
    code: string,
  ): Promise<Room<C, R>> {
    return this.request({ t: "watch", room: checkName(code).toUpperCase() });
  }

  /**
   * Watches the room of `game` for the Telegram chat the Mini App was opened
   * from, without a seat (see `watch`); for instance after `chat(game)`
   * was refused with `room_full`. Rejects with `no_such_room` when the chat has no open room
   * of `game` (watching opens none) or the client did not sign in from a
   * chat.
   */
  watchChat<C extends object = Record<string, any>, R extends object = Record<string, any>>(
    game: string,
  ): Promise<Room<C, R>> {
    return this.request({ t: "watch", game: checkName(game) });
  }

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
  watchReplay<C extends object = Record<string, any>, R extends object = Record<string, any>>(
    match: string,
  ): Promise<Room<C, R>> {
    return this.request({ t: "watch", replay: checkName(match) });
  }

  /**
   * The default way in. If the client is already in a room of `game` (a seat
   * the server kept for a reloaded page; not a room it watches), that room.
   * Else the first call joins `startRoom` when the page was opened with a
   * room code (an invite link); otherwise, or when that room is gone or full (unless `fallback`
   * is false), or is of another game, a quick match of `game`.
   */
  async play<C extends object = Record<string, any>, R extends object = Record<string, any>>(
    game: string,
    options: { fallback?: boolean } = {},
  ): Promise<Room<C, R>> {
    const current = this.room;
    // A room the client only watches is no way in: play takes a seat.
    if (current !== null && current.status === "active" && current.game === game && !current.watching) {
      return current as Room<C, R>;
    }
    const code = this.startUsed ? null : this.startRoom;
    this.startUsed = true;
    if (code !== null) {
      let room: Room<C, R>;
      try {
        room = await this.join<C, R>(code);
      } catch (error) {
        const gone = error instanceof ParlorError && (error.code === "no_such_room" || error.code === "room_full");
        if (!gone || options.fallback === false) throw error;
        return this.quick<C, R>(game);
      }
      if (room.game === game) return room;
      await room.leave();
    }
    return this.quick<C, R>(game);
  }

  /** Round-trip time to the server in milliseconds. */
  ping(): Promise<number> {
    if (!this.ready()) return Promise.reject(new ParlorError("disconnected", "not connected"));
    if (this.pings.size >= MAX_PINGS) return Promise.reject(new ParlorError("busy", "too many pings waiting"));
    // `n` is the request id too: a pong is matched by its `rid`, or by its
    // `n` from a server that does not echo request ids.
    const rid = this.nextRid();
    const sent = now();
    return new Promise<number>((resolve, reject) => {
      const entry: PendingPing = {
        resolve: () => resolve(now() - sent),
        reject,
        timer: setTimeout(() => {
          if (this.pings.get(rid) === entry) this.pings.delete(rid);
          reject(new ParlorError("timeout", "no pong in time"));
        }, this.requestTimeout),
      };
      this.pings.set(rid, entry);
      this.write(encodeFrame({ t: "ping", n: rid, rid }), true);
    });
  }

  /** Closes the connection for good; the room, if any, emits `left` with reason `closed`. */
  close(): void {
    this.shutdown(1000, "closed by the app", "closed");
  }

  private request<C extends object, R extends object>(message: Message): Promise<Room<C, R>> {
    if (!this.ready()) return Promise.reject(new ParlorError("disconnected", "not connected"));
    if (this.pending.size >= MAX_PENDING) {
      return Promise.reject(new ParlorError("busy", "too many room requests waiting"));
    }
    this.redirects = 0;
    return new Promise<Room<C, R>>((resolve, reject) => {
      const entry: Pending = {
        message,
        resolve: resolve as (room: Room<any, any>) => void,
        reject,
        timer: undefined as unknown as ReturnType<typeof setTimeout>,
      };
      this.sendRequest(entry, message);
    });
  }

  /** Sends `message` with a fresh request id as `entry`'s request, waiting `requestTimeout` for its answer. */
  private sendRequest(entry: Pending, message: Message): void {
    const rid = this.nextRid();
    clearTimeout(entry.timer);
    entry.timer = setTimeout(() => {
      if (this.pending.get(rid) === entry) this.pending.delete(rid);
      entry.reject(new ParlorError("timeout", `no answer to ${entry.message.t} in time`));
    }, this.requestTimeout);
    this.pending.set(rid, entry);
    this.write(encodeFrame({ ...message, rid }), true);
  }

  /** The next request id: every request the client sends carries a fresh one. */
  private nextRid(): number {
    this.ridCounter = (this.ridCounter + 1) >>> 0;
    return this.ridCounter;
  }

  /** The oldest room request waiting, taken out: the answer by order, from a server that does not echo request ids. */
  private takeOldest(): Pending | undefined {
    for (const [rid, entry] of this.pending) {
      this.pending.delete(rid);
      return entry;
    }
    return undefined;
  }

  // ---- what rooms use ----

  private canSend(room: Room<any, any>): boolean {
    return this.ready() && this.room === room && this.restoring === null;
  }

  private write(frame: Uint8Array, control = false): boolean {
    const socket = this.socket;
    if (socket === null || socket.readyState !== OPEN) return false;
    if (!control && socket.bufferedAmount > this.maxBufferedBytes) return false;
    try {
      socket.send(frame);
      return true;
    } catch {
      return false;
    }
  }

  private leaveRoom(room: Room<any, any>): Promise<void> {
    if (room.status === "left") return Promise.resolve();
    room.leaving = true;
    if (this.restoring?.room === room) {
      clearTimeout(this.restoring.timer);
      if (this.restoring.via === "join") this.abandoned = { code: room.code, rid: this.restoring.rid ?? -1 };
      this.restoring = null;
    }
    const waiting = this.room === room && this.ready() && (this.leaveWaiting(room) || this.sendLeave(room));
    if (!waiting) {
      if (this.room === room) this.room = null;
      room._left("leave");
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        if (this.room === room) this.room = null;
        room._left("leave");
      }, this.requestTimeout);
      room.once("left", () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Whether a `leave` for `room` is already waiting for its answer (it is not sent twice). */
  private leaveWaiting(room: Room<any, any>): boolean {
    for (const leave of this.leaves.values()) if (leave.room === room) return true;
    return false;
  }

  /** Sends `leave` with a fresh request id; its answer is waited for at most `requestTimeout`. */
  private sendLeave(room: Room<any, any> | null): boolean {
    const rid = this.nextRid();
    if (!this.write(encodeFrame({ t: "leave", rid }), true)) return false;
    this.leaves.set(rid, { room, timer: setTimeout(() => this.leaves.delete(rid), this.requestTimeout) });
    return true;
  }

  // ---- the socket ----

  private ready(): boolean {
    return this.status === "open" && this.welcomed && this.socket !== null && this.socket.readyState === OPEN;
  }

  private openSocket(): void {
    let socket: SocketLike;
    try {
      socket = new this.Socket(this.url);
    } catch (error) {
      // Let the caller's stack unwind before the socket counts as gone.
      setTimeout(() => this.onSocketGone(1006, String(error)), 0);
      return;
    }
    socket.binaryType = "arraybuffer";
    this.socket = socket;
    this.welcomed = false;
    this.echoes = false;
    this.handshakeTimer = setTimeout(() => {
      if (this.socket === socket) this.drop(socket, 4000, "no welcome in time");
    }, this.requestTimeout);
    socket.onopen = () => {
      if (this.socket !== socket) return;
      this.hello(this.session !== "" ? "session" : "fresh");
    };
    socket.onmessage = (event) => {
      if (this.socket === socket) this.onData(event.data);
    };
    socket.onclose = (event) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.onSocketGone(event?.code ?? 1006, event?.reason ?? "");
    };
    socket.onerror = () => {
      // A close event follows.
    };
  }

  /** Closes `socket` and handles it as gone now, without waiting for its close event. */
  private drop(socket: SocketLike, code: number, reason: string): void {
    shut(socket, reason);
    if (this.socket === socket) {
      this.socket = null;
      this.onSocketGone(code, reason);
    }
  }

  private hello(kind: "session" | "fresh"): void {
    this.helloKind = kind;
    const v = PROTOCOL_VERSION;
    const message: Message =
      kind === "session" ? { t: "hello", v, session: this.session } : { t: "hello", v, ...this.credentials };
    if (this.compact) message.compact = true;
    if (this.lean) message.lean = true;
    this.helloRid = this.nextRid();
    message.rid = this.helloRid;
    this.write(encodeFrame(message), true);
  }

  private onData(data: unknown): void {
    let message: Message;
    try {
      if (!(data instanceof ArrayBuffer) && !ArrayBuffer.isView(data)) {
        throw new TypeError("a text frame");
      }
      message = decodeFrame(data);
    } catch (error) {
      this.emit("error", new ParlorError("bad_frame", `a frame that does not decode: ${String(error)}`));
      return;
    }
    try {
      this.dispatch(message);
    } catch (error) {
      if (error instanceof ParlorError) this.emit("error", error);
      else throw error;
    }
  }

  private dispatch(message: Message): void {
    if (!this.welcomed) {
      this.onHandshake(message);
      return;
    }
    const room = this.room !== null && this.room.status === "active" ? this.room : null;
    // A reply carries the request id of the request it answers (protocol
    // 1.1); other messages carry none.
    const rid = ridOf(message);
    switch (message.t) {
      case "joined":
        this.onJoined(message as unknown as JoinedMessage, rid);
        break;
      case "patch":
      case "p":
        if (room !== null && room.state.loaded && this.restoring === null) {
          try {
            room._patch(message as unknown as PatchMessage | CompactPatchMessage);
          } catch (error) {
            // A malformed patch was not applied: say so on the room (the
            // state is a patch behind until the next joined), ask for nothing.
            if (!(error instanceof ParlorError)) throw error;
            this.roomError(room, error);
          }
        }
        break;
      case "event":
        room?.emit("event", { name: String(message.name), d: message.d });
        break;
      case "result":
        room?.emit("result", {
          match: message.match,
          ranking: message.ranking,
          seed: typeof message.seed === "string" ? message.seed : null,
        } as MatchResult);
        break;
      case "fair":
        if (typeof message.commit === "string") room?._fair(message.commit);
        break;
      case "left":
        this.onLeft(String(message.reason), room, rid);
        break;
      case "error":
        this.onError(new ParlorError(String(message.code), String(message.message ?? "")), rid);
        break;
      case "pong": {
        // A ping's `n` is its request id.
        const key = rid ?? (message.n as number);
        const ping = this.pings.get(key);
        if (ping !== undefined) {
          this.pings.delete(key);
          clearTimeout(ping.timer);
          ping.resolve();
        }
        break;
      }
      case "redirect":
        this.onRedirect(message, rid);
        break;
      default:
      // A message a newer server sends: ignored.
    }
  }

  private onHandshake(message: Message): void {
    if (message.t === "welcome") {
      clearTimeout(this.handshakeTimer);
      const player = (message.player ?? {}) as Partial<Player>;
      this.player = { id: String(player.id ?? ""), name: String(player.name ?? "") };
      this.session = typeof message.session === "string" ? message.session : "";
      this.welcomed = true;
      // A server that echoes the hello's request id echoes every request's
      // (protocol 1.1): replies are matched by id on this socket, else in order.
      this.echoes = ridOf(message) === this.helloRid;
      // On the node a redirect led to: what was being done goes on here.
      const following = this.following;
      this.following = null;
      const reconnecting = this.status === "reconnecting" || following?.reconnecting === true;
      this.status = "open";
      this.attempt = 0;
      if (this.opening !== undefined) {
        if (typeof message.room === "string") {
          // A seat held from an earlier connection (a reloaded page): its
          // `joined` follows; connect resolves with the client in that room.
          this.held = message.room.toUpperCase();
          this.heldTimer = setTimeout(() => this.endHeld(), this.requestTimeout);
        } else {
          this.finishOpening();
        }
      } else if (reconnecting) {
        this.resume(message.room);
      }
      if (following !== null) {
        if (following.request !== null) this.sendRequest(following.request, { t: "join", room: following.room });
        for (const entry of following.carried) this.sendRequest(entry, entry.message);
      }
      return;
    }
    if (message.t === "error") {
      const error = new ParlorError(String(message.code), String(message.message ?? ""));
      if (this.helloKind === "session" && SESSION_REFUSALS.has(error.code)) {
        // The session is no longer good. The server closes the socket after a
        // refused hello: sign in afresh on the next one, without the token.
        this.session = "";
        this.signInAfresh = true;
        if (this.socket !== null) this.drop(this.socket, 1000, `session refused: ${error.code}`);
        return;
      }
      if (this.opening === undefined && !FATAL_HELLO.has(error.code)) {
        // A passing trouble (internal, rate_limited...): try again later.
        if (this.socket !== null) this.drop(this.socket, 1000, `hello refused: ${error.code}`);
        return;
      }
      this.fatal = error;
      this.shutdown(1000, `hello refused: ${error.code}`, "disconnected", error);
    }
    // Anything else before welcome is ignored.
  }

  private finishOpening(): void {
    const opening = this.opening;
    this.opening = undefined;
    opening?.resolve();
  }

  /** The held seat's `joined` came, or `left`, or neither in time: connect resolves. */
  private endHeld(): void {
    clearTimeout(this.heldTimer);
    this.held = null;
    this.finishOpening();
  }

  private onJoined(joined: JoinedMessage, rid: number | undefined): void {
    // `you` is nil for a spectator (`watching: true`).
    if (
      typeof joined.room !== "string" ||
      typeof joined.game !== "string" ||
      (typeof joined.you !== "number" && joined.you !== null)
    ) {
      throw new ParlorError("bad_frame", "malformed frame: joined without room, game or you");
    }
    const code = joined.room;
    this.redirects = 0;
    if (rid !== undefined) {
      // The answer to the request with this id, if one waits.
      const answer = this.pending.get(rid);
      if (answer !== undefined) {
        this.pending.delete(rid);
        clearTimeout(answer.timer);
        answer.resolve(this.adopt(joined, answer.message));
        return;
      }
      if (this.restoring !== null && this.restoring.rid === rid) {
        this.restored(joined);
        return;
      }
      if (this.abandoned !== null && this.abandoned.rid === rid) {
        this.abandoned = null;
        this.sendLeave(null);
        return;
      }
      // A late answer (its request timed out): as if unasked for.
    }
    if (this.held === code) {
      this.adopt(joined);
      this.endHeld();
      return;
    }
    if (this.restoring !== null && code === this.restoring.room.code) {
      this.restored(joined);
      return;
    }
    const current = this.room;
    if (current !== null && current.status === "active" && code === current.code && joined.you === current.you) {
      // A resync: the same seat in the same room (or, both null, a
      // spectator's resync after it fell behind).
      current._load(joined);
      return;
    }
    if (this.inOrder(rid)) {
      const answer = this.takeOldest();
      if (answer !== undefined) {
        clearTimeout(answer.timer);
        answer.resolve(this.adopt(joined, answer.message));
        return;
      }
      if (this.abandoned !== null && this.abandoned.code === code) {
        this.abandoned = null;
        this.sendLeave(null);
        return;
      }
    }
    this.emit("room", this.adopt(joined));
  }

  /**
   * Whether a message without a matching request id may answer the oldest
   * request waiting: only without an id, from a server that does not echo
   * ids (protocol 1.0). From one that does, a message without an id is
   * never an answer.
   */
  private inOrder(rid: number | undefined): boolean {
    return rid === undefined && !this.echoes;
  }

  /** The `joined` that restores the room being restored. */
  private restored(joined: JoinedMessage): void {
    const restoring = this.restoring;
    if (restoring === null) return;
    clearTimeout(restoring.timer);
    this.restoring = null;
    this.room = restoring.room;
    restoring.room._load(joined);
    this.emit("reconnected", { room: restoring.room });
  }

  private onLeft(reason: string, room: Room<any, any> | null, rid: number | undefined): void {
    const leave = rid === undefined ? undefined : this.leaves.get(rid);
    if (leave !== undefined) {
      // The answer to a `leave`.
      this.leaves.delete(rid as number);
      clearTimeout(leave.timer);
      this.leftBy(leave.room, reason);
      return;
    }
    if (this.held !== null) {
      // The held seat was released as the client signed in.
      this.endHeld();
    } else if (this.restoring !== null) {
      if (reason === "shutdown") {
        // The server is going away: the room is not restored, here or later.
        this.expire("shutdown");
      } else if (this.restoring.via === "session") {
        // The held seat was released as the client signed in again: try
        // the room's code once; that fails if the room is gone.
        this.restoreByJoin();
      }
    } else if (room !== null) {
      this.room = null;
      room._left(reason);
    }
  }

  /** `room` (if any, and still active) is left, answering its `leave`. */
  private leftBy(room: Room<any, any> | null, reason: string): void {
    if (room === null || room.status !== "active") return;
    if (this.room === room) this.room = null;
    room._left(reason);
  }

  /**
   * A new `Room` from `joined`, which answers `request` (null when nothing
   * was asked for); the room the client was in, if any, is left (`switched`).
   */
  private adopt(joined: JoinedMessage, request: Message | null = null): Room<any, any> {
    const old = this.room;
    if (old !== null) {
      this.room = null;
      old._left("switched");
    }
    const room = new Room(this.link, joined, replayOf(request));
    this.room = room;
    room._load(joined);
    return room;
  }

  private onError(error: ParlorError, rid: number | undefined): void {
    if (rid !== undefined) {
      // The answer to the request with this id, if one waits.
      const answer = this.pending.get(rid);
      if (answer !== undefined) {
        this.pending.delete(rid);
        clearTimeout(answer.timer);
        answer.reject(error);
        return;
      }
      if (this.restoring !== null && this.restoring.rid === rid) {
        this.expire();
        return;
      }
      if (this.abandoned !== null && this.abandoned.rid === rid) {
        this.abandoned = null;
        return;
      }
      const leave = this.leaves.get(rid);
      if (leave !== undefined) {
        // `not_in_room`: the client was in no room already.
        this.leaves.delete(rid);
        clearTimeout(leave.timer);
        this.leftBy(leave.room, "leave");
        return;
      }
      // An error about an input, or a late answer: not an answer to anything waiting.
    }
    if (this.inOrder(rid)) {
      const restoring = this.restoring;
      if (restoring !== null && restoring.via === "join" && REQUEST_ERRORS.has(error.code)) {
        this.expire();
        return;
      }
      if (REQUEST_ERRORS.has(error.code)) {
        const answer = this.takeOldest();
        if (answer !== undefined) {
          clearTimeout(answer.timer);
          answer.reject(error);
          return;
        }
      }
    }
    if (error.code === "version") this.fatal = error;
    const room = this.room;
    if (room !== null && room.status === "active" && ROOM_ERRORS.has(error.code)) {
      this.roomError(room, error);
    } else {
      this.emit("error", error);
    }
  }

  /**
   * A `redirect`: the room lives on another node of a cluster. As the answer
   * to a room request (its `rid`), or to the `join` restoring a room, or
   * right after `welcome` (a session whose held seat is on another node).
   * The client moves there: closes this socket, connects to `url`, signs in
   * with the latest session token, then sends `join` for the request (the
   * held seat comes back by itself).
   */
  private onRedirect(message: Message, rid: number | undefined): void {
    const url = typeof message.url === "string" ? message.url : "";
    const code = typeof message.room === "string" ? message.room : "";
    this.emit("redirect", { url, room: code });
    let request: Pending | null = null;
    let restoring = false;
    if (rid !== undefined) {
      const answer = this.pending.get(rid);
      if (answer !== undefined) {
        this.pending.delete(rid);
        request = answer;
      } else if (this.restoring !== null && this.restoring.rid === rid) {
        restoring = true;
      } else {
        if (this.abandoned !== null && this.abandoned.rid === rid) this.abandoned = null;
        // A late answer (its request timed out), or a room the app left meanwhile: not followed.
        return;
      }
    } else if (this.inOrder(rid) && this.pending.size > 0) {
      // A server that does not echo request ids: the oldest request's answer.
      request = this.takeOldest() ?? null;
    }
    const fail = (error: ParlorError): void => {
      this.redirects = 0;
      if (request !== null) {
        clearTimeout(request.timer);
        request.reject(error);
      } else if (restoring) {
        this.expire();
      } else {
        this.emit("error", error);
      }
    };
    let target: string;
    try {
      if (url === "" || code === "") throw new TypeError("a redirect without url or room");
      target = resolveUrl(url);
    } catch (error) {
      fail(new ParlorError("bad_frame", `malformed frame: ${String(error)}`));
      return;
    }
    if (this.redirects >= MAX_REDIRECTS) {
      fail(
        new ParlorError("redirect_loop", `redirected more than ${MAX_REDIRECTS} times in a row without a room: not followed`),
      );
      return;
    }
    this.redirects += 1;
    this.move(target, code, request, restoring || this.restoring !== null);
  }

  /** Leaves this node for the one at `url` (see `onRedirect`). */
  private move(url: string, code: string, request: Pending | null, reconnecting: boolean): void {
    // Requests still waiting on this socket are sent again there.
    const carried = [...this.pending.values()];
    this.pending.clear();
    const following: Following = { room: code, request, carried, reconnecting };
    for (const entry of request === null ? carried : [request, ...carried]) {
      clearTimeout(entry.timer);
      entry.timer = setTimeout(() => {
        if (this.following !== following) return;
        if (following.request === entry) following.request = null;
        following.carried = following.carried.filter((other) => other !== entry);
        entry.reject(new ParlorError("timeout", `no answer to ${entry.message.t} in time (following a redirect)`));
      }, this.requestTimeout);
    }
    const pings = [...this.pings.values()];
    this.pings.clear();
    for (const ping of pings) {
      clearTimeout(ping.timer);
      ping.reject(new ParlorError("disconnected", "the client moved to another node"));
    }
    const leaves = [...this.leaves.values()];
    this.leaves.clear();
    for (const leave of leaves) {
      clearTimeout(leave.timer);
      this.leftBy(leave.room, "leave");
    }
    this.abandoned = null;
    if (this.restoring !== null) {
      // The room is restored on the new node (its welcome resumes it).
      clearTimeout(this.restoring.timer);
      this.restoring = null;
    }
    const room = this.room;
    if (!reconnecting && room !== null) {
      // The server left it before redirecting (entering a room elsewhere).
      this.room = null;
      room._left("switched");
    }
    clearTimeout(this.handshakeTimer);
    clearTimeout(this.heldTimer);
    this.held = null;
    const socket = this.socket;
    this.socket = null;
    this.welcomed = false;
    if (socket !== null) shut(socket, "redirect");
    this.url = url;
    this.following = following;
    this.openSocket();
  }

  /** An error about `room`: to the room's listeners, else to the client's. */
  private roomError(room: Room<any, any>, error: ParlorError): void {
    if (room.listenerCount("error") > 0) room.emit("error", error);
    else this.emit("error", error);
  }

  // ---- reconnection ----

  private onSocketGone(code: number, reason: string): void {
    clearTimeout(this.handshakeTimer);
    this.welcomed = false;
    // Requests waiting, also those following a redirect to a node that could
    // not be reached or signed in on, reject; a room being restored is tried
    // again by the reconnection (which goes to the node redirected to).
    this.rejectWaiting(new ParlorError("disconnected", `the connection closed (${code})`));
    if (this.status === "closed") return;
    if (this.opening !== undefined) {
      if (this.signInAfresh) {
        // The first connection's session was refused: once more without it.
        this.signInAfresh = false;
        this.openSocket();
        return;
      }
      this.shutdown(code, reason || "could not connect", "disconnected");
      return;
    }
    this.signInAfresh = false;
    // A restoring `join` whose room was left died with the socket.
    this.abandoned = null;
    if (code === CLOSE_SESSION_REPLACED) {
      // Another page resumed this session and holds it now; reconnecting
      // would only take it back and forth.
      this.fatal ??= new ParlorError("replaced", "a newer connection took over this session");
    }
    if (this.fatal !== null || !this.retry.enabled) {
      this.shutdown(code, reason || "the connection closed", "disconnected", this.fatal ?? undefined);
      return;
    }
    const room = this.room;
    if (room !== null && (room.leaving || room.status !== "active")) {
      this.room = null;
      room._left("leave");
    }
    if (this.restoring !== null) {
      clearTimeout(this.restoring.timer);
      this.restoring = null;
    }
    this.status = "reconnecting";
    this.scheduleRetry(code, reason);
  }

  private scheduleRetry(code: number, reason: string): void {
    this.attempt += 1;
    if (this.attempt > this.retry.attempts) {
      const error = new ParlorError("disconnected", `gave up reconnecting after ${this.retry.attempts} attempts`);
      this.shutdown(code, error.message, "disconnected", error);
      return;
    }
    const cap = Math.min(this.retry.maxDelay, this.retry.minDelay * 2 ** Math.min(this.attempt - 1, 30));
    const delay = Math.round(cap / 2 + (Math.random() * cap) / 2);
    this.emit("reconnecting", { attempt: this.attempt, delay, code, reason });
    if (this.status !== "reconnecting") return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this.status === "reconnecting") this.openSocket();
    }, delay);
  }

  /** After a `welcome` on a new socket: get the room back, if there was one. */
  private resume(roomCode: unknown): void {
    const room = this.room;
    if (room === null || room.status !== "active") {
      this.room = null;
      this.emit("reconnected", { room: null });
      return;
    }
    const held = typeof roomCode === "string" ? roomCode.toUpperCase() : null;
    if (held === room.code) {
      // The session kept the seat: a fresh `joined` of the room follows.
      this.restoring = { room, via: "session", timer: setTimeout(() => this.restoreByJoin(), this.requestTimeout) };
    } else if (held !== null) {
      // The seat held is in another room; its `joined` follows as a `room` event.
      this.room = null;
      room._left("expired");
      this.emit("reconnected", { room: null });
    } else {
      this.restoreByJoin();
    }
  }

  private restoreByJoin(): void {
    const room = this.restoring?.room ?? this.room;
    if (this.restoring !== null) clearTimeout(this.restoring.timer);
    if (room === null) return;
    const rid = this.nextRid();
    this.restoring = { room, via: "join", rid, timer: setTimeout(() => this.expire(), this.requestTimeout) };
    // A spectator holds no seat to resume: it watches the room again, by
    // code (a chat's room too) or invite, and never takes a seat by it; a
    // replay is watched again by its match id (it starts from the beginning).
    const message: Message =
      room.replay !== null
        ? { t: "watch", replay: room.replay, rid }
        : { t: room.watching ? "watch" : "join", room: room.invite ?? room.code, rid };
    this.write(encodeFrame(message), true);
  }

  /** The room being restored is not got back: it is left (`expired`, or `shutdown`). */
  private expire(reason = "expired"): void {
    const restoring = this.restoring;
    if (restoring === null) return;
    clearTimeout(restoring.timer);
    this.restoring = null;
    if (this.room === restoring.room) this.room = null;
    restoring.room._left(reason);
    this.emit("reconnected", { room: null });
  }

  private rejectWaiting(error: ParlorError): void {
    const pending = [...this.pending.values()];
    this.pending.clear();
    const following = this.following;
    this.following = null;
    if (following !== null) {
      if (following.request !== null) pending.push(following.request);
      pending.push(...following.carried);
    }
    for (const entry of pending) {
      clearTimeout(entry.timer);
      entry.reject(error);
    }
    for (const leave of this.leaves.values()) clearTimeout(leave.timer);
    this.leaves.clear();
    const pings = [...this.pings.values()];
    this.pings.clear();
    for (const ping of pings) {
      clearTimeout(ping.timer);
      ping.reject(error);
    }
  }

  private shutdown(code: number, reason: string, roomReason: string, error?: ParlorError): void {
    if (this.status === "closed") return;
    this.status = "closed";
    clearTimeout(this.retryTimer);
    clearTimeout(this.handshakeTimer);
    clearTimeout(this.heldTimer);
    this.held = null;
    if (this.restoring !== null) clearTimeout(this.restoring.timer);
    this.restoring = null;
    const socket = this.socket;
    this.socket = null;
    this.welcomed = false;
    if (socket !== null) shut(socket, "bye");
    this.rejectWaiting(new ParlorError(roomReason === "closed" ? "closed" : "disconnected", reason));
    const room = this.room;
    this.room = null;
    room?._left(roomReason);
    if (this.opening !== undefined) {
      const opening = this.opening;
      this.opening = undefined;
      opening.reject(error ?? new ParlorError("disconnected", reason));
      return;
    }
    if (error !== undefined) this.emit("error", error);
    this.emit("close", { code, reason });
  }
}

/** Detaches `socket`'s handlers and closes it normally (1000, `reason`). */
function shut(socket: SocketLike, reason: string): void {
  detach(socket);
  try {
    socket.close(1000, reason);
  } catch {
    // Already closing.
  }
}

function detach(socket: SocketLike): void {
  socket.onopen = null;
  socket.onmessage = null;
  socket.onclose = null;
  socket.onerror = () => {};
}

/** A message's request id: a u32, or undefined when it has none. */
function ridOf(message: Message): number | undefined {
  const rid = message.rid;
  return typeof rid === "number" && Number.isInteger(rid) && rid >= 0 && rid <= 0xffffffff ? rid : undefined;
}

/** The match id a request asks to watch played back (`watch {replay}`), else null. */
function replayOf(request: Message | null): string | null {
  return request !== null && request.t === "watch" && typeof request.replay === "string" ? request.replay : null;
}

function checkName(value: unknown): string {
  if (typeof value !== "string" || value === "") throw new TypeError("expected a non-empty string");
  return value;
}
