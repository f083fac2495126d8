/**
 * Errors of the Huawei Cloud clients. Every non-2xx answer becomes a `CloudApiError` (or a subclass
 * where the caller branches on the kind), parsed from whichever error envelope the service uses
 * (reference §A.7, §B.7, §C, §E). Messages carry service, method, path, status, code and the server's
 * message; never headers, credentials or signatures.
 */
import { redactText } from '../redaction.js';
import type { CloudService, CrossVpcModifyResult } from './types.js';

/** Codes that mean "slow down"; DMS's flow control even comes back as HTTP 404 (§A.7). */
export const THROTTLE_CODES: ReadonlySet<string> = new Set([
  'APIGW.0308',
  'APIG.0308',
  'EndPoint.0022',
  'DMS.10240407',
]);
export const NOT_FOUND_CODES: ReadonlySet<string> = new Set([
  'DMS.00404022',
  'DMS.00404001',
  'EndPoint.0005',
  'EndPoint.2006',
  'EndPoint.2007',
  'EndPoint.2008',
  'VPC.9904',
]);
export const AUTH_CODES: ReadonlySet<string> = new Set(['APIGW.0301', 'APIG.0301', 'EndPoint.0003']);
export const INSTANCE_BUSY_CODE = 'DMS.00400026';

export interface CloudApiErrorInit {
  service: CloudService;
  httpStatus: number;
  code: string;
  /** The server's own message (or a status text). */
  serverMessage: string;
  requestId?: string;
  retryable?: boolean;
  method?: string;
  /** Path without the query string. */
  path?: string;
  cause?: unknown;
}

/** Secrets a gateway may echo (its Authorization header, tokens) cut out of a server's message. */
export const redactSecrets: (text: string) => string = redactText;

function describe(init: CloudApiErrorInit): string {
  const where = [init.service, init.method, init.path].filter(Boolean).join(' ');
  const status = init.httpStatus > 0 ? `HTTP ${init.httpStatus} ` : '';
  const request = init.requestId ? ` (request id ${init.requestId})` : '';
  return `${where}: ${status}${init.code}: ${redactSecrets(init.serverMessage)}${request}`;
}

export class CloudApiError extends Error {
  readonly service: CloudService;
  readonly httpStatus: number;
  readonly code: string;
  readonly serverMessage: string;
  readonly requestId?: string;
  readonly retryable: boolean;
  readonly method?: string;
  readonly path?: string;

  constructor(init: CloudApiErrorInit) {
    super(describe(init), init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'CloudApiError';
    this.service = init.service;
    this.httpStatus = init.httpStatus;
    this.code = init.code;
    this.serverMessage = redactSecrets(init.serverMessage);
    this.requestId = init.requestId;
    this.method = init.method;
    this.path = init.path;
    this.retryable = init.retryable ?? isRetryableStatusOrCode(init.httpStatus, init.code);
  }
}

export class NotFoundError extends CloudApiError {
  constructor(init: CloudApiErrorInit) {
    super({ ...init, retryable: false });
    this.name = 'NotFoundError';
  }
}

export class ConflictError extends CloudApiError {
  constructor(init: CloudApiErrorInit) {
    super({ ...init, retryable: false });
    this.name = 'ConflictError';
  }
}

export class ThrottledError extends CloudApiError {
  /** Server-requested wait from `Retry-After`, when sent. */
  readonly retryAfterMs?: number;
  constructor(init: CloudApiErrorInit & { retryAfterMs?: number }) {
    super({ ...init, retryable: true });
    this.name = 'ThrottledError';
    this.retryAfterMs = init.retryAfterMs;
  }
}

/** DMS.00400026: the instance is not RUNNING. Retry only after waiting for RUNNING (§A, key fact 4). */
export class InstanceBusyError extends CloudApiError {
  constructor(init: CloudApiErrorInit) {
    super({ ...init, retryable: true });
    this.name = 'InstanceBusyError';
  }
}

/*
 * VPCEP's answers the domain branches on, by meaning (reference §B error table, checked against
 * local/cloud/vpcep.ts): shared/link names these classes, never the codes. `code` keeps the cloud's.
 */

/** Endpoint.1018 (sic, lowercase "p"): the VPCEP quota of the resource type is used up. */
export const QUOTA_EXCEEDED_CODE = 'Endpoint.1018';

export class QuotaExceededError extends CloudApiError {
  override name = 'QuotaExceededError';
}

/** EndPoint.2004: the endpoint service exists but is not `available` yet. */
export class ServiceNotReadyError extends CloudApiError {
  override name = 'ServiceNotReadyError';
}

/** EndPoint.2018 / EndPoint.2019: the endpoint is still being deleted / created. */
export class EndpointBusyError extends CloudApiError {
  override name = 'EndpointBusyError';
}

/** EndPoint.3006: the endpoint service still has endpoints attached. */
export class ServiceInUseError extends CloudApiError {
  override name = 'ServiceInUseError';
}

/** EndPoint.3044: another endpoint service already serves this port (port_id and server port). */
export class PortAlreadyServedError extends CloudApiError {
  override name = 'PortAlreadyServedError';
}

/** EndPoint.2001: the VPC given for an endpoint does not exist. */
export class VpcNotFoundError extends CloudApiError {
  override name = 'VpcNotFoundError';
}

/** EndPoint.4004 / EndPoint.2037: the subnet given for an endpoint does not exist or is not in the VPC. */
export class InvalidSubnetError extends CloudApiError {
  override name = 'InvalidSubnetError';
}

/** EndPoint.2012: the caller's account is not on the whitelist of another account's service. */
export class NotWhitelistedError extends CloudApiError {
  override name = 'NotWhitelistedError';
}

const VPCEP_ERRORS: ReadonlyMap<string, new (init: CloudApiErrorInit) => CloudApiError> = new Map<
  string,
  new (
    init: CloudApiErrorInit,
  ) => CloudApiError
>([
  [QUOTA_EXCEEDED_CODE, QuotaExceededError],
  ['EndPoint.2004', ServiceNotReadyError],
  ['EndPoint.2018', EndpointBusyError],
  ['EndPoint.2019', EndpointBusyError],
  ['EndPoint.3006', ServiceInUseError],
  ['EndPoint.3044', PortAlreadyServedError],
  ['EndPoint.2001', VpcNotFoundError],
  ['EndPoint.4004', InvalidSubnetError],
  ['EndPoint.2037', InvalidSubnetError],
  ['EndPoint.2012', NotWhitelistedError],
]);

/** Bad signature, expired token or clock skew. Retrying only risks locking the key (§E). */
export class AuthError extends CloudApiError {
  constructor(init: CloudApiErrorInit) {
    super({ ...init, retryable: false });
    this.name = 'AuthError';
  }
}

export type NetworkErrorCode = 'NETWORK' | 'TIMEOUT';

/** No HTTP answer: connection refused/reset, DNS failure or timeout. Always retryable. */
export class CloudNetworkError extends CloudApiError {
  constructor(
    init: Omit<CloudApiErrorInit, 'httpStatus' | 'code' | 'retryable'> & { code: NetworkErrorCode },
  ) {
    super({ ...init, httpStatus: 0, retryable: true });
    this.name = 'CloudNetworkError';
  }
}

/**
 * True when a failed write may still have been carried out: no answer came (a timeout, a dropped
 * connection) or the server failed after receiving it (5xx). A caller that must not repeat the write
 * (`idempotent: false`) looks for its result before trying again.
 */
export function mayHaveTakenEffect(error: unknown): boolean {
  return error instanceof CloudNetworkError || (error instanceof CloudApiError && error.httpStatus >= 500);
}

/** DMS accepted the modify call but some listeners were not changed. */
export class CrossVpcModifyError extends Error {
  readonly retryable = true;
  constructor(
    readonly instanceId: string,
    readonly failedListeners: string[],
    readonly result?: CrossVpcModifyResult,
    options?: { cause?: unknown },
  ) {
    super(
      `DMS cross-VPC modify of instance ${instanceId} failed for listener(s) ${failedListeners.join(', ') || '(unknown)'}`,
      options,
    );
    this.name = 'CrossVpcModifyError';
  }
}

/* ------------------------------------------------------------------ parsing */

export interface ParsedErrorBody {
  code?: string;
  message?: string;
  requestId?: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown): string | undefined {
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

/**
 * Reads every documented envelope: `{error_code, error_msg}` (DMS, VPCEP, APIGW), `{error:{code,
 * message}}`, `{code, message}` (VPC, SMN with `request_id`) and `{NeutronError:{type, message}}`.
 * A string body is parsed as JSON when possible, else used as the message.
 */
export function parseErrorBody(body: unknown): ParsedErrorBody {
  let value = body;
  if (Buffer.isBuffer(value)) value = value.toString('utf8');
  if (typeof value === 'string') {
    const trimmed = value.trim();
    if (trimmed === '') return {};
    try {
      value = JSON.parse(trimmed);
    } catch {
      return { message: trimmed.length > 300 ? `${trimmed.slice(0, 300)}…` : trimmed };
    }
  }
  if (!isRecord(value)) return {};
  const requestId = text(value.request_id) ?? text(value.requestId);
  if (text(value.error_code) || text(value.error_msg)) {
    return {
      code: text(value.error_code),
      message: text(value.error_msg) ?? text(value.error_message),
      requestId,
    };
  }
  if (isRecord(value.error)) {
    const inner = value.error;
    return {
      code: text(inner.code) ?? text(inner.error_code),
      message: text(inner.message) ?? text(inner.error_msg),
      requestId: requestId ?? text(inner.request_id),
    };
  }
  if (isRecord(value.NeutronError)) {
    const inner = value.NeutronError;
    return { code: text(inner.type), message: text(inner.message) ?? text(inner.detail), requestId };
  }
  if (text(value.code) || text(value.message)) {
    return { code: text(value.code), message: text(value.message), requestId };
  }
  return { requestId };
}

/** Huawei's answers that may succeed later: 429, 5xx, throttle codes and the busy instance. */
function isRetryableStatusOrCode(status: number, code: string): boolean {
  return status === 429 || status >= 500 || THROTTLE_CODES.has(code) || code === INSTANCE_BUSY_CODE;
}

export interface ErrorResponse {
  service: CloudService;
  method?: string;
  path?: string;
  status: number;
  statusText?: string;
  body?: unknown;
  /** `X-Request-Id` response header; the body's `request_id` is used when absent. */
  requestId?: string;
  retryAfterMs?: number;
  cause?: unknown;
}

/** Maps an HTTP error answer to the most specific error class. */
export function cloudErrorFromResponse(response: ErrorResponse): CloudApiError {
  const parsed = parseErrorBody(response.body);
  const code = parsed.code ?? `HTTP_${response.status}`;
  const init: CloudApiErrorInit = {
    service: response.service,
    httpStatus: response.status,
    code,
    serverMessage: parsed.message ?? (response.statusText || `HTTP ${response.status}`),
    requestId: response.requestId ?? parsed.requestId,
    method: response.method,
    path: response.path,
    cause: response.cause,
  };
  // Order matters: DMS.10240407 (throttle) arrives as a 404.
  if (response.status === 429 || THROTTLE_CODES.has(code)) {
    return new ThrottledError({ ...init, retryAfterMs: response.retryAfterMs });
  }
  if (code === INSTANCE_BUSY_CODE) return new InstanceBusyError(init);
  const named = VPCEP_ERRORS.get(code);
  if (named) return new named(init);
  if (response.status === 401 || AUTH_CODES.has(code)) return new AuthError(init);
  if (response.status === 404 || NOT_FOUND_CODES.has(code)) return new NotFoundError(init);
  if (response.status === 409) return new ConflictError(init);
  return new CloudApiError(init);
}

/**
 * Retryable vs terminal is decided by one rule for every layer (shared/retry.ts); a `CloudApiError`
 * takes part through its `retryable` flag, set from the status and code above.
 */
export { isNetworkErrorCode, isRetryable } from '../retry.js';
