/**
 * Verify through the emulator's data plane with the real client (kafkajs): a linked instance whose
 * brokers answer through the endpoints verifies; exchanged advertised IPs and a deleted endpoint are
 * caught by the brokers' answers and named per broker; every connection made stays in 127.0.0.0/8.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createKafkajsProbe } from '../../../shared/kafka/kafkajs-probe.js';
import { driveLink } from '../../../shared/link/drive.js';
import { reconcile } from '../../../shared/link/reconcile.js';
import { type KafkaProbe, type VerifyResult, verifyLink } from '../../../shared/link/verify.js';
import { systemClock } from '../../../shared/runtime/clock.js';
import { silentLogger } from '../../../shared/runtime/logger.js';
import { startTestCloud, type TestCloud } from '../../helpers/test-cloud.js';

/** Every host a socket of this process connects to, to prove nothing leaves 127.0.0.0/8. */
const contacted: string[] = [];
const originalConnect = net.Socket.prototype.connect;
beforeAll(() => {
  net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
    // net.connect and tls.connect pass their normalized arguments as one array.
    const first = Array.isArray(args[0]) ? args[0][0] : args[0];
    const host =
      typeof first === 'object' && first !== null
        ? ((first as { host?: string; path?: string }).host ??
          (first as { path?: string }).path ??
          'localhost')
        : typeof args[1] === 'string'
          ? args[1]
          : 'localhost';
    contacted.push(String(host));
    return (originalConnect as (...a: unknown[]) => net.Socket).apply(this, args);
  } as typeof net.Socket.prototype.connect;
});
afterAll(() => {
  net.Socket.prototype.connect = originalConnect;
});

let cloud: TestCloud;
let probe: KafkaProbe;

beforeEach(async () => {
  cloud = await startTestCloud({ dataPlane: true });
  const kafka = cloud.config.kafka!;
  probe = createKafkajsProbe({
    securityProtocol: kafka.securityProtocol,
    ...(kafka.saslMechanism ? { saslMechanism: kafka.saslMechanism } : {}),
    username: kafka.username!,
    password: kafka.password!,
    caPem: readFileSync(kafka.caFile!, 'utf8'),
    retries: 0,
  });
  const result = await driveLink(cloud.deps, cloud.request, cloud.budget());
  expect(result.outcome).toBe('completed');
  cloud.settle();
});
afterEach(async () => {
  await probe.close();
  await cloud.close();
});

async function verify(): Promise<VerifyResult> {
  return verifyLink(
    {
      dms: cloud.deps.dms,
      vpcep: cloud.deps.vpcep,
      clock: systemClock,
      logger: silentLogger,
      openProbe: () => probe,
    },
    { instanceId: cloud.request.instanceId },
  );
}

describe('verify through the data plane', () => {
  it('verifies a correct link: every broker once at its endpoint IP, canary produced and read back', async () => {
    // Arrange
    const endpointIps = cloud.emulator.world.endpoints.map((e) => e.ip).sort();

    // Act
    const result = await verify();

    // Assert
    expect(result.problems).toEqual([]);
    expect(result.healthy).toBe(true);
    expect(result.brokers.map((b) => b.brokerId)).toEqual([0, 1, 2]);
    expect(result.brokers.map((b) => b.host).sort()).toEqual(endpointIps);
    for (const b of result.brokers) {
      expect(b).toMatchObject({
        port: 9011,
        reachable: true,
        leaderAnswered: true,
        healthy: true,
        problems: [],
      });
      expect(b.expectedHost).toBe(b.host);
      expect(b.produceMs).toBeGreaterThanOrEqual(0);
      expect(b.consumeMs).toBeGreaterThanOrEqual(0);
    }
    expect(contacted.length).toBeGreaterThan(0);
    expect(contacted.filter((h) => !/^127\.\d+\.\d+\.\d+$/.test(h))).toEqual([]);
  });

  it('fails naming both brokers when two advertised IPs are exchanged, and passes after reconcile --repair', async () => {
    // Arrange: exchange the advertised IPs of brokers 0 and 1 through the DMS API
    const brokers = cloud.instance().brokers;
    const map = Object.fromEntries(brokers.map((b) => [b.listenerIp, b.advertisedIp]));
    map[brokers[0]!.listenerIp] = brokers[1]!.advertisedIp;
    map[brokers[1]!.listenerIp] = brokers[0]!.advertisedIp;
    await cloud.deps.dms.modifyCrossVpc(cloud.request.instanceId, map);
    cloud.settle(60_000);

    // Act
    const broken = await verify();

    // Assert: both named, both by the metadata check and by their (wrong) leaders' answers
    expect(broken.healthy).toBe(false);
    expect(broken.unhealthyBrokers).toEqual([0, 1]);
    for (const id of [0, 1]) {
      const b = broken.brokers.find((x) => x.brokerId === id)!;
      expect(b.leaderAnswered).toBe(false);
      expect(b.problems.join('\n')).toMatch(/endpoint of its own port/);
      expect(b.problems.join('\n')).toMatch(/produce to kvl-verify\/\d through .* failed/);
    }
    expect(broken.brokers.find((x) => x.brokerId === 2)!.healthy).toBe(true);

    // Act: reconcile --repair, carried out in-process as the CLI does
    const repairing = await reconcile(cloud.deps, { repair: true });
    for (const action of repairing.actions)
      if (action.kind === 'request-link') await driveLink(cloud.deps, action.request, cloud.budget());
    cloud.settle();
    const repaired = await verify();

    // Assert
    expect(repaired.problems).toEqual([]);
    expect(repaired.healthy).toBe(true);
  });

  it('reports the broker of a deleted endpoint unhealthy (its listener closes)', async () => {
    // Arrange: delete the endpoint broker 2 advertises
    const victimIp = cloud.instance().brokers[2]!.advertisedIp;
    const victim = cloud.emulator.world.endpoints.find((e) => e.ip === victimIp)!;
    await cloud.deps.vpcep.deleteEndpoint(victim.id);
    cloud.settle();

    // Act
    const result = await verify();

    // Assert
    expect(result.healthy).toBe(false);
    expect(result.unhealthyBrokers).toEqual([2]);
    const b2 = result.brokers.find((b) => b.brokerId === 2)!;
    expect(b2.reachable).toBe(false);
    expect(b2.problems.join('\n')).toMatch(/unreachable at .*:9011/);
    expect(cloud.emulator.dataPlane!.openEndpoints().map((e) => e.host)).not.toContain(victimIp);
  });
});
