import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  coerceFunctionGraphContext,
  createLocalContext,
  isFunctionGraphContext,
  toLambdaContext,
} from '../../../shared/runtime/index.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('createLocalContext', () => {
  it('behaves like the FunctionGraph context (reference §1.2)', () => {
    let now = 1_000;
    const ctx = createLocalContext({
      requestId: 'req-1',
      functionName: 'create-services',
      timeoutMs: 30_000,
      userData: { KVL_LOG_LEVEL: 'debug' },
      credentials: { ak: 'AK123456', sk: 'SK-secret-123', securityToken: 'tok-123456' },
      projectId: '0a1b2c3d4e5f',
      memoryMb: 512,
      now: () => now,
    });
    expect(isFunctionGraphContext(ctx)).toBe(true);
    expect(ctx.getRequestID()).toBe('req-1');
    expect(ctx.getRemainingTimeInMilliSeconds()).toBe(30_000);
    now += 12_500;
    expect(ctx.getRemainingTimeInMilliSeconds()).toBe(17_500);
    now += 60_000;
    expect(ctx.getRemainingTimeInMilliSeconds()).toBe(0);
    expect(ctx.getRunningTimeInSeconds()).toBe(30);
    expect(ctx.getUserData('KVL_LOG_LEVEL')).toBe('debug');
    expect(ctx.getUserData('NOPE')).toBeUndefined();
    expect(ctx.getFunctionName()).toBe('create-services');
    expect(ctx.getProjectID()).toBe('0a1b2c3d4e5f');
    expect(ctx.getMemorySize()).toBe('512');
    expect(ctx.getSecurityAccessKey()).toBe('AK123456');
    expect(ctx.getSecuritySecretKey()).toBe('SK-secret-123');
    expect(ctx.getSecurityToken()).toBe('tok-123456');
  });

  it('without an agency the credential getters return empty strings', () => {
    const ctx = createLocalContext({ functionName: 'f', timeoutMs: 1000 });
    expect(ctx.getSecurityAccessKey()).toBe('');
    expect(ctx.getToken()).toBe('');
    expect(ctx.getRequestID()).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('toLambdaContext', () => {
  it('maps the FunctionGraph getters to the Lambda names middy uses', () => {
    let now = 0;
    const fg = createLocalContext({
      requestId: 'req-9',
      functionName: 'patch-listeners',
      timeoutMs: 10_000,
      memoryMb: 256,
      version: 'v3',
      now: () => now,
    });
    const ctx: Context = toLambdaContext(fg);
    expect(ctx.awsRequestId).toBe('req-9');
    expect(ctx.functionName).toBe('patch-listeners');
    expect(ctx.functionVersion).toBe('v3');
    expect(ctx.memoryLimitInMB).toBe('256');
    expect(ctx.getRemainingTimeInMillis()).toBe(10_000);
    now = 4_000;
    expect(ctx.getRemainingTimeInMillis()).toBe(6_000);
    expect(toLambdaContext(fg).fg).toBe(fg);
    expect(() => ctx.succeed('x')).toThrow(/promise/);
  });

  it('is idempotent', () => {
    const ctx = toLambdaContext(createLocalContext({ functionName: 'f', timeoutMs: 1000 }));
    expect(toLambdaContext(ctx)).toBe(ctx);
  });

  it('clamps what middy would schedule (setTimeout overflows above 2^31-1 ms)', () => {
    const ctx = toLambdaContext(createLocalContext({ functionName: 'f', timeoutMs: 259_200_000 * 10 }));
    expect(ctx.getRemainingTimeInMillis()).toBeLessThanOrEqual(2 ** 31 - 1);
  });
});

describe('coerceFunctionGraphContext', () => {
  it('completes an empty context ({} from a hand-written main.js)', () => {
    const ctx = coerceFunctionGraphContext({}, { RUNTIME_TIMEOUT: '30', RUNTIME_FUNC_NAME: 'unlink' });
    expect(ctx.getFunctionName()).toBe('unlink');
    expect(ctx.getRemainingTimeInMilliSeconds()).toBeGreaterThan(29_000);
    expect(ctx.getUserData('X')).toBeUndefined();
  });

  it('keeps the methods a partial context does have', () => {
    const ctx = coerceFunctionGraphContext({ getRequestID: () => 'given', getUserData: () => 'v' }, {});
    expect(ctx.getRequestID()).toBe('given');
    expect(ctx.getUserData('k')).toBe('v');
    expect(ctx.getSecurityAccessKey()).toBe('');
  });

  it('returns a complete context unchanged', () => {
    const fg = createLocalContext({ functionName: 'f', timeoutMs: 1000 });
    expect(coerceFunctionGraphContext(fg)).toBe(fg);
  });
});

describe('middy timeoutEarlyInMillis on a FunctionGraph context', () => {
  // Fake timers (setTimeout and Date): the deadlines are exact and no test waits on real time.
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  const slow = async (_event: unknown, _ctx: Context, { signal }: { signal: AbortSignal }) => {
    await sleep(300);
    return signal.aborted ? 'aborted' : 'done';
  };

  it('really aborts with the adapter (reference §5.3)', async () => {
    const handler = middy(slow, { timeoutEarlyInMillis: 20 });
    const ctx = toLambdaContext(createLocalContext({ functionName: 'f', timeoutMs: 100 }));
    const outcome = handler({}, ctx).then(
      () => 'resolved',
      (error: unknown) => error,
    );

    // 100 ms timeout - 20 ms margin: the early timeout fires at 80 ms, well before the 300 ms work.
    await vi.advanceTimersByTimeAsync(79);
    await vi.advanceTimersByTimeAsync(1);

    expect(await outcome).toMatchObject({ name: 'TimeoutError' });
  });

  it('is silently off without it (why the adapter exists)', async () => {
    const handler = middy(slow, { timeoutEarlyInMillis: 20 });
    const raw = createLocalContext({ functionName: 'f', timeoutMs: 100 }) as unknown as Context;
    const outcome = handler({}, raw);
    await vi.advanceTimersByTimeAsync(300);
    await expect(outcome).resolves.toBe('done');
  });
});
