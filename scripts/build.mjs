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
 * Code axios' Node build imports statically but never runs with the options shared/cloud/http.ts
 * always sets (`proxy: false`, `maxRedirects: 0`, Node's http adapter). Measured with the esbuild
 * metafile (bench/cold-start.ts prints it): together ~44 KB of the ~285 KB each bundle weighed.
 * Each stub fails loudly if a future caller does reach it, instead of silently changing behaviour.
 */
const AXIOS_UNUSED = [
  {
    // follow-redirects (+ debug, ms, supports-color, has-flag): only used when maxRedirects != 0.
    filter: /^follow-redirects$/,
    contents: `const fail = () => { throw new Error('follow-redirects is not bundled: requests must use maxRedirects: 0'); };
module.exports = { http: { request: fail }, https: { request: fail } };`,
  },
  {
    // https-proxy-agent (+ agent-base, debug): only used when a proxy is configured (proxy !== false).
    // A class, because axios tests \`agent instanceof HttpsProxyAgent\`.
    filter: /^https-proxy-agent$/,
    contents: `module.exports = class HttpsProxyAgent {
  constructor() { throw new Error('https-proxy-agent is not bundled: requests must use proxy: false'); }
};`,
  },
  {
    // Proxy discovery from HTTP(S)_PROXY/NO_PROXY: only consulted when the proxy option is not false.
    filter: /^proxy-from-env$/,
    contents: `exports.getProxyForUrl = () => { throw new Error('proxy-from-env is not bundled: requests must use proxy: false'); };`,
  },
  {
    filter: /[\\/]axios[\\/]lib[\\/]helpers[\\/]shouldBypassProxy\.js$/,
    contents: `export default function shouldBypassProxy() {
  throw new Error('NO_PROXY matching is not bundled: requests must use proxy: false');
}`,
  },
  {
    // The XMLHttpRequest adapter: its own module evaluates to `false` when XMLHttpRequest is undefined,
    // which it always is on Node.js, so this stub is exactly what the module exports there.
    filter: /[\\/]axios[\\/]lib[\\/]adapters[\\/]xhr\.js$/,
    contents: 'export default false;',
  },
  {
    // The fetch adapter: axios' default adapter order is xhr, http, fetch, and on Node the http adapter
    // is always available, so fetch is never selected. Reporting it "not supported" keeps an explicit
    // `adapter: 'fetch'` from silently using something else.
    filter: /[\\/]axios[\\/]lib[\\/]adapters[\\/]fetch\.js$/,
    contents: 'export const getFetch = () => false;\nexport default false;',
  },
  // Request-body encoders for FormData, URLSearchParams-style params and form-urlencoded objects: the
  // body is always a Buffer (serialized once, then signed) and axios' default transformRequest, their
  // only caller besides `params` (never passed: the query is in the URL), is replaced.
  ...['toFormData', 'formDataToJSON', 'formDataToStream', 'toURLEncodedForm'].map((name) => ({
    filter: new RegExp(`[\\\\/]axios[\\\\/]lib[\\\\/]helpers[\\\\/]${name}\\.js$`),
    contents: `export const DEFAULT_FORM_DATA_MAX_DEPTH = 100;
export default function ${name}() { throw new Error('axios ${name} is not bundled: request bodies are Buffers'); }`,
  })),
  {
    // data: URLs: every request goes to an http(s) endpoint.
    filter: /[\\/]axios[\\/]lib[\\/]helpers[\\/](fromDataURI|estimateDataURLDecodedBytes)\.js$/,
    contents: `const fail = () => { throw new Error('data: URLs are not bundled: requests go to http(s) endpoints'); };
export const estimateDataURLBufferAllocation = fail;
export default fail;`,
  },
  {
    // HTTP/2 sessions (httpVersion: 2 only). The adapter creates the pool at load time, so a class.
    filter: /[\\/]axios[\\/]lib[\\/]helpers[\\/]Http2Sessions\.js$/,
    contents: `export default class Http2Sessions {
  getSession() { throw new Error('HTTP/2 is not bundled: requests use HTTP/1.1'); }
}`,
  },
  {
    // Node's http2 module, which axios' http adapter imports for its HTTP/2 transport only (after the
    // Http2Sessions stub above has thrown): loading it cost ~3 ms of every cold start.
    filter: /^http2$/,
    importer: /[\\/]axios[\\/]lib[\\/]adapters[\\/]http\.js$/,
    contents: `module.exports = {
  get constants() { throw new Error('HTTP/2 is not bundled: requests use HTTP/1.1'); },
};`,
  },
  {
    // Progress events and rate limits (onUploadProgress, onDownloadProgress, maxRate): never set.
    filter: /[\\/]axios[\\/]lib[\\/]helpers[\\/]AxiosTransformStream\.js$/,
    contents: `export default class AxiosTransformStream {
  constructor() { throw new Error('axios progress/maxRate streams are not bundled'); }
}`,
  },
  {
    // The progress reporters (with speedometer and throttle) behind onUploadProgress/onDownloadProgress.
    filter: /[\\/]axios[\\/]lib[\\/]helpers[\\/]progressEventReducer\.js$/,
    contents: `const fail = () => { throw new Error('axios progress events are not bundled'); };
export const progressEventReducer = fail;
export const progressEventDecorator = fail;
export const asyncDecorator = fail;`,
  },
  {
    // Blob and File request bodies.
    filter: /[\\/]axios[\\/]lib[\\/]helpers[\\/]readBlob\.js$/,
    contents: `export default function readBlob() { throw new Error('axios Blob bodies are not bundled: request bodies are Buffers'); }`,
  },
];

/** esbuild plugin replacing the modules above with their stubs. */
const dropUnusedAxiosTransport = {
  name: 'drop-unused-axios-transport',
  setup(b) {
    for (const [index, stub] of AXIOS_UNUSED.entries()) {
      const isPackage = stub.filter.source.startsWith('^');
      if (isPackage) {
        b.onResolve({ filter: stub.filter }, (args) =>
          stub.importer && !stub.importer.test(args.importer)
            ? undefined
            : { path: `stub-${index}`, namespace: 'kvl-stub' },
        );
      } else {
        b.onLoad({ filter: stub.filter }, () => ({ contents: stub.contents, loader: 'js' }));
      }
    }
    b.onLoad({ filter: /.*/, namespace: 'kvl-stub' }, (args) => {
      const stub = AXIOS_UNUSED[Number(args.path.slice('stub-'.length))];
      return { contents: stub.contents, loader: 'js' };
    });
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
 * `stubUnusedTransport: false` keeps axios whole, for code (like the official SDKs) that follows
 * redirects or honours proxies.
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
 * chain functions is 150 KB, not reached with axios (docs/BENCHMARKS.md §5 says what the bundles are
 * made of): the budget is the largest chain bundle today (patch-listeners, 180.7 KB) plus ~3 KB, to
 * be lowered as they shrink. verify carries kafkajs (~206 KB of its 380 KB) and has its own.
 */
export const BUNDLE_BUDGET_BYTES = { default: 184 * 1024, verify: 395 * 1024 };

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
