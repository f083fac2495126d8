/**
 * librdkafka, through kcat, against the data plane. kcat is not a project dependency: the tests
 * are skipped, saying so in their names, where it is not installed (Debian: apt-get install kcat).
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorld, type World } from '../../helpers/dataplane.js';

function kcatPath(): string | undefined {
  try {
    return execFileSync('sh', ['-c', 'command -v kcat'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

const kcat = kcatPath();
const suffix = kcat ? '' : ' (skipped: kcat not installed)';

/** Runs kcat without blocking the event loop (the brokers answer in this process). */
function run(args: string[], input = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(kcat!, args, { timeout: 20_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin!.end(input);
  });
}

describe.skipIf(!kcat)(`data plane with librdkafka (kcat)${suffix}`, () => {
  let world: World;
  const users = [{ username: 'kvl-user', password: 'kcat-pass' }];
  const sasl = (password: string) => [
    '-X',
    'security.protocol=SASL_PLAINTEXT',
    '-X',
    'sasl.mechanisms=SCRAM-SHA-512',
    '-X',
    'sasl.username=kvl-user',
    '-X',
    `sasl.password=${password}`,
  ];

  beforeAll(async () => {
    world = await startWorld({
      securityProtocol: 'SASL_PLAINTEXT',
      sasl: { mechanisms: ['SCRAM-SHA-512'], users },
    });
  });
  afterAll(async () => {
    await world.close();
  });

  it('reads metadata, produces and consumes one partition without a group over SCRAM-SHA-512', async () => {
    // Arrange
    const common = ['-b', world.bootstrap, ...sasl('kcat-pass')];

    // Act
    const metadata = await run([...common, '-L', '-J']);
    const produced = await run(
      [...common, '-P', '-t', 'kvl-verify', '-p', '2', '-X', 'linger.ms=0'],
      'one\ntwo\n',
    );
    const consumed = await run([
      ...common,
      '-C',
      '-t',
      'kvl-verify',
      '-p',
      '2',
      '-o',
      'beginning',
      '-e',
      '-J',
    ]);

    // Assert
    expect(metadata.code, metadata.stderr).toBe(0);
    const md = JSON.parse(metadata.stdout);
    expect(md.brokers).toEqual(
      [1, 2, 3].map((id) => ({ id, name: `${world.advertised.get(id)!.host}:9011` })),
    );
    expect(
      md.topics[0].partitions.map((p: { partition: number; leader: number }) => [p.partition, p.leader]),
    ).toEqual([
      [0, 1],
      [1, 2],
      [2, 3],
    ]);
    expect(produced.code, produced.stderr).toBe(0);
    expect(consumed.code, consumed.stderr).toBe(0);
    const records = consumed.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(
      records.map((r: { offset: number; payload: string; broker: number }) => [
        r.offset,
        r.payload,
        r.broker,
      ]),
    ).toEqual([
      [0, 'one', 3],
      [1, 'two', 3],
    ]);
  });

  it('is refused with a wrong password', async () => {
    // Act
    const result = await run(['-b', world.bootstrap, ...sasl('wrong'), '-L', '-m', '1']);

    // Assert
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/SASL authentication error/);
  });
});

describe.skipIf(!kcat)(`data plane with librdkafka (kcat) over SASL_SSL${suffix}`, () => {
  let world: World;
  let dir: string;
  let caFile: string;

  beforeAll(async () => {
    world = await startWorld({
      securityProtocol: 'SASL_SSL',
      sasl: { mechanisms: ['PLAIN'], users: [{ username: 'kvl-user', password: 'tls-pass' }] },
    });
    dir = await mkdtemp(join(tmpdir(), 'kvl-dataplane-'));
    caFile = join(dir, 'ca.pem');
    await writeFile(caFile, world.cluster.caCertificatePem!);
  });
  afterAll(async () => {
    await world.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('verifies the broker certificate against the generated CA and produces and consumes', async () => {
    // Arrange
    const common = [
      '-b',
      world.bootstrap,
      '-X',
      'security.protocol=SASL_SSL',
      '-X',
      `ssl.ca.location=${caFile}`,
      '-X',
      'sasl.mechanisms=PLAIN',
      '-X',
      'sasl.username=kvl-user',
      '-X',
      'sasl.password=tls-pass',
    ];

    // Act
    const produced = await run(
      [...common, '-P', '-t', 'kvl-verify', '-p', '1', '-X', 'linger.ms=0'],
      'tls\n',
    );
    const consumed = await run([
      ...common,
      '-C',
      '-t',
      'kvl-verify',
      '-p',
      '1',
      '-o',
      'beginning',
      '-e',
      '-f',
      '%o:%s\n',
    ]);
    const untrusted = await run([
      '-b',
      world.bootstrap,
      '-X',
      'security.protocol=SASL_SSL',
      '-X',
      'sasl.mechanisms=PLAIN',
      '-X',
      'sasl.username=kvl-user',
      '-X',
      'sasl.password=tls-pass',
      '-L',
      '-m',
      '1',
    ]);

    // Assert
    expect(produced.code, produced.stderr).toBe(0);
    expect(consumed.code, consumed.stderr).toBe(0);
    expect(consumed.stdout).toBe('0:tls\n');
    expect(untrusted.code).not.toBe(0);
    expect(untrusted.stderr).toMatch(/certificate verify failed/);
  });
});
