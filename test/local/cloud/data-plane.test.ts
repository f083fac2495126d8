/**
 * The emulator's data-plane mode: every address of the seeded world is loopback, the seeded instance
 * has running brokers behind nothing until endpoints are accepted, an accepted endpoint listens on
 * its IP:9011 and a deleted one stops, and the connection JSON says how to reach the brokers.
 */
import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DataPlaneError } from '../../../local/cloud/data-plane.js';
import { startEmulator } from '../../../local/cloud/index.js';
import type { EmulatorHandle } from '../../../local/cloud/server.js';
import { driveLink } from '../../../shared/link/drive.js';
import { startTestCloud, type TestCloud } from '../../helpers/test-cloud.js';

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('emulator --data-plane', () => {
  let emulator: EmulatorHandle | undefined;
  let cloud: TestCloud | undefined;
  afterEach(async () => {
    await emulator?.close();
    await cloud?.close();
    emulator = undefined;
    cloud = undefined;
  });

  it('seeds every network in 127.0.0.0/8 and gives the connection JSON a kafka key', async () => {
    // Act
    emulator = await startEmulator({ speed: 0, dataPlane: true });
    const config = emulator.config();

    // Assert: the three subnets share the octet the emulator claimed
    const n = /^127\.20\.(\d+)\.0\/24$/.exec(
      emulator.world.subnets.find((s) => s.cidr.startsWith('127.20.'))!.cidr,
    )![1];
    expect(emulator.world.subnets.map((s) => s.cidr).sort()).toEqual([
      `127.10.${n}.0/24`,
      `127.20.${n}.0/24`,
      `127.30.${n}.0/24`,
    ]);
    for (const port of emulator.world.ports) expect(port.ip).toMatch(/^127\./);
    expect(config.kafka).toMatchObject({
      securityProtocol: 'SASL_SSL',
      saslMechanism: 'PLAIN',
      username: 'kvl-verify',
      topic: 'kvl-verify',
    });
    expect(config.kafka?.password).toMatch(/^[\w-]{20,}$/);
    expect(readFileSync(config.kafka!.caFile!, 'utf8')).toMatch(/BEGIN CERTIFICATE/);
  });

  it('has no kafka key and no brokers without the mode', async () => {
    emulator = await startEmulator({ speed: 0 });

    expect(emulator.config().kafka).toBeUndefined();
    expect(emulator.dataPlane).toBeUndefined();
  });

  it('listens on each accepted endpoint IP:9011 only, and closes the listener of a deleted endpoint', async () => {
    // Arrange: brokers run, but before a link nothing listens at the advertised addresses
    cloud = await startTestCloud({ dataPlane: true });
    await cloud.emulator.dataPlane!.idle();
    const listenerIp = cloud.instance().brokers[0]!.listenerIp;
    expect(await canConnect(listenerIp, 9011)).toBe(false);

    // Act: link, then delete one endpoint
    expect((await driveLink(cloud.deps, cloud.request, cloud.budget())).outcome).toBe('completed');
    cloud.settle();
    await cloud.emulator.dataPlane!.idle();
    const endpoints = cloud.emulator.world.endpoints.map((e) => e.ip).sort();
    const open = cloud.emulator.dataPlane!.openEndpoints();
    const reachable = await Promise.all(endpoints.map((ip) => canConnect(ip, 9011)));
    const victim = cloud.emulator.world.endpoints[0]!;
    await cloud.deps.vpcep.deleteEndpoint(victim.id);
    cloud.settle();
    await cloud.emulator.dataPlane!.idle();

    // Assert
    expect(open.map((o) => `${o.host}:${o.port}`).sort()).toEqual(endpoints.map((ip) => `${ip}:9011`));
    expect(reachable).toEqual([true, true, true]);
    expect(await canConnect(victim.ip, 9011)).toBe(false);
    expect(cloud.emulator.dataPlane!.openEndpoints()).toHaveLength(2);
  });

  it('two emulators with a data plane on one machine seed different subnets, and each claim ends with its emulator', async () => {
    // Arrange
    emulator = await startEmulator({ speed: 0, dataPlane: true });
    const clientSubnet = (e: EmulatorHandle) =>
      e.world.subnets.find((s) => s.cidr.startsWith('127.20.'))!.cidr;
    const first = clientSubnet(emulator);
    const octetOf = (cidr: string) => Number(cidr.split('.')[2]);

    // Act
    const second = await startEmulator({ speed: 0, dataPlane: true });
    const secondSubnet = clientSubnet(second);
    const taken = await startEmulator({ speed: 0, dataPlane: { subnetOctet: octetOf(first) } }).then(
      () => undefined,
      (error: unknown) => error,
    );
    await second.close();
    const again = await startEmulator({ speed: 0, dataPlane: { subnetOctet: octetOf(secondSubnet) } });
    await again.close();

    // Assert: the second took another octet; the first's octet is refused by name while it runs;
    // the second's is free again once it closed.
    expect(secondSubnet).not.toBe(first);
    expect(taken).toBeInstanceOf(DataPlaneError);
    expect((taken as Error).message).toContain(`127.20.${octetOf(first)}.0/24`);
    expect((taken as Error).message).toMatch(/held by another emulator/);
  });

  it('removes the CA file when the emulator closes', async () => {
    emulator = await startEmulator({ speed: 0, dataPlane: true });
    const caFile = emulator.config().kafka!.caFile!;

    await emulator.close();

    expect(existsSync(caFile)).toBe(false);
  });
});
