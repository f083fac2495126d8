/**
 * The signed, retrying HTTP client under every service client (one axios instance per service).
 *
 * What is signed is exactly what is sent: the body is serialized once and those bytes are both hashed
 * and sent; the query is encoded with the signer's encoder; every attempt is signed afresh (new
 * X-Sdk-Date, freshly read credentials). Retries (axios-retry) cover throttling, 5xx, connection
 * errors and timeouts with exponential backoff + jitter, honouring Retry-After.
 */
import type { AxiosError, AxiosInstance, InternalAxiosRequestConfig } from 'axios';
import axiosRetry from 'axios-retry';
import { AxiosHeaders, createAxiosInstance, isAxiosError } from './axios-core.js';
import { isContinuingWork } from './continuing.js';
import { resolveBaseUrl } from './endpoints.js';
import {
  CloudApiError,
  CloudNetworkError,
  cloudErrorFromResponse,
  InstanceBusyError,
  isNetworkErrorCode,
  parseErrorBody,
  ThrottledError,
} from './errors.js';
import { nodeHttpAdapter } from './node-adapter.js';
import { signRequest, urlEncode } from './signer.js';
import type {
  CloudHttp,
  CloudRequest,
  CloudResponse,
  CloudService,
  CredentialsProvider,
  HttpMethod,
  Logger,
} from './types.js';

export interface RetryOptions {
  /** Retries after the first attempt (default 4). */
  retries?: number;
  /**
   * Retries of a throttled call (429 / throttle codes; default 10, or 0 when `retries` is 0):
   * throttling says "later", not "no", and under a burst of links a call can be refused many times
   * before its turn comes.
   */
  throttleRetries?: number;
  /**
   * The time a throttled call may still spend waiting, in ms (a function passes what is left of its
   * invocation). When given, a throttled call is retried as long as its next wait fits in it, not
   * `throttleRetries` times: under a burst of links a call's turn may come only after minutes, and
   * the invocation's own timeout is the real limit.
   */
  throttleBudgetMs?: () => number;
  /** First backoff step in ms (default 300); doubles per retry. */
  baseDelayMs?: number;
  /** Backoff cap in ms (default 20000). */
  maxDelayMs?: number;
  /** Backoff cap in ms of a call made inside `continuingWork` (default 2000; shared/cloud/continuing.ts). */
  continuingMaxDelayMs?: number;
  /** Upper bound for a server's Retry-After in ms (default 120000). */
  maxRetryAfterMs?: number;
}

export interface CloudHttpOptions {
  service: CloudService;
  region: string;
  projectId: string;
  credentials: CredentialsProvider;
  /** Wins over env/region resolution. */
  baseUrl?: string;
  env?: Record<string, string | undefined>;
  /** Per-attempt timeout (default 15000 ms). */
  timeoutMs?: number;
  retry?: RetryOptions;
  logger?: Logger;
  userAgent?: string;
}

const DEFAULT_TIMEOUT_MS = 15_000;
const DEFAULT_USER_AGENT = 'kafka-vpcep-link/0.1';

/** Per-call state that survives axios-retry's re-dispatch (kept by reference in the config). */
class CallContext {
  attempt = 0;
  lastDelayMs = 0;
  constructor(
    readonly method: HttpMethod,
    /** Path after `{project_id}` substitution, without query: safe to log. */
    readonly path: string,
    readonly url: string,
    readonly headers: Record<string, string>,
    readonly body: Buffer | undefined,
    readonly idempotent: boolean,
  ) {}
}

type ContextConfig = InternalAxiosRequestConfig & { kvlContext?: CallContext };

function contextOf(config: InternalAxiosRequestConfig | undefined): CallContext | undefined {
  return (config as ContextConfig | undefined)?.kvlContext;
}

/** `k=v&k=v2…` in the caller's order, encoded exactly like the signer's canonical query. */
export function buildQueryString(query: CloudRequest['query']): string {
  if (!query) return '';
  const parts: string[] = [];
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    const values = Array.isArray(value) ? value : [value];
    for (const v of values as ReadonlyArray<string | number | boolean>) {
      parts.push(`${urlEncode(key)}=${urlEncode(String(v))}`);
    }
  }
  return parts.join('&');
}

// Keep RFC 3986 pchar literal (ids, URNs with ':'), escape the rest. The signer canonicalizes by
// decoding and re-encoding, so the signature covers this form too.
function encodePathSegment(segment: string): string {
  return segment.replace(/[^A-Za-z0-9\-._~!$&'()*+,;=:@]/g, (ch) => encodeURIComponent(ch));
}

export function buildPath(path: string, projectId: string): string {
  const substituted = path.replaceAll('{project_id}', projectId);
  const absolute = substituted.startsWith('/') ? substituted : `/${substituted}`;
  return absolute.split('/').map(encodePathSegment).join('/');
}

/** How many retries axios-retry has made for this request so far. */
function retryCountOf(error: AxiosError): number {
  const state = (error.config as { 'axios-retry'?: { retryCount?: number } } | undefined)?.['axios-retry'];
  return state?.retryCount ?? 0;
}

/** Retry-After as seconds or an HTTP date; undefined when absent or unparseable. */
export function parseRetryAfter(value: unknown, now: number = Date.now()): number | undefined {
  const header = Array.isArray(value) ? value[0] : value;
  if (typeof header !== 'string' && typeof header !== 'number') return undefined;
  const text = String(header).trim();
  if (text === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function headerString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && typeof value[0] === 'string') return value[0];
  return undefined;
}

/**
 * Connection failures that happen before a request is sent: the cloud cannot have acted on it, so
 * even a request that must not be sent twice is retried after them.
 */
const NOT_SENT_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
]);

function isTimeout(error: AxiosError): boolean {
  return error.code === 'ETIMEDOUT' || error.code === 'ECONNABORTED' || /timeout/i.test(error.message);
}

function parseBody(data: unknown): unknown {
  const buffer = Buffer.isBuffer(data) ? data : data instanceof ArrayBuffer ? Buffer.from(data) : undefined;
  if (buffer === undefined) return data === '' ? undefined : data;
  if (buffer.length === 0) return undefined;
  const text = buffer.toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    // A non-JSON 2xx body (rare) is handed back as text rather than failing the call.
    return text;
  }
}

/** A hard stop for throttled retries bounded by time (`throttleBudgetMs`): no call waits forever. */
const MAX_THROTTLE_RETRIES = 1_000;

export function createCloudHttp(options: CloudHttpOptions): CloudHttp {
  const { service, projectId, credentials, logger } = options;
  const baseUrl = (
    options.baseUrl ?? resolveBaseUrl(service, options.region, options.env ?? process.env)
  ).replace(/\/+$/, '');
  const retries = options.retry?.retries ?? 4;
  // `retries: 0` asks for no retries at all: the larger throttle budget applies only when retrying.
  const throttleBudgetMs = options.retry?.throttleBudgetMs;
  const throttleRetries = throttleBudgetMs
    ? MAX_THROTTLE_RETRIES
    : retries === 0 && options.retry?.throttleRetries === undefined
      ? 0
      : Math.max(retries, options.retry?.throttleRetries ?? 10);
  const baseDelayMs = options.retry?.baseDelayMs ?? 300;
  const maxDelayMs = options.retry?.maxDelayMs ?? 20_000;
  const continuingMaxDelayMs = Math.min(maxDelayMs, options.retry?.continuingMaxDelayMs ?? 2_000);
  const maxRetryAfterMs = options.retry?.maxRetryAfterMs ?? 120_000;
  /** The wait before retry `retryCount` (1-based): its least part and the most jitter added to it. */
  const waitBefore = (retryCount: number, retryAfter: number | undefined) => {
    const cap = isContinuingWork() ? continuingMaxDelayMs : maxDelayMs;
    const backoff = Math.min(cap, baseDelayMs * 2 ** (retryCount - 1));
    // "Equal jitter": at least half the step, so clients that collided spread out without stalling.
    // Retry-After is a floor, not the wait: a gateway's Retry-After is the time to its next token,
    // the same for every client it refused, so callers that only honoured it came back together
    // every second and were refused again (a 1,000-link soak: ~108k refusals for ~26k calls). The
    // backoff keeps growing under it, so a crowd thins out while the throttle stays saturated.
    const least = backoff / 2;
    return retryAfter !== undefined
      ? { least: Math.max(Math.min(retryAfter, maxRetryAfterMs), least), jitter: backoff / 2 }
      : { least, jitter: backoff / 2 };
  };
  const userAgent = options.userAgent ?? DEFAULT_USER_AGENT;

  const instance: AxiosInstance = createAxiosInstance({
    timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    responseType: 'arraybuffer',
    // The body is already serialized; axios must not touch the bytes that were signed.
    transformRequest: [(data: unknown) => data],
    transformResponse: [(data: unknown) => data],
    transitional: { clarifyTimeoutError: true, silentJSONParsing: true, forcedJSONParsing: false },
    maxRedirects: 0,
    proxy: false,
    adapter: nodeHttpAdapter,
  });

  // Signs each attempt (axios-retry re-runs request interceptors on every retry).
  instance.interceptors.request.use(async (config) => {
    const ctx = contextOf(config);
    if (!ctx) return config;
    ctx.attempt += 1;
    const creds = await credentials();
    const signed = signRequest(
      { method: ctx.method, url: ctx.url, headers: ctx.headers, body: ctx.body },
      { ak: creds.ak, sk: creds.sk, securityToken: creds.securityToken, projectId },
    );
    // User-Agent is added after signing, as the official SDK does: proxies may rewrite it.
    config.headers = AxiosHeaders.from({ ...ctx.headers, ...signed, 'User-Agent': userAgent });
    return config;
  });

  const retryDecision = (error: AxiosError): boolean => {
    if (error.code === 'ERR_CANCELED') return false;
    const idempotent = contextOf(error.config)?.idempotent ?? true;
    if (!error.response) {
      // A request that must not run twice is re-sent only when it never left (ECONNREFUSED, DNS).
      const sendable = idempotent || (error.code !== undefined && NOT_SENT_CODES.has(error.code));
      return (
        sendable && (isTimeout(error) || isNetworkErrorCode(error.code)) && retryCountOf(error) < retries
      );
    }
    const mapped = cloudErrorFromResponse({
      service,
      status: error.response.status,
      body: error.response.data,
    });
    // Instance busy is retryable only after the instance is RUNNING again: the caller waits.
    if (!mapped.retryable || mapped instanceof InstanceBusyError) return false;
    // A 5xx may come after the work was done; a throttle refusal did nothing and is retried.
    if (!idempotent && !(mapped instanceof ThrottledError)) return false;
    // Throttled calls get more attempts than other failures (axios-retry counts up to the larger),
    // or, with a time budget, as many as fit in it.
    if (mapped instanceof ThrottledError) {
      if (!throttleBudgetMs) return true;
      const retryAfter = parseRetryAfter(error.response.headers?.['retry-after']);
      const wait = waitBefore(retryCountOf(error) + 1, retryAfter);
      return wait.least + wait.jitter < throttleBudgetMs();
    }
    return retryCountOf(error) < retries;
  };

  axiosRetry(instance, {
    retries: throttleRetries,
    shouldResetTimeout: true,
    retryCondition: retryDecision,
    retryDelay: (retryCount, error) => {
      const wait = waitBefore(retryCount, parseRetryAfter(error.response?.headers?.['retry-after']));
      const delay = wait.least + Math.random() * wait.jitter;
      const ctx = contextOf(error.config);
      if (ctx) ctx.lastDelayMs = delay;
      return delay;
    },
    onRetry: (_retryCount, error) => {
      const ctx = contextOf(error.config);
      logger?.warn('cloud request will be retried', {
        ...logFields(ctx, error.response?.status, headerString(error.response?.headers?.['x-request-id'])),
        code: errorCode(error),
        delayMs: Math.round(ctx?.lastDelayMs ?? 0),
      });
    },
  });

  function logFields(
    ctx: CallContext | undefined,
    status: number | undefined,
    requestId: string | undefined,
  ) {
    return {
      service,
      method: ctx?.method,
      path: ctx?.path,
      status,
      attempt: ctx?.attempt,
      requestId,
    };
  }

  function errorCode(error: AxiosError): string | undefined {
    if (!error.response) return isTimeout(error) ? 'TIMEOUT' : (error.code ?? 'NETWORK');
    return parseErrorBody(error.response.data).code ?? `HTTP_${error.response.status}`;
  }

  function toCloudError(error: unknown, ctx: CallContext): unknown {
    if (!isAxiosError(error)) return error;
    // A sanitized cause: the AxiosError holds the request config and socket, i.e. the signed headers.
    const cause = Object.assign(new Error(error.message), { name: 'HttpTransportError', code: error.code });
    if (!error.response) {
      return new CloudNetworkError({
        service,
        code: isTimeout(error) ? 'TIMEOUT' : 'NETWORK',
        serverMessage: isTimeout(error)
          ? `no answer within the timeout (${error.code ?? 'timeout'})`
          : `${error.code ?? 'network error'}: ${error.message}`,
        method: ctx.method,
        path: ctx.path,
        cause,
      });
    }
    const response = error.response;
    return cloudErrorFromResponse({
      service,
      method: ctx.method,
      path: ctx.path,
      status: response.status,
      statusText: response.statusText,
      body: response.data,
      requestId: headerString(response.headers?.['x-request-id']),
      retryAfterMs: parseRetryAfter(response.headers?.['retry-after']),
      cause,
    });
  }

  async function send(request: CloudRequest): Promise<CloudResponse> {
    const path = buildPath(request.path, projectId);
    const query = buildQueryString(request.query);
    const url = `${baseUrl}${path}${query ? `?${query}` : ''}`;
    const body = request.body === undefined ? undefined : Buffer.from(JSON.stringify(request.body), 'utf8');
    const headers: Record<string, string> = { ...(request.headers ?? {}) };
    if (body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
      headers['Content-Type'] = 'application/json';
    }
    const ctx = new CallContext(request.method, path, url, headers, body, request.idempotent ?? true);
    const config: Partial<ContextConfig> = {
      method: request.method,
      url,
      data: body,
      kvlContext: ctx,
      ...(request.timeoutMs !== undefined ? { timeout: request.timeoutMs } : {}),
    };
    try {
      const response = await instance.request(config);
      const requestId = headerString(response.headers?.['x-request-id']);
      logger?.debug('cloud request', logFields(ctx, response.status, requestId));
      return { status: response.status, body: parseBody(response.data), requestId };
    } catch (error) {
      const mapped = toCloudError(error, ctx);
      if (mapped instanceof CloudApiError) {
        logger?.warn('cloud request failed', {
          ...logFields(ctx, mapped.httpStatus || undefined, mapped.requestId),
          code: mapped.code,
        });
      }
      throw mapped;
    }
  }

  return { service, projectId, baseUrl, send };
}
