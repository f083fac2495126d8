/**
 * The verify function on the emulator's data plane: a `kvl.link.completed` for its client VPC makes
 * it publish `kvl.link.verified` with per-broker results; a timer tick after an endpoint is deleted
 * publishes `kvl.link.unhealthy` naming that broker; without KVL_VERIFY_CLIENT_VPC it does nothing.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { handler } from '../../functions/verify/handler.js';
import { newCloudEvent } from '../../shared/events/cloudevents.js';
import { driveLink } from '../../shared/link/drive.js';
import { createLocalContext } from '../../shared/runtime/context.js';
import { startTestCloud, type TestCloud } from '../helpers/test-cloud.js';

let cloud: TestCloud;

beforeEach(async () => {
  cloud = await startTestCloud({ dataPlane: true });
  expect((await driveLink(cloud.deps, cloud.request, cloud.budget())).outcome).toBe('completed');
  cloud.settle();
});
afterEach(async () => {
  await cloud.close();
});

function userData(extra: Record<string, string> = {}): Record<string, string> {
  const c = cloud.config;
  return {
    HUAWEICLOUD_REGION: c.region,
    HUAWEICLOUD_SDK_PROJECT_ID: c.projectId,
    HUAWEICLOUD_ENDPOINT: c.endpoint,
    HUAWEICLOUD_SDK_AK: c.ak,
    HUAWEICLOUD_SDK_SK: c.sk,
    KVL_TOPIC_LINK_REQUESTS: c.topics.linkRequests,
    KVL_TOPIC_SERVICES_READY: c.topics.servicesReady,
    KVL_TOPIC_ENDPOINTS_ACCEPTED: c.topics.endpointsAccepted,
    KVL_TOPIC_UNLINK_REQUESTS: c.topics.unlinkRequests,
    KVL_TOPIC_EVENTS: c.topics.events,
    KVL_LOG_LEVEL: 'error',
    KVL_VERIFY_CLIENT_VPC: c.world.clientVpcId,
    KVL_KAFKA_USERNAME: c.kafka!.username!,
    KVL_KAFKA_PASSWORD: c.kafka!.password!,
    KVL_KAFKA_CA_FILE: c.kafka!.caFile!,
    ...extra,
  };
}

function context(data: Record<string, string>) {
  return createLocalContext({ functionName: 'verify', timeoutMs: 60_000, userData: data });
}

function completedEvent() {
  const event = newCloudEvent('kvl.link.completed', {
    source: 'kvl/patch-listeners',
    time: '2026-11-25T10:00:00Z',
    data: {
      instanceId: cloud.request.instanceId,
      client: cloud.request.client,
      bootstrapServers: cloud.emulator.world.endpoints.map((e) => `${e.ip}:9011`).join(','),
      securityProtocol: 'SASL_SSL',
      saslMechanisms: ['PLAIN'],
      mapping: cloud.instance().brokers.map((b) => {
        const service = cloud.emulator.world.endpointServices.find((s) => s.portId === b.portId)!;
        const endpoint = cloud.emulator.world.endpoints.find((e) => e.endpointServiceId === service.id)!;
        return {
          listenerIp: b.listenerIp,
          portId: b.portId,
          serviceId: service.id,
          endpointId: endpoint.id,
          endpointIp: endpoint.ip,
        };
      }),
      timings: { completedAt: new Date().toISOString() },
    },
  });
  return {
    record: [
      {
        event_version: '1.0',
        event_source: 'smn',
        event_subscription_urn: `${cloud.config.topics.events}:sub-verify`,
        smn: {
          topic_urn: cloud.config.topics.events,
          message_id: randomUUID(),
          type: 'notification',
          subject: event.type,
          message: JSON.stringify(event),
          message_attributes: null,
          timestamp: new Date().toISOString(),
        },
      },
    ],
  };
}

const timerEvent = {
  trigger_type: 'TIMER',
  trigger_name: 'kvl-verify',
  user_event: '',
  time: new Date().toISOString(),
};

/** Events the function published to the events topic. */
function published(type: string): Array<{ data: Record<string, unknown> }> {
  return cloud.emulator.world.messages
    .filter((m) => m.topicUrn === cloud.config.topics.events)
    .map((m) => JSON.parse(m.message) as { type: string; source: string; data: Record<string, unknown> })
    .filter((e) => e.type === type && e.source === 'kvl/verify');
}

describe('verify function', () => {
  it('publishes kvl.link.verified with per-broker results after kvl.link.completed', async () => {
    // Act
    await handler(completedEvent(), context(userData()));

    // Assert
    const [verified] = published('kvl.link.verified');
    expect(verified?.data).toMatchObject({
      instanceId: cloud.request.instanceId,
      healthy: true,
      trigger: 'link-completed',
    });
    expect(verified?.data.brokers).toHaveLength(3);
    expect(published('kvl.link.unhealthy')).toEqual([]);
  });

  it('publishes kvl.link.unhealthy naming the broker of a deleted endpoint on a timer tick', async () => {
    // Arrange
    const victimIp = cloud.instance().brokers[1]!.advertisedIp;
    const victim = cloud.emulator.world.endpoints.find((e) => e.ip === victimIp)!;
    await cloud.deps.vpcep.deleteEndpoint(victim.id);
    cloud.settle();

    // Act
    await handler(timerEvent, context(userData()));

    // Assert
    const [unhealthy] = published('kvl.link.unhealthy');
    expect(unhealthy?.data).toMatchObject({ healthy: false, trigger: 'timer', unhealthyBrokers: [1] });
    expect(JSON.stringify(unhealthy)).not.toContain(cloud.config.kafka!.password!);
  });

  it('with KVL_VERIFY_ROLLBACK, restores the previous map of a fresh link that fails and ends kvl.link.failed', async () => {
    // Arrange: the link completes with two advertised IPs exchanged
    const brokers = cloud.instance().brokers;
    const map = Object.fromEntries(brokers.map((b) => [b.listenerIp, b.advertisedIp]));
    map[brokers[0]!.listenerIp] = brokers[1]!.advertisedIp;
    map[brokers[1]!.listenerIp] = brokers[0]!.advertisedIp;
    await cloud.deps.dms.modifyCrossVpc(cloud.request.instanceId, map);
    cloud.settle(60_000);

    // Act
    await handler(completedEvent(), context(userData({ KVL_VERIFY_ROLLBACK: 'true' })));

    // Assert: the seeded instance advertised its listener IPs before the link
    const [unhealthy] = published('kvl.link.unhealthy');
    expect(unhealthy?.data).toMatchObject({ rolledBack: true, unhealthyBrokers: [0, 1] });
    const [failed] = published('kvl.link.failed');
    expect(failed?.data).toMatchObject({ step: 'verify', code: 'VERIFY_FAILED' });
    expect(String(failed?.data.reason)).toMatch(/brokers 0, 1.*previous advertised map was restored/);
    expect(cloud.instance().brokers.map((b) => b.advertisedIp)).toEqual(brokers.map((b) => b.listenerIp));
  });

  it('does nothing without KVL_VERIFY_CLIENT_VPC, or for a link to another VPC', async () => {
    // Act
    await handler(timerEvent, context(userData({ KVL_VERIFY_CLIENT_VPC: '' })));
    await handler(completedEvent(), context(userData({ KVL_VERIFY_CLIENT_VPC: 'another-vpc' })));

    // Assert
    expect(published('kvl.link.verified')).toEqual([]);
    expect(published('kvl.link.unhealthy')).toEqual([]);
  });
});
