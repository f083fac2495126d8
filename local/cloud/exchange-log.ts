/**
 * What the emulator records of one cloud API call beyond its status: the query, the parsed JSON body
 * and the answer, with every secret redacted. Observers (the contract checks of the test suite) see
 * each exchange as it completes; an emulator running in another process (a CLI test's subprocess)
 * appends them as JSON lines to the file named by KVL_EMULATOR_EXCHANGE_FILE instead.
 */
import { appendFileSync } from 'node:fs';
import { isSecretKey, REDACTED, redactText } from '../../shared/redaction.js';

export interface Exchange {
  /** Emulated time, ISO-8601. */
  time: string;
  method: string;
  /** Decoded path, without the query. */
  path: string;
  query: Record<string, string | string[]>;
  /** Parsed JSON request body (secrets redacted, long strings shortened); undefined without one. */
  body?: unknown;
  /** The caller's User-Agent: tells the product's own clients from tests and the official SDKs. */
  userAgent?: string;
  /** 0 when no answer was sent (timeout and drop-after-commit faults). */
  status: number;
  /** Parsed JSON answer as the caller received it; redacted before it is written to the exchange file. */
  responseBody?: unknown;
  service?: string;
  requestId: string;
  fault?: string;
}

export type ExchangeObserver = (exchange: Exchange) => void;

/** Observers of every emulator of this process (the test suite's contract checks register here). */
export const exchangeObservers: Set<ExchangeObserver> = new Set();

export const EXCHANGE_FILE_ENV = 'KVL_EMULATOR_EXCHANGE_FILE';

// Code packages travel base64 in FunctionGraph bodies; a log keeps their type, not their megabytes.
const MAX_STRING = 4096;

/**
 * A copy with every string under a secret-looking key (the product's one table, shared/redaction.ts)
 * replaced, secrets in other strings cut out, and very long strings shortened. Only strings are
 * replaced: the contract checks still see each body's shape.
 */
export function redactSecrets(value: unknown, key = '', depth = 0): unknown {
  if (typeof value === 'string') {
    if (key !== '' && isSecretKey(key)) return REDACTED;
    const text = redactText(value);
    return text.length > MAX_STRING ? `${text.slice(0, 64)}…(${text.length} chars)` : text;
  }
  if (depth > 32 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => redactSecrets(item, key, depth + 1));
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, redactSecrets(v, k, depth + 1)]),
  );
}

export function queryRecord(query: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of query) {
    const seen = out[name];
    out[name] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
  }
  return out;
}

/** The request body as the log shows it: parsed JSON, redacted; undefined when empty or not JSON. */
export function bodyForLog(raw: Buffer): unknown {
  if (raw.length === 0) return undefined;
  try {
    return redactSecrets(JSON.parse(raw.toString('utf8')));
  } catch {
    return undefined;
  }
}

/** Hands one exchange to the emulator's own observers, the process-wide ones, or the exchange file. */
export function notifyExchange(exchange: Exchange, own: ReadonlySet<ExchangeObserver>): void {
  for (const observer of own) observer(exchange);
  for (const observer of exchangeObservers) observer(exchange);
  const file = process.env[EXCHANGE_FILE_ENV];
  // In-process observers already saw it; the file is for emulators in processes nobody observes.
  if (file && exchangeObservers.size === 0) {
    const redacted = { ...exchange, responseBody: redactSecrets(exchange.responseBody) };
    appendFileSync(file, `${JSON.stringify(redacted)}\n`);
  }
}
