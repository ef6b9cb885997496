/** A decoded server message: a map with a string `t`. */
export interface Message {
    t: string;
    [field: string]: unknown;
}
/** Decodes one binary frame; throws if it is not a map with a string `t`. */
export declare function decodeFrame(data: ArrayBuffer | ArrayBufferView): Message;
/** Encodes one client message (a fresh copy, safe to hand to a socket). */
export declare function encodeFrame(message: Message): Uint8Array;
