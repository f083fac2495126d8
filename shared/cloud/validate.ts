/**
 * Small helpers shared by the service clients (dms, vpcep, vpc, smn, iam): id checks before an id is
 * put into a URL, zod parsing of response bodies into a clear error, wire-format quirks (numbers sent
 * as strings, `null` lists) and the two pagination styles of Huawei Cloud (offset/limit and marker).
 */
import { describeValue, ID_CHARACTERS, ID_PATTERN, MAX_ID_LENGTH } from '../input.js';
import * as z from '../zod.js';
import type { CloudResponse, CloudService, Tag } from './types.js';

/* ------------------------------------------------------------------ errors */

/** An id that must not go into a URL path (traversal, query/fragment characters, empty, too long). */
export class InvalidIdError extends Error {
  override readonly name = 'InvalidIdError';
  readonly field: string;

  constructor(field: string, value: unknown, reason: string, options?: { cause?: unknown }) {
    super(`invalid ${field} ${describeValue(value)}: ${reason}`, options);
    this.field = field;
  }
}

/** A 2xx answer whose body does not have the documented shape (API drift or a broken proxy). */
export class UnexpectedResponseError extends Error {
  override readonly name = 'UnexpectedResponseError';
  readonly service: CloudService;
  readonly operation: string;
  readonly status: number;
  readonly requestId?: string;

  constructor(
    service: CloudService,
    operation: string,
    response: Pick<CloudResponse, 'status' | 'requestId'>,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(
      `${service} ${operation}: unexpected response (HTTP ${response.status}${
        response.requestId ? `, request id ${response.requestId}` : ''
      }): ${detail}`,
      options,
    );
    this.service = service;
    this.operation = operation;
    this.status = response.status;
    this.requestId = response.requestId;
  }
}

/** A paged listing that does not terminate (a server repeating markers or ignoring offsets). */
export class PaginationError extends Error {
  override readonly name = 'PaginationError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/* ------------------------------------------------------------------ ids */

/**
 * Returns `value` when it is safe as one URL path segment (the one id rule, shared/input.ts); throws
 * `InvalidIdError` otherwise.
 */
export function assertId(field: string, value: unknown): string {
  if (typeof value !== 'string') throw new InvalidIdError(field, value, 'must be a string');
  if (value.length === 0) throw new InvalidIdError(field, value, 'must not be empty');
  if (value.length > MAX_ID_LENGTH) {
    throw new InvalidIdError(field, value, `must be at most ${MAX_ID_LENGTH} characters`);
  }
  if (!ID_PATTERN.test(value)) throw new InvalidIdError(field, value, `may only contain ${ID_CHARACTERS}`);
  return value;
}

/* ------------------------------------------------------------------ parsing */

/** Validates a response body; a mismatch becomes an `UnexpectedResponseError` naming the fields. */
export function parseBody<S extends z.ZodMiniType>(
  schema: S,
  response: CloudResponse,
  service: CloudService,
  operation: string,
): z.output<S> {
  const result = schema.safeParse(response.body);
  if (result.success) return result.data;
  const detail = result.error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(body)'}: ${issue.message}`)
    .join('; ');
  throw new UnexpectedResponseError(service, operation, response, detail, { cause: result.error });
}

/** A JSON number, or a decimal string: numbers that some of the sources or examples show quoted. */
export const numberish = z.union([
  z.number(),
  z.pipe(z.string().check(z.regex(/^-?\d+(\.\d+)?$/)), z.transform(Number)),
]);

/** A JSON boolean, or `"true"`/`"false"` (VPCEP's endpoint list sends `enable_dns: "true"`). */
export const booleanish = z.union([
  z.boolean(),
  z.pipe(
    z.string().check(z.regex(/^(true|false)$/i)),
    z.transform((value) => value.toLowerCase() === 'true'),
  ),
]);

/**
 * A string, or a number rendered as a string (the VPC v3 API reference example shows `multiport: 33`,
 * where the SDK model and Terraform read a string).
 */
export const stringish = z.union([z.string(), z.pipe(z.number(), z.transform(String))]);

/** `{key, value}` as returned by every service; a missing or null value is the empty string. */
export const TagSchema = z.looseObject({
  key: z.string(),
  value: z.nullish(z.string()),
});

export const TagListSchema = z.nullish(z.array(TagSchema));

export function toTags(tags: z.output<typeof TagListSchema>): Tag[] {
  return (tags ?? []).map((tag) => ({ key: tag.key, value: tag.value ?? '' }));
}

/** Tags for a request body: `value` is omitted when not given (delete by key). */
export function tagsForBody(tags: ReadonlyArray<{ key: string; value?: string }>): Array<{
  key: string;
  value?: string;
}> {
  return tags.map((tag) => (tag.value === undefined ? { key: tag.key } : { key: tag.key, value: tag.value }));
}

/** Copies an object without its `undefined` values, so request bodies carry only what was given. */
export function compact<T extends Record<string, unknown>>(value: T): T {
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (item !== undefined) out[key] = item;
  }
  return out as T;
}

/* ------------------------------------------------------------------ pagination */

// A real listing never needs this many pages; hitting it means the server ignores our paging.
const MAX_PAGES = 10_000;

/**
 * Offset/limit paging (DMS instances, VPCEP lists): requests pages until `total` items are collected,
 * a page comes back empty, (when no total is given) a page is shorter than `limit`, or `enough` says
 * what was collected so far is all the caller needs.
 */
export async function collectOffsetPages<T>(
  what: string,
  limit: number,
  fetchPage: (offset: number, limit: number) => Promise<{ items: T[]; total?: number }>,
  enough?: (collected: readonly T[]) => boolean,
): Promise<T[]> {
  const all: T[] = [];
  for (let page = 0; page < MAX_PAGES; page++) {
    const { items, total } = await fetchPage(all.length, limit);
    all.push(...items);
    if (items.length === 0 || enough?.(all)) return all;
    if (total !== undefined ? all.length >= total : items.length < limit) return all;
  }
  throw new PaginationError(`${what}: more than ${MAX_PAGES} pages; the server does not advance the offset`);
}

/**
 * Marker paging (VPC v3): follows `next_marker` until it is absent, a page is empty, or a marker
 * repeats (which would otherwise loop forever).
 */
export async function collectMarkerPages<T>(
  what: string,
  fetchPage: (marker: string | undefined) => Promise<{ items: T[]; nextMarker?: string | null }>,
): Promise<T[]> {
  const all: T[] = [];
  const seen = new Set<string>();
  let marker: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const { items, nextMarker } = await fetchPage(marker);
    all.push(...items);
    if (items.length === 0 || !nextMarker) return all;
    if (seen.has(nextMarker)) {
      throw new PaginationError(`${what}: the server returned marker ${JSON.stringify(nextMarker)} twice`);
    }
    seen.add(nextMarker);
    marker = nextMarker;
  }
  throw new PaginationError(`${what}: more than ${MAX_PAGES} pages`);
}
