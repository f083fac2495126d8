/**
 * ARCHITECTURE §6 "bad input gets a clear, typed rejection, no cloud write, no crash loop": generated
 * malformed link requests, chain messages and trigger envelopes go to the real function handlers.
 * Each one must end as exactly one `kvl.link.failed` per message (code `InvalidEvent`, the field and
 * the reason), the invocation must return normally (no exception: nothing for FunctionGraph to retry),
 * and the emulator must not have seen a single DMS, VPCEP or VPC call. Well-formed requests naming
 * things that do not exist are refused with the field and no write; ids are checked before any URL.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

vi.mock('../../shared/runtime/link-deps.js', () => import('../helpers/link-deps.mock.js'));

import { staticCredentials } from '../../shared/cloud/credentials.js';
import { createCloudClients, InvalidIdError } from '../../shared/cloud/index.js';
import type { CloudEvent } from '../../shared/events/cloudevents.js';
import { Chain, type FunctionName } from '../helpers/reliability/chain.js';
import {
  badId,
  brokenEnvelope,
  cloudEvent,
  type Mutation,
  malformedCloudEvent,
  malformedLinkData,
  malformedUnlinkData,
  notJson,
} from '../helpers/reliability/malformed.js';
import { recordSize, seedOr, size } from '../helpers/reliability/report.js';

let chain: Chain;
beforeAll(async () => {
  chain = await Chain.start({ brokers: [3], idSeed: 5 });
});
afterAll(async () => {
  await chain.close();
});

const CLOUD_SERVICES = new Set(['dms', 'vpcep', 'vpc']);

/** What a message of each queue function looks like when it is valid. */
function validData(fn: FunctionName): Record<string, unknown> {
  const link = chain.links[0]!;
  const base = { instanceId: link.instanceId, client: { ...link.client } };
  const ips = ['10.0.0.11', '10.0.0.12'];
  switch (fn) {
    case 'buy-endpoints':
      return {
        ...base,
        services: ips.map((ip, i) => ({
          listenerIp: ip,
          portId: `port-${i}`,
          serviceId: `svc-${i}`,
          serviceName: `kvl-svc-${i}`,
        })),
      };
    case 'patch-listeners':
      return {
        ...base,
        endpoints: ips.map((ip, i) => ({
          listenerIp: ip,
          portId: `port-${i}`,
          serviceId: `svc-${i}`,
          endpointId: `ep-${i}`,
          endpointIp: `172.16.5.${20 + i}`,
        })),
      };
    case 'unlink':
      return { instanceId: link.instanceId };
    default:
      return { ...base, options: { whitelist: ['acct-ok'] } };
  }
}

const ACCEPTS: Partial<Record<FunctionName, string>> = {
  'create-services': 'kvl.link.requested',
  'buy-endpoints': 'kvl.link.services-ready',
  'patch-listeners': 'kvl.link.endpoints-accepted',
  unlink: 'kvl.link.unlink-requested',
};
const QUEUE_FUNCTIONS = Object.keys(ACCEPTS) as FunctionName[];
/** Functions triggered by a timer or by CTS, not by messages. */
const TIMER_FUNCTIONS: FunctionName[] = ['poll-acceptance', 'reconcile', 'on-instance-created'];

function smn(texts: string[]): Record<string, unknown> {
  return {
    record: texts.map((text, i) => ({
      event_version: '1.0',
      event_source: 'smn',
      smn: {
        topic_urn: chain.config.topics.linkRequests,
        message_id: `m${i}`,
        message: text,
        type: 'notification',
      },
    })),
  };
}

function kafka(texts: string[]): Record<string, unknown> {
  return { event_version: 'v1.0', trigger_type: 'KAFKA', records: [{ topic_id: 'kvl', messages: texts }] };
}

interface Case {
  fn: FunctionName;
  label: string;
  event: unknown;
  /** Rejections expected: one per message, or one for a broken envelope. */
  rejections: number;
}

/** Runs one case and returns what went wrong (empty: a clean, typed rejection and no cloud call). */
async function check(c: Case): Promise<string[]> {
  const messagesBefore = chain.emulator.world.messages.length;
  const requestsBefore = chain.emulator.requests().length;
  const result = await chain.invoke(c.fn, c.event);
  const problems: string[] = [];
  if (!result.ok) {
    problems.push(
      `the invocation threw ${String((result.error as Error)?.message ?? result.error).slice(0, 200)}`,
    );
  }
  const summary = result.summary as { rejected?: number; processed?: number } | undefined;
  if (summary?.rejected !== c.rejections)
    problems.push(`rejected ${summary?.rejected}, expected ${c.rejections}`);
  if (summary?.processed !== 0) problems.push(`processed ${summary?.processed}`);
  const published = chain.emulator.world.messages
    .slice(messagesBefore)
    .map((m) => JSON.parse(m.message) as CloudEvent);
  const failed = published.filter((e) => e.type === 'kvl.link.failed');
  if (failed.length !== c.rejections || published.length !== failed.length) {
    problems.push(
      `published ${published.map((e) => e.type).join(',') || 'nothing'}, expected ${c.rejections} kvl.link.failed`,
    );
  }
  for (const event of failed) {
    if (event.type !== 'kvl.link.failed') continue;
    if (event.data.code !== 'InvalidEvent') problems.push(`code ${event.data.code}`);
    if (event.data.step !== c.fn) problems.push(`step ${event.data.step}`);
    if (!event.data.field) problems.push('no field');
    if (!event.data.reason) problems.push('no reason');
  }
  const cloudCalls = chain.emulator
    .requests()
    .slice(requestsBefore)
    .filter((r) => CLOUD_SERVICES.has(r.service ?? ''));
  if (cloudCalls.length > 0) {
    problems.push(`cloud calls: ${cloudCalls.map((r) => `${r.method} ${r.path}`).join(', ')}`);
  }
  return problems.map((p) => `${c.fn} / ${c.label}: ${p}`);
}

function queueFunction(): fc.Arbitrary<FunctionName> {
  return fc.constantFrom(...QUEUE_FUNCTIONS);
}

/** Envelopes around 1-3 bad messages (SMN, Kafka or a direct CloudEvent). */
function wrapped(fn: FunctionName, messages: Mutation[], transport: 'smn' | 'kafka' | 'direct'): Case {
  const texts = messages.map((m) => (typeof m.data === 'string' ? m.data : JSON.stringify(m.data)));
  const label = messages.map((m) => m.label).join(' | ');
  if (transport === 'direct') {
    const first = messages[0]!;
    return { fn, label: `${label} (direct)`, event: first.data, rejections: 1 };
  }
  return {
    fn,
    label: `${label} (${transport})`,
    event: transport === 'smn' ? smn(texts) : kafka(texts),
    rejections: texts.length,
  };
}

const transport = fc.constantFrom<'smn' | 'kafka' | 'direct'>('smn', 'kafka', 'direct');

describe('bad input: a typed rejection for each message, no exception, no cloud call', () => {
  it('generated malformed link requests (wrong types, missing and unknown fields, bad ids, huge strings, unicode)', async () => {
    // Arrange
    const runs = size(600, 6_000);
    const seed = seedOr(1_000);
    const failures: string[] = [];
    let messages = 0;

    // Act
    await fc.assert(
      fc.asyncProperty(
        fc.array(malformedLinkData(validData('create-services')), { minLength: 1, maxLength: 3 }),
        transport,
        async (mutations, via) => {
          const messagesOf = mutations.map((m) => ({
            label: m.label,
            data: cloudEvent('kvl.link.requested', m.data),
          }));
          const c = wrapped('create-services', messagesOf, via);
          messages += c.rejections;
          failures.push(...(await check(c)));
        },
      ),
      { numRuns: runs, seed },
    );

    // Assert
    recordSize(import.meta.filename, { inputs: runs, messages, seed });
    expect(failures.slice(0, 20)).toEqual([]);
  }, 120_000);

  it('generated malformed chain messages and envelopes (invalid JSON, unknown types, broken envelopes) to every function', async () => {
    // Arrange
    const runs = size(500, 5_000);
    const seed = seedOr(2_000);
    const failures: string[] = [];
    let messages = 0;
    const caseFor = fc.oneof(
      // A CloudEvent broken at the envelope level, to the queue function that would take it.
      queueFunction().chain((fn) =>
        fc
          .tuple(
            fc.array(malformedCloudEvent(ACCEPTS[fn]!, validData(fn)), { minLength: 1, maxLength: 3 }),
            transport,
          )
          .map(([ms, via]) => wrapped(fn, ms, via)),
      ),
      // Chain data broken: the link-request mutations applied to each function's own message.
      queueFunction().chain((fn) =>
        fc
          .tuple(
            fn === 'unlink' ? malformedUnlinkData(validData(fn)) : malformedLinkData(validData(fn)),
            transport,
          )
          .map(([m, via]) => wrapped(fn, [{ label: m.label, data: cloudEvent(ACCEPTS[fn]!, m.data) }], via)),
      ),
      // Text that is no JSON object.
      fc
        .tuple(
          queueFunction(),
          fc.array(notJson, { minLength: 1, maxLength: 2 }),
          fc.constantFrom<'smn' | 'kafka'>('smn', 'kafka'),
        )
        .map(([fn, ms, via]) => wrapped(fn, ms, via)),
      // Broken trigger envelopes, to any function (timers included).
      fc
        .tuple(fc.constantFrom(...QUEUE_FUNCTIONS, ...TIMER_FUNCTIONS), brokenEnvelope)
        .map(([fn, m]) => ({ fn, label: m.label, event: m.data, rejections: 1 })),
      // The wrong kind of trigger: a timer to a queue function, a message to a timer function.
      fc.constantFrom<Case>(
        ...QUEUE_FUNCTIONS.map((fn) => ({
          fn,
          label: 'a timer event',
          event: { trigger_type: 'TIMER', trigger_name: 't', user_event: '' },
          rejections: 1,
        })),
        ...TIMER_FUNCTIONS.map((fn) => ({
          fn,
          label: 'a link request instead of its timer or CTS event',
          event: smn([JSON.stringify(cloudEvent('kvl.link.requested', validData('create-services')))]),
          rejections: 1,
        })),
      ),
    );

    // Act
    await fc.assert(
      fc.asyncProperty(caseFor, async (c) => {
        messages += c.rejections;
        failures.push(...(await check(c)));
      }),
      { numRuns: runs, seed },
    );

    // Assert
    recordSize(import.meta.filename, { inputs: runs, messages, seed });
    expect(failures.slice(0, 20)).toEqual([]);
  }, 120_000);

  it('well-formed requests naming what does not exist: refused with the field, nothing written', async () => {
    // Arrange
    const runs = size(40, 400);
    const seed = seedOr(3_000);
    const world = chain.config.world;
    const link = chain.links[0]!;
    const anyId = fc.stringMatching(/^[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}$/);
    const requests = fc.oneof(
      anyId.map((id) => ({ data: { ...validData('create-services'), instanceId: id }, field: 'instanceId' })),
      anyId.map((id) => ({
        data: { instanceId: link.instanceId, client: { ...link.client, subnetId: id } },
        field: 'client.subnetId',
      })),
      anyId.map((id) => ({
        data: { instanceId: link.instanceId, client: { vpcId: id, subnetId: link.client.subnetId } },
        field: 'client.subnetId',
      })),
      fc.constant({
        data: {
          instanceId: link.instanceId,
          client: { vpcId: link.client.vpcId, subnetId: world.instanceSubnetId },
        },
        field: 'client.subnetId',
      }),
    );
    const failures: string[] = [];

    // Act
    await fc.assert(
      fc.asyncProperty(requests, async (r) => {
        const before = chain.emulator.requests().length;
        const messagesBefore = chain.emulator.world.messages.length;
        const result = await chain.invoke(
          'create-services',
          smn([JSON.stringify(cloudEvent('kvl.link.requested', r.data))]),
        );
        const writes = chain.emulator
          .requests()
          .slice(before)
          .filter(
            (q) =>
              CLOUD_SERVICES.has(q.service ?? '') &&
              q.method !== 'GET' &&
              !q.path.includes('resource_instances'),
          );
        const failed = chain.emulator.world.messages
          .slice(messagesBefore)
          .map((m) => JSON.parse(m.message) as CloudEvent)
          .filter((e) => e.type === 'kvl.link.failed');
        if (!result.ok) failures.push(`threw ${String(result.error)}`);
        if (writes.length > 0)
          failures.push(`wrote ${writes.map((w) => `${w.method} ${w.path}`).join(', ')}`);
        if (
          failed.length !== 1 ||
          failed[0]?.type !== 'kvl.link.failed' ||
          failed[0].data.field !== r.field
        ) {
          failures.push(
            `expected one failure on ${r.field}, got ${JSON.stringify(failed.map((f) => f.data))}`,
          );
        }
      }),
      { numRuns: runs, seed },
    );

    // Assert
    recordSize(import.meta.filename, { inputs: runs, seed });
    expect(failures.slice(0, 10)).toEqual([]);
  });
});

describe('ids are checked before they reach a URL', () => {
  it('CTS traces of a new instance with a hostile resource_id: ignored, no cloud call', async () => {
    // Arrange
    const runs = size(100, 1_000);
    const seed = seedOr(5_000);
    const failures: string[] = [];
    const trace = (resourceId: string) => ({
      cts: {
        service_type: 'DMS',
        resource_type: 'kafka',
        trace_name: 'createDMSInstanceTaskSuccess',
        trace_status: 'normal',
        trace_type: 'SystemAction',
        resource_id: resourceId.slice(0, 256),
        time: 1_764_064_800_000,
      },
    });

    // Act
    await fc.assert(
      fc.asyncProperty(badId, async (id) => {
        const before = chain.emulator.requests().length;
        const messagesBefore = chain.emulator.world.messages.length;
        const result = await chain.invoke('on-instance-created', trace(id));
        const calls = chain.emulator
          .requests()
          .slice(before)
          .filter((r) => CLOUD_SERVICES.has(r.service ?? ''));
        const published = chain.emulator.world.messages.slice(messagesBefore);
        const label = JSON.stringify(id.slice(0, 40));
        if (!result.ok) failures.push(`${label}: threw ${String(result.error)}`);
        if (calls.length > 0)
          failures.push(`${label}: ${calls.map((c) => `${c.method} ${c.path}`).join(', ')}`);
        if (published.some((m) => m.subject === 'kvl.link.requested'))
          failures.push(`${label}: link requested`);
      }),
      { numRuns: runs, seed },
    );

    // Assert
    recordSize(import.meta.filename, { traces: runs, seed });
    expect(failures.slice(0, 20)).toEqual([]);
  });

  it('every client call taking an id refuses a bad one without sending anything', async () => {
    // Arrange
    const runs = size(150, 1_500);
    const seed = seedOr(4_000);
    const config = chain.config;
    const clients = createCloudClients({
      region: config.region,
      projectId: config.projectId,
      credentials: staticCredentials({ ak: config.ak, sk: config.sk }),
      env: { HUAWEICLOUD_ENDPOINT: config.endpoint },
      retry: { retries: 0 },
    });
    const { dms, vpcep, vpc } = clients;
    const calls: Array<[string, (id: string) => Promise<unknown>]> = [
      ['dms.showInstance', (id) => dms.showInstance(id)],
      ['dms.modifyCrossVpc', (id) => dms.modifyCrossVpc(id, { '10.0.0.1': '10.0.0.1' })],
      ['dms.createInstanceTags', (id) => dms.createInstanceTags(id, [{ key: 'k', value: 'v' }])],
      ['dms.deleteInstanceTags', (id) => dms.deleteInstanceTags(id, [{ key: 'k' }])],
      ['vpcep.getEndpointService', (id) => vpcep.getEndpointService(id)],
      ['vpcep.deleteEndpointService', (id) => vpcep.deleteEndpointService(id)],
      ['vpcep.listServicePermissions', (id) => vpcep.listServicePermissions(id)],
      ['vpcep.addServicePermissions', (id) => vpcep.addServicePermissions(id, ['iam:domain::x'])],
      ['vpcep.listServiceConnections', (id) => vpcep.listServiceConnections(id)],
      ['vpcep.getEndpoint', (id) => vpcep.getEndpoint(id)],
      ['vpcep.deleteEndpoint', (id) => vpcep.deleteEndpoint(id)],
      [
        'vpcep.createResourceTags',
        (id) => vpcep.createResourceTags('endpoint', id, [{ key: 'k', value: 'v' }]),
      ],
      ['vpc.getSubnet', (id) => vpc.getSubnet(id)],
      ['vpc.deleteSecurityGroupRule', (id) => vpc.deleteSecurityGroupRule(id)],
      ['vpc.removeNetworkAclRules', (id) => vpc.removeNetworkAclRules(id, ['rule-1'])],
      ['vpc.removeNetworkAclRules(rule)', (id) => vpc.removeNetworkAclRules('acl-1', [id])],
      ['vpc.listSecurityGroupRules', (id) => vpc.listSecurityGroupRules({ securityGroupId: id })],
    ];
    const failures: string[] = [];
    let attempts = 0;

    // Act
    await fc.assert(
      fc.asyncProperty(badId, async (id) => {
        for (const [name, call] of calls) {
          attempts++;
          const before = chain.emulator.requests().length;
          const error = await call(id).then(
            () => undefined,
            (e: unknown) => e,
          );
          const sent = chain.emulator.requests().length - before;
          if (!(error instanceof InvalidIdError)) {
            failures.push(
              `${name}(${JSON.stringify(id.slice(0, 40))}): ${error === undefined ? 'succeeded' : String(error)}`,
            );
          }
          if (sent > 0) failures.push(`${name}(${JSON.stringify(id.slice(0, 40))}): ${sent} request(s) sent`);
        }
      }),
      { numRuns: runs, seed },
    );

    // Assert
    recordSize(import.meta.filename, { ids: runs, calls: attempts, seed });
    expect(failures.slice(0, 20)).toEqual([]);
  });
});
