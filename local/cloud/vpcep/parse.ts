/**
 * Request parsing of the VPCEP module: bodies, paging, sorting, tags and tag filters. Each refusal
 * names the field and answers the documented EndPoint code.
 */
import { IPV4_PATTERN } from '../../../shared/input.js';
import { fail, isObject, type JsonObject, type RouteHandler } from '../module-kit.js';
import type { EmuRequest } from '../types.js';
import {
  E,
  VPCEP_DESCRIPTION_MAX_LENGTH,
  VPCEP_LIST_DEFAULT_LIMIT,
  VPCEP_LIST_MAX_LIMITS,
  VPCEP_TAG_FILTER_LIMITS,
  VPCEP_TAG_LIMITS,
} from './constants.js';

/* ------------------------------------------------------------------ small helpers */

export type Tag = { key: string; value: string };
export type Handler = RouteHandler;

export function bodyObject(req: EmuRequest): JsonObject {
  if (!isObject(req.body)) fail(400, E.parameter, 'Parameter error: the request body must be a JSON object.');
  return req.body;
}

/** The product's IPv4 rule: VPCEP documents `port_ip` as an IPv4 address, the same dotted quad. */
export const IPV4 = IPV4_PATTERN;
const TAG_CHARSET = /^[A-Za-z0-9_@-]*$/;
export const SERVICE_NAME = /^[A-Za-z0-9_-]+$/;
export function optionalString(body: JsonObject, field: string): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') fail(400, E.parameter, `Parameter error: ${field} must be a string.`);
  return value;
}

export function requiredString(body: JsonObject, field: string): string {
  const value = optionalString(body, field);
  if (value === undefined || value === '') fail(400, E.parameter, `Parameter error: ${field} is required.`);
  return value;
}

export function optionalBoolean(body: JsonObject, field: string): boolean | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') fail(400, E.parameter, `Parameter error: ${field} must be a boolean.`);
  return value;
}

export function checkDescription(description: string | undefined): string {
  if (description === undefined) return '';
  if (description.length > VPCEP_DESCRIPTION_MAX_LENGTH || /[<>]/.test(description)) {
    fail(
      400,
      E.parameter,
      `Parameter error: description must be at most ${VPCEP_DESCRIPTION_MAX_LENGTH} characters without < or >.`,
    );
  }
  return description;
}

/** Parses `limit`/`offset` (query strings, or strings/numbers in the query-by-tag body). */
export function parseCount(
  raw: unknown,
  fallback: number,
  max: number,
  code: string,
  name: string,
  min = 0,
): number {
  if (raw === undefined || raw === null || raw === '') return fallback;
  const text = typeof raw === 'number' ? String(raw) : raw;
  if (typeof text !== 'string' || !/^\d+$/.test(text)) fail(400, code, `Invalid ${name}: ${String(raw)}.`);
  const value = Number(text);
  if (value > max) fail(400, code, `Invalid ${name}: ${value} is greater than ${max}.`);
  if (value < min) fail(400, code, `Invalid ${name}: ${value} is less than ${min}.`);
  return value;
}

export function paging(
  req: EmuRequest,
  list: keyof typeof VPCEP_LIST_MAX_LIMITS,
): { limit: number; offset: number } {
  return {
    limit: parseCount(
      req.query.get('limit') ?? undefined,
      VPCEP_LIST_DEFAULT_LIMIT,
      VPCEP_LIST_MAX_LIMITS[list],
      E.invalidLimit,
      'limit',
    ),
    offset: parseCount(
      req.query.get('offset') ?? undefined,
      0,
      Number.MAX_SAFE_INTEGER,
      E.invalidOffset,
      'offset',
    ),
  };
}

interface Sortable {
  createdAt: string;
  updatedAt: string;
}

/** `sort_key` (both documented spellings) and `sort_dir` (default desc: newest first). */
export function sortRecords<T extends Sortable>(req: EmuRequest, records: T[]): T[] {
  const key = req.query.get('sort_key') ?? 'create_at';
  const dir = req.query.get('sort_dir') ?? 'desc';
  const field =
    key === 'create_at' || key === 'created_at'
      ? 'createdAt'
      : key === 'update_at' || key === 'updated_at'
        ? 'updatedAt'
        : fail(400, E.invalidSortKey, `Invalid sort_key: ${key}.`);
  if (dir !== 'asc' && dir !== 'desc') fail(400, E.invalidSortDir, `Invalid sort_dir: ${dir}.`);
  // Insertion order breaks ties, so a frozen clock still lists in a stable, creation-based order.
  const indexed = records.map((record, index) => ({ record, index }));
  indexed.sort((a, b) => {
    const byTime = a.record[field].localeCompare(b.record[field]);
    return byTime !== 0 ? byTime : a.index - b.index;
  });
  const sorted = indexed.map((x) => x.record);
  return dir === 'desc' ? sorted.reverse() : sorted;
}
/* ------------------------------------------------------------------ tags */

function checkTagKey(key: unknown): string {
  if (typeof key !== 'string' || key.length === 0) fail(400, E.tagEmpty, 'The tag key cannot be empty.');
  if (key.length > VPCEP_TAG_LIMITS.keyMaxLength) {
    fail(
      400,
      E.tagKeyLength,
      `The tag key ${key} is longer than ${VPCEP_TAG_LIMITS.keyMaxLength} characters.`,
    );
  }
  if (!TAG_CHARSET.test(key)) fail(400, E.tagCharset, `The tag key ${key} contains invalid characters.`);
  return key;
}

function checkTagValue(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') fail(400, E.tagCharset, 'The tag value must be a string.');
  if (value.length > VPCEP_TAG_LIMITS.valueMaxLength) {
    fail(
      400,
      E.tagValueLength,
      `The tag value ${value} is longer than ${VPCEP_TAG_LIMITS.valueMaxLength} characters.`,
    );
  }
  if (!TAG_CHARSET.test(value))
    fail(400, E.tagCharset, `The tag value ${value} contains invalid characters.`);
  return value;
}

/** Validates a `tags` list of a create call or a tag action; `keyOnly` for deletes (value optional). */
export function parseTags(
  raw: unknown,
  options: { allowEmpty: boolean; keyOnly?: boolean },
): Array<{ key: string; value?: string }> {
  if (raw === undefined || raw === null) {
    if (options.allowEmpty) return [];
    fail(400, E.tagEmpty, 'The tags cannot be empty.');
  }
  if (!Array.isArray(raw)) fail(400, E.parameter, 'Parameter error: tags must be a list.');
  if (raw.length === 0 && !options.allowEmpty) fail(400, E.tagEmpty, 'The tags cannot be empty.');
  if (raw.length > VPCEP_TAG_LIMITS.maxTags)
    fail(400, E.tagTooMany, `At most ${VPCEP_TAG_LIMITS.maxTags} tags are allowed.`);
  const seen = new Set<string>();
  return raw.map((item) => {
    if (!isObject(item)) fail(400, E.tagEmpty, 'Each tag must be an object with a key.');
    const key = checkTagKey(item.key);
    if (seen.has(key)) fail(400, E.tagDuplicateKey, `The tag key ${key} is duplicated.`);
    seen.add(key);
    if (options.keyOnly && (item.value === undefined || item.value === null)) return { key };
    return { key, value: checkTagValue(item.value) };
  });
}

interface TagFilter {
  key: string;
  values: string[];
}

export function parseTagFilters(raw: unknown, field: string): TagFilter[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) fail(400, E.parameter, `Parameter error: ${field} must be a list.`);
  // No code is documented for these refusals: the closest tag codes (3069 too many, 3067 duplicate).
  if (raw.length > VPCEP_TAG_FILTER_LIMITS.maxKeys)
    fail(400, E.tagTooMany, `${field}: at most ${VPCEP_TAG_FILTER_LIMITS.maxKeys} keys.`);
  const seen = new Set<string>();
  return raw.map((item) => {
    if (!isObject(item)) fail(400, E.parameter, `Parameter error: ${field} items must be objects.`);
    const key = checkTagKey(item.key);
    if (seen.has(key)) fail(400, E.tagDuplicateKey, `${field}: the key ${key} is duplicated.`);
    seen.add(key);
    const values = item.values ?? [];
    if (!Array.isArray(values) || values.some((v) => typeof v !== 'string')) {
      fail(400, E.parameter, `Parameter error: ${field}[].values must be a list of strings.`);
    }
    if (values.length > VPCEP_TAG_FILTER_LIMITS.maxValues) {
      fail(
        400,
        E.parameter,
        `Parameter error: ${field}[].values has more than ${VPCEP_TAG_FILTER_LIMITS.maxValues} values.`,
      );
    }
    if (new Set(values).size !== values.length)
      fail(400, E.parameter, `Parameter error: ${field}[].values of ${key} has a repeated value.`);
    return { key, values: values as string[] };
  });
}

/** A filter value starting with `*` matches values containing the rest (documented fuzzy match). */
function valueMatches(filterValue: string, value: string): boolean {
  return filterValue.startsWith('*') ? value.includes(filterValue.slice(1)) : value === filterValue;
}

/** True when the tags carry the filter's key with one of its values (any value when none is listed). */
export function tagsMatch(tags: Tag[], filter: TagFilter): boolean {
  return tags.some(
    (t) =>
      t.key === filter.key &&
      (filter.values.length === 0 || filter.values.some((v) => valueMatches(v, t.value))),
  );
}
