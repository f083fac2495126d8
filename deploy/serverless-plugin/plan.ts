/**
 * From the resolved serverless.yml (as osls hands it to the plugin) to a deployment plan: what each
 * FunctionGraph function, trigger, async-invoke configuration and SMN topic must look like. Pure and
 * validated here, so configuration mistakes are reported before any cloud call, and tests can check
 * the mapping without a framework or a cloud.
 *
 * The schema of serverless.yml is deploy/serverless-schema.ts (shared with the local runtime);
 * FunctionGraph's API takes snake_case `event_data`, which is what the plan holds.
 */
import type { AsyncInvokeConfig, TriggerStatus } from '../functiongraph-client.js';
import {
  type DestinationInput,
  defaultTriggerStatus,
  describeIssue,
  serviceSchema,
  type TriggerType,
} from '../serverless-schema.js';

export class DeployConfigError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DeployConfigError';
  }
}

/** `projectId` of a plan made only to package: topic URNs are not checked against a project. */
export const PACKAGE_ONLY = '(package only)';

/* ------------------------------------------------------------------ plan */

export interface TriggerPlan {
  triggerTypeCode: TriggerType;
  triggerStatus: TriggerStatus;
  /** snake_case, as the create-trigger API takes it. */
  eventData: Record<string, unknown>;
  /** What makes two triggers of a function the same one (topic, timer name, …). */
  identity: string;
}

export interface FunctionPlan {
  /** The key in serverless.yml (and the bundle directory name). */
  key: string;
  funcName: string;
  package: string;
  runtime: string;
  handler: string;
  memorySize: number;
  timeout: number;
  description: string;
  xrole?: string;
  /** The VPC the function is attached to (FunctionGraph func_vpc). */
  funcVpc?: { vpcId: string; subnetId: string };
  userData: Record<string, string>;
  triggers: TriggerPlan[];
  /** Triggers left out, and why (e.g. a Kafka trigger whose instance is not configured). */
  skippedTriggers: Array<{ triggerTypeCode: string; reason: string }>;
  asyncInvoke?: AsyncInvokeConfig;
}

export interface TopicPlan {
  name: string;
  urn: string;
}

export interface DeployPlan {
  service: string;
  stage: string;
  region: string;
  package: string;
  /** Module path (relative to the service directory) of the bundle build. */
  build: string;
  topics: TopicPlan[];
  functions: FunctionPlan[];
}

const FUNC_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,59}$/;
const TOPIC_URN = /^urn:smn:([^:]+):([^:]*):([A-Za-z0-9][A-Za-z0-9_-]{0,255})$/;
const USER_DATA_KEY = /^[A-Za-z][A-Za-z0-9_]*$/;
/** All user data of a function together (reference §1.4). */
const MAX_USER_DATA_CHARS = 4096;
/** Disabling is only possible for these (create-trigger API). */
const DISABLEABLE: ReadonlySet<string> = new Set([
  'TIMER',
  'DDS',
  'DMS',
  'KAFKA',
  'LTS',
  'OPENSOURCEKAFKA',
  'RABBITMQ',
]);

function snakeKey(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

function snakeKeys(data: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(data).map(([k, v]) => [snakeKey(k), v]));
}

/** Checks an SMN topic URN of this deployment: region and project must be the deployment's. */
function checkTopicUrn(
  where: string,
  urn: unknown,
  region: string,
  projectId: string | undefined,
): TopicPlan {
  const match = typeof urn === 'string' ? TOPIC_URN.exec(urn) : null;
  if (!match) throw new DeployConfigError(`${where}: ${JSON.stringify(urn)} is not an SMN topic URN`);
  const [, urnRegion, urnProject, name] = match;
  // Packaging needs no project; deploying does (the URNs are the ones the functions will use).
  if (urnProject === '' && projectId === PACKAGE_ONLY) return { name: name as string, urn: urn as string };
  if (urnProject === '') {
    throw new DeployConfigError(
      `${where}: ${urn} has no project id; set HUAWEICLOUD_SDK_PROJECT_ID${projectId ? ` (this region's project is ${projectId})` : ''}`,
    );
  }
  if (urnRegion !== region) throw new DeployConfigError(`${where}: ${urn} is not in region ${region}`);
  if (projectId !== undefined && projectId !== PACKAGE_ONLY && urnProject !== projectId) {
    throw new DeployConfigError(
      `${where}: ${urn} is not in project ${projectId} (HUAWEICLOUD_SDK_PROJECT_ID)`,
    );
  }
  return { name: name as string, urn: urn as string };
}

function triggerIdentity(type: string, data: Record<string, unknown>): string {
  switch (type) {
    case 'SMN':
      return String(data.topic_urn);
    case 'TIMER':
    case 'CTS':
      return String(data.name);
    case 'KAFKA':
      return `${String(data.instance_id)}/${(Array.isArray(data.topic_ids) ? [...data.topic_ids] : []).map(String).sort().join(',')}`;
    default:
      return JSON.stringify(data);
  }
}

/** Required event data per type: an empty value leaves the trigger out (with the reason) instead of failing. */
const REQUIRED_EVENT_DATA: Readonly<Record<string, readonly string[]>> = {
  SMN: ['topic_urn'],
  TIMER: ['name', 'schedule_type', 'schedule'],
  CTS: ['name', 'operations'],
  KAFKA: ['instance_id', 'topic_ids'],
};

/**
 * Why a TIMER `Rate` schedule would be refused, or undefined: a count of minutes (at most 60), hours
 * (24) or days (30) [GSDK functiongraph/v2 model_trigger_event_data_request_body.go].
 */
function rateScheduleProblem(schedule: unknown): string | undefined {
  const match = typeof schedule === 'string' ? /^(\d+)([mhd])$/.exec(schedule) : null;
  if (!match) return 'a Rate schedule is a count and a unit: 1m, 2h or 3d';
  const most = RATE_MOST[match[2] as keyof typeof RATE_MOST];
  const count = Number(match[1]);
  return count >= 1 && count <= most ? undefined : `must be 1 to ${most}${match[2]}`;
}

const RATE_MOST = { m: 60, h: 24, d: 30 } as const;

function isEmpty(value: unknown): boolean {
  return (
    value === undefined ||
    value === null ||
    value === '' ||
    (Array.isArray(value) && (value.length === 0 || value.every((item) => item === '' || item === null)))
  );
}

function destination(
  where: string,
  input: DestinationInput | undefined,
  region: string,
  projectId: string | undefined,
): AsyncInvokeConfig['onFailure'] {
  if (!input) return undefined;
  switch (input.destination) {
    case 'SMN':
      return {
        destination: 'SMN',
        param: { topic_urn: checkTopicUrn(`${where}.topicUrn`, input.topicUrn, region, projectId).urn },
      };
    case 'OBS':
      return { destination: 'OBS', param: { bucket: input.bucket, prefix: input.prefix ?? '' } };
    case 'DIS':
      return { destination: 'DIS', param: { stream_name: input.streamName } };
    case 'FunctionGraph':
      return { destination: 'FunctionGraph', param: { func_urn: input.funcUrn } };
  }
}

export interface PlanOptions {
  stage: string;
  /** The deployment's project: every topic URN must be in it. `PACKAGE_ONLY` skips the check. */
  projectId?: string;
}

export function buildDeployPlan(service: unknown, options: PlanOptions): DeployPlan {
  const parsed = serviceSchema.safeParse(service);
  if (!parsed.success) {
    throw new DeployConfigError(describeIssue(parsed.error), { cause: parsed.error });
  }
  const config = parsed.data;
  const { provider } = config;
  const region = provider.region;
  const functionGraph = config.custom?.functionGraph;
  const topicInput = functionGraph?.topics ?? {};
  const topicUrns = Array.isArray(topicInput) ? topicInput : Object.values(topicInput);
  const topics = topicUrns.map((urn, i) =>
    checkTopicUrn(`custom.functionGraph.topics[${i}]`, urn, region, options.projectId),
  );

  const functions: FunctionPlan[] = [];
  for (const [key, fn] of Object.entries(config.functions ?? {})) {
    const where = `functions.${key}`;
    const funcName = fn.name ?? `${config.service}-${options.stage}-${key}`;
    if (!FUNC_NAME.test(funcName)) {
      throw new DeployConfigError(
        `${where}: function name ${JSON.stringify(funcName)} must start with a letter and have at most 60 letters, digits, _ or -`,
      );
    }
    const userData: Record<string, string> = {};
    for (const [name, value] of Object.entries(fn.userData)) {
      if (!USER_DATA_KEY.test(name))
        throw new DeployConfigError(`${where}.userData: invalid key ${JSON.stringify(name)}`);
      userData[name] = value === null ? '' : String(value);
    }
    if (JSON.stringify(userData).length > MAX_USER_DATA_CHARS) {
      throw new DeployConfigError(`${where}.userData: over ${MAX_USER_DATA_CHARS} characters in total`);
    }

    const triggers: TriggerPlan[] = [];
    const skippedTriggers: FunctionPlan['skippedTriggers'] = [];
    for (const [i, event] of (fn.events ?? []).entries()) {
      const type = event.triggerTypeCode;
      const eventData = snakeKeys(event.eventData);
      const missing = (REQUIRED_EVENT_DATA[type] ?? []).filter((field) => isEmpty(eventData[field]));
      if (missing.length > 0) {
        const fields = missing.map(
          (field) => `eventData.${field.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())}`,
        );
        skippedTriggers.push({ triggerTypeCode: type, reason: `${fields.join(', ')} empty` });
        continue;
      }
      if (type === 'SMN')
        checkTopicUrn(
          `${where}.events[${i}].eventData.topicUrn`,
          eventData.topic_urn,
          region,
          options.projectId,
        );
      if (
        type === 'TIMER' &&
        eventData.user_event !== undefined &&
        typeof eventData.user_event !== 'string'
      ) {
        throw new DeployConfigError(`${where}.events[${i}].eventData.userEvent must be a string`);
      }
      if (type === 'TIMER' && eventData.schedule_type === 'Rate') {
        const problem = rateScheduleProblem(eventData.schedule);
        if (problem) throw new DeployConfigError(`${where}.events[${i}].eventData.schedule: ${problem}`);
      }
      const status: TriggerStatus = event.status ?? defaultTriggerStatus(type);
      if (status === 'DISABLED' && !DISABLEABLE.has(type)) {
        throw new DeployConfigError(
          `${where}.events[${i}]: ${type} triggers cannot be DISABLED on FunctionGraph`,
        );
      }
      const identity = triggerIdentity(type, eventData);
      if (triggers.some((t) => t.triggerTypeCode === type && t.identity === identity)) {
        throw new DeployConfigError(`${where}.events[${i}]: a second ${type} trigger for ${identity}`);
      }
      triggers.push({ triggerTypeCode: type, triggerStatus: status, eventData, identity });
    }

    const asyncInput = fn.asyncInvoke;
    const asyncInvoke: AsyncInvokeConfig | undefined = asyncInput && {
      maxAsyncRetryAttempts: asyncInput.maxAsyncRetryAttempts,
      maxAsyncEventAgeInSeconds: asyncInput.maxAsyncEventAgeInSeconds,
      onSuccess: destination(
        `${where}.asyncInvoke.onSuccess`,
        asyncInput.onSuccess,
        region,
        options.projectId,
      ),
      onFailure: destination(
        `${where}.asyncInvoke.onFailure`,
        asyncInput.onFailure,
        region,
        options.projectId,
      ),
    };

    const vpc = fn.vpc;
    if (vpc && (vpc.vpcId === '') !== (vpc.subnetId === '')) {
      throw new DeployConfigError(`${where}.vpc: vpcId and subnetId go together (set both or neither)`);
    }
    if (vpc?.vpcId && !(fn.xrole || provider.xrole)) {
      throw new DeployConfigError(
        `${where}.vpc: a function in a VPC needs an agency (xrole) with VPC permissions`,
      );
    }

    functions.push({
      key,
      funcName,
      package: provider.package,
      runtime: fn.runtime ?? provider.runtime,
      handler: fn.handler,
      memorySize: fn.memorySize ?? provider.memorySize,
      timeout: fn.timeout ?? provider.timeout,
      description: fn.description ?? '',
      ...(fn.xrole || provider.xrole ? { xrole: fn.xrole || provider.xrole } : {}),
      ...(vpc?.vpcId ? { funcVpc: { vpcId: vpc.vpcId, subnetId: vpc.subnetId } } : {}),
      userData,
      triggers,
      skippedTriggers,
      ...(asyncInvoke ? { asyncInvoke } : {}),
    });
  }
  const names = new Set<string>();
  for (const fn of functions) {
    if (names.has(fn.funcName)) throw new DeployConfigError(`two functions are named ${fn.funcName}`);
    names.add(fn.funcName);
  }
  // Every topic a trigger or destination uses is created too, whether or not it is listed.
  for (const fn of functions) {
    const used = [
      ...fn.triggers.filter((t) => t.triggerTypeCode === 'SMN').map((t) => String(t.eventData.topic_urn)),
      ...[fn.asyncInvoke?.onFailure, fn.asyncInvoke?.onSuccess]
        .filter((d) => d?.destination === 'SMN')
        .map((d) => String(d?.param.topic_urn)),
    ];
    for (const urn of used) {
      if (!topics.some((t) => t.urn === urn))
        topics.push(checkTopicUrn(`functions.${fn.key}`, urn, region, options.projectId));
    }
  }
  return {
    service: config.service,
    stage: options.stage,
    region,
    package: provider.package,
    build: functionGraph?.build ?? 'scripts/build.mjs',
    topics,
    functions,
  };
}
