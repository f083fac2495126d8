/**
 * Function code: loading a built bundle or a deployed zip, and calling its handler the way
 * FunctionGraph's Node.js runtime does.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, normalize, sep } from 'node:path';
import { compileFunction } from 'node:vm';
import { unzipSync } from 'fflate';
import type { FunctionGraphContext } from '../../shared/runtime/context.js';
import type { DeployedFunction } from '../cloud/functiongraph.js';
import {
  asError,
  DeployedCodeError,
  errorMessage,
  FunctionBundleError,
  FunctionInvocationError,
} from './errors.js';
import type { FunctionSpec } from './serverless.js';
import type { Handler } from './types.js';

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

/**
 * Calls a handler in either FunctionGraph style: `async (event, context)` (the returned value is the
 * result) or `(event, context, callback)` (a non-null first callback argument is a failure).
 */
export function callHandler(
  handler: Handler,
  event: unknown,
  context: FunctionGraphContext,
): Promise<unknown> {
  return new Promise((resolvePromise, rejectPromise) => {
    let settled = false;
    const callback = (error: unknown, result?: unknown) => {
      if (settled) return;
      settled = true;
      if (error !== null && error !== undefined) rejectPromise(asError(error));
      else resolvePromise(result);
    };
    try {
      const out = handler(event, context, callback);
      if (isThenable(out)) {
        out.then(
          (value) => callback(null, value),
          (error: unknown) =>
            callback(error ?? new FunctionInvocationError('the handler rejected without a reason')),
        );
      } else if (handler.length < 3) {
        callback(null, out);
      }
    } catch (error) {
      callback(error ?? new FunctionInvocationError('the handler threw without a reason'));
    }
  });
}

/**
 * Loads a CommonJS bundle, fresh on every call. Compiled with vm.compileFunction rather than
 * require(): the repository is `"type": "module"`, so Node would read `dist/**.js` as ESM and the
 * bundle's `exports.handler` would vanish. FunctionGraph itself loads the zip root as CommonJS;
 * this does the same, with a `require` (createRequire) rooted at the bundle for node built-ins.
 */
function loadBundle(file: string): Record<string, unknown> {
  const code = readFileSync(file, 'utf8');
  const wrapper = compileFunction(code, ['exports', 'require', 'module', '__filename', '__dirname'], {
    filename: file,
  });
  const module = { exports: {} as Record<string, unknown> };
  wrapper.call(module.exports, module.exports, createRequire(file), module, file, dirname(file));
  return module.exports;
}

/** The handler a function spec names, from `<distDir>/<name>/` or a deployed function's unpacked code. */
export function loadHandler(distDir: string, spec: FunctionSpec, codeDir?: string): Handler {
  const dot = spec.handler.lastIndexOf('.');
  // A deployed function's handler file sits at the root of its zip, like on FunctionGraph.
  const file = join(codeDir ?? join(distDir, spec.name), `${spec.handler.slice(0, dot)}.js`);
  const exportName = spec.handler.slice(dot + 1);
  if (!existsSync(file)) {
    throw new FunctionBundleError(
      spec.name,
      `function ${spec.name}: bundle ${file} not found; run \`npm run build\` first`,
    );
  }
  let exports: Record<string, unknown>;
  try {
    exports = loadBundle(file);
  } catch (error) {
    throw new FunctionBundleError(
      spec.name,
      `function ${spec.name}: loading ${file} failed: ${errorMessage(error)}`,
      {
        cause: error,
      },
    );
  }
  const handler = exports[exportName];
  if (typeof handler !== 'function') {
    throw new FunctionBundleError(
      spec.name,
      `function ${spec.name}: ${file} has no exported function ${JSON.stringify(exportName)} (handler ${spec.handler})`,
    );
  }
  return handler as Handler;
}

/** Unpacks a deployed zip into its own directory (one per code digest), refusing unsafe paths. */
export function unpackDeployedCode(codeRoot: string, record: DeployedFunction): string {
  const dir = join(codeRoot, `${record.funcName}-${record.digest.slice(0, 16)}`);
  if (existsSync(dir)) return dir;
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(new Uint8Array(Buffer.from(record.code, 'base64')));
  } catch (error) {
    throw new DeployedCodeError(record.funcName, `the code package is not a readable zip`, {
      cause: error,
    });
  }
  for (const [name, data] of Object.entries(entries)) {
    if (name.endsWith('/')) continue;
    const target = normalize(join(dir, name));
    if (isAbsolute(name) || !target.startsWith(`${dir}${sep}`)) {
      throw new DeployedCodeError(
        record.funcName,
        `the code package has an unsafe path ${JSON.stringify(name)}`,
      );
    }
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, data);
  }
  return dir;
}
