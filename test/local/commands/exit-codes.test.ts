/**
 * Exit codes and honest reports of the real binary (bin/kafka-vpcep-link.js as a child process)
 * against an in-process emulator: a request refused because of what it names exits 2 and names the
 * CLI flag; unlink says "nothing to unlink" or "does not exist" instead of claiming deletions.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator } from '../../../local/cloud/index.js';
import type { EmulatorHandle } from '../../../local/cloud/server.js';
import { firstProbeForSpeed } from '../../../local/runtime/index.js';

const BIN = fileURLToPath(new URL('../../../bin/kafka-vpcep-link.js', import.meta.url));

let emulator: EmulatorHandle;
let env: Record<string, string>;
let world: ReturnType<EmulatorHandle['config']>['world'];

beforeEach(async () => {
  emulator = await startEmulator({ port: 0, speed: 1000 });
  const config = emulator.config();
  world = config.world;
  env = {
    PATH: process.env.PATH ?? '',
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

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(...args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const link = (vpc: string, subnet: string, instance = world.instanceId) => [
  'link',
  '--instance',
  instance,
  '--client-vpc',
  vpc,
  '--client-subnet',
  subnet,
  '--timeout',
  '60',
];

describe('refusals because of what the request names exit 2 and name the flag', () => {
  const cases: Array<[string, () => string[], RegExp]> = [
    [
      'an instance that does not exist',
      () => link(world.clientVpcId, world.clientSubnetId, randomUUID()),
      /--instance: .*does not exist/,
    ],
    [
      'a subnet that does not exist',
      () => link(world.clientVpcId, randomUUID()),
      /--client-subnet: .*does not exist/,
    ],
    [
      'a subnet of another VPC',
      () => link(world.clientVpcId, world.instanceSubnetId),
      /--client-subnet: .*not to the client VPC/,
    ],
    [
      "the instance's own VPC",
      () => link(world.instanceVpcId, world.instanceSubnetId),
      /--client-vpc: .*own VPC/,
    ],
  ];
  for (const [name, args, message] of cases) {
    it(name, async () => {
      emulator.clearRequests();

      const result = await run(...args());

      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stderr).not.toMatch(/client\.subnetId|client\.vpcId|instanceId:/);
      expect(emulator.requests().filter((r) => r.method !== 'GET')).toEqual([]);
    });
  }

  it('an instance that is not RUNNING', async () => {
    emulator.world.kafkaInstances[0]!.status = 'ERROR';

    const result = await run(...link(world.clientVpcId, world.clientSubnetId));

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--instance: .*must be RUNNING/);
  });
});

describe('flag values a user gets wrong exit 2 naming the flag, before any write', () => {
  it.each([
    ['--timeout 0', ['--timeout', '0'], /--timeout must be a number > 0/],
    ['an empty --timeout', ['--timeout', ''], /--timeout must be a number > 0/],
    ['a hexadecimal --timeout', ['--timeout', '0x10'], /--timeout must be a number > 0/],
    ['an empty --client-domain', ['--client-domain', ''], /--client-domain: must not be empty/],
  ])('%s', async (_name, extra, message) => {
    emulator.clearRequests();

    const result = await run(...link(world.clientVpcId, world.clientSubnetId), ...extra);

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(emulator.requests().filter((r) => r.method !== 'GET')).toEqual([]);
  });

  it('an id flag given twice is refused instead of the last one winning', async () => {
    emulator.clearRequests();

    const twice = await run('unlink', '--instance', world.instanceId, '--instance', randomUUID());

    expect(twice.code).toBe(2);
    expect(twice.stderr).toMatch(/option '--instance <id>' argument .* is invalid\. given twice/);
    expect(emulator.requests()).toEqual([]);
  });

  it('a wrong secret key exits 2 saying what to check, without printing the key', async () => {
    env.HUAWEICLOUD_SDK_SK = 'wrongwrongwrongwrongwrongwrongwrongwrong';

    const result = await run('status');

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /APIGW\.0301.*\(check HUAWEICLOUD_SDK_AK, HUAWEICLOUD_SDK_SK and this machine's clock\)/,
    );
    expect(result.stderr + result.stdout).not.toContain('wrongwrong');
  });
});

describe('cross-account refusals exit 2 naming what to fix, before any write', () => {
  const partnerLink = (...extra: string[]) => {
    const { partner } = emulator.config();
    return [...link(partner.vpcId, partner.subnetId), '--client-domain', partner.domainId, ...extra];
  };
  /** Writes other than assuming the agency (IAM issues credentials; nothing is created). */
  const writes = () =>
    emulator
      .requests()
      .filter((r) => r.method !== 'GET' && !r.path.endsWith('/OS-CREDENTIAL/securitytokens'));

  it('another account without --client-agency', async () => {
    emulator.clearRequests();

    const result = await run(...partnerLink());

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--client-agency: .*agency/);
    expect(result.stderr).not.toMatch(/client\.agencyName/);
    expect(writes()).toEqual([]);
  });

  it('--client-agency without --client-domain', async () => {
    const { partner } = emulator.config();
    emulator.clearRequests();

    const result = await run(...link(partner.vpcId, partner.subnetId), '--client-agency', partner.agencyName);

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /error: --client-domain: is required with an agency: the account that granted it/,
    );
    expect(result.stderr).not.toMatch(/domainId/);
    expect(writes()).toEqual([]);
  });

  it('an agency that does not trust this account', async () => {
    const { partner } = emulator.config();
    const agency = emulator.world.agencies!.find((a) => a.name === partner.agencyName)!;
    agency.trustDomainId = 'f'.repeat(32);
    emulator.clearRequests();

    const result = await run(...partnerLink('--client-agency', partner.agencyName));

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--client-agency: /);
    expect(result.stderr).toContain(partner.agencyName);
    expect(writes()).toEqual([]);
  });

  it('with the agency it links, and unlink leaves nothing in either account', async () => {
    const { partner } = emulator.config();

    const linked = await run(...partnerLink('--client-agency', partner.agencyName));
    const unlinked = await run('unlink', '--instance', world.instanceId, '--timeout', '60');

    expect(linked.code).toBe(0);
    expect(linked.stdout).toMatch(/Linked/);
    expect(unlinked.code).toBe(0);
    expect(unlinked.stdout).toMatch(/deleted 3 endpoint\(s\), 3 service\(s\)/);
    expect(emulator.world.endpoints.filter((e) => e.status !== 'deleting')).toEqual([]);
  });
});

describe('unlink says what it did', () => {
  it('names the rules it removed, the network ACL rule included', async () => {
    expect(
      (await run(...link(world.clientVpcId, world.clientSubnetId), '--network-acl-rule', '--quiet')).code,
    ).toBe(0);

    const result = await run('unlink', '--instance', world.instanceId, '--timeout', '60');

    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/removed the security group rule this project had added/);
    expect(result.stdout).toMatch(/removed the network ACL rule this project had added/);
  });

  it('a second unlink says there is nothing to unlink', async () => {
    expect((await run(...link(world.clientVpcId, world.clientSubnetId))).code).toBe(0);
    const first = await run('unlink', '--instance', world.instanceId, '--timeout', '60');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/deleted 3 endpoint\(s\), 3 service\(s\)/);

    const second = await run('unlink', '--instance', world.instanceId, '--timeout', '60');

    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/Nothing to unlink/);
    expect(second.stdout).not.toMatch(/deleted/);
  });

  it('unlinking an instance that does not exist exits 2 and says so', async () => {
    const result = await run('unlink', '--instance', randomUUID(), '--timeout', '60');

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--instance: .*does not exist/);
    expect(result.stdout).not.toMatch(/Unlinked/);
  });
});

describe('verify against an emulator without its data plane', () => {
  it('exits 2 saying to start the data plane, before any Kafka connection', async () => {
    // Arrange: a link; the seeded world's addresses are not loopback without --data-plane.
    expect((await run(...link(world.clientVpcId, world.clientSubnetId), '--quiet')).code).toBe(0);

    // Act: even with Kafka credentials set, nothing may connect outside 127.0.0.0/8.
    env.KVL_KAFKA_USERNAME = 'someone';
    env.KVL_KAFKA_PASSWORD = 'something';
    const result = await run('verify', '--instance', world.instanceId);

    // Assert
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /error: --instance: \S+ advertises [\d., ]+, outside 127\.0\.0\.0\/8: the emulator runs without its Kafka data plane.*`emulator --data-plane`/,
    );
    expect(result.stderr).not.toContain('something');
  });
});

describe('human output stays human', () => {
  const jsonLines = (text: string) => text.split('\n').filter((l) => l.trim().startsWith('{'));

  it('a retried call prints no log line without --verbose, and does with it', async () => {
    // A transient 500 on the first service creation makes the client retry (a warn log line).
    emulator.addFaults([
      { match: { method: 'POST', path: '*/vpc-endpoint-services' }, kind: 'status', status: 500, count: 1 },
    ]);

    const plain = await run(...link(world.clientVpcId, world.clientSubnetId));

    expect(plain.code).toBe(0);
    expect(jsonLines(plain.stderr)).toEqual([]);
    expect(plain.stderr).toMatch(/patch-listeners/);

    emulator.addFaults([
      { match: { method: 'GET', path: '*/instances' }, kind: 'status', status: 500, count: 1 },
    ]);
    const verbose = await run('status', '--verbose');
    expect(jsonLines(verbose.stderr).length).toBeGreaterThan(0);
  });

  it('every command takes --quiet; verify with it prints only errors', async () => {
    const verify = await run('verify', '--instance', randomUUID(), '--quiet');

    expect(verify.code).toBe(2);
    expect(verify.stderr).toMatch(/^error: --instance: /);
    expect(verify.stderr).not.toMatch(/unknown option/);
  });

  it('--quiet prints no progress lines', async () => {
    const quiet = await run(...link(world.clientVpcId, world.clientSubnetId), '--quiet');

    expect(quiet.code).toBe(0);
    expect(quiet.stderr.trim()).toBe('');
    expect(quiet.stdout).toMatch(/Linked/);
    // A ready-to-paste client configuration follows, with placeholders for the credentials.
    const bootstrap = /bootstrap servers: (\S+)/.exec(quiet.stdout)?.[1];
    expect(quiet.stdout).toContain(`bootstrap.servers=${bootstrap}`);
    expect(quiet.stdout).toMatch(/security\.protocol=SASL_SSL/);
    expect(quiet.stdout).toMatch(/sasl\.mechanisms=SCRAM-SHA-512/);
    expect(quiet.stdout).toMatch(/kafkajs:\n\s+\{ brokers: \[/);
    expect(quiet.stdout).toContain('password="<password>"');
  });

  it('an unknown KVL_LOG_LEVEL is bad usage', async () => {
    env.KVL_LOG_LEVEL = 'chatty';

    const result = await run('status');

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/KVL_LOG_LEVEL: must be one of debug, info, warn, error/);
  });

  it('KVL_LOG_LEVEL is read case-insensitively, as the functions read it', async () => {
    env.KVL_LOG_LEVEL = 'DEBUG';

    const result = await run('status');

    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/"level":"debug"/);
  });
});

describe('version and detailed exit codes', () => {
  it('--version prints the package version, at the top and on every command', async () => {
    const top = await run('--version');
    const sub = await run('link', '--version');

    expect(top.code).toBe(0);
    expect(top.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    expect(sub.stdout.trim()).toBe(top.stdout.trim());
  });

  it('status --detailed-exitcode: 0 with every link linked (or none), 3 when one is not', async () => {
    expect((await run('status', '--detailed-exitcode')).code).toBe(0);
    expect((await run(...link(world.clientVpcId, world.clientSubnetId), '--quiet')).code).toBe(0);
    expect((await run('status', '--detailed-exitcode')).code).toBe(0);
    // Someone deletes an endpoint by hand: the link drifts.
    const endpoint = emulator.world.endpoints[0]!;
    emulator.world.endpoints.splice(emulator.world.endpoints.indexOf(endpoint), 1);

    const drifted = await run('status', '--detailed-exitcode');
    const plain = await run('status');

    expect(drifted.code).toBe(3);
    expect(drifted.stdout).toMatch(/drifted/);
    expect(plain.code).toBe(0);
    // A table: header, then the instance with its name, state, client VPC and age.
    const [header, row] = plain.stdout.split('\n');
    expect(header).toMatch(/^INSTANCE\s+NAME\s+STATE\s+CLIENT VPC\s+AGE$/);
    const name = emulator.world.kafkaInstances[0]!.name;
    expect(row).toMatch(
      new RegExp(`^${world.instanceId}\\s+${name}\\s+drifted\\s+${world.clientVpcId}\\s+\\S+$`),
    );
  });

  it('status of an instance that does not exist exits 2 and says so; of one not linked, 0', async () => {
    const unknown = await run('status', '--instance', randomUUID());
    const notLinked = await run('status', '--instance', world.instanceId);

    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/error: --instance: Kafka instance \S+ does not exist/);
    expect(notLinked.code).toBe(0);
    expect(notLinked.stdout).toBe(`${world.instanceId}: not linked\n`);
  });

  it('status without --detailed-exitcode exits 0 once it has read the state, a failed link included', async () => {
    // Arrange: a link loses an endpoint while its instance is in ERROR: it cannot be repaired, so failed.
    expect((await run(...link(world.clientVpcId, world.clientSubnetId), '--quiet')).code).toBe(0);
    emulator.world.endpoints.splice(0, 1);
    emulator.world.kafkaInstances.find((i) => i.instanceId === world.instanceId)!.status = 'ERROR';

    // Act
    const plain = await run('status');
    const detailed = await run('status', '--detailed-exitcode');

    // Assert: "1" is for a status that could not be read; the state shows in the code when asked.
    expect(plain.stdout).toMatch(/failed/);
    expect(plain.code).toBe(0);
    expect(detailed.code).toBe(3);
  });
});

describe('--via queue --wait when no outcome can come', () => {
  /** The CLI set up for the chain's topics, as `emulator --write-env` does. */
  beforeEach(() => {
    const { topics } = emulator.config();
    Object.assign(env, {
      KVL_TOPIC_LINK_REQUESTS: topics.linkRequests,
      KVL_TOPIC_SERVICES_READY: topics.servicesReady,
      KVL_TOPIC_ENDPOINTS_ACCEPTED: topics.endpointsAccepted,
      KVL_TOPIC_UNLINK_REQUESTS: topics.unlinkRequests,
      KVL_TOPIC_EVENTS: topics.events,
    });
  });

  it('says so at once instead of waiting for the timeout, and publishes nothing', async () => {
    const { topics } = emulator.config();
    // No runtime: nothing is subscribed to the request topic.
    expect(emulator.world.subscriptions.filter((s) => s.topicUrn === topics.linkRequests)).toEqual([]);

    const result = await run(...link(world.clientVpcId, world.clientSubnetId), '--via', 'queue', '--wait');
    // Without --wait too: SMN keeps nothing, so the request would be lost.
    const fireAndForget = await run(...link(world.clientVpcId, world.clientSubnetId), '--via', 'queue');
    const unlinkRequest = await run('unlink', '--instance', world.instanceId, '--via', 'queue');

    for (const refused of [result, fireAndForget, unlinkRequest]) {
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/nothing is subscribed to .*: no function would handle this request/);
    }
    expect(emulator.requests().filter((r) => r.path.endsWith('/publish'))).toEqual([]);
  });

  it('running out of time says the request was published and how to follow it', async () => {
    // Arrange: a function is subscribed, but no runtime runs it, so no outcome ever comes.
    const { topics } = emulator.config();
    emulator.world.subscriptions.push({
      subscriptionUrn: `${topics.linkRequests}:0123456789abcdef0123456789abcdef`,
      topicUrn: topics.linkRequests,
      protocol: 'functiongraph',
      endpoint: `urn:fss:${emulator.region}:${emulator.seed!.owner.projectId}:function:default:nobody:latest`,
      remark: '',
      projectId: emulator.seed!.owner.projectId,
    });
    const args = link(world.clientVpcId, world.clientSubnetId).slice(0, -1);

    // Act
    const result = await run(...args, '1', '--via', 'queue', '--wait');

    // Assert
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      new RegExp(
        `no outcome for request \\S+ within the timeout; the request was published and the functions go on with it: \`status --instance ${world.instanceId}\` shows where it stands`,
      ),
    );
    expect(emulator.requests().filter((r) => r.path.endsWith('/publish'))).toHaveLength(1);
  });
});

describe('progress while waiting', () => {
  it('says what a step still waits for, with the elapsed time, in a non-terminal log', async () => {
    // Service creation takes 60 s emulated = 3 s here; a "still" line every 500 ms.
    emulator.clock.setSpeed(20);
    env.KVL_PROGRESS_INTERVAL_MS = '500';
    env.KVL_FIRST_PROBE_AFTER_MS = firstProbeForSpeed(20);

    const result = await run(...link(world.clientVpcId, world.clientSubnetId));

    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(
      /… still creating the endpoint services \(1–2 min on Huawei Cloud\) \(\d+ s\)/,
    );
    // Not a terminal: no colour codes, no spinner frames.
    expect(result.stderr.includes('\u001b[')).toBe(false);
    expect(result.stderr).not.toContain('⠋');
  });

  it('running out of --timeout says nothing is lost, and the same command then resumes', async () => {
    // Arrange: service creation takes 60 s at speed 1, far more than the 1 s allowed.
    emulator.clock.setSpeed(1);
    const args = link(world.clientVpcId, world.clientSubnetId).slice(0, -1);

    // Act
    const timedOut = await run(...args, '1');
    emulator.clock.setSpeed(1000);
    const resumed = await run(...args, '60');

    // Assert
    expect(timedOut.code).toBe(1);
    expect(timedOut.stderr).toMatch(
      /error: the endpoint services did not become available in time \(nothing is lost: the same command resumes where this one stopped; --timeout gives it longer\)/,
    );
    expect(resumed.code).toBe(0);
    expect(emulator.world.endpointServices).toHaveLength(3);
  });

  /** Runs the CLI, sends `signal` once stderr shows `startedWhen`; resolves with its exit code and stderr. */
  async function interrupted(args: string[], startedWhen: string, signal: NodeJS.Signals) {
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    await new Promise<void>((resolve) => {
      child.stderr.on('data', (d) => {
        stderr += d;
        if (stderr.includes(startedWhen)) resolve();
      });
    });
    child.kill(signal);
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    return { code, stderr };
  }

  it('SIGTERM during unlink says how to finish it and exits 143', async () => {
    expect((await run(...link(world.clientVpcId, world.clientSubnetId), '--quiet')).code).toBe(0);
    emulator.clock.setSpeed(1);

    const { code, stderr } = await interrupted(
      ['unlink', '--instance', world.instanceId],
      '▶ unlinking',
      'SIGTERM',
    );

    expect(code).toBe(143);
    expect(stderr).toMatch(/interrupted: nothing is lost\. Run the same command again to finish unlinking/);
  });

  it('Ctrl-C says how to resume and exits 130', async () => {
    emulator.clock.setSpeed(1);

    const { code, stderr } = await interrupted(
      link(world.clientVpcId, world.clientSubnetId),
      '▶ create-services',
      'SIGINT',
    );

    expect(code).toBe(130);
    expect(stderr).toMatch(/interrupted: nothing is lost\. Run the same command again to resume/);
  });
});

describe('--json on failure', () => {
  it('prints the error as JSON on stdout, with the exit code of the failure', async () => {
    const result = await run(...link(world.clientVpcId, randomUUID()), '--json');

    expect(result.code).toBe(2);
    const body = JSON.parse(result.stdout);
    expect(body.error).toMatchObject({ flag: '--client-subnet', exitCode: 2, name: 'LinkRejectedError' });
    expect(body.error.message).toMatch(/^--client-subnet: subnet .* does not exist$/);
  });

  it('prints a usage error the parser finds as JSON on stdout too', async () => {
    const missing = await run('link', '--instance', world.instanceId, '--json');
    const badChoice = await run('unlink', '--instance', world.instanceId, '--via', 'pigeon', '--json');

    for (const result of [missing, badChoice]) {
      expect(result.code).toBe(2);
      expect(JSON.parse(result.stdout).error).toMatchObject({ exitCode: 2, name: 'UsageError' });
    }
    expect(JSON.parse(missing.stdout).error.message).toMatch(/required option '--client-vpc/);
    expect(missing.stderr).toMatch(/error: required option/);
  });
});

describe('--dry-run plan', () => {
  it('lists + create / ~ change with counts, then "No changes" once the link is in place', async () => {
    const before = await run(...link(world.clientVpcId, world.clientSubnetId), '--dry-run');
    expect(before.code).toBe(0);
    expect(before.stdout).toMatch(/^ {2}\+ endpoint service for port /m);
    expect(before.stdout).toMatch(/^ {2}~ advertised\.listeners \S+: \S+ → \(its endpoint's IP/m);
    expect(before.stdout).toMatch(/Plan: 7 to create, 4 to change, 0 to delete\./);

    expect((await run(...link(world.clientVpcId, world.clientSubnetId), '--quiet')).code).toBe(0);
    emulator.clearRequests();
    const after = await run(...link(world.clientVpcId, world.clientSubnetId), '--dry-run');

    expect(after.stdout).toMatch(/^No changes\. .* is linked to VPC .* as requested\./m);
    expect(
      emulator.requests().filter((r) => r.method !== 'GET' && !r.path.includes('resource_instances')),
    ).toEqual([]);
  });
});

describe('reconcile --repair', () => {
  it('reports the state after its repairs and a changed bootstrap address', async () => {
    expect((await run(...link(world.clientVpcId, world.clientSubnetId), '--quiet')).code).toBe(0);
    // Someone deletes an endpoint by hand: its replacement gets a new IP.
    const gone = emulator.world.endpoints[0]!;
    emulator.world.endpoints.splice(emulator.world.endpoints.indexOf(gone), 1);

    const repaired = await run('reconcile', '--repair', '--timeout', '60');

    expect(repaired.code).toBe(0);
    expect(repaired.stdout).toMatch(/state after the repairs:\n {2}\S+ {2}linked/);
    // Before: what clients had, the deleted endpoint's address included; after: its replacement.
    const [, before, after] = /bootstrap servers changed: (\S+) → (\S+); update the clients/.exec(
      repaired.stdout,
    )!;
    expect(before!.split(',')).toContain(`${gone.ip}:9011`);
    expect(after!.split(',')).not.toContain(`${gone.ip}:9011`);
    expect(after!.split(',')).toHaveLength(3);
  });
});

describe('reconcile without --repair', () => {
  it('suggests --repair for a failed link a repair would fix', async () => {
    // Arrange: a link whose endpoint was rejected and whose services the chain marked failed.
    expect((await run(...link(world.clientVpcId, world.clientSubnetId), '--quiet')).code).toBe(0);
    emulator.world.endpoints[0]!.status = 'rejected';
    for (const service of emulator.world.endpointServices)
      service.tags.push({ key: 'kvl-phase', value: 'failed' });

    // Act
    const result = await run('reconcile');

    // Assert
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/ {2}\S+ {2}failed\n/);
    expect(result.stdout).toMatch(/Run with --repair to fix the drift\./);
  });
});

describe('missing configuration', () => {
  it('names every missing variable at once, exit 2', async () => {
    env = { PATH: process.env.PATH ?? '' };

    const result = await run('status');

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /missing environment variables: HUAWEICLOUD_SDK_AK, HUAWEICLOUD_SDK_SK, HUAWEICLOUD_REGION/,
    );
  });
});

describe('a throttled call waits for its turn while --timeout allows', () => {
  const refusals = () => emulator.requests().filter((r) => r.code === 'APIGW.0308');

  it('gives up at once when the wait the gateway asks for outlasts --timeout, saying what to do', async () => {
    // One call per API every 25 s: the second service create is told to come back after 25 s,
    // which a 15 s command cannot wait for. (Ten fixed retries used to wait it out past the timeout.)
    emulator.setThrottle({ ratePerSecond: 0.04, burst: 1 });
    const args = link(world.clientVpcId, world.clientSubnetId);
    args[args.indexOf('--timeout') + 1] = '15';

    const result = await run(...args);

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/APIGW\.0308/);
    expect(result.stderr).toMatch(/nothing is lost: run the same command again later/);
    // The refused create was not sent again: no create was answered after the refusal.
    const creates = emulator
      .requests()
      .filter((r) => r.method === 'POST' && r.path.endsWith('/vpc-endpoint-services'));
    expect(creates.map((r) => r.status)).toEqual([200, 429]);
  });

  it('completes a link through refusals when --timeout leaves time for them', async () => {
    emulator.setThrottle({ ratePerSecond: 2, burst: 1 });

    const result = await run(...link(world.clientVpcId, world.clientSubnetId));

    expect(result.code).toBe(0);
    expect(refusals().length).toBeGreaterThan(0);
  });
});
