/**
 * ARCHITECTURE §6 "no secret ever reaches a log line, an event or an error message": the whole product end
 * to end — the built function bundles in the local FunctionGraph runtime, and the CLI both in-process
 * and as a child process — with recognisable credentials (an AK, an SK and a security token that
 * cannot occur by chance), through successes, a refused request, a rejected map, a failed
 * authentication, debug-level logging and retries. Then every log line, every SMN message (events and
 * chain messages), every invocation result and error, the request log and every CLI output are
 * scanned for those values, and for the agency credentials the runtime handed the functions.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../local/cli.js';
import { type EmulatorHandle, startEmulator } from '../../local/cloud/index.js';
import type { Io } from '../../local/commands/common.js';
import { emulatorEnv } from '../../local/commands/env-file.js';
import { firstProbeForSpeed, type LocalRuntime, startRuntime } from '../../local/runtime/index.js';
import { recordSize } from '../helpers/reliability/report.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const CANARY = {
  ak: `KVLCANARYAK${randomBytes(5).toString('hex').toUpperCase().slice(0, 9)}`,
  sk: `canarySK-${randomBytes(16).toString('hex')}`,
  securityToken: `canaryTOKEN-${randomBytes(48).toString('base64url')}`,
};
const WRONG_SK = `canaryWRONGSK-${randomBytes(12).toString('hex')}`;

let emulator: EmulatorHandle;
let runtime: LocalRuntime;
const runtimeLogs: string[] = [];
const processOutput: string[] = [];
const cliOutput: string[] = [];
let restore: () => void;

function capture(stream: NodeJS.WriteStream): () => void {
  const original = stream.write.bind(stream);
  stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    processOutput.push(text);
    // The functions' JSON log lines are kept for the scan, not printed; anything else passes through.
    if (text.startsWith('{"')) return true;
    return (original as (...args: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof stream.write;
  return () => {
    stream.write = original as typeof stream.write;
  };
}

function env(overrides: Record<string, string> = {}): Record<string, string> {
  const config = emulator.config();
  return {
    PATH: process.env.PATH ?? '',
    ...emulatorEnv(config),
    HUAWEICLOUD_SDK_AK: CANARY.ak,
    HUAWEICLOUD_SDK_SK: CANARY.sk,
    HUAWEICLOUD_SDK_SECURITY_TOKEN: CANARY.securityToken,
    KVL_POLL_INTERVAL_MS: '100',
    KVL_FIRST_PROBE_AFTER_MS: firstProbeForSpeed(200),
    KVL_LOG_LEVEL: 'debug',
    ...overrides,
  };
}

async function cli(args: string[], overrides: Record<string, string> = {}): Promise<number> {
  const io: Io = {
    out: (t) => cliOutput.push(t),
    err: (t) => cliOutput.push(t),
    isTty: false,
  };
  return main(['node', 'kafka-vpcep-link', ...args], io, env(overrides));
}

/** The CLI as a user runs it: a child process, its whole stdout and stderr kept. */
function cliProcess(args: string[], overrides: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/kafka-vpcep-link.js', ...args], {
      cwd: REPO,
      env: env(overrides),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (d: Buffer) => cliOutput.push(d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => cliOutput.push(d.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve(code ?? -1));
  });
}

function newInstance(name: string): string {
  return emulator.createKafkaInstance({ name, brokers: 3, createDelayMs: 0 }).instanceId;
}

beforeAll(async () => {
  restore = (() => {
    const a = capture(process.stdout);
    const b = capture(process.stderr);
    return () => {
      a();
      b();
    };
  })();
  emulator = await startEmulator({ port: 0, speed: 200 });
  const config = emulator.config();
  emulator.world.temporaryCredentials.push({
    ...CANARY,
    domainId: config.domainId,
    projectId: config.projectId,
    expiresAt: emulator.clock.now() + 30 * 24 * 3_600_000,
  });
  runtime = await startRuntime({
    emulator,
    logSink: (line) => runtimeLogs.push(line),
    retryDelayMs: 20,
    userData: {
      KVL_POLL_INTERVAL_MS: '100',
      KVL_FIRST_PROBE_AFTER_MS: firstProbeForSpeed(200),
      KVL_LOG_LEVEL: 'debug',
    },
  });
});

afterAll(async () => {
  await runtime?.close();
  await emulator?.close();
  restore?.();
});

describe('secrets: recognisable AK, SK and security token never show', () => {
  it('in any log line, event, error, request log or CLI output of an end-to-end run', async () => {
    // Arrange
    const world = emulator.config().world;
    const second = newInstance('kvl-secrets-second');
    const third = newInstance('kvl-secrets-third');
    const linkArgs = (instance: string) => [
      'link',
      '--instance',
      instance,
      '--client-vpc',
      world.clientVpcId,
      '--client-subnet',
      world.clientSubnetId,
    ];

    // Act: successes through the chain and in-process, a refusal, a rejected map, a failed
    // authentication, a bad request through the queue, status, reconcile, unlink, a child process.
    const codes: Record<string, number> = {};
    codes.queue = await cli([
      ...linkArgs(world.instanceId),
      '--via',
      'queue',
      '--wait',
      '--json',
      '--timeout',
      '60',
    ]);
    codes.direct = await cli([...linkArgs(second), '--json', '--timeout', '60']);
    codes.refused = await cli([
      'link',
      '--instance',
      world.instanceId,
      '--client-vpc',
      world.instanceVpcId,
      '--client-subnet',
      world.instanceSubnetId,
    ]);
    codes.badRequest = await cli([
      ...linkArgs(third).slice(0, 5),
      '--client-subnet',
      world.instanceSubnetId,
      '--via',
      'queue',
      '--wait',
      '--timeout',
      '60',
    ]);
    emulator.addFaults([
      {
        match: { method: 'POST', path: '*/crossvpc/modify' },
        kind: 'status',
        status: 400,
        code: 'DMS.00400005',
        count: 1,
      },
      { match: { path: '*/vpc-endpoints' }, kind: 'status', status: 503, count: 2 },
    ]);
    codes.rejectedMap = await cli([...linkArgs(third), '--timeout', '60']);
    codes.wrongSk = await cli(['status', '--json'], { HUAWEICLOUD_SDK_SK: WRONG_SK });
    codes.status = await cli(['status', '--json']);
    codes.reconcile = await cli(['reconcile', '--json']);
    codes.unlink = await cli(['unlink', '--instance', second, '--json']);
    codes.childLink = await cliProcess([...linkArgs(second), '--json', '--timeout', '60']);
    codes.childWrongSk = await cliProcess(['status'], { HUAWEICLOUD_SDK_SK: WRONG_SK });
    await runtime.idle();

    // Assert: the run did what it says (so the scan covers real traffic) ...
    expect(codes).toMatchObject({
      queue: 0,
      direct: 0,
      // Refused because of what they name (own VPC; a subnet of another VPC): exit 2.
      refused: 2,
      badRequest: 2,
      rejectedMap: 1,
      unlink: 0,
      childLink: 0,
    });
    // status exits 1 while a link is failed (the third one); it must still have answered.
    expect([0, 1]).toContain(codes.status);
    expect(codes.wrongSk).not.toBe(0);
    expect(codes.childWrongSk).not.toBe(0);

    // ... and no secret shows anywhere.
    const agency = emulator.world.temporaryCredentials.filter((c) => c.ak !== CANARY.ak);
    expect(agency.length).toBeGreaterThan(0);
    const needles = [
      CANARY.ak,
      CANARY.sk,
      CANARY.securityToken,
      WRONG_SK,
      emulator.config().sk,
      ...agency.flatMap((c) => [c.ak, c.sk, c.securityToken]),
    ];
    const haystacks: Array<[string, string[]]> = [
      ['runtime log lines', runtimeLogs],
      ['process stdout/stderr', processOutput],
      ['CLI output', cliOutput],
      [
        'SMN messages (events and chain)',
        emulator.world.messages.map((m) => `${m.subject ?? ''} ${m.message}`),
      ],
      [
        'invocation results and errors',
        runtime.invocations.map((r) => JSON.stringify({ result: r.result, error: r.error })),
      ],
      ['async failures', runtime.failures.map((f) => JSON.stringify(f))],
      ['request log', emulator.requests().map((r) => JSON.stringify(r))],
    ];
    const hits: string[] = [];
    let scanned = 0;
    for (const [where, lines] of haystacks) {
      for (const line of lines) {
        scanned++;
        for (const needle of needles) {
          if (line.includes(needle))
            hits.push(
              `${where}: …${line.slice(Math.max(0, line.indexOf(needle) - 60), line.indexOf(needle))}<secret>`,
            );
        }
      }
    }
    recordSize(import.meta.filename, {
      linesScanned: scanned,
      secrets: needles.length,
      cliRuns: Object.keys(codes).length,
      events: emulator.world.messages.length,
    });
    expect(scanned).toBeGreaterThan(100);
    expect(hits).toEqual([]);
  }, 120_000);
});
