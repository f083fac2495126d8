/** functions/on-instance-created: a CTS trace of a new Kafka instance → `kvl.link.requested` when a policy names a client. */
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler } from '../../functions/on-instance-created/handler.js';
import { type FunctionHarness, startFunctionHarness } from '../helpers/function-harness.js';

vi.mock('../../shared/runtime/link-deps.js', () => import('../helpers/link-deps.mock.js'));

const FIXTURE = JSON.parse(readFileSync(new URL('../fixtures/events/cts.json', import.meta.url), 'utf8')) as {
  cts: Record<string, unknown>;
};

let h: FunctionHarness;
beforeEach(async () => {
  h = await startFunctionHarness();
});
afterEach(async () => {
  await h.close();
});

function traceOfSeededInstance() {
  return { ...FIXTURE.cts, resource_id: h.request.instanceId, project_id: h.config.projectId };
}

describe('on-instance-created', () => {
  it('requests a link when the auto-link policy names a client for the instance', async () => {
    // Arrange
    const policy = JSON.stringify([{ client: h.request.client }]);

    // Act
    const run = await h.invoke(handler, h.ctsEvent(traceOfSeededInstance()), {
      userData: { KVL_AUTOLINK_POLICY: policy },
    });

    // Assert
    expect(run.error).toBeUndefined();
    expect(run.summary).toMatchObject({ processed: 1, failed: 0 });
    expect(run.published).toMatchObject([
      { type: 'kvl.link.requested', data: { instanceId: h.request.instanceId, client: h.request.client } },
    ]);
  });

  it('links nothing without a policy or tags naming a client', async () => {
    // Act
    const run = await h.invoke(handler, h.ctsEvent(traceOfSeededInstance()));

    // Assert
    expect(run.summary).toMatchObject({ processed: 1, failed: 0 });
    expect(run.published).toEqual([]);
  });
});
