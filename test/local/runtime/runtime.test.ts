import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { startEmulator } from '../../../local/cloud/index.js';
import {
  FunctionBundleError,
  FunctionTimeoutError,
  type InvocationEvent,
  RuntimeStartError,
  startRuntime,
  UnknownFunctionError,
} from '../../../local/runtime/index.js';
import { cloudCall } from '../../helpers/emulator-calls.js';
import {
  type Harness,
  publish,
  resultsOf,
  START,
  startHarness,
  TEST_DIST,
  TEST_SERVERLESS,
  waitFor,
} from '../../helpers/local-runtime.js';

let harness: Harness | undefined;

afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

describe('local runtime: set-up', () => {
  it('loads every function with its URN and reports what each trigger does', async () => {
    harness = await startHarness();
    const { runtime, emulator, logs } = harness;
    const config = emulator.config();
    const byName = new Map(runtime.functions.map((f) => [f.name, f]));
    expect(byName.get('echo')?.urn).toBe(
      `urn:fss:${config.region}:${config.projectId}:function:default:echo:latest`,
    );
    expect(byName.get('echo')?.timeoutMs).toBe(30_000);
    expect(byName.get('echo')?.triggers).toEqual([
      { type: 'SMN', status: 'ACTIVE', mode: 'emulated', detail: config.topics.linkRequests },
    ]);
    expect(byName.get('kafka-consumer')?.triggers.map((t) => t.mode)).toEqual(['disabled', 'not-emulated']);
    expect(
      logs.some(
        (l) => l.includes('kafka-consumer') && l.includes('KAFKA trigger is ACTIVE but not emulated'),
      ),
    ).toBe(true);
    // SMN triggers are real subscriptions in the emulator (only the ACTIVE ones).
    const subscribed = emulator.world.subscriptions
      .filter((s) => s.protocol === 'functionstage')
      .map((s) => s.endpoint);
    expect(subscribed).toContain(runtime.functionUrn('echo'));
    expect(subscribed).not.toContain(runtime.functionUrn('kafka-consumer'));
  });

  it('tells to run the build when a bundle is missing', async () => {
    const emulator = await startEmulator({ speed: 0 });
    try {
      const empty = mkdtempSync(join(tmpdir(), 'kvl-dist-'));
      onTestFinished(() => rmSync(empty, { recursive: true, force: true }));
      const start = startRuntime({
        emulator,
        serverlessPath: TEST_SERVERLESS,
        distDir: empty,
        logSink: () => {},
      });
      await expect(start).rejects.toBeInstanceOf(FunctionBundleError);
      await expect(start).rejects.toThrow(/npm run build/);
    } finally {
      await emulator.close();
    }
  });

  it('refuses a serverless.yml whose topics do not exist in the emulator', async () => {
    const emulator = await startEmulator({ speed: 0, region: 'ap-southeast-1' });
    try {
      // The file resolves to the emulator's region and project, so this works...
      const runtime = await startRuntime({
        emulator,
        serverlessPath: TEST_SERVERLESS,
        distDir: TEST_DIST,
        logSink: () => {},
        only: ['echo'],
      });
      expect(runtime.functions.map((f) => f.name)).toEqual(['echo']);
      await runtime.close();
      // ...while a topic of another project cannot be subscribed to.
      emulator.world.topics = emulator.world.topics.filter((t) => !t.name.endsWith('kvl-link-requests'));
      await expect(
        startRuntime({
          emulator,
          serverlessPath: TEST_SERVERLESS,
          distDir: TEST_DIST,
          logSink: () => {},
          only: ['echo'],
        }),
      ).rejects.toBeInstanceOf(RuntimeStartError);
    } finally {
      await emulator.close();
    }
  });
});

describe('local runtime: SMN triggers', () => {
  it('delivers a publish with the exact SMN event and a context with agency credentials and user data', async () => {
    harness = await startHarness({ userData: { TEST_OVERRIDE: 'from-options' } });
    const { runtime, emulator } = harness;
    const config = emulator.config();
    const events: InvocationEvent[] = [];
    runtime.on('invocation', (e) => events.push(e));

    const messageId = await publish(
      emulator,
      config.topics.linkRequests,
      '{"hello":"world"}',
      'kvl.link.requested',
    );
    await runtime.idle();

    const [result] = resultsOf(runtime, 'echo');
    expect(resultsOf(runtime, 'echo')).toHaveLength(1);
    // The disabled SMN trigger on the same topic did not fire.
    expect(runtime.invocations.filter((r) => r.functionName === 'kafka-consumer')).toHaveLength(0);

    const event = result.event;
    expect(Object.keys(event).sort()).toEqual(['functionname', 'record', 'requestId', 'timestamp']);
    expect(event.functionname).toBe('echo');
    expect(event.record).toHaveLength(1);
    expect(event.record[0]).toMatchObject({
      event_version: '1.0',
      event_source: 'smn',
      smn: {
        topic_urn: config.topics.linkRequests,
        message_id: messageId,
        type: 'notification',
        subject: 'kvl.link.requested',
        message: '{"hello":"world"}',
        message_attributes: null,
        timestamp: '2026-11-25T08:59:00Z',
      },
    });
    expect(event.record[0].event_subscription_urn).toMatch(new RegExp(`^${config.topics.linkRequests}:`));

    expect(result.functionName).toBe('echo');
    expect(result.projectId).toBe(config.projectId);
    expect(result.remainingMs).toBeGreaterThan(25_000);
    expect(result.remainingMs).toBeLessThanOrEqual(30_000);
    expect(result.userData).toEqual({
      HUAWEICLOUD_ENDPOINT: emulator.endpoint,
      HUAWEICLOUD_SDK_PROJECT_ID: config.projectId,
      HUAWEICLOUD_REGION: config.region,
      TEST_GREETING: 'hello',
      TEST_OVERRIDE: 'from-options',
    });

    // Temporary agency credentials, never the account's permanent keys...
    expect(result.credentials.ak).not.toBe(config.ak);
    expect(result.credentials.sk).not.toBe(config.sk);
    expect(result.credentials.securityToken).not.toBe('');
    expect(result.token).not.toBe('');
    // ...that the emulator accepts (with their security token).
    const listed = await cloudCall(emulator, {
      method: 'GET',
      path: `/v2/${config.projectId}/notifications/topics`,
      credentials: { ...result.credentials, projectId: config.projectId },
    });
    expect(listed.status).toBe(200);

    expect(
      events.filter((e) => e.functionName === 'echo').map((e) => [e.phase, e.attempt, e.trigger]),
    ).toEqual([
      ['start', 1, 'SMN'],
      ['end', 1, 'SMN'],
    ]);
    expect(events.find((e) => e.phase === 'end')?.requestId).toBe(result.requestId);
    // Function logs go to the log sink, not to stdout.
    expect(
      harness.logs.some((l) => l.startsWith('[echo] ') && l.includes(`${result.requestId}-INFO invoked`)),
    ).toBe(true);
  });

  it('reuses the cached agency credentials and renews them when half their lifetime has passed', async () => {
    harness = await startHarness({ credentialDurationSeconds: 3600 });
    const { runtime, emulator } = harness;
    const first = (await runtime.invoke('echo', {})) as any;
    const second = (await runtime.invoke('echo', {})) as any;
    expect(second.credentials.ak).toBe(first.credentials.ak);
    expect(second.requestId).not.toBe(first.requestId);
    emulator.clock.advance(31 * 60_000);
    const third = (await runtime.invoke('echo', {})) as any;
    expect(third.credentials.ak).not.toBe(first.credentials.ak);
  });

  it('idle() waits for a whole chain: chain-a publishes to the topic that triggers chain-b', async () => {
    harness = await startHarness();
    const { runtime, emulator } = harness;
    await publish(emulator, emulator.config().topics.endpointsAccepted, 'step-1');
    await runtime.idle();
    expect(resultsOf(runtime, 'chain-a')).toHaveLength(1);
    const [b] = resultsOf(runtime, 'chain-b');
    expect(b.event.record[0].smn.message).toBe('from chain-a: step-1');
    expect(b.event.record[0].smn.topic_urn).toBe(emulator.config().topics.servicesReady);
  });
});

describe('local runtime: timers', () => {
  it('fires Rate, @every and Cron timers on the emulator clock with the exact timer event', async () => {
    harness = await startHarness();
    const { runtime, emulator } = harness;
    emulator.clock.advance(60_000);
    await runtime.idle();

    const ticks = resultsOf(runtime, 'ticker');
    expect(ticks.map((r) => r.event)).toEqual([
      {
        version: 'v1.0',
        time: '2026-11-25T09:00:00+00:00',
        trigger_type: 'TIMER',
        trigger_name: 'test-ticker',
        user_event: '{"job":"tick"}',
      },
    ]);
    expect(resultsOf(runtime, 'every').map((r) => r.event.time)).toEqual([
      '2026-11-25T08:59:30+00:00',
      '2026-11-25T09:00:00+00:00',
    ]);
    expect(resultsOf(runtime, 'every')[0].event.user_event).toBe('');
    expect(resultsOf(runtime, 'cron').map((r) => [r.event.time, r.event.user_event])).toEqual([
      ['2026-11-25T09:00:00+00:00', 'hourly'],
    ]);

    // The hourly cron re-arms itself for the next hour.
    emulator.clock.advance(3_600_000);
    await runtime.idle();
    expect(resultsOf(runtime, 'cron').map((r) => r.event.time)).toEqual([
      '2026-11-25T09:00:00+00:00',
      '2026-11-25T10:00:00+00:00',
    ]);
    expect(resultsOf(runtime, 'ticker')).toHaveLength(61);
  });

  it('reads Cron as FunctionGraph does: 6 fields seconds-first, a 5-field crontab line refused', async () => {
    // Arrange: the fixture's hourly trigger rewritten, once per spelling.
    const withSchedule = (schedule: string) => {
      const dir = mkdtempSync(join(tmpdir(), 'kvl-cron-'));
      onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
      const file = join(dir, 'serverless.yml');
      const text = readFileSync(TEST_SERVERLESS, 'utf8').replace('"0 0 * * * ?"', JSON.stringify(schedule));
      writeFileSync(file, text);
      return file;
    };

    // Act + Assert: `0 * * * *` is hourly in crontab but every minute read seconds-first; refused.
    const refused = startHarness({ only: ['cron'], serverlessPath: withSchedule('0 * * * *') });
    await expect(refused).rejects.toBeInstanceOf(RuntimeStartError);
    await expect(refused).rejects.toThrow(/function cron: TIMER trigger: .*"test-hourly".*has 5 fields/);

    // Act: the 6-field spellings of "hourly" and "every minute" over two emulated hours.
    const hourly = await startHarness({ only: ['cron'], serverlessPath: withSchedule('0 0 * * * ?') });
    hourly.emulator.clock.advance(2 * 3_600_000);
    await hourly.runtime.idle();
    const hourlyTimes = resultsOf(hourly.runtime, 'cron').map((r) => r.event.time);
    await hourly.close();
    harness = await startHarness({ only: ['cron'], serverlessPath: withSchedule('0 * * * * ?') });
    harness.emulator.clock.advance(2 * 3_600_000);
    await harness.runtime.idle();

    // Assert
    expect(hourlyTimes).toEqual(['2026-11-25T09:00:00+00:00', '2026-11-25T10:00:00+00:00']);
    expect(resultsOf(harness.runtime, 'cron')).toHaveLength(120);
  });

  it('fires timers by real time when the emulator clock runs fast, and stops them on close', async () => {
    harness = await startHarness({ only: ['ticker'] }, { speed: 3000 });
    const { runtime } = harness;
    await waitFor(() => resultsOf(runtime, 'ticker').length >= 2);
    await runtime.close();
    await new Promise((r) => setTimeout(r, 100));
    const count = runtime.invocations.length;
    await new Promise((r) => setTimeout(r, 100));
    expect(runtime.invocations.length).toBe(count);
  });
});

describe('local runtime: CTS triggers', () => {
  it('invokes only the functions whose operations match the trace', async () => {
    harness = await startHarness();
    const { runtime, emulator } = harness;
    const instance = emulator.createKafkaInstance({ name: 'kafka-fresh', createDelayMs: 5_000 });
    emulator.clock.advance(5_000);
    await runtime.idle();

    const created = resultsOf(runtime, 'on-created');
    expect(created).toHaveLength(1);
    expect(created[0].event.cts).toMatchObject({
      service_type: 'DMS',
      resource_type: 'kafka',
      resource_id: instance.instanceId,
      trace_name: 'createDMSInstanceTaskSuccess',
    });
    expect(
      runtime.invocations.filter((r) => r.functionName === 'on-deleted' || r.functionName === 'on-rabbit'),
    ).toEqual([]);
  });
});

describe('local runtime: failures', () => {
  it('retries a failing async invocation, then records it and publishes the destination record', async () => {
    harness = await startHarness();
    const { runtime, emulator } = harness;
    const config = emulator.config();
    const phases: string[] = [];
    runtime.on('invocation', (e) => {
      if (e.functionName === 'flaky') phases.push(`${e.phase}:${e.attempt}`);
    });

    await publish(emulator, config.topics.unlinkRequests, 'doomed');
    await runtime.idle();

    expect(phases).toEqual([
      'start:1',
      'error:1',
      'retry:2',
      'start:2',
      'error:2',
      'retry:3',
      'start:3',
      'error:3',
    ]);
    expect(runtime.failures).toHaveLength(1);
    const [failure] = runtime.failures;
    expect(failure).toMatchObject({
      functionName: 'flaky',
      functionUrn: runtime.functionUrn('flaky'),
      attempts: 3,
      condition: 'RetriesExhausted',
      error: 'Error: flaky failure',
      destination: { type: 'SMN', topicUrn: config.topics.events },
    });
    expect((failure?.event as any)?.record[0].smn.message).toBe('doomed');

    const deadLetters = emulator.world.messages.filter((m) => m.topicUrn === config.topics.events);
    expect(deadLetters).toHaveLength(1);
    expect(deadLetters[0]?.messageId).toBe(failure?.destination?.messageId);
    const record = JSON.parse(deadLetters[0]?.message ?? '{}');
    expect(record).toEqual({
      timestamp: failure?.time,
      request_context: {
        request_id: failure?.requestId,
        function_urn: runtime.functionUrn('flaky'),
        condition: 'RetriesExhausted',
        approximate_invoke_count: 3,
      },
      request_payload: JSON.stringify(failure?.event),
      response_context: { status_code: 200, function_error: 'Error: flaky failure' },
      response_payload: '',
    });
  });

  it('enforces the function timeout (sync invoke rejects; async gives up without retries when configured)', async () => {
    harness = await startHarness({ functionTimeoutMs: { sleepy: 100 } });
    const { runtime } = harness;
    const started = Date.now();
    await expect(runtime.invoke('sleepy', { sleepMs: 5_000 })).rejects.toBeInstanceOf(FunctionTimeoutError);
    expect(Date.now() - started).toBeLessThan(2_000);

    const requestId = runtime.invokeAsync('sleepy', { sleepMs: 5_000 });
    await runtime.idle();
    expect(runtime.failures).toMatchObject([
      {
        functionName: 'sleepy',
        requestId,
        attempts: 1,
        error: expect.stringMatching(/timed out after 100 ms/),
      },
    ]);
    expect(runtime.invocations.map((r) => r.status)).toEqual(['timeout', 'timeout']);
    // A handler within its timeout is fine.
    await expect(runtime.invoke('sleepy', { sleepMs: 1 })).resolves.toMatchObject({ woke: true });
  });

  it('supports callback-style handlers, unknown functions are refused', async () => {
    harness = await startHarness();
    const { runtime } = harness;
    await expect(runtime.invoke('callback-style', { n: 7 })).resolves.toMatchObject({ ok: true, n: 7 });
    await expect(runtime.invoke('callback-style', { fail: true })).rejects.toThrow('callback failure');
    expect(() => runtime.invokeAsync('nope', {})).toThrow(UnknownFunctionError);
    await expect(runtime.invoke('nope', {})).rejects.toBeInstanceOf(UnknownFunctionError);
  });
});

describe('local runtime: concurrency', () => {
  it('runs at most `concurrency` invocations of one function at a time', async () => {
    (globalThis as any).__kvlConcurrent = { active: 0, max: 0 };
    harness = await startHarness({ concurrency: 3 });
    const { runtime } = harness;
    for (let i = 0; i < 10; i++) runtime.invokeAsync('concurrent', {});
    await runtime.idle();
    expect(resultsOf(runtime, 'concurrent')).toHaveLength(10);
    expect((globalThis as any).__kvlConcurrent.max).toBe(3);
  });
});

describe('local runtime: start time', () => {
  it('uses the emulator clock for the invocation history', async () => {
    harness = await startHarness();
    await harness.runtime.invoke('echo', {});
    expect(harness.runtime.invocations[0]?.startedAt).toBe(new Date(START).toISOString());
  });
});
