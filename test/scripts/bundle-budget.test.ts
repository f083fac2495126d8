/**
 * Function bundle sizes (issue #15): every bundle is cold-started, so its size is a budget CI enforces.
 * Builds into a temporary directory (not dist/, which other tests load) and checks each bundle.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
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

  it('loads without Node.js fetch (undici), http2, web streams or zlib, which no load needs', async () => {
    // Arrange: each costs milliseconds of every cold start (scripts/build.mjs AXIOS_PATCHES, http2 stub,
    // middy's lazy web streams; zlib is loaded by the node adapter on a compressed answer only).
    const built: Built[] = await buildFunctions({ quiet: true, outDir });
    const bundle = join(outDir, 'create-services', 'index.js');
    expect(built.map((b) => b.name)).toContain('create-services');
    const script = `const before = new Set(process.moduleLoadList);
require(${JSON.stringify(bundle)});
console.log(JSON.stringify(process.moduleLoadList.filter((m) => !before.has(m))));`;

    // Act
    const loaded: string[] = JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }));

    // Assert
    expect(loaded).toContain('NativeModule http');
    expect(loaded.filter((m) => /undici|http2|webstreams|stream\/web|zlib/.test(m))).toEqual([]);
  });

  it('has no dynamic import(): bundles are loaded with require, the emulator runs them in a vm context', async () => {
    // Arrange: the node adapter loads zlib with import() on a compressed answer; the build must turn
    // that into require(), or the first compressed answer fails the call inside the emulator.
    const built: Built[] = await buildFunctions({ quiet: true, outDir });

    // Act
    const withImport = built.filter((b) =>
      /\bimport\(/.test(readFileSync(join(outDir, b.name, 'index.js'), 'utf8')),
    );

    // Assert
    expect(built.length).toBeGreaterThan(1);
    expect(withImport.map((b) => b.name)).toEqual([]);
    expect(readFileSync(join(outDir, 'create-services', 'index.js'), 'utf8')).toContain(
      'require("node:zlib")',
    );
  });

  it('carries only the cloud operations its step calls', async () => {
    // Arrange: patch-listeners binds the operations it declares (functions/patch-listeners/handler.ts).
    await buildFunctions({ quiet: true, outDir });
    const bundle = readFileSync(join(outDir, 'patch-listeners', 'index.js'), 'utf8');

    // Act: request paths, one per operation.
    const carries = (path: string) => bundle.includes(path);

    // Assert: what it calls (modify listeners, insert ACL rules) is in; what it never calls is out.
    expect(carries('/crossvpc/modify')).toBe(true);
    expect(carries('/insert-rules')).toBe(true);
    expect(carries('/remove-rules')).toBe(false);
    expect(carries('/v1/{project_id}/quotas')).toBe(false);
    expect(carries('/permissions')).toBe(false);
    expect(carries('/v1/{project_id}/subnets/')).toBe(false);
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
