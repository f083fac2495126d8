import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type EmulatorHandle, type FunctionHost, startEmulator } from '../../../local/cloud/server.js';
import type { EndpointRecord } from '../../../local/cloud/types.js';
import { adminCall, cloudCall, ownerCredentials } from '../../helpers/emulator-calls.js';

let emu: EmulatorHandle;

beforeAll(async () => {
  emu = await startEmulator({ speed: 0, modules: [] });
});
afterAll(async () => {
  await emu.close();
});

describe('emulator admin API', () => {
  it('GET state returns the world as JSON, without secrets of temporary credentials', async () => {
    const res = await adminCall(emu, 'GET', 'state');
    expect(res.status).toBe(200);
    expect(res.json.region).toBe(emu.region);
    expect(res.json.kafkaInstances).toHaveLength(1);
    expect(res.json.topics).toHaveLength(5);
    expect(res.json.emulator).toMatchObject({ now: emu.clock.now(), speed: 0, throttle: false });
  });

  it('logs cloud calls, and clears the log', async () => {
    await adminCall(emu, 'DELETE', 'requests');
    const pid = emu.seed!.owner.projectId;
    await cloudCall(emu, {
      method: 'GET',
      path: `/v2/${pid}/notifications/topics`,
      credentials: ownerCredentials(emu),
    });
    await cloudCall(emu, { method: 'GET', path: `/v2/${pid}/notifications/topics` });
    const log = (await adminCall(emu, 'GET', 'requests')).json;
    expect(log).toEqual([
      expect.objectContaining({ method: 'GET', path: `/v2/${pid}/notifications/topics`, status: 200 }),
      expect.objectContaining({ status: 401, code: 'APIGW.0301' }),
    ]);
    expect((await adminCall(emu, 'DELETE', 'requests')).status).toBe(204);
    expect((await adminCall(emu, 'GET', 'requests')).json).toEqual([]);
  });

  it('lists the messages of a topic', async () => {
    const topic = emu.seed!.topics.events;
    const pid = emu.seed!.owner.projectId;
    await cloudCall(emu, {
      method: 'POST',
      path: `/v2/${pid}/notifications/topics/${encodeURIComponent(topic)}/publish`,
      body: { subject: 'kvl.link.completed', message: '{"ok":true}' },
      credentials: ownerCredentials(emu),
    });
    const res = await adminCall(emu, 'GET', `messages?topic=${encodeURIComponent(topic)}`);
    expect(res.json).toEqual([
      expect.objectContaining({ topicUrn: topic, subject: 'kvl.link.completed', message: '{"ok":true}' }),
    ]);
    const other = await adminCall(
      emu,
      'GET',
      `messages?topic=${encodeURIComponent(emu.seed!.topics.linkRequests)}`,
    );
    expect(other.json).toEqual([]);
  });

  it('drives the clock: advance and speed', async () => {
    const before = emu.clock.now();
    const advanced = await adminCall(emu, 'POST', 'clock', { advanceMs: 5_000 });
    expect(advanced.json).toEqual({ now: before + 5_000, speed: 0 });
    const sped = await adminCall(emu, 'POST', 'clock', { speed: 10 });
    expect(sped.json.speed).toBe(10);
    await adminCall(emu, 'POST', 'clock', { speed: 0 });
    const bad = await adminCall(emu, 'POST', 'clock', { advanceMs: -1 });
    expect(bad.status).toBe(400);
  });

  it('creates a Kafka instance that becomes RUNNING and emits the CTS event to the function host', async () => {
    const cts = vi.fn<FunctionHost['cts']>();
    emu.setFunctionHost({ deliver: vi.fn(), cts });
    const created = await adminCall(emu, 'POST', 'kafka-instances', {
      name: 'kvl-team-b',
      brokers: 2,
      tags: { 'kvl-client-vpc': emu.seed!.clientVpcId },
    });
    expect(created.status).toBe(201);
    const instanceId = created.json.instanceId as string;
    expect(created.json.status).toBe('CREATING');
    expect(created.json.brokers.map((b: any) => b.listenerIp)).toEqual(['10.0.0.14', '10.0.0.15']);
    expect(created.json.tags).toEqual([{ key: 'kvl-client-vpc', value: emu.seed!.clientVpcId }]);

    await adminCall(emu, 'POST', 'clock', { advanceMs: 30_000 });
    await new Promise((r) => setImmediate(r));
    expect(cts).not.toHaveBeenCalled();

    await adminCall(emu, 'POST', 'clock', { advanceMs: 30_000 });
    await vi.waitFor(() => expect(cts).toHaveBeenCalledTimes(1));
    expect(cts.mock.calls[0]![0]).toEqual({
      cts: expect.objectContaining({
        service_type: 'DMS',
        resource_type: 'kafka',
        trace_name: 'createDMSInstanceTaskSuccess',
        trace_status: 'normal',
        trace_type: 'SystemAction',
        resource_id: instanceId,
        resource_name: 'kvl-team-b',
        project_id: emu.seed!.owner.projectId,
        domain_id: emu.seed!.owner.domainId,
        time: expect.any(Number),
        record_time: expect.any(Number),
      }),
    });
    const state = (await adminCall(emu, 'GET', 'state')).json;
    expect(state.kafkaInstances.find((i: any) => i.instanceId === instanceId).status).toBe('RUNNING');

    // Emitted once, however often the world settles afterwards.
    await adminCall(emu, 'POST', 'clock', { advanceMs: 60_000 });
    await new Promise((r) => setImmediate(r));
    expect(cts).toHaveBeenCalledTimes(1);
    emu.setFunctionHost(undefined);
  });

  it('emits the CTS event on real time too, without any API call', async () => {
    const fast = await startEmulator({ speed: 1_000_000, modules: [] });
    try {
      const cts = vi.fn<FunctionHost['cts']>();
      fast.setFunctionHost({ deliver: vi.fn(), cts });
      await adminCall(fast, 'POST', 'kafka-instances', { name: 'kvl-realtime' });
      await vi.waitFor(() => expect(cts).toHaveBeenCalledTimes(1));
    } finally {
      await fast.close();
    }
  });

  it('rejects a Kafka instance in an unknown VPC', async () => {
    const res = await adminCall(emu, 'POST', 'kafka-instances', { name: 'kvl-nowhere', vpcId: 'nope' });
    expect(res.status).toBe(400);
    expect(res.json.error).toMatch(/unknown VPC/);
  });

  it('forces an endpoint state and drops its pending transitions', async () => {
    const now = emu.clock.now();
    const endpoint: EndpointRecord = {
      id: 'd7b2b4f2-0000-4000-8000-000000000001',
      projectId: emu.seed!.owner.projectId,
      domainId: emu.seed!.owner.domainId,
      endpointServiceId: 'svc',
      endpointServiceName: 'svc-name',
      vpcId: emu.seed!.clientVpcId,
      subnetId: emu.seed!.clientSubnetId,
      ip: '172.16.5.11',
      portId: 'port',
      markerId: 1,
      enableDns: false,
      description: '',
      tags: [],
      status: 'creating',
      transitions: [{ at: now + 60_000, to: 'accepted' }],
      errors: [],
      createdAt: new Date(now).toISOString(),
      updatedAt: new Date(now).toISOString(),
    };
    emu.world.endpoints.push(endpoint);
    const res = await adminCall(emu, 'POST', `endpoints/${endpoint.id}/state`, { status: 'rejected' });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ id: endpoint.id, status: 'rejected', transitions: [] });
    await adminCall(emu, 'POST', 'clock', { advanceMs: 120_000 });
    expect(emu.world.endpoints.find((e) => e.id === endpoint.id)?.status).toBe('rejected');
    expect((await adminCall(emu, 'POST', `endpoints/${endpoint.id}/state`, { status: 'bogus' })).status).toBe(
      400,
    );
    expect((await adminCall(emu, 'POST', 'endpoints/unknown/state', { status: 'failed' })).status).toBe(404);
  });

  it('answers unknown admin calls with 404', async () => {
    expect((await adminCall(emu, 'GET', 'nothing')).status).toBe(404);
  });
});
