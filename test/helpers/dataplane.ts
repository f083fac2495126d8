/**
 * Shared set-up for the data-plane tests: a cluster whose brokers listen on 127.10.N.x (ephemeral
 * ports) and endpoint listeners on 127.20.N.x:9011, N derived from the worker's pid so parallel
 * test files do not collide. kafkajs is the real client; its retries are kept low so negative
 * cases fail fast.
 */
import { Kafka, type KafkaConfig, logLevel } from 'kafkajs';
import {
  createKafkaCluster,
  type EndpointListener,
  type HostPort,
  type KafkaCluster,
  type KafkaClusterOptions,
  openEndpointListener,
} from '../../local/dataplane/index.js';

let subnetSeq = 0;
/** A third octet per call, unique within this worker and unlikely to collide with other workers. */
export function freshSubnet(): number {
  subnetSeq += 1;
  return ((process.pid * 7 + subnetSeq * 31) % 250) + 1;
}

export interface World {
  cluster: KafkaCluster;
  endpoints: Map<number, EndpointListener>;
  /** Advertised (endpoint) address of each broker. */
  advertised: Map<number, HostPort>;
  bootstrap: string;
  close(): Promise<void>;
}

/**
 * Three brokers (ids 1..3), topic kvl-verify with partition i led by broker i+1, one endpoint per
 * broker. `route` says which broker each endpoint forwards to (default: its own, the right pairing).
 */
export async function startWorld(
  options: Partial<Pick<KafkaClusterOptions, 'securityProtocol' | 'sasl'>> & {
    route?: (brokerId: number) => number;
  } = {},
): Promise<World> {
  const n = freshSubnet();
  const ids = [1, 2, 3];
  const advertised = new Map(ids.map((id) => [id, { host: `127.20.${n}.${10 + id}`, port: 9011 }]));
  const cluster = await createKafkaCluster({
    brokers: ids.map((id) => ({ id, listenHost: `127.10.${n}.${id}` })),
    advertised: (id) => advertised.get(id)!,
    securityProtocol: options.securityProtocol ?? 'PLAINTEXT',
    ...(options.sasl ? { sasl: options.sasl } : {}),
    topics: [{ name: 'kvl-verify' }],
  });
  const endpoints = new Map<number, EndpointListener>();
  try {
    for (const id of ids) {
      const target = cluster.listenerOf(options.route ? options.route(id) : id);
      endpoints.set(id, await openEndpointListener({ host: advertised.get(id)!.host, port: 9011, target }));
    }
  } catch (err) {
    await Promise.all([...endpoints.values()].map((e) => e.close()));
    await cluster.close();
    throw err;
  }
  return {
    cluster,
    endpoints,
    advertised,
    bootstrap: `${advertised.get(1)!.host}:9011`,
    async close() {
      await Promise.all([...endpoints.values()].map((e) => e.close()));
      await cluster.close();
    },
  };
}

export function client(world: World, extra: Partial<KafkaConfig> = {}): Kafka {
  return new Kafka({
    clientId: 'dataplane-test',
    brokers: [world.bootstrap],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1000,
    requestTimeout: 5000,
    retry: { retries: 0 },
    ...extra,
  });
}

/**
 * Fetches one partition from an offset without a consumer group, through kafkajs's own cluster
 * and broker code (connection, SASL, version negotiation, record-batch decoding): kafkajs's public
 * consumer always joins a group, which this data plane does not serve.
 */
export async function fetchPartition(
  kafka: Kafka,
  topic: string,
  partition: number,
  fetchOffset: bigint,
  maxWaitTime = 0,
): Promise<{
  errorCode: number;
  highWatermark: string;
  messages: { offset: string; value: Buffer | null }[];
}> {
  const k = kafka as any;
  const create = Object.getOwnPropertySymbols(k).find(
    (s) => s.description === 'private:Kafka:createCluster',
  )!;
  const cluster = k[create]({ metadataMaxAge: 300_000 });
  await cluster.connect();
  try {
    await cluster.addTargetTopic(topic);
    const leaders = cluster.findLeaderForPartitions(topic, [partition]) as Record<string, number[]>;
    const nodeId = Number(Object.keys(leaders)[0]);
    const broker = await cluster.findBroker({ nodeId });
    const response = await broker.fetch({
      maxWaitTime,
      minBytes: 1,
      topics: [
        { topic, partitions: [{ partition, fetchOffset: fetchOffset.toString(), maxBytes: 1_048_576 }] },
      ],
    });
    return response.responses[0].partitions[0];
  } finally {
    await cluster.disconnect();
  }
}
