/**
 * The FunctionGraph invocation context (reference functiongraph.md §1.2) and its adapter to the AWS
 * Lambda `Context` that middy expects.
 *
 * Why an adapter: middy arms `timeoutEarlyInMillis` only when `context.getRemainingTimeInMillis`
 * exists, and it checks *before* the first middleware runs. FunctionGraph names the method
 * `getRemainingTimeInMilliSeconds`, so without this adapter (applied before middy sees the context)
 * early timeouts are silently off (reference §5.3).
 */
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';

export interface FunctionGraphLogger {
  info(...args: unknown[]): void;
  warn?(...args: unknown[]): void;
  error?(...args: unknown[]): void;
  debug?(...args: unknown[]): void;
}

/** What the FunctionGraph Node.js runtime passes as the second handler argument. */
export interface FunctionGraphContext {
  getRequestID(): string;
  getRemainingTimeInMilliSeconds(): number;
  /** The configured timeout, in seconds. */
  getRunningTimeInSeconds(): number;
  /** A user (or decrypted encrypted) variable of the function. */
  getUserData(key: string): string | undefined;
  getFunctionName(): string;
  getVersion(): string;
  getPackage(): string;
  getAlias(): string;
  getMemorySize(): string | number;
  getCPUNumber(): string | number;
  getProjectID(): string;
  /** Temporary credentials of the function's agency (empty strings without an agency). */
  getSecurityAccessKey(): string;
  getSecuritySecretKey(): string;
  getSecurityToken(): string;
  /** IAM token of the agency. */
  getToken(): string;
  getLogger(): FunctionGraphLogger;
}

/** The Lambda-shaped context middy sees, with the original FunctionGraph context kept as `fg`. */
export type KvlLambdaContext = Context & { fg: FunctionGraphContext };

/** setTimeout overflows above 2^31-1 ms and would then fire at once: clamp what middy schedules. */
const MAX_TIMER_MS = 2 ** 31 - 1;

class UnsupportedContextMethodError extends Error {
  override readonly name = 'UnsupportedContextMethodError';
  constructor(method: string) {
    super(`context.${method}() is a Lambda callback API; FunctionGraph handlers return a promise instead`);
  }
}

export function isFunctionGraphContext(value: unknown): value is FunctionGraphContext {
  if (typeof value !== 'object' || value === null) return false;
  const ctx = value as Record<string, unknown>;
  return typeof ctx.getRequestID === 'function' && typeof ctx.getRemainingTimeInMilliSeconds === 'function';
}

export function isKvlLambdaContext(value: unknown): value is KvlLambdaContext {
  if (typeof value !== 'object' || value === null) return false;
  const ctx = value as Record<string, unknown>;
  return typeof ctx.getRemainingTimeInMillis === 'function' && isFunctionGraphContext(ctx.fg);
}

/** Adapts a FunctionGraph context for middy (idempotent: an adapted context is returned as is). */
export function toLambdaContext(ctx: FunctionGraphContext | KvlLambdaContext): KvlLambdaContext {
  if (isKvlLambdaContext(ctx)) return ctx;
  const fg = ctx;
  const name = safeCall(() => fg.getFunctionName(), '');
  const version = safeCall(() => fg.getVersion(), '');
  const pkg = safeCall(() => fg.getPackage(), '');
  const projectId = safeCall(() => fg.getProjectID(), '');
  const memory = safeCall(() => String(fg.getMemorySize()), '');
  const unsupported = (method: string) => () => {
    throw new UnsupportedContextMethodError(method);
  };
  return {
    fg,
    callbackWaitsForEmptyEventLoop: false,
    functionName: name,
    functionVersion: version,
    // Not an ARN: FunctionGraph has URNs. The region is unknown to the context, hence left empty.
    invokedFunctionArn: `urn:fss::${projectId}:function:${pkg}:${name}:${version}`,
    memoryLimitInMB: memory,
    awsRequestId: safeCall(() => fg.getRequestID(), '') || randomUUID(),
    logGroupName: '',
    logStreamName: '',
    getRemainingTimeInMillis: () =>
      Math.min(MAX_TIMER_MS, Math.max(0, Math.floor(Number(fg.getRemainingTimeInMilliSeconds()) || 0))),
    done: unsupported('done'),
    fail: unsupported('fail'),
    succeed: unsupported('succeed'),
  };
}

function safeCall<T>(fn: () => T, fallback: T): T {
  try {
    const value = fn();
    return value === undefined || value === null ? fallback : value;
  } catch {
    return fallback;
  }
}

/**
 * Completes a partial context (e.g. the `{}` Huawei's VS Code guide passes, or a host that lacks
 * newer getters) so handlers never crash on a missing method. Without a remaining-time getter the
 * budget is `RUNTIME_TIMEOUT` (seconds, the runtime's own source) or the 900 s sync ceiling.
 */
export function coerceFunctionGraphContext(
  value: unknown,
  env: Record<string, string | undefined> = process.env,
): FunctionGraphContext {
  if (isFunctionGraphContext(value) && hasAllMethods(value)) return value;
  const given = (typeof value === 'object' && value !== null ? value : {}) as Partial<
    Record<keyof FunctionGraphContext, unknown>
  >;
  const timeoutSeconds = Number(env.RUNTIME_TIMEOUT);
  const fallback = createLocalContext({
    functionName: env.RUNTIME_FUNC_NAME ?? 'unknown',
    timeoutMs: Number.isFinite(timeoutSeconds) && timeoutSeconds > 0 ? timeoutSeconds * 1000 : 900_000,
    projectId: env.RUNTIME_PROJECT_ID,
  });
  const merged = { ...fallback };
  for (const key of Object.keys(fallback) as Array<keyof FunctionGraphContext>) {
    const own = given[key];
    if (typeof own === 'function') {
      // Bound so runtime implementations relying on `this` keep working.
      (merged as Record<string, unknown>)[key] = (own as (...args: unknown[]) => unknown).bind(value);
    }
  }
  return merged;
}

const METHODS: ReadonlyArray<keyof FunctionGraphContext> = [
  'getRequestID',
  'getRemainingTimeInMilliSeconds',
  'getRunningTimeInSeconds',
  'getUserData',
  'getFunctionName',
  'getVersion',
  'getPackage',
  'getAlias',
  'getMemorySize',
  'getCPUNumber',
  'getProjectID',
  'getSecurityAccessKey',
  'getSecuritySecretKey',
  'getSecurityToken',
  'getToken',
  'getLogger',
];

function hasAllMethods(value: FunctionGraphContext): boolean {
  return METHODS.every((m) => typeof value[m] === 'function');
}

/* ------------------------------------------------------------------ local contexts */

export interface LocalContextOptions {
  requestId?: string;
  functionName: string;
  /** The configured function timeout; remaining time counts down from creation. */
  timeoutMs: number;
  /** Function user data (`getUserData`). */
  userData?: Record<string, string | undefined>;
  /** Agency credentials the context hands out. */
  credentials?: { ak: string; sk: string; securityToken?: string };
  /** IAM token of the agency (`getToken`). */
  token?: string;
  projectId?: string;
  memoryMb?: number;
  cpu?: number;
  version?: string;
  packageName?: string;
  alias?: string;
  /** Clock in ms (tests). */
  now?: () => number;
}

/**
 * A FunctionGraph-shaped context for the local runtime and tests, behaving like the real one:
 * remaining time counts down from creation, user data is read with `getUserData`, and credential
 * getters return '' when no agency is configured.
 */
export function createLocalContext(options: LocalContextOptions): FunctionGraphContext {
  const now = options.now ?? Date.now;
  const start = now();
  const timeoutMs = Math.max(0, options.timeoutMs);
  const requestId = options.requestId ?? randomUUID();
  const userData = { ...(options.userData ?? {}) };
  const logger: FunctionGraphLogger = {
    // The runtime's own logger prints "time-requestId-content"; kept for parity, the project logs JSON.
    info: (...args) =>
      process.stdout.write(`${new Date(now()).toISOString()}-${requestId}-${args.join(' ')}\n`),
  };
  return {
    getRequestID: () => requestId,
    getRemainingTimeInMilliSeconds: () => Math.max(0, start + timeoutMs - now()),
    getRunningTimeInSeconds: () => Math.ceil(timeoutMs / 1000),
    getUserData: (key) => userData[key],
    getFunctionName: () => options.functionName,
    getVersion: () => options.version ?? 'latest',
    getPackage: () => options.packageName ?? 'default',
    getAlias: () => options.alias ?? '',
    getMemorySize: () => String(options.memoryMb ?? 256),
    getCPUNumber: () => String(options.cpu ?? 1),
    getProjectID: () => options.projectId ?? '',
    getSecurityAccessKey: () => options.credentials?.ak ?? '',
    getSecuritySecretKey: () => options.credentials?.sk ?? '',
    getSecurityToken: () => options.credentials?.securityToken ?? '',
    getToken: () => options.token ?? '',
    getLogger: () => logger,
  };
}
