var __defProp = Object.defineProperty;
var __defNormalProp = (obj, key, value) => key in obj ? __defProp(obj, key, { enumerable: true, configurable: true, writable: true, value }) : obj[key] = value;
var __publicField = (obj, key, value) => __defNormalProp(obj, typeof key !== "symbol" ? key + "" : key, value);

// node_modules/@msgpack/msgpack/dist.esm/utils/utf8.mjs
function utf8Count(str) {
  const strLength = str.length;
  let byteLength = 0;
  let pos = 0;
  while (pos < strLength) {
    let value = str.charCodeAt(pos++);
    if ((value & 4294967168) === 0) {
      byteLength++;
      continue;
    } else if ((value & 4294965248) === 0) {
      byteLength += 2;
    } else {
      if (value >= 55296 && value <= 56319) {
        if (pos < strLength) {
          const extra = str.charCodeAt(pos);
          if ((extra & 64512) === 56320) {
            ++pos;
            value = ((value & 1023) << 10) + (extra & 1023) + 65536;
          }
        }
      }
      if ((value & 4294901760) === 0) {
        byteLength += 3;
      } else {
        byteLength += 4;
      }
    }
  }
  return byteLength;
}
function utf8EncodeJs(str, output, outputOffset) {
  const strLength = str.length;
  let offset = outputOffset;
  let pos = 0;
  while (pos < strLength) {
    let value = str.charCodeAt(pos++);
    if ((value & 4294967168) === 0) {
      output[offset++] = value;
      continue;
    } else if ((value & 4294965248) === 0) {
      output[offset++] = value >> 6 & 31 | 192;
    } else {
      if (value >= 55296 && value <= 56319) {
        if (pos < strLength) {
          const extra = str.charCodeAt(pos);
          if ((extra & 64512) === 56320) {
            ++pos;
            value = ((value & 1023) << 10) + (extra & 1023) + 65536;
          }
        }
      }
      if ((value & 4294901760) === 0) {
        output[offset++] = value >> 12 & 15 | 224;
        output[offset++] = value >> 6 & 63 | 128;
      } else {
        output[offset++] = value >> 18 & 7 | 240;
        output[offset++] = value >> 12 & 63 | 128;
        output[offset++] = value >> 6 & 63 | 128;
      }
    }
    output[offset++] = value & 63 | 128;
  }
}
var sharedTextEncoder = new TextEncoder();
var TEXT_ENCODER_THRESHOLD = 50;
function utf8EncodeTE(str, output, outputOffset) {
  sharedTextEncoder.encodeInto(str, output.subarray(outputOffset));
}
function utf8Encode(str, output, outputOffset) {
  if (str.length > TEXT_ENCODER_THRESHOLD) {
    utf8EncodeTE(str, output, outputOffset);
  } else {
    utf8EncodeJs(str, output, outputOffset);
  }
}
var CHUNK_SIZE = 4096;
function utf8DecodeJs(bytes, inputOffset, byteLength) {
  let offset = inputOffset;
  const end = offset + byteLength;
  const units = [];
  let result = "";
  while (offset < end) {
    const byte1 = bytes[offset++];
    if ((byte1 & 128) === 0) {
      units.push(byte1);
    } else if ((byte1 & 224) === 192) {
      const byte2 = bytes[offset++] & 63;
      units.push((byte1 & 31) << 6 | byte2);
    } else if ((byte1 & 240) === 224) {
      const byte2 = bytes[offset++] & 63;
      const byte3 = bytes[offset++] & 63;
      units.push((byte1 & 31) << 12 | byte2 << 6 | byte3);
    } else if ((byte1 & 248) === 240) {
      const byte2 = bytes[offset++] & 63;
      const byte3 = bytes[offset++] & 63;
      const byte4 = bytes[offset++] & 63;
      let unit = (byte1 & 7) << 18 | byte2 << 12 | byte3 << 6 | byte4;
      if (unit > 65535) {
        unit -= 65536;
        units.push(unit >>> 10 & 1023 | 55296);
        unit = 56320 | unit & 1023;
      }
      units.push(unit);
    } else {
      units.push(byte1);
    }
    if (units.length >= CHUNK_SIZE) {
      result += String.fromCharCode(...units);
      units.length = 0;
    }
  }
  if (units.length > 0) {
    result += String.fromCharCode(...units);
  }
  return result;
}
var sharedTextDecoder = new TextDecoder();
var TEXT_DECODER_THRESHOLD = 200;
function utf8DecodeTD(bytes, inputOffset, byteLength) {
  const stringBytes = bytes.subarray(inputOffset, inputOffset + byteLength);
  return sharedTextDecoder.decode(stringBytes);
}
function utf8Decode(bytes, inputOffset, byteLength) {
  if (byteLength > TEXT_DECODER_THRESHOLD) {
    return utf8DecodeTD(bytes, inputOffset, byteLength);
  } else {
    return utf8DecodeJs(bytes, inputOffset, byteLength);
  }
}

// node_modules/@msgpack/msgpack/dist.esm/ExtData.mjs
var ExtData = class {
  constructor(type, data) {
    __publicField(this, "type");
    __publicField(this, "data");
    this.type = type;
    this.data = data;
  }
};

// node_modules/@msgpack/msgpack/dist.esm/DecodeError.mjs
var DecodeError = class _DecodeError extends Error {
  constructor(message) {
    super(message);
    const proto = Object.create(_DecodeError.prototype);
    Object.setPrototypeOf(this, proto);
    Object.defineProperty(this, "name", {
      configurable: true,
      enumerable: false,
      value: _DecodeError.name
    });
  }
};

// node_modules/@msgpack/msgpack/dist.esm/utils/int.mjs
var UINT32_MAX = 4294967295;
function setUint64(view, offset, value) {
  const high = value / 4294967296;
  const low = value;
  view.setUint32(offset, high);
  view.setUint32(offset + 4, low);
}
function setInt64(view, offset, value) {
  const high = Math.floor(value / 4294967296);
  const low = value;
  view.setUint32(offset, high);
  view.setUint32(offset + 4, low);
}
function getInt64(view, offset) {
  const high = view.getInt32(offset);
  const low = view.getUint32(offset + 4);
  return high * 4294967296 + low;
}
function getUint64(view, offset) {
  const high = view.getUint32(offset);
  const low = view.getUint32(offset + 4);
  return high * 4294967296 + low;
}

// node_modules/@msgpack/msgpack/dist.esm/timestamp.mjs
var EXT_TIMESTAMP = -1;
var TIMESTAMP32_MAX_SEC = 4294967296 - 1;
var TIMESTAMP64_MAX_SEC = 17179869184 - 1;
function encodeTimeSpecToTimestamp({ sec, nsec }) {
  if (sec >= 0 && nsec >= 0 && sec <= TIMESTAMP64_MAX_SEC) {
    if (nsec === 0 && sec <= TIMESTAMP32_MAX_SEC) {
      const rv = new Uint8Array(4);
      const view = new DataView(rv.buffer);
      view.setUint32(0, sec);
      return rv;
    } else {
      const secHigh = sec / 4294967296;
      const secLow = sec & 4294967295;
      const rv = new Uint8Array(8);
      const view = new DataView(rv.buffer);
      view.setUint32(0, nsec << 2 | secHigh & 3);
      view.setUint32(4, secLow);
      return rv;
    }
  } else {
    const rv = new Uint8Array(12);
    const view = new DataView(rv.buffer);
    view.setUint32(0, nsec);
    setInt64(view, 4, sec);
    return rv;
  }
}
function encodeDateToTimeSpec(date) {
  const msec = date.getTime();
  const sec = Math.floor(msec / 1e3);
  const nsec = (msec - sec * 1e3) * 1e6;
  const nsecInSec = Math.floor(nsec / 1e9);
  return {
    sec: sec + nsecInSec,
    nsec: nsec - nsecInSec * 1e9
  };
}
function encodeTimestampExtension(object) {
  if (object instanceof Date) {
    const timeSpec = encodeDateToTimeSpec(object);
    return encodeTimeSpecToTimestamp(timeSpec);
  } else {
    return null;
  }
}
function decodeTimestampToTimeSpec(data) {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  switch (data.byteLength) {
    case 4: {
      const sec = view.getUint32(0);
      const nsec = 0;
      return { sec, nsec };
    }
    case 8: {
      const nsec30AndSecHigh2 = view.getUint32(0);
      const secLow32 = view.getUint32(4);
      const sec = (nsec30AndSecHigh2 & 3) * 4294967296 + secLow32;
      const nsec = nsec30AndSecHigh2 >>> 2;
      return { sec, nsec };
    }
    case 12: {
      const sec = getInt64(view, 4);
      const nsec = view.getUint32(0);
      return { sec, nsec };
    }
    default:
      throw new DecodeError(`Unrecognized data size for timestamp (expected 4, 8, or 12): ${data.length}`);
  }
}
function decodeTimestampExtension(data) {
  const timeSpec = decodeTimestampToTimeSpec(data);
  return new Date(timeSpec.sec * 1e3 + timeSpec.nsec / 1e6);
}
var timestampExtension = {
  type: EXT_TIMESTAMP,
  encode: encodeTimestampExtension,
  decode: decodeTimestampExtension
};

// node_modules/@msgpack/msgpack/dist.esm/ExtensionCodec.mjs
var _ExtensionCodec = class _ExtensionCodec {
  constructor() {
    // ensures ExtensionCodecType<X> matches ExtensionCodec<X>
    // this will make type errors a lot more clear
    // eslint-disable-next-line @typescript-eslint/naming-convention
    __publicField(this, "__brand");
    // built-in extensions
    __publicField(this, "builtInEncoders", []);
    __publicField(this, "builtInDecoders", []);
    // custom extensions
    __publicField(this, "encoders", []);
    __publicField(this, "decoders", []);
    this.register(timestampExtension);
  }
  register({ type, encode, decode }) {
    if (type >= 0) {
      this.encoders[type] = encode;
      this.decoders[type] = decode;
    } else {
      const index = -1 - type;
      this.builtInEncoders[index] = encode;
      this.builtInDecoders[index] = decode;
    }
  }
  tryToEncode(object, context) {
    for (let i = 0; i < this.builtInEncoders.length; i++) {
      const encodeExt = this.builtInEncoders[i];
      if (encodeExt != null) {
        const data = encodeExt(object, context);
        if (data != null) {
          const type = -1 - i;
          return new ExtData(type, data);
        }
      }
    }
    for (let i = 0; i < this.encoders.length; i++) {
      const encodeExt = this.encoders[i];
      if (encodeExt != null) {
        const data = encodeExt(object, context);
        if (data != null) {
          const type = i;
          return new ExtData(type, data);
        }
      }
    }
    if (object instanceof ExtData) {
      return object;
    }
    return null;
  }
  decode(data, type, context) {
    const decodeExt = type < 0 ? this.builtInDecoders[-1 - type] : this.decoders[type];
    if (decodeExt) {
      return decodeExt(data, type, context);
    } else {
      return new ExtData(type, data);
    }
  }
};
__publicField(_ExtensionCodec, "defaultCodec", new _ExtensionCodec());
var ExtensionCodec = _ExtensionCodec;

// node_modules/@msgpack/msgpack/dist.esm/utils/typedArrays.mjs
function isArrayBufferLike(buffer) {
  return buffer instanceof ArrayBuffer || typeof SharedArrayBuffer !== "undefined" && buffer instanceof SharedArrayBuffer;
}
function ensureUint8Array(buffer) {
  if (buffer instanceof Uint8Array) {
    return buffer;
  } else if (ArrayBuffer.isView(buffer)) {
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  } else if (isArrayBufferLike(buffer)) {
    return new Uint8Array(buffer);
  } else {
    return Uint8Array.from(buffer);
  }
}

// node_modules/@msgpack/msgpack/dist.esm/Encoder.mjs
var DEFAULT_MAX_DEPTH = 100;
var DEFAULT_INITIAL_BUFFER_SIZE = 2048;
var Encoder = class _Encoder {
  constructor(options) {
    __publicField(this, "extensionCodec");
    __publicField(this, "context");
    __publicField(this, "useBigInt64");
    __publicField(this, "maxDepth");
    __publicField(this, "initialBufferSize");
    __publicField(this, "sortKeys");
    __publicField(this, "forceFloat32");
    __publicField(this, "ignoreUndefined");
    __publicField(this, "forceIntegerToFloat");
    __publicField(this, "pos");
    __publicField(this, "view");
    __publicField(this, "bytes");
    __publicField(this, "entered", false);
    this.extensionCodec = options?.extensionCodec ?? ExtensionCodec.defaultCodec;
    this.context = options?.context;
    this.useBigInt64 = options?.useBigInt64 ?? false;
    this.maxDepth = options?.maxDepth ?? DEFAULT_MAX_DEPTH;
    this.initialBufferSize = options?.initialBufferSize ?? DEFAULT_INITIAL_BUFFER_SIZE;
    this.sortKeys = options?.sortKeys ?? false;
    this.forceFloat32 = options?.forceFloat32 ?? false;
    this.ignoreUndefined = options?.ignoreUndefined ?? false;
    this.forceIntegerToFloat = options?.forceIntegerToFloat ?? false;
    this.pos = 0;
    this.view = new DataView(new ArrayBuffer(this.initialBufferSize));
    this.bytes = new Uint8Array(this.view.buffer);
  }
  clone() {
    return new _Encoder({
      extensionCodec: this.extensionCodec,
      context: this.context,
      useBigInt64: this.useBigInt64,
      maxDepth: this.maxDepth,
      initialBufferSize: this.initialBufferSize,
      sortKeys: this.sortKeys,
      forceFloat32: this.forceFloat32,
      ignoreUndefined: this.ignoreUndefined,
      forceIntegerToFloat: this.forceIntegerToFloat
    });
  }
  reinitializeState() {
    this.pos = 0;
  }
  /**
   * This is almost equivalent to {@link Encoder#encode}, but it returns an reference of the encoder's internal buffer and thus much faster than {@link Encoder#encode}.
   *
   * @returns Encodes the object and returns a shared reference the encoder's internal buffer.
   */
  encodeSharedRef(object) {
    if (this.entered) {
      const instance = this.clone();
      return instance.encodeSharedRef(object);
    }
    try {
      this.entered = true;
      this.reinitializeState();
      this.doEncode(object, 1);
      return this.bytes.subarray(0, this.pos);
    } finally {
      this.entered = false;
    }
  }
  /**
   * @returns Encodes the object and returns a copy of the encoder's internal buffer.
   */
  encode(object) {
    if (this.entered) {
      const instance = this.clone();
      return instance.encode(object);
    }
    try {
      this.entered = true;
      this.reinitializeState();
      this.doEncode(object, 1);
      return this.bytes.slice(0, this.pos);
    } finally {
      this.entered = false;
    }
  }
  doEncode(object, depth) {
    if (depth > this.maxDepth) {
      throw new Error(`Too deep objects in depth ${depth}`);
    }
    if (object == null) {
      this.encodeNil();
    } else if (typeof object === "boolean") {
      this.encodeBoolean(object);
    } else if (typeof object === "number") {
      if (!this.forceIntegerToFloat) {
        this.encodeNumber(object);
      } else {
        this.encodeNumberAsFloat(object);
      }
    } else if (typeof object === "string") {
      this.encodeString(object);
    } else if (this.useBigInt64 && typeof object === "bigint") {
      this.encodeBigInt64(object);
    } else {
      this.encodeObject(object, depth);
    }
  }
  ensureBufferSizeToWrite(sizeToWrite) {
    const requiredSize = this.pos + sizeToWrite;
    if (this.view.byteLength < requiredSize) {
      this.resizeBuffer(requiredSize * 2);
    }
  }
  resizeBuffer(newSize) {
    const newBuffer = new ArrayBuffer(newSize);
    const newBytes = new Uint8Array(newBuffer);
    const newView = new DataView(newBuffer);
    newBytes.set(this.bytes);
    this.view = newView;
    this.bytes = newBytes;
  }
  encodeNil() {
    this.writeU8(192);
  }
  encodeBoolean(object) {
    if (object === false) {
      this.writeU8(194);
    } else {
      this.writeU8(195);
    }
  }
  encodeNumber(object) {
    if (!this.forceIntegerToFloat && Number.isSafeInteger(object)) {
      if (object >= 0) {
        if (object < 128) {
          this.writeU8(object);
        } else if (object < 256) {
          this.writeU8(204);
          this.writeU8(object);
        } else if (object < 65536) {
          this.writeU8(205);
          this.writeU16(object);
        } else if (object < 4294967296) {
          this.writeU8(206);
          this.writeU32(object);
        } else if (!this.useBigInt64) {
          this.writeU8(207);
          this.writeU64(object);
        } else {
          this.encodeNumberAsFloat(object);
        }
      } else {
        if (object >= -32) {
          this.writeU8(224 | object + 32);
        } else if (object >= -128) {
          this.writeU8(208);
          this.writeI8(object);
        } else if (object >= -32768) {
          this.writeU8(209);
          this.writeI16(object);
        } else if (object >= -2147483648) {
          this.writeU8(210);
          this.writeI32(object);
        } else if (!this.useBigInt64) {
          this.writeU8(211);
          this.writeI64(object);
        } else {
          this.encodeNumberAsFloat(object);
        }
      }
    } else {
      this.encodeNumberAsFloat(object);
    }
  }
  encodeNumberAsFloat(object) {
    if (this.forceFloat32) {
      this.writeU8(202);
      this.writeF32(object);
    } else {
      this.writeU8(203);
      this.writeF64(object);
    }
  }
  encodeBigInt64(object) {
    if (object >= BigInt(0)) {
      this.writeU8(207);
      this.writeBigUint64(object);
    } else {
      this.writeU8(211);
      this.writeBigInt64(object);
    }
  }
  writeStringHeader(byteLength) {
    if (byteLength < 32) {
      this.writeU8(160 + byteLength);
    } else if (byteLength < 256) {
      this.writeU8(217);
      this.writeU8(byteLength);
    } else if (byteLength < 65536) {
      this.writeU8(218);
      this.writeU16(byteLength);
    } else if (byteLength < 4294967296) {
      this.writeU8(219);
      this.writeU32(byteLength);
    } else {
      throw new Error(`Too long string: ${byteLength} bytes in UTF-8`);
    }
  }
  encodeString(object) {
    const maxHeaderSize = 1 + 4;
    const byteLength = utf8Count(object);
    this.ensureBufferSizeToWrite(maxHeaderSize + byteLength);
    this.writeStringHeader(byteLength);
    utf8Encode(object, this.bytes, this.pos);
    this.pos += byteLength;
  }
  encodeObject(object, depth) {
    const ext = this.extensionCodec.tryToEncode(object, this.context);
    if (ext != null) {
      this.encodeExtension(ext);
    } else if (Array.isArray(object)) {
      this.encodeArray(object, depth);
    } else if (ArrayBuffer.isView(object)) {
      this.encodeBinary(object);
    } else if (typeof object === "object") {
      this.encodeMap(object, depth);
    } else {
      throw new Error(`Unrecognized object: ${Object.prototype.toString.apply(object)}`);
    }
  }
  encodeBinary(object) {
    const size = object.byteLength;
    if (size < 256) {
      this.writeU8(196);
      this.writeU8(size);
    } else if (size < 65536) {
      this.writeU8(197);
      this.writeU16(size);
    } else if (size < 4294967296) {
      this.writeU8(198);
      this.writeU32(size);
    } else {
      throw new Error(`Too large binary: ${size}`);
    }
    const bytes = ensureUint8Array(object);
    this.writeU8a(bytes);
  }
  encodeArray(object, depth) {
    const size = object.length;
    if (size < 16) {
      this.writeU8(144 + size);
    } else if (size < 65536) {
      this.writeU8(220);
      this.writeU16(size);
    } else if (size < 4294967296) {
      this.writeU8(221);
      this.writeU32(size);
    } else {
      throw new Error(`Too large array: ${size}`);
    }
    for (const item of object) {
      this.doEncode(item, depth + 1);
    }
  }
  countWithoutUndefined(object, keys) {
    let count = 0;
    for (const key of keys) {
      if (object[key] !== void 0) {
        count++;
      }
    }
    return count;
  }
  encodeMap(object, depth) {
    const keys = Object.keys(object);
    if (this.sortKeys) {
      keys.sort();
    }
    const size = this.ignoreUndefined ? this.countWithoutUndefined(object, keys) : keys.length;
    if (size < 16) {
      this.writeU8(128 + size);
    } else if (size < 65536) {
      this.writeU8(222);
      this.writeU16(size);
    } else if (size < 4294967296) {
      this.writeU8(223);
      this.writeU32(size);
    } else {
      throw new Error(`Too large map object: ${size}`);
    }
    for (const key of keys) {
      const value = object[key];
      if (!(this.ignoreUndefined && value === void 0)) {
        this.encodeString(key);
        this.doEncode(value, depth + 1);
      }
    }
  }
  encodeExtension(ext) {
    if (typeof ext.data === "function") {
      const data = ext.data(this.pos + 6);
      const size2 = data.length;
      if (size2 >= 4294967296) {
        throw new Error(`Too large extension object: ${size2}`);
      }
      this.writeU8(201);
      this.writeU32(size2);
      this.writeI8(ext.type);
      this.writeU8a(data);
      return;
    }
    const size = ext.data.length;
    if (size === 1) {
      this.writeU8(212);
    } else if (size === 2) {
      this.writeU8(213);
    } else if (size === 4) {
      this.writeU8(214);
    } else if (size === 8) {
      this.writeU8(215);
    } else if (size === 16) {
      this.writeU8(216);
    } else if (size < 256) {
      this.writeU8(199);
      this.writeU8(size);
    } else if (size < 65536) {
      this.writeU8(200);
      this.writeU16(size);
    } else if (size < 4294967296) {
      this.writeU8(201);
      this.writeU32(size);
    } else {
      throw new Error(`Too large extension object: ${size}`);
    }
    this.writeI8(ext.type);
    this.writeU8a(ext.data);
  }
  writeU8(value) {
    this.ensureBufferSizeToWrite(1);
    this.view.setUint8(this.pos, value);
    this.pos++;
  }
  writeU8a(values) {
    const size = values.length;
    this.ensureBufferSizeToWrite(size);
    this.bytes.set(values, this.pos);
    this.pos += size;
  }
  writeI8(value) {
    this.ensureBufferSizeToWrite(1);
    this.view.setInt8(this.pos, value);
    this.pos++;
  }
  writeU16(value) {
    this.ensureBufferSizeToWrite(2);
    this.view.setUint16(this.pos, value);
    this.pos += 2;
  }
  writeI16(value) {
    this.ensureBufferSizeToWrite(2);
    this.view.setInt16(this.pos, value);
    this.pos += 2;
  }
  writeU32(value) {
    this.ensureBufferSizeToWrite(4);
    this.view.setUint32(this.pos, value);
    this.pos += 4;
  }
  writeI32(value) {
    this.ensureBufferSizeToWrite(4);
    this.view.setInt32(this.pos, value);
    this.pos += 4;
  }
  writeF32(value) {
    this.ensureBufferSizeToWrite(4);
    this.view.setFloat32(this.pos, value);
    this.pos += 4;
  }
  writeF64(value) {
    this.ensureBufferSizeToWrite(8);
    this.view.setFloat64(this.pos, value);
    this.pos += 8;
  }
  writeU64(value) {
    this.ensureBufferSizeToWrite(8);
    setUint64(this.view, this.pos, value);
    this.pos += 8;
  }
  writeI64(value) {
    this.ensureBufferSizeToWrite(8);
    setInt64(this.view, this.pos, value);
    this.pos += 8;
  }
  writeBigUint64(value) {
    this.ensureBufferSizeToWrite(8);
    this.view.setBigUint64(this.pos, value);
    this.pos += 8;
  }
  writeBigInt64(value) {
    this.ensureBufferSizeToWrite(8);
    this.view.setBigInt64(this.pos, value);
    this.pos += 8;
  }
};

// node_modules/@msgpack/msgpack/dist.esm/utils/prettyByte.mjs
function prettyByte(byte) {
  return `${byte < 0 ? "-" : ""}0x${Math.abs(byte).toString(16).padStart(2, "0")}`;
}

// node_modules/@msgpack/msgpack/dist.esm/CachedKeyDecoder.mjs
var DEFAULT_MAX_KEY_LENGTH = 16;
var DEFAULT_MAX_LENGTH_PER_KEY = 16;
var CachedKeyDecoder = class {
  constructor(maxKeyLength = DEFAULT_MAX_KEY_LENGTH, maxLengthPerKey = DEFAULT_MAX_LENGTH_PER_KEY) {
    __publicField(this, "hit", 0);
    __publicField(this, "miss", 0);
    __publicField(this, "caches");
    __publicField(this, "maxKeyLength");
    __publicField(this, "maxLengthPerKey");
    this.maxKeyLength = maxKeyLength;
    this.maxLengthPerKey = maxLengthPerKey;
    this.caches = [];
    for (let i = 0; i < this.maxKeyLength; i++) {
      this.caches.push([]);
    }
  }
  canBeCached(byteLength) {
    return byteLength > 0 && byteLength <= this.maxKeyLength;
  }
  find(bytes, inputOffset, byteLength) {
    const records = this.caches[byteLength - 1];
    FIND_CHUNK: for (const record of records) {
      const recordBytes = record.bytes;
      for (let j = 0; j < byteLength; j++) {
        if (recordBytes[j] !== bytes[inputOffset + j]) {
          continue FIND_CHUNK;
        }
      }
      return record.str;
    }
    return null;
  }
  store(bytes, value) {
    const records = this.caches[bytes.length - 1];
    const record = { bytes, str: value };
    if (records.length >= this.maxLengthPerKey) {
      records[Math.random() * records.length | 0] = record;
    } else {
      records.push(record);
    }
  }
  decode(bytes, inputOffset, byteLength) {
    const cachedValue = this.find(bytes, inputOffset, byteLength);
    if (cachedValue != null) {
      this.hit++;
      return cachedValue;
    }
    this.miss++;
    const str = utf8DecodeJs(bytes, inputOffset, byteLength);
    const slicedCopyOfBytes = Uint8Array.prototype.slice.call(bytes, inputOffset, inputOffset + byteLength);
    this.store(slicedCopyOfBytes, str);
    return str;
  }
};

// node_modules/@msgpack/msgpack/dist.esm/Decoder.mjs
var STATE_ARRAY = "array";
var STATE_MAP_KEY = "map_key";
var STATE_MAP_VALUE = "map_value";
var mapKeyConverter = (key) => {
  if (typeof key === "string" || typeof key === "number") {
    return key;
  }
  throw new DecodeError("The type of key must be string or number but " + typeof key);
};
var StackPool = class {
  constructor() {
    __publicField(this, "stack", []);
    __publicField(this, "stackHeadPosition", -1);
  }
  get length() {
    return this.stackHeadPosition + 1;
  }
  top() {
    return this.stack[this.stackHeadPosition];
  }
  pushArrayState(size) {
    const state = this.getUninitializedStateFromPool();
    state.type = STATE_ARRAY;
    state.position = 0;
    state.size = size;
    state.array = new Array(size);
  }
  pushMapState(size) {
    const state = this.getUninitializedStateFromPool();
    state.type = STATE_MAP_KEY;
    state.readCount = 0;
    state.size = size;
    state.map = {};
  }
  getUninitializedStateFromPool() {
    this.stackHeadPosition++;
    if (this.stackHeadPosition === this.stack.length) {
      const partialState = {
        type: void 0,
        size: 0,
        array: void 0,
        position: 0,
        readCount: 0,
        map: void 0,
        key: null
      };
      this.stack.push(partialState);
    }
    return this.stack[this.stackHeadPosition];
  }
  release(state) {
    const topStackState = this.stack[this.stackHeadPosition];
    if (topStackState !== state) {
      throw new Error("Invalid stack state. Released state is not on top of the stack.");
    }
    if (state.type === STATE_ARRAY) {
      const partialState = state;
      partialState.size = 0;
      partialState.array = void 0;
      partialState.position = 0;
      partialState.type = void 0;
    }
    if (state.type === STATE_MAP_KEY || state.type === STATE_MAP_VALUE) {
      const partialState = state;
      partialState.size = 0;
      partialState.map = void 0;
      partialState.readCount = 0;
      partialState.type = void 0;
    }
    this.stackHeadPosition--;
  }
  reset() {
    this.stack.length = 0;
    this.stackHeadPosition = -1;
  }
};
var HEAD_BYTE_REQUIRED = -1;
var EMPTY_VIEW = new DataView(new ArrayBuffer(0));
var EMPTY_BYTES = new Uint8Array(EMPTY_VIEW.buffer);
try {
  EMPTY_VIEW.getInt8(0);
} catch (e) {
  if (!(e instanceof RangeError)) {
    throw new Error("This module is not supported in the current JavaScript engine because DataView does not throw RangeError on out-of-bounds access");
  }
}
var MORE_DATA = new RangeError("Insufficient data");
var sharedCachedKeyDecoder = new CachedKeyDecoder();
var Decoder = class _Decoder {
  constructor(options) {
    __publicField(this, "extensionCodec");
    __publicField(this, "context");
    __publicField(this, "useBigInt64");
    __publicField(this, "rawStrings");
    __publicField(this, "maxStrLength");
    __publicField(this, "maxBinLength");
    __publicField(this, "maxArrayLength");
    __publicField(this, "maxMapLength");
    __publicField(this, "maxExtLength");
    __publicField(this, "keyDecoder");
    __publicField(this, "mapKeyConverter");
    __publicField(this, "totalPos", 0);
    __publicField(this, "pos", 0);
    __publicField(this, "view", EMPTY_VIEW);
    __publicField(this, "bytes", EMPTY_BYTES);
    __publicField(this, "headByte", HEAD_BYTE_REQUIRED);
    __publicField(this, "stack", new StackPool());
    __publicField(this, "entered", false);
    this.extensionCodec = options?.extensionCodec ?? ExtensionCodec.defaultCodec;
    this.context = options?.context;
    this.useBigInt64 = options?.useBigInt64 ?? false;
    this.rawStrings = options?.rawStrings ?? false;
    this.maxStrLength = options?.maxStrLength ?? UINT32_MAX;
    this.maxBinLength = options?.maxBinLength ?? UINT32_MAX;
    this.maxArrayLength = options?.maxArrayLength ?? UINT32_MAX;
    this.maxMapLength = options?.maxMapLength ?? UINT32_MAX;
    this.maxExtLength = options?.maxExtLength ?? UINT32_MAX;
    this.keyDecoder = options?.keyDecoder !== void 0 ? options.keyDecoder : sharedCachedKeyDecoder;
    this.mapKeyConverter = options?.mapKeyConverter ?? mapKeyConverter;
  }
  clone() {
    return new _Decoder({
      extensionCodec: this.extensionCodec,
      context: this.context,
      useBigInt64: this.useBigInt64,
      rawStrings: this.rawStrings,
      maxStrLength: this.maxStrLength,
      maxBinLength: this.maxBinLength,
      maxArrayLength: this.maxArrayLength,
      maxMapLength: this.maxMapLength,
      maxExtLength: this.maxExtLength,
      keyDecoder: this.keyDecoder
    });
  }
  reinitializeState() {
    this.totalPos = 0;
    this.headByte = HEAD_BYTE_REQUIRED;
    this.stack.reset();
  }
  setBuffer(buffer) {
    const bytes = ensureUint8Array(buffer);
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = 0;
  }
  appendBuffer(buffer) {
    if (this.headByte === HEAD_BYTE_REQUIRED && !this.hasRemaining(1)) {
      this.setBuffer(buffer);
    } else {
      const remainingData = this.bytes.subarray(this.pos);
      const newData = ensureUint8Array(buffer);
      const newBuffer = new Uint8Array(remainingData.length + newData.length);
      newBuffer.set(remainingData);
      newBuffer.set(newData, remainingData.length);
      this.setBuffer(newBuffer);
    }
  }
  hasRemaining(size) {
    return this.view.byteLength - this.pos >= size;
  }
  createExtraByteError(posToShow) {
    const { view, pos } = this;
    return new RangeError(`Extra ${view.byteLength - pos} of ${view.byteLength} byte(s) found at buffer[${posToShow}]`);
  }
  /**
   * @throws {@link DecodeError}
   * @throws {@link RangeError}
   */
  decode(buffer) {
    if (this.entered) {
      const instance = this.clone();
      return instance.decode(buffer);
    }
    try {
      this.entered = true;
      this.reinitializeState();
      this.setBuffer(buffer);
      const object = this.doDecodeSync();
      if (this.hasRemaining(1)) {
        throw this.createExtraByteError(this.pos);
      }
      return object;
    } finally {
      this.entered = false;
    }
  }
  *decodeMulti(buffer) {
    if (this.entered) {
      const instance = this.clone();
      yield* instance.decodeMulti(buffer);
      return;
    }
    try {
      this.entered = true;
      this.reinitializeState();
      this.setBuffer(buffer);
      while (this.hasRemaining(1)) {
        yield this.doDecodeSync();
      }
    } finally {
      this.entered = false;
    }
  }
  async decodeAsync(stream) {
    if (this.entered) {
      const instance = this.clone();
      return instance.decodeAsync(stream);
    }
    try {
      this.entered = true;
      let decoded = false;
      let object;
      for await (const buffer of stream) {
        if (decoded) {
          this.entered = false;
          throw this.createExtraByteError(this.totalPos);
        }
        this.appendBuffer(buffer);
        try {
          object = this.doDecodeSync();
          decoded = true;
        } catch (e) {
          if (!(e instanceof RangeError)) {
            throw e;
          }
        }
        this.totalPos += this.pos;
      }
      if (decoded) {
        if (this.hasRemaining(1)) {
          throw this.createExtraByteError(this.totalPos);
        }
        return object;
      }
      const { headByte, pos, totalPos } = this;
      throw new RangeError(`Insufficient data in parsing ${prettyByte(headByte)} at ${totalPos} (${pos} in the current buffer)`);
    } finally {
      this.entered = false;
    }
  }
  decodeArrayStream(stream) {
    return this.decodeMultiAsync(stream, true);
  }
  decodeStream(stream) {
    return this.decodeMultiAsync(stream, false);
  }
  async *decodeMultiAsync(stream, isArray) {
    if (this.entered) {
      const instance = this.clone();
      yield* instance.decodeMultiAsync(stream, isArray);
      return;
    }
    try {
      this.entered = true;
      let isArrayHeaderRequired = isArray;
      let arrayItemsLeft = -1;
      for await (const buffer of stream) {
        if (isArray && arrayItemsLeft === 0) {
          throw this.createExtraByteError(this.totalPos);
        }
        this.appendBuffer(buffer);
        if (isArrayHeaderRequired) {
          arrayItemsLeft = this.readArraySize();
          isArrayHeaderRequired = false;
          this.complete();
        }
        try {
          while (true) {
            yield this.doDecodeSync();
            if (--arrayItemsLeft === 0) {
              break;
            }
          }
        } catch (e) {
          if (!(e instanceof RangeError)) {
            throw e;
          }
        }
        this.totalPos += this.pos;
      }
    } finally {
      this.entered = false;
    }
  }
  doDecodeSync() {
    DECODE: while (true) {
      const headByte = this.readHeadByte();
      let object;
      if (headByte >= 224) {
        object = headByte - 256;
      } else if (headByte < 192) {
        if (headByte < 128) {
          object = headByte;
        } else if (headByte < 144) {
          const size = headByte - 128;
          if (size !== 0) {
            this.pushMapState(size);
            this.complete();
            continue DECODE;
          } else {
            object = {};
          }
        } else if (headByte < 160) {
          const size = headByte - 144;
          if (size !== 0) {
            this.pushArrayState(size);
            this.complete();
            continue DECODE;
          } else {
            object = [];
          }
        } else {
          const byteLength = headByte - 160;
          object = this.decodeString(byteLength, 0);
        }
      } else if (headByte === 192) {
        object = null;
      } else if (headByte === 194) {
        object = false;
      } else if (headByte === 195) {
        object = true;
      } else if (headByte === 202) {
        object = this.readF32();
      } else if (headByte === 203) {
        object = this.readF64();
      } else if (headByte === 204) {
        object = this.readU8();
      } else if (headByte === 205) {
        object = this.readU16();
      } else if (headByte === 206) {
        object = this.readU32();
      } else if (headByte === 207) {
        if (this.useBigInt64) {
          object = this.readU64AsBigInt();
        } else {
          object = this.readU64();
        }
      } else if (headByte === 208) {
        object = this.readI8();
      } else if (headByte === 209) {
        object = this.readI16();
      } else if (headByte === 210) {
        object = this.readI32();
      } else if (headByte === 211) {
        if (this.useBigInt64) {
          object = this.readI64AsBigInt();
        } else {
          object = this.readI64();
        }
      } else if (headByte === 217) {
        const byteLength = this.lookU8();
        object = this.decodeString(byteLength, 1);
      } else if (headByte === 218) {
        const byteLength = this.lookU16();
        object = this.decodeString(byteLength, 2);
      } else if (headByte === 219) {
        const byteLength = this.lookU32();
        object = this.decodeString(byteLength, 4);
      } else if (headByte === 220) {
        const size = this.readU16();
        if (size !== 0) {
          this.pushArrayState(size);
          this.complete();
          continue DECODE;
        } else {
          object = [];
        }
      } else if (headByte === 221) {
        const size = this.readU32();
        if (size !== 0) {
          this.pushArrayState(size);
          this.complete();
          continue DECODE;
        } else {
          object = [];
        }
      } else if (headByte === 222) {
        const size = this.readU16();
        if (size !== 0) {
          this.pushMapState(size);
          this.complete();
          continue DECODE;
        } else {
          object = {};
        }
      } else if (headByte === 223) {
        const size = this.readU32();
        if (size !== 0) {
          this.pushMapState(size);
          this.complete();
          continue DECODE;
        } else {
          object = {};
        }
      } else if (headByte === 196) {
        const size = this.lookU8();
        object = this.decodeBinary(size, 1);
      } else if (headByte === 197) {
        const size = this.lookU16();
        object = this.decodeBinary(size, 2);
      } else if (headByte === 198) {
        const size = this.lookU32();
        object = this.decodeBinary(size, 4);
      } else if (headByte === 212) {
        object = this.decodeExtension(1, 0);
      } else if (headByte === 213) {
        object = this.decodeExtension(2, 0);
      } else if (headByte === 214) {
        object = this.decodeExtension(4, 0);
      } else if (headByte === 215) {
        object = this.decodeExtension(8, 0);
      } else if (headByte === 216) {
        object = this.decodeExtension(16, 0);
      } else if (headByte === 199) {
        const size = this.lookU8();
        object = this.decodeExtension(size, 1);
      } else if (headByte === 200) {
        const size = this.lookU16();
        object = this.decodeExtension(size, 2);
      } else if (headByte === 201) {
        const size = this.lookU32();
        object = this.decodeExtension(size, 4);
      } else {
        throw new DecodeError(`Unrecognized type byte: ${prettyByte(headByte)}`);
      }
      this.complete();
      const stack = this.stack;
      while (stack.length > 0) {
        const state = stack.top();
        if (state.type === STATE_ARRAY) {
          state.array[state.position] = object;
          state.position++;
          if (state.position === state.size) {
            object = state.array;
            stack.release(state);
          } else {
            continue DECODE;
          }
        } else if (state.type === STATE_MAP_KEY) {
          if (object === "__proto__") {
            throw new DecodeError("The key __proto__ is not allowed");
          }
          state.key = this.mapKeyConverter(object);
          state.type = STATE_MAP_VALUE;
          continue DECODE;
        } else {
          state.map[state.key] = object;
          state.readCount++;
          if (state.readCount === state.size) {
            object = state.map;
            stack.release(state);
          } else {
            state.key = null;
            state.type = STATE_MAP_KEY;
            continue DECODE;
          }
        }
      }
      return object;
    }
  }
  readHeadByte() {
    if (this.headByte === HEAD_BYTE_REQUIRED) {
      this.headByte = this.readU8();
    }
    return this.headByte;
  }
  complete() {
    this.headByte = HEAD_BYTE_REQUIRED;
  }
  readArraySize() {
    const headByte = this.readHeadByte();
    switch (headByte) {
      case 220:
        return this.readU16();
      case 221:
        return this.readU32();
      default: {
        if (headByte < 160) {
          return headByte - 144;
        } else {
          throw new DecodeError(`Unrecognized array type byte: ${prettyByte(headByte)}`);
        }
      }
    }
  }
  pushMapState(size) {
    if (size > this.maxMapLength) {
      throw new DecodeError(`Max length exceeded: map length (${size}) > maxMapLengthLength (${this.maxMapLength})`);
    }
    this.stack.pushMapState(size);
  }
  pushArrayState(size) {
    if (size > this.maxArrayLength) {
      throw new DecodeError(`Max length exceeded: array length (${size}) > maxArrayLength (${this.maxArrayLength})`);
    }
    this.stack.pushArrayState(size);
  }
  decodeString(byteLength, headerOffset) {
    if (!this.rawStrings || this.stateIsMapKey()) {
      return this.decodeUtf8String(byteLength, headerOffset);
    }
    return this.decodeBinary(byteLength, headerOffset);
  }
  /**
   * @throws {@link RangeError}
   */
  decodeUtf8String(byteLength, headerOffset) {
    if (byteLength > this.maxStrLength) {
      throw new DecodeError(`Max length exceeded: UTF-8 byte length (${byteLength}) > maxStrLength (${this.maxStrLength})`);
    }
    if (this.bytes.byteLength < this.pos + headerOffset + byteLength) {
      throw MORE_DATA;
    }
    const offset = this.pos + headerOffset;
    let object;
    if (this.stateIsMapKey() && this.keyDecoder?.canBeCached(byteLength)) {
      object = this.keyDecoder.decode(this.bytes, offset, byteLength);
    } else {
      object = utf8Decode(this.bytes, offset, byteLength);
    }
    this.pos += headerOffset + byteLength;
    return object;
  }
  stateIsMapKey() {
    if (this.stack.length > 0) {
      const state = this.stack.top();
      return state.type === STATE_MAP_KEY;
    }
    return false;
  }
  /**
   * @throws {@link RangeError}
   */
  decodeBinary(byteLength, headOffset) {
    if (byteLength > this.maxBinLength) {
      throw new DecodeError(`Max length exceeded: bin length (${byteLength}) > maxBinLength (${this.maxBinLength})`);
    }
    if (!this.hasRemaining(byteLength + headOffset)) {
      throw MORE_DATA;
    }
    const offset = this.pos + headOffset;
    const object = this.bytes.subarray(offset, offset + byteLength);
    this.pos += headOffset + byteLength;
    return object;
  }
  decodeExtension(size, headOffset) {
    if (size > this.maxExtLength) {
      throw new DecodeError(`Max length exceeded: ext length (${size}) > maxExtLength (${this.maxExtLength})`);
    }
    const extType = this.view.getInt8(this.pos + headOffset);
    const data = this.decodeBinary(
      size,
      headOffset + 1
      /* extType */
    );
    return this.extensionCodec.decode(data, extType, this.context);
  }
  lookU8() {
    return this.view.getUint8(this.pos);
  }
  lookU16() {
    return this.view.getUint16(this.pos);
  }
  lookU32() {
    return this.view.getUint32(this.pos);
  }
  readU8() {
    const value = this.view.getUint8(this.pos);
    this.pos++;
    return value;
  }
  readI8() {
    const value = this.view.getInt8(this.pos);
    this.pos++;
    return value;
  }
  readU16() {
    const value = this.view.getUint16(this.pos);
    this.pos += 2;
    return value;
  }
  readI16() {
    const value = this.view.getInt16(this.pos);
    this.pos += 2;
    return value;
  }
  readU32() {
    const value = this.view.getUint32(this.pos);
    this.pos += 4;
    return value;
  }
  readI32() {
    const value = this.view.getInt32(this.pos);
    this.pos += 4;
    return value;
  }
  readU64() {
    const value = getUint64(this.view, this.pos);
    this.pos += 8;
    return value;
  }
  readI64() {
    const value = getInt64(this.view, this.pos);
    this.pos += 8;
    return value;
  }
  readU64AsBigInt() {
    const value = this.view.getBigUint64(this.pos);
    this.pos += 8;
    return value;
  }
  readI64AsBigInt() {
    const value = this.view.getBigInt64(this.pos);
    this.pos += 8;
    return value;
  }
  readF32() {
    const value = this.view.getFloat32(this.pos);
    this.pos += 4;
    return value;
  }
  readF64() {
    const value = this.view.getFloat64(this.pos);
    this.pos += 8;
    return value;
  }
};

// src/codec.ts
var decoder = new Decoder({
  useBigInt64: false,
  mapKeyConverter: (key) => typeof key === "string" ? key : String(key)
});
var encoder = new Encoder({ ignoreUndefined: true });
function decodeFrame(data) {
  const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const value = decoder.decode(bytes);
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new TypeError("a frame is not a MessagePack map");
  }
  const message = value;
  if (typeof message.t !== "string") {
    throw new TypeError("a frame has no string type tag `t`");
  }
  return message;
}
function encodeFrame(message) {
  return encoder.encode(message);
}

// src/constants.ts
var PROTOCOL_VERSION = 1;
var ROOM_CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
var ROOM_CODE_LENGTH = 6;
var INVITE_SECRET_LENGTH = 16;
var MAX_FRAME_BYTES = 16384;
var ERROR_CODES = [
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
  "spectator"
];
var LEFT_REASONS = ["leave", "finished", "error", "replaced", "expired", "shutdown"];
var CLOSE_SESSION_REPLACED = 4001;

// src/emitter.ts
var Emitter = class {
  constructor() {
    this.listeners = /* @__PURE__ */ new Map();
  }
  /** Calls `fn` for every `name` event; returns a function that removes it. */
  on(name, fn) {
    let set = this.listeners.get(name);
    if (set === void 0) {
      set = /* @__PURE__ */ new Set();
      this.listeners.set(name, set);
    }
    set.add(fn);
    return () => this.off(name, fn);
  }
  /** Calls `fn` for the next `name` event only. */
  once(name, fn) {
    const off = this.on(name, (payload) => {
      off();
      fn(payload);
    });
    return off;
  }
  /** Removes a listener added with `on`. */
  off(name, fn) {
    this.listeners.get(name)?.delete(fn);
  }
  /** How many listeners `name` has. */
  listenerCount(name) {
    return this.listeners.get(name)?.size ?? 0;
  }
  /** @internal */
  emit(name, payload) {
    const set = this.listeners.get(name);
    if (set === void 0) return;
    for (const fn of [...set]) {
      try {
        fn(payload);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }
};

// src/errors.ts
var ParlorError = class extends Error {
  constructor(code, message) {
    super(message);
    this.name = "ParlorError";
    this.code = code;
  }
};

// src/mirror.ts
function bad(what) {
  throw new ParlorError("bad_frame", `malformed frame: ${what}`);
}
function list(value, what) {
  if (!Array.isArray(value)) bad(`${what} is not an array`);
  return value;
}
function show(value) {
  let text;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}
function optional(value, what) {
  return value === void 0 || value === null ? [] : list(value, what);
}
function checked(kind, tick, parse) {
  try {
    return parse();
  } catch (error) {
    if (!(error instanceof ParlorError)) throw error;
    const what = error.message.replace(/^malformed frame: /, "");
    throw new ParlorError("bad_frame", `malformed ${kind} at tick ${String(tick)}: ${what}; it was not applied`);
  }
}
var StateMirror = class {
  constructor() {
    /** Entities by id. */
    this.entities = /* @__PURE__ */ new Map();
    /** Resources by name. */
    this.resources = {};
    /** The room's replicated types, in index order. */
    this.schema = [];
    /** The tick of the last message applied. */
    this.tick = 0;
    /** Whether a `joined` has been applied. */
    this.loaded = false;
    /** Whether an entity id above 2^53 has been seen (it was rounded). */
    this.unsafeIds = false;
  }
  entry(index) {
    const entry = typeof index === "number" ? this.schema[index] : void 0;
    if (entry === void 0) {
      bad(`type index ${show(index)} is not in the schema (${this.schema.length} types)`);
    }
    return entry;
  }
  id(value) {
    if (typeof value !== "number") bad(`an entity id is not a number: ${show(value)}`);
    return value;
  }
  /** Notes an id above 2^53 (`unsafeIds`). */
  flag(id) {
    if (!Number.isSafeInteger(id)) this.unsafeIds = true;
  }
  /** Turns a wire value of `entry`'s type into its JS form. */
  value(entry, raw) {
    const fields = entry.fields;
    if (fields === null || !Array.isArray(raw) || raw.length !== fields.length) return raw;
    const object = {};
    for (let i = 0; i < fields.length; i++) object[fields[i]] = raw[i];
    return object;
  }
  /** Replaces the whole state with a `joined` message's. */
  applyJoined(message) {
    const schema = list(message.schema, "schema");
    const state = message.state;
    if (state === null || typeof state !== "object") bad("state is not a map");
    const wireEntities = list(state.e, "state.e");
    const wireResources = list(state.r, "state.r");
    this.schema = schema.map((pair) => {
      const [name, fields] = list(pair, "a schema entry");
      if (typeof name !== "string") bad("a schema name is not a string");
      return { name, fields: Array.isArray(fields) ? fields.map(String) : null };
    });
    const resync = this.loaded;
    const before = new Map(this.entities);
    const change = {
      tick: Number(message.tick),
      resync,
      spawned: [],
      changed: /* @__PURE__ */ new Map(),
      removed: /* @__PURE__ */ new Map(),
      gone: [],
      resources: []
    };
    this.entities.clear();
    for (const item of wireEntities) {
      const [rawId, components] = list(item, "an entity");
      const id = this.id(rawId);
      this.flag(id);
      const entity = {};
      const names = [];
      for (const pair of list(components, "components")) {
        const [index, raw] = list(pair, "a component");
        const entry = this.entry(index);
        entity[entry.name] = this.value(entry, raw);
        names.push(entry.name);
      }
      this.entities.set(id, entity);
      change.changed.set(id, names);
      const old = before.get(id);
      if (old === void 0) {
        change.spawned.push(id);
      } else {
        const lost = Object.keys(old).filter((name) => !(name in entity));
        if (lost.length > 0) change.removed.set(id, lost);
      }
    }
    for (const id of before.keys()) {
      if (!this.entities.has(id)) change.gone.push(id);
    }
    const resources = this.resources;
    for (const name of Object.keys(resources)) delete resources[name];
    for (const pair of wireResources) {
      const [index, raw] = list(pair, "a resource");
      const entry = this.entry(index);
      resources[entry.name] = this.value(entry, raw);
      change.resources.push(entry.name);
    }
    this.tick = change.tick;
    this.loaded = true;
    return change;
  }
  /**
   * Applies a `patch` message: `ch`, then `rm`, then `gone`, then `r`.
   * Throws a `ParlorError` (`bad_frame`) for a malformed one, which is then
   * not applied at all.
   */
  applyPatch(message) {
    if (!this.loaded) bad("a patch before joined");
    return this.applyDelta(checked("patch", message.tick, () => this.parsePatch(message)));
  }
  /**
   * Applies a `p` message (a compact patch) exactly as the equivalent
   * `patch`. Throws a `ParlorError` (`bad_frame`) for a malformed one
   * (counts that do not add up, an unknown type index...), which is then
   * not applied at all.
   */
  applyCompact(message) {
    if (!this.loaded) bad("a p before joined");
    return this.applyDelta(checked("p", message.k ?? this.tick + 1, () => this.parseCompact(message)));
  }
  parsePatch(message) {
    const delta = {
      tick: Number(message.tick),
      ack: typeof message.ack === "number" ? message.ack : void 0,
      ch: [],
      rm: [],
      gone: [],
      r: []
    };
    for (const item of optional(message.ch, "ch")) {
      const [rawId, components] = list(item, "an entity");
      const values = [];
      for (const pair of list(components, "components")) {
        const [index, raw] = list(pair, "a component");
        const entry = this.entry(index);
        values.push([entry, this.value(entry, raw)]);
      }
      delta.ch.push([this.id(rawId), values]);
    }
    for (const item of optional(message.rm, "rm")) {
      const [rawId, indices] = list(item, "a removal");
      delta.rm.push([this.id(rawId), list(indices, "removed types").map((index) => this.entry(index))]);
    }
    for (const rawId of optional(message.gone, "gone")) delta.gone.push(this.id(rawId));
    for (const pair of optional(message.r, "r")) {
      const [index, raw] = list(pair, "a resource");
      const entry = this.entry(index);
      delta.r.push([entry, this.value(entry, raw)]);
    }
    return delta;
  }
  parseCompact(message) {
    if (message.k !== void 0 && typeof message.k !== "number") bad("k (the tick) is not a number");
    if (message.a !== void 0 && typeof message.a !== "number") bad("a (the ack) is not a number");
    const tick = message.k ?? this.tick + 1;
    const delta = { tick, ack: message.a, ch: [], rm: [], gone: [], r: [] };
    const c = optional(message.c, "c");
    const byEntity = /* @__PURE__ */ new Map();
    const gather = (id, entry, value) => {
      const values = byEntity.get(id);
      if (values === void 0) byEntity.set(id, [[entry, value]]);
      else values.push([entry, value]);
    };
    let at = 0;
    while (at < c.length) {
      const group = at;
      const entry = this.entry(c[at]);
      const n = c[at + 1];
      if (typeof n !== "number" || !Number.isInteger(n) || n < 0) {
        bad(`c[${group + 1}], the count of ${entry.name}, is not a count: ${show(n)}`);
      }
      at += 2;
      const width = entry.fields === null ? 1 : entry.fields.length;
      for (let i = 0; i < n; i++) {
        if (entry.fields !== null && typeof c[at] === "number" && c[at] < 0) {
          const id2 = -c[at] - 1;
          const mask = c[at + 1];
          if (typeof mask !== "number" || !Number.isInteger(mask) || mask < 0 || mask >= 2 ** entry.fields.length) {
            bad(`c[${at + 1}], the changed fields of ${entry.name} ${id2}, is not a mask of its fields: ${show(mask)}`);
          }
          const names = entry.fields.filter((_, f) => Math.floor(mask / 2 ** f) % 2 === 1);
          if (at + 2 + names.length > c.length) {
            bad(`c ends inside ${entry.name} ${i + 1} of ${n} (the group at c[${group}], ${c.length} items)`);
          }
          const before = this.entities.get(id2)?.[entry.name];
          if (before === void 0 || before === null || typeof before !== "object") {
            bad(`changed fields of ${entry.name} for entity ${id2}, which has none`);
          }
          const object = { ...before };
          names.forEach((name, f) => object[name] = c[at + 2 + f]);
          at += 2 + names.length;
          gather(id2, entry, object);
          continue;
        }
        if (at + 1 + width > c.length) {
          bad(`c ends inside ${entry.name} ${i + 1} of ${n} (the group at c[${group}], ${c.length} items)`);
        }
        const id = this.id(c[at]);
        let value;
        if (entry.fields === null) {
          value = c[at + 1];
        } else {
          const object = {};
          for (let f = 0; f < width; f++) object[entry.fields[f]] = c[at + 1 + f];
          value = object;
        }
        at += 1 + width;
        gather(id, entry, value);
      }
    }
    delta.ch = [...byEntity];
    const m = optional(message.m, "m");
    if (m.length % 2 !== 0) bad(`m has an odd length (${m.length}), not id and type pairs`);
    const removed = /* @__PURE__ */ new Map();
    for (let i = 0; i < m.length; i += 2) {
      const id = this.id(m[i]);
      const entry = this.entry(m[i + 1]);
      const entries = removed.get(id);
      if (entries === void 0) removed.set(id, [entry]);
      else entries.push(entry);
    }
    delta.rm = [...removed];
    for (const rawId of optional(message.g, "g")) delta.gone.push(this.id(rawId));
    const r = optional(message.r, "r");
    if (r.length % 2 !== 0) bad(`r has an odd length (${r.length}), not type and value pairs`);
    for (let i = 0; i < r.length; i += 2) {
      const entry = this.entry(r[i]);
      delta.r.push([entry, this.value(entry, r[i + 1])]);
    }
    return delta;
  }
  /** Applies a checked patch; nothing in it can fail. */
  applyDelta(delta) {
    const change = {
      tick: delta.tick,
      resync: false,
      ack: delta.ack,
      spawned: [],
      changed: /* @__PURE__ */ new Map(),
      removed: /* @__PURE__ */ new Map(),
      gone: [],
      resources: []
    };
    for (const [id, values] of delta.ch) {
      this.flag(id);
      let entity = this.entities.get(id);
      if (entity === void 0) {
        entity = {};
        this.entities.set(id, entity);
        change.spawned.push(id);
      }
      const names = [];
      for (const [entry, value] of values) {
        entity[entry.name] = value;
        names.push(entry.name);
      }
      change.changed.set(id, names);
    }
    for (const [id, entries] of delta.rm) {
      this.flag(id);
      const entity = this.entities.get(id);
      if (entity === void 0) continue;
      const names = entries.map((entry) => entry.name).filter((name) => name in entity);
      if (names.length === 0) continue;
      for (const name of names) delete entity[name];
      change.removed.set(id, names);
      if (Object.keys(entity).length === 0) this.entities.delete(id);
    }
    for (const id of delta.gone) {
      this.flag(id);
      if (this.entities.delete(id)) change.gone.push(id);
    }
    const resources = this.resources;
    for (const [entry, value] of delta.r) {
      resources[entry.name] = value;
      change.resources.push(entry.name);
    }
    this.tick = change.tick;
    return change;
  }
};

// src/room.ts
var Room = class extends Emitter {
  /** @internal `replay` is the match id of a `watch {replay}`, else null. */
  constructor(link, joined, replay = null) {
    super();
    /** The mirrored state. */
    this.state = new StateMirror();
    /**
     * The commitment to the current match's seed: its SHA-256, hex, from
     * `joined` and each `fair` message; the `result` reveals the seed.
     * `null` from a server that sends none.
     */
    this.fair = null;
    /** The highest input `seq` sent. */
    this.seq = 0;
    /** The highest input `seq` the room applied (from the last patch). */
    this.ack = 0;
    /** `active` until the room is left. */
    this.status = "active";
    /** Why the room was left, once it is. */
    this.leftReason = null;
    /** @internal */
    this.leaving = false;
    this.warnedUnsafe = false;
    this.link = link;
    this.code = joined.room;
    this.invite = typeof joined.invite === "string" ? joined.invite : null;
    this.game = joined.game;
    this.you = joined.you;
    this.watching = joined.you === null;
    this.replay = replay;
  }
  /** This player's entity's components (`undefined` if it has none replicated, or while watching). */
  get me() {
    return this.you === null ? void 0 : this.state.entities.get(this.you);
  }
  /** Whether inputs can be sent now (never while watching). */
  get connected() {
    return this.status === "active" && !this.watching && this.link.canSend(this);
  }
  /**
   * Sends an input with the next `seq`. Returns false, and sends nothing,
   * while the room is left or the connection is down (inputs are dropped,
   * never queued) or the socket's send buffer is full. Throws a
   * `ParlorError` with code `too_big` for an input over the server's frame
   * limit, and with code `spectator` while watching (nothing is sent: the
   * server would refuse it with that code).
   */
  send(input) {
    if (this.watching) {
      throw new ParlorError("spectator", "a spectator sends no inputs; join the room to play");
    }
    if (!this.connected) return false;
    const seq = this.seq + 1;
    const frame = encodeFrame({ t: "input", seq, d: input, rid: this.link.nextRid() });
    if (frame.byteLength > this.link.maxFrameBytes) {
      throw new ParlorError(
        "too_big",
        `an input of ${frame.byteLength} bytes is over the server's limit of ${this.link.maxFrameBytes}`
      );
    }
    if (!this.link.write(frame)) return false;
    this.seq = seq;
    return true;
  }
  /**
   * Leaves the room. Resolves once the server confirms (the room then emits
   * `left` with reason `leave`), or at once when not connected. The seat is
   * not kept for reconnection.
   */
  leave() {
    if (this.status === "left") return Promise.resolve();
    return this.link.leaveRoom(this);
  }
  /** Round-trip time to the server in milliseconds. */
  ping() {
    return this.link.ping();
  }
  /** @internal A `joined` for this room: the state is replaced. */
  _load(joined) {
    this.you = joined.you;
    this.watching = joined.you === null;
    this.fair = typeof joined.fair === "string" ? joined.fair : null;
    const change = this.state.applyJoined(joined);
    this.checkIds();
    this.emit("change", change);
    return change;
  }
  /**
   * @internal A `patch` or a `p`. Throws a `ParlorError` (`bad_frame`) for
   * a malformed one, which leaves the state as it was.
   */
  _patch(patch) {
    const change = patch.t === "p" ? this.state.applyCompact(patch) : this.state.applyPatch(patch);
    if (change.ack !== void 0) this.ack = change.ack;
    this.checkIds();
    this.emit("change", change);
  }
  /** @internal A `fair` message: the next match's commitment. */
  _fair(commit) {
    this.fair = commit;
    this.emit("fair", { commit });
  }
  /** @internal */
  _left(reason) {
    if (this.status === "left") return;
    this.status = "left";
    this.leftReason = reason;
    this.emit("left", { reason });
  }
  checkIds() {
    if (this.state.unsafeIds && !this.warnedUnsafe) {
      this.warnedUnsafe = true;
      this.emit(
        "error",
        new ParlorError("unsafe_id", "an entity id above 2^53 arrived; it was rounded to the nearest JS number")
      );
    }
  }
};

// src/telegram.ts
var CHARS = `[${ROOM_CODE_ALPHABET.replace(/[\\\]^-]/g, "\\$&")}]`;
var ROOM_CODE = new RegExp(`^${CHARS}{${ROOM_CODE_LENGTH}}(-${CHARS}{${INVITE_SECRET_LENGTH}})?$`, "i");
function isRoomCode(value) {
  return typeof value === "string" && ROOM_CODE.test(value);
}
function telegramLaunch() {
  const g = globalThis;
  const app = g.Telegram?.WebApp;
  const launch = {};
  if (typeof app?.initData === "string" && app.initData !== "") launch.initData = app.initData;
  const param = app?.initDataUnsafe?.start_param;
  if (typeof param === "string" && param !== "") {
    launch.startParam = param;
  } else if (typeof g.location?.search === "string") {
    const fromUrl = new URLSearchParams(g.location.search).get("tgWebAppStartParam");
    if (fromUrl) launch.startParam = fromUrl;
  }
  return launch;
}
function guestName() {
  return `Guest ${1e3 + Math.floor(Math.random() * 9e3)}`;
}

// src/client.ts
var OPEN = 1;
var MAX_PENDING = 8;
var MAX_PINGS = 16;
var MAX_REDIRECTS = 3;
var codes = (...list2) => new Set(list2);
var REQUEST_ERRORS = codes(
  "no_such_game",
  "no_such_room",
  "room_full",
  "server_full",
  "unsupported",
  "internal",
  "guest_disabled"
);
var SESSION_REFUSALS = codes("auth_expired", "auth_failed", "guest_disabled");
var FATAL_HELLO = codes("auth_failed", "auth_expired", "guest_disabled", "version", "bad_message");
var ROOM_ERRORS = codes("illegal_input", "rate_limited", "not_in_room", "bad_message", "spectator");
var now = typeof performance !== "undefined" && typeof performance.now === "function" ? () => performance.now() : () => Date.now();
function resolveUrl(url) {
  const location = globalThis.location;
  let address = url === void 0 || url === "" ? "/ws" : url;
  if (!/^[a-z][a-z0-9+.-]*:/i.test(address)) {
    if (location === void 0) throw new TypeError("connect needs an absolute ws:// url outside a browser");
    address = new URL(address, location.href).href;
  }
  return address.replace(/^http(s?):/i, "ws$1:");
}
var Client = class extends Emitter {
  /** @internal Use `Parlor.connect`. */
  constructor(url, options = {}) {
    super();
    /** The signed-in player (a guest who signs in afresh after a reconnection gets a new id). */
    this.player = { id: "", name: "" };
    /** The resume token from the last `welcome` ("" when the server offers none). */
    this.session = "";
    /** The room this client is in, or null. */
    this.room = null;
    this.status = "connecting";
    this.socket = null;
    this.welcomed = false;
    this.helloKind = "fresh";
    this.attempt = 0;
    /** The last request id sent; each request gets the next one (a u32, wrapping). */
    this.ridCounter = 0;
    /** The request id of this socket's `hello`. */
    this.helloRid = -1;
    /**
     * Whether the server echoes request ids on this socket (protocol 1.1), as
     * its `welcome` tells. If not, answers are matched to requests in order.
     */
    this.echoes = false;
    /** Room requests waiting, by request id, oldest first. */
    this.pending = /* @__PURE__ */ new Map();
    /** Pings waiting, by request id (also their `n`). */
    this.pings = /* @__PURE__ */ new Map();
    /** Leaves waiting, by request id. */
    this.leaves = /* @__PURE__ */ new Map();
    this.restoring = null;
    /** A redirect being followed (the socket to the room's node is opening), or null. */
    this.following = null;
    /** Redirects followed since the last `joined`. */
    this.redirects = 0;
    /** A restoring `join` whose room the app left meanwhile: its `joined` is answered with `leave`. */
    this.abandoned = null;
    this.fatal = null;
    this.startUsed = false;
    this.held = null;
    this.signInAfresh = false;
    this.url = resolveUrl(url);
    const launch = telegramLaunch();
    const Socket = options.WebSocket ?? globalThis.WebSocket;
    if (typeof Socket !== "function") {
      throw new TypeError("no WebSocket: pass one as the WebSocket option (the ws package in Node)");
    }
    this.Socket = Socket;
    const initData = options.initData || launch.initData;
    this.credentials = initData ? { init_data: initData } : { guest: options.guest || guestName() };
    this.session = options.session ?? "";
    const startParam = options.startParam === void 0 ? launch.startParam : options.startParam;
    this.startParam = startParam || null;
    this.startRoom = isRoomCode(this.startParam) ? this.startParam.toUpperCase() : null;
    this.requestTimeout = options.requestTimeout ?? 1e4;
    this.maxFrameBytes = options.maxFrameBytes ?? MAX_FRAME_BYTES;
    this.maxBufferedBytes = options.maxBufferedBytes ?? 256 * 1024;
    this.compact = options.compact !== false;
    this.lean = this.compact && options.lean !== false;
    const retry = typeof options.reconnect === "object" ? options.reconnect : {};
    this.retry = {
      enabled: options.reconnect !== false,
      attempts: retry.attempts ?? 20,
      minDelay: retry.minDelay ?? 250,
      maxDelay: retry.maxDelay ?? 8e3
    };
    this.link = {
      canSend: (room) => this.canSend(room),
      write: (frame) => this.write(frame),
      leaveRoom: (room) => this.leaveRoom(room),
      ping: () => this.ping(),
      nextRid: () => this.nextRid(),
      maxFrameBytes: this.maxFrameBytes
    };
  }
  /** @internal Opens the first connection; resolves on `welcome`. */
  start() {
    return new Promise((resolve, reject) => {
      this.opening = { resolve: () => resolve(this), reject };
      this.openSocket();
    });
  }
  // ---- requests ----
  /** Joins a public room of `game` with a free seat, or opens one. */
  quick(game) {
    return this.request({ t: "quick", game: checkName(game) });
  }
  /** Opens a new room of `game`; a private one is joinable by code only. */
  create(game, options = {}) {
    return this.request({ t: "create", game: checkName(game), private: options.private === true });
  }
  /** Joins the room with this code, or a private room by its invite (`room.invite`; any case). */
  join(code) {
    return this.request({ t: "join", room: checkName(code).toUpperCase() });
  }
  /** Joins the room of `game` for the Telegram chat the Mini App was opened from. */
  chat(game) {
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
  watch(code) {
    return this.request({ t: "watch", room: checkName(code).toUpperCase() });
  }
  /**
   * Watches the room of `game` for the Telegram chat the Mini App was opened
   * from, without a seat (see `watch`); for instance after `chat(game)`
   * was refused with `room_full`. Rejects with `no_such_room` when the chat has no open room
   * of `game` (watching opens none) or the client did not sign in from a
   * chat.
   */
  watchChat(game) {
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
  watchReplay(match) {
    return this.request({ t: "watch", replay: checkName(match) });
  }
  /**
   * The default way in. If the client is already in a room of `game` (a seat
   * the server kept for a reloaded page; not a room it watches), that room.
   * Else the first call joins `startRoom` when the page was opened with a
   * room code (an invite link); otherwise, or when that room is gone or full (unless `fallback`
   * is false), or is of another game, a quick match of `game`.
   */
  async play(game, options = {}) {
    const current = this.room;
    if (current !== null && current.status === "active" && current.game === game && !current.watching) {
      return current;
    }
    const code = this.startUsed ? null : this.startRoom;
    this.startUsed = true;
    if (code !== null) {
      let room;
      try {
        room = await this.join(code);
      } catch (error) {
        const gone = error instanceof ParlorError && (error.code === "no_such_room" || error.code === "room_full");
        if (!gone || options.fallback === false) throw error;
        return this.quick(game);
      }
      if (room.game === game) return room;
      await room.leave();
    }
    return this.quick(game);
  }
  /** Round-trip time to the server in milliseconds. */
  ping() {
    if (!this.ready()) return Promise.reject(new ParlorError("disconnected", "not connected"));
    if (this.pings.size >= MAX_PINGS) return Promise.reject(new ParlorError("busy", "too many pings waiting"));
    const rid = this.nextRid();
    const sent = now();
    return new Promise((resolve, reject) => {
      const entry = {
        resolve: () => resolve(now() - sent),
        reject,
        timer: setTimeout(() => {
          if (this.pings.get(rid) === entry) this.pings.delete(rid);
          reject(new ParlorError("timeout", "no pong in time"));
        }, this.requestTimeout)
      };
      this.pings.set(rid, entry);
      this.write(encodeFrame({ t: "ping", n: rid, rid }), true);
    });
  }
  /** Closes the connection for good; the room, if any, emits `left` with reason `closed`. */
  close() {
    this.shutdown(1e3, "closed by the app", "closed");
  }
  request(message) {
    if (!this.ready()) return Promise.reject(new ParlorError("disconnected", "not connected"));
    if (this.pending.size >= MAX_PENDING) {
      return Promise.reject(new ParlorError("busy", "too many room requests waiting"));
    }
    this.redirects = 0;
    return new Promise((resolve, reject) => {
      const entry = {
        message,
        resolve,
        reject,
        timer: void 0
      };
      this.sendRequest(entry, message);
    });
  }
  /** Sends `message` with a fresh request id as `entry`'s request, waiting `requestTimeout` for its answer. */
  sendRequest(entry, message) {
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
  nextRid() {
    this.ridCounter = this.ridCounter + 1 >>> 0;
    return this.ridCounter;
  }
  /** The oldest room request waiting, taken out: the answer by order, from a server that does not echo request ids. */
  takeOldest() {
    for (const [rid, entry] of this.pending) {
      this.pending.delete(rid);
      return entry;
    }
    return void 0;
  }
  // ---- what rooms use ----
  canSend(room) {
    return this.ready() && this.room === room && this.restoring === null;
  }
  write(frame, control = false) {
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
  leaveRoom(room) {
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
    return new Promise((resolve) => {
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
  leaveWaiting(room) {
    for (const leave of this.leaves.values()) if (leave.room === room) return true;
    return false;
  }
  /** Sends `leave` with a fresh request id; its answer is waited for at most `requestTimeout`. */
  sendLeave(room) {
    const rid = this.nextRid();
    if (!this.write(encodeFrame({ t: "leave", rid }), true)) return false;
    this.leaves.set(rid, { room, timer: setTimeout(() => this.leaves.delete(rid), this.requestTimeout) });
    return true;
  }
  // ---- the socket ----
  ready() {
    return this.status === "open" && this.welcomed && this.socket !== null && this.socket.readyState === OPEN;
  }
  openSocket() {
    let socket;
    try {
      socket = new this.Socket(this.url);
    } catch (error) {
      setTimeout(() => this.onSocketGone(1006, String(error)), 0);
      return;
    }
    socket.binaryType = "arraybuffer";
    this.socket = socket;
    this.welcomed = false;
    this.echoes = false;
    this.handshakeTimer = setTimeout(() => {
      if (this.socket === socket) this.drop(socket, 4e3, "no welcome in time");
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
    };
  }
  /** Closes `socket` and handles it as gone now, without waiting for its close event. */
  drop(socket, code, reason) {
    shut(socket, reason);
    if (this.socket === socket) {
      this.socket = null;
      this.onSocketGone(code, reason);
    }
  }
  hello(kind) {
    this.helloKind = kind;
    const v = PROTOCOL_VERSION;
    const message = kind === "session" ? { t: "hello", v, session: this.session } : { t: "hello", v, ...this.credentials };
    if (this.compact) message.compact = true;
    if (this.lean) message.lean = true;
    this.helloRid = this.nextRid();
    message.rid = this.helloRid;
    this.write(encodeFrame(message), true);
  }
  onData(data) {
    let message;
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
  dispatch(message) {
    if (!this.welcomed) {
      this.onHandshake(message);
      return;
    }
    const room = this.room !== null && this.room.status === "active" ? this.room : null;
    const rid = ridOf(message);
    switch (message.t) {
      case "joined":
        this.onJoined(message, rid);
        break;
      case "patch":
      case "p":
        if (room !== null && room.state.loaded && this.restoring === null) {
          try {
            room._patch(message);
          } catch (error) {
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
          seed: typeof message.seed === "string" ? message.seed : null
        });
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
        const key = rid ?? message.n;
        const ping = this.pings.get(key);
        if (ping !== void 0) {
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
    }
  }
  onHandshake(message) {
    if (message.t === "welcome") {
      clearTimeout(this.handshakeTimer);
      const player = message.player ?? {};
      this.player = { id: String(player.id ?? ""), name: String(player.name ?? "") };
      this.session = typeof message.session === "string" ? message.session : "";
      this.welcomed = true;
      this.echoes = ridOf(message) === this.helloRid;
      const following = this.following;
      this.following = null;
      const reconnecting = this.status === "reconnecting" || following?.reconnecting === true;
      this.status = "open";
      this.attempt = 0;
      if (this.opening !== void 0) {
        if (typeof message.room === "string") {
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
        this.session = "";
        this.signInAfresh = true;
        if (this.socket !== null) this.drop(this.socket, 1e3, `session refused: ${error.code}`);
        return;
      }
      if (this.opening === void 0 && !FATAL_HELLO.has(error.code)) {
        if (this.socket !== null) this.drop(this.socket, 1e3, `hello refused: ${error.code}`);
        return;
      }
      this.fatal = error;
      this.shutdown(1e3, `hello refused: ${error.code}`, "disconnected", error);
    }
  }
  finishOpening() {
    const opening = this.opening;
    this.opening = void 0;
    opening?.resolve();
  }
  /** The held seat's `joined` came, or `left`, or neither in time: connect resolves. */
  endHeld() {
    clearTimeout(this.heldTimer);
    this.held = null;
    this.finishOpening();
  }
  onJoined(joined, rid) {
    if (typeof joined.room !== "string" || typeof joined.game !== "string" || typeof joined.you !== "number" && joined.you !== null) {
      throw new ParlorError("bad_frame", "malformed frame: joined without room, game or you");
    }
    const code = joined.room;
    this.redirects = 0;
    if (rid !== void 0) {
      const answer = this.pending.get(rid);
      if (answer !== void 0) {
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
      current._load(joined);
      return;
    }
    if (this.inOrder(rid)) {
      const answer = this.takeOldest();
      if (answer !== void 0) {
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
  inOrder(rid) {
    return rid === void 0 && !this.echoes;
  }
  /** The `joined` that restores the room being restored. */
  restored(joined) {
    const restoring = this.restoring;
    if (restoring === null) return;
    clearTimeout(restoring.timer);
    this.restoring = null;
    this.room = restoring.room;
    restoring.room._load(joined);
    this.emit("reconnected", { room: restoring.room });
  }
  onLeft(reason, room, rid) {
    const leave = rid === void 0 ? void 0 : this.leaves.get(rid);
    if (leave !== void 0) {
      this.leaves.delete(rid);
      clearTimeout(leave.timer);
      this.leftBy(leave.room, reason);
      return;
    }
    if (this.held !== null) {
      this.endHeld();
    } else if (this.restoring !== null) {
      if (reason === "shutdown") {
        this.expire("shutdown");
      } else if (this.restoring.via === "session") {
        this.restoreByJoin();
      }
    } else if (room !== null) {
      this.room = null;
      room._left(reason);
    }
  }
  /** `room` (if any, and still active) is left, answering its `leave`. */
  leftBy(room, reason) {
    if (room === null || room.status !== "active") return;
    if (this.room === room) this.room = null;
    room._left(reason);
  }
  /**
   * A new `Room` from `joined`, which answers `request` (null when nothing
   * was asked for); the room the client was in, if any, is left (`switched`).
   */
  adopt(joined, request = null) {
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
  onError(error, rid) {
    if (rid !== void 0) {
      const answer = this.pending.get(rid);
      if (answer !== void 0) {
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
      if (leave !== void 0) {
        this.leaves.delete(rid);
        clearTimeout(leave.timer);
        this.leftBy(leave.room, "leave");
        return;
      }
    }
    if (this.inOrder(rid)) {
      const restoring = this.restoring;
      if (restoring !== null && restoring.via === "join" && REQUEST_ERRORS.has(error.code)) {
        this.expire();
        return;
      }
      if (REQUEST_ERRORS.has(error.code)) {
        const answer = this.takeOldest();
        if (answer !== void 0) {
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
  onRedirect(message, rid) {
    const url = typeof message.url === "string" ? message.url : "";
    const code = typeof message.room === "string" ? message.room : "";
    this.emit("redirect", { url, room: code });
    let request = null;
    let restoring = false;
    if (rid !== void 0) {
      const answer = this.pending.get(rid);
      if (answer !== void 0) {
        this.pending.delete(rid);
        request = answer;
      } else if (this.restoring !== null && this.restoring.rid === rid) {
        restoring = true;
      } else {
        if (this.abandoned !== null && this.abandoned.rid === rid) this.abandoned = null;
        return;
      }
    } else if (this.inOrder(rid) && this.pending.size > 0) {
      request = this.takeOldest() ?? null;
    }
    const fail = (error) => {
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
    let target;
    try {
      if (url === "" || code === "") throw new TypeError("a redirect without url or room");
      target = resolveUrl(url);
    } catch (error) {
      fail(new ParlorError("bad_frame", `malformed frame: ${String(error)}`));
      return;
    }
    if (this.redirects >= MAX_REDIRECTS) {
      fail(
        new ParlorError("redirect_loop", `redirected more than ${MAX_REDIRECTS} times in a row without a room: not followed`)
      );
      return;
    }
    this.redirects += 1;
    this.move(target, code, request, restoring || this.restoring !== null);
  }
  /** Leaves this node for the one at `url` (see `onRedirect`). */
  move(url, code, request, reconnecting) {
    const carried = [...this.pending.values()];
    this.pending.clear();
    const following = { room: code, request, carried, reconnecting };
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
      clearTimeout(this.restoring.timer);
      this.restoring = null;
    }
    const room = this.room;
    if (!reconnecting && room !== null) {
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
  roomError(room, error) {
    if (room.listenerCount("error") > 0) room.emit("error", error);
    else this.emit("error", error);
  }
  // ---- reconnection ----
  onSocketGone(code, reason) {
    clearTimeout(this.handshakeTimer);
    this.welcomed = false;
    this.rejectWaiting(new ParlorError("disconnected", `the connection closed (${code})`));
    if (this.status === "closed") return;
    if (this.opening !== void 0) {
      if (this.signInAfresh) {
        this.signInAfresh = false;
        this.openSocket();
        return;
      }
      this.shutdown(code, reason || "could not connect", "disconnected");
      return;
    }
    this.signInAfresh = false;
    this.abandoned = null;
    if (code === CLOSE_SESSION_REPLACED) {
      this.fatal ?? (this.fatal = new ParlorError("replaced", "a newer connection took over this session"));
    }
    if (this.fatal !== null || !this.retry.enabled) {
      this.shutdown(code, reason || "the connection closed", "disconnected", this.fatal ?? void 0);
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
  scheduleRetry(code, reason) {
    this.attempt += 1;
    if (this.attempt > this.retry.attempts) {
      const error = new ParlorError("disconnected", `gave up reconnecting after ${this.retry.attempts} attempts`);
      this.shutdown(code, error.message, "disconnected", error);
      return;
    }
    const cap = Math.min(this.retry.maxDelay, this.retry.minDelay * 2 ** Math.min(this.attempt - 1, 30));
    const delay = Math.round(cap / 2 + Math.random() * cap / 2);
    this.emit("reconnecting", { attempt: this.attempt, delay, code, reason });
    if (this.status !== "reconnecting") return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = void 0;
      if (this.status === "reconnecting") this.openSocket();
    }, delay);
  }
  /** After a `welcome` on a new socket: get the room back, if there was one. */
  resume(roomCode) {
    const room = this.room;
    if (room === null || room.status !== "active") {
      this.room = null;
      this.emit("reconnected", { room: null });
      return;
    }
    const held = typeof roomCode === "string" ? roomCode.toUpperCase() : null;
    if (held === room.code) {
      this.restoring = { room, via: "session", timer: setTimeout(() => this.restoreByJoin(), this.requestTimeout) };
    } else if (held !== null) {
      this.room = null;
      room._left("expired");
      this.emit("reconnected", { room: null });
    } else {
      this.restoreByJoin();
    }
  }
  restoreByJoin() {
    const room = this.restoring?.room ?? this.room;
    if (this.restoring !== null) clearTimeout(this.restoring.timer);
    if (room === null) return;
    const rid = this.nextRid();
    this.restoring = { room, via: "join", rid, timer: setTimeout(() => this.expire(), this.requestTimeout) };
    const message = room.replay !== null ? { t: "watch", replay: room.replay, rid } : { t: room.watching ? "watch" : "join", room: room.invite ?? room.code, rid };
    this.write(encodeFrame(message), true);
  }
  /** The room being restored is not got back: it is left (`expired`, or `shutdown`). */
  expire(reason = "expired") {
    const restoring = this.restoring;
    if (restoring === null) return;
    clearTimeout(restoring.timer);
    this.restoring = null;
    if (this.room === restoring.room) this.room = null;
    restoring.room._left(reason);
    this.emit("reconnected", { room: null });
  }
  rejectWaiting(error) {
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
  shutdown(code, reason, roomReason, error) {
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
    if (this.opening !== void 0) {
      const opening = this.opening;
      this.opening = void 0;
      opening.reject(error ?? new ParlorError("disconnected", reason));
      return;
    }
    if (error !== void 0) this.emit("error", error);
    this.emit("close", { code, reason });
  }
};
function shut(socket, reason) {
  detach(socket);
  try {
    socket.close(1e3, reason);
  } catch {
  }
}
function detach(socket) {
  socket.onopen = null;
  socket.onmessage = null;
  socket.onclose = null;
  socket.onerror = () => {
  };
}
function ridOf(message) {
  const rid = message.rid;
  return typeof rid === "number" && Number.isInteger(rid) && rid >= 0 && rid <= 4294967295 ? rid : void 0;
}
function replayOf(request) {
  return request !== null && request.t === "watch" && typeof request.replay === "string" ? request.replay : null;
}
function checkName(value) {
  if (typeof value !== "string" || value === "") throw new TypeError("expected a non-empty string");
  return value;
}

// src/parlor.ts
function connect(url, options = {}) {
  let client;
  try {
    client = new Client(url, options);
  } catch (error) {
    return Promise.reject(error);
  }
  return client.start();
}
var Parlor = {
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
  LEFT_REASONS
};
var parlor_default = Parlor;
export {
  Client,
  ERROR_CODES,
  Emitter,
  LEFT_REASONS,
  PROTOCOL_VERSION,
  Parlor,
  ParlorError,
  ROOM_CODE_ALPHABET,
  Room,
  StateMirror,
  connect,
  decodeFrame,
  parlor_default as default,
  encodeFrame,
  isRoomCode,
  resolveUrl,
  telegramLaunch
};
