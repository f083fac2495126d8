/**
 * FunctionGraph records as the World keeps them (functions with their code, triggers, async-invoke
 * configurations), their lookups, and the revision a runtime watches. Deployed functions carry no
 * scheduled transitions: every FunctionGraph call here takes effect at once.
 *
 * The World and ServiceContext contracts live in types.ts (the emulator core); this module adds its
 * fields there by declaration merging rather than editing the core's file.
 */
import { fail, isObject } from '../module-kit.js';
import type { EmuRequest, ServiceContext, World } from '../types.js';
import { E, URN } from './constants.js';

/** A function as deployed: its configuration and its code package. */
export interface DeployedFunction {
  /** `urn:fss:{region}:{project}:function:{package}:{name}:latest`. */
  funcUrn: string;
  funcId: string;
  funcName: string;
  package: string;
  projectId: string;
  domainId: string;
  runtime: string;
  handler: string;
  memorySize: number;
  /** Seconds. */
  timeout: number;
  codeType: 'zip';
  codeFilename: string;
  codeSize: number;
  /** sha512 (hex) of the zip. */
  digest: string;
  /** The zip, base64 (as uploaded in `func_code.file`). */
  code: string;
  /** JSON object string, as the API carries it. */
  userData: string;
  xrole: string;
  appXrole: string;
  description: string;
  /** `func_vpc` (GSDK functiongraph/v2 model_func_vpc.go): the VPC the function's network is in. */
  funcVpc?: { vpcId: string; subnetId: string };
  createdAt: string;
  lastModified: string;
}

export interface DeployedTrigger {
  triggerId: string;
  /** The function's URN (with `:latest`). */
  funcUrn: string;
  triggerTypeCode: string;
  triggerStatus: 'ACTIVE' | 'DISABLED';
  eventTypeCode: string;
  eventData: Record<string, unknown>;
  /** SMN triggers: the `functionstage` subscription made for this trigger. */
  subscriptionUrn?: string;
  createdTime: string;
  lastUpdatedTime: string;
}

export interface AsyncDestinationRecord {
  destination: 'OBS' | 'SMN' | 'DIS' | 'FunctionGraph';
  /** JSON string, as the API carries it (`{"topic_urn": "…"}` for SMN). */
  param: string;
}

export interface AsyncInvokeConfigRecord {
  funcUrn: string;
  maxAsyncRetryAttempts: number;
  maxAsyncEventAgeInSeconds: number;
  onSuccess?: AsyncDestinationRecord;
  onFailure?: AsyncDestinationRecord;
  enableAsyncStatusLog: boolean;
  createdTime: string;
  lastModified: string;
}

export interface FunctionGraphState {
  functions: DeployedFunction[];
  triggers: DeployedTrigger[];
  asyncConfigs: AsyncInvokeConfigRecord[];
  /** Bumped on every change, so a runtime can tell whether it must reload. */
  revision: number;
}

declare module '../types.js' {
  interface World {
    /** Added by the FunctionGraph module: what was deployed (absent until the first deployment). */
    functionGraph?: FunctionGraphState;
  }
  interface ServiceContext {
    /** Added for the FunctionGraph module: a synchronous invocation through the attached runtime. */
    invokeFunction?(functionUrn: string, event: unknown): Promise<unknown>;
    /** Added for the FunctionGraph module: an asynchronous invocation; returns the request id. */
    invokeFunctionAsync?(functionUrn: string, event: unknown): string;
    /** Added for the FunctionGraph module: tells the attached runtime that deployments changed. */
    functionsChanged?(): void;
  }
}

/* ------------------------------------------------------------------ lookups */

export function functionGraphState(world: World): FunctionGraphState {
  world.functionGraph ??= { functions: [], triggers: [], asyncConfigs: [], revision: 0 };
  return world.functionGraph;
}

/** Every change bumps the revision and tells the attached runtime to reload. */
export function changed(ctx: ServiceContext): void {
  functionGraphState(ctx.world).revision += 1;
  ctx.functionsChanged?.();
}

export function stamp(ctx: ServiceContext): string {
  return new Date(ctx.clock.now()).toISOString();
}

/** The deployed functions of one project, for the runtime. */
export function deployedFunctions(world: World, projectId: string): DeployedFunction[] {
  return (world.functionGraph?.functions ?? []).filter((f) => f.projectId === projectId);
}

export function deployedTriggers(world: World, funcUrn: string): DeployedTrigger[] {
  return (world.functionGraph?.triggers ?? []).filter((t) => t.funcUrn === funcUrn);
}

export function asyncInvokeConfig(world: World, funcUrn: string): AsyncInvokeConfigRecord | undefined {
  return world.functionGraph?.asyncConfigs.find((c) => c.funcUrn === funcUrn);
}

/** `user_data` as a map; invalid user data never got stored, so a parse failure means none. */
export function parseUserData(text: string): Record<string, string> {
  if (!text) return {};
  const parsed: unknown = JSON.parse(text);
  return isObject(parsed) ? Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, String(v)])) : {};
}

/**
 * The function a path URN names, in the caller's project. `latest` is the only version emulated;
 * the URN may also come without a version.
 */
export function findFunction(ctx: ServiceContext, req: EmuRequest, urn: string): DeployedFunction {
  const match = URN.exec(urn);
  if (!match) fail(400, E.invalid, `Invalid function URN ${JSON.stringify(urn.slice(0, 160))}.`);
  const [, , project, pkg, name, version] = match;
  if (project !== req.caller.projectId) fail(404, E.notFound, 'The function does not exist.');
  if (version !== undefined && version !== 'latest') {
    fail(404, E.notFound, `Version or alias ${version} does not exist (the emulator keeps latest only).`);
  }
  const fn = functionGraphState(ctx.world).functions.find(
    (f) => f.projectId === project && f.package === pkg && f.funcName === name,
  );
  if (!fn) fail(404, E.notFound, 'The function does not exist.');
  return fn;
}

export function findTrigger(
  ctx: ServiceContext,
  fn: DeployedFunction,
  type: string,
  id: string,
): DeployedTrigger {
  const trigger = deployedTriggers(ctx.world, fn.funcUrn).find(
    (t) => t.triggerId === id && t.triggerTypeCode === type,
  );
  if (!trigger) fail(404, E.notFound, 'The trigger does not exist.');
  return trigger;
}
