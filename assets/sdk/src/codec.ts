import { Decoder, Encoder } from "@msgpack/msgpack";

// Every integer decodes as a JS number (`useBigInt64` off): entity ids,
// ticks and game values alike. Integers above 2^53 lose precision; the
// server's entity ids stay far below that (docs/sdk.md, "Entity ids").
// Map keys always decode as strings, whatever MessagePack type the server
// wrote them as (a Rust HashMap<u32, _> writes integer keys).
const decoder = new Decoder({
  useBigInt64: false,
  mapKeyConverter: (key: unknown) => (typeof key === "string" ? key : String(key)),
});

const encoder = new Encoder({ ignoreUndefined: true });

/** A decoded server message: a map with a string `t`. */
export interface Message {
  t: string;
  [field: string]: unknown;
}

/** Decodes one binary frame; throws if it is not a map with a string `t`. */
export function decodeFrame(data: ArrayBuffer | ArrayBufferView): Message {
  const bytes =
    data instanceof ArrayBuffer
      ? new Uint8Array(data)
      : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const value = decoder.decode(bytes);
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new TypeError("a frame is not a MessagePack map");
  }
  const message = value as Message;
  if (typeof message.t !== "string") {
    throw new TypeError("a frame has no string type tag `t`");
  }
  return message;
}

/** Encodes one client message (a fresh copy, safe to hand to a socket). */
export function encodeFrame(message: Message): Uint8Array {
  return encoder.encode(message);
}
