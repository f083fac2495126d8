/**
 * The chain end to end, as deployed: SMN → create-services → buy-endpoints → (fast path or timer) →
 * patch-listeners → completion event, running the built bundles in the local FunctionGraph runtime
 * on the emulator. Assertions read the emulator's own state, not the product's reports.
 */

import { afterEach, describe, expect, it } from 'vitest';
import type { RuntimeCloud } from '../helpers/runtime-cloud.js';
import { startRuntimeCloud } from '../helpers/runtime-cloud.js';
import { addThirdVpc } from '../helpers/third-vpc.js';

let cloud: RuntimeCloud | undefined;
afterEach(async () => {
  await cloud?.close();
  cloud = undefined;
});

function linkData(c: RuntimeCloud) {
  return {
    instanceId: c.config.world.instanceId,
    client: { vpcId: c.config.world.clientVpcId, subnetId: c.config.world.clientSubnetId },
  };
}

/** Cloud writes other than publishing to SMN (the transport itself). */
function cloudWrites(c: RuntimeCloud) {
  return c.emulator
    .requests()
    .filter(
      (r) =>
        r.method !== 'GET' && !r.path.includes('/notifications/') && !r.path.includes('resource_instances'),
    );
}

function seededInstance(c: RuntimeCloud) {
  return c.emulator.world.kafkaInstances.find((i) => i.instanceId === c.config.world.instanceId)!;
}

describe('link chain through the local runtime', () => {
  it('links the seeded instance: every broker advertises the IP of the endpoint on its own port', async () => {
    // Arrange
    cloud = await startRuntimeCloud();

    // Act
    const requestId = await cloud.publishLinkRequest(linkData(cloud));
    const outcome = await cloud.outcome(requestId);
    await cloud.runtime.idle();
    // The modify takes effect at once: the map is live when the completion is published.
    const instance = seededInstance(cloud);
    expect(instance.status).toBe('RUNNING');

    // Assert: the completion event
    expect(outcome.type).toBe('kvl.link.completed');
    if (outcome.type !== 'kvl.link.completed') return;
    expect(outcome.subject).toBe(instance.instanceId);
    expect(outcome.data.securityProtocol).toBe('SASL_SSL');
    expect(outcome.data.mapping).toHaveLength(instance.brokers.length);
    expect(outcome.data.bootstrapServers.split(',')).toHaveLength(instance.brokers.length);

    // Assert: the emulator's state
    const world = cloud.emulator.world;
    expect(world.endpointServices).toHaveLength(instance.brokers.length);
    expect(world.endpoints).toHaveLength(instance.brokers.length);
    for (const broker of instance.brokers) {
      const services = world.endpointServices.filter((s) => s.portId === broker.portId);
      expect(services).toHaveLength(1);
      const endpoints = world.endpoints.filter((e) => e.endpointServiceId === services[0]!.id);
      expect(endpoints).toHaveLength(1);
      expect(endpoints[0]!.vpcId).toBe(cloud.config.world.clientVpcId);
      expect(broker.advertisedIp).toBe(endpoints[0]!.ip);
      expect(outcome.data.bootstrapServers).toContain(`${endpoints[0]!.ip}:9011`);
    }
    const rules = world.securityGroupRules.filter(
      (r) =>
        r.securityGroupId === instance.securityGroupId &&
        r.direction === 'ingress' &&
        r.remoteIpPrefix === '198.19.128.0/17' &&
        String(r.multiport) === '9011',
    );
    expect(rules).toHaveLength(1);
    expect(cloud.runtime.failures).toEqual([]);

    // Assert: two SMN hops between the three steps (issue #15 counts them), one outcome event.
    const publishesTo = (topic: string) =>
      cloud!.emulator
        .requests()
        .filter((r) => r.method === 'POST' && r.path.endsWith(`/topics/${topic}/publish`));
    const { topics } = cloud.config;
    expect(publishesTo(topics.servicesReady)).toHaveLength(1);
    expect(publishesTo(topics.endpointsAccepted)).toHaveLength(1);
    expect(publishesTo(topics.events)).toHaveLength(1);
  });

  it('finishes through the poll-acceptance timer when the fast path runs out of time', async () => {
    // Arrange: endpoints take much longer than buy-endpoints may wait inline (its timeout is short).
    cloud = await startRuntimeCloud({ speed: 50, functionTimeoutMs: { 'buy-endpoints': 400 } });

    // Act
    const requestId = await cloud.publishLinkRequest(linkData(cloud));
    const outcome = await cloud.outcome(requestId, 30_000);

    // Assert
    expect(outcome.type).toBe('kvl.link.completed');
    expect(cloud.runtime.invocations.some((i) => i.functionName === 'poll-acceptance')).toBe(true);
  });
});

describe('bad link requests end in kvl.link.failed, with no cloud write', () => {
  const cases: Array<{
    name: string;
    data: (c: RuntimeCloud) => unknown;
    arrange?: (c: RuntimeCloud) => void | Promise<void>;
    field?: string;
    reason: RegExp;
  }> = [
    {
      name: 'missing client',
      data: (c) => ({ instanceId: c.config.world.instanceId }),
      field: 'data.client',
      reason: /required|expected/i,
    },
    {
      name: 'an id that would change the URL',
      data: (c) => ({ ...linkData(c), instanceId: '../x?y#z' }),
      field: 'data.instanceId',
      reason: /[A-Za-z0-9_-]/,
    },
    {
      name: 'unknown instance',
      data: (c) => ({ ...linkData(c), instanceId: 'no-such-instance' }),
      field: 'instanceId',
      reason: /does not exist/,
    },
    {
      name: 'instance not RUNNING',
      arrange: (c) => {
        c.emulator.world.kafkaInstances[0]!.status = 'ERROR';
      },
      data: linkData,
      field: 'instanceId',
      reason: /must be RUNNING/,
    },
    {
      name: 'empty cross_vpc_info',
      arrange: (c) => {
        c.emulator.world.kafkaInstances[0]!.brokers = [];
      },
      data: linkData,
      reason: /no cross-VPC listeners/,
    },
    {
      name: 'subnet not in the client VPC',
      data: (c) => ({
        ...linkData(c),
        client: { vpcId: c.config.world.clientVpcId, subnetId: c.config.world.instanceSubnetId },
      }),
      field: 'client.subnetId',
      reason: /not to the client VPC/,
    },
  ];

  for (const { name, data, arrange, field, reason } of cases) {
    it(name, async () => {
      cloud = await startRuntimeCloud();
      await arrange?.(cloud);
      cloud.emulator.clearRequests();

      const requestId = await cloud.publishLinkRequest(data(cloud));
      const outcome = await cloud.outcome(requestId);
      await cloud.runtime.idle();

      expect(outcome.type).toBe('kvl.link.failed');
      if (outcome.type !== 'kvl.link.failed') return;
      if (field) expect(outcome.data.field).toBe(field);
      expect(outcome.data.reason).toMatch(reason);
      expect(cloudWrites(cloud)).toEqual([]);
      expect(cloud.runtime.failures).toEqual([]);
    });
  }

  it('a second client VPC for an instance already linked', async () => {
    cloud = await startRuntimeCloud();
    const first = await cloud.outcome(await cloud.publishLinkRequest(linkData(cloud)));
    expect(first.type).toBe('kvl.link.completed');
    await cloud.runtime.idle();
    cloud.emulator.clearRequests();

    const third = addThirdVpc(cloud.emulator);
    const other = {
      instanceId: cloud.config.world.instanceId,
      client: { vpcId: third.vpcId, subnetId: third.subnetId },
    };
    const outcome = await cloud.outcome(await cloud.publishLinkRequest(other));

    expect(outcome.type).toBe('kvl.link.failed');
    if (outcome.type !== 'kvl.link.failed') return;
    expect(outcome.data.field).toBe('client.vpcId');
    expect(outcome.data.reason).toMatch(/already linked/);
    expect(cloudWrites(cloud)).toEqual([]);
  });
});
