/**
 * The commands of the FunctionGraph provider: `package`, `deploy`, `info`, `invoke`, `remove`.
 * index.cjs (what osls loads) forwards each lifecycle hook here.
 *
 * `deploy` converges the cloud on serverless.yml and can be re-run at will: SMN topics and functions
 * are looked up by name and created only when missing, configuration is re-applied, code is uploaded
 * only when its digest changed, triggers are matched by identity (topic, timer name, …) and only the
 * differences are created, updated or deleted, and the async-invoke configuration is set each time.
 * Functions of this service and stage that serverless.yml no longer lists are deleted.
 *
 * Credentials come from HUAWEICLOUD_SDK_AK/SK (and HUAWEICLOUD_SDK_SECURITY_TOKEN), endpoints from
 * HUAWEICLOUD_ENDPOINT(_FUNCTIONGRAPH|_SMN|_IAM), as for the rest of the project. Nothing secret is
 * ever logged: output names functions, URNs and ids only.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { fromEnv, projectIdFromEnv } from '../../shared/cloud/credentials.js';
import { createDmsClient } from '../../shared/cloud/dms.js';
import { createCloudHttp } from '../../shared/cloud/http.js';
import { createIamClient } from '../../shared/cloud/iam.js';
import type { CloudHttp, CloudService, CredentialsProvider, DmsClient } from '../../shared/cloud/types.js';
import { desiredLinkOf } from '../../shared/link/desired.js';
import {
  type AsyncInvokeConfig,
  createFunctionGraphClient,
  type FunctionGraphClient,
  type FunctionGraphFunction,
  type FunctionGraphTrigger,
  functionUrn,
} from '../functiongraph-client.js';
import {
  buildDeployPlan,
  type DeployPlan,
  type FunctionPlan,
  PACKAGE_ONLY,
  type TriggerPlan,
} from './plan.js';
import { CodePackageError, zipDirectory, zipEntries } from './zip.js';

/* ------------------------------------------------------------------ what osls hands over */

export interface ServerlessFunctionConfig {
  package?: { artifact?: string };
  [key: string]: unknown;
}

/** The part of osls' `serverless` object the provider uses. */
export interface ServerlessInstance {
  serviceDir: string;
  service: {
    service: string;
    provider: Record<string, unknown>;
    custom?: Record<string, unknown> | null;
    functions?: Record<string, ServerlessFunctionConfig> | null;
    package?: { path?: string } | null;
  };
}

export interface CliOptions {
  stage?: string;
  region?: string;
  /** `package`: where to write; `deploy`: a package made before (skips packaging). */
  package?: string;
  function?: string;
  data?: string;
  path?: string;
  type?: string;
  'remove-topics'?: boolean;
}

export interface PluginLog {
  notice(message: string): void;
  info(message: string): void;
  warning(message: string): void;
}

export interface PluginContext {
  serverless: ServerlessInstance;
  options: CliOptions;
  log: PluginLog;
  /** Command results (info, invoke) go to stdout; progress goes to `log` (stderr). */
  writeText(text: string): void;
  /** Default process.env. */
  env?: Record<string, string | undefined>;
}

export type ProviderCommand = 'package' | 'deploy' | 'info' | 'invoke' | 'remove';

/* ------------------------------------------------------------------ errors */

export class DeployError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DeployError';
  }
}

/** The function ran and failed (`invoke`): exit non-zero with its error. */
export class InvocationFailedError extends Error {
  constructor(
    readonly functionName: string,
    readonly result: unknown,
  ) {
    super(`function ${functionName} failed: ${typeof result === 'string' ? result : JSON.stringify(result)}`);
    this.name = 'InvocationFailedError';
  }
}

/* ------------------------------------------------------------------ helpers */

function stageOf(ctx: PluginContext): string {
  const configured = ctx.serverless.service.provider.stage;
  return ctx.options.stage ?? (typeof configured === 'string' && configured ? configured : 'dev');
}

function packageDir(ctx: PluginContext): string {
  const dir = ctx.options.package ?? ctx.serverless.service.package?.path ?? '.serverless';
  return isAbsolute(dir) ? dir : resolve(ctx.serverless.serviceDir, dir);
}

function zipPath(dir: string, key: string): string {
  return join(dir, `${key}.zip`);
}

function kb(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KB`;
}

function jsonEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

interface Cloud {
  projectId: string;
  fg: FunctionGraphClient;
  smn: CloudHttp;
  dms: DmsClient;
}

/** Credentials, project id (env, else IAM's project of the region) and the clients. */
async function connect(
  plan: Pick<DeployPlan, 'region'>,
  ctx: PluginContext,
  invokeTimeoutMs = 60_000,
): Promise<Cloud> {
  const env = ctx.env ?? process.env;
  const credentials: CredentialsProvider = fromEnv(env);
  const http = (
    service: CloudService,
    projectId: string,
    extra: Partial<Parameters<typeof createCloudHttp>[0]> = {},
  ) => createCloudHttp({ service, region: plan.region, projectId, credentials, env, ...extra });
  let projectId = projectIdFromEnv(env);
  if (!projectId) {
    projectId = await createIamClient(http('iam', '')).getProjectId(plan.region);
    ctx.log.info(
      `project of ${plan.region}: ${projectId} (from IAM; set HUAWEICLOUD_SDK_PROJECT_ID to skip the lookup)`,
    );
  }
  const fgHttp = http('functiongraph', projectId);
  // No retries for invocations: re-sending a timed-out synchronous call could run the function twice.
  const invokeHttp = http('functiongraph', projectId, { retry: { retries: 0 }, timeoutMs: invokeTimeoutMs });
  return {
    projectId,
    fg: createFunctionGraphClient(fgHttp, invokeHttp),
    smn: http('smn', projectId),
    dms: createDmsClient(http('dms', projectId)),
  };
}

/* ------------------------------------------------------------------ SMN topics */

interface TopicRecord {
  topic_urn: string;
  name: string;
}

async function findTopic(smn: CloudHttp, name: string): Promise<TopicRecord | undefined> {
  const response = await smn.send({
    method: 'GET',
    path: '/v2/{project_id}/notifications/topics',
    query: { name, offset: 0, limit: 100 },
  });
  const topics = (response.body as { topics?: TopicRecord[] } | undefined)?.topics ?? [];
  return topics.find((t) => t.name === name);
}

async function ensureTopics(cloud: Cloud, plan: DeployPlan, log: PluginLog): Promise<void> {
  for (const topic of plan.topics) {
    const existing = await findTopic(cloud.smn, topic.name);
    if (existing) {
      if (existing.topic_urn !== topic.urn) {
        throw new DeployError(`SMN topic ${topic.name} exists as ${existing.topic_urn}, not ${topic.urn}`);
      }
      continue;
    }
    await cloud.smn.send({
      method: 'POST',
      path: '/v2/{project_id}/notifications/topics',
      body: { name: topic.name, display_name: topic.name },
    });
    log.notice(`created SMN topic ${topic.urn}`);
  }
}

async function removeTopics(cloud: Cloud, plan: DeployPlan, log: PluginLog): Promise<void> {
  for (const topic of plan.topics) {
    const existing = await findTopic(cloud.smn, topic.name);
    if (!existing) continue;
    await cloud.smn.send({
      method: 'DELETE',
      path: `/v2/{project_id}/notifications/topics/${existing.topic_urn}`,
    });
    log.notice(`deleted SMN topic ${existing.topic_urn}`);
  }
}

/* ------------------------------------------------------------------ package */

interface BuildModule {
  buildFunctions(options: { quiet?: boolean; outDir?: string }): Promise<Array<{ name: string }>>;
}

async function packageService(ctx: PluginContext): Promise<void> {
  const plan = buildDeployPlan(ctx.serverless.service, { stage: stageOf(ctx), projectId: PACKAGE_ONLY });
  const dir = packageDir(ctx);
  const bundles = join(dir, 'bundles');
  mkdirSync(dir, { recursive: true });
  rmSync(bundles, { recursive: true, force: true });
  const buildPath = resolve(ctx.serverless.serviceDir, plan.build);
  const build = (await import(pathToFileURL(buildPath).href)) as Partial<BuildModule>;
  if (typeof build.buildFunctions !== 'function') {
    throw new DeployError(`${plan.build} does not export buildFunctions({outDir})`);
  }
  ctx.log.info(`building the function bundles with ${plan.build}`);
  await build.buildFunctions({ quiet: true, outDir: bundles });
  for (const fn of plan.functions) {
    const source = join(bundles, fn.key);
    let zip: Buffer;
    try {
      zip = zipDirectory(source);
    } catch (error) {
      const reason = error instanceof CodePackageError ? error.message : String(error);
      throw new DeployError(
        `function ${fn.key}: no bundle to package (${reason}); is there a functions/${fn.key}/handler.ts?`,
        {
          cause: error,
        },
      );
    }
    const handlerFile = `${fn.handler.slice(0, fn.handler.lastIndexOf('.'))}.js`;
    if (!zipEntries(zip).includes(handlerFile)) {
      throw new DeployError(
        `function ${fn.key}: the package has no ${handlerFile} at its root (handler ${fn.handler})`,
      );
    }
    const target = zipPath(dir, fn.key);
    writeFileSync(target, zip);
    // With an artifact set, the framework's own packaging (a zip of the whole service) is skipped.
    const config = ctx.serverless.service.functions?.[fn.key];
    if (config) config.package = { ...(config.package ?? {}), artifact: target };
    ctx.log.info(`packaged ${fn.key}: ${kb(zip.length)}`);
  }
  ctx.log.notice(`packaged ${plan.functions.length} functions into ${dir}`);
}

/* ------------------------------------------------------------------ deploy */

function readPackage(dir: string, fn: FunctionPlan): Buffer {
  const path = zipPath(dir, fn.key);
  if (!existsSync(path) || !statSync(path).isFile()) {
    throw new DeployError(
      `no code package ${path} for ${fn.key}; run \`serverless package\` (or deploy without --package)`,
    );
  }
  return readFileSync(path);
}

/** What the emulator reports as `digest`; if the real service hashes differently, code is simply re-uploaded. */
function sha512(data: Buffer): string {
  return createHash('sha512').update(data).digest('hex');
}

async function deployFunction(
  cloud: Cloud,
  plan: DeployPlan,
  fn: FunctionPlan,
  zip: Buffer,
  existing: FunctionGraphFunction | undefined,
  log: PluginLog,
): Promise<string> {
  const config = {
    runtime: fn.runtime,
    handler: fn.handler,
    memorySize: fn.memorySize,
    timeout: fn.timeout,
    userData: fn.userData,
    xrole: fn.xrole,
    description: fn.description,
    ...(fn.funcVpc ? { funcVpc: fn.funcVpc } : {}),
  };
  let urn: string;
  if (!existing) {
    const created = await cloud.fg.createFunction({
      funcName: fn.funcName,
      package: plan.package,
      zip,
      ...config,
    });
    urn = created.funcUrn;
    log.notice(`created function ${fn.funcName} (${kb(zip.length)})`);
  } else {
    urn = existing.funcUrn;
    await cloud.fg.updateFunctionConfig(urn, { funcName: fn.funcName, ...config });
    if (existing.digest === sha512(zip)) {
      log.info(`function ${fn.funcName}: configuration updated, code unchanged`);
    } else {
      await cloud.fg.updateFunctionCode(urn, zip);
      log.notice(`updated function ${fn.funcName} (${kb(zip.length)})`);
    }
  }
  await reconcileTriggers(cloud, fn, urn, log);
  if (fn.asyncInvoke) await cloud.fg.putAsyncInvokeConfig(urn, fn.asyncInvoke);
  for (const skipped of fn.skippedTriggers) {
    log.warning(
      `function ${fn.funcName}: ${skipped.triggerTypeCode} trigger not deployed: ${skipped.reason}`,
    );
  }
  return urn;
}

/** The identity of a deployed trigger, computed like the plan's (see plan.ts triggerIdentity). */
function deployedIdentity(trigger: FunctionGraphTrigger): string {
  const data = trigger.eventData;
  switch (trigger.triggerTypeCode) {
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

/** Same event data as desired: every desired field equal (the service may add defaults of its own). */
function sameEventData(desired: TriggerPlan, deployed: FunctionGraphTrigger): boolean {
  return Object.entries(desired.eventData).every(([key, value]) => jsonEqual(deployed.eventData[key], value));
}

async function reconcileTriggers(cloud: Cloud, fn: FunctionPlan, urn: string, log: PluginLog): Promise<void> {
  const deployed = await cloud.fg.listTriggers(urn);
  const keep = new Set<FunctionGraphTrigger>();
  const toCreate: TriggerPlan[] = [];
  const statusChanges: Array<{ trigger: FunctionGraphTrigger; status: TriggerPlan['triggerStatus'] }> = [];
  for (const desired of fn.triggers) {
    const match = deployed.find(
      (t) =>
        !keep.has(t) &&
        t.triggerTypeCode === desired.triggerTypeCode &&
        deployedIdentity(t) === desired.identity,
    );
    if (match && sameEventData(desired, match)) {
      keep.add(match);
      if (match.triggerStatus !== desired.triggerStatus)
        statusChanges.push({ trigger: match, status: desired.triggerStatus });
    } else {
      toCreate.push(desired);
    }
  }
  // Deletions first: a changed trigger is replaced (same identity), and a function has at most 10.
  for (const trigger of deployed.filter((t) => !keep.has(t))) {
    await cloud.fg.deleteTrigger(urn, trigger.triggerTypeCode, trigger.triggerId);
    log.info(
      `function ${fn.funcName}: removed ${trigger.triggerTypeCode} trigger ${deployedIdentity(trigger)}`,
    );
  }
  for (const { trigger, status } of statusChanges) {
    await cloud.fg.updateTriggerStatus(urn, trigger.triggerTypeCode, trigger.triggerId, status);
    log.info(
      `function ${fn.funcName}: ${trigger.triggerTypeCode} trigger ${deployedIdentity(trigger)} now ${status}`,
    );
  }
  for (const trigger of toCreate) {
    await cloud.fg.createTrigger(urn, trigger);
    log.info(
      `function ${fn.funcName}: ${trigger.triggerTypeCode} trigger ${trigger.identity} (${trigger.triggerStatus})`,
    );
  }
}

/** Functions of this service and stage that serverless.yml no longer has. */
function leftovers(plan: DeployPlan, deployed: FunctionGraphFunction[]): FunctionGraphFunction[] {
  const prefix = `${plan.service}-${plan.stage}-`;
  const wanted = new Set(plan.functions.map((f) => f.funcName));
  return deployed.filter((f) => f.funcName.startsWith(prefix) && !wanted.has(f.funcName));
}

async function deployService(ctx: PluginContext): Promise<void> {
  const stage = stageOf(ctx);
  const region = String(ctx.serverless.service.provider.region ?? '');
  const cloud = await connect({ region }, ctx);
  const plan = buildDeployPlan(ctx.serverless.service, { stage, projectId: cloud.projectId });
  const dir = packageDir(ctx);
  // Read every package first: a missing one fails the deploy before anything changes.
  const zips = new Map(plan.functions.map((fn) => [fn.key, readPackage(dir, fn)]));
  ctx.log.notice(`deploying ${plan.service} (stage ${stage}) to ${plan.region}, project ${cloud.projectId}`);
  await ensureTopics(cloud, plan, ctx.log);
  const deployed = await cloud.fg.listFunctions({ packageName: plan.package });
  const urns: Array<[string, string]> = [];
  for (const fn of plan.functions) {
    const existing = deployed.find((d) => d.funcName === fn.funcName && d.package === plan.package);
    urns.push([fn.key, await deployFunction(cloud, plan, fn, zips.get(fn.key) as Buffer, existing, ctx.log)]);
  }
  for (const stale of leftovers(plan, deployed)) {
    await cloud.fg.deleteFunction(stale.funcUrn);
    ctx.log.notice(`deleted function ${stale.funcName} (no longer in serverless.yml)`);
  }
  ctx.writeText(
    [
      `service: ${plan.service}`,
      `stage: ${stage}`,
      `region: ${plan.region}`,
      'functions:',
      ...urns.map(([key, urn]) => `  ${key}: ${urn}`),
    ].join('\n'),
  );
}

/* ------------------------------------------------------------------ info */

function describeTrigger(trigger: FunctionGraphTrigger): string {
  return `${trigger.triggerTypeCode} ${trigger.triggerStatus} ${deployedIdentity(trigger)}`;
}

function describeAsync(config: AsyncInvokeConfig | undefined): string {
  if (!config) return 'none';
  const failure = config.onFailure
    ? `, on failure → ${config.onFailure.destination} ${String(config.onFailure.param.topic_urn ?? JSON.stringify(config.onFailure.param))}`
    : '';
  return `retries ${config.maxAsyncRetryAttempts}, max age ${config.maxAsyncEventAgeInSeconds} s${failure}`;
}

async function infoService(ctx: PluginContext): Promise<void> {
  const stage = stageOf(ctx);
  const region = String(ctx.serverless.service.provider.region ?? '');
  const cloud = await connect({ region }, ctx);
  const plan = buildDeployPlan(ctx.serverless.service, { stage, projectId: cloud.projectId });
  const deployed = await cloud.fg.listFunctions({ packageName: plan.package });
  const lines = [
    `service: ${plan.service}`,
    `stage: ${stage}`,
    `region: ${plan.region}`,
    `project: ${cloud.projectId}`,
    `package: ${plan.package}`,
    'topics:',
  ];
  for (const topic of plan.topics) {
    lines.push(`  ${topic.name}: ${(await findTopic(cloud.smn, topic.name)) ? topic.urn : 'not created'}`);
  }
  lines.push('functions:');
  for (const fn of plan.functions) {
    const found = deployed.find((d) => d.funcName === fn.funcName);
    if (!found) {
      lines.push(`  ${fn.key}: ${fn.funcName} (not deployed)`);
      continue;
    }
    const [triggers, asyncConfig] = await Promise.all([
      cloud.fg.listTriggers(found.funcUrn),
      cloud.fg.getAsyncInvokeConfig(found.funcUrn),
    ]);
    lines.push(
      `  ${fn.key}: ${found.funcName} (${found.runtime}, ${found.memorySize} MB, ${found.timeout} s, agency ${found.xrole ?? 'none'})`,
      `    urn: ${found.funcUrn}`,
      `    triggers: ${triggers.length === 0 ? 'none' : triggers.map(describeTrigger).join('; ')}`,
      `    async: ${describeAsync(asyncConfig)}`,
    );
  }
  const extra = leftovers(plan, deployed);
  if (extra.length > 0)
    lines.push(
      `not in serverless.yml (removed by the next deploy): ${extra.map((f) => f.funcName).join(', ')}`,
    );
  ctx.writeText(lines.join('\n'));
}

/* ------------------------------------------------------------------ invoke */

function invocationEvent(ctx: PluginContext): unknown {
  const { data, path } = ctx.options;
  const text =
    data ??
    (path
      ? readFileSync(isAbsolute(path) ? path : resolve(ctx.serverless.serviceDir, path), 'utf8')
      : undefined);
  if (text === undefined) return {};
  try {
    return JSON.parse(text);
  } catch {
    // Not JSON: the function gets the string, as `serverless invoke --data` does elsewhere.
    return text;
  }
}

async function invokeFunction(ctx: PluginContext): Promise<void> {
  const stage = stageOf(ctx);
  const region = String(ctx.serverless.service.provider.region ?? '');
  const plan = buildDeployPlan(ctx.serverless.service, { stage, projectId: PACKAGE_ONLY });
  const fn = plan.functions.find(
    (f) => f.key === ctx.options.function || f.funcName === ctx.options.function,
  );
  if (!fn) {
    throw new DeployError(
      `no function ${JSON.stringify(ctx.options.function)} in serverless.yml (functions: ${plan.functions.map((f) => f.key).join(', ')})`,
    );
  }
  // The call lasts as long as the function may run, plus the gateway's own time.
  const cloud = await connect({ region }, ctx, fn.timeout * 1000 + 30_000);
  const urn = functionUrn(plan.region, cloud.projectId, plan.package, fn.funcName);
  const event = invocationEvent(ctx);
  if (ctx.options.type === 'Event') {
    const { requestId } = await cloud.fg.invokeAsync(urn, event);
    ctx.writeText(JSON.stringify({ requestId }, null, 2));
    return;
  }
  const outcome = await cloud.fg.invoke(urn, event, { timeoutMs: fn.timeout * 1000 + 30_000 });
  if (outcome.status !== 200) throw new InvocationFailedError(fn.funcName, outcome.result);
  ctx.writeText(JSON.stringify(outcome.result, null, 2));
}

/* ------------------------------------------------------------------ remove */

async function removeService(ctx: PluginContext): Promise<void> {
  const stage = stageOf(ctx);
  const region = String(ctx.serverless.service.provider.region ?? '');
  const cloud = await connect({ region }, ctx);
  const plan = buildDeployPlan(ctx.serverless.service, { stage, projectId: cloud.projectId });
  await warnAboutLinks(cloud, ctx.log);
  const deployed = await cloud.fg.listFunctions({ packageName: plan.package });
  const names = new Set(plan.functions.map((f) => f.funcName));
  // Deleting a function deletes its triggers (and SMN subscriptions) and its async configuration.
  for (const fn of [...deployed.filter((d) => names.has(d.funcName)), ...leftovers(plan, deployed)]) {
    await cloud.fg.deleteFunction(fn.funcUrn);
    ctx.log.notice(`deleted function ${fn.funcName}`);
  }
  if (ctx.options['remove-topics']) await removeTopics(cloud, plan, ctx.log);
  else if (plan.topics.length > 0) {
    ctx.log.notice(
      'SMN topics kept (they may have other subscribers); `serverless remove --remove-topics` deletes them',
    );
  }
}

/**
 * Removing the functions leaves every link in place: its endpoints keep billing and nothing repairs
 * or unlinks it any more. Say so, with the commands that unlink each one.
 */
async function warnAboutLinks(cloud: Cloud, log: PluginLog): Promise<void> {
  const linked = (await cloud.dms.listInstances()).filter((instance) => desiredLinkOf(instance));
  if (linked.length === 0) return;
  log.warning(
    `${linked.length} Kafka instance(s) are still linked; their VPC endpoints keep billing and, without the ` +
      'functions, nothing reconciles or unlinks them. Unlink them first:',
  );
  for (const instance of linked) {
    const vpc = desiredLinkOf(instance)?.client.vpcId;
    log.warning(
      `  kafka-vpcep-link unlink --instance ${instance.instanceId}   # ${instance.name} → VPC ${vpc}`,
    );
  }
}

/* ------------------------------------------------------------------ entry */

export async function runCommand(command: ProviderCommand, ctx: PluginContext): Promise<void> {
  switch (command) {
    case 'package':
      return packageService(ctx);
    case 'deploy':
      return deployService(ctx);
    case 'info':
      return infoService(ctx);
    case 'invoke':
      return invokeFunction(ctx);
    case 'remove':
      return removeService(ctx);
  }
}
