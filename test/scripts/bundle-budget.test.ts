/**
 * Function bundle sizes (issue #15): every bundle is cold-started, so its size is a budget CI enforces.
 * Builds into a temporary directory (not dist/, which other tests load) and checks each bundle.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error: plain ESM build script without type declarations
import { BUNDLE_BUDGET_BYTES, buildFunctions, overBudget } from '../../scripts/build.mjs';

interface Built {
  name: string;
  bytes: number;
}

const outDir = mkdtempSync(join(tmpdir(), 'kvl-bundle-budget-'));
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

describe('function bundle budgets', () => {
  it('keeps every function bundle within its budget', async () => {
    // Arrange / Act
    const built: Built[] = await buildFunctions({ quiet: true, outDir });

    // Assert
    expect(built.map((b) => b.name)).toContain('verify');
    expect(built.length).toBeGreaterThan(1);
    expect(overBudget(built)).toEqual([]);
  });

  it('reports a bundle over its budget', () => {
    // Arrange
    const tooBig = [
      { name: 'reconcile', bytes: BUNDLE_BUDGET_BYTES.default + 1 },
      { name: 'verify', bytes: BUNDLE_BUDGET_BYTES.verify },
    ];

    // Act
    const over = overBudget(tooBig);

    // Assert
    expect(over).toEqual([
      { name: 'reconcile', bytes: BUNDLE_BUDGET_BYTES.default + 1, budget: BUNDLE_BUDGET_BYTES.default },
    ]);
  });
});
