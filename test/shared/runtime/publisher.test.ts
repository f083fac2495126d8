import { describe, expect, it } from 'vitest';
import type { SmnClient } from '../../../shared/cloud/types.js';
import { type CloudEvent, newCloudEvent } from '../../../shared/events/index.js';
import {
  createSmnPublisher,
  PublishError,
  PublisherOptionsError,
  type TopicUrns,
  topicFor,
} from '../../../shared/runtime/index.js';
import { createMemoryPublisher } from '../../helpers/memory-publisher.js';

const INSTANCE = '2a9b6c1d-3e4f-5a6b-7c8d-9e0f1a2b3c4d';
const client = { vpcId: 'vpc-1', subnetId: 'sub-1' };
const endpoints = [
  {
    listenerIp: '192.168.0.11',
    portId: 'port-a',
    serviceId: 'svc-a',
    endpointId: 'ep-a',
    endpointIp: '10.1.0.5',
  },
];

const topics: TopicUrns = {
  linkRequests: 'urn:smn:r:p:link-requests',
  servicesReady: 'urn:smn:r:p:services-ready',
  endpointsAccepted: 'urn:smn:r:p:endpoints-accepted',
  unlinkRequests: 'urn:smn:r:p:unlink-requests',
  events: 'urn:smn:r:p:events',
};

/** A plain object implementing the SmnClient interface. */
function fakeSmn(fail?: (topic: string) => Error | undefined) {
  const calls: Array<{ topic: string; subject?: string; message: string }> = [];
  const smn: SmnClient = {
    async publish(topic, message) {
      const error = fail?.(topic);
      if (error) throw error;
      calls.push({ topic, ...message });
      return { messageId: `m-${calls.length}` };
    },
  };
  return { smn, calls };
}

const source = 'kvl/test';
const events: CloudEvent[] = [
  newCloudEvent('kvl.link.requested', { source, data: { instanceId: INSTANCE, client } }),
  newCloudEvent('kvl.link.services-ready', {
    source,
    data: {
      instanceId: INSTANCE,
      client,
      services: [{ listenerIp: '192.168.0.11', portId: 'port-a', serviceId: 'svc-a', serviceName: 'svc.a' }],
    },
  }),
  newCloudEvent('kvl.link.endpoints-accepted', { source, data: { instanceId: INSTANCE, client, endpoints } }),
  newCloudEvent('kvl.link.unlink-requested', { source, data: { instanceId: INSTANCE } }),
  newCloudEvent('kvl.link.completed', {
    source,
    data: {
      instanceId: INSTANCE,
      client,
      bootstrapServers: '10.1.0.5:9011',
      securityProtocol: 'SASL_SSL',
      saslMechanisms: ['PLAIN'],
      mapping: endpoints,
      timings: { completedAt: '2026-11-25T10:00:00Z' },
    },
  }),
  newCloudEvent('kvl.link.failed', { source, data: { step: 's', reason: 'r' } }),
  newCloudEvent('kvl.link.removed', {
    source,
    data: { instanceId: INSTANCE, deleted: { endpoints: 1, services: 1, securityGroupRule: false } },
  }),
  newCloudEvent('kvl.reconcile.report', {
    source,
    data: { checkedAt: '2026-11-25T10:00:00Z', links: [], counts: {}, repaired: [] },
  }),
];

describe('createSmnPublisher', () => {
  it('routes each type to its topic, subject = type, message = the CloudEvent JSON', async () => {
    const { smn, calls } = fakeSmn();
    const publisher = createSmnPublisher(smn, topics);
    for (const event of events) await publisher.publish(event);
    expect(calls.map((c) => [c.subject, c.topic])).toEqual([
      ['kvl.link.requested', topics.linkRequests],
      ['kvl.link.services-ready', topics.servicesReady],
      ['kvl.link.endpoints-accepted', topics.endpointsAccepted],
      ['kvl.link.unlink-requested', topics.unlinkRequests],
      ['kvl.link.completed', topics.events],
      ['kvl.link.failed', topics.events],
      ['kvl.link.removed', topics.events],
      ['kvl.reconcile.report', topics.events],
    ]);
    expect(calls.map((c) => JSON.parse(c.message))).toEqual(JSON.parse(JSON.stringify(events)));
  });

  it('topicFor covers every type', () => {
    expect(topicFor('kvl.link.completed')).toBe('events');
    expect(topicFor('kvl.link.requested')).toBe('linkRequests');
  });

  it('refuses an event that breaks its contract, without calling SMN', async () => {
    const { smn, calls } = fakeSmn();
    const publisher = createSmnPublisher(smn, topics);
    const broken = { ...events[0], data: { instanceId: '../x', client } } as CloudEvent;
    const error = await publisher.publish(broken).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PublishError);
    expect((error as PublishError).retryable).toBe(false);
    expect(calls).toHaveLength(0);
  });

  it('wraps SMN failures, keeping the cause and its retryable flag', async () => {
    const cause = Object.assign(new Error('SMN 503'), { retryable: true });
    const { smn } = fakeSmn(() => cause);
    const error = (await createSmnPublisher(smn, topics)
      .publish(events[5] as CloudEvent)
      .catch((e: unknown) => e)) as PublishError;
    expect(error).toBeInstanceOf(PublishError);
    expect(error.cause).toBe(cause);
    expect(error.retryable).toBe(true);
    expect(error.topic).toBe(topics.events);

    const denied = Object.assign(new Error('403'), { retryable: false });
    const { smn: smn2 } = fakeSmn(() => denied);
    const error2 = (await createSmnPublisher(smn2, topics)
      .publish(events[5] as CloudEvent)
      .catch((e: unknown) => e)) as PublishError;
    expect(error2.retryable).toBe(false);
  });

  it('validates its options', () => {
    const { smn } = fakeSmn();
    expect(() => createSmnPublisher({} as SmnClient, topics)).toThrow(PublisherOptionsError);
    expect(() => createSmnPublisher(smn, { ...topics, events: '' })).toThrow(/topics.events/);
    expect(() => createSmnPublisher(smn, { ...topics, servicesReady: 'arn:aws:sns' })).toThrow(
      PublisherOptionsError,
    );
  });
});

describe('createMemoryPublisher (test/helpers)', () => {
  it('collects copies in order, filterable by type', async () => {
    const publisher = createMemoryPublisher();
    for (const event of events) await publisher.publish(event);
    expect(publisher.events).toHaveLength(events.length);
    expect(publisher.ofType('kvl.link.failed')).toHaveLength(1);
    const first = events[0] as CloudEvent;
    (first.data as { instanceId: string }).instanceId = 'mutated';
    expect((publisher.events[0]?.data as { instanceId?: string } | undefined)?.instanceId).toBe(INSTANCE);
    (first.data as { instanceId: string }).instanceId = INSTANCE;
    publisher.clear();
    expect(publisher.events).toHaveLength(0);
  });

  it('validates like the SMN publisher', async () => {
    const publisher = createMemoryPublisher();
    await expect(publisher.publish({ ...events[3], subject: 'other' } as CloudEvent)).rejects.toBeInstanceOf(
      PublishError,
    );
  });
});
