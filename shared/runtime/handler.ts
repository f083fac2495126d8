/**
 * `kvlHandler`: one FunctionGraph function = one step. The spec says what the function accepts and
 * how it handles one input; everything around it (context shim, config, envelope parsing and
 * validation, logging, dependencies, publishing, error policy) is the same middy stack for all.
 */
import middy from '@middy/core';
import type { CredentialsProvider } from '../cloud/types.js';
import {
  type CloudEvent,
  type CloudEventOf,
  type EventDataInputByType,
  type EventOf,
  type EventType,
  newCloudEvent,
  outgoingEvent,
} from '../events/cloudevents.js';
import type { CtsTrace, TimerInfo, Transport } from '../events/envelopes.js';
import type { Clock } from '../link/deps.js';
import * as z from '../zod.js';
import { isClock } from './clock.js';
import type { Env, KvlConfig } from './config.js';
import { coerceFunctionGraphContext, type KvlLambdaContext, toLambdaContext } from './context.js';
import {
  classifyError,
  InvocationTimeoutError,
  MiddlewareOptionsError,
  UnknownOptionError,
} from './errors.js';
import { isLogLevel, type KvlLogger, type LogLevel, type LogSink } from './logger.js';
import {
  type Accepts,
  configLoader,
  type DepsContext,
  dependencies,
  errorHandler,
  eventPublisher,
  failedEventFor,
  functionGraphContext,
  type HandlerSummary,
  type KvlInvocationContext,
  stateOf,
  structuredLogger,
  triggerParser,
  type WorkItem,
} from './middleware/index.js';
import type { EventPublisher } from './publisher.js';

/** What `handle` receives for each kind of `accepts`. */
export type HandlerInput<A extends Accepts> = A extends 'timer'
  ? TimerInfo
  : A extends 'cts'
    ? CtsTrace
    : A extends readonly (infer T extends EventType)[]
      ? EventOf<T>
      : never;

export interface HandlerTools {
  step: string;
  logger: KvlLogger;
  config: KvlConfig;
  context: KvlLambdaContext;
  transport: Transport;
  /** Aborted when middy's early timeout fires; long waits should watch it. */
  signal: AbortSignal;
  /**
   * Epoch ms by which the handler must be done (function timeout minus the early-timeout margin), on
   * the deps' clock when they carry one (`LinkDeps.clock`): the domain compares it with that clock.
   */
  deadline: number;
  remainingMs(): number;
  /**
   * An outgoing event from this function: source `kvl/<step>`, correlation id carried over from the
   * input, validated against its schema.
   */
  newEvent<T extends EventType>(
    type: T,
    data: EventDataInputByType[T],
    /** `correlationid` only applies when the input carries none (timer-driven events). */
    init?: { subject?: string; id?: string; time?: string | Date; correlationid?: string },
  ): CloudEventOf<T>;
}

export interface KvlHandlerSpec<D, A extends Accepts> {
  /** The step name: log field, `kvl.link.failed` step and event source (`kvl/<name>`). */
  name: string;
  accepts: A;
  /** Handles one input; returns the events to publish. Called once per valid message. */
  // biome-ignore lint/suspicious/noConfusingVoidType: lets `async () => {}` handlers (Promise<void>) type-check
  handle: (input: HandlerInput<A>, deps: D, tools: HandlerTools) => Promise<CloudEvent[] | undefined | void>;
}

export interface KvlHandlerOptions<D> {
  createDeps: (ctx: DepsContext) => D | Promise<D>;
  /** Default: SMN through `deps.smn` and the five KVL_TOPIC_* topics (then all five are required). */
  publisher?: (deps: D, ctx: DepsContext) => EventPublisher;
  /** Default: agency credentials from the context, else HUAWEICLOUD_SDK_AK/SK. */
  credentials?: (ctx: { context: KvlLambdaContext; config: KvlConfig }) => CredentialsProvider;
  /** Variables source besides user data (default process.env). */
  env?: Env;
  logSink?: LogSink;
  logLevel?: LogLevel;
  /** Stop this long before the function timeout and let the message be retried (default 1000). */
  timeoutEarlyInMillis?: number;
  /**
   * The runtime's clock (default the system clock): deadline, event `time`, and the clock
   * `createDeps` receives. Deps that bring their own clock are measured with theirs.
   */
  clock?: Clock;
}

export type FunctionGraphHandler = (event: unknown, context?: unknown) => Promise<HandlerSummary>;

/** A function's handler, which can be rebuilt with other options (the same spec, other deps or clock). */
export interface KvlFunction<D> extends FunctionGraphHandler {
  /**
   * The same step with some options replaced: how tests and harnesses give a real function their
   * clock and dependencies (e.g. `createLinkDeps` with overrides) without replacing modules.
   */
  with(overrides: Partial<KvlHandlerOptions<D>>): KvlFunction<D>;
}

const isFunction = (v: unknown) => typeof v === 'function';

// Strict: every key of KvlHandlerSpec / KvlHandlerOptions is listed, so a misspelt one is refused.
// What is only passed through (accepts, env, logSink, …) is checked by the middleware that uses it.
const SpecSchema = z.strictObject({
  name: z
    .string()
    .check(z.regex(/^[a-z][a-z0-9-]{0,63}$/, 'must be 1-64 characters of [a-z0-9-], starting with a letter')),
  accepts: z.optional(z.unknown()),
  handle: z.custom(isFunction, { error: 'must be a function' }),
});

const OptionsSchema = z.strictObject({
  createDeps: z.custom(isFunction, { error: 'must be a function' }),
  publisher: z.optional(z.custom(isFunction, { error: 'must be a function' })),
  credentials: z.optional(z.custom(isFunction, { error: 'must be a function' })),
  env: z.optional(z.unknown()),
  logSink: z.optional(z.unknown()),
  timeoutEarlyInMillis: z.optional(z.int().check(z.gte(0)).check(z.lte(60_000))),
  logLevel: z.optional(z.custom<LogLevel>(isLogLevel, { error: 'must be debug, info, warn or error' })),
  clock: z.optional(z.custom<Clock>(isClock, { error: 'must have now() and sleep(ms)' })),
});

function validate(schema: z.ZodMiniType, value: unknown, what: string): void {
  const result = schema.safeParse(value ?? {});
  if (result.success) return;
  const issue = result.error.issues[0];
  if (issue?.code === 'unrecognized_keys') {
    throw new UnknownOptionError('kvlHandler', [what, ...issue.path, issue.keys[0]].join('.'));
  }
  throw new MiddlewareOptionsError(
    'kvlHandler',
    `${what}.${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`,
  );
}

function normalizeOutput(output: unknown, item: WorkItem): CloudEvent {
  // Outputs descend from the input: keep the chain's correlation id unless the handler set one.
  const uncorrelated =
    item.correlationid !== undefined &&
    typeof output === 'object' &&
    output !== null &&
    (output as { correlationid?: unknown }).correlationid === undefined;
  return outgoingEvent(uncorrelated ? { ...output, correlationid: item.correlationid } : output);
}

/**
 * Builds the FunctionGraph handler for one step. Returns `(event, context) => summary`; invalid
 * messages and terminal errors end as `kvl.link.failed` and a normal return, retryable errors are
 * rethrown for FunctionGraph's async retry.
 */
export function kvlHandler<D, const A extends Accepts>(
  spec: KvlHandlerSpec<D, A>,
  options: KvlHandlerOptions<D>,
): KvlFunction<D> {
  const handler = buildHandler(spec, options) as KvlFunction<D>;
  handler.with = (overrides) => kvlHandler(spec, { ...options, ...overrides });
  return handler;
}

function buildHandler<D, const A extends Accepts>(
  spec: KvlHandlerSpec<D, A>,
  options: KvlHandlerOptions<D>,
): FunctionGraphHandler {
  validate(SpecSchema, spec, 'spec');
  validate(OptionsSchema, options, 'options');
  const timeoutEarlyInMillis = options.timeoutEarlyInMillis ?? 1_000;
  const env = options.env;

  const base = async (
    _event: unknown,
    context: KvlInvocationContext,
    { signal }: { signal: AbortSignal },
  ): Promise<HandlerSummary> => {
    const state = stateOf(context);
    const config = state.config;
    if (!config) throw new MiddlewareOptionsError('kvlHandler', 'configLoader() did not run');
    const deps = state.deps as D;
    const transport = state.envelope?.transport ?? 'direct';
    const clock = state.clock;
    const deadline = clock.now() + context.getRemainingTimeInMillis() - timeoutEarlyInMillis;
    let retry: unknown;

    for (const item of state.work) {
      if (item.settled) continue;
      if (signal.aborted) break;
      const logger = state.logger.child({
        ...(item.instanceId ? { instanceId: item.instanceId } : {}),
        ...(item.correlationid ? { correlationid: item.correlationid } : {}),
        ...(isCloudEvent(item.input) ? { eventId: item.input.id, eventType: item.input.type } : {}),
      });
      const tools: HandlerTools = {
        step: state.step,
        logger,
        config,
        context,
        transport,
        signal,
        deadline,
        remainingMs: () => Math.max(0, deadline - clock.now()),
        newEvent: (type, data, init = {}) =>
          newCloudEvent(type, {
            source: state.source,
            data,
            ...init,
            time: init.time ?? clock.now(),
            ...(item.correlationid ? { correlationid: item.correlationid } : {}),
          }),
      };
      try {
        const outputs = (await spec.handle(item.input as HandlerInput<A>, deps, tools)) ?? [];
        // Timed out meanwhile: the redelivery redoes this work; publishing half of it would race it.
        if (signal.aborted) break;
        if (!Array.isArray(outputs))
          throw new TypeError(`${spec.name}: handle() must return an array of events`);
        const events = outputs.map((o) => normalizeOutput(o, item));
        state.outputs.push(...events);
        item.settled = true;
        state.summary.processed++;
        logger.debug('handled', { outputs: events.map((e) => e.type) });
      } catch (error) {
        // After an early timeout the error path already ran; adding outputs now would race its flush.
        if (signal.aborted) break;
        const disposition = classifyError(error);
        if (disposition === 'terminal') {
          logger.error('link failed', { error });
          state.outputs.push(failedEventFor(state, error, item));
          item.settled = true;
          state.summary.failed++;
        } else {
          // Keep going: the other messages of a batch are independent; the batch is redelivered
          // as a whole anyway, and idempotent steps make the repeat harmless.
          logger.warn(disposition === 'retryable' ? 'retryable failure' : 'fatal failure', { error });
          retry ??= error;
        }
      }
    }
    if (retry !== undefined) throw retry;
    return state.summary;
  };

  const core = middy<unknown, HandlerSummary, Error, KvlInvocationContext>(base, {
    timeoutEarlyInMillis,
    timeoutEarlyResponse: () => {
      throw new InvocationTimeoutError(timeoutEarlyInMillis);
    },
  })
    .use(functionGraphContext({ step: spec.name, env, ...(options.clock ? { clock: options.clock } : {}) }))
    .use(structuredLogger({ sink: options.logSink, level: options.logLevel, env }))
    .use(configLoader({ env, requireTopics: options.publisher === undefined }))
    .use(triggerParser({ accepts: spec.accepts }))
    .use(
      dependencies<D>({
        createDeps: options.createDeps,
        publisher: options.publisher,
        credentials: options.credentials,
        env,
      }),
    )
    .use(eventPublisher())
    .use(errorHandler());

  return async (event, context) => {
    // Adapted before middy starts: middy decides whether to arm the early timeout on entry.
    const adapted = toLambdaContext(coerceFunctionGraphContext(context, env ?? process.env));
    return core(event, adapted as KvlInvocationContext);
  };
}

function isCloudEvent(value: unknown): value is CloudEvent {
  return typeof value === 'object' && value !== null && 'specversion' in value && 'type' in value;
}
