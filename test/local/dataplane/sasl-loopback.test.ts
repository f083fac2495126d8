import net from 'node:net';
import type { SASLOptions } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  assertLoopback,
  createKafkaCluster,
  isLoopbackIPv4,
  KafkaClusterConfigError,
  NonLoopbackAddressError,
  openEndpointListener,
} from '../../../local/dataplane/index.js';
import { client, fetchPartition, freshSubnet, startWorld, type World } from '../../helpers/dataplane.js';

const users = [{ username: 'kvl-user', password: 'S3cret,=pass' }];

describe('data plane over SASL_PLAINTEXT', () => {
  let world: World;

  beforeAll(async () => {
    world = await startWorld({
      securityProtocol: 'SASL_PLAINTEXT',
      sasl: { mechanisms: ['PLAIN', 'SCRAM-SHA-512'], users },
    });
  });
  afterAll(async () => {
    await world.close();
  });

  for (const mechanism of ['plain', 'scram-sha-512'] as const) {
    it(`authenticates ${mechanism} and serves produce and fetch`, async () => {
      // Arrange
      const kafka = client(world, {
        sasl: { mechanism, username: 'kvl-user', password: 'S3cret,=pass' } as SASLOptions,
      });
      const producer = kafka.producer();
      await producer.connect();
      try {
        // Act
        const sent = await producer.send({
          topic: 'kvl-verify',
          messages: [{ partition: 1, value: mechanism }],
        });
        const fetched = await fetchPartition(kafka, 'kvl-verify', 1, BigInt(sent[0]!.baseOffset!));

        // Assert
        expect(sent[0]!.errorCode).toBe(0);
        expect(fetched.messages.map((m) => m.value?.toString())).toEqual([mechanism]);
      } finally {
        await producer.disconnect();
      }
    });

    it(`refuses ${mechanism} with a wrong password, without echoing it`, async () => {
      // Arrange
      const kafka = client(world, {
        sasl: { mechanism, username: 'kvl-user', password: 'wrong-password' } as SASLOptions,
      });
      const admin = kafka.admin();

      // Act
      const connecting = admin.connect();

      // Assert
      const err = await connecting.then(
        () => undefined,
        (e: Error) => e,
      );
      await admin.disconnect();
      expect(err?.name).toBe('KafkaJSSASLAuthenticationError');
      expect(String(err?.message)).not.toContain('wrong-password');
    });
  }

  it('refuses an unknown user and a mechanism that is not enabled', async () => {
    // Arrange
    const unknown = client(world, {
      sasl: { mechanism: 'plain', username: 'nobody', password: 'S3cret,=pass' },
    });
    const sha256 = client(world, {
      sasl: { mechanism: 'scram-sha-256', username: 'kvl-user', password: 'S3cret,=pass' },
    });

    // Act
    const a = unknown.admin();
    const b = sha256.admin();
    const results = await Promise.allSettled([a.connect(), b.connect()]);
    await Promise.all([a.disconnect(), b.disconnect()]);

    // Assert
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(String((results[1] as PromiseRejectedResult).reason.message)).toMatch(
      /does not support the requested SASL mechanism/i,
    );
  });

  it('drops a connection that sends a Metadata request before authenticating', async () => {
    // Arrange: Metadata v1 with a null topic list, sent raw
    const body = Buffer.from([0, 3, 0, 1, 0, 0, 0, 7, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    const size = Buffer.alloc(4);
    size.writeInt32BE(body.length);
    const { host, port } = world.advertised.get(1)!;

    // Act
    const outcome = await new Promise<{ bytes: number }>((resolve) => {
      let bytes = 0;
      const s = net.connect({ host, port }, () => s.write(Buffer.concat([size, body])));
      s.on('data', (d) => {
        bytes += d.length;
      });
      s.on('close', () => resolve({ bytes }));
    });

    // Assert
    expect(outcome.bytes).toBe(0);
  });
});

describe('loopback guard', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.10.0.5', true],
    ['127.255.255.255', true],
    ['10.0.0.1', false],
    ['128.0.0.1', false],
    ['0.0.0.0', false],
    ['localhost', false],
    ['::1', false],
    ['::ffff:127.0.0.1', false],
    ['127.1', false],
    ['127.0.0.01', false],
    ['127.0.0.256', false],
    [' 127.0.0.1', false],
  ])('%s is loopback: %s', (host, expected) => {
    expect(isLoopbackIPv4(host)).toBe(expected);
  });

  it('refuses 10.0.0.1 for connect and listen with a typed error', () => {
    expect(() => assertLoopback('10.0.0.1', 'connect')).toThrow(NonLoopbackAddressError);
    expect(() => assertLoopback('10.0.0.1', 'listen')).toThrow(/only IPv4 addresses in 127\.0\.0\.0\/8/);
  });

  it('refuses an endpoint listener or a broker on 10.0.0.1', async () => {
    await expect(
      openEndpointListener({ host: '10.0.0.1', target: { host: '127.0.0.1', port: 1 } }),
    ).rejects.toThrow(NonLoopbackAddressError);
    await expect(
      createKafkaCluster({
        brokers: [{ id: 0, listenHost: '10.0.0.1' }],
        advertised: () => ({ host: '127.0.0.1', port: 9011 }),
        securityProtocol: 'PLAINTEXT',
      }),
    ).rejects.toThrow(NonLoopbackAddressError);
  });

  it('never forwards an endpoint connection to a target outside loopback', async () => {
    // Arrange: an endpoint whose target is 10.0.0.1
    const host = `127.20.${freshSubnet()}.99`;
    let asked = 0;
    const endpoint = await openEndpointListener({
      host,
      port: 0,
      target: () => {
        asked += 1;
        return { host: '10.0.0.1', port: 9092 };
      },
    });
    try {
      // Act: the client connection is accepted, then closed at once without any outbound connect
      const closed = await new Promise<boolean>((resolve) => {
        const s = net.connect({ host, port: endpoint.port });
        s.on('error', () => undefined);
        s.on('close', () => resolve(true));
      });

      // Assert
      expect(closed).toBe(true);
      expect(asked).toBe(1);
      expect(endpoint.connectionCount).toBe(0);
    } finally {
      await endpoint.close();
    }
  });

  it('names the field of a bad cluster configuration', async () => {
    await expect(
      createKafkaCluster({
        brokers: [{ id: 0, listenHost: '127.0.0.1' }],
        advertised: () => ({ host: '127.0.0.1', port: 9011 }),
        securityProtocol: 'SASL_PLAINTEXT',
      }),
    ).rejects.toMatchObject({ name: 'KafkaClusterConfigError', field: 'sasl' });
    await expect(
      createKafkaCluster({
        brokers: [{ id: 0, listenHost: '127.0.0.1' }],
        advertised: () => ({ host: '127.0.0.1', port: 9011 }),
        securityProtocol: 'PLAINTEXT',
        topics: [{ name: 't', leaders: [5] }],
      }),
    ).rejects.toBeInstanceOf(KafkaClusterConfigError);
  });
});
