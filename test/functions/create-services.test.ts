/** functions/create-services: `kvl.link.requested` → one endpoint service per broker → `kvl.link.services-ready`. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler } from '../../functions/create-services/handler.js';
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

describe('create-services', () => {
  it('creates a service per broker and publishes kvl.link.services-ready', async () => {
    // Arrange
    const requested = newCloudEvent('kvl.link.requested', { source: 'kvl/test', data: h.request });

    // Act
    const run = await h.invoke(handler, h.smnEvent(requested));

    // Assert
    expect(run.error).toBeUndefined();
    expect(run.summary).toMatchObject({ processed: 1, rejected: 0, failed: 0 });
    expect(run.published.map((e) => e.type)).toEqual(['kvl.link.services-ready']);
    const brokers = h.emulator.world.kafkaInstances.find(
      (i) => i.instanceId === h.request.instanceId,
    )!.brokers;
    expect(h.emulator.world.endpointServices).toHaveLength(brokers.length);
  });

  it('rejects an event type it does not consume, touching nothing', async () => {
    // Arrange
    const other = newCloudEvent('kvl.link.unlink-requested', {
      source: 'kvl/test',
      data: { instanceId: h.request.instanceId },
    });

    // Act
    const run = await h.invoke(handler, h.smnEvent(other));

    // Assert
    expect(run.summary).toMatchObject({ processed: 0, rejected: 1 });
    expect(h.emulator.world.endpointServices).toHaveLength(0);
  });
});
