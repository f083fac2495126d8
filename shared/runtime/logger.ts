/**
 * Structured JSON logging: one line per entry (time, level, message, requestId, step, instanceId, …),
 * written to a sink (stdout/stderr by default, which FunctionGraph ships to LTS).
 *
 * Redaction happens here, at the last point before bytes leave the process, so no caller can forget
 * it: values under secret-looking keys become `***`, and every registered secret value (agency SK,
 * security token, IAM token) is cut out of every string, including error messages and stacks.
 */
import type { Logger } from '../cloud/types.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

export const REDACTED = '***';

/* ------------------------------------------------------------------ secrets */

const secrets = new Set<string>();
let secretsByLength: string[] = [];

// Shorter values would be replaced inside ordinary words; real AK/SK/tokens are 20+ characters.
const MIN_SECRET_LENGTH = 6;

/** Registers a value that must never be printed (process-wide, so every logger redacts it). */
export function registerSecret(value: string | null | undefined): void {
  if (typeof value !== 'string') return;
  const trimmed = value.trim();
  if (trimmed.length < MIN_SECRET_LENGTH || secrets.has(trimmed)) return;
  secrets.add(trimmed);
  // Longest first, so a secret containing another one is removed whole.
  secretsByLength = [...secrets].sort((a, b) => b.length - a.length);
}

/** Forgets every registered secret (tests). */
export function clearRegisteredSecrets(): void {
  secrets.clear();
  secretsByLength = [];
}

// Whole-word keys: `ak`/`sk` must not match `task`, `disk` or `mask`.
const SECRET_WORDS = new Set(['ak', 'sk']);
// Substrings: `X-Security-Token`, `clientSecret`, `db_password`, `Authorization`, `accessKey`…
const SECRET_SUBSTRINGS = [
  'secret',
  'token',
  'password',
  'passwd',
  'authorization',
  'signature',
  'accesskey',
  'apikey',
  'privatekey',
  'credential',
];

/** True when a field name says its value is secret. */
export function isSecretKey(key: string): boolean {
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
  if (words.some((w) => SECRET_WORDS.has(w))) return true;
  const joined = words.join('');
  return SECRET_SUBSTRINGS.some((s) => joined.includes(s));
}

// Credentials inside free text: SDK-HMAC-SHA256 headers, `sk=…` style pairs, bearer tokens.
const TEXT_PATTERNS: ReadonlyArray<[RegExp, string]> = [
  [/\b(Access|Signature)=[^,\s"']+/g, `$1=${REDACTED}`],
  [
    /\b(ak|sk|secret|password|token|security[_-]?token|x-auth-token|x-security-token|authorization)(["']?\s*[:=]\s*["']?)(?!\*\*\*)[^\s"',&;]+/gi,
    `$1$2${REDACTED}`,
  ],
  [/\bBearer\s+[A-Za-z0-9._~+/=-]+/g, `Bearer ${REDACTED}`],
];

/** Removes registered secret values and credential-looking pairs from free text. */
export function redactString(value: string): string {
  let out = value;
  for (const secret of secretsByLength) {
    if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  }
  for (const [pattern, replacement] of TEXT_PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

const MAX_DEPTH = 8;
const MAX_ARRAY = 100;
const MAX_STRING = 8192;

/**
 * A JSON-safe, redacted copy of `value`: secret keys masked, secret values cut out of strings, errors
 * serialized (message, stack, code, cause chain), cycles and depth bounded.
 */
export function redact(value: unknown): unknown {
  return walk(value, 0, new WeakSet());
}

function walk(value: unknown, depth: number, seen: WeakSet<object>): unknown {
  if (value === null || value === undefined) return value;
  switch (typeof value) {
    case 'string':
      return truncate(redactString(value));
    case 'number':
    case 'boolean':
      return value;
    case 'bigint':
      return value.toString();
    case 'symbol':
      return value.toString();
    case 'function':
      return undefined;
    default:
      break;
  }
  const object = value as object;
  if (seen.has(object)) return '[Circular]';
  if (depth >= MAX_DEPTH) return '[Truncated]';
  seen.add(object);
  try {
    if (object instanceof Error) return serializeErrorInner(object, depth, seen);
    if (object instanceof Date) return Number.isNaN(object.getTime()) ? 'Invalid Date' : object.toISOString();
    if (Buffer.isBuffer(object) || object instanceof Uint8Array) return `[${object.byteLength} bytes]`;
    if (object instanceof Map) return walk(Object.fromEntries(object), depth, seen);
    if (object instanceof Set) return walk([...object], depth, seen);
    if (Array.isArray(object)) {
      const items = object.slice(0, MAX_ARRAY).map((item) => walk(item, depth + 1, seen));
      if (object.length > MAX_ARRAY) items.push(`[${object.length - MAX_ARRAY} more]`);
      return items;
    }
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(object)) {
      out[key] =
        isSecretKey(key) && inner !== undefined && inner !== null ? REDACTED : walk(inner, depth + 1, seen);
    }
    return out;
  } finally {
    seen.delete(object);
  }
}

function truncate(value: string): string {
  return value.length > MAX_STRING
    ? `${value.slice(0, MAX_STRING)}…[${value.length - MAX_STRING} more]`
    : value;
}

/** An error as a redacted plain object: name, message, code, field, step, retryable, stack, cause. */
export function serializeError(error: unknown): Record<string, unknown> {
  if (error instanceof Error) return serializeErrorInner(error, 0, new WeakSet([error]));
  return { name: 'NonError', message: truncate(redactString(safeString(error))) };
}

function serializeErrorInner(error: Error, depth: number, seen: WeakSet<object>): Record<string, unknown> {
  const out: Record<string, unknown> = {
    name: error.name,
    message: truncate(redactString(error.message)),
  };
  // Own enumerable fields (code, field, httpStatus, …), masked by key like any object.
  for (const [key, inner] of Object.entries(error)) {
    if (key === 'name' || key === 'message' || key === 'stack' || key === 'cause') continue;
    out[key] =
      isSecretKey(key) && inner !== undefined && inner !== null ? REDACTED : walk(inner, depth + 1, seen);
  }
  if (error.stack) out.stack = truncate(redactString(error.stack));
  if (error.cause !== undefined) out.cause = walk(error.cause, depth + 1, seen);
  return out;
}

function safeString(value: unknown): string {
  try {
    return typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  } catch {
    return String(value);
  }
}

/* ------------------------------------------------------------------ sinks */

export interface LogSink {
  write(level: LogLevel, line: string): void;
}

/**
 * Every level to stderr: FunctionGraph collects both streams, and when functions run in the local
 * runtime (same process as the CLI) stdout stays reserved for command output such as `--json`.
 */
export const stdSink: LogSink = {
  write(_level, line) {
    process.stderr.write(`${line}\n`);
  },
};

/* ------------------------------------------------------------------ logger */

export interface KvlLogger extends Logger {
  readonly level: LogLevel;
  child(fields: Record<string, unknown>): KvlLogger;
}

export interface LoggerOptions {
  level?: LogLevel;
  sink?: LogSink;
  /** Fields added to every line (requestId, step, …). */
  fields?: Record<string, unknown>;
  now?: () => Date;
}

export class LoggerOptionsError extends Error {
  override readonly name = 'LoggerOptionsError';
}

export function isLogLevel(value: unknown): value is LogLevel {
  return typeof value === 'string' && (LOG_LEVELS as readonly string[]).includes(value);
}

// The first keys of every line, in this order; the rest follow as given.
const LEADING = ['time', 'level', 'message', 'requestId', 'step', 'instanceId'] as const;

export function createLogger(options: LoggerOptions = {}): KvlLogger {
  const level = options.level ?? 'info';
  if (!isLogLevel(level)) throw new LoggerOptionsError(`level must be one of ${LOG_LEVELS.join(', ')}`);
  const sink = options.sink ?? stdSink;
  if (typeof sink.write !== 'function')
    throw new LoggerOptionsError('sink must have a write(level, line) method');
  const now = options.now ?? (() => new Date());
  const base = { ...(options.fields ?? {}) };
  const threshold = LOG_LEVELS.indexOf(level);

  const emit = (lineLevel: LogLevel, message: string, fields?: Record<string, unknown>) => {
    if (LOG_LEVELS.indexOf(lineLevel) < threshold) return;
    const merged: Record<string, unknown> = { ...base, ...(fields ?? {}) };
    const body = redact(merged) as Record<string, unknown>;
    const entry: Record<string, unknown> = { time: now().toISOString(), level: lineLevel, message: '' };
    entry.message = redactString(String(message));
    for (const key of LEADING.slice(3)) if (body[key] !== undefined) entry[key] = body[key];
    for (const [key, value] of Object.entries(body)) {
      if ((LEADING as readonly string[]).includes(key)) {
        // A field named like a reserved key must not overwrite it.
        if (key === 'time' || key === 'level' || key === 'message') entry[`field.${key}`] = value;
        continue;
      }
      entry[key] = value;
    }
    let line: string;
    try {
      line = JSON.stringify(entry);
    } catch {
      line = JSON.stringify({
        time: entry.time,
        level: lineLevel,
        message: entry.message,
        unserializable: true,
      });
    }
    try {
      sink.write(lineLevel, line);
    } catch {
      // Logging must never break the invocation.
    }
  };

  return {
    level,
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => createLogger({ level, sink, now, fields: { ...base, ...fields } }),
  };
}

/** A logger that drops everything (tests, library defaults). */
export const silentLogger: KvlLogger = createLogger({ sink: { write: () => {} }, level: 'error' });
