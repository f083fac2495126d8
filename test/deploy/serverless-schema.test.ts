/**
 * One schema of serverless.yml (deploy/serverless-schema.ts) for its two readers: the deployer's
 * plan (deploy/serverless-plugin/plan.ts) and the local runtime (local/runtime/serverless.ts). What
 * one deploys is what the other runs: async retries, event age, trigger status, user data.
 */

import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { buildDeployPlan, DeployConfigError } from '../../deploy/serverless-plugin/plan.js';
import { ASYNC_INVOKE_DEFAULTS } from '../../deploy/serverless-schema.js';
import { parseServerless, ServerlessConfigError } from '../../local/runtime/serverless.js';

const PROJECT = '0123456789abcdef0123456789abcdef';

/** A service with variables already resolved: both readers see the same object. */
function service(functions: Record<string, unknown>) {
  return {
    service: 'kvl',
    provider: { name: 'huawei', runtime: 'Node.js20.15', region: 'eu-west-101' },
    functions,
  };
}

function read(input: ReturnType<typeof service>) {
  const runtime = parseServerless(stringify(input), { env: {} });
  const plan = buildDeployPlan(input, { stage: 't', projectId: PROJECT });
  return {
    runtime: Object.fromEntries(runtime.functions.map((f) => [f.name, f])),
    plan: Object.fromEntries(plan.functions.map((f) => [f.key, f])),
  };
}

describe('serverless.yml, as the deployer and the local runtime read it', () => {
  it("applies FunctionGraph's async defaults (1 retry, 3600 s) when a function has no asyncInvoke", () => {
    // Arrange
    const input = service({ plain: { handler: 'index.handler' } });

    // Act
    const { runtime, plan } = read(input);

    // Assert: the deployer sets no configuration, so FunctionGraph's defaults apply; the local
    // runtime retries as FunctionGraph would.
    expect(ASYNC_INVOKE_DEFAULTS).toEqual({ maxAsyncRetryAttempts: 1, maxAsyncEventAgeInSeconds: 3600 });
    expect(plan.plain?.asyncInvoke).toBeUndefined();
    expect(runtime.plain?.asyncInvoke).toEqual(ASYNC_INVOKE_DEFAULTS);
  });

  it('reads the same async configuration, trigger status and user data', () => {
    // Arrange
    const input = service({
      tuned: {
        handler: 'index.handler',
        userData: { A: 'x', N: 3, EMPTY: null },
        asyncInvoke: { maxAsyncRetryAttempts: 3, maxAsyncEventAgeInSeconds: 60 },
        events: [
          { triggerTypeCode: 'TIMER', eventData: { name: 'tick', scheduleType: 'Rate', schedule: '1m' } },
          { triggerTypeCode: 'KAFKA', eventData: { instanceId: 'i-1', topicIds: ['t'] } },
        ],
      },
      partial: { handler: 'index.handler', asyncInvoke: { maxAsyncRetryAttempts: 0 } },
    });

    // Act
    const { runtime, plan } = read(input);

    // Assert
    expect(runtime.tuned?.asyncInvoke).toEqual({ maxAsyncRetryAttempts: 3, maxAsyncEventAgeInSeconds: 60 });
    expect(plan.tuned?.asyncInvoke).toMatchObject({
      maxAsyncRetryAttempts: 3,
      maxAsyncEventAgeInSeconds: 60,
    });
    expect(runtime.partial?.asyncInvoke).toEqual({
      maxAsyncRetryAttempts: 0,
      maxAsyncEventAgeInSeconds: 3600,
    });
    expect(plan.partial?.asyncInvoke).toMatchObject({
      maxAsyncRetryAttempts: 0,
      maxAsyncEventAgeInSeconds: 3600,
    });
    // A Kafka trigger starts DISABLED on FunctionGraph, a timer ACTIVE: both readers agree.
    expect(runtime.tuned?.events.map((e) => [e.triggerTypeCode, e.status])).toEqual([
      ['TIMER', 'ACTIVE'],
      ['KAFKA', 'DISABLED'],
    ]);
    expect(plan.tuned?.triggers.map((t) => [t.triggerTypeCode, t.triggerStatus])).toEqual([
      ['TIMER', 'ACTIVE'],
      ['KAFKA', 'DISABLED'],
    ]);
    expect(runtime.tuned?.userData).toEqual({ A: 'x', N: '3', EMPTY: '' });
    expect(plan.tuned?.userData).toEqual(runtime.tuned?.userData);
  });

  it('refuses the same bad value with the same message', () => {
    // Arrange
    const input = service({ bad: { handler: 'index.handler', asyncInvoke: { maxAsyncRetryAttempts: 4 } } });

    // Act
    const errors = [
      (() => {
        try {
          parseServerless(stringify(input), { env: {} });
        } catch (error) {
          return error;
        }
      })(),
      (() => {
        try {
          buildDeployPlan(input, { stage: 't', projectId: PROJECT });
        } catch (error) {
          return error;
        }
      })(),
    ] as Error[];

    // Assert
    expect(errors[0]).toBeInstanceOf(ServerlessConfigError);
    expect(errors[1]).toBeInstanceOf(DeployConfigError);
    expect(errors[0]?.message).toMatch(
      /^serverless\.yml: functions\.bad\.asyncInvoke\.maxAsyncRetryAttempts: /,
    );
    expect(errors[1]?.message).toBe(errors[0]?.message);
  });
});
