/**
 * Sizes, seeds and the size record of the reliability tests.
 *
 * - `KVL_SOAK=1` (what `npm run test:soak` sets) scales every test up to its long variant.
 * - `KVL_SEED=<n>` replays one seed; otherwise each test uses its fixed default seed, printed in every
 *   failure message, so a failure is reproducible.
 * - `KVL_RELIABILITY_RECORD=<file>` (set by scripts/reliability-report.mjs) makes each test append one
 *   JSON line with its size (runs, faults, inputs…); the script joins them with vitest's results into
 *   the table of docs/RELIABILITY.md.
 */
import { appendFileSync } from 'node:fs';
import { basename } from 'node:path';
import { expect } from 'vitest';

export const SOAK = process.env.KVL_SOAK === '1' || process.env.KVL_SOAK === 'true';

/** The fast size (npm test) or the soak size (npm run test:soak). */
export function size<T>(fast: T, soak: T): T {
  return SOAK ? soak : fast;
}

/** Test timeout in ms for a test whose soak variant runs long. */
export function timeout(fastMs: number, soakMs: number = fastMs * 20): number {
  return SOAK ? soakMs : fastMs;
}

export function seedOr(fallback: number): number {
  const given = process.env.KVL_SEED;
  if (given === undefined || given === '') return fallback;
  const seed = Number(given);
  if (!Number.isInteger(seed)) throw new Error(`KVL_SEED must be an integer, got ${given}`);
  return seed;
}

export type SizeRecord = Record<string, number | string>;

/** Records the size of the running test (a no-op unless the report script asked for it). */
export function recordSize(file: string, size: SizeRecord): void {
  const target = process.env.KVL_RELIABILITY_RECORD;
  if (!target) return;
  const name = expect.getState().currentTestName ?? '?';
  appendFileSync(
    target,
    `${JSON.stringify({ file: `test/reliability/${basename(file)}`, name, soak: SOAK, size })}\n`,
  );
}
