import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CloudApiError, ThrottledError } from '../../../shared/cloud/errors.js';
import type { SmnClient } from '../../../shared/cloud/types.js';
import { type CloudEvent, type CloudEventOf, newCloudEvent } from '../../../shared/events/index.js';
import { LinkRejectedError } from '../../../shared/link/errors.js';
import {
  ConfigError,
  classifyError,
  clearRegisteredSecrets,
  configLoader,
  createLocalContext,
  type DepsContext,
  dependencies,
  functionGraphContext,
  type HandlerTools,
  InvocationTimeoutError,
  kvlHandler,
  MiddlewareOptionsError,
  structuredLogger,
  TerminalError,
  triggerParser,
  UnknownOptionError,
} from '../../../shared/runtime/index.js';
import { createMemoryPublisher } from '../../helpers/memory-publisher.js';
import { createMemorySink } from '../../helpers/memory-sink.js';

afterEach(() => clearRegisteredSecrets());

const INSTANCE = '2a9b6c1d-3e4f-5a6b-7c8d-9e0f1a2b3c4d';
const client = { vpcId: 'vpc-client-1', subnetId: 'subnet-client-1' };
const SK = 'SK-agency-VerySecret-0123456789';
const TOKEN = 'sts-token-ABCDEFGHIJKLMNOPQRSTUVWXYZ';

const TOPICS = {
  KVL_TOPIC_LINK_REQUESTS: 'urn:smn:eu-west-101:proj1:kvl-link-requests',
  KVL_TOPIC_SERVICES_READY: 'urn:smn:eu-west-101:proj1:kvl-services-ready',
  KVL_TOPIC_ENDPOINTS_ACCEPTED: 'urn:smn:eu-west-101:proj1:kvl-endpoints-accepted',
  KVL_TOPIC_UNLINK_REQUESTS: 'urn:smn:eu-west-101:proj1:kvl-unlink-requests',
  KVL_TOPIC_EVENTS: 'urn:smn:eu-west-101:proj1:kvl-events',
};
const ENV = { HUAWEICLOUD_REGION: 'eu-west-101', HUAWEICLOUD_SDK_PROJECT_ID: 'proj1', ...TOPICS };

function fixture(name: string): Record<string, unknown> {
  return JSON.parse(
    readFileSync(new URL(`../../fixtures/events/${name}.json`, import.meta.url), 'utf8'),
  ) as Record<string, unknown>;
}

function context(timeoutMs = 30_000) {
  return createLocalContext({
    requestId: 'req-42',
    functionName: 'create-services',
    timeoutMs,
    credentials: { ak: 'AK-agency-0123456789', sk: SK, securityToken: TOKEN },
  });
}

function request(id: string, vpcId = client.vpcId): CloudEventOf<'kvl.link.requested'> {
  return newCloudEvent('kvl.link.requested', {
    source: 'kvl/cli',
    id,
    data: { instanceId: INSTANCE, client: { ...client, vpcId } },
  });
}

function smnOf(...messages: Array<string | object>) {
  return {
    record: messages.map((m, i) => ({
      event_source: 'smn',
      smn: {
        topic_urn: TOPICS.KVL_TOPIC_LINK_REQUESTS,
        message_id: `m${i}`,
        message: typeof m === 'string' ? m : JSON.stringify(m),
      },
    })),
  };
}

type Handle = (
  event: CloudEventOf<'kvl.link.requested'>,
  deps: { marker: string },
  tools: HandlerTools,
) => Promise<CloudEvent[] | undefined>;

function servicesReady(event: CloudEventOf<'kvl.link.requested'>, tools: HandlerTools) {
  return tools.newEvent('kvl.link.services-ready', {
    ...event.data,
    services: [{ listenerIp: '192.168.0.11', portId: 'port-a', serviceId: 'svc-a', serviceName: 'svc.a' }],
  });
}

function setup(
  handle: Handle = async (e, _d, t) => [servicesReady(e, t)],
  extra: { timeoutEarlyInMillis?: number } = {},
) {
  const publisher = createMemoryPublisher();
  const sink = createMemorySink();
  const seen: Array<{
    event: CloudEventOf<'kvl.link.requested'>;
    deps: { marker: string };
    tools: HandlerTools;
  }> = [];
  const handler = kvlHandler(
    {
      name: 'create-services',
      accepts: ['kvl.link.requested'],
      handle: async (event, deps, tools) => {
        seen.push({ event, deps, tools });
        return handle(event, deps, tools);
      },
    },
    {
      createDeps: () => ({ marker: 'deps' }),
      publisher: () => publisher,
      env: ENV,
      logSink: sink,
      logLevel: 'debug',
      ...extra,
    },
  );
  return { handler, publisher, sink, seen };
}

describe('kvlHandler: the happy path', () => {
  it('an SMN-wrapped link request reaches handle, and its outputs are published with the correlation id', async () => {
    const { handler, publisher, seen } = setup();
    const summary = await handler(fixture('smn'), context());
    expect(summary).toEqual({ processed: 1, published: 1, rejected: 0, failed: 0 });
    expect(seen).toHaveLength(1);
    const [{ event, deps, tools }] = seen as [(typeof seen)[number]];
    expect(event.type).toBe('kvl.link.requested');
    expect(event.data.options).toMatchObject({
      securityGroupRule: true,
      whitelist: ['f5e4d3c2b1a04f5e9d8c7b6a5f4e3d2c'],
    });
    expect(deps).toEqual({ marker: 'deps' });
    expect(tools.transport).toBe('smn');
    expect(tools.config.projectId).toBe('proj1');
    expect(tools.remainingMs()).toBeGreaterThan(20_000);
    const [out] = publisher.events;
    expect(out).toMatchObject({
      type: 'kvl.link.services-ready',
      source: 'kvl/create-services',
      subject: INSTANCE,
      correlationid: event.id,
    });
  });

  it('handles each message of a Kafka batch, strings and {message} alike', async () => {
    const { handler, seen } = setup(async () => []);
    const summary = await handler(fixture('kafka'), context());
    expect(summary).toEqual({ processed: 2, published: 0, rejected: 0, failed: 0 });
    expect(seen.map((s) => s.tools.transport)).toEqual(['kafka', 'kafka']);
  });

  it('accepts a bare CloudEvent (direct invoke) and a missing context', async () => {
    const { handler, seen } = setup(async () => undefined);
    await expect(handler(fixture('direct'))).resolves.toMatchObject({ processed: 1 });
    expect(seen).toHaveLength(1);
  });

  it('measures the deadline with the deps clock, the one the domain compares it with', async () => {
    // Arrange: deps whose clock reads a fixed epoch far from the wall clock (like the emulator's).
    const EMULATED_NOW = Date.UTC(2030, 0, 1);
    const clock = { now: () => EMULATED_NOW, sleep: async () => {} };
    const seen: HandlerTools[] = [];
    const handler = kvlHandler(
      {
        name: 'create-services',
        accepts: ['kvl.link.requested'],
        handle: async (_event, _deps, tools) => {
          seen.push(tools);
          return [];
        },
      },
      { createDeps: () => ({ clock }), publisher: () => createMemoryPublisher(), env: ENV },
    );

    // Act
    await handler(fixture('smn'), context(30_000));

    // Assert: 30 s function timeout minus the 1 s early-timeout margin, on the deps clock.
    const [tools] = seen as [HandlerTools];
    expect(tools.deadline).toBeGreaterThan(EMULATED_NOW + 28_000);
    expect(tools.deadline).toBeLessThanOrEqual(EMULATED_NOW + 29_000);
    expect(tools.remainingMs()).toBe(tools.deadline - EMULATED_NOW);
  });

  it('logs JSON lines with requestId, step and instanceId, and no secret', async () => {
    const { handler, sink } = setup(async (e, _d, t) => {
      t.logger.info('working', { credentials: { sk: SK }, note: `token is ${TOKEN}` });
      return [servicesReady(e, t)];
    });
    await handler(fixture('smn'), context());
    const entries = sink.entries();
    const working = entries.find((e) => e.message === 'working');
    expect(working).toMatchObject({ requestId: 'req-42', step: 'create-services', instanceId: INSTANCE });
    expect(working?.note).toBe('token is ***');
    expect(entries.at(-1)).toMatchObject({ message: 'invocation finished', processed: 1, published: 1 });
    expect(sink.lines.join('\n')).not.toContain(SK);
    expect(sink.lines.join('\n')).not.toContain(TOKEN);
  });
});

describe('kvlHandler: invalid input', () => {
  it('an invalid request produces exactly one kvl.link.failed naming the field, and no handle call', async () => {
    const { handler, publisher, seen } = setup();
    const good = request('req-bad');
    const bad = { ...good, data: { ...good.data, client: { ...client, vpcId: '../etc' } } };
    const summary = await handler(smnOf(bad), context());
    expect(seen).toHaveLength(0);
    expect(summary).toEqual({ processed: 0, published: 1, rejected: 1, failed: 0 });
    expect(publisher.events).toHaveLength(1);
    expect(publisher.events[0]).toMatchObject({
      type: 'kvl.link.failed',
      subject: INSTANCE,
      correlationid: 'req-bad',
      data: {
        instanceId: INSTANCE,
        step: 'create-services',
        field: 'data.client.vpcId',
        code: 'InvalidEvent',
      },
    });
  });

  it('in a batch only the bad messages are rejected', async () => {
    const { handler, publisher, seen } = setup(async () => []);
    const summary = await handler(
      smnOf(
        request('ok-1'),
        '{"not json',
        { ...request('wrong-type'), type: 'kvl.link.unlink-requested' },
        request('ok-2'),
      ),
      context(),
    );
    expect(seen.map((s) => s.event.id)).toEqual(['ok-1', 'ok-2']);
    expect(summary).toEqual({ processed: 2, published: 2, rejected: 2, failed: 0 });
    expect(publisher.ofType('kvl.link.failed').map((e) => e.data.field)).toEqual(['(event)', 'type']);
  });

  it('a malformed envelope becomes one kvl.link.failed, not an exception', async () => {
    const { handler, publisher } = setup();
    await expect(handler({ record: [{ smn: { message: 42 } }] }, context())).resolves.toMatchObject({
      rejected: 1,
    });
    expect(publisher.events[0]?.data).toMatchObject({ field: 'record[0].smn.message' });
  });

  it('a timer event sent to a queue function is rejected', async () => {
    const { handler, publisher } = setup();
    await handler(fixture('timer'), context());
    expect(publisher.events[0]?.data).toMatchObject({ step: 'create-services', field: '(event)' });
  });

  it('an output that breaks its contract ends the link instead of leaving the function', async () => {
    const { handler, publisher } = setup(async (e) => [
      { ...e, type: 'kvl.link.services-ready', data: { ...e.data, services: [] } } as CloudEvent,
    ]);
    const summary = await handler(fixture('smn'), context());
    expect(summary).toMatchObject({ processed: 0, failed: 1 });
    expect(publisher.events.map((e) => e.type)).toEqual(['kvl.link.failed']);
    expect(publisher.events[0]?.data).toMatchObject({ field: 'data.services' });
  });
});

describe('kvlHandler: error policy', () => {
  it('a terminal domain error publishes kvl.link.failed with step, field, code and correlation id', async () => {
    const { handler, publisher } = setup(async () => {
      throw new LinkRejectedError(
        'read-instance',
        'instance is CREATING, not RUNNING',
        'status',
        'InstanceNotRunning',
      );
    });
    const summary = await handler(smnOf(request('req-7')), context());
    expect(summary).toEqual({ processed: 0, published: 1, rejected: 0, failed: 1 });
    expect(publisher.events[0]).toMatchObject({
      type: 'kvl.link.failed',
      correlationid: 'req-7',
      data: {
        instanceId: INSTANCE,
        step: 'read-instance',
        reason: 'status: instance is CREATING, not RUNNING',
        field: 'status',
        code: 'InstanceNotRunning',
      },
    });
  });

  it('a non-retryable cloud error is terminal too (code from the API), and secrets in it are redacted', async () => {
    const { handler, publisher } = setup(async () => {
      throw new CloudApiError({
        service: 'vpcep',
        httpStatus: 400,
        code: 'EndPoint.0001',
        serverMessage: `bad request (echo: ${SK})`,
      });
    });
    await handler(smnOf(request('req-8')), context());
    const failed = publisher.ofType('kvl.link.failed')[0];
    expect(failed?.data.code).toBe('EndPoint.0001');
    expect(failed?.data.reason).not.toContain(SK);
    expect(failed?.data.reason).toContain('***');
  });

  it('a TerminalError and an unknown error both end the link', async () => {
    for (const error of [new TerminalError('no quota', { code: 'Quota' }), new TypeError('x is undefined')]) {
      const { handler, publisher } = setup(async () => {
        throw error;
      });
      await expect(handler(smnOf(request('r')), context())).resolves.toMatchObject({ failed: 1 });
      expect((publisher.events[0]?.data as { code?: string } | undefined)?.code).toBe(
        error instanceof TerminalError ? 'Quota' : 'TypeError',
      );
    }
  });

  it('a retryable error is rethrown for FunctionGraph to redeliver; finished work is still published', async () => {
    const throttled = new ThrottledError({
      service: 'vpcep',
      httpStatus: 429,
      code: 'APIGW.0308',
      serverMessage: 'slow down',
    });
    const { handler, publisher, sink } = setup(async (e, _d, t) => {
      if (e.id === 'flaky') throw throttled;
      return [servicesReady(e, t)];
    });
    await expect(handler(smnOf(request('flaky'), request('fine')), context())).rejects.toBe(throttled);
    expect(publisher.events.map((e) => [e.type, e.correlationid])).toEqual([
      ['kvl.link.services-ready', 'fine'],
    ]);
    expect(publisher.ofType('kvl.link.failed')).toHaveLength(0);
    expect(sink.entries().at(-1)).toMatchObject({
      level: 'warn',
      message: 'invocation failed; will be retried',
    });
  });

  it('a retryable flag on the cause counts (a domain wrapper around a 503)', async () => {
    const cause = new CloudApiError({
      service: 'dms',
      httpStatus: 503,
      code: 'SYS.0503',
      serverMessage: 'busy',
    });
    const { handler } = setup(async () => {
      throw new Error('reading the instance failed', { cause });
    });
    await expect(handler(smnOf(request('r')), context())).rejects.toThrow('reading the instance failed');
  });

  it('a configuration error is rethrown (no event can describe it), nothing is published', async () => {
    const publisher = createMemoryPublisher();
    const handler = kvlHandler(
      { name: 'create-services', accepts: ['kvl.link.requested'], handle: async () => [] },
      {
        createDeps: () => ({}),
        publisher: () => publisher,
        env: { HUAWEICLOUD_SDK_PROJECT_ID: 'p' },
        logSink: createMemorySink(),
      },
    );
    await expect(handler(fixture('smn'), context())).rejects.toBeInstanceOf(ConfigError);
    expect(publisher.events).toHaveLength(0);
  });

  it('a failing publisher makes the invocation fail (redelivery) rather than drop the events', async () => {
    const sink = createMemorySink();
    const handler = kvlHandler(
      {
        name: 'create-services',
        accepts: ['kvl.link.requested'],
        handle: async (e, _d, t) => [servicesReady(e, t)],
      },
      {
        createDeps: () => ({}),
        publisher: () => ({
          publish: async () => {
            throw Object.assign(new Error('SMN down'), { retryable: true });
          },
        }),
        env: ENV,
        logSink: sink,
      },
    );
    await expect(handler(fixture('smn'), context())).rejects.toThrow('SMN down');
    expect(sink.entries().at(-1)).toMatchObject({ message: 'invocation failed; will be retried' });
  });
});

describe('kvlHandler: default SMN publisher and credentials', () => {
  it('publishes through deps.smn to the KVL_TOPIC_* topics, with agency credentials from the context', async () => {
    const calls: Array<{ topic: string; subject?: string }> = [];
    const smn: SmnClient = {
      publish: async (topic, message) => {
        calls.push({ topic, subject: message.subject });
        return { messageId: 'x' };
      },
    };
    let resolved: unknown;
    const handler = kvlHandler(
      {
        name: 'create-services',
        accepts: ['kvl.link.requested'],
        handle: async (e, _d, t) => [servicesReady(e, t)],
      },
      {
        createDeps: async ({ credentials, config, context: ctx }) => {
          resolved = await credentials();
          expect(config.topics.servicesReady).toBe(TOPICS.KVL_TOPIC_SERVICES_READY);
          expect(ctx.awsRequestId).toBe('req-42');
          return { smn };
        },
        env: ENV,
        logSink: createMemorySink(),
      },
    );
    await handler(fixture('smn'), context());
    expect(calls).toEqual([{ topic: TOPICS.KVL_TOPIC_SERVICES_READY, subject: 'kvl.link.services-ready' }]);
    expect(resolved).toEqual({ ak: 'AK-agency-0123456789', sk: SK, securityToken: TOKEN });
  });

  it('without an agency or keys, the first cloud call fails with a (fatal, rethrown) CredentialsError', async () => {
    const publisher = createMemoryPublisher();
    const handler = kvlHandler(
      {
        name: 'create-services',
        accepts: ['kvl.link.requested'],
        handle: async (_e, deps) => {
          await deps.credentials();
          return [];
        },
      },
      {
        // Annotated: with both callbacks context-sensitive, TS would fix D as unknown from `handle`.
        createDeps: ({ credentials }: DepsContext) => ({ credentials }),
        publisher: () => publisher,
        env: ENV,
        logSink: createMemorySink(),
      },
    );
    await expect(handler(fixture('direct'), {})).rejects.toMatchObject({
      name: 'CredentialsError',
      variable: 'HUAWEICLOUD_SDK_AK',
    });
    expect(publisher.events).toHaveLength(0);
  });

  it('without options.publisher every topic is required', async () => {
    const { KVL_TOPIC_EVENTS: _omit, ...env } = ENV;
    const handler = kvlHandler(
      { name: 'create-services', accepts: ['kvl.link.requested'], handle: async () => [] },
      {
        createDeps: () => ({ smn: { publish: async () => ({ messageId: 'x' }) } }),
        env,
        logSink: createMemorySink(),
      },
    );
    await expect(handler(fixture('smn'), context())).rejects.toMatchObject({ variable: 'KVL_TOPIC_EVENTS' });
  });
});

describe('kvlHandler: timer and CTS functions', () => {
  it('a timer function receives the timer info', async () => {
    const publisher = createMemoryPublisher();
    const ticks: unknown[] = [];
    const handler = kvlHandler(
      {
        name: 'reconcile',
        accepts: 'timer',
        handle: async (timer, _deps, tools) => {
          ticks.push(timer);
          return [
            tools.newEvent('kvl.reconcile.report', {
              checkedAt: new Date().toISOString(),
              links: [],
              counts: {},
              repaired: [],
            }),
          ];
        },
      },
      { createDeps: () => ({}), publisher: () => publisher, env: ENV, logSink: createMemorySink() },
    );
    await expect(handler(fixture('timer'), context())).resolves.toEqual({
      processed: 1,
      published: 1,
      rejected: 0,
      failed: 0,
    });
    expect(ticks).toEqual([
      expect.objectContaining({ name: 'reconcile_every_10m', payload: { job: 'reconcile', repair: true } }),
    ]);
    expect(publisher.events[0]).toMatchObject({ type: 'kvl.reconcile.report', source: 'kvl/reconcile' });
  });

  it('a CTS function receives the trace; a link request sent to it is rejected', async () => {
    const publisher = createMemoryPublisher();
    const traces: string[] = [];
    const handler = kvlHandler(
      {
        name: 'on-instance-created',
        accepts: 'cts',
        handle: async (trace, _deps, tools) => {
          traces.push(trace.trace_name);
          return [tools.newEvent('kvl.link.requested', { instanceId: String(trace.resource_id), client })];
        },
      },
      { createDeps: () => ({}), publisher: () => publisher, env: ENV, logSink: createMemorySink() },
    );
    await handler(fixture('cts'), context());
    expect(traces).toEqual(['createDMSInstanceTaskSuccess']);
    expect(publisher.events[0]).toMatchObject({ type: 'kvl.link.requested', subject: INSTANCE });

    publisher.clear();
    await expect(handler(fixture('smn'), context())).resolves.toMatchObject({ rejected: 1 });
    expect(publisher.events[0]?.data).toMatchObject({ step: 'on-instance-created' });
  });
});

describe('kvlHandler: early timeout', () => {
  it('stops before the function timeout, aborts the signal and rethrows for a retry', async () => {
    let signal: AbortSignal | undefined;
    const { handler, publisher } = setup(
      async (_e, _d, tools) => {
        signal = tools.signal;
        await new Promise((resolve) => setTimeout(resolve, 1_500));
        return [];
      },
      { timeoutEarlyInMillis: 900 },
    );
    vi.useFakeTimers();
    try {
      const outcome = handler(fixture('smn'), context(1_200)).then(
        () => 'resolved',
        (error: unknown) => error,
      );

      // 1200 ms timeout - 900 ms margin: nothing before 300 ms, the early timeout at 300 ms.
      await vi.advanceTimersByTimeAsync(299);
      expect(signal?.aborted).toBe(false);
      await vi.advanceTimersByTimeAsync(1);

      expect(await outcome).toBeInstanceOf(InvocationTimeoutError);
      expect(signal?.aborted).toBe(true);
      expect(publisher.events).toHaveLength(0);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('kvlHandler: options are validated at construction', () => {
  const ok = { name: 'create-services', accepts: ['kvl.link.requested'] as const, handle: async () => [] };
  const opts = { createDeps: () => ({}) };
  it.each([
    ['a bad name', { ...ok, name: 'Create Services' }, opts],
    ['an unknown accepted type', { ...ok, accepts: ['kvl.link.nope'] }, opts],
    ['an empty accepts list', { ...ok, accepts: [] }, opts],
    ['a missing handle', { ...ok, handle: undefined }, opts],
    ['a missing createDeps', ok, {}],
    ['a bad timeout margin', ok, { ...opts, timeoutEarlyInMillis: -1 }],
    ['a bad log level', ok, { ...opts, logLevel: 'loud' }],
    ['a bad publisher', ok, { ...opts, publisher: 'smn' }],
  ])('%s', (_name, spec, options) => {
    expect(() => kvlHandler(spec as never, options as never)).toThrow(MiddlewareOptionsError);
  });
});

describe('unknown option keys are refused, naming the key', () => {
  const ok = { name: 'create-services', accepts: ['kvl.link.requested'] as const, handle: async () => [] };
  const opts = { createDeps: () => ({}) };

  it.each([
    ['kvlHandler spec', () => kvlHandler({ ...ok, handler: ok.handle } as never, opts), 'spec.handler'],
    ['kvlHandler options', () => kvlHandler(ok, { ...opts, logsink: {} } as never), 'options.logsink'],
    [
      'functionGraphContext',
      () => functionGraphContext({ step: 'x', environment: {} } as never),
      'environment',
    ],
    ['structuredLogger', () => structuredLogger({ levle: 'debug' } as never), 'levle'],
    ['configLoader', () => configLoader({ requireTopic: true } as never), 'requireTopic'],
    ['triggerParser', () => triggerParser({ accepts: 'timer', accept: 'cts' } as never), 'accept'],
    ['dependencies', () => dependencies({ createDeps: () => ({}), publish: () => ({}) } as never), 'publish'],
  ])('%s', (_name, build, key) => {
    // Act
    const error = (() => {
      try {
        build();
      } catch (e) {
        return e;
      }
      return undefined;
    })();

    // Assert: typed, names the key, and is fatal (a wiring mistake, not a bad message).
    expect(error).toBeInstanceOf(UnknownOptionError);
    expect(error).toBeInstanceOf(MiddlewareOptionsError);
    expect((error as UnknownOptionError).option).toBe(key);
    expect((error as Error).message).toContain(`unknown option "${key}"`);
    expect(classifyError(error)).toBe('fatal');
  });

  it('accepts every documented key', () => {
    expect(() =>
      kvlHandler(ok, {
        ...opts,
        publisher: () => createMemoryPublisher(),
        credentials: () => async () => ({ ak: 'a', sk: 'b' }),
        env: {},
        logSink: createMemorySink(),
        logLevel: 'debug',
        timeoutEarlyInMillis: 500,
      }),
    ).not.toThrow();
  });
});
