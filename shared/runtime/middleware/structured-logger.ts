/** 2. structuredLogger: one JSON logger per invocation. */
import * as z from '../../zod.js';
import { createReader, ENV, type Env } from '../config.js';
import type { FunctionGraphContext } from '../context.js';
import { classifyError } from '../errors.js';
import {
  createLogger,
  isLogLevel,
  type LogLevel,
  type LogSink,
  registerSecret,
  serializeError,
} from '../logger.js';
import { validateOptions } from './options.js';
import { type KvlMiddleware, type KvlRequest, stateOf } from './state.js';

/**
 * FunctionGraph's own logger (`context.getLogger()`, documented for function logs: each line lands in
 * the function's log with its time and request id). Runtimes that host several functions in one
 * process (the local runtime) route it where their operator asked, so lines never interleave with
 * a CLI's human output. Without it, stderr.
 */
function contextSink(fg: FunctionGraphContext): LogSink | undefined {
  if (typeof fg.getLogger !== 'function') return undefined;
  return {
    write(level, line) {
      const logger = fg.getLogger();
      const method = level === 'error' ? logger.error : level === 'warn' ? logger.warn : logger.info;
      (method ?? logger.info).call(logger, line);
    },
  };
}

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
    z.strictObject({
      sink: z.optional(
        z.custom<LogSink>((v) => typeof (v as LogSink | undefined)?.write === 'function', {
          error: 'sink must have a write(level, line) method',
        }),
      ),
      level: z.optional(
        z.custom<LogLevel>(isLogLevel, { error: 'level must be debug, info, warn or error' }),
      ),
      env: z.optional(z.record(z.string(), z.optional(z.string()))),
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
        sink: opts.sink ?? contextSink(fg),
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
