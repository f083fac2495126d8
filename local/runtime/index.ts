/**
 * The local FunctionGraph host: public surface for the CLI, tests and benchmarks.
 */
export {
  FunctionBundleError,
  FunctionInvocationError,
  FunctionTimeoutError,
  type InvocationEvent,
  type InvocationFailure,
  type InvocationPhase,
  type InvocationRecord,
  LocalRuntime,
  RuntimeClosedError,
  type RuntimeEvents,
  type RuntimeFunctionInfo,
  type RuntimeOptions,
  RuntimeStartError,
  type RuntimeTriggerInfo,
  startRuntime,
  type TriggerSource,
  UnknownFunctionError,
} from './host.js';
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
export { firstProbeForSpeed, waitsForSpeed } from './waits.js';
