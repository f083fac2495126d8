/**
 * From serverless.yml to a deployment plan (deploy/serverless-plugin/plan.ts), and the code packages
 * (zip.ts). The project's own serverless.yml is resolved by osls itself (`serverless print`), so the
 * plan is checked on exactly what the plugin receives.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { unzipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { buildDeployPlan, DeployConfigError, PACKAGE_ONLY } from '../../deploy/serverless-plugin/plan.js';
import { CodePackageError, zipDirectory, zipEntries } from '../../deploy/serverless-plugin/zip.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const OSLS = join(ROOT, 'node_modules', 'osls', 'bin', 'serverless.js');
const PROJECT = '0123456789abcdef0123456789abcdef';
const urn = (name: string, project = PROJECT, region = 'eu-west-101') =>
  `urn:smn:${region}:${project}:${name}`;

/** serverless.yml as osls resolves it, with the given environment. */
async function resolvedConfig(env: Record<string, string> = {}): Promise<unknown> {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('HUAWEICLOUD_') && !k.startsWith('KVL_')),
  );
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [OSLS, 'print', '--format', 'json', '--stage', 't'],
    {
      cwd: ROOT,
      env: { ...clean, HUAWEICLOUD_SDK_PROJECT_ID: PROJECT, ...env },
    },
  );
  return JSON.parse(stdout);
}

/** A minimal valid service, for the error cases. */
function service(overrides: { functions?: Record<string, unknown>; custom?: Record<string, unknown> } = {}) {
  return {
    service: 'svc',
    provider: { name: 'huawei', runtime: 'Node.js20.15', region: 'eu-west-101', package: 'svc' },
    custom: overrides.custom ?? { functionGraph: { topics: { a: urn('topic-a') } } },
    functions: overrides.functions ?? {
      fn: {
        handler: 'index.handler',
        events: [{ triggerTypeCode: 'SMN', eventData: { topicUrn: urn('topic-a') } }],
      },
    },
  };
}

describe('deployment plan of the project serverless.yml', () => {
  it('maps every function, trigger, async configuration and topic as FunctionGraph wants them', async () => {
    const plan = buildDeployPlan(await resolvedConfig(), { stage: 't', projectId: PROJECT });
    const fn = (key: string) => plan.functions.find((f) => f.key === key)!;

    expect(plan).toMatchObject({
      service: 'kafka-vpcep-link',
      stage: 't',
      region: 'eu-west-101',
      package: 'kafka-vpcep-link',
    });
    expect(plan.topics.map((t) => t.name).sort()).toEqual(
      [
        'kvl-dead-letters',
        'kvl-endpoints-accepted',
        'kvl-events',
        'kvl-link-requests',
        'kvl-services-ready',
        'kvl-unlink-requests',
      ].sort(),
    );
    for (const key of ['create-services', 'buy-endpoints', 'poll-acceptance', 'patch-listeners']) {
      expect(fn(key)).toMatchObject({
        funcName: `kafka-vpcep-link-t-${key}`,
        runtime: 'Node.js20.15',
        handler: 'index.handler',
        memorySize: 256,
        xrole: 'kvl-functions',
        asyncInvoke: {
          maxAsyncRetryAttempts: 2,
          maxAsyncEventAgeInSeconds: 3600,
          onFailure: { destination: 'SMN', param: { topic_urn: urn('kvl-dead-letters') } },
        },
      });
      expect(fn(key).userData).toMatchObject({
        HUAWEICLOUD_REGION: 'eu-west-101',
        KVL_TOPIC_EVENTS: urn('kvl-events'),
      });
    }
    expect(fn('poll-acceptance').timeout).toBe(60);
    expect(fn('create-services').triggers).toEqual([
      {
        triggerTypeCode: 'SMN',
        triggerStatus: 'ACTIVE',
        eventData: { topic_urn: urn('kvl-link-requests') },
        identity: urn('kvl-link-requests'),
      },
    ]);
    // The Kafka alternative needs an instance; without one it is left out, and said why.
    expect(fn('create-services').skippedTriggers).toEqual([
      { triggerTypeCode: 'KAFKA', reason: 'eventData.instanceId empty' },
    ]);
    expect(fn('poll-acceptance').triggers[0]).toMatchObject({
      triggerTypeCode: 'TIMER',
      eventData: {
        name: 'kvl-poll-acceptance',
        schedule_type: 'Rate',
        schedule: '1m',
        user_event: '{"job":"poll-acceptance"}',
      },
    });
    // Every SMN trigger listens on a topic the deploy creates.
    for (const f of plan.functions) {
      for (const t of f.triggers.filter((t) => t.triggerTypeCode === 'SMN')) {
        expect(plan.topics.map((topic) => topic.urn)).toContain(t.eventData.topic_urn);
      }
    }
  });

  it('plans the Kafka trigger, DISABLED, once an instance is configured', async () => {
    const instance = '2a9b6c1d-3e4f-4a6b-8c8d-9e0f1a2b3c4d';
    const plan = buildDeployPlan(await resolvedConfig({ KVL_REQUESTS_KAFKA_INSTANCE: instance }), {
      stage: 't',
      projectId: PROJECT,
    });
    const create = plan.functions.find((f) => f.key === 'create-services')!;
    expect(create.skippedTriggers).toEqual([]);
    expect(create.triggers[1]).toEqual({
      triggerTypeCode: 'KAFKA',
      triggerStatus: 'DISABLED',
      eventData: { instance_id: instance, topic_ids: ['kvl-link-requests'], batch_size: 10 },
      identity: `${instance}/kvl-link-requests`,
    });
  });

  it('attaches verify to the client VPC (func_vpc) once KVL_VERIFY_CLIENT_VPC/SUBNET are set', async () => {
    // Arrange
    const vpcId = '7f3e2d1c-0b9a-4876-a543-210fedcba987';
    const subnetId = '5e4d3c2b-1a09-4f8e-b7d6-c5b4a3928170';

    // Act
    const unset = buildDeployPlan(await resolvedConfig(), { stage: 't', projectId: PROJECT });
    const set = buildDeployPlan(
      await resolvedConfig({ KVL_VERIFY_CLIENT_VPC: vpcId, KVL_VERIFY_CLIENT_SUBNET: subnetId }),
      { stage: 't', projectId: PROJECT },
    );

    // Assert
    expect(unset.functions.find((f) => f.key === 'verify')?.funcVpc).toBeUndefined();
    const verify = set.functions.find((f) => f.key === 'verify')!;
    expect(verify.funcVpc).toEqual({ vpcId, subnetId });
    expect(verify.xrole).toBe('kvl-functions');
    expect(verify.userData.KVL_VERIFY_CLIENT_VPC).toBe(vpcId);
    expect(verify.triggers.map((t) => t.triggerTypeCode)).toEqual(['SMN', 'TIMER']);
    expect(set.functions.filter((f) => f.funcVpc).map((f) => f.key)).toEqual(['verify']);
  });
});

describe('deployment plan: configuration errors, before any cloud call', () => {
  it('refuses a function VPC with only one of its ids, or without an agency', () => {
    const fn = { handler: 'index.handler' };
    expect(() =>
      buildDeployPlan(service({ functions: { fn: { ...fn, xrole: 'a', vpc: { vpcId: 'v' } } } }), {
        stage: 't',
        projectId: PROJECT,
      }),
    ).toThrow(/functions\.fn\.vpc: vpcId and subnetId go together/);
    expect(() =>
      buildDeployPlan(service({ functions: { fn: { ...fn, vpc: { vpcId: 'v', subnetId: 's' } } } }), {
        stage: 't',
        projectId: PROJECT,
      }),
    ).toThrow(/needs an agency/);
  });

  const refused = (config: unknown, pattern: RegExp, projectId: string = PROJECT) => {
    expect(() => buildDeployPlan(config, { stage: 'dev', projectId })).toThrow(DeployConfigError);
    expect(() => buildDeployPlan(config, { stage: 'dev', projectId })).toThrow(pattern);
  };

  it('accepts the minimal service and names functions <service>-<stage>-<key>', () => {
    const plan = buildDeployPlan(service(), { stage: 'dev', projectId: PROJECT });
    expect(plan.functions.map((f) => [f.funcName, f.memorySize, f.timeout])).toEqual([
      ['svc-dev-fn', 256, 30],
    ]);
    expect(plan.topics).toEqual([{ name: 'topic-a', urn: urn('topic-a') }]);
  });

  it('needs the project id in topic URNs to deploy, not to package', () => {
    const noProject = service({ custom: { functionGraph: { topics: [urn('topic-a', '')] } }, functions: {} });
    refused(noProject, /has no project id; set HUAWEICLOUD_SDK_PROJECT_ID/);
    expect(buildDeployPlan(noProject, { stage: 'dev', projectId: PACKAGE_ONLY }).topics).toHaveLength(1);
  });

  it('refuses topics of another project or region, and SMN triggers that cannot exist', () => {
    refused(
      service({
        custom: { functionGraph: { topics: [urn('topic-a', 'ffffffffffffffffffffffffffffffff')] } },
      }),
      /is not in project/,
    );
    refused(
      service({ custom: { functionGraph: { topics: [urn('topic-a', PROJECT, 'ap-southeast-1')] } } }),
      /is not in region eu-west-101/,
    );
    refused(
      service({
        functions: {
          fn: {
            handler: 'index.handler',
            events: [{ triggerTypeCode: 'SMN', status: 'DISABLED', eventData: { topicUrn: urn('a') } }],
          },
        },
      }),
      /SMN triggers cannot be DISABLED/,
    );
    const twice = { triggerTypeCode: 'SMN', eventData: { topicUrn: urn('a') } };
    refused(
      service({ functions: { fn: { handler: 'index.handler', events: [twice, twice] } } }),
      /a second SMN trigger/,
    );
  });

  it('refuses a TIMER Rate beyond 60 minutes, 24 hours or 30 days, naming the field', () => {
    const timer = (schedule: string) =>
      service({
        functions: {
          fn: {
            handler: 'index.handler',
            events: [{ triggerTypeCode: 'TIMER', eventData: { name: 't', scheduleType: 'Rate', schedule } }],
          },
        },
      });
    for (const schedule of ['61m', '25h', '31d', '0m', '5s', '1.5h']) {
      refused(timer(schedule), /functions\.fn\.events\[0\]\.eventData\.schedule: /);
    }
    for (const schedule of ['1m', '60m', '24h', '30d']) {
      expect(
        buildDeployPlan(timer(schedule), { stage: 'dev', projectId: PROJECT }).functions[0]?.triggers,
      ).toHaveLength(1);
    }
  });

  it('refuses invalid names, handlers and user data', () => {
    refused(
      service({ functions: { fn: { name: `f${'x'.repeat(60)}`, handler: 'index.handler' } } }),
      /at most 60/,
    );
    refused(service({ functions: { fn: { handler: 'index' } } }), /functions\.fn\.handler/);
    refused(
      service({ functions: { fn: { handler: 'index.handler', userData: { 'bad-key': 'x' } } } }),
      /invalid key/,
    );
    refused(
      service({ functions: { fn: { handler: 'index.handler', userData: { BIG: 'x'.repeat(5000) } } } }),
      /over 4096/,
    );
    refused({ ...service(), provider: { name: 'aws', region: 'eu-west-101' } }, /provider\.name/);
  });
});

describe('code packages', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kvl-zip-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('zips a bundle directory with its files at the root, byte for byte reproducibly', () => {
    const bundle = join(dir, 'bundle');
    mkdirSync(join(bundle, 'lib'), { recursive: true });
    writeFileSync(join(bundle, 'index.js'), 'exports.handler = async () => 1;\n');
    writeFileSync(join(bundle, 'lib', 'util.js'), 'module.exports = 2;\n');
    const zip = zipDirectory(bundle);
    expect(zipEntries(zip)).toEqual(['index.js', 'lib/util.js']);
    expect(new TextDecoder().decode(unzipSync(new Uint8Array(zip))['index.js'])).toBe(
      'exports.handler = async () => 1;\n',
    );
    // Same content, same bytes: the deployer skips code uploads by digest.
    expect(zipDirectory(bundle).equals(zip)).toBe(true);
  });

  it('refuses a missing or empty bundle directory', () => {
    mkdirSync(join(dir, 'empty'));
    expect(() => zipDirectory(join(dir, 'empty'))).toThrow(CodePackageError);
    expect(() => zipDirectory(join(dir, 'missing'))).toThrow(/no bundle directory/);
    expect(() => zipEntries(Buffer.from('nope'))).toThrow(CodePackageError);
  });
});
