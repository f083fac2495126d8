import net from 'node:net';
import type { Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEndpointListener } from '../../../local/dataplane/index.js';
import { client, fetchPartition, startWorld, type World } from '../../helpers/dataplane.js';

describe('data plane with kafkajs over PLAINTEXT', () => {
  let world: World;
  let kafka: Kafka;

  beforeAll(async () => {
    world = await startWorld();
    kafka = client(world);
  });
  afterAll(async () => {
    await world.close();
  });

  it('lists every broker at its advertised address and each partition led by its broker', async () => {
    // Arrange
    const admin = kafka.admin();
    await admin.connect();
    try {
      // Act
      const described = await admin.describeCluster();
      const { topics } = await admin.fetchTopicMetadata({ topics: ['kvl-verify'] });

      // Assert
      expect(described.clusterId).toBe(world.cluster.clusterId);
      expect(described.brokers.sort((a, b) => a.nodeId - b.nodeId)).toEqual(
        [1, 2, 3].map((id) => ({ nodeId: id, host: world.advertised.get(id)!.host, port: 9011 })),
      );
      const partitions = topics[0]!.partitions.sort((a, b) => a.partitionId - b.partitionId);
      expect(partitions.map((p) => [p.partitionId, p.leader])).toEqual([
        [0, 1],
        [1, 2],
        [2, 3],
      ]);
    } finally {
      await admin.disconnect();
    }
  });

  it('reflects a change of an advertised address in the next Metadata answer', async () => {
    // Arrange: cross_vpc_info of broker 3 changes while the cluster runs
    const original = world.advertised.get(3)!;
    const moved = { host: original.host.replace(/\.\d+$/, '.23'), port: 9011 };
    // The client may well connect to broker 3 at its new address: an endpoint listens there too.
    const movedEndpoint = await openEndpointListener({ ...moved, target: world.cluster.listenerOf(3) });
    const admin = client(world).admin();
    await admin.connect();
    try {
      world.advertised.set(3, moved);

      // Act
      const described = await admin.describeCluster();

      // Assert
      expect(described.brokers.find((b) => b.nodeId === 3)).toEqual({ nodeId: 3, ...moved });
    } finally {
      world.advertised.set(3, original);
      await admin.disconnect();
      await movedEndpoint.close();
    }
  });

  it('produces to each partition and fetches the records back from offset 0, without a group', async () => {
    // Arrange
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    try {
      for (const partition of [0, 1, 2]) {
        // Act
        const first = await producer.send({
          topic: 'kvl-verify',
          messages: [
            { partition, value: `a-${partition}` },
            { partition, value: `b-${partition}` },
          ],
        });
        const second = await producer.send({
          topic: 'kvl-verify',
          messages: [{ partition, value: `c-${partition}` }],
        });
        const fetched = await fetchPartition(kafka, 'kvl-verify', partition, 0n);
        const fromOne = await fetchPartition(kafka, 'kvl-verify', partition, 2n);

        // Assert
        expect(first[0]).toMatchObject({ partition, errorCode: 0, baseOffset: '0' });
        expect(second[0]).toMatchObject({ partition, errorCode: 0, baseOffset: '2' });
        expect(fetched.errorCode).toBe(0);
        expect(fetched.highWatermark).toBe('3');
        expect(fetched.messages.map((m) => [m.offset, m.value?.toString()])).toEqual([
          ['0', `a-${partition}`],
          ['1', `b-${partition}`],
          ['2', `c-${partition}`],
        ]);
        expect(fromOne.messages.map((m) => m.value?.toString())).toEqual([`c-${partition}`]);
      }
      expect(world.cluster.highWatermark('kvl-verify', 1)).toBe(3n);
    } finally {
      await producer.disconnect();
    }
  });

  it('answers ListOffsets: earliest, latest and by timestamp', async () => {
    // Arrange: a topic of its own, partition 0 on broker 2, partition 1 on broker 3
    world.cluster.createTopic({ name: 'timed', leaders: [2, 3] });
    const admin = kafka.admin();
    await admin.connect();
    const producer = kafka.producer();
    await producer.connect();
    try {
      const empty = await admin.fetchTopicOffsets('timed');
      await producer.send({
        topic: 'timed',
        messages: [
          { partition: 0, value: 'early', timestamp: '1000000000000' },
          { partition: 0, value: 'middle', timestamp: '1000000003000' },
          { partition: 0, value: 'late', timestamp: '1000000005000' },
        ],
      });

      // Act
      const after = await admin.fetchTopicOffsets('timed');
      const byTime = await admin.fetchTopicOffsetsByTimestamp('timed', 1_000_000_001_000);
      const pastEnd = await admin.fetchTopicOffsetsByTimestamp('timed', 2_000_000_000_000);

      // Assert
      expect(empty.map((o) => [o.partition, o.low, o.high])).toEqual([
        [0, '0', '0'],
        [1, '0', '0'],
      ]);
      expect(after.find((o) => o.partition === 0)).toMatchObject({ low: '0', high: '3' });
      expect(byTime.find((o) => o.partition === 0)!.offset).toBe('1');
      // No record at or after that time: kafkajs falls back to the latest offset.
      expect(pastEnd.find((o) => o.partition === 0)!.offset).toBe('3');
    } finally {
      await producer.disconnect();
      await admin.disconnect();
    }
  });

  it('holds a fetch at the high watermark until a record arrives (long poll)', async () => {
    // Arrange
    const hw = world.cluster.highWatermark('kvl-verify', 2)!;
    const producer = kafka.producer();
    await producer.connect();
    try {
      // Act: a fetch with a 20 s max wait answers as soon as the record is produced
      const started = Date.now();
      const pending = fetchPartition(kafka, 'kvl-verify', 2, hw, 20_000);
      await new Promise((r) => setTimeout(r, 50)); // let the fetch reach the broker (ordering, not time)
      await producer.send({ topic: 'kvl-verify', messages: [{ partition: 2, value: 'woke' }] });
      const fetched = await pending;

      // Assert
      expect(fetched.messages.map((m) => m.value?.toString())).toEqual(['woke']);
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      await producer.disconnect();
    }
  });

  it('cuts a broker off when its endpoint listener closes', async () => {
    // Arrange
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'kvl-verify', messages: [{ partition: 1, value: 'before' }] });
    const endpoint = world.endpoints.get(2)!;
    expect(endpoint.connectionCount).toBeGreaterThan(0);

    // Act
    await endpoint.close();

    // Assert: no listener any more, forwarded connections gone, producing to broker 2 fails
    expect(endpoint.connectionCount).toBe(0);
    const refused = await new Promise<string>((resolve) => {
      const s = net.connect({ host: world.advertised.get(2)!.host, port: 9011 });
      s.once('connect', () => resolve('connected'));
      s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
    });
    expect(refused).toBe('ECONNREFUSED');
    await expect(
      producer.send({ topic: 'kvl-verify', messages: [{ partition: 1, value: 'after' }] }),
    ).rejects.toThrow();
    const other = await producer.send({ topic: 'kvl-verify', messages: [{ partition: 0, value: 'still' }] });
    expect(other[0]!.errorCode).toBe(0);
    await producer.disconnect();
  });
});

describe('data plane with a wrong endpoint pairing', () => {
  let world: World;

  beforeAll(async () => {
    // Broker 1's advertised address forwards to broker 2 and vice versa; broker 3's is right.
    world = await startWorld({ route: (id) => (id === 1 ? 2 : id === 2 ? 1 : id) });
  });
  afterAll(async () => {
    await world.close();
  });

  it('refuses produce with NOT_LEADER_OR_FOLLOWER where the pairing is swapped, serves it where it is right', async () => {
    // Arrange
    const kafka = client(world);
    const producer = kafka.producer({ retry: { retries: 0 } });
    await producer.connect();
    try {
      // Act
      const wrong = producer.send({ topic: 'kvl-verify', messages: [{ partition: 0, value: 'x' }] });
      const right = await producer.send({ topic: 'kvl-verify', messages: [{ partition: 2, value: 'y' }] });

      // Assert
      await expect(wrong).rejects.toMatchObject({ cause: { type: 'NOT_LEADER_FOR_PARTITION', code: 6 } });
      expect(right[0]!.errorCode).toBe(0);
      expect(world.cluster.highWatermark('kvl-verify', 0)).toBe(0n);
    } finally {
      await producer.disconnect();
    }
  });

  it('refuses fetch the same way', async () => {
    // Arrange
    const kafka = client(world);

    // Act
    const fetching = fetchPartition(kafka, 'kvl-verify', 1, 0n);

    // Assert
    await expect(fetching).rejects.toMatchObject({ type: 'NOT_LEADER_FOR_PARTITION' });
  });
});
