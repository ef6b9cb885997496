import type { ERROR_CODES } from "./constants.js";

/** An error code the server sends: one of `ERROR_CODES`. */
export type ErrorCode = (typeof ERROR_CODES)[number];

/**
 * An error with a machine-readable `code`.
 *
 * Codes from the server (an `error` message): `no_such_game`, `no_such_room`,
 * `room_full`, `server_full`, `illegal_input`, `rate_limited`, `not_in_room`,
 * `bad_message`, `auth_failed`, `auth_expired`, `guest_disabled`,
 * `unsupported`, `version`, `internal`, `spectator` (an input from a client
 * that watches), and any code a newer server adds.
 * `ERROR_CODES` lists them as this SDK was built (generated from the
 * server's definitions), and `ErrorCode` is their union type.
 *
 * Codes the SDK itself uses: `disconnected` (the socket dropped or was not
 * open), `closed` (the app closed the client), `timeout` (no answer in
 * time), `busy` (too many requests or pings waiting), `too_big` (an input
 * over the server's frame limit), `bad_frame` (a frame that does not
 * decode), `unsafe_id` (an entity id above 2^53, see docs/sdk.md),
 * `replaced` (a newer connection took over the session: close code 4001),
 * `redirect_loop` (more than 3 `redirect`s in a row without a room, see
 * docs/sdk.md "Clusters"); and the server's `spectator`, thrown by
 * `room.send` in a room the client watches, before anything is sent.
 */
export class ParlorError extends Error {
  /** The server's error code (see `ErrorCode`), or one of the SDK's own. */
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.name = "ParlorError";
    this.code = code;
  }
}
