/**
 * The verify step's Kafka client: `KafkaProbe` on kafkajs. kafkajs is pure JavaScript (no native
 * librdkafka to build for FunctionGraph's Node runtime), speaks SASL PLAIN / SCRAM-SHA-512 over TLS
 * as DMS needs, and is imported here only, so only the verify function's bundle carries it.
 *
 * Reading the canary back needs a fetch of one partition without a consumer group: a probe must not
 * leave consumer groups on the customer's cluster, and kafkajs's public consumer always joins one.
 * So `fetch` uses kafkajs's own cluster and broker code (connection, SASL, version negotiation,
 * record decoding) through the `private:Kafka:createCluster` entry of kafkajs 2.2.4 (pinned); if a
 * kafkajs upgrade removes it, `fetch` fails with `KafkaProbeError` saying so, and the verify tests fail.
 */
import net from 'node:net';
import { Kafka, type KafkaConfig, logLevel, type Producer, type SASLOptions } from 'kafkajs';
import type { KafkaProbe, ProbeMetadata } from '../link/verify.js';

export type ProbeSecurityProtocol = 'PLAINTEXT' | 'SASL_PLAINTEXT' | 'SASL_SSL';
export type ProbeSaslMechanism = 'PLAIN' | 'SCRAM-SHA-512';

export interface KafkajsProbeOptions {
  securityProtocol: ProbeSecurityProtocol;
  saslMechanism?: ProbeSaslMechanism;
  username?: string;
  password?: string;
  /** PEM of the CA that issued the brokers' certificate (SASL_SSL); default: Node's trust store. */
  caPem?: string;
  /** Per-connection timeout; default 3 s. */
  connectionTimeoutMs?: number;
  /** Per-request timeout; default 10 s. */
  requestTimeoutMs?: number;
  /** kafkajs retries of one call; default 1 (a wrong leader must fail fast, not after a minute). */
  retries?: number;
}

export class KafkaProbeError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KafkaProbeError';
  }
}

interface PrivateBroker {
  fetch(request: unknown): Promise<{
    responses: Array<{
      partitions: Array<{ errorCode: number; messages: Array<{ offset: string; value: Buffer | null }> }>;
    }>;
  }>;
}
interface PrivateCluster {
  brokerPool: { metadata?: { brokers: Array<{ nodeId: number; host: string; port: number }> } };
  connect(): Promise<void>;
  refreshMetadata(): Promise<void>;
  findTopicPartitionMetadata(topic: string): Array<{ partitionId: number; leader: number }>;
  disconnect(): Promise<void>;
  addTargetTopic(topic: string): Promise<void>;
  findLeaderForPartitions(topic: string, partitions: number[]): Record<string, number[]>;
  findBroker(input: { nodeId: number }): Promise<PrivateBroker>;
}

function kafkaConfig(brokers: string[], options: KafkajsProbeOptions): KafkaConfig {
  const { securityProtocol: protocol } = options;
  if (protocol !== 'PLAINTEXT' && protocol !== 'SASL_PLAINTEXT' && protocol !== 'SASL_SSL')
    throw new KafkaProbeError(`securityProtocol: must be PLAINTEXT, SASL_PLAINTEXT or SASL_SSL`);
  let sasl: SASLOptions | undefined;
  if (protocol !== 'PLAINTEXT') {
    if (!options.username || !options.password)
      throw new KafkaProbeError(`username/password: required for ${protocol}`);
    const mechanism = options.saslMechanism ?? 'PLAIN';
    if (mechanism !== 'PLAIN' && mechanism !== 'SCRAM-SHA-512')
      throw new KafkaProbeError('saslMechanism: must be PLAIN or SCRAM-SHA-512');
    sasl =
      mechanism === 'PLAIN'
        ? { mechanism: 'plain', username: options.username, password: options.password }
        : { mechanism: 'scram-sha-512', username: options.username, password: options.password };
  }
  return {
    clientId: 'kvl-verify',
    brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: options.connectionTimeoutMs ?? 3_000,
    requestTimeout: options.requestTimeoutMs ?? 10_000,
    retry: { retries: options.retries ?? 1, initialRetryTime: 100, maxRetryTime: 1_000 },
    ...(sasl ? { sasl } : {}),
    // The brokers are reached at endpoint IPs in the client VPC, which their certificate cannot name
    // (they are chosen after the instance exists): check the chain against the CA, not the host name.
    ...(protocol === 'SASL_SSL'
      ? { ssl: { ...(options.caPem ? { ca: [options.caPem] } : {}), checkServerIdentity: () => undefined } }
      : {}),
  };
}

export function createKafkajsProbe(options: KafkajsProbeOptions): KafkaProbe {
  kafkaConfig([], options); // validates the options before any connection
  let kafka: Kafka | undefined;
  let producer: Producer | undefined;
  let cluster: PrivateCluster | undefined;

  const connected = (): Kafka => {
    if (!kafka) throw new KafkaProbeError('metadata() must answer before produce/fetch');
    return kafka;
  };

  const privateCluster = async (): Promise<PrivateCluster> => {
    if (cluster) return cluster;
    const k = connected() as unknown as Record<symbol, (o: object) => PrivateCluster>;
    const create = Object.getOwnPropertySymbols(k).find(
      (s) => s.description === 'private:Kafka:createCluster',
    );
    const factory = create ? k[create] : undefined;
    if (typeof factory !== 'function')
      throw new KafkaProbeError(
        'this kafkajs has no private:Kafka:createCluster (kafkajs 2.2.4 is required)',
      );
    const created = factory.call(k, { metadataMaxAge: 300_000, allowAutoTopicCreation: false });
    await created.connect();
    cluster = created;
    return created;
  };

  const topicLeaders = async (topic: string): Promise<ProbeMetadata['partitions']> => {
    const c = await privateCluster();
    try {
      await c.addTargetTopic(topic);
    } catch (error) {
      if ((error as { type?: string }).type === 'UNKNOWN_TOPIC_OR_PARTITION') return [];
      throw error;
    }
    return c.findTopicPartitionMetadata(topic).map((p) => ({ partition: p.partitionId, leader: p.leader }));
  };

  return {
    async metadata(bootstrap, topic): Promise<ProbeMetadata> {
      // One Metadata exchange through the bootstrap address that answers. kafkajs's admin asks a
      // random known broker (and fails when that one is unreachable), which would let one dead
      // endpoint hide the others: so this reads the cluster's own first answer.
      const failures: string[] = [];
      for (const address of bootstrap) {
        await this.close();
        kafka = new Kafka(kafkaConfig([address], options));
        try {
          const c = await privateCluster();
          const partitions = await topicLeaders(topic);
          if (!c.brokerPool.metadata) await c.refreshMetadata();
          const brokers = c.brokerPool.metadata?.brokers ?? [];
          return {
            brokers: brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port })),
            partitions,
          };
        } catch (error) {
          failures.push(`${address}: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
      await this.close();
      throw new KafkaProbeError(failures.join('; ') || 'no bootstrap address');
    },

    reach(host, port) {
      return new Promise<void>((resolve, reject) => {
        const socket = net.connect({ host, port });
        socket.setTimeout(options.connectionTimeoutMs ?? 3_000);
        socket.once('connect', () => {
          socket.destroy();
          resolve();
        });
        socket.once('timeout', () => {
          socket.destroy();
          reject(new KafkaProbeError(`connection to ${host}:${port} timed out`));
        });
        socket.once('error', (error) => reject(new KafkaProbeError(error.message, { cause: error })));
      });
    },

    async produce(topic, partition, value) {
      if (!producer) {
        producer = connected().producer({
          allowAutoTopicCreation: false,
          retry: { retries: options.retries ?? 1 },
        });
        await producer.connect();
      }
      const [meta] = await producer.send({ topic, acks: -1, messages: [{ partition, value }] });
      if (meta?.baseOffset === undefined) throw new KafkaProbeError(`no offset for ${topic}/${partition}`);
      return BigInt(meta.baseOffset);
    },

    async fetch(topic, partition, offset) {
      const c = await privateCluster();
      await c.addTargetTopic(topic);
      const leaders = c.findLeaderForPartitions(topic, [partition]);
      const nodeId = Number(Object.keys(leaders)[0]);
      if (!Number.isInteger(nodeId)) throw new KafkaProbeError(`no leader for ${topic}/${partition}`);
      const broker = await c.findBroker({ nodeId });
      const response = await broker.fetch({
        maxWaitTime: 0,
        minBytes: 1,
        topics: [{ topic, partitions: [{ partition, fetchOffset: offset.toString(), maxBytes: 1_048_576 }] }],
      });
      const answer = response.responses[0]?.partitions[0];
      if (!answer) throw new KafkaProbeError(`empty fetch answer for ${topic}/${partition}`);
      if (answer.errorCode !== 0)
        throw new KafkaProbeError(`fetch ${topic}/${partition}: error code ${answer.errorCode}`);
      return answer.messages.find((m) => m.offset === offset.toString())?.value ?? null;
    },

    async close() {
      await producer?.disconnect().catch(() => {});
      await cluster?.disconnect().catch(() => {});
      producer = undefined;
      cluster = undefined;
      kafka = undefined;
    },
  };
}
