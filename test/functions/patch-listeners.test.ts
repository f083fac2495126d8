/** functions/patch-listeners: `kvl.link.endpoints-accepted` → advertised IPs patched → `kvl.link.completed`. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler as buyEndpoints } from '../../functions/buy-endpoints/handler.js';
import { handler as createServices } from '../../functions/create-services/handler.js';
import { handler } from '../../functions/patch-listeners/handler.js';
import { newCloudEvent } from '../../shared/events/cloudevents.js';
import { type FunctionHarness, startFunctionHarness } from '../helpers/function-harness.js';

vi.mock('../../shared/runtime/link-deps.js', () => import('../helpers/link-deps.mock.js'));

let h: FunctionHarness;
beforeEach(async () => {
  h = await startFunctionHarness();
});
afterEach(async () => {
  await h.close();
});

describe('patch-listeners', () => {
  it('advertises the endpoint IPs and publishes kvl.link.completed', async () => {
    // Arrange: the two steps before it.
    const requested = newCloudEvent('kvl.link.requested', { source: 'kvl/test', data: h.request });
    const [servicesReady] = (await h.invoke(createServices, h.smnEvent(requested))).published;
    const [accepted] = (await h.invoke(buyEndpoints, h.smnEvent(servicesReady!))).published;

    // Act
    const run = await h.invoke(handler, h.smnEvent(accepted!));

    // Assert
    expect(run.error).toBeUndefined();
    expect(run.summary).toMatchObject({ processed: 1, rejected: 0, failed: 0 });
    expect(run.published.map((e) => e.type)).toEqual(['kvl.link.completed']);
    h.advance(120_000);
    const ips = new Set(h.emulator.world.endpoints.map((e) => e.ip));
    const instance = h.emulator.world.kafkaInstances.find((i) => i.instanceId === h.request.instanceId)!;
    expect(instance.brokers.every((b) => ips.has(b.advertisedIp))).toBe(true);
  });

  it('rejects a message that is not JSON: reports it, patches nothing', async () => {
    // Arrange
    const event = h.smnEvent(newCloudEvent('kvl.link.requested', { source: 'kvl/test', data: h.request }));
    const record = (event.record as Array<{ smn: { message: string; subject: string } }>)[0]!;
    record.smn.message = '{not json';
    record.smn.subject = 'kvl.link.endpoints-accepted';

    // Act
    const run = await h.invoke(handler, event);

    // Assert
    expect(run.summary).toMatchObject({ processed: 0, rejected: 1 });
    expect(run.published).toMatchObject([{ type: 'kvl.link.failed', data: { code: 'InvalidEvent' } }]);
    expect(h.emulator.requests().filter((r) => r.service !== 'smn' && r.method !== 'GET')).toEqual([]);
  });
});
