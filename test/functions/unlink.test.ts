/** functions/unlink: `kvl.link.unlink-requested` → the reverse of a link → `kvl.link.removed`. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler } from '../../functions/unlink/handler.js';
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

describe('unlink', () => {
  it('publishes kvl.link.removed with nothing deleted for an instance that was never linked', async () => {
    // Arrange
    const requested = newCloudEvent('kvl.link.unlink-requested', {
      source: 'kvl/test',
      data: { instanceId: h.request.instanceId },
    });

    // Act
    const run = await h.invoke(handler, h.smnEvent(requested));

    // Assert
    expect(run.error).toBeUndefined();
    expect(run.summary).toMatchObject({ processed: 1, failed: 0 });
    expect(run.published).toMatchObject([
      {
        type: 'kvl.link.removed',
        data: {
          instanceId: h.request.instanceId,
          deleted: { endpoints: 0, services: 0, securityGroupRule: false },
        },
      },
    ]);
  });
});
