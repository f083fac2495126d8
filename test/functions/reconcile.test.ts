/** functions/reconcile: a timer tick reports drift, and repairs it unless told not to. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler } from '../../functions/reconcile/handler.js';
import { type FunctionHarness, startFunctionHarness } from '../helpers/function-harness.js';

vi.mock('../../shared/runtime/link-deps.js', () => import('../helpers/link-deps.mock.js'));

let h: FunctionHarness;
beforeEach(async () => {
  h = await startFunctionHarness();
});
afterEach(async () => {
  await h.close();
});

describe('reconcile', () => {
  it('publishes a kvl.reconcile.report on every tick', async () => {
    // Act
    const run = await h.invoke(handler, h.timerEvent('reconcile'));

    // Assert
    expect(run.error).toBeUndefined();
    expect(run.summary).toMatchObject({ processed: 1, failed: 0 });
    expect(run.published.map((e) => e.type)).toEqual(['kvl.reconcile.report']);
  });

  it('fails the invocation, naming the variable, when KVL_RECONCILE_REPAIR is not a boolean', async () => {
    // Act
    const run = await h.invoke(handler, h.timerEvent('reconcile'), {
      userData: { KVL_RECONCILE_REPAIR: 'sometimes' },
    });

    // Assert: a configuration error is fatal: no report, no repair.
    expect(run.summary).toBeUndefined();
    expect(String(run.error)).toContain('KVL_RECONCILE_REPAIR');
    expect(run.published).toEqual([]);
  });
});
