import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type EmulatorHandle, type FunctionHost, startEmulator } from '../../../local/cloud/server.js';
import { createCloudClients } from '../../../shared/cloud/index.js';
import { adminCall, cloudCall, ownerCredentials } from '../../helpers/emulator-calls.js';

// The documented publish bodies (reference/examples smn-publish.request.json and
// smn-publish-message-structure.request.json), inlined so the test needs nothing outside the repo.
const DOCUMENTED_PLAIN = {
  subject: 'test message v2',
  message: 'Message test message v2',
  time_to_live: '3600',
};
const DOCUMENTED_STRUCTURED = {
  subject: 'test message v2',
  time_to_live: '3600',
  message_structure: '{"default":"test v2 default", "email":"abc"}',
};

let emu: EmulatorHandle;
let pid: string;
const FUNCTION_URN = 'urn:fss:eu-west-101:0a1b2c3d4e5f:function:default:create-services:latest';

beforeAll(async () => {
  emu = await startEmulator({ speed: 0, modules: [] });
  pid = emu.seed!.owner.projectId;
});
afterAll(async () => {
  await emu.close();
});

function smn(method: string, path: string, body?: unknown) {
  return cloudCall(emu, {
    method,
    path: `/v2/${pid}/notifications${path}`,
    body,
    credentials: ownerCredentials(emu),
  });
}

describe('emulator SMN', () => {
  it('creates, lists and finds topics', async () => {
    const created = await smn('POST', '/topics', { name: 'kvl-test-topic', display_name: 'test' });
    expect(created.status).toBe(201);
    expect(created.json).toEqual({
      request_id: created.headers['x-request-id'],
      topic_urn: `urn:smn:${emu.region}:${pid}:kvl-test-topic`,
    });
    const again = await smn('POST', '/topics', { name: 'kvl-test-topic', display_name: 'test' });
    expect(again.json.topic_urn).toBe(created.json.topic_urn);
    const list = await smn('GET', '/topics?limit=100');
    expect(list.json.topics.map((t: any) => t.name)).toEqual(
      expect.arrayContaining(['kvl-link-requests', 'kvl-events', 'kvl-test-topic']),
    );
    const invalid = await smn('POST', '/topics', { name: '-bad name' });
    expect(invalid.status).toBe(400);
    expect(invalid.json.code).toBe('SMN.0002');
  });

  it('creates a topic with an empty display_name (the SDK default), not with one over 192 bytes', async () => {
    expect((await smn('POST', '/topics', { name: 'kvl-empty-display', display_name: '' })).status).toBe(201);
    const long = await smn('POST', '/topics', { name: 'kvl-long-display', display_name: 'x'.repeat(193) });
    expect(long.json.code).toBe('SMN.0003');
  });

  it('delivers a publish to a functionstage subscriber as the exact FunctionGraph SMN event', async () => {
    const deliver = vi.fn<FunctionHost['deliver']>();
    emu.setFunctionHost({ deliver, cts: vi.fn() });
    const topic = emu.seed!.topics.linkRequests;
    const sub = await smn('POST', `/topics/${encodeURIComponent(topic)}/subscriptions`, {
      protocol: 'functionstage',
      endpoint: FUNCTION_URN,
      remark: 'create-services',
    });
    expect(sub.status).toBe(201);
    const subscriptionUrn = sub.json.subscription_urn as string;
    expect(subscriptionUrn.startsWith(`${topic}:`)).toBe(true);

    const message = JSON.stringify({ specversion: '1.0', type: 'kvl.link.requested' });
    const published = await smn('POST', `/topics/${encodeURIComponent(topic)}/publish`, {
      subject: 'link-request',
      message_structure: JSON.stringify({ default: 'plain', functionstage: message }),
      time_to_live: '3600',
    });
    expect(published.status).toBe(200);
    expect(published.json).toEqual({
      request_id: published.headers['x-request-id'],
      message_id: expect.stringMatching(/^[0-9a-f]{32}$/),
    });

    await vi.waitFor(() => expect(deliver).toHaveBeenCalledTimes(1));
    const [urn, event] = deliver.mock.calls[0]!;
    expect(urn).toBe(FUNCTION_URN);
    expect(event).toEqual({
      record: [
        {
          event_version: '1.0',
          event_source: 'smn',
          event_subscription_urn: subscriptionUrn,
          smn: {
            topic_urn: topic,
            message_id: published.json.message_id,
            type: 'notification',
            subject: 'link-request',
            message,
            message_attributes: null,
            timestamp: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/),
          },
        },
      ],
      functionname: 'create-services',
      requestId: expect.any(String),
      timestamp: expect.any(String),
    });
    emu.setFunctionHost(undefined);
  });

  it('accepts the documented publish bodies and records the messages for the admin API', async () => {
    const topic = emu.seed!.topics.events;
    expect((await smn('POST', `/topics/${encodeURIComponent(topic)}/publish`, DOCUMENTED_PLAIN)).status).toBe(
      200,
    );
    expect(
      (await smn('POST', `/topics/${encodeURIComponent(topic)}/publish`, DOCUMENTED_STRUCTURED)).status,
    ).toBe(200);
    const messages = (await adminCall(emu, 'GET', `messages?topic=${encodeURIComponent(topic)}`)).json;
    expect(messages.map((m: any) => [m.subject, m.message])).toEqual([
      ['test message v2', 'Message test message v2'],
      ['test message v2', 'test v2 default'],
    ]);
    expect(messages[0]).toMatchObject({
      topicUrn: topic,
      messageId: expect.any(String),
      time: expect.any(String),
    });
  });

  it('posts the message to http subscribers', async () => {
    const received: any[] = [];
    const sink = createServer((req, res) => {
      let data = '';
      req.on('data', (c) => {
        data += c;
      });
      req.on('end', () => {
        received.push(JSON.parse(data));
        res.end();
      });
    });
    await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
    try {
      const topic = (await smn('POST', '/topics', { name: 'kvl-http-topic', display_name: 'http' })).json
        .topic_urn as string;
      const url = `http://127.0.0.1:${(sink.address() as AddressInfo).port}/hook`;
      await smn('POST', `/topics/${encodeURIComponent(topic)}/subscriptions`, {
        protocol: 'http',
        endpoint: url,
      });
      await smn('POST', `/topics/${encodeURIComponent(topic)}/publish`, { subject: 's', message: 'hello' });
      await vi.waitFor(() => expect(received).toHaveLength(1));
      expect(received[0]).toMatchObject({
        type: 'Notification',
        topic_urn: topic,
        subject: 's',
        message: 'hello',
      });
    } finally {
      await new Promise((r) => sink.close(r));
    }
  });

  it('serves the product’s own SMN and IAM clients', async () => {
    const { owner, topics } = emu.seed!;
    const clients = createCloudClients({
      region: emu.region,
      projectId: owner.projectId,
      credentials: async () => ({ ak: owner.ak, sk: owner.sk }),
      env: { HUAWEICLOUD_ENDPOINT: emu.endpoint },
      retry: { retries: 0 },
    });
    expect(await clients.iam.getProjectId(emu.region)).toBe(owner.projectId);
    const { messageId } = await clients.smn.publish(topics.unlinkRequests, {
      subject: 'unlink',
      message: '{"x":1}',
    });
    const messages = (
      await adminCall(emu, 'GET', `messages?topic=${encodeURIComponent(topics.unlinkRequests)}`)
    ).json;
    expect(messages).toEqual([expect.objectContaining({ messageId, subject: 'unlink', message: '{"x":1}' })]);
  });

  it('answers an unknown topic with SMN.0006 in the SMN envelope', async () => {
    const missing = `urn:smn:${emu.region}:${pid}:does-not-exist`;
    const res = await smn('POST', `/topics/${encodeURIComponent(missing)}/publish`, { message: 'x' });
    expect(res.status).toBe(404);
    expect(res.json).toEqual({
      request_id: res.headers['x-request-id'],
      code: 'SMN.0006',
      message: 'Topic not found.',
    });
  });

  it('rejects a message_structure without default', async () => {
    const topic = emu.seed!.topics.events;
    const res = await smn('POST', `/topics/${encodeURIComponent(topic)}/publish`, {
      message_structure: JSON.stringify({ functionstage: 'x' }),
    });
    expect(res.status).toBe(400);
    expect(res.json.code).toBe('SMN.0021');
  });

  it('lists and removes subscriptions', async () => {
    const topic = emu.seed!.topics.servicesReady;
    const sub = await smn('POST', `/topics/${encodeURIComponent(topic)}/subscriptions`, {
      protocol: 'functionstage',
      endpoint: FUNCTION_URN,
    });
    const list = await smn('GET', `/topics/${encodeURIComponent(topic)}/subscriptions`);
    expect(list.json.subscriptions).toEqual([
      expect.objectContaining({
        subscription_urn: sub.json.subscription_urn,
        protocol: 'functionstage',
        endpoint: FUNCTION_URN,
      }),
    ]);
    const removed = await smn('DELETE', `/subscriptions/${encodeURIComponent(sub.json.subscription_urn)}`);
    expect(removed.status).toBe(200);
    expect(
      (await smn('GET', `/topics/${encodeURIComponent(topic)}/subscriptions`)).json.subscription_count,
    ).toBe(0);
  });
});
