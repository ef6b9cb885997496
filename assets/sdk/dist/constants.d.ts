/** The protocol version `hello.v` carries. */
export declare const PROTOCOL_VERSION = 1;
/** The characters of room codes: digits and capitals without 0, O, 1, I. */
export declare const ROOM_CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
/** The length of a room code. */
export declare const ROOM_CODE_LENGTH = 6;
/** The length of the secret after the dash in a private room's invite (`CODE-SECRET`). */
export declare const INVITE_SECRET_LENGTH = 16;
/** The server's default inbound frame limit, in bytes. */
export declare const MAX_FRAME_BYTES = 16384;
/** Every `error.code` the server sends. */
export declare const ERROR_CODES: readonly ["bad_message", "auth_failed", "auth_expired", "guest_disabled", "no_such_game", "no_such_room", "room_full", "not_in_room", "rate_limited", "version", "internal", "illegal_input", "server_full", "unsupported", "spectator"];
/** Every `left.reason` the server sends. */
export declare const LEFT_REASONS: readonly ["leave", "finished", "error", "replaced", "expired", "shutdown"];
/** The close code of a connection a newer one of its session replaced. */
export declare const CLOSE_SESSION_REPLACED = 4001;
