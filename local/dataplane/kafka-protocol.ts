/**
 * The Kafka wire protocol, as much as the emulated brokers need: size-prefixed framing, the
 * primitive types (fixed-width integers, varints, classic and compact strings/bytes/arrays, tagged
 * fields) and the request/response headers. Field layouts follow the Apache Kafka message
 * definitions (clients/src/main/resources/common/message/*.json); each API's body lives in broker.ts.
 */

export class KafkaProtocolError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KafkaProtocolError';
  }
}

/** API keys served (Kafka protocol numbering). */
export const ApiKey = {
  Produce: 0,
  Fetch: 1,
  ListOffsets: 2,
  Metadata: 3,
  SaslHandshake: 17,
  ApiVersions: 18,
  SaslAuthenticate: 36,
} as const;

/** Error codes used (Kafka protocol numbering). */
export const ErrorCode = {
  NONE: 0,
  OFFSET_OUT_OF_RANGE: 1,
  CORRUPT_MESSAGE: 2,
  UNKNOWN_TOPIC_OR_PARTITION: 3,
  NOT_LEADER_OR_FOLLOWER: 6,
  MESSAGE_TOO_LARGE: 10,
  INVALID_REQUIRED_ACKS: 21,
  UNSUPPORTED_SASL_MECHANISM: 33,
  ILLEGAL_SASL_STATE: 34,
  UNSUPPORTED_VERSION: 35,
  INVALID_RECORD: 87,
  UNSUPPORTED_FOR_MESSAGE_FORMAT: 43,
  SASL_AUTHENTICATION_FAILED: 58,
} as const;

/** Kafka's own cap on a request (socket.request.max.bytes default, 100 MiB). */
export const MAX_FRAME_BYTES = 104_857_600;

export class Reader {
  private pos = 0;
  constructor(private readonly buf: Buffer) {}

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  private need(n: number): void {
    if (n < 0 || this.pos + n > this.buf.length)
      throw new KafkaProtocolError(`truncated message: need ${n} bytes at ${this.pos} of ${this.buf.length}`);
  }

  int8(): number {
    this.need(1);
    return this.buf.readInt8(this.pos++);
  }
  bool(): boolean {
    return this.int8() !== 0;
  }
  int16(): number {
    this.need(2);
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  int32(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  uint32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  int64(): bigint {
    this.need(8);
    const v = this.buf.readBigInt64BE(this.pos);
    this.pos += 8;
    return v;
  }
  /** Unsigned LEB128 varint (at most 5 bytes for 32 bits). */
  uvarint(): number {
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      this.need(1);
      const byte = this.buf[this.pos++]!;
      result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return result;
    }
    throw new KafkaProtocolError('varint longer than 5 bytes');
  }
  /** Zig-zag signed varint (32-bit). */
  varint(): number {
    const u = this.uvarint();
    return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
  }
  /** Zig-zag signed varlong (64-bit). */
  varlong(): bigint {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      this.need(1);
      const byte = this.buf[this.pos++]!;
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return (result >> 1n) ^ -(result & 1n);
    }
    throw new KafkaProtocolError('varlong longer than 10 bytes');
  }
  raw(n: number): Buffer {
    this.need(n);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }
  rest(): Buffer {
    return this.raw(this.remaining);
  }
  nullableString(): string | null {
    const len = this.int16();
    if (len === -1) return null;
    return this.raw(len).toString('utf8');
  }
  string(): string {
    const s = this.nullableString();
    if (s === null) throw new KafkaProtocolError('null where a string is required');
    return s;
  }
  compactNullableString(): string | null {
    const len = this.uvarint() - 1;
    if (len === -1) return null;
    return this.raw(len).toString('utf8');
  }
  compactString(): string {
    const s = this.compactNullableString();
    if (s === null) throw new KafkaProtocolError('null where a compact string is required');
    return s;
  }
  nullableBytes(): Buffer | null {
    const len = this.int32();
    if (len === -1) return null;
    return this.raw(len);
  }
  bytes(): Buffer {
    return this.nullableBytes() ?? Buffer.alloc(0);
  }
  /** Classic array (int32 count); null (-1) is returned as null. */
  nullableArray<T>(item: (r: Reader) => T): T[] | null {
    const n = this.int32();
    if (n === -1) return null;
    if (n < 0 || n > this.remaining) throw new KafkaProtocolError(`bad array length ${n}`);
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(item(this));
    return out;
  }
  array<T>(item: (r: Reader) => T): T[] {
    return this.nullableArray(item) ?? [];
  }
  compactArray<T>(item: (r: Reader) => T): T[] | null {
    const n = this.uvarint() - 1;
    if (n === -1) return null;
    if (n > this.remaining) throw new KafkaProtocolError(`bad compact array length ${n}`);
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(item(this));
    return out;
  }
  /** Tagged fields of a flexible version: none is understood here, so all are skipped. */
  skipTaggedFields(): void {
    const n = this.uvarint();
    for (let i = 0; i < n; i++) {
      this.uvarint();
      this.raw(this.uvarint());
    }
  }
}

export class Writer {
  private readonly chunks: Buffer[] = [];

  private fixed(n: number, write: (b: Buffer) => void): this {
    const b = Buffer.allocUnsafe(n);
    write(b);
    this.chunks.push(b);
    return this;
  }
  int8(v: number): this {
    return this.fixed(1, (b) => b.writeInt8(v));
  }
  bool(v: boolean): this {
    return this.int8(v ? 1 : 0);
  }
  int16(v: number): this {
    return this.fixed(2, (b) => b.writeInt16BE(v));
  }
  int32(v: number): this {
    return this.fixed(4, (b) => b.writeInt32BE(v));
  }
  int64(v: bigint): this {
    return this.fixed(8, (b) => b.writeBigInt64BE(v));
  }
  uvarint(v: number): this {
    const bytes: number[] = [];
    let rest = v;
    while (rest >= 0x80) {
      bytes.push((rest % 0x80) | 0x80);
      rest = Math.floor(rest / 0x80);
    }
    bytes.push(rest);
    this.chunks.push(Buffer.from(bytes));
    return this;
  }
  raw(b: Buffer): this {
    this.chunks.push(b);
    return this;
  }
  nullableString(s: string | null): this {
    if (s === null) return this.int16(-1);
    const b = Buffer.from(s, 'utf8');
    return this.int16(b.length).raw(b);
  }
  string(s: string): this {
    return this.nullableString(s);
  }
  compactNullableString(s: string | null): this {
    if (s === null) return this.uvarint(0);
    const b = Buffer.from(s, 'utf8');
    return this.uvarint(b.length + 1).raw(b);
  }
  nullableBytes(b: Buffer | null): this {
    if (b === null) return this.int32(-1);
    return this.int32(b.length).raw(b);
  }
  array<T>(items: readonly T[], item: (w: Writer, v: T) => void): this {
    this.int32(items.length);
    for (const v of items) item(this, v);
    return this;
  }
  compactArray<T>(items: readonly T[], item: (w: Writer, v: T) => void): this {
    this.uvarint(items.length + 1);
    for (const v of items) item(this, v);
    return this;
  }
  /** An empty tagged-field section. */
  emptyTaggedFields(): this {
    return this.uvarint(0);
  }
  toBuffer(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/**
 * Splits a TCP byte stream into Kafka frames (int32 size, then that many bytes). Frames larger
 * than `maxBytes` or negative sizes are a protocol error: the caller closes the connection, as a
 * broker does.
 */
export class FrameDecoder {
  private pending: Buffer = Buffer.alloc(0);
  constructor(private readonly maxBytes = MAX_FRAME_BYTES) {}

  push(data: Buffer): Buffer[] {
    this.pending = this.pending.length === 0 ? data : Buffer.concat([this.pending, data]);
    const frames: Buffer[] = [];
    while (this.pending.length >= 4) {
      const size = this.pending.readInt32BE(0);
      if (size < 0 || size > this.maxBytes)
        throw new KafkaProtocolError(`frame size ${size} outside 0..${this.maxBytes}`);
      if (this.pending.length < 4 + size) break;
      frames.push(this.pending.subarray(4, 4 + size));
      this.pending = this.pending.subarray(4 + size);
    }
    return frames;
  }
}

/** Prefixes a payload with its int32 size. */
export function frame(payload: Buffer): Buffer {
  const size = Buffer.allocUnsafe(4);
  size.writeInt32BE(payload.length);
  return Buffer.concat([size, payload]);
}

export interface RequestHeader {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
}

/**
 * Whether (apiKey, version) uses the flexible encoding (KIP-482), for the APIs served. Versions
 * from which each API is flexible, per the message definitions' "flexibleVersions".
 */
const FLEXIBLE_FROM: Record<number, number> = {
  [ApiKey.Produce]: 9,
  [ApiKey.Fetch]: 12,
  [ApiKey.ListOffsets]: 6,
  [ApiKey.Metadata]: 9,
  [ApiKey.SaslHandshake]: Number.POSITIVE_INFINITY,
  [ApiKey.ApiVersions]: 3,
  [ApiKey.SaslAuthenticate]: 2,
};

export function isFlexible(apiKey: number, apiVersion: number): boolean {
  const from = FLEXIBLE_FROM[apiKey];
  return from !== undefined && apiVersion >= from;
}

/**
 * Reads a request header (v1, or v2 with tagged fields for flexible versions; client_id stays a
 * classic nullable string in both). Leaves the reader at the start of the body.
 */
export function readRequestHeader(r: Reader): RequestHeader {
  const apiKey = r.int16();
  const apiVersion = r.int16();
  const correlationId = r.int32();
  const clientId = r.nullableString();
  if (isFlexible(apiKey, apiVersion)) r.skipTaggedFields();
  return { apiKey, apiVersion, correlationId, clientId };
}

/**
 * A framed response: header v0 (correlation id) or, for flexible versions other than
 * ApiVersions (whose response header is always v0 so that any client can read it), header v1
 * with an empty tagged-field section.
 */
export function encodeResponse(header: RequestHeader, body: Buffer): Buffer {
  const w = new Writer().int32(header.correlationId);
  if (header.apiKey !== ApiKey.ApiVersions && isFlexible(header.apiKey, header.apiVersion))
    w.emptyTaggedFields();
  return frame(Buffer.concat([w.toBuffer(), body]));
}

// CRC-32C (Castagnoli), the checksum of record batches (magic 2).
const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32c(data: Buffer): number {
  let crc = 0xffffffff;
  for (let i = 0; i < data.length; i++) crc = CRC32C_TABLE[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
