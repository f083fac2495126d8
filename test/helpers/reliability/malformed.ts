/**
 * fast-check generators of hostile input: ids that could change a URL (`../x`, `?`, `#`, `%`, unicode,
 * empty, oversized), wrong types, missing and unknown fields, invalid JSON, unknown CloudEvent types
 * and broken trigger envelopes. Every generated value is invalid by construction.
 */
import fc from 'fast-check';

const ID_OK = /^[A-Za-z0-9_-]{1,64}$/;
const idPart = fc.stringMatching(/^[A-Za-z0-9_-]{0,24}$/);

/** Strings that must never reach a URL path as an id. */
export const badId: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '../x',
    '..',
    '.',
    '/',
    'a/b',
    '../../v2/other-project/instances',
    'x?y=1',
    'x#frag',
    '%2e%2e',
    '%2F..%2F',
    'a%00b',
    '',
    ' ',
    ' leading',
    'id with space',
    'ｉｄ',
    'ünïcödé',
    '实例',
    '😀',
    '\u202eevil',
    'a\nb',
    'a\u0000b',
    '\u0024{jndi:x}',
    '*',
    'a&b=c',
    'a;b',
    'a:b',
    'a@b',
    'a.b',
    'x'.repeat(65),
  ),
  fc
    .tuple(
      idPart,
      fc.constantFrom('/', '?', '#', '%', '..', ' ', '\\', ':', '@', '.', 'é', '中', '😀', '\t', '+', '='),
      idPart,
    )
    .map(([a, b, c]) => `${a}${b}${c}`),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }).filter((s) => !ID_OK.test(s)),
  fc.integer({ min: 65, max: 20_000 }).map((n) => 'a'.repeat(n)),
);

const notAString = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 3 }),
);
const notAnObject = fc.oneof(
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.string({ maxLength: 20 }),
  fc.array(fc.integer(), { maxLength: 3 }),
);
const notABoolean = fc.oneof(
  fc.constantFrom('true', 'false', 'yes', 1, 0, null),
  fc.dictionary(fc.string({ maxLength: 3 }), fc.boolean(), { maxKeys: 2 }),
);

type Json = Record<string, unknown>;

function clone<T>(value: T): T {
  return structuredClone(value);
}

function setPath(target: Json, path: readonly string[], value: unknown): Json {
  const out = clone(target);
  let node: Json = out;
  for (const key of path.slice(0, -1)) {
    if (typeof node[key] !== 'object' || node[key] === null || Array.isArray(node[key])) node[key] = {};
    node = node[key] as Json;
  }
  node[path[path.length - 1]!] = value;
  return out;
}

function deletePath(target: Json, path: readonly string[]): Json {
  const out = clone(target);
  let node: Json = out;
  for (const key of path.slice(0, -1)) node = node[key] as Json;
  delete node[path[path.length - 1]!];
  return out;
}

export interface Mutation {
  label: string;
  data: unknown;
}

/** Link request data broken in exactly one way (and sometimes more). */
export function malformedLinkData(valid: Json): fc.Arbitrary<Mutation> {
  const idPaths = [
    ['instanceId'],
    ['client', 'vpcId'],
    ['client', 'subnetId'],
    ['client', 'domainId'],
  ] as const;
  const one: fc.Arbitrary<Mutation> = fc.oneof(
    fc
      .tuple(fc.constantFrom(...idPaths), badId)
      .map(([path, id]) => ({ label: `bad id at ${path.join('.')}`, data: setPath(valid, path, id) })),
    fc.tuple(fc.nat({ max: 3 }), badId).map(([i, id]) => ({
      label: 'bad id in options.whitelist',
      data: setPath(valid, ['options', 'whitelist'], [...Array(i).fill('acct-ok'), id]),
    })),
    fc.tuple(fc.constantFrom(...idPaths), notAString).map(([path, value]) => ({
      label: `wrong type at ${path.join('.')}`,
      data: setPath(valid, path, value),
    })),
    fc.tuple(fc.constantFrom(['client'], ['options']), notAnObject).map(([path, value]) => ({
      label: `wrong type at ${path.join('.')}`,
      data: setPath(valid, path, value),
    })),
    fc
      .tuple(
        fc.constantFrom(
          ['options', 'securityGroupRule'],
          ['options', 'dryRun'],
          ['options', 'networkAclRule'],
        ),
        notABoolean,
      )
      .map(([path, value]) => ({
        label: `wrong type at ${path.join('.')}`,
        data: setPath(valid, path, value),
      })),
    fc
      .oneof(
        fc.string({ maxLength: 10 }),
        fc.integer(),
        fc.dictionary(fc.string({ maxLength: 3 }), fc.string(), { minKeys: 1, maxKeys: 2 }),
      )
      .map((value) => ({
        label: 'wrong type at options.whitelist',
        data: setPath(valid, ['options', 'whitelist'], value),
      })),
    fc.constant({
      label: 'whitelist too long',
      data: setPath(
        valid,
        ['options', 'whitelist'],
        Array.from({ length: 101 }, (_, i) => `acct-${i}`),
      ),
    }),
    fc
      .constantFrom(['instanceId'], ['client'], ['client', 'vpcId'], ['client', 'subnetId'])
      .map((path) => ({ label: `missing ${path.join('.')}`, data: deletePath(valid, path) })),
    fc
      .tuple(fc.constantFrom(['client'], ['options']), fc.string({ minLength: 1, maxLength: 12 }))
      .filter(
        ([path, key]) =>
          !(
            path[0] === 'client'
              ? ['vpcId', 'subnetId', 'domainId']
              : ['whitelist', 'securityGroupRule', 'networkAclRule', 'dryRun']
          ).includes(key) && !['__proto__', 'constructor', 'prototype'].includes(key),
      )
      .map(([path, key]) => ({
        label: `unknown field in ${path[0]}`,
        data: setPath(valid, [...path, key], 'x'),
      })),
    notAnObject.map((value) => ({ label: 'data is not an object', data: value })),
    fc.constant({ label: 'data is empty', data: {} }),
  );
  // Sometimes a second breakage on top of the first.
  return fc
    .tuple(one, fc.boolean(), fc.constantFrom(...idPaths), badId)
    .map(([m, twice, path, id]) =>
      twice && typeof m.data === 'object' && m.data !== null && !Array.isArray(m.data)
        ? { label: `${m.label} + bad id at ${path.join('.')}`, data: setPath(m.data as Json, path, id) }
        : m,
    );
}

/** A CloudEvent envelope around `data`, itself valid. */
export function cloudEvent(type: string, data: unknown, subject?: string): Json {
  const instanceId =
    typeof data === 'object' && data !== null ? (data as { instanceId?: unknown }).instanceId : undefined;
  return {
    specversion: '1.0',
    id: 'evt-0001',
    source: 'kvl/reliability-test',
    type,
    ...(subject !== undefined ? { subject } : typeof instanceId === 'string' ? { subject: instanceId } : {}),
    time: '2026-11-25T10:00:00Z',
    datacontenttype: 'application/json',
    data,
  };
}

const KNOWN_TYPES = [
  'kvl.link.requested',
  'kvl.link.services-ready',
  'kvl.link.endpoints-accepted',
  'kvl.link.completed',
  'kvl.link.failed',
  'kvl.link.unlink-requested',
  'kvl.link.removed',
  'kvl.reconcile.report',
];

/** A CloudEvent (as an object) broken at the envelope level; `accepted` is the function's type. */
export function malformedCloudEvent(accepted: string, validData: Json): fc.Arbitrary<Mutation> {
  const base = cloudEvent(accepted, validData);
  return fc.oneof(
    fc
      .constantFrom('specversion', 'id', 'source', 'type', 'time')
      .map((key) => ({ label: `missing ${key}`, data: deletePath(base, [key]) })),
    fc
      .constantFrom<unknown>('0.3', '2.0', 1, null, '')
      .map((v) => ({ label: 'wrong specversion', data: { ...base, specversion: v } })),
    fc
      .constantFrom<unknown>('yesterday', '2026-13-45T99:00:00Z', 1_700_000_000, '', '2026-11-25 10:00')
      .map((v) => ({ label: 'bad time', data: { ...base, time: v } })),
    fc
      .oneof(fc.constant(''), fc.constant('x'.repeat(300)), fc.integer())
      .map((v) => ({ label: 'bad id', data: { ...base, id: v } })),
    fc
      .oneof(
        fc.constantFrom(
          'kvl.link.deleted',
          'com.example.object.created',
          'KVL.LINK.REQUESTED',
          'kvl.link.requested ',
        ),
        fc.string({ minLength: 1, maxLength: 60 }).filter((t) => !KNOWN_TYPES.includes(t)),
      )
      .map((t) => ({ label: 'unknown type', data: { ...base, type: t } })),
    fc
      .constantFrom(...KNOWN_TYPES.filter((t) => t !== accepted))
      .map((t) => ({ label: `type ${t} not accepted here`, data: { ...base, type: t } })),
    badId.map((s) => ({ label: 'subject is not the instance', data: { ...base, subject: `${s}-other` } })),
    fc
      .constantFrom('text/plain', 'application/xml', '')
      .map((v) => ({ label: 'bad datacontenttype', data: { ...base, datacontenttype: v } })),
    badId.map((v) => ({ label: 'bad correlationid', data: { ...base, correlationid: `${v} !` } })),
  );
}

/** Text that is not a JSON CloudEvent object. */
export const notJson: fc.Arbitrary<Mutation> = fc.oneof(
  fc
    .string({ unit: 'grapheme', maxLength: 60 })
    .filter((s) => {
      try {
        JSON.parse(s);
        return false;
      } catch {
        return true;
      }
    })
    .map((text) => ({ label: 'invalid JSON', data: text })),
  fc.tuple(fc.nat({ max: 200 })).map(([cut]) => ({
    label: 'truncated JSON',
    data: JSON.stringify(
      cloudEvent('kvl.link.requested', { instanceId: 'abc', client: { vpcId: 'v', subnetId: 's' } }),
    ).slice(0, Math.max(1, cut % 150)),
  })),
  fc
    .oneof(
      fc.integer(),
      fc.constant(null),
      fc.boolean(),
      fc.array(fc.integer(), { maxLength: 3 }),
      fc.string({ maxLength: 10 }),
    )
    .map((v) => ({ label: 'JSON but not an object', data: JSON.stringify(v) })),
  fc.constant({ label: 'over 256 KB', data: `{"specversion":"1.0","data":"${'x'.repeat(300 * 1024)}"}` }),
);

/** Trigger events that are not a usable SMN / Kafka / timer / CTS / CloudEvent envelope. */
export const brokenEnvelope: fc.Arbitrary<Mutation> = fc.oneof(
  fc
    .constantFrom<unknown>(
      null,
      42,
      'plain text',
      [],
      {},
      { record: 'x' },
      { record: [] },
      { record: [{}] },
      { record: [{ smn: { message: 7 } }] },
      { record: [{ smn: null }] },
      { records: [] },
      { records: 'x' },
      { records: [{ messages: 'x' }] },
      { records: [{ messages: [{ message: 5 }] }] },
      { records: [{ messages: [7] }] },
      { trigger_type: 'APIG', records: [{ messages: ['{}'] }] },
      { cts: 'x' },
      { cts: { service_type: '' } },
      { hello: 'world' },
      [1, 2],
    )
    .map((event) => ({ label: 'broken envelope', data: event })),
  fc
    .uint8Array({ minLength: 1, maxLength: 64 })
    .filter((bytes) => {
      try {
        const parsed = JSON.parse(Buffer.from(bytes).toString('utf8')) as unknown;
        return typeof parsed !== 'object' || parsed === null;
      } catch {
        return true;
      }
    })
    .map((bytes) => ({ label: 'raw bytes', data: Buffer.from(bytes) })),
);

/** Unlink request data (`{instanceId}`) broken: bad or missing id, wrong type, not an object. */
export function malformedUnlinkData(valid: Json): fc.Arbitrary<Mutation> {
  return fc.oneof(
    badId.map((id) => ({ label: 'bad id at instanceId', data: { ...valid, instanceId: id } })),
    notAString.map((value) => ({ label: 'wrong type at instanceId', data: { ...valid, instanceId: value } })),
    fc.constant({ label: 'missing instanceId', data: deletePath(valid, ['instanceId']) }),
    notAnObject.map((value) => ({ label: 'data is not an object', data: value })),
  );
}
