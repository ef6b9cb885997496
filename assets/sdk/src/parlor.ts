/**
 * Parlor JavaScript SDK: connect to a Parlor game server, join rooms, mirror
 * their replicated state, send inputs, and reconnect after a dropped
 * connection. docs/sdk.md describes it in full.
 *
 * ```js
 * import { Parlor } from "/sdk/parlor.js";
 * const client = await Parlor.connect();
 * const room = await client.play("tictactoe");
 * room.on("change", () => draw(room.state));
 * room.send({ cell: 4 });
 * ```
 */
import { Client } from "./client.js";
import type { ConnectOptions } from "./client.js";
import { ERROR_CODES, LEFT_REASONS, PROTOCOL_VERSION } from "./constants.js";
import { ParlorError } from "./errors.js";
import { StateMirror } from "./mirror.js";
import { Room } from "./room.js";
import { ROOM_CODE_ALPHABET, isRoomCode, telegramLaunch } from "./telegram.js";

export { Client, resolveUrl } from "./client.js";
export { decodeFrame, encodeFrame } from "./codec.js";
export type { Message } from "./codec.js";
export type { ClientEvents, ClientStatus, ConnectOptions, Player, ReconnectOptions } from "./client.js";
export { Emitter } from "./emitter.js";
export type { Listener } from "./emitter.js";
export { ParlorError } from "./errors.js";
export type { ErrorCode } from "./errors.js";
export { StateMirror } from "./mirror.js";
export type {
  CompactPatchMessage,
  Components,
  EntityId,
  JoinedMessage,
  PatchMessage,
  SchemaEntry,
  StateChange,
} from "./mirror.js";
export { Room } from "./room.js";
export type { FairEvent, GameEvent, LeftEvent, LeftReason, MatchResult, RankLine, RoomEvents } from "./room.js";
export { ROOM_CODE_ALPHABET, isRoomCode, telegramLaunch } from "./telegram.js";
export type { TelegramLaunch } from "./telegram.js";

/**
 * From the server's definitions: the protocol version this SDK speaks
 * (`hello.v`), every `error.code` (`ERROR_CODES`) and `left.reason`
 * (`LEFT_REASONS`) the server sends.
 */
export { ERROR_CODES, LEFT_REASONS, PROTOCOL_VERSION };

/**
 * Connects and signs in. Resolves with the client once the server's
 * `welcome` arrives; rejects with a `ParlorError` if the socket cannot open
 * or the server refuses the `hello`.
 *
 * @param url the server's websocket address; default `/ws` on the page's
 *   host (an http(s):// address is turned into ws(s)://).
 * @param options sign-in (`initData` or `guest`; default: Telegram's
 *   initData inside Telegram, else a guest name), `WebSocket` for Node, and
 *   reconnection settings.
 */
export function connect(url?: string, options: ConnectOptions = {}): Promise<Client> {
  let client: Client;
  try {
    client = new Client(url, options);
  } catch (error) {
    return Promise.reject(error);
  }
  return client.start();
}

/** Everything in one object: `Parlor.connect(...)`. */
export const Parlor = {
  connect,
  isRoomCode,
  telegramLaunch,
  Client,
  Room,
  StateMirror,
  ParlorError,
  ROOM_CODE_ALPHABET,
  PROTOCOL_VERSION,
  ERROR_CODES,
  LEFT_REASONS,
};

export default Parlor;
