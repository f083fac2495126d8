/**
 * The one rule of retryable vs terminal (ARCHITECTURE §6: "retry only what is retryable"), shared by
 * the cloud clients (shared/cloud re-exports `isRetryable`), the domain and the runtime's error policy:
 *
 * - retryable: `retryable: true` anywhere on the error or its cause chain, a Node/undici network
 *   errno, a timeout or abort. Redelivery is safe because every step is idempotent.
 * - fatal: configuration, credentials, middleware options. A deployment problem, rethrown so it is
 *   visible as a function error; no event can describe it to a link's consumer.
 * - terminal: everything else (`retryable: false` or `terminal: true`, invalid events, unknown
 *   errors): the link ends with `kvl.link.failed`, so a poison message cannot loop.
 *
 * Errors are recognised by their flags, names and codes rather than `instanceof`, so this leaf module
 * depends on nothing and every layer (and bundle) can use it.
 */

export type ErrorDisposition = 'retryable' | 'terminal' | 'fatal';

const FATAL_NAMES: ReadonlySet<string> = new Set([
  'ConfigError',
  'CredentialsError',
  'MiddlewareOptionsError',
  'UnknownOptionError',
  'PublisherOptionsError',
  'LoggerOptionsError',
]);

// Node's and undici's transient socket errors, for errors that escaped a client's own wrapping.
const NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** True for the errno of a connection that failed or dropped (worth another attempt). */
export function isNetworkErrorCode(code: unknown): boolean {
  return typeof code === 'string' && NETWORK_CODES.has(code);
}

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
    if (isNetworkErrorCode(e.code)) return 'retryable';
    current = e.cause;
  }
  return 'terminal';
}

/** True when the failure may succeed later (the message is redelivered, the call may be repeated). */
export function isRetryable(error: unknown): boolean {
  return classifyError(error) === 'retryable';
}

/** True when the error ends the link (`kvl.link.failed`) rather than being retried or rethrown. */
export function isTerminal(error: unknown): boolean {
  return classifyError(error) === 'terminal';
}
