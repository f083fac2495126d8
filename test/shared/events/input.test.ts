/**
 * One id rule and one IPv4 rule (shared/input.ts): the event contracts, the cloud clients, the tags
 * encoding and the emulator must accept and refuse exactly the same values.
 */
import { describe, expect, it } from 'vitest';
import { IPV4 } from '../../../local/cloud/vpcep/parse.js';
import { assertId, InvalidIdError } from '../../../shared/cloud/validate.js';
import { IdSchema, Ipv4Schema } from '../../../shared/events/cloudevents.js';
import { describeValue, isIpv4 } from '../../../shared/input.js';
import { decodeIp, isIpv4 as tagsIsIpv4 } from '../../../shared/link/tags.js';

const IPS: ReadonlyArray<[string, boolean]> = [
  ['10.0.0.1', true],
  ['0.0.0.0', true],
  ['255.255.255.255', true],
  ['256.0.0.1', false],
  ['010.0.0.1', false],
  ['10.0.0', false],
  ['10.0.0.1.', false],
  [' 10.0.0.1', false],
  ['::1', false],
  ['', false],
];

const IDS: ReadonlyArray<[string, boolean]> = [
  ['0b3f8a2c-4d1e-4f7a-9b2c-1d2e3f4a5b6c', true],
  ['a'.repeat(64), true],
  ['a'.repeat(65), false],
  ['', false],
  ['../etc', false],
  ['id?x=1', false],
  ['id%2F', false],
  ['snake_case-id', true],
];

describe('one IPv4 rule', () => {
  it.each(IPS)('%j → %s everywhere', (value, valid) => {
    expect(isIpv4(value)).toBe(valid);
    expect(Ipv4Schema.safeParse(value).success).toBe(valid);
    expect(tagsIsIpv4(value)).toBe(valid);
    expect(IPV4.test(value)).toBe(valid);
    expect(decodeIp(value.replaceAll('.', '-')) !== undefined).toBe(valid);
  });
});

describe('one id rule', () => {
  it.each(IDS)('%j → %s in the event contracts and the cloud clients', (value, valid) => {
    expect(IdSchema.safeParse(value).success).toBe(valid);
    const thrown = (() => {
      try {
        assertId('instanceId', value);
        return undefined;
      } catch (error) {
        return error;
      }
    })();
    expect(thrown === undefined).toBe(valid);
    if (!valid) expect(thrown).toBeInstanceOf(InvalidIdError);
  });
});

describe('describeValue', () => {
  it('renders untrusted values short and printable', () => {
    expect(describeValue('a\nb')).toBe('"a?b"');
    expect(describeValue('x'.repeat(50))).toBe(`"${'x'.repeat(40)}…"`);
    expect(describeValue(42)).toBe('number');
    expect(describeValue(null)).toBe('null');
    expect(describeValue([1])).toBe('an array');
    expect(describeValue({})).toBe('an object');
  });

  it('is the one the cloud clients use for a bad id', () => {
    expect(() => assertId('vpcId', 'bad\u0000id/../')).toThrow(
      'invalid vpcId "bad?id/../": may only contain',
    );
  });
});
