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
 * Layout: this file is the runtime itself (loading, deployed-function sync, contexts, logs);
 * bundle.ts loads code and calls handlers, invoker.ts is the async-invoke queue (retries,
 * destinations), trigger-wiring.ts arms triggers, credentials.ts is the agency, errors.ts and
 * types.ts hold the public errors and types.
 *
 * Function logs go through `context.getLogger()` to `logSink` (stderr by default). console is left
 * alone on purpose: the project's handlers log with their own JSON logger, and patching console in a
 * process that also runs the CLI would swallow or reorder the CLI's own output.
 */
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { format } from 'node:util';
import { ASYNC_INVOKE_DEFAULTS } from '../../deploy/serverless-schema.js';
import { staticCredentials } from '../../shared/cloud/credentials.js';
import { createCloudHttp } from '../../shared/cloud/http.js';
import { createSmnClient } from '../../shared/cloud/smn.js';
import type { CloudHttp, CredentialsProvider } from '../../shared/cloud/types.js';
import {
  createLocalContext,
  type FunctionGraphContext,
  type FunctionGraphLogger,
} from '../../shared/runtime/context.js';
import { redactString } from '../../shared/runtime/logger.js';
import {
  asyncInvokeConfig,
  type DeployedFunction,
  deployedFunctions,
  deployedTriggers,
  parseUserData,
} from '../cloud/functiongraph.js';
import type { EmulatorConfig, EmulatorHandle, FunctionHost } from '../cloud/server.js';
import { loadHandler, unpackDeployedCode } from './bundle.js';
import { AgencyCredentials } from './credentials.js';
import { errorMessage, RuntimeStartError, UnknownFunctionError } from './errors.js';
import { AsyncInvoker } from './invoker.js';
import { type FunctionSpec, loadServerless, type ServerlessSpec, type TriggerSpec } from './serverless.js';
import {
  ensureFailureTopics,
  setUpDeployedTrigger,
  setUpTrigger,
  type TriggerHost,
} from './trigger-wiring.js';
import { ctsMatches } from './triggers.js';
import type {
  InvocationFailure,
  InvocationRecord,
  LoadedFunction,
  RuntimeEvents,
  RuntimeFunctionInfo,
  RuntimeOptions,
} from './types.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DEFAULT_CONCURRENCY = 4;
const DEFAULT_RETRY_DELAY_MS = 200;
const DEFAULT_CREDENTIAL_SECONDS = 86_400;
const DEFAULT_HISTORY = 1000;

/* ------------------------------------------------------------------ runtime */

export class LocalRuntime extends EventEmitter<RuntimeEvents> {
  readonly config: EmulatorConfig;
  readonly source: 'serverless' | 'deployed';

  private readonly functionsByName = new Map<string, LoadedFunction>();
  private readonly functionsByUrn = new Map<string, LoadedFunction>();
  private readonly emulator: EmulatorHandle;
  private readonly agency: AgencyCredentials;
  private readonly invoker: AsyncInvoker;
  private readonly userData: Record<string, string>;
  private readonly logSink: (line: string) => void;
  private specValue: ServerlessSpec;
  private readonly timeoutOverrides: Record<string, number>;
  /** Where deployed code packages are unpacked (deployed source only); removed on close. */
  private codeRoot: string | undefined;
  private readonly triggerHost: TriggerHost;
  private closed = false;

  /** @internal Use `startRuntime`. */
  constructor(options: RuntimeOptions, spec: ServerlessSpec, config: EmulatorConfig) {
    super();
    this.emulator = options.emulator;
    this.specValue = spec;
    this.config = config;
    this.source = options.source ?? 'serverless';
    this.timeoutOverrides = { ...(options.functionTimeoutMs ?? {}) };
    this.logSink = options.logSink ?? ((line) => process.stderr.write(`${line}\n`));
    this.userData = { ...(options.userData ?? {}) };
    const account = options.emulator.world.accounts.find((a) => a.projectId === config.projectId);
    if (!account) throw new RuntimeStartError(`the emulator has no account for project ${config.projectId}`);
    this.agency = new AgencyCredentials(
      options.emulator,
      account,
      options.credentialDurationSeconds ?? DEFAULT_CREDENTIAL_SECONDS,
    );
    this.invoker = new AsyncInvoker({
      emulator: options.emulator,
      concurrency: Math.max(1, options.concurrency ?? DEFAULT_CONCURRENCY),
      retryDelayMs: options.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS,
      historyLimit: options.historyLimit ?? DEFAULT_HISTORY,
      contextFor: (fn, requestId) => this.createContext(fn, requestId),
      // On-failure destinations are written with the function's agency, as FunctionGraph does (xrole).
      destinationSmn: createSmnClient(this.smnHttp(async () => this.agency.credentials())),
      events: this,
      log: (message) => this.log(message),
    });
    this.triggerHost = {
      emulator: this.emulator,
      config: this.config,
      enqueue: (fn, event, trigger) => {
        this.invoker.enqueue(fn, event, trigger);
      },
      isClosed: () => this.closed,
      log: (message) => this.log(message),
    };
  }

  /** Finished attempts, oldest first (capped by `historyLimit`). */
  get invocations(): InvocationRecord[] {
    return this.invoker.invocations;
  }

  /** Async events given up after their retries. */
  get failures(): InvocationFailure[] {
    return this.invoker.failures;
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
      this.invoker.enqueue(fn, event, 'invoke', { resolve: resolvePromise, reject: rejectPromise });
    });
  }

  /** Asynchronous invocation (retries, failure destination), like a trigger. Returns the request id. */
  invokeAsync(functionName: string, event: unknown): string {
    return this.invoker.enqueue(this.requireFunction(functionName), event, 'invoke-async');
  }

  /**
   * Resolves when nothing is queued, running or waiting for a retry. Deliveries from the emulator
   * arrive through setImmediate, so a quiet moment is confirmed over two turns of the event loop
   * before resolving; a chain (A publishes, B is triggered) is thus awaited as a whole.
   */
  idle(): Promise<void> {
    return this.invoker.idle();
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
    this.invoker.close(this.functionsByName.values());
    this.emulator.setFunctionHost(undefined);
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
        handler: loadHandler(distDir, spec),
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

  /** @internal Subscribes SMN triggers, arms timers, registers CTS filters, then attaches the host. */
  async attach(): Promise<void> {
    const subscriber = this.smnHttp(staticCredentials({ ak: this.config.ak, sk: this.config.sk }));
    if (this.source === 'deployed') {
      this.syncDeployed();
    } else {
      await ensureFailureTopics(this.triggerHost, this.functionsByName.values(), subscriber);
      for (const fn of this.functionsByName.values()) {
        for (const trigger of fn.spec.events) {
          fn.triggers.push(await setUpTrigger(this.triggerHost, fn, trigger, subscriber));
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
        maxAsyncRetryAttempts: config?.maxAsyncRetryAttempts ?? ASYNC_INVOKE_DEFAULTS.maxAsyncRetryAttempts,
        maxAsyncEventAgeInSeconds:
          config?.maxAsyncEventAgeInSeconds ?? ASYNC_INVOKE_DEFAULTS.maxAsyncEventAgeInSeconds,
        ...(onFailure ? { onFailure } : {}),
      },
      events: deployedTriggers(world, record.funcUrn).map((t) => ({
        triggerTypeCode: t.triggerTypeCode as TriggerSpec['triggerTypeCode'],
        status: t.triggerStatus,
        eventData: t.eventData,
      })),
    };
    this.codeRoot ??= mkdtempSync(join(tmpdir(), 'kvl-functiongraph-'));
    const codeDir = unpackDeployedCode(this.codeRoot, record);
    const fn: LoadedFunction = {
      spec,
      name: record.funcName,
      urn: record.funcUrn,
      handler: loadHandler('', spec, codeDir),
      timeoutMs: this.timeoutOverrides[record.funcName] ?? record.timeout * 1000,
      queue: [],
      running: 0,
      smnTopics: new Set(),
      ctsOperations: [],
      triggers: [],
      cancel: [],
      signature,
    };
    for (const trigger of spec.events) fn.triggers.push(setUpDeployedTrigger(this.triggerHost, fn, trigger));
    this.functionsByName.set(fn.name, fn);
    this.functionsByUrn.set(fn.urn, fn);
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
    this.invoker.enqueue(fn, event, 'SMN');
  }

  private onCts(event: Record<string, unknown>): void {
    if (this.closed) return;
    for (const fn of this.functionsByName.values()) {
      if (fn.ctsOperations.length > 0 && ctsMatches(fn.ctsOperations, event))
        this.invoker.enqueue(fn, event, 'CTS');
    }
  }

  /* -------------------------------------------------------------- invocation */

  private requireFunction(name: string): LoadedFunction {
    const fn = this.functionsByName.get(name);
    if (!fn) throw new UnknownFunctionError(name);
    return fn;
  }

  /** One attempt's context: the agency's credentials and token, user data, the function's logger. */
  private createContext(fn: LoadedFunction, requestId: string): FunctionGraphContext {
    const credential = this.agency.credentials();
    const token = this.agency.iamToken();
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

  /* -------------------------------------------------------------- helpers */

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
