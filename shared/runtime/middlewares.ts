/**
 * The middy middlewares every kvl function runs, in this order (`kvlHandler` wires them):
 *
 *   functionGraphContext → structuredLogger → configLoader → triggerParser → dependencies
 *   → eventPublisher → errorHandler
 *
 * They share one `InvocationState`, kept on the (per-invocation) adapted context as `context.kvl`,
 * because middy hands the base handler only `(event, context)`, not the request. Each factory
 * validates its options when called (cold start), so a wiring mistake fails at load, not per event.
 */
import type { MiddlewareObj, Request } from '@middy/core';
import * as z from 'zod';
import { fromEnv, fromFunctionGraphContext } from '../cloud/credentials.js';
import type { CredentialsProvider, SmnClient } from '../cloud/types.js';
import {
  type CloudEvent,
  EVENT_TYPES,
  type EventType,
  IdSchema,
  newCloudEvent,
  salvageEventContext,
} from '../events/cloudevents.js';
import { type Envelope, type EnvelopeMessage, parseMessages, unwrapEnvelope } from '../events/envelopes.js';
import { InvalidEventError, WHOLE_EVENT } from '../events/errors.js';
import { createReader, ENV, type Env, type KvlConfig, loadConfig, requireTopics } from './config.js';
import {
  coerceFunctionGraphContext,
  type FunctionGraphContext,
  type KvlLambdaContext,
  toLambdaContext,
} from './context.js';
import { classifyError, errorDetails, MiddlewareOptionsError } from './errors.js';
import {
  createLogger,
  isLogLevel,
  type KvlLogger,
  type LogLevel,
  type LogSink,
  redactString,
  registerSecret,
  serializeError,
  silentLogger,
} from './logger.js';
import { createSmnPublisher, type EventPublisher } from './publisher.js';

/* ------------------------------------------------------------------ state */

/** What an invocation returns: small, so an async result never nears FunctionGraph's 256 KB cap. */
export interface HandlerSummary {
  /** Messages (or timer/CTS events) the handler completed. */
  processed: number;
  /** Events published (outputs and `kvl.link.failed`). */
  published: number;
  /** Messages refused before the handler saw them (invalid envelope, JSON, type or data). */
  rejected: number;
  /** Messages whose handling ended with a terminal error (each produced a `kvl.link.failed`). */
  failed: number;
}

export type Accepts = readonly EventType[] | 'timer' | 'cts';

/** One unit of work for the handler: a validated event, the timer tick, or the CTS trace. */
export interface WorkItem {
  input: unknown;
  message?: EnvelopeMessage;
  instanceId?: string;
  correlationid?: string;
  /** True once it produced its outputs or its `kvl.link.failed`. */
  settled: boolean;
}

export interface InvocationState {
  readonly step: string;
  /** Producer id of every event this function emits. */
  readonly source: string;
  logger: KvlLogger;
  config?: KvlConfig;
  credentials?: CredentialsProvider;
  deps?: unknown;
  publisher?: EventPublisher;
  envelope?: Envelope;
  work: WorkItem[];
  /** Events waiting to be published, in order. */
  outputs: CloudEvent[];
  summary: HandlerSummary;
}

export type KvlInvocationContext = KvlLambdaContext & { kvl?: InvocationState };
export type KvlRequest = Request<unknown, HandlerSummary, Error, KvlInvocationContext>;
export type KvlMiddleware = MiddlewareObj<unknown, HandlerSummary, Error, KvlInvocationContext>;

/** The invocation state; throws when `functionGraphContext` did not run first. */
export function stateOf(context: KvlInvocationContext): InvocationState {
  const state = context.kvl;
  if (!state) {
    throw new MiddlewareOptionsError('kvl', 'functionGraphContext() must be the first middleware');
  }
  return state;
}

/* ------------------------------------------------------------------ options validation */

const fn = <T>(what: string) =>
  z.custom<T>((v) => typeof v === 'function', { error: `${what} must be a function` });

const StepSchema = z
  .string({ error: 'step must be a string' })
  .regex(/^[a-z][a-z0-9-]{0,63}$/, 'step must be 1-64 characters of [a-z0-9-], starting with a letter');

function validateOptions<T>(middleware: string, schema: z.ZodType<T>, options: unknown): T {
  const result = schema.safeParse(options ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  throw new MiddlewareOptionsError(middleware, `${path}${issue?.message ?? 'invalid options'}`);
}

/* ------------------------------------------------------------------ failed events */

const MAX_REASON = 1024;

/** A `kvl.link.failed` for `error` (redacted; carries step, field, code and the correlation). */
export function failedEventFor(
  state: Pick<InvocationState, 'step' | 'source'>,
  error: unknown,
  item?: Pick<WorkItem, 'instanceId' | 'correlationid'>,
): CloudEvent {
  const details = errorDetails(error);
  const rawReason =
    error instanceof InvalidEventError
      ? error.reason
      : error instanceof Error
        ? error.message || error.name
        : 'unknown error';
  let reason = redactString(rawReason);
  if (reason.length > MAX_REASON) reason = `${reason.slice(0, MAX_REASON - 1)}…`;
  const field = details.field ? details.field.slice(0, 256) : undefined;
  const code = (details.code ?? details.name).slice(0, 128);
  const step = details.step && /^[A-Za-z0-9_.:-]{1,64}$/.test(details.step) ? details.step : state.step;
  return newCloudEvent('kvl.link.failed', {
    source: state.source,
    data: {
      ...(item?.instanceId ? { instanceId: item.instanceId } : {}),
      step,
      reason: reason || 'unknown error',
      ...(field ? { field } : {}),
      code: code || 'Error',
    },
    ...(item?.correlationid ? { correlationid: item.correlationid } : {}),
  });
}

/* ------------------------------------------------------------------ 1. context */

export interface FunctionGraphContextOptions {
  step: string;
  env?: Env;
}

/**
 * Makes sure the context is the adapted one (see context.ts) and attaches fresh invocation state.
 * Early timeouts need the adapter applied *before* middy runs (kvlHandler does that); adapting here
 * still gives later middlewares `awsRequestId` and friends when middy is used directly.
 */
export function functionGraphContext(options: FunctionGraphContextOptions): KvlMiddleware {
  const { step, env } = validateOptions(
    'functionGraphContext',
    z.object({ step: StepSchema, env: z.record(z.string(), z.string().optional()).optional() }),
    options,
  );
  return {
    name: 'functionGraphContext',
    before: (request: KvlRequest) => {
      let context = request.context as unknown;
      if (!(typeof context === 'object' && context !== null && 'fg' in context)) {
        context = toLambdaContext(coerceFunctionGraphContext(context, env ?? process.env));
        request.context = context as KvlInvocationContext;
      }
      request.context.kvl = {
        step,
        source: `kvl/${step}`,
        logger: silentLogger,
        work: [],
        outputs: [],
        summary: { processed: 0, published: 0, rejected: 0, failed: 0 },
      };
    },
  };
}

/* ------------------------------------------------------------------ 2. logger */

export interface StructuredLoggerOptions {
  sink?: LogSink;
  /** Fixed level; default `KVL_LOG_LEVEL` (user data, then env), else info. */
  level?: LogLevel;
  env?: Env;
}

function registerContextSecrets(fg: FunctionGraphContext): void {
  for (const read of [
    () => fg.getSecurityAccessKey(),
    () => fg.getSecuritySecretKey(),
    () => fg.getSecurityToken(),
    () => fg.getToken(),
  ]) {
    try {
      registerSecret(read());
    } catch {
      // A getter the host does not implement has nothing to hide.
    }
  }
}

/**
 * One JSON logger per invocation with requestId and step on every line. Runs before configuration
 * so a configuration error is itself logged; reads `KVL_LOG_LEVEL` leniently for that reason (the
 * config loader validates it strictly).
 */
export function structuredLogger(options: StructuredLoggerOptions = {}): KvlMiddleware {
  const opts = validateOptions(
    'structuredLogger',
    z.object({
      sink: z
        .custom<LogSink>((v) => typeof (v as LogSink | undefined)?.write === 'function', {
          error: 'sink must have a write(level, line) method',
        })
        .optional(),
      level: z.custom<LogLevel>(isLogLevel, { error: 'level must be debug, info, warn or error' }).optional(),
      env: z.record(z.string(), z.string().optional()).optional(),
    }),
    options,
  );
  return {
    name: 'structuredLogger',
    before: (request: KvlRequest) => {
      const state = stateOf(request.context);
      const { fg } = request.context;
      // Registered before anything is logged, so no line can carry them.
      registerContextSecrets(fg);
      const configured = createReader({ env: opts.env, context: fg })(ENV.logLevel)?.toLowerCase();
      const level = opts.level ?? (isLogLevel(configured) ? configured : 'info');
      state.logger = createLogger({
        level,
        sink: opts.sink,
        fields: { requestId: request.context.awsRequestId, step: state.step },
      });
      state.logger.debug('invocation started', { remainingMs: request.context.getRemainingTimeInMillis() });
    },
    after: (request: KvlRequest) => {
      const state = stateOf(request.context);
      state.logger.info('invocation finished', { transport: state.envelope?.transport, ...state.summary });
    },
    onError: (request: KvlRequest) => {
      const state = request.context.kvl;
      if (!state) return;
      const disposition = classifyError(request.error);
      if (request.response !== undefined) {
        state.logger.info('invocation finished', { transport: state.envelope?.transport, ...state.summary });
        return;
      }
      const log = disposition === 'retryable' ? state.logger.warn : state.logger.error;
      log(disposition === 'retryable' ? 'invocation failed; will be retried' : 'invocation failed', {
        disposition,
        error: serializeError(request.error),
        ...state.summary,
      });
    },
  };
}

/* ------------------------------------------------------------------ 3. config */

export interface ConfigLoaderOptions {
  env?: Env;
  /** Require every KVL_TOPIC_* (functions publishing through SMN). */
  requireTopics?: boolean;
}

export function configLoader(options: ConfigLoaderOptions = {}): KvlMiddleware {
  const opts = validateOptions(
    'configLoader',
    z.object({
      env: z.record(z.string(), z.string().optional()).optional(),
      requireTopics: z.boolean({ error: 'requireTopics must be a boolean' }).optional(),
    }),
    options,
  );
  return {
    name: 'configLoader',
    before: (request: KvlRequest) => {
      const state = stateOf(request.context);
      state.config = loadConfig({
        env: opts.env ?? process.env,
        context: request.context.fg,
        requireTopics: opts.requireTopics ?? false,
      });
    },
  };
}

/* ------------------------------------------------------------------ 4. trigger parsing */

export interface TriggerParserOptions {
  accepts: Accepts;
}

const AcceptsSchema = z.union(
  [
    z.literal('timer'),
    z.literal('cts'),
    z
      .array(z.enum(EVENT_TYPES, { error: `accepts entries must be one of ${EVENT_TYPES.join(', ')}` }))
      .min(1, 'accepts must list at least one event type'),
  ],
  { error: "accepts must be 'timer', 'cts' or a list of event types" },
);

function describeTransport(envelope: Envelope): string {
  return envelope.transport === 'direct' ? 'a direct invocation' : `a ${envelope.transport} trigger`;
}

/**
 * Unwraps the trigger envelope and validates each message. Invalid ones become `kvl.link.failed`
 * outputs (named field and reason) and never reach the handler; valid ones become work items.
 */
export function triggerParser(options: TriggerParserOptions): KvlMiddleware {
  const { accepts } = validateOptions('triggerParser', z.object({ accepts: AcceptsSchema }), options);
  const reject = (state: InvocationState, error: InvalidEventError, raw?: unknown) => {
    state.summary.rejected++;
    const context = raw === undefined ? {} : salvageEventContext(raw);
    state.logger.warn('message rejected', {
      field: error.field,
      reason: error.reason,
      location: error.location,
      instanceId: context.instanceId,
    });
    state.outputs.push(failedEventFor(state, error, context));
  };

  return {
    name: 'triggerParser',
    before: (request: KvlRequest) => {
      const state = stateOf(request.context);
      let envelope: Envelope;
      try {
        envelope = unwrapEnvelope(request.event);
      } catch (error) {
        if (!(error instanceof InvalidEventError)) throw error;
        reject(state, error);
        return;
      }
      state.envelope = envelope;

      if (accepts === 'timer' || accepts === 'cts') {
        const info = accepts === 'timer' ? envelope.timer : envelope.cts;
        if (!info) {
          reject(
            state,
            new InvalidEventError({
              field: WHOLE_EVENT,
              reason: `this function is triggered by ${accepts === 'timer' ? 'a timer' : 'CTS'}, got ${describeTransport(envelope)}`,
            }),
          );
          return;
        }
        const instanceId = accepts === 'cts' ? IdSchema.safeParse(envelope.cts?.resource_id) : undefined;
        state.work.push({
          input: info,
          settled: false,
          ...(instanceId?.success ? { instanceId: instanceId.data } : {}),
        });
        return;
      }

      if (envelope.messages.length === 0) {
        reject(
          state,
          new InvalidEventError({
            field: WHOLE_EVENT,
            reason: `this function takes ${accepts.join(' or ')} messages, got ${describeTransport(envelope)} without any`,
          }),
        );
        return;
      }
      for (const result of parseMessages(envelope, accepts)) {
        if (!result.ok) {
          reject(state, result.error, result.raw);
          continue;
        }
        const { event } = result;
        const instanceId = (event.data as { instanceId?: string }).instanceId;
        const correlationid =
          event.correlationid ??
          (event.type === 'kvl.link.requested' || event.type === 'kvl.link.unlink-requested'
            ? event.id
            : undefined);
        state.work.push({
          input: event,
          message: result.message,
          settled: false,
          ...(instanceId ? { instanceId } : {}),
          ...(correlationid ? { correlationid } : {}),
        });
      }
    },
  };
}

/* ------------------------------------------------------------------ 5. dependencies */

export interface DepsContext {
  config: KvlConfig;
  credentials: CredentialsProvider;
  logger: KvlLogger;
  context: KvlLambdaContext;
}

export interface DependenciesOptions<D> {
  createDeps: (ctx: DepsContext) => D | Promise<D>;
  /** Default: SMN publishing through `deps.smn` to the five KVL_TOPIC_* topics. */
  publisher?: (deps: D, ctx: DepsContext) => EventPublisher;
  /** Default: the agency credentials of the context, else HUAWEICLOUD_SDK_AK/SK from user data/env. */
  credentials?: (ctx: { context: KvlLambdaContext; config: KvlConfig }) => CredentialsProvider;
  env?: Env;
}

/** Resolved credentials are registered as secrets before any client can log or echo them. */
export function registering(provider: CredentialsProvider): CredentialsProvider {
  return async () => {
    const credentials = await provider();
    registerSecret(credentials.ak);
    registerSecret(credentials.sk);
    registerSecret(credentials.securityToken);
    return credentials;
  };
}

/**
 * The context's agency credentials when it has an agency, else HUAWEICLOUD_SDK_AK/SK (user data, then
 * env). Resolved lazily: a function that never calls the cloud needs no keys, and a missing key
 * surfaces as a `CredentialsError` (fatal) at the first call that needs it.
 */
export function defaultCredentials(context: KvlLambdaContext, env: Env = process.env): CredentialsProvider {
  let agencyAk = '';
  try {
    agencyAk = context.fg.getSecurityAccessKey() ?? '';
  } catch {
    agencyAk = '';
  }
  if (agencyAk.trim() !== '') return fromFunctionGraphContext(context.fg);
  // Deployed functions use their agency; this branch serves the local runtime and direct runs, where
  // keys may sit in (encrypted) user data or the environment.
  const read = createReader({ env, context: context.fg });
  return async () =>
    fromEnv({
      HUAWEICLOUD_SDK_AK: read('HUAWEICLOUD_SDK_AK'),
      HUAWEICLOUD_SDK_SK: read('HUAWEICLOUD_SDK_SK'),
      HUAWEICLOUD_SDK_SECURITY_TOKEN: read('HUAWEICLOUD_SDK_SECURITY_TOKEN'),
    })();
}

function hasSmn(deps: unknown): deps is { smn: SmnClient } {
  if (typeof deps !== 'object' || deps === null) return false;
  const smn = (deps as { smn?: unknown }).smn;
  return typeof smn === 'object' && smn !== null && typeof (smn as SmnClient).publish === 'function';
}

/** Builds credentials, the handler's dependencies and the publisher, once per invocation. */
export function dependencies<D>(options: DependenciesOptions<D>): KvlMiddleware {
  const opts = validateOptions(
    'dependencies',
    z.object({
      createDeps: fn<DependenciesOptions<D>['createDeps']>('createDeps'),
      publisher: fn<NonNullable<DependenciesOptions<D>['publisher']>>('publisher').optional(),
      credentials: fn<NonNullable<DependenciesOptions<D>['credentials']>>('credentials').optional(),
      env: z.record(z.string(), z.string().optional()).optional(),
    }),
    options,
  );
  return {
    name: 'dependencies',
    before: async (request: KvlRequest) => {
      const state = stateOf(request.context);
      const config = state.config;
      if (!config)
        throw new MiddlewareOptionsError('dependencies', 'configLoader() must run before dependencies()');
      const base = opts.credentials
        ? opts.credentials({ context: request.context, config })
        : defaultCredentials(request.context, opts.env ?? process.env);
      state.credentials = registering(base);
      const ctx: DepsContext = {
        config,
        credentials: state.credentials,
        logger: state.logger,
        context: request.context,
      };
      const deps = await opts.createDeps(ctx);
      state.deps = deps;
      if (opts.publisher) state.publisher = opts.publisher(deps, ctx);
      else if (hasSmn(deps)) state.publisher = createSmnPublisher(deps.smn, requireTopics(config));
      else {
        throw new MiddlewareOptionsError(
          'dependencies',
          'no publisher: pass options.publisher or return an `smn` client from createDeps',
        );
      }
    },
  };
}

/* ------------------------------------------------------------------ 6. publishing */

async function flush(state: InvocationState): Promise<void> {
  const publisher = state.publisher;
  if (!publisher) return;
  while (state.outputs.length > 0) {
    const event = state.outputs[0] as CloudEvent;
    await publisher.publish(event);
    state.outputs.shift();
    state.summary.published++;
    state.logger.info('event published', {
      type: event.type,
      id: event.id,
      instanceId: event.subject,
      correlationid: event.correlationid,
    });
  }
}

/**
 * Publishes the outputs (handler results and `kvl.link.failed`) after the handler, and also on the
 * error path so work already done is not lost before a retry. A publish failure replaces the error
 * and makes the invocation fail, so the message is redelivered rather than silently dropped.
 */
export function eventPublisher(): KvlMiddleware {
  return {
    name: 'eventPublisher',
    after: async (request: KvlRequest) => {
      const state = stateOf(request.context);
      await flush(state);
      request.response = state.summary;
    },
    onError: async (request: KvlRequest) => {
      const state = request.context.kvl;
      if (!state?.publisher || state.outputs.length === 0) return;
      try {
        await flush(state);
      } catch (error) {
        // Returning or throwing here would skip the logger's onError; replace the error instead.
        if (error instanceof Error && request.error) Object.assign(error, { originalError: request.error });
        request.error = error instanceof Error ? error : new Error(String(error));
        request.response = undefined as unknown as HandlerSummary;
      }
    },
  };
}

/* ------------------------------------------------------------------ 7. errors */

/**
 * Terminal errors end the link: one `kvl.link.failed` per message not yet settled, then a normal
 * return. Retryable and fatal errors are left to propagate (FunctionGraph retries / reports them).
 */
export function errorHandler(): KvlMiddleware {
  return {
    name: 'errorHandler',
    onError: (request: KvlRequest) => {
      const state = request.context.kvl;
      if (!state) return;
      if (classifyError(request.error) !== 'terminal') return;
      // Without a publisher the failure cannot be reported: let FunctionGraph record it instead.
      if (!state.publisher) return;
      const pending = state.work.filter((item) => !item.settled);
      if (pending.length === 0 && state.work.length === 0) {
        state.outputs.push(failedEventFor(state, request.error));
        state.summary.failed++;
      }
      for (const item of pending) {
        state.outputs.push(failedEventFor(state, request.error, item));
        item.settled = true;
        state.summary.failed++;
      }
      request.response = state.summary;
    },
  };
}
