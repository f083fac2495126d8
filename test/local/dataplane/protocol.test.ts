import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVED_VERSIONS } from '../../../local/dataplane/index.js';
import { crc32c, FrameDecoder, frame, Reader, Writer } from '../../../local/dataplane/kafka-protocol.js';
import { startWorld, type World } from '../../helpers/dataplane.js';

describe('protocol primitives', () => {
  it('computes CRC-32C (check value of "123456789" is 0xE3069283)', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
  });

  it('round-trips varints, compact strings and arrays', () => {
    // Arrange
    const w = new Writer()
      .uvarint(0)
      .uvarint(300)
      .uvarint(2 ** 31)
      .compactNullableString('kvl')
      .compactNullableString(null);
    w.compactArray([1, 2], (x, v) => x.int32(v)).emptyTaggedFields();

    // Act
    const r = new Reader(w.toBuffer());

    // Assert
    expect([r.uvarint(), r.uvarint(), r.uvarint()]).toEqual([0, 300, 2 ** 31]);
    expect([r.compactNullableString(), r.compactNullableString()]).toEqual(['kvl', null]);
    expect(r.compactArray((x) => x.int32())).toEqual([1, 2]);
    r.skipTaggedFields();
    expect(r.remaining).toBe(0);
  });

  it('reassembles frames split across reads and refuses oversized ones', () => {
    const decoder = new FrameDecoder(16);
    const data = Buffer.concat([frame(Buffer.from('abc')), frame(Buffer.from('de'))]);
    expect(decoder.push(data.subarray(0, 5))).toEqual([]);
    expect(decoder.push(data.subarray(5)).map((b) => b.toString())).toEqual(['abc', 'de']);
    const big = Buffer.alloc(4);
    big.writeInt32BE(17);
    expect(() => decoder.push(big)).toThrow(/frame size 17/);
  });
});

/** Sends one raw request and reads one response frame (or reports the connection closing). */
function exchange(host: string, port: number, payload: Buffer): Promise<Buffer | 'closed'> {
  return new Promise((resolve) => {
    const decoder = new FrameDecoder();
    const s = net.connect({ host, port }, () => s.write(frame(payload)));
    s.on('data', (d) => {
      const [first] = decoder.push(d);
      if (first) {
        s.destroy();
        resolve(first);
      }
    });
    s.on('error', () => undefined);
    s.on('close', () => resolve('closed'));
  });
}

describe('ApiVersions negotiation on the wire', () => {
  let world: World;
  beforeAll(async () => {
    world = await startWorld();
  });
  afterAll(async () => {
    await world.close();
  });

  const header = (apiKey: number, version: number, flexible: boolean) => {
    const w = new Writer().int16(apiKey).int16(version).int32(42).nullableString('raw');
    if (flexible) w.emptyTaggedFields();
    return w;
  };

  it('answers a version it does not serve with UNSUPPORTED_VERSION and the v0 list', async () => {
    // Arrange: ApiVersions v9 (flexible header and body)
    const req = header(18, 9, true).compactNullableString('x').compactNullableString('1').emptyTaggedFields();
    const { host, port } = world.advertised.get(1)!;

    // Act
    const res = await exchange(host, port, req.toBuffer());

    // Assert
    const r = new Reader(res as Buffer);
    expect(r.int32()).toBe(42);
    expect(r.int16()).toBe(35);
    const keys = r.array((x) => [x.int16(), x.int16(), x.int16()]);
    expect(keys).toEqual([...SERVED_VERSIONS.entries()].map(([k, [lo, hi]]) => [k, lo, hi]));
    expect(r.remaining).toBe(0);
  });

  it('answers v3 in the flexible encoding with a v0 response header', async () => {
    // Arrange
    const req = header(18, 3, true).compactNullableString('x').compactNullableString('1').emptyTaggedFields();
    const { host, port } = world.advertised.get(2)!;

    // Act
    const res = await exchange(host, port, req.toBuffer());

    // Assert
    const r = new Reader(res as Buffer);
    expect(r.int32()).toBe(42);
    expect(r.int16()).toBe(0);
    const keys = r.compactArray((x) => {
      const entry = [x.int16(), x.int16(), x.int16()];
      x.skipTaggedFields();
      return entry;
    });
    expect(keys).toContainEqual([3, 0, 8]);
    expect(r.int32()).toBe(0);
    r.skipTaggedFields();
    expect(r.remaining).toBe(0);
  });

  it('closes the connection on a version of another API it does not serve', async () => {
    // Arrange: Metadata v12 (flexible)
    const req = header(3, 12, true)
      .compactArray([], () => undefined)
      .bool(false)
      .bool(false)
      .emptyTaggedFields();
    const { host, port } = world.advertised.get(3)!;

    // Act
    const res = await exchange(host, port, req.toBuffer());

    // Assert
    expect(res).toBe('closed');
  });
});
