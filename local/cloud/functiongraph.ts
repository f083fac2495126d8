/**
 * FunctionGraph (management API v2) of the emulator: what `serverless deploy` calls — functions with
 * their code (an inline base64 zip), configuration, triggers (SMN, TIMER, CTS, KAFKA, …), the
 * async-invoke configuration — and invocation. Paths and bodies follow the official
 * `@huaweicloud/huaweicloud-sdk-functiongraph` models; error codes are the documented `FSS.*` ones
 * with the `{error_code, error_msg}` envelope.
 *
 * Deployed functions (code included) are kept in the World (`world.functionGraph`), so
 * `GET /_emulator/state` shows what was deployed. The local runtime runs them
 * (`startRuntime({source: 'deployed'})`): an SMN trigger is a real `functionstage` subscription made
 * here, as FunctionGraph does behind its SMN triggers, so a publish reaches the deployed function;
 * TIMER and CTS triggers are read by the runtime from these records. Invocations go to that runtime
 * through the emulator core; without a runtime they answer 503.
 *
 * The World and ServiceContext contracts live in types.ts (the emulator core); this module adds its
 * fields there by declaration merging rather than editing the core's file.
 */
import { createHash, randomUUID } from 'node:crypto';
import { fail, isObject, type JsonObject } from './module-kit.js';
import type {
  EmuRequest,
  EmuResponse,
  ServiceContext,
  ServiceModule,
  SmnSubscription,
  World,
} from './types.js';
import { EmuError } from './types.js';

/* ------------------------------------------------------------------ contracts added to the core */

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

declare module './types.js' {
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

/* ------------------------------------------------------------------ limits and codes */

/** Inline code: 50 MB (reference §1.4). */
export const MAX_INLINE_ZIP_BYTES = 50 * 1024 * 1024;
/** All user data together (reference §1.4). */
export const MAX_USER_DATA_CHARS = 4096;
const MAX_TRIGGERS_PER_FUNCTION = 10;
const LIST_MAX_ITEMS = 400;

/** Documented FSS codes (API reference "Error Codes"). */
const E = {
  invalid: 'FSS.0400',
  notFound: 'FSS.0404',
  notAcceptable: 'FSS.0406',
  exists: 'FSS.0409',
  tooLarge: 'FSS.0413',
  unavailable: 'FSS.0503',
  invalidQuery: 'FSS.1001',
  invalidName: 'FSS.1002',
  invalidHandler: 'FSS.1003',
  invalidPackage: 'FSS.1004',
  invalidRuntime: 'FSS.1005',
  invalidCodeType: 'FSS.1006',
  invalidMemory: 'FSS.1007',
  invalidTimeout: 'FSS.1008',
  invalidUserData: 'FSS.1009',
} as const;

const FUNC_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,59}$/;
const PACKAGE_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const AGENCY_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const NODE_HANDLER = /^[\w./-]+\.[A-Za-z_$][\w$]*$/;
const USER_DATA_KEY = /^[A-Za-z][A-Za-z0-9_]*$/;
// The Node.js runtimes of the international site plus 22.18 (Chinese site), and the other languages
// by shape. `nodejs20.x` (the AWS spelling) is refused, which is the mistake worth catching.
const RUNTIME =
  /^(Node\.js(6\.10|8\.10|10\.16|12\.13|14\.18|16\.17|18\.15|20\.15|22\.18)|Python\d\.\d+|Java\d+|Go1\.x|PHP\d\.\d|C#\(\.NET Core \d\.\d\)|Custom|http|Cangjie\d\.\d\.\d)$/;
const TRIGGER_TYPES: ReadonlySet<string> = new Set([
  'TIMER',
  'APIG',
  'CTS',
  'DDS',
  'DMS',
  'DIS',
  'LTS',
  'OBS',
  'SMN',
  'KAFKA',
  'RABBITMQ',
  'DEDICATEDGATEWAY',
  'OPENSOURCEKAFKA',
  'APIC',
  'GAUSSMONGO',
  'EVENTGRID',
]);
/** Only these can be DISABLED (API reference, "Creating a Trigger"). */
const DISABLEABLE: ReadonlySet<string> = new Set([
  'TIMER',
  'DDS',
  'DMS',
  'KAFKA',
  'LTS',
  'OPENSOURCEKAFKA',
  'RABBITMQ',
]);
/** Created DISABLED unless a status is given (Terraform docs). */
const DISABLED_BY_DEFAULT: ReadonlySet<string> = new Set(['DDS', 'KAFKA']);
const DESTINATIONS: ReadonlySet<string> = new Set(['OBS', 'SMN', 'DIS', 'FunctionGraph']);

const PREFIX = /^\/v2\/([^/]+)\/fgs\/(functions|triggers)(\/.*)?$/;
const URN = /^urn:fss:([^:]+):([^:]+):function:([^:]+):([^:]+)(?::([^:]+))?$/;

/* ------------------------------------------------------------------ helpers */

function body(req: EmuRequest): JsonObject {
  if (req.body === undefined) return {};
  if (!isObject(req.body)) fail(400, E.invalid, 'The request body must be a JSON object.');
  return req.body;
}

function stamp(ctx: ServiceContext): string {
  return new Date(ctx.clock.now()).toISOString();
}

export function functionGraphState(world: World): FunctionGraphState {
  world.functionGraph ??= { functions: [], triggers: [], asyncConfigs: [], revision: 0 };
  return world.functionGraph;
}

function changed(ctx: ServiceContext): void {
  functionGraphState(ctx.world).revision += 1;
  ctx.functionsChanged?.();
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
function findFunction(ctx: ServiceContext, req: EmuRequest, urn: string): DeployedFunction {
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

function configView(fn: DeployedFunction) {
  return {
    func_id: fn.funcId,
    resource_id: fn.funcId,
    func_urn: fn.funcUrn,
    func_name: fn.funcName,
    domain_id: fn.domainId,
    namespace: fn.projectId,
    project_name: '',
    package: fn.package,
    runtime: fn.runtime,
    timeout: fn.timeout,
    handler: fn.handler,
    memory_size: fn.memorySize,
    cpu: Math.max(300, Math.round((fn.memorySize / 128) * 100)),
    code_type: fn.codeType,
    code_url: '',
    code_filename: fn.codeFilename,
    code_size: fn.codeSize,
    user_data: fn.userData,
    encrypted_user_data: '',
    digest: fn.digest,
    version: 'latest',
    image_name: 'latest',
    xrole: fn.xrole,
    app_xrole: fn.appXrole,
    description: fn.description,
    ...(fn.funcVpc ? { func_vpc: { vpc_id: fn.funcVpc.vpcId, subnet_id: fn.funcVpc.subnetId } } : {}),
    last_modified: fn.lastModified,
    type: 'v2',
    enterprise_project_id: '0',
  };
}

function triggerView(trigger: DeployedTrigger) {
  return {
    trigger_id: trigger.triggerId,
    trigger_type_code: trigger.triggerTypeCode,
    trigger_status: trigger.triggerStatus,
    event_data: trigger.eventData,
    last_updated_time: trigger.lastUpdatedTime,
    created_time: trigger.createdTime,
  };
}

function asyncConfigView(config: AsyncInvokeConfigRecord) {
  const destinations: JsonObject = {};
  if (config.onSuccess) destinations.on_success = config.onSuccess;
  if (config.onFailure) destinations.on_failure = config.onFailure;
  return {
    func_urn: config.funcUrn,
    max_async_event_age_in_seconds: config.maxAsyncEventAgeInSeconds,
    max_async_retry_attempts: config.maxAsyncRetryAttempts,
    destination_config: destinations,
    enable_async_status_log: config.enableAsyncStatusLog,
    created_time: config.createdTime,
    last_modified: config.lastModified,
  };
}

/* ------------------------------------------------------------------ validation */

interface ConfigFields {
  runtime: string;
  handler: string;
  memorySize: number;
  timeout: number;
  userData: string;
  xrole: string;
  appXrole: string;
  description: string;
  funcVpc?: { vpcId: string; subnetId: string };
}

/**
 * `func_vpc`: vpc_id and subnet_id are required (non-pointer fields of GSDK model_func_vpc.go), and
 * the function needs an agency with VPC permissions ("需同时为函数配置具有vpc权限的委托", same file).
 */
function funcVpcField(
  input: JsonObject,
  xrole: string,
  base?: ConfigFields,
): { vpcId: string; subnetId: string } | undefined {
  const raw = input.func_vpc;
  if (raw === undefined) return base?.funcVpc;
  if (raw === null) return undefined;
  if (
    !isObject(raw) ||
    typeof raw.vpc_id !== 'string' ||
    raw.vpc_id === '' ||
    typeof raw.subnet_id !== 'string' ||
    raw.subnet_id === ''
  )
    fail(400, E.invalid, 'Invalid func_vpc: vpc_id and subnet_id are required.');
  if (xrole === '') fail(400, E.invalid, 'func_vpc needs an agency (xrole) with VPC permissions.');
  return { vpcId: raw.vpc_id, subnetId: raw.subnet_id };
}

/** The VPC and subnet of `func_vpc` must exist in the caller's project, the subnet in that VPC. */
function checkFuncVpc(ctx: ServiceContext, projectId: string, funcVpc: ConfigFields['funcVpc']): void {
  if (!funcVpc) return;
  const vpc = ctx.world.vpcs.find((v) => v.id === funcVpc.vpcId && v.projectId === projectId);
  if (!vpc) fail(400, E.invalid, `func_vpc.vpc_id ${funcVpc.vpcId} does not exist.`);
  const subnet = ctx.world.subnets.find((s) => s.id === funcVpc.subnetId && s.vpcId === vpc.id);
  if (!subnet) fail(400, E.invalid, `func_vpc.subnet_id ${funcVpc.subnetId} is not a subnet of ${vpc.id}.`);
}

function integerField(value: unknown): number | undefined {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof n === 'number' && Number.isInteger(n) ? n : undefined;
}

/** Validates configuration fields; `base` supplies what an update leaves out. */
function configFields(input: JsonObject, base?: ConfigFields): ConfigFields {
  const runtime = input.runtime ?? base?.runtime;
  if (typeof runtime !== 'string' || !RUNTIME.test(runtime)) {
    fail(400, E.invalidRuntime, `Invalid runtime ${JSON.stringify(runtime)} (e.g. Node.js20.15).`);
  }
  const handler = input.handler ?? base?.handler;
  if (
    typeof handler !== 'string' ||
    handler.length > 128 ||
    (runtime.startsWith('Node.js') && !NODE_HANDLER.test(handler))
  ) {
    fail(
      400,
      E.invalidHandler,
      `Invalid handler ${JSON.stringify(handler)} (file.export, e.g. index.handler).`,
    );
  }
  const memorySize = input.memory_size === undefined ? base?.memorySize : integerField(input.memory_size);
  if (memorySize === undefined || memorySize < 128 || memorySize > 10_240 || memorySize % 64 !== 0) {
    fail(400, E.invalidMemory, `Invalid memory_size ${JSON.stringify(input.memory_size)} (128-10240 MB).`);
  }
  const timeout = input.timeout === undefined ? base?.timeout : integerField(input.timeout);
  if (timeout === undefined || timeout < 3 || timeout > 259_200) {
    fail(400, E.invalidTimeout, `Invalid timeout ${JSON.stringify(input.timeout)} (3-259200 s).`);
  }
  const userData = input.user_data === undefined ? (base?.userData ?? '') : input.user_data;
  validateUserData(userData);
  const xrole = input.xrole ?? base?.xrole ?? '';
  const appXrole = input.app_xrole ?? base?.appXrole ?? '';
  for (const [field, value] of [
    ['xrole', xrole],
    ['app_xrole', appXrole],
  ] as const) {
    if (typeof value !== 'string' || (value !== '' && !AGENCY_NAME.test(value))) {
      fail(400, E.invalid, `Invalid ${field} ${JSON.stringify(value)}.`);
    }
  }
  const description = input.description ?? base?.description ?? '';
  if (typeof description !== 'string' || description.length > 512)
    fail(400, E.invalid, 'Invalid description.');
  const funcVpc = funcVpcField(input, xrole as string, base);
  return {
    ...(funcVpc ? { funcVpc } : {}),
    runtime,
    handler,
    memorySize,
    timeout,
    userData: userData as string,
    xrole: xrole as string,
    appXrole: appXrole as string,
    description,
  };
}

function validateUserData(value: unknown): void {
  if (typeof value !== 'string') fail(400, E.invalidUserData, 'user_data must be a JSON object string.');
  if (value === '') return;
  if (value.length > MAX_USER_DATA_CHARS) {
    fail(400, E.invalidUserData, `user_data is over ${MAX_USER_DATA_CHARS} characters.`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    fail(400, E.invalidUserData, 'user_data is not valid JSON.');
  }
  if (!isObject(parsed)) fail(400, E.invalidUserData, 'user_data must be a JSON object.');
  for (const [key, item] of Object.entries(parsed)) {
    if (!USER_DATA_KEY.test(key))
      fail(400, E.invalidUserData, `Invalid user_data key ${JSON.stringify(key)}.`);
    if (typeof item !== 'string') fail(400, E.invalidUserData, `user_data ${key} must be a string.`);
  }
}

/** The code package of a create or code update: an inline base64 zip. */
function codePackage(input: JsonObject): { code: string; size: number; digest: string; filename: string } {
  const codeType = input.code_type ?? 'zip';
  if (codeType !== 'zip') {
    fail(
      400,
      E.invalidCodeType,
      `code_type ${JSON.stringify(codeType)} is not supported here (the emulator takes zip).`,
    );
  }
  const funcCode = input.func_code;
  const file = isObject(funcCode) ? funcCode.file : undefined;
  if (typeof file !== 'string' || file === '' || !/^[A-Za-z0-9+/]+={0,2}$/.test(file)) {
    fail(400, E.invalidCodeType, 'func_code.file must be the base64 of a zip.');
  }
  const bytes = Buffer.from(file, 'base64');
  if (bytes.length > MAX_INLINE_ZIP_BYTES) fail(413, E.tooLarge, 'The code package is over 50 MB.');
  // Local file header signature: refuse anything that is not a zip rather than fail at run time.
  if (bytes.length < 22 || bytes.readUInt32LE(0) !== 0x04034b50) {
    fail(400, E.invalidCodeType, 'func_code.file is not a zip archive.');
  }
  const filename =
    typeof input.code_filename === 'string' && input.code_filename !== '' ? input.code_filename : 'index.zip';
  return {
    code: file,
    size: bytes.length,
    digest: createHash('sha512').update(bytes).digest('hex'),
    filename,
  };
}

/* ------------------------------------------------------------------ functions */

function createFunction(req: EmuRequest, ctx: ServiceContext): EmuResponse {
  const input = body(req);
  const funcName = input.func_name;
  if (typeof funcName !== 'string' || !FUNC_NAME.test(funcName)) {
    fail(400, E.invalidName, `Invalid func_name ${JSON.stringify(funcName)}.`);
  }
  const pkg = input.package ?? 'default';
  if (typeof pkg !== 'string' || !PACKAGE_NAME.test(pkg))
    fail(400, E.invalidPackage, `Invalid package ${JSON.stringify(pkg)}.`);
  const config = configFields(input);
  const code = codePackage(input);
  const state = functionGraphState(ctx.world);
  const projectId = req.caller.projectId;
  checkFuncVpc(ctx, projectId, config.funcVpc);
  if (
    state.functions.some((f) => f.projectId === projectId && f.package === pkg && f.funcName === funcName)
  ) {
    fail(409, E.exists, `Function ${funcName} already exists in package ${pkg}.`);
  }
  const now = stamp(ctx);
  const fn: DeployedFunction = {
    funcUrn: `urn:fss:${ctx.world.region}:${projectId}:function:${pkg}:${funcName}:latest`,
    funcId: ctx.newId(),
    funcName,
    package: pkg,
    projectId,
    domainId: req.caller.domainId,
    ...config,
    codeType: 'zip',
    codeFilename: code.filename,
    codeSize: code.size,
    digest: code.digest,
    code: code.code,
    createdAt: now,
    lastModified: now,
  };
  state.functions.push(fn);
  changed(ctx);
  return { status: 200, body: configView(fn) };
}

function listFunctions(req: EmuRequest, ctx: ServiceContext): EmuResponse {
  const marker = Number(req.query.get('marker') ?? '0');
  const requested = Number(req.query.get('maxitems') ?? '0');
  if (!Number.isInteger(marker) || marker < 0 || !Number.isInteger(requested) || requested < 0) {
    fail(400, E.invalidQuery, 'Invalid marker or maxitems.');
  }
  // ListFunctionsRequest.maxitems (Go SDK model): absent, 0 or above 400 means the default 400;
  // only a negative value is a parameter error.
  const maxItems = requested === 0 || requested > LIST_MAX_ITEMS ? LIST_MAX_ITEMS : requested;
  const pkg = req.query.get('package_name');
  const name = req.query.get('func_name');
  const all = functionGraphState(ctx.world).functions.filter(
    (f) =>
      f.projectId === req.caller.projectId &&
      (pkg === null || f.package === pkg) &&
      (name === null || f.funcName.includes(name)),
  );
  const page = all.slice(marker, marker + maxItems);
  return {
    status: 200,
    body: {
      functions: page.map(configView),
      next_marker: marker + page.length,
      count: all.length,
    },
  };
}

function updateConfig(req: EmuRequest, ctx: ServiceContext, fn: DeployedFunction): EmuResponse {
  const input = body(req);
  if (input.func_name !== undefined && input.func_name !== fn.funcName) {
    fail(400, E.invalidName, 'func_name cannot be changed.');
  }
  const config = configFields(input, fn);
  checkFuncVpc(ctx, fn.projectId, config.funcVpc);
  if (!config.funcVpc) delete fn.funcVpc;
  Object.assign(fn, config, { lastModified: stamp(ctx) });
  changed(ctx);
  return { status: 200, body: configView(fn) };
}

function codeView(fn: DeployedFunction) {
  return {
    func_urn: fn.funcUrn,
    func_name: fn.funcName,
    domain_id: fn.domainId,
    runtime: fn.runtime,
    code_type: fn.codeType,
    code_url: '',
    code_filename: fn.codeFilename,
    code_size: fn.codeSize,
    digest: fn.digest,
    last_modified: fn.lastModified,
    func_code: { file: fn.code, link: '' },
    depend_list: [],
    depend_version_list: [],
  };
}

function updateCode(req: EmuRequest, ctx: ServiceContext, fn: DeployedFunction): EmuResponse {
  const code = codePackage(body(req));
  Object.assign(fn, {
    code: code.code,
    codeSize: code.size,
    digest: code.digest,
    codeFilename: code.filename,
    lastModified: stamp(ctx),
  });
  changed(ctx);
  const { func_code: _omitted, ...view } = codeView(fn);
  return { status: 200, body: view };
}

function deleteFunction(ctx: ServiceContext, fn: DeployedFunction): EmuResponse {
  const state = functionGraphState(ctx.world);
  for (const trigger of deployedTriggers(ctx.world, fn.funcUrn)) removeTriggerResources(ctx, trigger);
  state.triggers = state.triggers.filter((t) => t.funcUrn !== fn.funcUrn);
  state.asyncConfigs = state.asyncConfigs.filter((c) => c.funcUrn !== fn.funcUrn);
  state.functions = state.functions.filter((f) => f !== fn);
  changed(ctx);
  return { status: 204 };
}

/* ------------------------------------------------------------------ triggers */

function stringField(data: JsonObject, key: string): string | undefined {
  const value = data[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Checks a trigger's event data and returns its identity (what makes two triggers the same). */
function triggerIdentity(req: EmuRequest, ctx: ServiceContext, type: string, data: JsonObject): string {
  switch (type) {
    case 'SMN': {
      const topicUrn = stringField(data, 'topic_urn');
      if (!topicUrn) fail(400, E.invalid, 'SMN trigger: event_data.topic_urn is required.');
      const topic = ctx.world.topics.find(
        (t) => t.topicUrn === topicUrn && t.projectId === req.caller.projectId,
      );
      if (!topic) fail(404, E.notFound, `SMN trigger: topic ${topicUrn} does not exist.`);
      return topicUrn;
    }
    case 'TIMER': {
      const name = stringField(data, 'name');
      if (!name || !/^[A-Za-z][A-Za-z0-9_-]{0,63}$/.test(name))
        fail(400, E.invalid, 'TIMER trigger: invalid name.');
      const scheduleType = data.schedule_type;
      const schedule = stringField(data, 'schedule');
      if (scheduleType !== 'Rate' && scheduleType !== 'Cron') {
        fail(400, E.invalid, 'TIMER trigger: schedule_type must be Rate or Cron.');
      }
      if (!schedule) fail(400, E.invalid, 'TIMER trigger: schedule is required.');
      if (scheduleType === 'Rate' && !/^\d+[mhd]$/.test(schedule)) {
        fail(400, E.invalid, 'TIMER trigger: a Rate schedule looks like 1m, 2h or 3d.');
      }
      if (
        scheduleType === 'Cron' &&
        !schedule.startsWith('@every ') &&
        schedule.trim().split(/\s+/).length < 6
      ) {
        fail(400, E.invalid, 'TIMER trigger: a Cron schedule has 6 fields (sec min hour day month weekday).');
      }
      if (data.user_event !== undefined && typeof data.user_event !== 'string') {
        fail(400, E.invalid, 'TIMER trigger: user_event must be a string.');
      }
      return name;
    }
    case 'CTS': {
      const name = stringField(data, 'name');
      if (!name) fail(400, E.invalid, 'CTS trigger: event_data.name is required.');
      const operations = data.operations;
      if (
        !Array.isArray(operations) ||
        operations.length === 0 ||
        !operations.every((o) => typeof o === 'string' && /^[A-Za-z0-9_-]+:[^:]+:[^:]+$/.test(o))
      ) {
        fail(
          400,
          E.invalid,
          'CTS trigger: operations must be ["<service>:<resource types>:<trace names>", …].',
        );
      }
      return name;
    }
    case 'KAFKA': {
      const instanceId = stringField(data, 'instance_id');
      if (!instanceId) fail(400, E.invalid, 'KAFKA trigger: event_data.instance_id is required.');
      if (
        !ctx.world.kafkaInstances.some(
          (i) => i.instanceId === instanceId && i.projectId === req.caller.projectId,
        )
      ) {
        fail(404, E.notFound, `KAFKA trigger: Kafka instance ${instanceId} does not exist.`);
      }
      const topics = data.topic_ids;
      if (
        !Array.isArray(topics) ||
        topics.length === 0 ||
        !topics.every((t) => typeof t === 'string' && t !== '')
      ) {
        fail(400, E.invalid, 'KAFKA trigger: topic_ids must be a non-empty list of topic names.');
      }
      const batch = data.batch_size === undefined ? 100 : integerField(data.batch_size);
      if (batch === undefined || batch < 1 || batch > 1000)
        fail(400, E.invalid, 'KAFKA trigger: batch_size is 1-1000.');
      return `${instanceId}/${[...topics].sort().join(',')}`;
    }
    default:
      // Not emulated beyond being recorded: identical event data is the same trigger.
      return JSON.stringify(data);
  }
}

function createTrigger(req: EmuRequest, ctx: ServiceContext, fn: DeployedFunction): EmuResponse {
  const input = body(req);
  const type = input.trigger_type_code;
  if (typeof type !== 'string' || !TRIGGER_TYPES.has(type)) {
    fail(400, E.invalid, `Invalid trigger_type_code ${JSON.stringify(type)}.`);
  }
  const status = input.trigger_status ?? (DISABLED_BY_DEFAULT.has(type) ? 'DISABLED' : 'ACTIVE');
  if (status !== 'ACTIVE' && status !== 'DISABLED')
    fail(400, E.invalid, 'trigger_status must be ACTIVE or DISABLED.');
  if (status === 'DISABLED' && !DISABLEABLE.has(type))
    fail(400, E.invalid, `${type} triggers cannot be disabled.`);
  const data = input.event_data;
  if (!isObject(data)) fail(400, E.invalid, 'event_data must be an object.');
  const identity = triggerIdentity(req, ctx, type, data);
  const existing = deployedTriggers(ctx.world, fn.funcUrn);
  if (existing.length >= MAX_TRIGGERS_PER_FUNCTION)
    fail(400, E.invalid, 'A function has at most 10 triggers.');
  if (
    existing.some(
      (t) => t.triggerTypeCode === type && triggerIdentity(req, ctx, type, t.eventData) === identity,
    )
  ) {
    fail(409, E.exists, `The ${type} trigger already exists.`);
  }
  const now = stamp(ctx);
  const trigger: DeployedTrigger = {
    triggerId: ctx.newId(),
    funcUrn: fn.funcUrn,
    triggerTypeCode: type,
    triggerStatus: status,
    eventTypeCode: typeof input.event_type_code === 'string' ? input.event_type_code : '',
    eventData: structuredClone(data),
    createdTime: now,
    lastUpdatedTime: now,
  };
  if (type === 'SMN') trigger.subscriptionUrn = subscribeFunction(ctx, identity, fn);
  functionGraphState(ctx.world).triggers.push(trigger);
  changed(ctx);
  return { status: 201, body: triggerView(trigger) };
}

/** What FunctionGraph does behind an SMN trigger: a `functionstage` subscription to the topic. */
function subscribeFunction(ctx: ServiceContext, topicUrn: string, fn: DeployedFunction): string {
  const subscription: SmnSubscription = {
    subscriptionUrn: `${topicUrn}:${randomUUID().replace(/-/g, '')}`,
    topicUrn,
    protocol: 'functionstage',
    endpoint: fn.funcUrn,
    remark: `FunctionGraph trigger of ${fn.funcName}`.slice(0, 128),
    projectId: fn.projectId,
  };
  ctx.world.subscriptions.push(subscription);
  return subscription.subscriptionUrn;
}

function removeTriggerResources(ctx: ServiceContext, trigger: DeployedTrigger): void {
  if (trigger.subscriptionUrn) {
    ctx.world.subscriptions = ctx.world.subscriptions.filter(
      (s) => s.subscriptionUrn !== trigger.subscriptionUrn,
    );
  }
}

function findTrigger(ctx: ServiceContext, fn: DeployedFunction, type: string, id: string): DeployedTrigger {
  const trigger = deployedTriggers(ctx.world, fn.funcUrn).find(
    (t) => t.triggerId === id && t.triggerTypeCode === type,
  );
  if (!trigger) fail(404, E.notFound, 'The trigger does not exist.');
  return trigger;
}

function updateTrigger(req: EmuRequest, ctx: ServiceContext, trigger: DeployedTrigger): EmuResponse {
  const input = body(req);
  const status = input.trigger_status;
  if (status !== 'ACTIVE' && status !== 'DISABLED')
    fail(400, E.invalid, 'trigger_status must be ACTIVE or DISABLED.');
  if (status === 'DISABLED' && !DISABLEABLE.has(trigger.triggerTypeCode)) {
    fail(400, E.invalid, `${trigger.triggerTypeCode} triggers cannot be disabled.`);
  }
  trigger.triggerStatus = status;
  trigger.lastUpdatedTime = stamp(ctx);
  changed(ctx);
  return { status: 200, body: triggerView(trigger) };
}

function deleteTriggers(ctx: ServiceContext, triggers: DeployedTrigger[]): EmuResponse {
  const state = functionGraphState(ctx.world);
  for (const trigger of triggers) removeTriggerResources(ctx, trigger);
  state.triggers = state.triggers.filter((t) => !triggers.includes(t));
  changed(ctx);
  return { status: 204 };
}

/* ------------------------------------------------------------------ async invocation config */

function destination(
  req: EmuRequest,
  ctx: ServiceContext,
  value: unknown,
  field: string,
): AsyncDestinationRecord | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value) || typeof value.destination !== 'string' || !DESTINATIONS.has(value.destination)) {
    fail(400, E.invalid, `${field}.destination must be OBS, SMN, DIS or FunctionGraph.`);
  }
  if (typeof value.param !== 'string') fail(400, E.invalid, `${field}.param must be a JSON string.`);
  let param: unknown;
  try {
    param = JSON.parse(value.param);
  } catch {
    fail(400, E.invalid, `${field}.param is not valid JSON.`);
  }
  if (!isObject(param)) fail(400, E.invalid, `${field}.param must be a JSON object.`);
  if (value.destination === 'SMN') {
    const topicUrn = param.topic_urn;
    if (
      typeof topicUrn !== 'string' ||
      !ctx.world.topics.some((t) => t.topicUrn === topicUrn && t.projectId === req.caller.projectId)
    ) {
      fail(400, E.invalid, `${field}: SMN topic ${JSON.stringify(topicUrn)} does not exist.`);
    }
  }
  return { destination: value.destination as AsyncDestinationRecord['destination'], param: value.param };
}

function putAsyncConfig(req: EmuRequest, ctx: ServiceContext, fn: DeployedFunction): EmuResponse {
  const input = body(req);
  const retries =
    input.max_async_retry_attempts === undefined ? 1 : integerField(input.max_async_retry_attempts);
  if (retries === undefined || retries < 0 || retries > 3)
    fail(400, E.invalid, 'max_async_retry_attempts is 0-3.');
  const age =
    input.max_async_event_age_in_seconds === undefined
      ? 3600
      : integerField(input.max_async_event_age_in_seconds);
  if (age === undefined || age < 1 || age > 86_400)
    fail(400, E.invalid, 'max_async_event_age_in_seconds is 1-86400.');
  const destinations = input.destination_config ?? {};
  if (!isObject(destinations)) fail(400, E.invalid, 'destination_config must be an object.');
  const now = stamp(ctx);
  const state = functionGraphState(ctx.world);
  const previous = state.asyncConfigs.find((c) => c.funcUrn === fn.funcUrn);
  const config: AsyncInvokeConfigRecord = {
    funcUrn: fn.funcUrn,
    maxAsyncRetryAttempts: retries,
    maxAsyncEventAgeInSeconds: age,
    onSuccess: destination(req, ctx, destinations.on_success, 'on_success'),
    onFailure: destination(req, ctx, destinations.on_failure, 'on_failure'),
    enableAsyncStatusLog: input.enable_async_status_log === true,
    createdTime: previous?.createdTime ?? now,
    lastModified: now,
  };
  state.asyncConfigs = [...state.asyncConfigs.filter((c) => c !== previous), config];
  changed(ctx);
  return { status: 200, body: asyncConfigView(config) };
}

/* ------------------------------------------------------------------ invocation */

/** A function error, as the sync invocation reports it: the runtime's error name and message. */
function errorResult(error: unknown): string {
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  return JSON.stringify({ errorType: name, errorMessage: message });
}

async function invoke(req: EmuRequest, ctx: ServiceContext, fn: DeployedFunction): Promise<EmuResponse> {
  if (!ctx.invokeFunction) fail(503, E.unavailable, 'No local runtime runs the deployed functions.');
  const requestId = req.requestId ?? randomUUID();
  try {
    const result = await ctx.invokeFunction(fn.funcUrn, req.body ?? {});
    return {
      status: 200,
      headers: { 'X-Cff-Request-Id': requestId },
      body: {
        request_id: requestId,
        result: typeof result === 'string' ? result : JSON.stringify(result ?? null),
        log: '',
        status: 200,
      },
    };
  } catch (error) {
    if (error instanceof EmuError) throw error;
    // The runtime does not (yet) run this function: a service problem, not a function error.
    if (
      error instanceof Error &&
      (error.name === 'UnknownFunctionError' || error.name === 'RuntimeClosedError')
    ) {
      fail(503, E.unavailable, `The local runtime cannot run ${fn.funcName}: ${error.message}`);
    }
    // The handler failed: FunctionGraph answers the call, with the failure in the body.
    return {
      status: 200,
      headers: { 'X-Cff-Request-Id': requestId },
      body: { request_id: requestId, result: errorResult(error), log: '', status: 500 },
    };
  }
}

function invokeAsync(req: EmuRequest, ctx: ServiceContext, fn: DeployedFunction): EmuResponse {
  if (!ctx.invokeFunctionAsync) fail(503, E.unavailable, 'No local runtime runs the deployed functions.');
  let requestId: string;
  try {
    requestId = ctx.invokeFunctionAsync(fn.funcUrn, req.body ?? {});
  } catch (error) {
    if (error instanceof EmuError) throw error;
    fail(
      503,
      E.unavailable,
      `The local runtime cannot run ${fn.funcName}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  return { status: 202, body: { request_id: requestId } };
}

/* ------------------------------------------------------------------ module */

export function createFunctionGraphModule(): ServiceModule {
  return {
    name: 'functiongraph',
    matches(_method: string, path: string): boolean {
      return PREFIX.test(path);
    },
    invalidBodyCode: E.notAcceptable,
    projectIdInPath: (path) => PREFIX.exec(path)?.[1],
    async handle(req: EmuRequest, ctx: ServiceContext): Promise<EmuResponse> {
      const match = PREFIX.exec(req.path);
      const kind = match?.[2];
      const segments = (match?.[3] ?? '').split('/').filter((s) => s !== '');
      const m = req.method;
      if (kind === 'functions') {
        if (segments.length === 0) {
          if (m === 'POST') return createFunction(req, ctx);
          if (m === 'GET') return listFunctions(req, ctx);
        } else {
          const fn = findFunction(ctx, req, segments[0] ?? '');
          const action = segments.slice(1).join('/');
          if (action === '' && m === 'DELETE') return deleteFunction(ctx, fn);
          if (action === 'config' && m === 'GET') return { status: 200, body: configView(fn) };
          if (action === 'config' && m === 'PUT') return updateConfig(req, ctx, fn);
          if (action === 'code' && m === 'GET') return { status: 200, body: codeView(fn) };
          if (action === 'code' && m === 'PUT') return updateCode(req, ctx, fn);
          if (action === 'async-invoke-config') {
            if (m === 'PUT') return putAsyncConfig(req, ctx, fn);
            const config = asyncInvokeConfig(ctx.world, fn.funcUrn);
            if (m === 'GET') {
              // The API documents 200 with every field optional (ShowFunctionAsyncInvokeConfigResponse)
              // and 404 only for a function that does not exist: no configuration is a 200 without one.
              return { status: 200, body: config ? asyncConfigView(config) : { func_urn: fn.funcUrn } };
            }
            if (m === 'DELETE') {
              const state = functionGraphState(ctx.world);
              state.asyncConfigs = state.asyncConfigs.filter((c) => c !== config);
              changed(ctx);
              return { status: 204 };
            }
          }
          if (action === 'invocations' && m === 'POST') return invoke(req, ctx, fn);
          if (action === 'invocations-async' && m === 'POST') return invokeAsync(req, ctx, fn);
        }
      } else if (kind === 'triggers' && segments.length >= 1) {
        const fn = findFunction(ctx, req, segments[0] ?? '');
        if (segments.length === 1) {
          if (m === 'POST') return createTrigger(req, ctx, fn);
          if (m === 'GET')
            return { status: 200, body: deployedTriggers(ctx.world, fn.funcUrn).map(triggerView) };
          if (m === 'DELETE') return deleteTriggers(ctx, deployedTriggers(ctx.world, fn.funcUrn));
        } else if (segments.length === 3) {
          const trigger = findTrigger(ctx, fn, segments[1] ?? '', segments[2] ?? '');
          if (m === 'GET') return { status: 200, body: triggerView(trigger) };
          if (m === 'PUT') return updateTrigger(req, ctx, trigger);
          if (m === 'DELETE') return deleteTriggers(ctx, [trigger]);
        }
      }
      fail(404, E.notFound, `The API ${m} ${req.path} does not exist.`);
    },
    errorBody(code: string, message: string, requestId: string): unknown {
      return { error_code: code, error_msg: message, request_id: requestId };
    },
  };
}
