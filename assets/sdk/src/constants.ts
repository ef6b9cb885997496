// Generated from the server's Rust definitions by
// `PARLOR_BLESS=1 cargo test --test sdk_constants`; CI fails when they differ.
// Do not edit by hand.

/** The protocol version `hello.v` carries. */
export const PROTOCOL_VERSION = 1;
/** The characters of room codes: digits and capitals without 0, O, 1, I. */
export const ROOM_CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
/** The length of a room code. */
export const ROOM_CODE_LENGTH = 6;
/** The length of the secret after the dash in a private room's invite (`CODE-SECRET`). */
export const INVITE_SECRET_LENGTH = 16;
/** The server's default inbound frame limit, in bytes. */
export const MAX_FRAME_BYTES = 16384;
/** Every `error.code` the server sends. */
export const ERROR_CODES = [
  "bad_message",
  "auth_failed",
  "auth_expired",
  "guest_disabled",
  "no_such_game",
  "no_such_room",
  "room_full",
  "not_in_room",
  "rate_limited",
  "version",
  "internal",
  "illegal_input",
  "server_full",
  "unsupported",
  "spectator",
] as const;
/** Every `left.reason` the server sends. */
export const LEFT_REASONS = ["leave", "finished", "error", "replaced", "expired", "shutdown"] as const;
/** The close code of a connection a newer one of its session replaced. */
export const CLOSE_SESSION_REPLACED = 4001;
