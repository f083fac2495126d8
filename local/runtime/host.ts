/**
 * The local FunctionGraph host: runs the built function bundles of serverless.yml against the
 * emulator, the way FunctionGraph runs them against a real account.
 *
 * - SMN triggers become real `functionstage` subscriptions made through the emulator's SMN API, so a
 *   publish by anyone (CLI, tests, another function) reaches the function with SMN's own event.
 * - TIMER triggers run on the emulator clock, so tests move them with `clock.advance` and the demo
 *   speeds them up with the emulator's speed.
 * - CTS triggers filter the traces the emulator emits (`DMS:kafka:createDMSInstanceTaskSuccess`).
 * - Every trigger invokes asynchronously, as on FunctionGraph: a queue per function, bounded
 *   concurrency, the function timeout, `asyncInvoke` retries, then the on-failure destination.
 * - Functions get temporary agency credentials from the emulator's IAM, never the account's AK/SK.
 * - With `source: 'deployed'` the functions are not read from serverless.yml and dist/ but from what
 *   `serverless deploy` put into the emulator's FunctionGraph (local/cloud/functiongraph.ts): the code
 *   zips, their configuration, triggers and async-invoke configuration, reloaded on every redeploy.
 *   SMN triggers are then the subscriptions FunctionGraph made when the trigger was created.
 *
 * Function logs go through `context.getLogger()` to `logSink` (stderr by default). console is left
 * alone on purpose: the project's handlers log with their own JSON logger, and patching console in a
 * process that also runs the CLI would swallow or reorder the CLI's own output.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { format } from 'node:util';
import { compileFunction } from 'node:vm';
import { unzipSync } from 'fflate';
import { staticCredentials } from '../../shared/cloud/credentials.js';
import { createCloudHttp } from '../../shared/cloud/http.js';
import { createSmnClient, type SmnPublisher } from '../../shared/cloud/smn.js';
import type { CloudHttp, CredentialsProvider } from '../../shared/cloud/types.js';
import {
  createLocalContext,
  type FunctionGraphContext,
  type FunctionGraphLogger,
} from '../../shared/runtime/context.js';
import { redactString, registerSecret } from '../../shared/runtime/logger.js';
import {
  asyncInvokeConfig,
  type DeployedFunction,
  deployedFunctions,
  deployedTriggers,
  parseUserData,
} from '../cloud/functiongraph.js';
import { issueTemporaryCredentials, issueToken } from '../cloud/iam.js';
import type { EmulatorConfig, EmulatorHandle, FunctionHost } from '../cloud/server.js';
import type { Account, IamToken, TemporaryCredential } from '../cloud/types.js';
import { type FunctionSpec, loadServerless, type ServerlessSpec, type TriggerSpec } from './serverless.js';
import {
  type CtsOperation,
  ctsMatches,
  eventDataField,
  nextCronTime,
  parseCtsOperations,
  parseTimerSchedule,
  TriggerConfigError,
  timerEvent,
} from './triggers.js';

/* ------------------------------------------------------------------ public types */

export interface RuntimeOptions {
  emulator: EmulatorHandle;
  /**
   * `serverless` (default): the functions of serverless.yml, code from `distDir`. `deployed`: the
   * functions deployed to the emulator's FunctionGraph (`serverless deploy` against the emulator),
   * code from their zips; redeploys are picked up as they happen.
   */
  source?: 'serverless' | 'deployed';
  /** Default `<repo>/serverless.yml`. */
  serverlessPath?: string;
  /** Where `<name>/index.js` bundles are; default `<repo>/dist/functions`. */
  distDir?: string;
  /** Extra / overriding user data for every function (e.g. `KVL_POLL_INTERVAL_MS`). */
  userData?: Record<string, string>;
  /** Real ms between an async failure and its retry; default 200. */
  retryDelayMs?: number;
  /** Where runtime and function log lines go; default stderr. */
  logSink?: (line: string) => void;
  /** Concurrent invocations per function; default 4. */
  concurrency?: number;
  /** Per-function timeout overrides in real ms (tests; serverless.yml cannot go below 3 s). */
  functionTimeoutMs?: Record<string, number>;
  /** Lifetime of the agency credentials in emulated seconds (900-86400); default 86400. */
  credentialDurationSeconds?: number;
  /** How many finished attempts `invocations` keeps; default 1000. */
  historyLimit?: number;
  /** Only run these functions of serverless.yml (default all). */
  only?: string[];
}

/** A deployed function's code package that cannot be run (not a zip, unsafe paths, no handler file). */
export class DeployedCodeError extends Error {
  constructor(
    readonly functionName: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DeployedCodeError';
  }
}

/** What started an invocation. */
export type TriggerSource = 'SMN' | 'TIMER' | 'CTS' | 'invoke' | 'invoke-async';

export type InvocationPhase = 'start' | 'end' | 'error' | 'retry';

/** One step of one invocation, as `runtime.on('invocation', …)` sees it. */
export interface InvocationEvent {
  functionName: string;
  requestId: string;
  phase: InvocationPhase;
  /** 1 for the first attempt; for `retry`, the attempt about to be made. */
  attempt: number;
  trigger: TriggerSource;
  durationMs?: number;
  error?: string;
  result?: unknown;
}

/** A finished attempt, kept in `runtime.invocations`. */
export interface InvocationRecord {
  functionName: string;
  requestId: string;
  attempt: number;
  trigger: TriggerSource;
  status: 'ok' | 'error' | 'timeout';
  /** Real ms. */
  durationMs: number;
  /** Emulated time the attempt started, ISO-8601. */
  startedAt: string;
  error?: string;
  result?: unknown;
}

/** An async event given up after its retries (or its maximum age). */
export interface InvocationFailure {
  functionName: string;
  functionUrn: string;
  requestId: string;
  event: unknown;
  error: string;
  attempts: number;
  condition: 'RetriesExhausted' | 'EventAgeExceeded';
  /** Emulated time, ISO-8601. */
  time: string;
  /** The on-failure destination publish, when one is configured. */
  destination?: { type: string; topicUrn?: string; messageId?: string; error?: string };
}

export interface RuntimeTriggerInfo {
  type: string;
  status: 'ACTIVE' | 'DISABLED';
  /** `emulated`, or why not. */
  mode: 'emulated' | 'disabled' | 'not-emulated';
  detail: string;
}

export interface RuntimeFunctionInfo {
  name: string;
  urn: string;
  timeoutMs: number;
  triggers: RuntimeTriggerInfo[];
}

export interface RuntimeEvents {
  invocation: [InvocationEvent];
  failure: [InvocationFailure];
}

/* ------------------------------------------------------------------ errors */

export class RuntimeStartError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RuntimeStartError';
  }
}

export class FunctionBundleError extends Error {
  constructor(
    readonly functionName: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'FunctionBundleError';
  }
}

export class UnknownFunctionError extends Error {
  constructor(readonly functionName: string) {
    super(`no function named ${JSON.stringify(functionName)} in this runtime`);
    this.name = 'UnknownFunctionError';
  }
}

export class FunctionTimeoutError extends Error {
  constructor(
    readonly functionName: string,
    readonly timeoutMs: number,
  ) {
    super(`function ${functionName} timed out after ${timeoutMs} ms`);
    this.name = 'FunctionTimeoutError';
  }
}

export class RuntimeClosedError extends Error {
  constructor() {
    super('the local runtime is closed');
    this.name = 'RuntimeClosedError';
  }
}

/** A handler that failed with something that is not an Error (a string, undefined, …). */
export class FunctionInvocationError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FunctionInvocationError';
  }
}

/* ------------------------------------------------------------------ internals */

type Handler = (
  event: unknown,
  context: FunctionGraphContext,
  callback?: (error: unknown, result?: unknown) => void,
) => unknown;

interface Job {
  fn: LoadedFunction;
  event: unknown;
  requestId: string;
  attempt: number;
  trigger: TriggerSource;
  /** Emulated ms the event was received (for maxAsyncEventAgeInSeconds). */
  receivedAt: number;
  /** Set for synchronous `invoke`: no retries, the caller gets the outcome. */
  reply?: { resolve(value: unknown): void; reject(error: unknown): void };
}

interface LoadedFunction {
  spec: FunctionSpec;
  name: string;
  urn: string;
  handler: Handler;
  timeoutMs: number;
  queue: Job[];
  running: number;
  smnTopics: Set<string>;
  ctsOperations: CtsOperation[];
  triggers: RuntimeTriggerInfo[];
  /** Cancels this function's timers. */
  cancel: Array<() => void>;
  /** Deployed functions: what the function was loaded from (reload when it changes). */
  signature?: string;
}

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DEFAULT_CONCURRENCY = 4;
const DEFAULT_RETRY_DELAY_MS = 200;
const DEFAULT_CREDENTIAL_SECONDS = 86_400;
const DEFAULT_HISTORY = 1000;
/** SMN `remark` is at most 128 bytes. */
const MAX_REMARK = 120;

function errorMessage(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

function asError(error: unknown): Error {
  if (error instanceof Error) return error;
  return new FunctionInvocationError(
    error === undefined || error === null
      ? 'the handler failed without a reason'
      : `the handler failed: ${String(error)}`,
    { cause: error },
  );
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

/**
 * Calls a handler in either FunctionGraph style: `async (event, context)` (the returned value is the
 * result) or `(event, context, callback)` (a non-null first callback argument is a failure).
 */
function callHandler(handler: Handler, event: unknown, context: FunctionGraphContext): Promise<unknown> {
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

/* ------------------------------------------------------------------ runtime */

export class LocalRuntime extends EventEmitter<RuntimeEvents> {
  /** Finished attempts, oldest first (capped by `historyLimit`). */
  readonly invocations: InvocationRecord[] = [];
  /** Async events given up after their retries. */
  readonly failures: InvocationFailure[] = [];
  readonly config: EmulatorConfig;
  readonly source: 'serverless' | 'deployed';

  private readonly functionsByName = new Map<string, LoadedFunction>();
  private readonly functionsByUrn = new Map<string, LoadedFunction>();
  private readonly emulator: EmulatorHandle;
  private readonly account: Account;
  private readonly retryDelayMs: number;
  private readonly concurrency: number;
  private readonly credentialSeconds: number;
  private readonly historyLimit: number;
  private readonly userData: Record<string, string>;
  private readonly logSink: (line: string) => void;
  private specValue: ServerlessSpec;
  private readonly timeoutOverrides: Record<string, number>;
  /** Where deployed code packages are unpacked (deployed source only); removed on close. */
  private codeRoot: string | undefined;
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private readonly idleWaiters: Array<() => void> = [];
  private readonly destinationSmn: SmnPublisher;
  private credential: TemporaryCredential | undefined;
  private token: IamToken | undefined;
  /** Jobs queued, running or waiting for a retry, plus failure-destination publishes in flight. */
  private pending = 0;
  private closed = false;

  /** @internal Use `startRuntime`. */
  constructor(options: RuntimeOptions, spec: ServerlessSpec, config: EmulatorConfig) {
    super();
    this.emulator = options.emulator;
    this.specValue = spec;
    this.config = config;
    this.source = options.source ?? 'serverless';
    this.timeoutOverrides = { ...(options.functionTimeoutMs ?? {}) };
    this.retryDelayMs = options.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS;
    this.concurrency = Math.max(1, options.concurrency ?? DEFAULT_CONCURRENCY);
    this.credentialSeconds = options.credentialDurationSeconds ?? DEFAULT_CREDENTIAL_SECONDS;
    this.historyLimit = options.historyLimit ?? DEFAULT_HISTORY;
    this.logSink = options.logSink ?? ((line) => process.stderr.write(`${line}\n`));
    this.userData = { ...(options.userData ?? {}) };
    const account = options.emulator.world.accounts.find((a) => a.projectId === config.projectId);
    if (!account) throw new RuntimeStartError(`the emulator has no account for project ${config.projectId}`);
    this.account = account;
    // On-failure destinations are written with the function's agency, as FunctionGraph does (xrole).
    this.destinationSmn = createSmnClient(this.smnHttp(async () => this.agencyCredentials()));
  }

  /** What runs: serverless.yml as resolved, or (deployed source) the deployed functions as a spec. */
  get spec(): ServerlessSpec {
    return this.specValue;
  }

  /** The functions this runtime runs, with the state of each trigger. */
  get functions(): RuntimeFunctionInfo[] {
    return [...this.functionsByName.values()].map((fn) => ({
      name: fn.name,
      urn: fn.urn,
      timeoutMs: fn.timeoutMs,
      triggers: fn.triggers.map((t) => ({ ...t })),
    }));
  }

  functionUrn(name: string): string {
    const loaded = this.functionsByName.get(name);
    if (loaded) return loaded.urn;
    return `urn:fss:${this.config.region}:${this.config.projectId}:function:default:${name}:latest`;
  }

  /** Synchronous invocation: awaits the handler's result (no async retries), throws its error. */
  invoke(functionName: string, event: unknown): Promise<unknown> {
    return new Promise((resolvePromise, rejectPromise) => {
      // Inside the executor, so an unknown name rejects the promise instead of throwing.
      const fn = this.requireFunction(functionName);
      this.enqueue(fn, event, 'invoke', { resolve: resolvePromise, reject: rejectPromise });
    });
  }

  /** Asynchronous invocation (retries, failure destination), like a trigger. Returns the request id. */
  invokeAsync(functionName: string, event: unknown): string {
    return this.enqueue(this.requireFunction(functionName), event, 'invoke-async');
  }

  /**
   * Resolves when nothing is queued, running or waiting for a retry. Deliveries from the emulator
   * arrive through setImmediate, so a quiet moment is confirmed over two turns of the event loop
   * before resolving; a chain (A publishes, B is triggered) is thus awaited as a whole.
   */
  async idle(): Promise<void> {
    for (;;) {
      if (this.closed) return;
      if (this.pending > 0) await new Promise<void>((r) => this.idleWaiters.push(r));
      await new Promise<void>((r) => setImmediate(r));
      await new Promise<void>((r) => setImmediate(r));
      if (this.pending === 0 || this.closed) return;
    }
  }

  /**
   * Stops timers and pending retries and detaches from the emulator. SMN subscriptions stay, as a
   * deployed function's would; handlers already running finish on their own (they cannot be killed
   * in-process) but their outcome no longer triggers retries.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const fn of this.functionsByName.values()) for (const cancel of fn.cancel.splice(0)) cancel();
    for (const timer of this.retryTimers) clearTimeout(timer);
    this.pending -= this.retryTimers.size;
    this.retryTimers.clear();
    for (const fn of this.functionsByName.values()) {
      for (const job of fn.queue.splice(0)) {
        this.pending -= 1;
        job.reply?.reject(new RuntimeClosedError());
      }
    }
    this.emulator.setFunctionHost(undefined);
    for (const wake of this.idleWaiters.splice(0)) wake();
    if (this.codeRoot) rmSync(this.codeRoot, { recursive: true, force: true });
  }

  /* -------------------------------------------------------------- set-up (startRuntime) */

  /** @internal */
  load(distDir: string, only: string[] | undefined, timeoutOverrides: Record<string, number>): void {
    const specs = only ? this.spec.functions.filter((f) => only.includes(f.name)) : this.spec.functions;
    for (const name of only ?? []) {
      if (!this.spec.functions.some((f) => f.name === name)) throw new UnknownFunctionError(name);
    }
    for (const spec of specs) {
      const fn: LoadedFunction = {
        spec,
        name: spec.name,
        urn: this.functionUrn(spec.name),
        handler: this.loadHandler(distDir, spec),
        timeoutMs: timeoutOverrides[spec.name] ?? spec.timeout * 1000,
        queue: [],
        running: 0,
        smnTopics: new Set(),
        ctsOperations: [],
        triggers: [],
        cancel: [],
      };
      this.functionsByName.set(fn.name, fn);
      this.functionsByUrn.set(fn.urn, fn);
    }
  }

  private loadHandler(distDir: string, spec: FunctionSpec, codeDir?: string): Handler {
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

  /** @internal Subscribes SMN triggers, arms timers, registers CTS filters, then attaches the host. */
  async attach(): Promise<void> {
    const subscriber = this.smnHttp(staticCredentials({ ak: this.config.ak, sk: this.config.sk }));
    if (this.source === 'deployed') {
      this.syncDeployed();
    } else {
      await this.ensureFailureTopics(subscriber);
      for (const fn of this.functionsByName.values()) {
        for (const trigger of fn.spec.events) {
          fn.triggers.push(await this.setUpTrigger(fn, trigger, subscriber));
        }
      }
    }
    const host: FunctionHost = {
      deliver: (functionUrn, event) => this.onSmnDelivery(functionUrn, event),
      cts: (event) => this.onCts(event),
      invoke: (functionUrn, event) => this.invoke(this.nameOfUrn(functionUrn), event),
      invokeAsync: (functionUrn, event) => this.invokeAsync(this.nameOfUrn(functionUrn), event),
      ...(this.source === 'deployed' ? { functionsChanged: () => this.syncDeployed() } : {}),
    };
    this.emulator.setFunctionHost(host);
  }

  private nameOfUrn(functionUrn: string): string {
    const fn = this.functionsByUrn.get(functionUrn);
    if (!fn) throw new UnknownFunctionError(functionUrn);
    return fn.name;
  }

  /**
   * On-failure SMN destinations must exist for the failure record to be published. `serverless
   * deploy` creates them; running serverless.yml directly, this runtime stands in for the deploy and
   * creates the ones of this project that are missing (SMN topic creation is idempotent).
   */
  private async ensureFailureTopics(subscriber: CloudHttp): Promise<void> {
    const wanted = new Set<string>();
    for (const fn of this.functionsByName.values()) {
      const onFailure = fn.spec.asyncInvoke.onFailure;
      if (onFailure?.destination.toUpperCase() === 'SMN' && onFailure.topicUrn)
        wanted.add(onFailure.topicUrn);
    }
    for (const topicUrn of wanted) {
      const [, , region, projectId, name] = topicUrn.split(':');
      if (region !== this.config.region || projectId !== this.config.projectId || !name) continue;
      if (this.emulator.world.topics.some((t) => t.topicUrn === topicUrn)) continue;
      await subscriber.send({
        method: 'POST',
        path: '/v2/{project_id}/notifications/topics',
        // display_name is mandatory (SMN CreateTopic); the deploy plugin sends the name too.
        body: { name, display_name: name },
      });
      this.log(`created the on-failure topic ${topicUrn} (serverless deploy creates it in a real account)`);
    }
  }

  /* -------------------------------------------------------------- deployed functions */

  /**
   * Brings the loaded functions in line with what is deployed: new and changed functions are
   * (re)loaded from their zips and their triggers wired; removed ones stop. A changed function's
   * invocations already queued finish on the code they were queued for, as on FunctionGraph.
   */
  syncDeployed(): void {
    if (this.closed || this.source !== 'deployed') return;
    const world = this.emulator.world;
    const records = deployedFunctions(world, this.config.projectId);
    const seen = new Set<string>();
    for (const record of records) {
      seen.add(record.funcUrn);
      const triggers = deployedTriggers(world, record.funcUrn);
      const config = asyncInvokeConfig(world, record.funcUrn);
      // Everything the function is loaded from, except the code itself (its digest stands for it):
      // timestamps alone would miss changes made while the emulated clock is frozen.
      const { code: _code, ...configuration } = record;
      const signature = JSON.stringify([configuration, triggers, config ?? null]);
      const current = this.functionsByUrn.get(record.funcUrn);
      if (current?.signature === signature) continue;
      if (current) this.unload(current);
      try {
        this.loadDeployed(record, signature);
      } catch (error) {
        this.log(`function ${record.funcName}: not loaded: ${errorMessage(error)}`);
      }
    }
    for (const fn of [...this.functionsByUrn.values()]) if (!seen.has(fn.urn)) this.unload(fn);
    this.specValue = {
      service: 'functiongraph',
      region: this.config.region,
      runtime: records[0]?.runtime ?? '',
      functions: [...this.functionsByName.values()].map((fn) => fn.spec),
    };
  }

  private unload(fn: LoadedFunction): void {
    for (const cancel of fn.cancel.splice(0)) cancel();
    if (this.functionsByUrn.get(fn.urn) === fn) this.functionsByUrn.delete(fn.urn);
    if (this.functionsByName.get(fn.name) === fn) this.functionsByName.delete(fn.name);
  }

  private loadDeployed(record: DeployedFunction, signature: string): void {
    const world = this.emulator.world;
    const config = asyncInvokeConfig(world, record.funcUrn);
    let onFailure: FunctionSpec['asyncInvoke']['onFailure'];
    if (config?.onFailure) {
      const param = JSON.parse(config.onFailure.param) as Record<string, unknown>;
      onFailure = {
        destination: config.onFailure.destination,
        ...(typeof param.topic_urn === 'string' ? { topicUrn: param.topic_urn } : {}),
      };
    }
    const spec: FunctionSpec = {
      name: record.funcName,
      handler: record.handler,
      description: record.description,
      timeout: record.timeout,
      memorySize: record.memorySize,
      ...(record.xrole ? { xrole: record.xrole } : {}),
      userData: parseUserData(record.userData),
      // Without a configuration FunctionGraph applies its API defaults (1 retry, 3600 s).
      asyncInvoke: {
        maxAsyncRetryAttempts: config?.maxAsyncRetryAttempts ?? 1,
        maxAsyncEventAgeInSeconds: config?.maxAsyncEventAgeInSeconds ?? 3600,
        ...(onFailure ? { onFailure } : {}),
      },
      events: deployedTriggers(world, record.funcUrn).map((t) => ({
        triggerTypeCode: t.triggerTypeCode as TriggerSpec['triggerTypeCode'],
        status: t.triggerStatus,
        eventData: t.eventData,
      })),
    };
    const codeDir = this.unpack(record);
    const fn: LoadedFunction = {
      spec,
      name: record.funcName,
      urn: record.funcUrn,
      handler: this.loadHandler('', spec, codeDir),
      timeoutMs: this.timeoutOverrides[record.funcName] ?? record.timeout * 1000,
      queue: [],
      running: 0,
      smnTopics: new Set(),
      ctsOperations: [],
      triggers: [],
      cancel: [],
      signature,
    };
    for (const trigger of spec.events) fn.triggers.push(this.setUpDeployedTrigger(fn, trigger));
    this.functionsByName.set(fn.name, fn);
    this.functionsByUrn.set(fn.urn, fn);
  }

  /** Unpacks a deployed zip into its own directory (one per code digest), refusing unsafe paths. */
  private unpack(record: DeployedFunction): string {
    this.codeRoot ??= mkdtempSync(join(tmpdir(), 'kvl-functiongraph-'));
    const dir = join(this.codeRoot, `${record.funcName}-${record.digest.slice(0, 16)}`);
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

  /**
   * Arms one trigger here: SMN deliveries routed to the function, timers on the emulated clock, CTS
   * filters. Throws on a malformed trigger. `info` says how the trigger runs locally.
   */
  private wireTrigger(fn: LoadedFunction, trigger: TriggerSpec): RuntimeTriggerInfo {
    const type = trigger.triggerTypeCode;
    const data = trigger.eventData;
    const info = (mode: RuntimeTriggerInfo['mode'], detail: string): RuntimeTriggerInfo => ({
      type,
      status: trigger.status,
      mode,
      detail,
    });
    if (trigger.status !== 'ACTIVE') return info('disabled', 'status DISABLED');
    switch (type) {
      case 'SMN': {
        const topicUrn = eventDataField(data, 'topicUrn');
        if (typeof topicUrn !== 'string' || !/^urn:smn:[^:]+:[^:]+:[^:]+$/.test(topicUrn)) {
          throw new TriggerConfigError(
            `SMN trigger: eventData.topicUrn ${JSON.stringify(topicUrn)} is not a topic URN`,
          );
        }
        fn.smnTopics.add(topicUrn);
        return info('emulated', topicUrn);
      }
      case 'TIMER':
        return info('emulated', this.armTimer(fn, data));
      case 'CTS': {
        const operations = eventDataField(data, 'operations');
        fn.ctsOperations.push(...parseCtsOperations(operations));
        return info('emulated', (operations as string[]).join(', '));
      }
      default:
        // KAFKA (and APIG, OBS, …) need a real broker or gateway; say so instead of pretending.
        this.log(`function ${fn.name}: ${type} trigger is ACTIVE but not emulated locally; it will not fire`);
        return info('not-emulated', `${type} triggers are not emulated`);
    }
  }

  /** Deployed triggers: FunctionGraph already subscribed SMN; a bad trigger is reported, not fatal. */
  private setUpDeployedTrigger(fn: LoadedFunction, trigger: TriggerSpec): RuntimeTriggerInfo {
    try {
      return this.wireTrigger(fn, trigger);
    } catch (error) {
      const type = trigger.triggerTypeCode;
      this.log(`function ${fn.name}: ${type} trigger not wired: ${errorMessage(error)}`);
      return { type, status: trigger.status, mode: 'not-emulated', detail: errorMessage(error) };
    }
  }

  /** Triggers from serverless.yml: SMN ones are subscribed through the SMN API, as a deploy would. */
  private async setUpTrigger(
    fn: LoadedFunction,
    trigger: TriggerSpec,
    subscriber: CloudHttp,
  ): Promise<RuntimeTriggerInfo> {
    try {
      const info = this.wireTrigger(fn, trigger);
      if (trigger.triggerTypeCode === 'SMN' && info.mode === 'emulated') {
        await subscriber.send({
          method: 'POST',
          path: `/v2/{project_id}/notifications/topics/${info.detail}/subscriptions`,
          body: {
            protocol: 'functionstage',
            endpoint: fn.urn,
            remark: `kafka-vpcep-link local runtime: ${fn.name}`.slice(0, MAX_REMARK),
          },
        });
      }
      return info;
    } catch (error) {
      throw new RuntimeStartError(
        `function ${fn.name}: ${trigger.triggerTypeCode} trigger: ${errorMessage(error)}`,
        { cause: error },
      );
    }
  }

  private armTimer(fn: LoadedFunction, data: Record<string, unknown>): string {
    const schedule = parseTimerSchedule(
      eventDataField(data, 'scheduleType'),
      eventDataField(data, 'schedule'),
    );
    const triggerName = String(eventDataField(data, 'name') ?? `${fn.name}-timer`);
    const userEvent = eventDataField(data, 'userEvent');
    const clock = this.emulator.clock;
    // Inside a clock callback now() reads the due time, so the event's `time` is the scheduled one.
    const fire = () => this.enqueue(fn, timerEvent({ triggerName, userEvent, now: clock.now() }), 'TIMER');
    if (schedule.kind === 'interval') {
      fn.cancel.push(clock.every(schedule.periodMs, fire));
      return `${triggerName} every ${schedule.periodMs} ms (${schedule.text})`;
    }
    // Cron: one `at` timer, re-armed at the next matching time after each firing.
    let cancel: (() => void) | undefined;
    const arm = (after: number) => {
      const next = nextCronTime(schedule.cron, after);
      if (next === undefined || this.closed) return;
      cancel = clock.at(next, () => {
        fire();
        arm(next);
      });
    };
    arm(clock.now());
    fn.cancel.push(() => cancel?.());
    return `${triggerName} cron ${schedule.text} (UTC)`;
  }

  /* -------------------------------------------------------------- host callbacks */

  private onSmnDelivery(functionUrn: string, event: Record<string, unknown>): void {
    if (this.closed) return;
    const fn = this.functionsByUrn.get(functionUrn);
    if (!fn) {
      this.log(`SMN delivery to ${functionUrn} dropped: no such function in this runtime`);
      return;
    }
    // A subscription left from an earlier run must not fire a trigger that is now disabled.
    const record = Array.isArray(event.record)
      ? (event.record[0] as Record<string, unknown> | undefined)
      : undefined;
    const topicUrn = (record?.smn as Record<string, unknown> | undefined)?.topic_urn;
    if (typeof topicUrn === 'string' && !fn.smnTopics.has(topicUrn)) {
      this.log(`SMN delivery from ${topicUrn} to ${fn.name} dropped: no ACTIVE SMN trigger for that topic`);
      return;
    }
    this.enqueue(fn, event, 'SMN');
  }

  private onCts(event: Record<string, unknown>): void {
    if (this.closed) return;
    for (const fn of this.functionsByName.values()) {
      if (fn.ctsOperations.length > 0 && ctsMatches(fn.ctsOperations, event)) this.enqueue(fn, event, 'CTS');
    }
  }

  /* -------------------------------------------------------------- invocation */

  private requireFunction(name: string): LoadedFunction {
    const fn = this.functionsByName.get(name);
    if (!fn) throw new UnknownFunctionError(name);
    return fn;
  }

  private enqueue(fn: LoadedFunction, event: unknown, trigger: TriggerSource, reply?: Job['reply']): string {
    const requestId = randomUUID();
    if (this.closed) {
      reply?.reject(new RuntimeClosedError());
      return requestId;
    }
    this.pending += 1;
    fn.queue.push({
      fn,
      event,
      requestId,
      attempt: 1,
      trigger,
      receivedAt: this.emulator.clock.now(),
      reply,
    });
    this.dispatch(fn);
    return requestId;
  }

  private dispatch(fn: LoadedFunction): void {
    while (!this.closed && fn.running < this.concurrency && fn.queue.length > 0) {
      const job = fn.queue.shift() as Job;
      fn.running += 1;
      void this.run(job).finally(() => {
        fn.running -= 1;
        this.dispatch(fn);
      });
    }
  }

  private async run(job: Job): Promise<void> {
    const { fn } = job;
    const startedAt = new Date(this.emulator.clock.now()).toISOString();
    const started = performance.now();
    const base = {
      functionName: fn.name,
      requestId: job.requestId,
      attempt: job.attempt,
      trigger: job.trigger,
    };
    this.notify({ ...base, phase: 'start' });
    try {
      const result = await this.execute(job);
      const durationMs = Math.round(performance.now() - started);
      this.record({ ...base, status: 'ok', durationMs, startedAt, result });
      this.notify({ ...base, phase: 'end', durationMs, result });
      job.reply?.resolve(result);
      this.done();
    } catch (error) {
      const durationMs = Math.round(performance.now() - started);
      const message = errorMessage(error);
      const status = error instanceof FunctionTimeoutError ? 'timeout' : 'error';
      this.record({ ...base, status, durationMs, startedAt, error: message });
      this.notify({ ...base, phase: 'error', durationMs, error: message });
      if (job.reply) {
        job.reply.reject(error);
        this.done();
      } else {
        this.afterAsyncFailure(job, message);
      }
    }
  }

  /** One attempt: a fresh context (new credentials read, remaining time from now) and the timeout. */
  private async execute(job: Job): Promise<unknown> {
    const { fn } = job;
    const credential = this.agencyCredentials();
    const context = this.createContext(fn, job.requestId, credential);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new FunctionTimeoutError(fn.name, fn.timeoutMs)), fn.timeoutMs);
    });
    try {
      // A handler that outlives its timeout keeps running (it cannot be killed in-process), but its
      // invocation has failed, as on FunctionGraph; its late result is ignored.
      return await Promise.race([callHandler(fn.handler, job.event, context), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private createContext(
    fn: LoadedFunction,
    requestId: string,
    credential: TemporaryCredential,
  ): FunctionGraphContext {
    const token = this.iamToken();
    const context = createLocalContext({
      requestId,
      functionName: fn.name,
      timeoutMs: fn.timeoutMs,
      userData: {
        HUAWEICLOUD_REGION: this.config.region,
        ...fn.spec.userData,
        // The emulator must win over whatever serverless.yml says, or functions would call the real cloud.
        HUAWEICLOUD_ENDPOINT: this.config.endpoint,
        HUAWEICLOUD_SDK_PROJECT_ID: this.config.projectId,
        ...this.userData,
      },
      credentials: { ak: credential.ak, sk: credential.sk, securityToken: credential.securityToken },
      token: token.token,
      projectId: this.config.projectId,
      memoryMb: fn.spec.memorySize,
      packageName: 'default',
      version: 'latest',
    });
    const logger = this.functionLogger(fn.name, requestId);
    return { ...context, getLogger: () => logger };
  }

  /** FunctionGraph's logger prints `time-requestId-content`; the function name tells lines apart here. */
  private functionLogger(name: string, requestId: string): Required<FunctionGraphLogger> {
    const line =
      (level: string) =>
      (...args: unknown[]) =>
        this.logSink(
          redactString(
            `[${name}] ${new Date(this.emulator.clock.now()).toISOString()}-${requestId}-${level} ${format(...args)}`,
          ),
        );
    return { debug: line('DEBUG'), info: line('INFO'), warn: line('WARN'), error: line('ERROR') };
  }

  private afterAsyncFailure(job: Job, message: string): void {
    const { fn } = job;
    const config = fn.spec.asyncInvoke;
    const ageMs = this.emulator.clock.now() - job.receivedAt;
    const tooOld = ageMs >= config.maxAsyncEventAgeInSeconds * 1000;
    if (!this.closed && !tooOld && job.attempt <= config.maxAsyncRetryAttempts) {
      const next = { ...job, attempt: job.attempt + 1 };
      this.notify({
        functionName: fn.name,
        requestId: job.requestId,
        phase: 'retry',
        attempt: next.attempt,
        trigger: job.trigger,
        error: message,
      });
      const timer = setTimeout(() => {
        this.retryTimers.delete(timer);
        if (this.closed) return;
        fn.queue.push(next);
        this.dispatch(fn);
      }, this.retryDelayMs);
      this.retryTimers.add(timer);
      return;
    }
    if (this.closed) {
      this.done();
      return;
    }
    const failure: InvocationFailure = {
      functionName: fn.name,
      functionUrn: fn.urn,
      requestId: job.requestId,
      event: job.event,
      error: message,
      attempts: job.attempt,
      condition: tooOld ? 'EventAgeExceeded' : 'RetriesExhausted',
      time: new Date(this.emulator.clock.now()).toISOString(),
    };
    this.failures.push(failure);
    this.log(
      `function ${fn.name}: request ${job.requestId} given up after ${job.attempt} attempt(s): ${message}`,
    );
    void this.sendToFailureDestination(job, failure).finally(() => {
      try {
        this.emit('failure', failure);
      } catch (error) {
        this.log(`a failure listener threw: ${errorMessage(error)}`);
      }
      this.done();
    });
  }

  /** Publishes the FunctionGraph destination record (reference §1.5) to an SMN on-failure destination. */
  private async sendToFailureDestination(job: Job, failure: InvocationFailure): Promise<void> {
    const onFailure = job.fn.spec.asyncInvoke.onFailure;
    if (!onFailure) return;
    const type = onFailure.destination;
    if (type.toUpperCase() !== 'SMN' || !onFailure.topicUrn) {
      failure.destination = { type, error: `on-failure destination ${type} is not emulated` };
      this.log(
        `function ${job.fn.name}: on-failure destination ${type} is not emulated; record kept in failures`,
      );
      return;
    }
    const record = {
      timestamp: failure.time,
      request_context: {
        request_id: job.requestId,
        function_urn: job.fn.urn,
        condition: failure.condition,
        approximate_invoke_count: job.attempt,
      },
      request_payload: JSON.stringify(job.event ?? null),
      // 200: the function ran and failed (a function error); non-200 would be a system error.
      response_context: { status_code: 200, function_error: failure.error },
      response_payload: '',
    };
    failure.destination = { type: 'SMN', topicUrn: onFailure.topicUrn };
    try {
      const { messageId } = await this.destinationSmn.publish(onFailure.topicUrn, {
        subject: `FunctionGraph async invocation failed: ${job.fn.name}`,
        message: JSON.stringify(record),
      });
      failure.destination.messageId = messageId;
    } catch (error) {
      failure.destination.error = errorMessage(error);
      this.log(`function ${job.fn.name}: publishing the failure record failed: ${errorMessage(error)}`);
    }
  }

  /* -------------------------------------------------------------- helpers */

  /**
   * The agency's temporary credentials, cached and renewed once half their lifetime (emulated time)
   * has passed, so an invocation never starts with credentials about to expire.
   */
  private agencyCredentials(): TemporaryCredential {
    const clock = this.emulator.clock;
    const margin = (this.credentialSeconds * 1000) / 2;
    if (!this.credential || this.credential.expiresAt - clock.now() < margin) {
      this.credential = issueTemporaryCredentials(
        this.emulator.world,
        clock,
        this.account,
        this.credentialSeconds,
      );
      registerSecret(this.credential.sk);
      registerSecret(this.credential.securityToken);
    }
    return this.credential;
  }

  /** The agency's IAM token (`context.getToken()`), renewed the same way. */
  private iamToken(): IamToken {
    const clock = this.emulator.clock;
    if (!this.token || this.token.expiresAt - clock.now() < 12 * 3_600_000) {
      this.token = issueToken(this.emulator.world, clock, this.account);
      registerSecret(this.token.token);
    }
    return this.token;
  }

  private smnHttp(credentials: CredentialsProvider): CloudHttp {
    return createCloudHttp({
      service: 'smn',
      region: this.config.region,
      projectId: this.config.projectId,
      credentials,
      baseUrl: this.config.endpoint,
      timeoutMs: 10_000,
      retry: { retries: 2, baseDelayMs: 50, maxDelayMs: 500 },
    });
  }

  private record(entry: InvocationRecord): void {
    this.invocations.push(entry);
    if (this.invocations.length > this.historyLimit) {
      this.invocations.splice(0, this.invocations.length - this.historyLimit);
    }
  }

  /** Emits an invocation event; a throwing listener must not break the invocation bookkeeping. */
  private notify(event: InvocationEvent): void {
    try {
      this.emit('invocation', event);
    } catch (error) {
      this.log(`an invocation listener threw: ${errorMessage(error)}`);
    }
  }

  private done(): void {
    this.pending -= 1;
    if (this.pending === 0) for (const wake of this.idleWaiters.splice(0)) wake();
  }

  private log(message: string): void {
    this.logSink(redactString(`[runtime] ${message}`));
  }
}

/* ------------------------------------------------------------------ entry point */

/**
 * Starts the local FunctionGraph host on an emulator: reads serverless.yml with the emulator's
 * project and region (so topic URNs are the emulator's topics), loads every bundle, wires triggers.
 */
export async function startRuntime(options: RuntimeOptions): Promise<LocalRuntime> {
  const config = options.emulator.config();
  if (options.source === 'deployed') {
    // Nothing is read from disk: what runs is what was deployed (and follows redeploys).
    const runtime = new LocalRuntime(
      options,
      { service: 'functiongraph', region: config.region, runtime: '', functions: [] },
      config,
    );
    await runtime.attach();
    return runtime;
  }
  const serverlessPath = resolvePath(options.serverlessPath ?? join(REPO_ROOT, 'serverless.yml'));
  const distDir = resolvePath(options.distDir ?? join(REPO_ROOT, 'dist', 'functions'));
  const spec = loadServerless(serverlessPath, {
    env: { ...process.env, HUAWEICLOUD_SDK_PROJECT_ID: config.projectId, HUAWEICLOUD_REGION: config.region },
    opt: { region: config.region },
  });
  if (spec.region !== config.region) {
    throw new RuntimeStartError(
      `${serverlessPath} resolves region ${spec.region}, but the emulator serves ${config.region}`,
    );
  }
  const runtime = new LocalRuntime(options, spec, config);
  runtime.load(distDir, options.only, options.functionTimeoutMs ?? {});
  try {
    await runtime.attach();
  } catch (error) {
    await runtime.close();
    throw error;
  }
  return runtime;
}

function resolvePath(path: string): string {
  return isAbsolute(path) ? path : resolve(process.cwd(), path);
}
