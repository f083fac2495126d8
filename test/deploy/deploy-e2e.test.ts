/**
 * `serverless deploy` for real, against the emulator: osls runs the project's FunctionGraph plugin
 * as a child process (`npx serverless …`, exactly what docs/DEPLOY.md has a user type), the emulator
 * keeps what was deployed, the local runtime runs the deployed zips, and a link request published to
 * the link-requests topic goes through the whole chain to `kvl.link.completed`. The same run checks
 * deploy/iam-policy.json against the calls the deployed functions really made.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmulatorHandle, startEmulator } from '../../local/cloud/server.js';
import { firstProbeForSpeed, type LocalRuntime, startRuntime } from '../../local/runtime/index.js';
import { type CloudEvent, parseCloudEvent } from '../../shared/events/cloudevents.js';
import { cloudCall, ownerCredentials } from '../helpers/emulator-calls.js';
import { type IamPolicy, operationFor } from '../helpers/iam-actions.js';
import { publish } from '../helpers/local-runtime.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const STAGE = 'e2e';
const PREFIX = `kafka-vpcep-link-${STAGE}-`;

let emulator: EmulatorHandle;
let runtime: LocalRuntime | undefined;
let packageDir: string;

beforeAll(async () => {
  // A fast clock: endpoint services and endpoints become ready in milliseconds of real time.
  emulator = await startEmulator({ port: 0, speed: 200 });
  packageDir = mkdtempSync(join(tmpdir(), 'kvl-package-'));
});
afterAll(async () => {
  await runtime?.close();
  await emulator.close();
  rmSync(packageDir, { recursive: true, force: true });
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `npx serverless <args>` in the repository, with credentials and endpoint of the emulator only. */
function serverless(args: string[], extraEnv: Record<string, string> = {}): Promise<Run> {
  const config = emulator.config();
  // Nothing of the caller's own cloud configuration may leak into the child.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith('HUAWEICLOUD_') && !key.startsWith('KVL_')),
  );
  Object.assign(env, {
    HUAWEICLOUD_ENDPOINT: config.endpoint,
    HUAWEICLOUD_REGION: config.region,
    HUAWEICLOUD_SDK_AK: config.ak,
    HUAWEICLOUD_SDK_SK: config.sk,
    HUAWEICLOUD_SDK_PROJECT_ID: config.projectId,
    ...extraEnv,
  });
  return new Promise((resolve) => {
    execFile(
      'npx',
      ['serverless', ...args],
      { cwd: ROOT, env, timeout: 120_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

function expectSuccess(run: Run): void {
  if (run.code !== 0) throw new Error(`serverless exited ${run.code}\n${run.stdout}\n${run.stderr}`);
}

/** Waits (real time) for the final event of a request on the events topic. */
async function outcome(requestId: string, type: string, timeoutMs = 30_000): Promise<CloudEvent> {
  const { events } = emulator.config().topics;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const message of emulator.world.messages.filter((m) => m.topicUrn === events)) {
      let event: CloudEvent;
      try {
        event = parseCloudEvent(JSON.parse(message.message)) as CloudEvent;
      } catch {
        continue;
      }
      if (event.correlationid !== requestId) continue;
      if (event.type === type) return event;
      if (event.type === 'kvl.link.failed')
        throw new Error(`the request failed: ${JSON.stringify(event.data)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no ${type} for ${requestId} within ${timeoutMs} ms`);
}

async function request(topicUrn: string, type: string, data: Record<string, unknown>): Promise<string> {
  const id = randomUUID();
  const event = {
    specversion: '1.0',
    id,
    source: 'kvl/test',
    type,
    subject: data.instanceId,
    time: new Date().toISOString(),
    data,
  };
  await publish(emulator, topicUrn, JSON.stringify(event), type);
  return id;
}

const deployed = () => emulator.world.functionGraph?.functions ?? [];
const kvlSubscriptions = () =>
  emulator.world.subscriptions.filter((s) => s.endpoint.includes(`:function:kafka-vpcep-link:${PREFIX}`));

// In the policy without being called in this run (the run now reads each ACL by id for its rules).
const NOT_EXERCISED: ReadonlySet<string> = new Set<string>();

function policyActions(): string[] {
  const policy = JSON.parse(readFileSync(join(ROOT, 'deploy', 'iam-policy.json'), 'utf8')) as IamPolicy;
  expect(policy.Version).toBe('1.1');
  expect(policy.Statement.every((s) => s.Effect === 'Allow')).toBe(true);
  return policy.Statement.flatMap((s) => s.Action);
}

// Each step runs the real CLI (about a second of start-up each): generous on a loaded 2-core machine.
describe('serverless deploy to the emulator', { timeout: 120_000 }, () => {
  it('packages one zip per function and deploys topics, functions, triggers and async configuration', async () => {
    const packaged = await serverless(['package', '--stage', STAGE, '--package', packageDir]);
    expectSuccess(packaged);
    expect(existsSync(join(packageDir, 'create-services.zip'))).toBe(true);

    const run = await serverless(['deploy', '--stage', STAGE, '--package', packageDir]);
    expectSuccess(run);
    const config = emulator.config();

    expect(deployed().length).toBeGreaterThanOrEqual(4);
    for (const fn of deployed()) {
      expect(fn.funcName.startsWith(PREFIX)).toBe(true);
      expect(fn).toMatchObject({
        package: 'kafka-vpcep-link',
        runtime: 'Node.js20.15',
        handler: 'index.handler',
        xrole: 'kvl-functions',
      });
      expect(run.stdout).toContain(fn.funcUrn);
      expect(emulator.world.functionGraph?.asyncConfigs.find((c) => c.funcUrn === fn.funcUrn)).toMatchObject({
        maxAsyncRetryAttempts: 2,
        maxAsyncEventAgeInSeconds: 3600,
        onFailure: {
          destination: 'SMN',
          param: JSON.stringify({
            topic_urn: config.topics.events.replace('kvl-events', 'kvl-dead-letters'),
          }),
        },
      });
    }
    expect(emulator.world.topics.map((t) => t.name)).toContain('kvl-dead-letters');
    // An SMN trigger is a subscription of the function to its topic.
    const create = deployed().find((f) => f.funcName === `${PREFIX}create-services`)!;
    expect(
      kvlSubscriptions()
        .filter((s) => s.endpoint === create.funcUrn)
        .map((s) => s.topicUrn),
    ).toEqual([config.topics.linkRequests]);
    const poll = deployed().find((f) => f.funcName === `${PREFIX}poll-acceptance`)!;
    expect(emulator.world.functionGraph?.triggers.filter((t) => t.funcUrn === poll.funcUrn)).toEqual([
      expect.objectContaining({
        triggerTypeCode: 'TIMER',
        triggerStatus: 'ACTIVE',
        eventData: expect.objectContaining({ schedule: '1m' }),
      }),
    ]);
    // The Kafka trigger has no instance configured: left out, with a warning.
    expect(run.stderr).toMatch(/KAFKA trigger not deployed: eventData\.instanceId empty/);
  });

  it('runs the deployed zips: a link request goes through the chain to kvl.link.completed, then unlink', async () => {
    runtime = await startRuntime({
      emulator,
      source: 'deployed',
      logSink: () => {},
      retryDelayMs: 20,
      userData: {
        KVL_POLL_INTERVAL_MS: '100',
        KVL_FIRST_PROBE_AFTER_MS: firstProbeForSpeed(200),
        KVL_LOG_LEVEL: 'error',
      },
    });
    const config = emulator.config();
    emulator.clearRequests();

    const linkId = await request(config.topics.linkRequests, 'kvl.link.requested', {
      instanceId: config.world.instanceId,
      client: { vpcId: config.world.clientVpcId, subnetId: config.world.clientSubnetId },
      // A whitelist entry and the network ACL rule, so those calls are part of the run too.
      options: { whitelist: [config.partner.domainId], networkAclRule: true },
    });
    const completed = await outcome(linkId, 'kvl.link.completed');
    const instance = emulator.world.kafkaInstances.find((i) => i.instanceId === config.world.instanceId)!;
    expect(completed.subject).toBe(instance.instanceId);
    if (completed.type !== 'kvl.link.completed') throw new Error('unreachable');
    expect(completed.data.bootstrapServers.split(',')).toHaveLength(instance.brokers.length);
    expect(emulator.world.endpoints).toHaveLength(instance.brokers.length);
    // The chain ran on the deployed functions (their FunctionGraph names), not on serverless.yml's.
    // The completion can be seen before patch-listeners' invocation is recorded (verify, subscribed to
    // the events topic too, cold-starts its larger bundle meanwhile): let the runtime finish first.
    await runtime.idle();
    const ran = new Set(runtime.invocations.map((r) => r.functionName));
    for (const step of ['create-services', 'buy-endpoints', 'patch-listeners'])
      expect(ran).toContain(`${PREFIX}${step}`);
    // One reconcile pass (as its timer would run it) on the linked state.
    await runtime.invoke(`${PREFIX}reconcile`, {
      version: 'v1.0',
      trigger_type: 'TIMER',
      user_event: '{"job":"reconcile"}',
    });

    const unlinkId = await request(config.topics.unlinkRequests, 'kvl.link.unlink-requested', {
      instanceId: instance.instanceId,
    });
    await outcome(unlinkId, 'kvl.link.removed');
    await runtime.idle();
    expect(emulator.world.endpoints.filter((e) => e.status !== 'deleting')).toHaveLength(0);
    expect(runtime.failures).toEqual([]);

    // deploy/iam-policy.json: every call was allowed, and nothing is in it that the functions do not use.
    const calls = emulator.requests().map((r) => ({ method: r.method, path: r.path }));
    const unmapped = calls.filter((c) => !operationFor(c.method, c.path));
    expect(unmapped).toEqual([]);
    const operations = new Set(calls.map((c) => operationFor(c.method, c.path)!));
    const used = new Set([...operations].map((op) => op.action));
    // Dependent actions are never called by us; IAM checks them when the action they belong to is used.
    const dependencies = new Set([...operations].flatMap((op) => op.dependsOn ?? []));
    const policy = policyActions();
    expect([...used, ...dependencies].filter((action) => !policy.includes(action))).toEqual([]);
    expect(
      policy.filter((action) => !used.has(action) && !dependencies.has(action) && !NOT_EXERCISED.has(action)),
    ).toEqual([]);
    expect(new Set(policy).size).toBe(policy.length);
  });

  it('re-deploys idempotently: same functions, triggers and subscriptions, code not re-uploaded', async () => {
    const before = {
      functions: deployed().map((f) => [f.funcUrn, f.digest, f.funcId]),
      triggers: emulator.world.functionGraph?.triggers.map((t) => t.triggerId).sort(),
      subscriptions: kvlSubscriptions()
        .map((s) => s.subscriptionUrn)
        .sort(),
    };
    const run = await serverless(['deploy', '--stage', STAGE, '--package', packageDir]);
    expectSuccess(run);
    expect({
      functions: deployed().map((f) => [f.funcUrn, f.digest, f.funcId]),
      triggers: emulator.world.functionGraph?.triggers.map((t) => t.triggerId).sort(),
      subscriptions: kvlSubscriptions()
        .map((s) => s.subscriptionUrn)
        .sort(),
    }).toEqual(before);
    expect(emulator.requests().filter((r) => r.method === 'PUT' && r.path.endsWith('/code'))).toEqual([]);
  });

  it('a redeploy applies only the differences: a new Kafka trigger, and a function no longer in serverless.yml goes', async () => {
    const config = emulator.config();
    const before = emulator.world.functionGraph?.triggers.map((t) => t.triggerId).sort();
    // A function of this service and stage that serverless.yml does not have (e.g. a renamed one).
    const zip = readFileSync(join(packageDir, 'poll-acceptance.zip')).toString('base64');
    const stale = await cloudCall(emulator, {
      method: 'POST',
      path: `/v2/${config.projectId}/fgs/functions`,
      body: {
        func_name: `${PREFIX}renamed-away`,
        package: 'kafka-vpcep-link',
        runtime: 'Node.js20.15',
        handler: 'index.handler',
        memory_size: 128,
        timeout: 30,
        code_type: 'zip',
        func_code: { file: zip },
      },
      credentials: ownerCredentials(emulator),
    });
    expect(stale.status).toBe(200);

    const run = await serverless(['deploy', '--stage', STAGE, '--package', packageDir], {
      KVL_REQUESTS_KAFKA_INSTANCE: config.world.instanceId,
    });
    expectSuccess(run);
    expect(deployed().map((f) => f.funcName)).not.toContain(`${PREFIX}renamed-away`);
    const triggers = emulator.world.functionGraph?.triggers ?? [];
    const kafka = triggers.filter((t) => t.triggerTypeCode === 'KAFKA');
    expect(kafka).toEqual([
      expect.objectContaining({
        triggerStatus: 'DISABLED',
        eventData: { instance_id: config.world.instanceId, topic_ids: ['kvl-link-requests'], batch_size: 10 },
      }),
    ]);
    // Every other trigger is the one created by the first deploy.
    expect(
      triggers
        .filter((t) => t.triggerTypeCode !== 'KAFKA')
        .map((t) => t.triggerId)
        .sort(),
    ).toEqual(before);
  });

  it('info shows what is deployed; invoke runs a deployed function', async () => {
    const info = await serverless(['info', '--stage', STAGE]);
    expectSuccess(info);
    for (const fn of deployed()) expect(info.stdout).toContain(`urn: ${fn.funcUrn}`);
    expect(info.stdout).toMatch(
      /create-services: kafka-vpcep-link-e2e-create-services \(Node\.js20\.15, 256 MB, 300 s, agency kvl-functions\)/,
    );
    expect(info.stdout).toContain(`triggers: SMN ACTIVE ${emulator.config().topics.linkRequests}`);
    // Nothing secret in what the commands print.
    expect(`${info.stdout}${info.stderr}`).not.toContain(emulator.config().sk);

    // The event a timer trigger would send (reference functiongraph §2.1).
    const timerEvent = JSON.stringify({
      version: 'v1.0',
      trigger_type: 'TIMER',
      user_event: '{"job":"poll-acceptance"}',
    });
    const invoked = await serverless([
      'invoke',
      '--stage',
      STAGE,
      '-f',
      'poll-acceptance',
      '--data',
      timerEvent,
    ]);
    expectSuccess(invoked);
    expect(JSON.parse(invoked.stdout)).toMatchObject({ processed: 1, rejected: 0, failed: 0 });
    const unknown = await serverless(['invoke', '--stage', STAGE, '-f', 'no-such-function']);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stdout + unknown.stderr).toMatch(/no function "no-such-function" in serverless\.yml/);
  });

  it('remove deletes the functions, their triggers and subscriptions (and the topics when asked)', async () => {
    // A link still declared on the instance: remove warns and says how to unlink it.
    const config = emulator.config();
    const instance = emulator.world.kafkaInstances.find((i) => i.instanceId === config.world.instanceId)!;
    instance.tags.push(
      { key: 'kvl-client-vpc', value: config.world.clientVpcId },
      { key: 'kvl-client-subnet', value: config.world.clientSubnetId },
    );

    const run = await serverless(['remove', '--stage', STAGE, '--remove-topics']);

    instance.tags = instance.tags.filter((t) => !t.key.startsWith('kvl-'));
    expectSuccess(run);
    expect(run.stdout + run.stderr).toMatch(/1 Kafka instance\(s\) are still linked/);
    expect(run.stdout + run.stderr).toContain(`kafka-vpcep-link unlink --instance ${instance.instanceId}`);
    expect(deployed()).toEqual([]);
    expect(emulator.world.functionGraph?.triggers).toEqual([]);
    expect(kvlSubscriptions()).toEqual([]);
    expect(emulator.world.topics.map((t) => t.name).filter((name) => name.startsWith('kvl-'))).toEqual([]);
  });
});
