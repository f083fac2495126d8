/**
 * `kafka-vpcep-link verify` in-process against the emulator's data plane: exit 0 healthy, 1
 * unhealthy naming the brokers, 2 bad input naming the variable; the SASL password never printed.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../../local/cli.js';
import type { Io } from '../../../local/commands/common.js';
import { driveLink } from '../../../shared/link/drive.js';
import { startTestCloud, type TestCloud } from '../../helpers/test-cloud.js';

interface Captured extends Io {
  stdout: string[];
  stderr: string[];
}
const captureIo = (): Captured => {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (t) => stdout.push(t), err: (t) => stderr.push(t), isTty: false };
};

let cloud: TestCloud;
let env: Record<string, string>;

beforeEach(async () => {
  cloud = await startTestCloud({ dataPlane: true });
  expect((await driveLink(cloud.deps, cloud.request, cloud.budget())).outcome).toBe('completed');
  cloud.settle();
  const kafka = cloud.config.kafka!;
  env = {
    HUAWEICLOUD_ENDPOINT: cloud.config.endpoint,
    HUAWEICLOUD_REGION: cloud.config.region,
    HUAWEICLOUD_SDK_AK: cloud.config.ak,
    HUAWEICLOUD_SDK_SK: cloud.config.sk,
    HUAWEICLOUD_SDK_PROJECT_ID: cloud.config.projectId,
    KVL_KAFKA_USERNAME: kafka.username!,
    KVL_KAFKA_PASSWORD: kafka.password!,
    KVL_KAFKA_CA_FILE: kafka.caFile!,
  };
});
afterEach(async () => {
  await cloud.close();
});

const verify = (io: Io, ...extra: string[]) =>
  main(['node', 'kafka-vpcep-link', 'verify', '--instance', cloud.request.instanceId, ...extra], io, env);

describe('verify through the command line', () => {
  it('exits 0 on a healthy link and prints per-broker JSON without the password', async () => {
    // Arrange
    const io = captureIo();

    // Act
    const code = await verify(io, '--json');

    // Assert
    expect(code).toBe(0);
    const result = JSON.parse(io.stdout.join('\n'));
    expect(result.healthy).toBe(true);
    expect(result.brokers).toHaveLength(3);
    expect([...io.stdout, ...io.stderr].join('\n')).not.toContain(env.KVL_KAFKA_PASSWORD);
  });

  it('exits 1 and names both brokers when two advertised IPs are exchanged', async () => {
    // Arrange
    const brokers = cloud.instance().brokers;
    const map = Object.fromEntries(brokers.map((b) => [b.listenerIp, b.advertisedIp]));
    map[brokers[0]!.listenerIp] = brokers[1]!.advertisedIp;
    map[brokers[1]!.listenerIp] = brokers[0]!.advertisedIp;
    await cloud.deps.dms.modifyCrossVpc(cloud.request.instanceId, map);
    cloud.settle(60_000);
    const io = captureIo();

    // Act
    const code = await verify(io);

    // Assert
    expect(code).toBe(1);
    const text = io.stdout.join('\n');
    expect(text).toMatch(/UNHEALTHY/);
    expect(text).toMatch(/unhealthy brokers: 0, 1$/m);
    expect(text).not.toContain(env.KVL_KAFKA_PASSWORD);
  });

  it('exits 2 naming the variable when the SASL password is missing, and for a bad --instance', async () => {
    // Arrange
    delete env.KVL_KAFKA_PASSWORD;
    const missing = captureIo();
    const bad = captureIo();

    // Act
    const codeMissing = await verify(missing);
    const codeBad = await main(['node', 'kafka-vpcep-link', 'verify', '--instance', 'no/such'], bad, env);

    // Assert
    expect(codeMissing).toBe(2);
    expect(missing.stderr.join('\n')).toMatch(/KVL_KAFKA_PASSWORD: required/);
    expect(codeBad).toBe(2);
    expect(bad.stderr.join('\n')).toMatch(/--instance/);
  });

  it('does not print a wrong password in its failure', async () => {
    // Arrange
    env.KVL_KAFKA_PASSWORD = 'not-the-password-3f9a';
    const io = captureIo();

    // Act
    const code = await verify(io, '--json');

    // Assert
    expect(code).toBe(1);
    expect(JSON.parse(io.stdout.join('\n')).healthy).toBe(false);
    expect([...io.stdout, ...io.stderr].join('\n')).not.toContain('not-the-password-3f9a');
  });
});
