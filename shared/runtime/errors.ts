/**
 * The runtime's own errors and how an invocation treats any error: the one classification of
 * shared/retry.ts. A retryable or fatal error is rethrown (FunctionGraph's async retry redelivers the
 * message; a fatal one shows as a function error), a terminal one ends the link with
 * `kvl.link.failed` and the invocation returns normally.
 */

export { classifyError, type ErrorDisposition, isRetryable, isTerminal } from '../retry.js';

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
