/**
 * The life of a link beyond the chain, through the local FunctionGraph runtime running the built
 * bundles on a fast emulator: a new Kafka instance (`POST /_emulator/kafka-instances`) is linked by
 * on-instance-created when its tags or the auto-link policy say so (and left alone otherwise), drift
 * is repaired by the reconcile function, and the unlink function takes it all down again.
 * Assertions read the emulator's own state.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type EmulatorHandle, startEmulator } from '../../local/cloud/index.js';
import {
  firstProbeForSpeed,
  type LocalRuntime,
  startRuntime,
  timerEvent,
} from '../../local/runtime/index.js';
import { staticCredentials } from '../../shared/cloud/credentials.js';
import { createCloudClients } from '../../shared/cloud/index.js';
import { type CloudEvent, newCloudEvent, parseCloudEvent } from '../../shared/events/cloudevents.js';
import { DEFAULT_SETTINGS, type LinkDeps } from '../../shared/link/deps.js';
import { assessLinks, takeSnapshot } from '../../shared/link/status.js';
import { TAG, tagValue } from '../../shared/link/tags.js';
import { systemClock } from '../../shared/runtime/clock.js';
import { silentLogger } from '../../shared/runtime/logger.js';

interface RuntimeCloud {
  emulator: EmulatorHandle;
  runtime: LocalRuntime;
  config: ReturnType<EmulatorHandle['config']>;
  /** Events on the events topic. */
  events(): CloudEvent[];
  close(): Promise<void>;
}

/**
 * Emulator at ×500 plus the runtime on the project's serverless.yml. `policy` builds the
 * KVL_AUTOLINK_POLICY from the emulator's world (its ids are only known once it runs).
 */
async function startRuntimeCloud(
  options: {
    policy?: (world: RuntimeCloud['config']['world']) => unknown[];
    userData?: Record<string, string>;
    only?: string[];
  } = {},
): Promise<RuntimeCloud> {
  const emulator = await startEmulator({ port: 0, speed: 500 });
  const config = emulator.config();
  const runtime = await startRuntime({
    emulator,
    logSink: () => {},
    retryDelayMs: 20,
    ...(options.only ? { only: options.only } : {}),
    userData: {
      KVL_POLL_INTERVAL_MS: '100',
      KVL_FIRST_PROBE_AFTER_MS: firstProbeForSpeed(500),
      KVL_LOG_LEVEL: 'error',
      // A loaded machine must not turn a slow link into a timed-out one.
      KVL_ACCEPT_TIMEOUT_MS: String(24 * 3_600_000),
      // The reconcile timer (every 10 emulated minutes) only reports here, so what a test checks is
      // what its own actions did; tests that want repair ask for it in the tick's user_event.
      KVL_RECONCILE_REPAIR: 'false',
      ...(options.policy ? { KVL_AUTOLINK_POLICY: JSON.stringify(options.policy(config.world)) } : {}),
      ...options.userData,
    },
  });
  return {
    emulator,
    runtime,
    config,
    events: () =>
      emulator.world.messages
        .filter((m) => m.topicUrn === config.topics.events)
        .flatMap((m) => {
          try {
            return [parseCloudEvent(JSON.parse(m.message)) as CloudEvent];
          } catch {
            return [];
          }
        }),
    async close() {
      await runtime.close();
      await emulator.close();
    },
  };
}

let cloud: RuntimeCloud | undefined;
afterEach(async () => {
  await cloud?.close();
  cloud = undefined;
});

/** Long enough for a link at ×500 on a loaded CI machine; a passing run takes about a second. */
const WAIT_MS = 20_000;

async function waitFor<T>(probe: () => T | undefined, what: string, timeoutMs = WAIT_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** `POST /_emulator/kafka-instances`: a CREATING instance that emits the CTS event once RUNNING. */
async function createKafkaInstance(c: RuntimeCloud, body: Record<string, unknown>): Promise<string> {
  const response = await fetch(`${c.config.endpoint}/_emulator/kafka-instances`, {
    method: 'POST',
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as { instanceId: string }).instanceId;
}

function clientTags(c: RuntimeCloud): Record<string, string> {
  return { [TAG.clientVpc]: c.config.world.clientVpcId, [TAG.clientSubnet]: c.config.world.clientSubnetId };
}

function eventsFor(c: RuntimeCloud, type: CloudEvent['type'], instanceId: string): CloudEvent[] {
  return c.events().filter((e) => e.type === type && e.subject === instanceId);
}

/** Messages published to one of the chain's topics, as CloudEvents. */
function topicEvents(c: RuntimeCloud, topicUrn: string): CloudEvent[] {
  return c.emulator.world.messages
    .filter((m) => m.topicUrn === topicUrn)
    .map((m) => JSON.parse(m.message) as CloudEvent);
}

function linkDeps(c: RuntimeCloud): LinkDeps & ReturnType<typeof createCloudClients> {
  const clients = createCloudClients({
    region: c.config.region,
    projectId: c.config.projectId,
    credentials: staticCredentials({ ak: c.config.ak, sk: c.config.sk }),
    env: { HUAWEICLOUD_ENDPOINT: c.config.endpoint },
  });
  return { ...clients, clock: systemClock, logger: silentLogger, settings: DEFAULT_SETTINGS };
}

async function stateOf(c: RuntimeCloud, instanceId: string) {
  return assessLinks(await takeSnapshot(linkDeps(c))).find((s) => s.instanceId === instanceId);
}

/** Each broker advertises the accepted endpoint IP of the one service on its own port. */
function expectMappedCorrectly(c: RuntimeCloud, instanceId: string): void {
  const world = c.emulator.world;
  const instance = world.kafkaInstances.find((i) => i.instanceId === instanceId)!;
  for (const broker of instance.brokers) {
    const services = world.endpointServices.filter(
      (s) => s.portId === broker.portId && s.status !== 'deleting',
    );
    expect(services).toHaveLength(1);
    const endpoints = world.endpoints.filter(
      (e) => e.endpointServiceId === services[0]!.id && e.status !== 'deleting',
    );
    expect(endpoints).toHaveLength(1);
    expect(broker.advertisedIp).toBe(endpoints[0]!.ip);
  }
}

async function waitUntilLinked(c: RuntimeCloud, instanceId: string): Promise<void> {
  await waitFor(() => eventsFor(c, 'kvl.link.completed', instanceId).length > 0, `${instanceId} linked`);
  // The modify takes effect at once: a completed link is linked.
  expect((await stateOf(c, instanceId))?.state).toBe('linked');
}

/** One tick of the reconcile function's timer, with this `user_event`. */
const reconcileTick = (c: RuntimeCloud, userEvent: string) =>
  c.runtime.invoke(
    'reconcile',
    timerEvent({ triggerName: 'kvl-reconcile', userEvent, now: c.emulator.clock.now() }),
  );

describe('automatic links for new Kafka instances (CTS → on-instance-created)', () => {
  it('links an instance created with tags that declare a client', async () => {
    cloud = await startRuntimeCloud();

    const instanceId = await createKafkaInstance(cloud, {
      name: 'kvl-tagged-orders',
      tags: clientTags(cloud),
    });
    await waitUntilLinked(cloud, instanceId);

    const completed = eventsFor(cloud, 'kvl.link.completed', instanceId)[0]!;
    expect(completed.type === 'kvl.link.completed' && completed.data.client.vpcId).toBe(
      cloud.config.world.clientVpcId,
    );
    expect((await stateOf(cloud, instanceId))?.state).toBe('linked');
    expectMappedCorrectly(cloud, instanceId);
  });

  it('links an instance the auto-link policy matches, and leaves one it does not match alone', async () => {
    // Arrange: a policy that sends `team-a-*` instances to the world's client VPC.
    cloud = await startRuntimeCloud({
      policy: (world) => [
        { namePattern: 'team-a-*', client: { vpcId: world.clientVpcId, subnetId: world.clientSubnetId } },
      ],
    });
    const client = { vpcId: cloud.config.world.clientVpcId, subnetId: cloud.config.world.clientSubnetId };

    // Act
    const matched = await createKafkaInstance(cloud, { name: 'team-a-orders' });
    const unmatched = await createKafkaInstance(cloud, { name: 'payments-kafka' });
    await waitUntilLinked(cloud, matched);
    await waitFor(
      () => cloud!.runtime.invocations.filter((r) => r.functionName === 'on-instance-created').length >= 2,
      'both CTS events handled',
    );
    await cloud.runtime.idle();

    // Assert: the match is linked to the policy's client.
    expectMappedCorrectly(cloud, matched);
    const matchedInstance = cloud.emulator.world.kafkaInstances.find((i) => i.instanceId === matched)!;
    expect(tagValue(matchedInstance.tags, TAG.clientVpc)).toBe(client.vpcId);
    // Assert: nothing at all for the other one: no request, no service, no endpoint, no tag.
    const world = cloud.emulator.world;
    const unmatchedInstance = world.kafkaInstances.find((i) => i.instanceId === unmatched)!;
    expect(topicEvents(cloud, cloud.config.topics.linkRequests).map((e) => e.subject)).toEqual([matched]);
    expect(
      world.endpointServices.filter((s) => unmatchedInstance.brokers.some((b) => b.portId === s.portId)),
    ).toEqual([]);
    expect(world.endpointServices.filter((s) => tagValue(s.tags, TAG.instance) === unmatched)).toEqual([]);
    expect(unmatchedInstance.tags.filter((t) => t.key.startsWith('kvl-'))).toEqual([]);
    expect(unmatchedInstance.brokers.every((b) => b.advertisedIp === b.listenerIp)).toBe(true);
  });

  it('does nothing for an instance that matches no tags and no policy', async () => {
    cloud = await startRuntimeCloud();

    const instanceId = await createKafkaInstance(cloud, { name: 'kvl-plain-kafka' });
    const handled = await waitFor(
      () => cloud!.runtime.invocations.find((r) => r.functionName === 'on-instance-created'),
      'the CTS event handled',
    );
    await cloud.runtime.idle();

    expect(handled).toMatchObject({ status: 'ok', trigger: 'CTS', result: { processed: 1, published: 0 } });
    expect(cloud.emulator.world.endpointServices).toEqual([]);
    expect(cloud.emulator.world.endpoints).toEqual([]);
    expect(topicEvents(cloud, cloud.config.topics.linkRequests)).toEqual([]);
    const instance = cloud.emulator.world.kafkaInstances.find((i) => i.instanceId === instanceId)!;
    expect(instance.status).toBe('RUNNING');
    expect(instance.tags).toEqual([]);
  });
});

describe('reconcile and unlink functions', () => {
  it('repairs an endpoint deleted out of band, then unlinks the instance on request', async () => {
    // Arrange: a tagged instance linked by the automation.
    cloud = await startRuntimeCloud();
    const instanceId = await createKafkaInstance(cloud, { name: 'kvl-lifecycle', tags: clientTags(cloud) });
    await waitUntilLinked(cloud, instanceId);
    const deps = linkDeps(cloud);
    const victim = cloud.emulator.world.endpoints.find((e) => tagValue(e.tags, TAG.instance) === instanceId)!;
    await deps.vpcep.deleteEndpoint(victim.id);

    // Act 1: one pass of the reconcile function, as its timer would run it.
    const summary = await reconcileTick(cloud, '{"job":"reconcile","repair":true}');
    // The repair's completion is the one whose mapping no longer has the deleted endpoint (the first
    // link may also have completed twice, through the fast path and the timer).
    await waitFor(
      () =>
        eventsFor(cloud!, 'kvl.link.completed', instanceId).some(
          (e) => e.type === 'kvl.link.completed' && !e.data.mapping.some((m) => m.endpointId === victim.id),
        ),
      'the link repaired',
    );
    await waitUntilLinked(cloud, instanceId);

    // Assert 1: reported as drifted and repaired; whole again in the cloud.
    expect(summary).toMatchObject({ processed: 1, failed: 0 });
    // The repairing pass's report (the timer's own passes only report, with nothing repaired).
    const repairReport = cloud.events().find(
      (e) =>
        e.type === 'kvl.reconcile.report' &&
        e.data.repaired.includes(instanceId) &&
        // Drifted; or failed, when a stale endpoints-accepted from the first link met the gap first.
        e.data.links.some(
          (l) => l.instanceId === instanceId && (l.state === 'drifted' || l.state === 'failed'),
        ),
    );
    expect(repairReport).toBeDefined();
    expect((await stateOf(cloud, instanceId))?.state).toBe('linked');
    expectMappedCorrectly(cloud, instanceId);

    // Act 2: an unlink request on its topic.
    const request = newCloudEvent('kvl.link.unlink-requested', {
      source: 'kvl/test',
      time: Date.now(),
      data: { instanceId },
    });
    await deps.smn.publish(cloud.config.topics.unlinkRequests, {
      subject: request.type,
      message: JSON.stringify(request),
    });
    const removed = await waitFor(
      () => eventsFor(cloud!, 'kvl.link.removed', instanceId)[0],
      'the link removed',
    );
    await cloud.runtime.idle();

    // Assert 2: nothing of the link left, the listeners advertise themselves again.
    expect(removed.type === 'kvl.link.removed' && removed.data.deleted).toMatchObject({
      endpoints: 3,
      services: 3,
    });
    const world = cloud.emulator.world;
    const instance = world.kafkaInstances.find((i) => i.instanceId === instanceId)!;
    expect(instance.brokers.every((b) => b.advertisedIp === b.listenerIp)).toBe(true);
    expect(instance.tags.filter((t) => t.key.startsWith('kvl-'))).toEqual([]);
    expect(world.endpoints.filter((e) => e.status !== 'deleting')).toEqual([]);
    expect(world.endpointServices.filter((s) => s.status !== 'deleting')).toEqual([]);
    expect(await stateOf(cloud, instanceId)).toBeUndefined();
  });

  /** The seeded instance declares a link that was never made: drifted, every service missing. */
  async function declareUnmadeLink(c: RuntimeCloud): Promise<string> {
    const instanceId = c.config.world.instanceId;
    await linkDeps(c).dms.createInstanceTags(
      instanceId,
      Object.entries(clientTags(c)).map(([key, value]) => ({ key, value })),
    );
    return instanceId;
  }

  it('repairs by default: unset KVL_RECONCILE_REPAIR', async () => {
    cloud = await startRuntimeCloud({ only: ['reconcile'], userData: { KVL_RECONCILE_REPAIR: '' } });
    const instanceId = await declareUnmadeLink(cloud);

    await reconcileTick(cloud, '{"job":"reconcile"}');

    expect(topicEvents(cloud, cloud.config.topics.linkRequests).map((e) => e.subject)).toEqual([instanceId]);
  });

  it('only reports when KVL_RECONCILE_REPAIR is false', async () => {
    cloud = await startRuntimeCloud({ only: ['reconcile'], userData: { KVL_RECONCILE_REPAIR: 'false' } });
    const instanceId = await declareUnmadeLink(cloud);

    await reconcileTick(cloud, '{"job":"reconcile"}');

    const [report] = cloud.events();
    expect(report?.type === 'kvl.reconcile.report' && report.data).toMatchObject({
      counts: { drifted: 1 },
      links: [{ instanceId, state: 'drifted' }],
      repaired: [],
    });
    expect(topicEvents(cloud, cloud.config.topics.linkRequests)).toEqual([]);
  });

  it('lets the timer’s user_event override the configuration', async () => {
    cloud = await startRuntimeCloud({ only: ['reconcile'], userData: { KVL_RECONCILE_REPAIR: 'false' } });
    const instanceId = await declareUnmadeLink(cloud);

    await reconcileTick(cloud, '{"job":"reconcile","repair":true}');

    const requests = topicEvents(cloud, cloud.config.topics.linkRequests);
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({
      type: 'kvl.link.requested',
      subject: instanceId,
      data: { instanceId, client: { vpcId: cloud.config.world.clientVpcId } },
    });
  });
});
