/**
 * Huawei Cloud "SDK-HMAC-SHA256" request signing (reference §D.1), byte-compatible with the
 * official Node.js SDK (`@huaweicloud/huaweicloud-sdk-core` AKSKSigner) for the same inputs.
 *
 * The same code verifies signatures (the local emulator uses `verifySignature`), so canonicalization
 * works from what is actually on the wire: path segments and query components are percent-decoded
 * first and re-encoded with the SDK's encoder, which makes raw and already-encoded URLs sign alike.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNING_ALGORITHM = 'SDK-HMAC-SHA256';
export const EMPTY_BODY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const HEADER_CONTENT_SHA256 = 'x-sdk-content-sha256';
const DEFAULT_MAX_SKEW_MS = 15 * 60_000;

export interface SignableRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  /** The exact bytes sent. */
  body?: string | Buffer;
}

export interface SigningCredentials {
  ak: string;
  sk: string;
  securityToken?: string;
  projectId?: string;
}

export interface ParsedAuthorization {
  algorithm: string;
  access: string;
  signedHeaders: string[];
  signature: string;
}

export type VerifyResult = { ok: true; ak: string } | { ok: false; reason: string };

/* ------------------------------------------------------------------ encoding */

// RFC 3986 unreserved characters stay literal; everything else becomes %XX over UTF-8 (as the SDK).
function isUnreserved(code: number): boolean {
  return (
    (code >= 0x41 && code <= 0x5a) ||
    (code >= 0x61 && code <= 0x7a) ||
    (code >= 0x30 && code <= 0x39) ||
    code === 0x2d ||
    code === 0x2e ||
    code === 0x5f ||
    code === 0x7e
  );
}

/** Percent-encodes everything except `A-Z a-z 0-9 - _ . ~` (uppercase hex over UTF-8). */
export function urlEncode(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    out += isUnreserved(byte)
      ? String.fromCharCode(byte)
      : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Decodes %XX sequences; a malformed sequence is kept literally (it is then encoded as `%25…`). */
function safeDecode(value: string): string {
  if (!value.includes('%')) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    // Decode the valid runs only, so "100%" and "%E4%B8%80" in one string both survive.
    return value.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
      try {
        return decodeURIComponent(run);
      } catch {
        return run;
      }
    });
  }
}

/* ------------------------------------------------------------------ URL parts */

interface UrlParts {
  scheme: string;
  /** host[:port], lowercase, default port omitted. */
  host: string;
  path: string;
  query: string;
}

// Parsed by hand rather than with WHATWG URL, which would normalize `.`/`..` segments and `\` in the
// path and so sign a different path than the one the SDK signs.
function splitUrl(url: string): UrlParts {
  const match = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/([^/?#]*)([^?#]*)(?:\?([^#]*))?/.exec(url);
  if (!match) {
    // A bare path ("/v1/x?a=b"), as received by a server.
    const hashless = url.split('#', 1)[0] ?? '';
    const q = hashless.indexOf('?');
    return {
      scheme: 'http',
      host: '',
      path: q < 0 ? hashless : hashless.slice(0, q),
      query: q < 0 ? '' : hashless.slice(q + 1),
    };
  }
  const scheme = (match[1] ?? '').toLowerCase();
  let host = (match[2] ?? '').replace(/^[^@]*@/, '').toLowerCase();
  if ((scheme === 'https' && host.endsWith(':443')) || (scheme === 'http' && host.endsWith(':80'))) {
    host = host.slice(0, host.lastIndexOf(':'));
  }
  return { scheme, host, path: match[3] ?? '', query: match[4] ?? '' };
}

/** Canonical URI: each segment decoded then encoded, always ending in `/`. */
export function canonicalUri(path: string): string {
  const encoded = path
    .split('/')
    .map((segment) => urlEncode(safeDecode(segment)))
    .join('/');
  return encoded.endsWith('/') ? encoded : `${encoded}/`;
}

/** Parses a raw query string into decoded key → values (repeated keys collected in order). */
export function parseQuery(query: string): Map<string, string[]> {
  const params = new Map<string, string[]>();
  for (const part of query.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = safeDecode(eq < 0 ? part : part.slice(0, eq));
    const value = safeDecode(eq < 0 ? '' : part.slice(eq + 1));
    const values = params.get(key);
    if (values) values.push(value);
    else params.set(key, [value]);
  }
  return params;
}

// Plain UTF-16 code-unit comparison, as Array.prototype.sort() in the SDK.
function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Canonical query: keys sorted by their decoded form, repeated keys' values sorted, both encoded
 * (the SDK sorts before encoding, so this is its order, not the order of the encoded strings).
 */
export function canonicalQueryString(query: string | Map<string, string[]>): string {
  const params = typeof query === 'string' ? parseQuery(query) : query;
  const parts: string[] = [];
  for (const key of [...params.keys()].sort(compareCodeUnits)) {
    const values = [...(params.get(key) ?? [])].sort(compareCodeUnits);
    for (const value of values) parts.push(`${urlEncode(key)}=${urlEncode(value)}`);
  }
  return parts.join('&');
}

/* ------------------------------------------------------------------ primitives */

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function hmacSha256Hex(key: string, data: string): string {
  return createHmac('sha256', key).update(data).digest('hex');
}

/** `YYYYMMDDTHHMMSSZ` in UTC. */
export function formatSdkDate(d: Date): string {
  return `${d.toISOString().replace(/[-:]/g, '').slice(0, 15)}Z`;
}

export function parseSdkDate(s: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, se] = m.map(Number) as [number, number, number, number, number, number, number];
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, se));
  // Reject rolled-over values such as month 13.
  return formatSdkDate(date) === s.trim() ? date : undefined;
}

function findHeader(headers: Record<string, string>, lowerName: string): string | undefined {
  for (const [name, value] of Object.entries(headers)) {
    if (name.toLowerCase() === lowerName) return value;
  }
  return undefined;
}

/* ------------------------------------------------------------------ canonical request */

export interface CanonicalRequestInput {
  method: string;
  url: string;
  /** Header values by name (any case). `host` falls back to the URL's host. */
  headers: Record<string, string>;
  /** Lowercase names, in the order they appear in SignedHeaders (sorted for signing). */
  signedHeaders: string[];
  body?: string | Buffer;
}

export function canonicalRequest(input: CanonicalRequestInput): string {
  const parts = splitUrl(input.url);
  const canonicalHeaders = input.signedHeaders
    .map((name) => {
      const lower = name.toLowerCase();
      const value = findHeader(input.headers, lower) ?? (lower === 'host' ? parts.host : '');
      return `${lower}:${value}\n`;
    })
    .join('');
  const declaredHash = findHeader(input.headers, HEADER_CONTENT_SHA256);
  const payloadHash =
    declaredHash !== undefined && declaredHash !== ''
      ? declaredHash
      : input.body === undefined || input.body.length === 0
        ? EMPTY_BODY_SHA256
        : sha256Hex(input.body);
  return [
    input.method.toUpperCase(),
    canonicalUri(parts.path),
    canonicalQueryString(parts.query),
    canonicalHeaders,
    input.signedHeaders.map((h) => h.toLowerCase()).join(';'),
    payloadHash,
  ].join('\n');
}

export function stringToSign(canonical: string, sdkDate: string): string {
  return `${SIGNING_ALGORITHM}\n${sdkDate}\n${sha256Hex(canonical)}`;
}

export function computeSignature(canonical: string, sdkDate: string, sk: string): string {
  return hmacSha256Hex(sk, stringToSign(canonical, sdkDate));
}

/* ------------------------------------------------------------------ sign / verify */

/**
 * Returns the headers to add to the request: `X-Sdk-Date`, `X-Project-Id` (with a project id),
 * `X-Security-Token` (temporary credentials) and `Authorization`. Like the official SDK, every header
 * passed in is signed, plus `host` and the added ones. Pass headers exactly as they will be sent.
 */
export function signRequest(
  request: SignableRequest,
  credentials: SigningCredentials,
  date: Date = new Date(),
): Record<string, string> {
  const sdkDate = formatSdkDate(date);
  const added: Record<string, string> = { 'X-Sdk-Date': sdkDate };
  if (credentials.projectId) added['X-Project-Id'] = credentials.projectId;
  if (credentials.securityToken) added['X-Security-Token'] = credentials.securityToken;

  // Names are case-insensitive: an added header replaces a caller's header of the same name.
  const all = new Map<string, string>();
  for (const [name, value] of Object.entries(request.headers ?? {})) all.set(name.toLowerCase(), value);
  for (const [name, value] of Object.entries(added)) all.set(name.toLowerCase(), value);
  all.delete('authorization');
  if (!all.has('host')) all.set('host', splitUrl(request.url).host);

  const signedHeaders = [...all.keys()].sort(compareCodeUnits);
  const canonical = canonicalRequest({
    method: request.method,
    url: request.url,
    headers: Object.fromEntries(all),
    signedHeaders,
    body: request.body,
  });
  const signature = computeSignature(canonical, sdkDate, credentials.sk);
  added.Authorization = `${SIGNING_ALGORITHM} Access=${credentials.ak}, SignedHeaders=${signedHeaders.join(';')}, Signature=${signature}`;
  return added;
}

export function parseAuthorization(header: string): ParsedAuthorization | undefined {
  const m =
    /^\s*(\S+)\s+Access=([^,\s]+)\s*,\s*SignedHeaders=([^,\s]+)\s*,\s*Signature=([0-9a-fA-F]+)\s*$/.exec(
      header,
    );
  if (!m) return undefined;
  return {
    algorithm: m[1] ?? '',
    access: m[2] ?? '',
    signedHeaders: (m[3] ?? '').split(';').filter((h) => h !== ''),
    signature: (m[4] ?? '').toLowerCase(),
  };
}

export interface ReceivedRequest {
  method: string;
  /** Full URL or the raw request target (`/path?query`) exactly as received. */
  url: string;
  /** Received headers; array values (repeated headers) are joined with `,`. */
  headers: Record<string, string | string[] | undefined>;
  body?: string | Buffer;
}

/**
 * Server-side check: recomputes the signature over the headers listed in SignedHeaders and compares
 * it in constant time. Requires `x-sdk-date` to be signed and within `maxSkewMs` of `now`.
 */
export function verifySignature(
  request: ReceivedRequest,
  lookupSecret: (ak: string) => string | undefined,
  now: Date = new Date(),
  maxSkewMs: number = DEFAULT_MAX_SKEW_MS,
): VerifyResult {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  const authorization = headers.authorization;
  if (!authorization) return { ok: false, reason: 'missing Authorization header' };
  const auth = parseAuthorization(authorization);
  if (!auth) return { ok: false, reason: 'malformed Authorization header' };
  if (auth.algorithm !== SIGNING_ALGORITHM)
    return { ok: false, reason: `unsupported algorithm ${auth.algorithm}` };
  if (!auth.signedHeaders.includes('x-sdk-date')) return { ok: false, reason: 'x-sdk-date is not signed' };
  if (auth.signedHeaders.includes('authorization'))
    return { ok: false, reason: 'authorization must not be signed' };
  for (const name of auth.signedHeaders) {
    if (name !== 'host' && headers[name] === undefined)
      return { ok: false, reason: `signed header ${name} is missing` };
  }
  const sdkDate = headers['x-sdk-date'] ?? '';
  const signedAt = parseSdkDate(sdkDate);
  if (!signedAt) return { ok: false, reason: 'malformed X-Sdk-Date' };
  if (Math.abs(now.getTime() - signedAt.getTime()) > maxSkewMs) {
    return { ok: false, reason: 'X-Sdk-Date is outside the allowed clock skew' };
  }
  const sk = lookupSecret(auth.access);
  if (sk === undefined) return { ok: false, reason: 'unknown access key' };

  const canonical = canonicalRequest({
    method: request.method,
    url: request.url,
    headers,
    signedHeaders: auth.signedHeaders,
    body: request.body,
  });
  const expected = Buffer.from(computeSignature(canonical, sdkDate, sk), 'hex');
  const received = Buffer.from(auth.signature, 'hex');
  if (expected.length !== received.length || !timingSafeEqual(expected, received)) {
    return { ok: false, reason: 'signature mismatch' };
  }
  return { ok: true, ak: auth.access };
}
