/**
 * The local FunctionGraph host: public surface for the CLI, tests and benchmarks.
 */
export {
  DeployedCodeError,
  FunctionBundleError,
  FunctionInvocationError,
  FunctionTimeoutError,
  RuntimeClosedError,
  RuntimeStartError,
  UnknownFunctionError,
} from './errors.js';
export { LocalRuntime, startRuntime } from './host.js';
export {
  type FunctionSpec,
  loadServerless,
  parseServerless,
  type ResolveSources,
  ServerlessConfigError,
  type ServerlessSpec,
  type TriggerSpec,
} from './serverless.js';
export {
  type CronExpression,
  type CtsOperation,
  ctsMatches,
  nextCronTime,
  parseCron,
  parseCtsOperations,
  parseEvery,
  parseRate,
  parseTimerSchedule,
  type TimerSchedule,
  TriggerConfigError,
  timerEvent,
} from './triggers.js';
export type {
  InvocationEvent,
  InvocationFailure,
  InvocationPhase,
  InvocationRecord,
  RuntimeEvents,
  RuntimeFunctionInfo,
  RuntimeOptions,
  RuntimeTriggerInfo,
  TriggerSource,
} from './types.js';
export { firstProbeForSpeed, waitsForSpeed } from './waits.js';
