/** functions/poll-acceptance: a timer tick moves pending links on (here: a link left to the timer). */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler as buyEndpoints } from '../../functions/buy-endpoints/handler.js';
import { handler as createServices } from '../../functions/create-services/handler.js';
import { handler } from '../../functions/poll-acceptance/handler.js';
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

describe('poll-acceptance', () => {
  it('publishes nothing when no link is pending', async () => {
    // Act
    const run = await h.invoke(handler, h.timerEvent('poll-acceptance'));

    // Assert
    expect(run.error).toBeUndefined();
    expect(run.summary).toMatchObject({ processed: 1, failed: 0 });
    expect(run.published).toEqual([]);
  });

  it('publishes kvl.link.endpoints-accepted for a link whose endpoints were accepted since', async () => {
    // Arrange: endpoints bought without the inline wait (fast path off), then accepted.
    const requested = newCloudEvent('kvl.link.requested', { source: 'kvl/test', data: h.request });
    const [servicesReady] = (await h.invoke(createServices, h.smnEvent(requested))).published;
    await h.invoke(buyEndpoints, h.smnEvent(servicesReady!), { userData: { KVL_FAST_PATH: 'off' } });
    h.advance(120_000);

    // Act
    const run = await h.invoke(handler, h.timerEvent('poll-acceptance'));

    // Assert
    expect(run.summary).toMatchObject({ processed: 1, failed: 0 });
    expect(run.published).toMatchObject([
      { type: 'kvl.link.endpoints-accepted', subject: h.request.instanceId },
    ]);
  });
});
