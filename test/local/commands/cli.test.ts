/**
 * The command line as a user runs it: `main()` in-process against a fast emulator (link, status,
 * unlink, dry run, exit codes), and the `emulator` command as a child process (first stdout line).
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFunctionGraphClient } from '../../../deploy/functiongraph-client.js';
import { main } from '../../../local/cli.js';
import { startEmulator } from '../../../local/cloud/index.js';
import type { EmulatorHandle } from '../../../local/cloud/server.js';
import type { Io } from '../../../local/commands/common.js';
import { firstProbeForSpeed, startRuntime } from '../../../local/runtime/index.js';
import { staticCredentials } from '../../../shared/cloud/credentials.js';
import { createCloudHttp } from '../../../shared/cloud/http.js';
import { testFunction } from '../../helpers/deploy.js';

interface Captured extends Io {
  stdout: string[];
  stderr: string[];
}

function captureIo(): Captured {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (t) => stdout.push(t), err: (t) => stderr.push(t), isTty: false };
}

let emulator: EmulatorHandle;
let env: Record<string, string>;
let world: ReturnType<EmulatorHandle['config']>['world'];

beforeEach(async () => {
  emulator = await startEmulator({ port: 0, speed: 1000 });
  const config = emulator.config();
  world = config.world;
  env = {
    HUAWEICLOUD_ENDPOINT: config.endpoint,
    HUAWEICLOUD_REGION: config.region,
    HUAWEICLOUD_SDK_AK: config.ak,
    HUAWEICLOUD_SDK_SK: config.sk,
    HUAWEICLOUD_SDK_PROJECT_ID: config.projectId,
    KVL_POLL_INTERVAL_MS: '100',
    KVL_FIRST_PROBE_AFTER_MS: firstProbeForSpeed(1000),
  };
});
afterEach(async () => {
  await emulator.close();
});

const cli = (io: Io, ...args: string[]) => main(['node', 'kafka-vpcep-link', ...args], io, env);
const linkArgs = () => [
  'link',
  '--instance',
  world.instanceId,
  '--client-vpc',
  world.clientVpcId,
  '--client-subnet',
  world.clientSubnetId,
];

describe('kafka-vpcep-link link / status / unlink', () => {
  it('links in-process and prints the completion event as JSON on stdout only', async () => {
    const io = captureIo();

    const code = await cli(io, ...linkArgs(), '--json');

    expect(code).toBe(0);
    const event = JSON.parse(io.stdout.join('\n'));
    expect(event.type).toBe('kvl.link.completed');
    expect(event.data.mapping).toHaveLength(3);
    expect(event.data.bootstrapServers).toMatch(/^(\d+\.){3}\d+:9011(,(\d+\.){3}\d+:9011){2}$/);
    expect(io.stderr.some((l) => l.includes('patch-listeners'))).toBe(true);
  });

  it('shows the link as linked, then unlinks it', async () => {
    await cli(captureIo(), ...linkArgs());
    const status = captureIo();
    const unlinked = captureIo();
    const after = captureIo();

    // The modify takes effect at once: the link is linked as soon as `link` returns.
    const statusCode = await cli(status, 'status', '--json');
    const unlinkCode = await cli(unlinked, 'unlink', '--instance', world.instanceId, '--json');
    const afterCode = await cli(after, 'status', '--instance', world.instanceId);

    expect(statusCode).toBe(0);
    expect(JSON.parse(status.stdout.join('\n'))).toMatchObject([
      { instanceId: world.instanceId, state: 'linked' },
    ]);
    expect(unlinkCode).toBe(0);
    expect(JSON.parse(unlinked.stdout.join('\n'))).toMatchObject({
      type: 'kvl.link.removed',
      data: { deleted: { endpoints: 3, services: 3, securityGroupRule: true } },
    });
    expect(afterCode).toBe(0);
    expect(after.stdout.join('\n')).toMatch(/not linked/);
  });

  it('prints a plan and writes nothing with --dry-run', async () => {
    const io = captureIo();
    emulator.clearRequests();

    const code = await cli(io, ...linkArgs(), '--dry-run', '--json');

    expect(code).toBe(0);
    const plan = JSON.parse(io.stdout.join('\n'));
    expect(plan.dryRun).toBe(true);
    expect(plan.actions.filter((a: { action: string }) => a.action === 'create-service')).toHaveLength(3);
    // 3 services + 3 endpoints + the rule; the instance tags and 3 advertised IPs change.
    expect(plan.counts).toEqual({ create: 7, change: 4, delete: 0 });
    expect(emulator.requests().filter((r) => r.method !== 'GET')).toEqual([]);
  });

  it('exits 2 naming the flag for bad input, before any cloud call', async () => {
    const io = captureIo();
    emulator.clearRequests();

    const code = await cli(
      io,
      'link',
      '--instance',
      '../etc',
      '--client-vpc',
      world.clientVpcId,
      '--client-subnet',
      world.clientSubnetId,
    );

    expect(code).toBe(2);
    expect(io.stderr.join('\n')).toMatch(/--instance: may only contain/);
    expect(emulator.requests()).toEqual([]);
  });

  it('exits 2 when credentials are missing, without printing any secret', async () => {
    const io = captureIo();
    env = { ...env, HUAWEICLOUD_SDK_AK: '' };

    const code = await cli(io, 'status');

    expect(code).toBe(2);
    expect(io.stderr.join('\n')).toMatch(/HUAWEICLOUD_SDK_AK/);
    expect(io.stderr.join('\n')).not.toContain(emulator.config().sk);
  });

  it('exits 2 with the reason when the link is refused because of what it names', async () => {
    const io = captureIo();

    const code = await cli(
      io,
      'link',
      '--instance',
      'no-such-instance',
      '--client-vpc',
      world.clientVpcId,
      '--client-subnet',
      world.clientSubnetId,
    );

    expect(code).toBe(2);
    expect(io.stderr.join('\n')).toMatch(/--instance: .*no-such-instance does not exist/);
  });
});

describe('kafka-vpcep-link link --via queue --wait', () => {
  it('publishes a link request to the chain and waits for its completion event', async () => {
    // Arrange: the functions run in the local runtime on the same emulator.
    const runtime = await startRuntime({
      emulator,
      logSink: () => {},
      userData: { KVL_POLL_INTERVAL_MS: '100', KVL_FIRST_PROBE_AFTER_MS: firstProbeForSpeed(1000) },
    });
    const { topics } = emulator.config();
    env = {
      ...env,
      KVL_TOPIC_LINK_REQUESTS: topics.linkRequests,
      KVL_TOPIC_SERVICES_READY: topics.servicesReady,
      KVL_TOPIC_ENDPOINTS_ACCEPTED: topics.endpointsAccepted,
      KVL_TOPIC_UNLINK_REQUESTS: topics.unlinkRequests,
      KVL_TOPIC_EVENTS: topics.events,
    };
    const io = captureIo();
    try {
      // Act
      const code = await cli(io, ...linkArgs(), '--via', 'queue', '--wait', '--json', '--timeout', '20');

      // Assert
      expect(code).toBe(0);
      const event = JSON.parse(io.stdout.join('\n'));
      expect(event.type).toBe('kvl.link.completed');
      expect(event.source).toBe('kvl/patch-listeners');
    } finally {
      await runtime.close();
    }
  });
});

describe('kafka-vpcep-link emulator', () => {
  it('prints the connection JSON as its first stdout line and stops on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      ['bin/kafka-vpcep-link.js', 'emulator', '--port', '0', '--no-runtime', '--speed', '20'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const firstLine = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout }).once('line', resolve);
      child.once('exit', (code) => reject(new Error(`exited early with ${code}`)));
    });
    const config = JSON.parse(firstLine);

    expect(config.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    for (const key of ['region', 'projectId', 'domainId', 'ak', 'sk'])
      expect(typeof config[key]).toBe('string');
    for (const key of [
      'instanceId',
      'instanceVpcId',
      'instanceSubnetId',
      'securityGroupId',
      'clientVpcId',
      'clientSubnetId',
    ]) {
      expect(typeof config.world[key]).toBe('string');
    }
    for (const key of ['linkRequests', 'servicesReady', 'endpointsAccepted', 'unlinkRequests', 'events']) {
      expect(config.topics[key]).toMatch(/^urn:smn:/);
    }
    // The product's 3 s polls and 60 s first check, on a clock 20× faster.
    expect(config.waits).toEqual({ KVL_POLL_INTERVAL_MS: '150', KVL_FIRST_PROBE_AFTER_MS: '3000' });
    const state = await fetch(`${config.endpoint}/_emulator/state`);
    expect(state.status).toBe(200);

    const exit = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
  });

  it('runs what gets deployed to its FunctionGraph with --runtime deployed', async () => {
    // Arrange: the emulator as docs/DEPLOY.md has a user start it, and a deployer on its endpoint.
    const child = spawn(
      process.execPath,
      ['bin/kafka-vpcep-link.js', 'emulator', '--port', '0', '--runtime', 'deployed', '--speed', '0'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const stderr = createInterface({ input: child.stderr });
    const started = new Promise<string>((resolve) => {
      stderr.on('line', (line) => line.startsWith('▶') && resolve(line));
    });
    const config = JSON.parse(
      await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout }).once('line', resolve);
        child.once('exit', (code) => reject(new Error(`exited early with ${code}`)));
      }),
    );
    const http = createCloudHttp({
      service: 'functiongraph',
      region: config.region,
      projectId: config.projectId,
      credentials: staticCredentials({ ak: config.ak, sk: config.sk }),
      baseUrl: config.endpoint,
      retry: { retries: 0 },
    });
    const fg = createFunctionGraphClient(http);

    try {
      // Act: deploy a function, then invoke it asynchronously (the runtime, not the API, runs it).
      const { funcUrn } = await fg.createFunction(testFunction('cli'));
      await fg.invokeAsync(funcUrn, { n: 1 });

      // Assert
      expect(await started).toBe('▶ kvl-test-cli (invoke-async)');
    } finally {
      const exit = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      expect(await exit).toBe(0);
    }
  });

  it('refuses a --runtime it does not know, as a usage error', async () => {
    const io = captureIo();

    const code = await cli(io, 'emulator', '--runtime', 'lambda');

    expect(code).toBe(2);
    expect(io.stderr.join('\n')).toMatch(/--runtime <source>' argument 'lambda' is invalid/);
  });
});
