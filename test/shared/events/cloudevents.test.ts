import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type CloudEventOf,
  EVENT_TYPES,
  type EventDataInputByType,
  type EventType,
  InvalidEventError,
  newCloudEvent,
  parseCloudEvent,
  salvageEventContext,
} from '../../../shared/events/index.js';

const INSTANCE = '2a9b6c1d-3e4f-5a6b-7c8d-9e0f1a2b3c4d';
const VPC = '7f3e2d1c-0b9a-4876-a543-210fedcba987';
const SUBNET = '5e4d3c2b-1a09-4f8e-b7d6-c5b4a3928170';
const client = { vpcId: VPC, subnetId: SUBNET };

const services = [
  { listenerIp: '192.168.0.11', portId: 'port-a', serviceId: 'svc-a', serviceName: 'eu-west-101.kvl-a.1234' },
  { listenerIp: '192.168.0.12', portId: 'port-b', serviceId: 'svc-b', serviceName: 'eu-west-101.kvl-b.5678' },
];
const endpoints = [
  {
    listenerIp: '192.168.0.11',
    portId: 'port-a',
    serviceId: 'svc-a',
    endpointId: 'ep-a',
    endpointIp: '10.1.0.5',
  },
  {
    listenerIp: '192.168.0.12',
    portId: 'port-b',
    serviceId: 'svc-b',
    endpointId: 'ep-b',
    endpointIp: '10.1.0.6',
  },
];

/** A valid data object per type. */
const VALID: { [T in EventType]: EventDataInputByType[T] } = {
  'kvl.link.requested': { instanceId: INSTANCE, client },
  'kvl.link.services-ready': { instanceId: INSTANCE, client, services },
  'kvl.link.endpoints-accepted': { instanceId: INSTANCE, client, endpoints },
  'kvl.link.completed': {
    instanceId: INSTANCE,
    client,
    bootstrapServers: '10.1.0.5:9011,10.1.0.6:9011',
    securityProtocol: 'SASL_SSL',
    saslMechanisms: ['SCRAM-SHA-512'],
    mapping: endpoints,
    securityGroupRuleId: 'rule-1',
    timings: {
      requestedAt: '2026-11-25T07:11:39Z',
      completedAt: '2026-11-25T07:13:00.120Z',
      durationMs: 81120,
    },
  },
  'kvl.link.failed': { instanceId: INSTANCE, step: 'create-services', reason: 'instance is not RUNNING' },
  'kvl.link.unlink-requested': { instanceId: INSTANCE },
  'kvl.link.removed': {
    instanceId: INSTANCE,
    deleted: { endpoints: 2, services: 2, securityGroupRule: true },
  },
  'kvl.reconcile.report': {
    checkedAt: '2026-11-25T08:30:00+08:00',
    links: [{ instanceId: INSTANCE, state: 'drifted', reasons: ['endpoint ep-a is missing'] }],
    counts: { linked: 0, drifted: 1 },
    repaired: [INSTANCE],
  },
  'kvl.link.verified': {
    instanceId: INSTANCE,
    trigger: 'link-completed',
    checkedAt: '2026-11-25T07:12:00Z',
    topic: 'kvl-verify',
    healthy: true,
    problems: [],
    brokers: [
      {
        brokerId: 0,
        host: '172.16.5.11',
        port: 9011,
        expectedHost: '172.16.5.11',
        reachable: true,
        leaderAnswered: true,
        partition: 0,
        produceMs: 4,
        consumeMs: 3,
        totalMs: 9,
        healthy: true,
        problems: [],
      },
    ],
    unhealthyBrokers: [],
    durationMs: 40,
  },
  'kvl.link.unhealthy': {
    instanceId: INSTANCE,
    trigger: 'timer',
    checkedAt: '2026-11-25T07:12:00Z',
    topic: 'kvl-verify',
    healthy: false,
    problems: [],
    brokers: [
      {
        brokerId: 2,
        host: '172.16.5.13',
        port: 9011,
        reachable: false,
        leaderAnswered: false,
        totalMs: 3,
        healthy: false,
        problems: ['unreachable at 172.16.5.13:9011: connect ECONNREFUSED'],
      },
    ],
    unhealthyBrokers: [2],
    durationMs: 12,
  },
};

function raw(type: string, data: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    specversion: '1.0',
    id: 'evt-1',
    source: 'kvl/test',
    type,
    subject: INSTANCE,
    time: '2026-11-25T07:11:39Z',
    data,
    ...extra,
  };
}

function rejection(fn: () => unknown): InvalidEventError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidEventError);
    return error as InvalidEventError;
  }
  throw new Error('expected an InvalidEventError');
}

describe('parseCloudEvent: valid events of every type', () => {
  for (const type of EVENT_TYPES) {
    it(type, () => {
      const data = VALID[type];
      const subject = (data as { instanceId?: string }).instanceId;
      const event = parseCloudEvent(raw(type, data, { subject }));
      expect(event.type).toBe(type);
      expect(event.specversion).toBe('1.0');
    });
  }

  it('accepts the JSON text of an event', () => {
    const event = parseCloudEvent(JSON.stringify(raw('kvl.link.unlink-requested', { instanceId: INSTANCE })));
    expect(event.data).toEqual({ instanceId: INSTANCE });
  });

  it('applies request defaults: securityGroupRule is on unless turned off', () => {
    const plain = parseCloudEvent(raw('kvl.link.requested', { instanceId: INSTANCE, client }), [
      'kvl.link.requested',
    ]);
    expect(plain.data.options.securityGroupRule).toBe(true);
    const off = parseCloudEvent(
      raw('kvl.link.requested', { instanceId: INSTANCE, client, options: { securityGroupRule: false } }),
      ['kvl.link.requested'],
    );
    expect(off.data.options.securityGroupRule).toBe(false);
  });

  it('accepts a time with an offset and a correlation id', () => {
    const event = parseCloudEvent(
      raw('kvl.link.failed', VALID['kvl.link.failed'], {
        time: '2026-11-25T15:11:39+08:00',
        correlationid: 'abc-1',
      }),
    );
    expect(event.correlationid).toBe('abc-1');
  });

  it('chain events may omit the broker lists (consumers re-read them from the cloud) and carry requestedAt', () => {
    const redrive = parseCloudEvent(
      raw('kvl.link.services-ready', { instanceId: INSTANCE, client, requestedAt: '2026-11-25T07:11:39Z' }),
      ['kvl.link.services-ready'],
    );
    expect(redrive.data.services).toBeUndefined();
    expect(redrive.data.requestedAt).toBe('2026-11-25T07:11:39Z');
    const accepted = parseCloudEvent(raw('kvl.link.endpoints-accepted', { instanceId: INSTANCE, client }));
    expect(accepted.type).toBe('kvl.link.endpoints-accepted');
    // …but a list that is present must not be empty (a partial map is never acceptable).
    expect(
      rejection(() =>
        parseCloudEvent(raw('kvl.link.endpoints-accepted', { instanceId: INSTANCE, client, endpoints: [] })),
      ).field,
    ).toBe('data.endpoints');
  });

  it('several accepted types narrow to a discriminated union', () => {
    const event = parseCloudEvent(raw('kvl.link.removed', VALID['kvl.link.removed']), [
      'kvl.link.unlink-requested',
      'kvl.link.removed',
    ]);
    // Type-level check: after narrowing on `type`, `data` is the matching shape.
    const deleted = event.type === 'kvl.link.removed' ? event.data.deleted.endpoints : -1;
    expect(deleted).toBe(2);
  });

  it('narrows to the accepted types', () => {
    const event: CloudEventOf<'kvl.link.unlink-requested'> = parseCloudEvent(
      raw('kvl.link.unlink-requested', { instanceId: INSTANCE }),
      ['kvl.link.unlink-requested'],
    );
    expect(event.data.instanceId).toBe(INSTANCE);
  });
});

describe('parseCloudEvent: every invalid field is named', () => {
  const request = (data: Record<string, unknown>) =>
    raw('kvl.link.requested', { instanceId: INSTANCE, client, ...data });

  const cases: Array<[string, unknown, string]> = [
    [
      'path traversal in the client VPC',
      request({ client: { vpcId: '../x', subnetId: SUBNET } }),
      'data.client.vpcId',
    ],
    [
      'query characters in the subnet',
      request({ client: { vpcId: VPC, subnetId: 'a?b#c%' } }),
      'data.client.subnetId',
    ],
    [
      'unicode in the domain id',
      request({ client: { ...client, domainId: 'dömäin' } }),
      'data.client.domainId',
    ],
    [
      'a huge instance id',
      raw('kvl.link.requested', { instanceId: 'a'.repeat(100_000), client }),
      'data.instanceId',
    ],
    ['an empty VPC id', request({ client: { vpcId: '', subnetId: SUBNET } }), 'data.client.vpcId'],
    ['a number as a subnet id', request({ client: { vpcId: VPC, subnetId: 42 } }), 'data.client.subnetId'],
    [
      'a bad whitelist entry',
      request({ options: { whitelist: ['ok-1', '../etc'] } }),
      'data.options.whitelist[1]',
    ],
    ['a non-boolean option', request({ options: { dryRun: 'yes' } }), 'data.options.dryRun'],
    [
      'an unknown option (typo)',
      request({ options: { securityGroupRules: false } }),
      'data.options.securityGroupRules',
    ],
    ['a missing client', raw('kvl.link.requested', { instanceId: INSTANCE }), 'data.client'],
    ['a missing instance id', raw('kvl.link.requested', { client }), 'data.instanceId'],
    ['specversion 0.3', { ...request({}), specversion: '0.3' }, 'specversion'],
    ['no id', { ...request({}), id: undefined }, 'id'],
    ['a bad time', { ...request({}), time: 'yesterday' }, 'time'],
    ['a bad correlation id', { ...request({}), correlationid: 'a b' }, 'correlationid'],
    ['a subject other than the instance', { ...request({}), subject: 'other-instance' }, 'subject'],
    ['an unknown type', raw('kvl.link.exploded', {}), 'type'],
    [
      'a duplicate listener in services-ready',
      raw('kvl.link.services-ready', {
        instanceId: INSTANCE,
        client,
        services: [services[0], { ...services[1], listenerIp: services[0]?.listenerIp }],
      }),
      'data.services[1].listenerIp',
    ],
    [
      'a bad endpoint ip',
      raw('kvl.link.endpoints-accepted', {
        instanceId: INSTANCE,
        client,
        endpoints: [{ ...endpoints[0], endpointIp: '10.1.0.300' }],
      }),
      'data.endpoints[0].endpointIp',
    ],
    [
      'an empty mapping',
      raw('kvl.link.completed', { ...VALID['kvl.link.completed'], mapping: [] }),
      'data.mapping',
    ],
    [
      'malformed bootstrap servers',
      raw('kvl.link.completed', { ...VALID['kvl.link.completed'], bootstrapServers: 'host;rm -rf' }),
      'data.bootstrapServers',
    ],
    [
      'an unknown reconcile state',
      raw(
        'kvl.reconcile.report',
        { ...VALID['kvl.reconcile.report'], links: [{ instanceId: INSTANCE, state: 'great', reasons: [] }] },
        { subject: undefined },
      ),
      'data.links[0].state',
    ],
    [
      'a negative removal count',
      raw('kvl.link.removed', {
        instanceId: INSTANCE,
        deleted: { endpoints: -1, services: 0, securityGroupRule: false },
      }),
      'data.deleted.endpoints',
    ],
    [
      'a failed event without reason',
      raw('kvl.link.failed', { step: 'x' }, { subject: undefined }),
      'data.reason',
    ],
  ];

  for (const [name, value, field] of cases) {
    it(`${name} → ${field}`, () => {
      const error = rejection(() => parseCloudEvent(value));
      expect(error.field).toBe(field);
      expect(error.message).toContain(field);
      expect(error.reason.length).toBeGreaterThan(0);
    });
  }

  it('never echoes a huge or hostile value in the error', () => {
    const hostile = `${'x'.repeat(5000)}<script>`;
    const error = rejection(() => parseCloudEvent(request({ client: { vpcId: hostile, subnetId: SUBNET } })));
    expect(error.message).not.toContain('xxxxxxxxxx');
    expect(error.message).not.toContain('<script>');
  });

  it('rejects types the function does not accept, naming the type field', () => {
    const error = rejection(() =>
      parseCloudEvent(raw('kvl.link.unlink-requested', { instanceId: INSTANCE }), ['kvl.link.requested']),
    );
    expect(error.field).toBe('type');
    expect(error.reason).toContain('kvl.link.requested');
  });

  it('rejects non-JSON text, arrays and oversized text as a whole', () => {
    expect(rejection(() => parseCloudEvent('{nope')).field).toBe('(event)');
    expect(rejection(() => parseCloudEvent([1, 2])).field).toBe('(event)');
    expect(rejection(() => parseCloudEvent(`"${'a'.repeat(300 * 1024)}"`)).reason).toContain('exceeds');
  });

  it('is terminal by flag (never retried)', () => {
    const error = rejection(() => parseCloudEvent({}));
    expect(error.retryable).toBe(false);
    expect(error.terminal).toBe(true);
  });

  it('property: any id outside [A-Za-z0-9_-]{1,64} is refused at data.client.vpcId', () => {
    const bad = fc.string({ unit: 'binary', maxLength: 200 }).filter((s) => !/^[A-Za-z0-9_-]{1,64}$/.test(s));
    fc.assert(
      fc.property(bad, (vpcId) => {
        const error = rejection(() => parseCloudEvent(request({ client: { vpcId, subnetId: SUBNET } })));
        expect(error.field).toBe('data.client.vpcId');
      }),
      { numRuns: 300 },
    );
  });
});

describe('newCloudEvent', () => {
  it('fills id, time, subject and content type, and validates', () => {
    const event = newCloudEvent('kvl.link.requested', {
      source: 'kvl/cli',
      data: { instanceId: INSTANCE, client },
    });
    expect(event.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(event.subject).toBe(INSTANCE);
    expect(event.datacontenttype).toBe('application/json');
    expect(Number.isNaN(Date.parse(event.time))).toBe(false);
    expect(event.data.options.securityGroupRule).toBe(true);
    expect(parseCloudEvent(JSON.parse(JSON.stringify(event)))).toEqual(event);
  });

  it('keeps given id, time (Date) and correlation id', () => {
    const event = newCloudEvent('kvl.link.unlink-requested', {
      source: 'kvl/reconcile',
      data: { instanceId: INSTANCE },
      id: 'fixed',
      time: new Date('2026-11-25T00:00:00Z'),
      correlationid: 'req-1',
    });
    expect(event).toMatchObject({ id: 'fixed', time: '2026-11-25T00:00:00.000Z', correlationid: 'req-1' });
  });

  it('refuses bad data with the field named', () => {
    const error = rejection(() =>
      newCloudEvent('kvl.link.requested', {
        source: 'kvl/cli',
        data: { instanceId: INSTANCE, client: { vpcId: 'vpc/../x', subnetId: SUBNET } },
      }),
    );
    expect(error.field).toBe('data.client.vpcId');
  });

  it('builds events without an instance (reconcile report, failure of unparseable input)', () => {
    const report = newCloudEvent('kvl.reconcile.report', {
      source: 'kvl/reconcile',
      data: VALID['kvl.reconcile.report'],
    });
    expect(report.subject).toBeUndefined();
    const failed = newCloudEvent('kvl.link.failed', {
      source: 'kvl/x',
      data: { step: 'x', reason: 'not JSON' },
    });
    expect(failed.data.instanceId).toBeUndefined();
  });
});

describe('salvageEventContext', () => {
  it('salvages only valid context from an invalid message', () => {
    expect(
      salvageEventContext(
        JSON.stringify({
          type: 'kvl.link.requested',
          id: 'req-9',
          data: { instanceId: INSTANCE, client: 'bad' },
        }),
      ),
    ).toEqual({ instanceId: INSTANCE, correlationid: 'req-9' });
    expect(
      salvageEventContext(
        JSON.stringify({ type: 'kvl.link.unlink-requested', id: 'unl-3', data: { instanceId: 42 } }),
      ),
    ).toEqual({ correlationid: 'unl-3' });
    expect(salvageEventContext({ type: 'kvl.link.services-ready', id: 'ev-1', data: {} })).toEqual({});
    expect(salvageEventContext({ data: { instanceId: '../x' }, correlationid: 'c 1' })).toEqual({});
    expect(salvageEventContext('not json')).toEqual({});
  });
});
