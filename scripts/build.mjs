// Bundles every functions/<name>/handler.ts into dist/functions/<name>/index.js: one CommonJS file per
// function (FunctionGraph's Node.js runtime loads handlers with require), minified, no source maps,
// so cold starts read as little code as possible.
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const functionsDir = join(root, 'functions');
const outRoot = join(root, 'dist', 'functions');

export async function buildFunctions({ quiet = false } = {}) {
  const names = existsSync(functionsDir)
    ? readdirSync(functionsDir).filter((n) => existsSync(join(functionsDir, n, 'handler.ts')))
    : [];
  rmSync(outRoot, { recursive: true, force: true });
  const results = await Promise.all(
    names.map(async (name) => {
      const outfile = join(outRoot, name, 'index.js');
      await build({
        entryPoints: [join(functionsDir, name, 'handler.ts')],
        outfile,
        bundle: true,
        platform: 'node',
        format: 'cjs',
        target: 'node20',
        minify: true,
        sourcemap: false,
        legalComments: 'none',
        alias: { 'form-data': join(root, 'scripts', 'shims', 'form-data.cjs') },
        logLevel: 'warning',
      });
      return { name, outfile, bytes: statSync(outfile).size };
    }),
  );
  // The repository is an ES module package; this marks the bundles as CommonJS, as FunctionGraph loads them.
  mkdirSync(outRoot, { recursive: true });
  writeFileSync(join(outRoot, 'package.json'), '{ "type": "commonjs" }\n');
  if (!quiet) {
    for (const r of results) console.log(`built ${r.name}: ${(r.bytes / 1024).toFixed(1)} KB`);
  }
  return results;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await buildFunctions();
}
