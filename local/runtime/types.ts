/** Public and internal types of the local FunctionGraph host. */
import type { FunctionGraphContext } from '../../shared/runtime/context.js';
import type { EmulatorHandle } from '../cloud/server.js';
import type { FunctionSpec } from './serverless.js';
import type { CtsOperation } from './triggers.js';

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

/** @internal A function's exported handler, in either FunctionGraph style. */
export type Handler = (
  event: unknown,
  context: FunctionGraphContext,
  callback?: (error: unknown, result?: unknown) => void,
) => unknown;

/** @internal One queued attempt of one invocation. */
export interface Job {
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

/** @internal A function loaded into the runtime with its queue and triggers. */
export interface LoadedFunction {
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
