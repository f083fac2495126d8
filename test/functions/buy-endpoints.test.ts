/** functions/buy-endpoints: `kvl.link.services-ready` → one endpoint per service, accepted → `kvl.link.endpoints-accepted`. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler } from '../../functions/buy-endpoints/handler.js';
import { handler as createServices } from '../../functions/create-services/handler.js';
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

describe('buy-endpoints', () => {
  it('buys an endpoint per service and publishes kvl.link.endpoints-accepted (fast path)', async () => {
    // Arrange: what create-services published.
    const requested = newCloudEvent('kvl.link.requested', { source: 'kvl/test', data: h.request });
    const [servicesReady] = (await h.invoke(createServices, h.smnEvent(requested))).published;

    // Act
    const run = await h.invoke(handler, h.smnEvent(servicesReady!));

    // Assert
    expect(run.error).toBeUndefined();
    expect(run.summary).toMatchObject({ processed: 1, rejected: 0, failed: 0 });
    expect(run.published.map((e) => e.type)).toEqual(['kvl.link.endpoints-accepted']);
    expect(h.emulator.world.endpoints).toHaveLength(h.emulator.world.endpointServices.length);
  });

  it('with KVL_FAST_PATH off leaves acceptance to the timer: buys, publishes nothing', async () => {
    // Arrange
    const requested = newCloudEvent('kvl.link.requested', { source: 'kvl/test', data: h.request });
    const [servicesReady] = (await h.invoke(createServices, h.smnEvent(requested))).published;

    // Act
    const run = await h.invoke(handler, h.smnEvent(servicesReady!), { userData: { KVL_FAST_PATH: 'off' } });

    // Assert
    expect(run.summary).toMatchObject({ processed: 1, failed: 0 });
    expect(run.published).toEqual([]);
    expect(h.emulator.world.endpoints).toHaveLength(h.emulator.world.endpointServices.length);
  });
});
