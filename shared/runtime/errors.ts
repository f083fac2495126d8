/**
 * How an invocation error is treated (ARCHITECTURE §6: "retry only what is retryable"):
 *
 * - retryable (`retryable: true` anywhere on the error or its cause chain, network errno, the early
 *   timeout) → rethrown, so FunctionGraph's async retry redelivers the message. Safe because every
 *   step is idempotent.
 * - fatal (configuration, credentials, middleware options) → rethrown as well: a deployment problem
 *   that must be visible as a function error, and no event can describe it to a link's consumer.
 * - terminal (everything else: `TerminalError`, `LinkRejectedError`, non-retryable `CloudApiError`,
 *   invalid events, and unknown errors) → the link ends with `kvl.link.failed` and the invocation
 *   returns normally, so a poison message cannot loop.
 *
 * Errors are recognised by their flags and names rather than `instanceof`, so this module depends on
 * neither shared/cloud nor shared/link (and bundles stay small).
 */

export type ErrorDisposition = 'retryable' | 'terminal' | 'fatal';

/** An error that must end the link, with the step, field and code to put in `kvl.link.failed`. */
export class TerminalError extends Error {
  override readonly name: string = 'TerminalError';
  readonly retryable = false;
  readonly terminal = true;
  readonly step?: string;
  readonly field?: string;
  readonly code?: string;

  constructor(
    message: string,
    options: { step?: string; field?: string; code?: string; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.step = options.step;
    this.field = options.field;
    this.code = options.code;
  }
}

/** A retryable failure raised by runtime code itself (e.g. the early timeout). */
export class RetryableError extends Error {
  override readonly name: string = 'RetryableError';
  readonly retryable = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** middy's early timeout fired: the work is abandoned and will be redelivered. */
export class InvocationTimeoutError extends RetryableError {
  override readonly name = 'InvocationTimeoutError';
  constructor(marginMs: number) {
    super(`stopped ${marginMs} ms before the function timeout; the message will be redelivered`);
  }
}

/** A middleware or handler factory was given unusable options (caught at cold start, not per event). */
export class MiddlewareOptionsError extends Error {
  override readonly name: string = 'MiddlewareOptionsError';
  readonly middleware: string;
  constructor(middleware: string, message: string) {
    super(`${middleware}: ${message}`);
    this.middleware = middleware;
  }
}

/**
 * An option the factory does not know (a typo such as `requireTopic`, or one meant for another
 * middleware): refused, as middy's own `validateOptions` does, rather than silently ignored.
 */
export class UnknownOptionError extends MiddlewareOptionsError {
  override readonly name: string = 'UnknownOptionError';
  /** The unknown key, with its path (`options.logSinks`). */
  readonly option: string;
  constructor(middleware: string, option: string) {
    super(middleware, `unknown option ${JSON.stringify(option)}`);
    this.option = option;
  }
}

const FATAL_NAMES = new Set([
  'ConfigError',
  'CredentialsError',
  'MiddlewareOptionsError',
  'UnknownOptionError',
  'PublisherOptionsError',
  'LoggerOptionsError',
]);

// Node's transient socket errors, for errors that escaped a client's own wrapping.
const TRANSIENT_ERRNO = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ECONNABORTED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

interface Flags {
  name?: unknown;
  retryable?: unknown;
  terminal?: unknown;
  code?: unknown;
  cause?: unknown;
}

/**
 * Walks the error and its causes: the first explicit `retryable`/`terminal` flag decides, so a domain
 * error may override the cloud error it wraps, and an unflagged wrapper defers to its cause.
 */
export function classifyError(error: unknown): ErrorDisposition {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && typeof current === 'object' && current !== null; depth++) {
    const e = current as Flags;
    if (typeof e.name === 'string' && FATAL_NAMES.has(e.name)) return 'fatal';
    if (e.retryable === true) return 'retryable';
    if (e.terminal === true || e.retryable === false) return 'terminal';
    if (e.name === 'TimeoutError' || e.name === 'AbortError') return 'retryable';
    if (typeof e.code === 'string' && TRANSIENT_ERRNO.has(e.code)) return 'retryable';
    current = e.cause;
  }
  return 'terminal';
}

export function isRetryable(error: unknown): boolean {
  return classifyError(error) === 'retryable';
}

/** True when the error ends the link (`kvl.link.failed`) rather than being retried or rethrown. */
export function isTerminal(error: unknown): boolean {
  return classifyError(error) === 'terminal';
}

function stringProp(error: unknown, key: 'step' | 'field' | 'code'): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const value = (error as Record<string, unknown>)[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The step, field and code an error names (LinkRejectedError, TerminalError, CloudApiError, …). */
export function errorDetails(error: unknown): { step?: string; field?: string; code?: string; name: string } {
  const name = error instanceof Error ? error.name : 'Error';
  return {
    step: stringProp(error, 'step'),
    field: stringProp(error, 'field'),
    code: stringProp(error, 'code'),
    name,
  };
}
