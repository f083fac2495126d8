/**
 * The local runtime on what was deployed (`startRuntime({source: 'deployed'})`): the code comes from
 * the zips in the emulator's FunctionGraph, triggers from the deployed trigger records, retries and
 * the failure destination from the async-invoke configuration, and redeploys are picked up live.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FunctionGraphClient } from '../../deploy/functiongraph-client.js';
import { type EmulatorHandle, startEmulator } from '../../local/cloud/server.js';
import { type LocalRuntime, startRuntime } from '../../local/runtime/index.js';
import { functionGraph, handlerCode, testFunction, zipOf } from '../helpers/deploy.js';
import { publish } from '../helpers/local-runtime.js';

let emu: EmulatorHandle;
let fg: FunctionGraphClient;
let runtime: LocalRuntime;
let logs: string[];

beforeEach(async () => {
  emu = await startEmulator({ speed: 0 });
  fg = functionGraph(emu);
  logs = [];
  runtime = await startRuntime({
    emulator: emu,
    source: 'deployed',
    retryDelayMs: 5,
    logSink: (line) => logs.push(line),
  });
});
afterEach(async () => {
  await runtime.close();
  await emu.close();
});

/** Lets the deferred "functions changed" notification reach the runtime. */
async function reloaded(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
}

const ok = (name: string) =>
  runtime.invocations.filter((r) => r.functionName === name && r.status === 'ok').map((r) => r.result as any);

describe('local runtime on deployed functions', () => {
  it('runs what is deployed, from its zip, on its SMN and timer triggers, and follows a redeploy', async () => {
    expect(runtime.functions).toEqual([]);
    const { linkRequests } = emu.config().topics;
    const { funcUrn } = await fg.createFunction(testFunction('chain'));
    await fg.createTrigger(funcUrn, {
      triggerTypeCode: 'SMN',
      triggerStatus: 'ACTIVE',
      eventData: { topic_urn: linkRequests },
    });
    await fg.createTrigger(funcUrn, {
      triggerTypeCode: 'TIMER',
      triggerStatus: 'ACTIVE',
      eventData: { name: 'tick', schedule_type: 'Rate', schedule: '1m', user_event: '{"job":"tick"}' },
    });
    await reloaded();
    expect(runtime.functions).toEqual([
      expect.objectContaining({
        name: 'kvl-test-chain',
        urn: funcUrn,
        timeoutMs: 30_000,
        triggers: [
          expect.objectContaining({ type: 'SMN', mode: 'emulated', detail: linkRequests }),
          expect.objectContaining({ type: 'TIMER', mode: 'emulated' }),
        ],
      }),
    ]);

    await publish(emu, linkRequests, '{"n":1}');
    await runtime.idle();
    expect(ok('kvl-test-chain')).toHaveLength(1);
    expect(ok('kvl-test-chain')[0]).toMatchObject({ version: 'v1', greeting: 'hello' });
    expect(ok('kvl-test-chain')[0].event.record[0].smn.message).toBe('{"n":1}');

    emu.clock.advance(60_000);
    await runtime.idle();
    const timerRuns = runtime.invocations.filter((r) => r.trigger === 'TIMER');
    expect(timerRuns).toHaveLength(1);
    expect((timerRuns[0]!.result as any).event.user_event).toBe('{"job":"tick"}');

    await fg.updateFunctionCode(funcUrn, zipOf({ 'index.js': handlerCode('v2') }));
    await reloaded();
    await publish(emu, linkRequests, '{"n":2}');
    await runtime.idle();
    expect(ok('kvl-test-chain').map((r) => r.version)).toEqual(['v1', 'v1', 'v2']);

    // A configuration change alone (the frozen clock gives it the same timestamp) is picked up too.
    await fg.updateFunctionConfig(funcUrn, {
      ...testFunction('chain'),
      funcName: 'kvl-test-chain',
      userData: { GREETING: 'changed' },
    });
    await reloaded();
    expect(await runtime.invoke('kvl-test-chain', {})).toMatchObject({ version: 'v2', greeting: 'changed' });
  });

  it('retries as the async configuration says, then publishes the record to its on-failure topic', async () => {
    const { linkRequests, events } = emu.config().topics;
    const { funcUrn } = await fg.createFunction(testFunction('fails'));
    await fg.createTrigger(funcUrn, {
      triggerTypeCode: 'SMN',
      triggerStatus: 'ACTIVE',
      eventData: { topic_urn: linkRequests },
    });
    await fg.putAsyncInvokeConfig(funcUrn, {
      maxAsyncRetryAttempts: 2,
      maxAsyncEventAgeInSeconds: 3600,
      onFailure: { destination: 'SMN', param: { topic_urn: events } },
    });
    await reloaded();
    expect(runtime.spec.functions[0]?.asyncInvoke).toEqual({
      maxAsyncRetryAttempts: 2,
      maxAsyncEventAgeInSeconds: 3600,
      onFailure: { destination: 'SMN', topicUrn: events },
    });

    // The test handler fails on `{fail}` events; an SMN event carries the text in record[].smn.message,
    // so invoke asynchronously with a failing event directly.
    runtime.invokeAsync('kvl-test-fails', { fail: 'always' });
    await runtime.idle();
    expect(runtime.invocations.filter((r) => r.status === 'error')).toHaveLength(3);
    expect(runtime.failures).toHaveLength(1);
    const records = emu.world.messages.filter((m) => m.topicUrn === events);
    expect(records).toHaveLength(1);
    expect(JSON.parse(records[0]!.message).request_context).toMatchObject({
      function_urn: funcUrn,
      approximate_invoke_count: 3,
    });
  });

  it('stops a deleted function and its timers, and refuses a package with unsafe paths', async () => {
    const { funcUrn } = await fg.createFunction(testFunction('gone'));
    await fg.createTrigger(funcUrn, {
      triggerTypeCode: 'TIMER',
      triggerStatus: 'ACTIVE',
      eventData: { name: 'tick', schedule_type: 'Rate', schedule: '1m' },
    });
    await reloaded();
    expect(runtime.functions.map((f) => f.name)).toEqual(['kvl-test-gone']);
    await fg.deleteFunction(funcUrn);
    await reloaded();
    expect(runtime.functions).toEqual([]);
    emu.clock.advance(5 * 60_000);
    await runtime.idle();
    expect(runtime.invocations).toEqual([]);

    await fg.createFunction({
      ...testFunction('unsafe'),
      zip: zipOf({ '../escape.js': 'x', 'index.js': handlerCode('v1') }),
    });
    await reloaded();
    expect(runtime.functions).toEqual([]);
    expect(logs.some((line) => line.includes('kvl-test-unsafe') && line.includes('unsafe path'))).toBe(true);
  });
});
