/**
 * Request parsing of the VPCEP module: bodies, paging, sorting (tags and tag filters: ../tags.ts). Each refusal
 * names the field and answers the documented EndPoint code.
 */
import { fail, isObject, type JsonObject, type RouteHandler } from '../module-kit.js';
import type { EmuRequest } from '../types.js';
import {
  E,
  VPCEP_DESCRIPTION_MAX_LENGTH,
  VPCEP_LIST_DEFAULT_LIMIT,
  VPCEP_LIST_MAX_LIMITS,
} from './constants.js';

/* ------------------------------------------------------------------ small helpers */

export type { Tag } from '../tags.js';
export type Handler = RouteHandler;

export function bodyObject(req: EmuRequest): JsonObject {
  if (!isObject(req.body)) fail(400, E.parameter, 'Parameter error: the request body must be a JSON object.');
  return req.body;
}

export const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
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
