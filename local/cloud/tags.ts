/**
 * The emulator's one tag engine, shared by VPCEP (endpoint services, endpoints) and DMS (Kafka
 * instances): validation of a `tags` list, the create/delete semantics of a tag action, the
 * project's key/values summary, and query-by-tag filters. What differs between the services is
 * a parameter (TagRules): limits, whether a create may leave a value out, and the error code each
 * refusal answers (VPCEP documents one code per refusal, EndPoint.3066–3073; DMS one for all).
 */
import { fail, isObject } from './module-kit.js';

export type Tag = { key: string; value: string };
/** A tag as a delete names it: the value is optional (key only deletes whatever value). */
export type TagEdit = { key: string; value?: string };

export interface TagRules {
  maxTags: number;
  keyMaxLength: number;
  valueMaxLength: number;
  charset: RegExp;
  /** A create item without value is refused (DMS) rather than taken as the empty value (VPCEP). */
  valueRequired: boolean;
  codes: {
    /** `tags` is not a list. */
    notAList: string;
    /** Missing or empty list, item without key, empty key, missing required value. */
    empty: string;
    duplicate: string;
    charset: string;
    tooMany: string;
    keyLength: string;
    valueLength: string;
  };
}

/* ------------------------------------------------------------------ validation */

function checkKey(rules: TagRules, key: unknown): string {
  if (typeof key !== 'string' || key.length === 0)
    fail(400, rules.codes.empty, 'The tag key cannot be empty.');
  if (key.length > rules.keyMaxLength) {
    fail(400, rules.codes.keyLength, `The tag key ${key} is longer than ${rules.keyMaxLength} characters.`);
  }
  if (!rules.charset.test(key))
    fail(400, rules.codes.charset, `The tag key ${key} contains invalid characters.`);
  return key;
}

function checkValue(rules: TagRules, key: string, value: unknown): string {
  if (value === undefined || value === null) {
    if (rules.valueRequired) fail(400, rules.codes.empty, `The tag ${key} needs a value.`);
    return '';
  }
  if (typeof value !== 'string') fail(400, rules.codes.charset, `The tag value of ${key} must be a string.`);
  if (value.length > rules.valueMaxLength) {
    fail(
      400,
      rules.codes.valueLength,
      `The tag value ${value} is longer than ${rules.valueMaxLength} characters.`,
    );
  }
  if (!rules.charset.test(value))
    fail(400, rules.codes.charset, `The tag value ${value} contains invalid characters.`);
  return value;
}

/**
 * Validates a `tags` list: of a create call (`allowEmpty`), of a tag action's create, or of its
 * delete (`keyOnly`: a value may be left out).
 */
export function parseTags(rules: TagRules, raw: unknown, options: { allowEmpty: boolean }): Tag[];
export function parseTags(
  rules: TagRules,
  raw: unknown,
  options: { allowEmpty: boolean; keyOnly: true },
): TagEdit[];
export function parseTags(
  rules: TagRules,
  raw: unknown,
  options: { allowEmpty: boolean; keyOnly?: boolean },
): TagEdit[] {
  if (raw === undefined || raw === null) {
    if (options.allowEmpty) return [];
    fail(400, rules.codes.empty, 'The tags cannot be empty.');
  }
  if (!Array.isArray(raw)) fail(400, rules.codes.notAList, 'Parameter error: tags must be a list.');
  if (raw.length === 0 && !options.allowEmpty) fail(400, rules.codes.empty, 'The tags cannot be empty.');
  if (raw.length > rules.maxTags)
    fail(400, rules.codes.tooMany, `At most ${rules.maxTags} tags are allowed.`);
  const seen = new Set<string>();
  return raw.map((item) => {
    if (!isObject(item)) fail(400, rules.codes.empty, 'Each tag must be an object with a key.');
    const key = checkKey(rules, item.key);
    if (seen.has(key)) fail(400, rules.codes.duplicate, `The tag key ${key} is duplicated.`);
    seen.add(key);
    if (options.keyOnly && (item.value === undefined || item.value === null)) return { key };
    return { key, value: checkValue(rules, key, item.value) };
  });
}

/* ------------------------------------------------------------------ tag actions */

/**
 * A tag action's create: an existing key takes the new value (as the tag service documents), a new
 * key is added; more than `maxTags` on the resource is refused.
 */
export function addTags(rules: TagRules, current: Tag[], added: Tag[], resource: string): Tag[] {
  const merged = current.map((t) => ({ ...t }));
  for (const tag of added) {
    const existing = merged.find((t) => t.key === tag.key);
    if (existing) existing.value = tag.value;
    else merged.push({ ...tag });
  }
  if (merged.length > rules.maxTags) {
    fail(400, rules.codes.tooMany, `A ${resource} can have at most ${rules.maxTags} tags.`);
  }
  return merged;
}

/** A tag action's delete: a key with a value removes that pair only, a key alone removes the key. */
export function removeTags(current: Tag[], removed: TagEdit[]): Tag[] {
  return current.filter(
    (t) => !removed.some((r) => r.key === t.key && (r.value === undefined || r.value === t.value)),
  );
}

/** The project's tags (`GET …/tags`): every key with the values its resources carry. */
export function projectTagValues(tagLists: Iterable<Tag[]>): Array<{ key: string; values: string[] }> {
  const values = new Map<string, Set<string>>();
  for (const tags of tagLists) {
    for (const tag of tags) {
      const set = values.get(tag.key) ?? new Set<string>();
      set.add(tag.value);
      values.set(tag.key, set);
    }
  }
  return [...values].map(([key, set]) => ({ key, values: [...set] }));
}

/* ------------------------------------------------------------------ query by tag */

export interface TagFilter {
  key: string;
  values: string[];
}

export interface TagFilterRules {
  maxKeys: number;
  maxValues: number;
  /** Code of a malformed filter (not a list, bad values). */
  parameterCode: string;
}

/** One filter list of a query-by-tag body (`tags`, `tags_any`, `not_tags`, `not_tags_any`). */
export function parseTagFilters(
  rules: TagRules,
  filters: TagFilterRules,
  raw: unknown,
  field: string,
): TagFilter[] {
  const code = filters.parameterCode;
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) fail(400, code, `Parameter error: ${field} must be a list.`);
  // No code is documented for these refusals: the closest tag codes (too many, duplicate).
  if (raw.length > filters.maxKeys)
    fail(400, rules.codes.tooMany, `${field}: at most ${filters.maxKeys} keys.`);
  const seen = new Set<string>();
  return raw.map((item) => {
    if (!isObject(item)) fail(400, code, `Parameter error: ${field} items must be objects.`);
    const key = checkKey(rules, item.key);
    if (seen.has(key)) fail(400, rules.codes.duplicate, `${field}: the key ${key} is duplicated.`);
    seen.add(key);
    const values = item.values ?? [];
    if (!Array.isArray(values) || values.some((v) => typeof v !== 'string')) {
      fail(400, code, `Parameter error: ${field}[].values must be a list of strings.`);
    }
    if (values.length > filters.maxValues) {
      fail(400, code, `Parameter error: ${field}[].values has more than ${filters.maxValues} values.`);
    }
    if (new Set(values).size !== values.length)
      fail(400, code, `Parameter error: ${field}[].values of ${key} has a repeated value.`);
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

/** `tags` AND across keys, `tags_any` OR across keys, and their negations (query-by-tag semantics). */
export function matchesTagQuery(
  tags: Tag[],
  query: { tags: TagFilter[]; tagsAny: TagFilter[]; notTags: TagFilter[]; notTagsAny: TagFilter[] },
): boolean {
  if (!query.tags.every((f) => tagsMatch(tags, f))) return false;
  if (query.tagsAny.length > 0 && !query.tagsAny.some((f) => tagsMatch(tags, f))) return false;
  if (query.notTags.length > 0 && query.notTags.every((f) => tagsMatch(tags, f))) return false;
  return !query.notTagsAny.some((f) => tagsMatch(tags, f));
}
