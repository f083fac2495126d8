// Bundles every functions/<name>/handler.ts into dist/functions/<name>/index.js: one CommonJS file per
// function (FunctionGraph's Node.js runtime loads handlers with require), minified, no source maps,
// so cold starts read as little code as possible.
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const functionsDir = join(root, 'functions');
const defaultOutRoot = join(root, 'dist', 'functions');

/**
 * Code axios imports statically but never runs, because every cloud call passes its own adapter
 * (shared/cloud/node-adapter.ts) and a Buffer body with identity transforms (shared/cloud/http.ts).
 * Measured with the esbuild metafile (bench/cold-start.ts prints it). Each stub fails loudly if a
 * future caller does reach it, instead of silently changing behaviour.
 *
 * Until session 6 the bundles used axios' own http adapter and stubbed the parts of it that
 * `proxy: false` and `maxRedirects: 0` never reach (follow-redirects, proxy agents, HTTP/2, progress
 * streams, data: URLs, Blob and FormData streams: ~44 KB); the adapter itself is now out, and with it
 * every module only it imported.
 */
const AXIOS_UNUSED = [
  {
    // axios' own http adapter (streams, forms, redirects, proxies, HTTP/2, progress, decompression
    // through zlib streams): ~18 KB of each bundle, and its zlib/stream loads were part of every cold
    // start. A request without the node adapter gets axios' "adapter http is not available" error.
    filter: /[\\/]axios[\\/]lib[\\/]adapters[\\/]http\.js$/,
    contents: 'export default false;',
  },
  {
    // The XMLHttpRequest adapter: its own module evaluates to `false` when XMLHttpRequest is undefined,
    // which it always is on Node.js, so this stub is exactly what the module exports there.
    filter: /[\\/]axios[\\/]lib[\\/]adapters[\\/]xhr\.js$/,
    contents: 'export default false;',
  },
  {
    // The fetch adapter, which would load Node's fetch (undici) on first use. Reporting it "not
    // supported" keeps an explicit `adapter: 'fetch'` from silently using something else.
    filter: /[\\/]axios[\\/]lib[\\/]adapters[\\/]fetch\.js$/,
    contents: 'export const getFetch = () => false;\nexport default false;',
  },
  // Request-body encoders for FormData and form-urlencoded objects, used by axios' default
  // transformRequest only, which the HTTP client replaces (the body is a Buffer, serialized once and
  // signed).
  ...['toFormData', 'formDataToJSON', 'toURLEncodedForm'].map((name) => ({
    filter: new RegExp(`[\\\\/]axios[\\\\/]lib[\\\\/]helpers[\\\\/]${name}\\.js$`),
    contents: `export const DEFAULT_FORM_DATA_MAX_DEPTH = 100;
export default function ${name}() { throw new Error('axios ${name} is not bundled: request bodies are Buffers'); }`,
  })),
];

/** esbuild plugin replacing the modules above with their stubs. */
const dropUnusedAxiosTransport = {
  name: 'drop-unused-axios-transport',
  setup(b) {
    for (const stub of AXIOS_UNUSED) {
      b.onLoad({ filter: stub.filter }, () => ({ contents: stub.contents, loader: 'js' }));
    }
  },
};

/**
 * Node's web streams, which @middy/core imports at load for its response-streaming branch only
 * (`handlerBody instanceof ReadableStream` when a handler streams its response, which none of ours
 * does): loading node:stream/web cost ~1.5 ms of every cold start. The stub reads the real module the
 * first time the branch asks for it, so nothing changes if a handler ever streams.
 */
const MIDDY_LAZY = {
  filter: /^node:stream\/web$/,
  importer: /[\\/]@middy[\\/]core[\\/]/,
  contents: `module.exports = { get ReadableStream() { return require('node:stream/web').ReadableStream; } };`,
};

/** esbuild plugin loading middy's web-streams import lazily (above). */
const lazyMiddyStreams = {
  name: 'lazy-middy-streams',
  setup(b) {
    b.onResolve({ filter: MIDDY_LAZY.filter }, (args) =>
      MIDDY_LAZY.importer.test(args.importer)
        ? { path: 'middy-stream-web', namespace: 'kvl-lazy' }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'kvl-lazy' }, () => ({
      contents: MIDDY_LAZY.contents,
      loader: 'js',
    }));
  },
};

/**
 * kafkajs' consumer (consumer groups, runner, offset manager) and admin client: kafkajs' entry module
 * requires both eagerly, but the verify probe (shared/kafka/kafkajs-probe.ts) creates neither: it
 * produces with the producer and reads back through kafkajs' cluster, without a consumer group. ~48 KB
 * of the verify bundle. `kafka.consumer()` and `kafka.admin()` throw instead.
 */
const KAFKAJS_UNUSED = [
  {
    filter: /[\\/]kafkajs[\\/]src[\\/]consumer[\\/]index\.js$/,
    contents: `module.exports = () => { throw new Error('the kafkajs consumer is not bundled: the probe reads without a consumer group'); };`,
  },
  {
    filter: /[\\/]kafkajs[\\/]src[\\/]admin[\\/]index\.js$/,
    contents: `module.exports = () => { throw new Error('the kafkajs admin client is not bundled: the probe reads metadata through the cluster'); };`,
  },
];

/** esbuild plugin replacing the kafkajs modules above with their stubs. */
const dropUnusedKafkajs = {
  name: 'drop-unused-kafkajs',
  setup(b) {
    for (const stub of KAFKAJS_UNUSED) {
      b.onLoad({ filter: stub.filter }, () => ({ contents: stub.contents, loader: 'js' }));
    }
  },
};

/**
 * One line of axios changed without changing what it does. axios' utils.js reads `globalThis.FormData`
 * when it loads, to recognise FormData bodies with `instanceof`; on Node.js 20 that global is a lazy
 * getter that loads Node's whole fetch implementation (undici): ~10 ms and a garbage collection in
 * every cold start (CPU profile of a bundle's require), for requests that never use fetch or FormData.
 * Without the constructor, `isFormData` still recognises a FormData (native or the form-data
 * package) by its `append` method and its `[object FormData]` tag, the check that follows in the
 * same function. The build fails if the line changes in a future axios.
 */
const AXIOS_PATCHES = [
  {
    file: /[\\/]axios[\\/]lib[\\/]utils\.js$/,
    from: "const FormDataCtor = typeof G.FormData !== 'undefined' ? G.FormData : undefined;",
    to: 'const FormDataCtor = undefined;',
  },
];

/** esbuild plugin applying the patches above. */
const patchAxios = {
  name: 'patch-axios',
  setup(b) {
    for (const patch of AXIOS_PATCHES) {
      b.onLoad({ filter: patch.file }, async (args) => {
        const text = await readFile(args.path, 'utf8');
        if (!text.includes(patch.from)) {
          throw new Error(`scripts/build.mjs: ${args.path} no longer contains the line it patches`);
        }
        return { contents: text.replace(patch.from, patch.to), loader: 'js' };
      });
    }
  },
};

/**
 * The esbuild options of one function bundle (also used by bench/ to build comparison functions).
 * `stubUnusedTransport: false` keeps axios whole, for code (like the official SDKs) that uses axios'
 * own adapters.
 */
export function bundleOptions(entry, outfile, { stubUnusedTransport = true } = {}) {
  return {
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    minify: true,
    sourcemap: false,
    legalComments: 'none',
    // `import()` becomes `require()`: FunctionGraph loads a bundle with require, and the emulator runs
    // it in a vm context where a dynamic import has no loader.
    supported: { 'dynamic-import': false },
    alias: { 'form-data': join(root, 'scripts', 'shims', 'form-data.cjs') },
    plugins: [
      patchAxios,
      dropUnusedKafkajs,
      lazyMiddyStreams,
      ...(stubUnusedTransport ? [dropUnusedAxiosTransport] : []),
    ],
    logLevel: 'warning',
  };
}

/**
 * Size budgets per bundle, in bytes (issue #15), checked by `npm run build` and by
 * test/scripts/bundle-budget.test.ts so CI fails a bundle that grows past them. Issue #15's goal for the
 * chain functions was 150 KB, out of reach while the clients keep axios' core (the design's choice;
 * docs/BENCHMARKS.md §5 says what the bundles are made of and why the goal was closed unmet): the
 * budget is the largest chain bundle (patch-listeners, 164.4 KB) plus ~1.6 KB, to be lowered as they
 * shrink. verify carries kafkajs (~206 KB of its 363 KB) and has its own.
 */
export const BUNDLE_BUDGET_BYTES = { default: 166 * 1024, verify: 366 * 1024 };

/** The bundles of `results` (from buildFunctions) that exceed their budget. */
export function overBudget(results) {
  return results
    .map((r) => ({
      name: r.name,
      bytes: r.bytes,
      budget: BUNDLE_BUDGET_BYTES[r.name] ?? BUNDLE_BUDGET_BYTES.default,
    }))
    .filter((r) => r.bytes > r.budget);
}

/**
 * @param {{quiet?: boolean, outDir?: string, metafile?: boolean}} options `outDir` defaults to
 *   dist/functions; `metafile` returns esbuild's metafile per function (bundle-size analysis).
 */
export async function buildFunctions({ quiet = false, outDir = defaultOutRoot, metafile = false } = {}) {
  const names = existsSync(functionsDir)
    ? readdirSync(functionsDir).filter((n) => existsSync(join(functionsDir, n, 'handler.ts')))
    : [];
  // Built aside, then each bundle renamed into place (atomic per file): a runtime or a test loading
  // bundles while another process rebuilds never sees a missing or half-written file.
  const staging = `${outDir}.staging-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  const results = await Promise.all(
    names.map(async (name) => {
      const staged = join(staging, name, 'index.js');
      const result = await build({
        ...bundleOptions(join(functionsDir, name, 'handler.ts'), staged),
        metafile,
      });
      const outfile = join(outDir, name, 'index.js');
      mkdirSync(dirname(outfile), { recursive: true });
      renameSync(staged, outfile);
      return {
        name,
        outfile,
        bytes: statSync(outfile).size,
        ...(metafile ? { metafile: result.metafile } : {}),
      };
    }),
  );
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  for (const stale of readdirSync(outDir).filter((n) => n !== 'package.json' && !names.includes(n))) {
    rmSync(join(outDir, stale), { recursive: true, force: true });
  }
  // The repository is an ES module package; this marks the bundles as CommonJS, as FunctionGraph loads them.
  writeFileSync(join(outDir, 'package.json'), '{ "type": "commonjs" }\n');
  if (!quiet) {
    for (const r of results) console.log(`built ${r.name}: ${(r.bytes / 1024).toFixed(1)} KB`);
  }
  return results;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const over = overBudget(await buildFunctions());
  for (const r of over) {
    console.error(`${r.name}: ${(r.bytes / 1024).toFixed(1)} KB exceeds its budget of ${r.budget / 1024} KB`);
  }
  if (over.length > 0) process.exitCode = 1;
}
