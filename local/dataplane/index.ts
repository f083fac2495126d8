/**
 * The emulated Kafka data plane: a cluster of brokers on loopback addresses that unmodified Kafka
 * clients can use, and the endpoint listeners through which the client VPC reaches them. Every
 * address used here must be in 127.0.0.0/8 (see loopback.ts). Served protocol: docs/DATAPLANE.md.
 */
import { randomBytes } from 'node:crypto';
import {
  type ClusterModel,
  type HostPort,
  KafkaBroker,
  PartitionLog,
  type SecurityProtocol,
} from './broker.js';
import { type CertificateAuthority, createCertificateAuthority } from './certificates.js';
import { assertLoopback, isLoopbackIPv4 } from './loopback.js';
import { SASL_MECHANISMS, SaslCredentials, type SaslMechanism, type SaslUser } from './sasl.js';

export type { HostPort, SecurityProtocol } from './broker.js';
export { SERVED_VERSIONS } from './broker.js';
export { type CertificateAuthority, CertificateError, createCertificateAuthority } from './certificates.js';
export {
  ENDPOINT_PORT,
  type EndpointListener,
  type EndpointListenerOptions,
  openEndpointListener,
} from './endpoint-listener.js';
export { assertLoopback, InvalidPortError, isLoopbackIPv4, NonLoopbackAddressError } from './loopback.js';
export type { SaslMechanism, SaslUser } from './sasl.js';

export class KafkaClusterConfigError extends Error {
  readonly field: string;
  constructor(field: string, message: string) {
    super(`${field}: ${message}`);
    this.name = 'KafkaClusterConfigError';
    this.field = field;
  }
}

export interface TopicSpec {
  name: string;
  /** Leader broker id of each partition, by partition index. Default: one partition per broker, partition i led by brokers[i]. */
  leaders?: readonly number[];
}

export interface KafkaClusterOptions {
  /** Each broker's id and the loopback host (and optional port, default ephemeral) of its own listener. */
  brokers: readonly { id: number; listenHost: string; listenPort?: number }[];
  /** Address Metadata gives for a broker (cross_vpc_info); read on every Metadata request. */
  advertised: (brokerId: number) => HostPort;
  securityProtocol: SecurityProtocol;
  /** Required for SASL_PLAINTEXT and SASL_SSL: the enabled mechanisms and the users. */
  sasl?: { mechanisms: readonly SaslMechanism[]; users: readonly SaslUser[] };
  /** SASL_SSL: the CA that issues the brokers' certificate; default: one generated for this cluster. */
  certificateAuthority?: CertificateAuthority;
  topics?: readonly TopicSpec[];
  clusterId?: string;
}

export interface KafkaCluster {
  readonly clusterId: string;
  /** Each broker's own listener (not reachable from the client VPC; target of endpoint listeners). */
  listenerOf(brokerId: number): HostPort;
  readonly brokerIds: readonly number[];
  /** SASL_SSL: the PEM certificate of the CA clients must trust; undefined otherwise. */
  readonly caCertificatePem: string | undefined;
  /** Adds a topic (same defaults as `topics`); refused if it exists. */
  createTopic(spec: TopicSpec): void;
  /** Next offset to be assigned in a partition; undefined for an unknown partition. */
  highWatermark(topic: string, partition: number): bigint | undefined;
  close(): Promise<void>;
}

export async function createKafkaCluster(options: KafkaClusterOptions): Promise<KafkaCluster> {
  const ids = options.brokers.map((b) => b.id);
  if (ids.length === 0) throw new KafkaClusterConfigError('brokers', 'at least one broker is required');
  options.brokers.forEach((b, i) => {
    if (!Number.isInteger(b.id) || b.id < 0 || b.id > 2_147_483_647)
      throw new KafkaClusterConfigError(`brokers[${i}].id`, 'must be an integer in 0..2147483647');
    assertLoopback(b.listenHost, 'listen');
  });
  if (new Set(ids).size !== ids.length)
    throw new KafkaClusterConfigError('brokers', 'broker ids must be unique');
  const protocol = options.securityProtocol;
  if (protocol !== 'PLAINTEXT' && protocol !== 'SASL_PLAINTEXT' && protocol !== 'SASL_SSL')
    throw new KafkaClusterConfigError('securityProtocol', 'must be PLAINTEXT, SASL_PLAINTEXT or SASL_SSL');
  let sasl: ClusterModel['sasl'];
  if (protocol !== 'PLAINTEXT') {
    const s = options.sasl;
    if (s === undefined) throw new KafkaClusterConfigError('sasl', `required for ${protocol}`);
    if (s.mechanisms.length === 0 || s.mechanisms.some((m) => !SASL_MECHANISMS.includes(m)))
      throw new KafkaClusterConfigError(
        'sasl.mechanisms',
        `each must be one of ${SASL_MECHANISMS.join(', ')}`,
      );
    if (s.users.length === 0 || s.users.some((u) => u.username === '' || u.password === ''))
      throw new KafkaClusterConfigError(
        'sasl.users',
        'at least one user with a non-empty username and password',
      );
    sasl = { mechanisms: [...s.mechanisms], credentials: new SaslCredentials(s.users) };
  }

  // SASL_SSL: one server certificate for all brokers, naming every listener and every address
  // advertised at start (an address advertised later is not in it: hostname verification then
  // fails, as it would against a real certificate).
  let ca: CertificateAuthority | undefined;
  let keys: ClusterModel['tls'];
  if (protocol === 'SASL_SSL') {
    ca = options.certificateAuthority ?? createCertificateAuthority();
    const addresses = new Set(options.brokers.map((b) => b.listenHost));
    for (const id of ids) {
      const { host } = options.advertised(id);
      if (isLoopbackIPv4(host)) addresses.add(host);
    }
    const leaf = ca.issueServerCertificate({ commonName: 'kafka-broker', ipAddresses: [...addresses] });
    keys = { key: leaf.privateKeyPem, cert: leaf.certificatePem };
  }

  const model: ClusterModel = {
    clusterId: options.clusterId ?? randomBytes(16).toString('base64url').slice(0, 22),
    brokerIds: ids,
    advertised: options.advertised,
    topics: new Map(),
    securityProtocol: options.securityProtocol,
    ...(sasl ? { sasl } : {}),
    ...(keys ? { tls: keys } : {}),
  };
  const createTopic = (spec: TopicSpec) => {
    if (!/^[a-zA-Z0-9._-]{1,249}$/.test(spec.name))
      throw new KafkaClusterConfigError('topics.name', `invalid topic name ${JSON.stringify(spec.name)}`);
    if (model.topics.has(spec.name))
      throw new KafkaClusterConfigError('topics.name', `topic ${spec.name} exists`);
    const leaders = [...(spec.leaders ?? ids)];
    if (leaders.length === 0 || leaders.some((l) => !ids.includes(l)))
      throw new KafkaClusterConfigError(
        `topics[${spec.name}].leaders`,
        'each leader must be a broker id of the cluster',
      );
    model.topics.set(spec.name, { leaders, logs: leaders.map(() => new PartitionLog()) });
  };
  for (const t of options.topics ?? []) createTopic(t);

  const brokers = new Map<number, KafkaBroker>();
  try {
    for (const b of options.brokers) {
      const broker = new KafkaBroker(b.id, model);
      brokers.set(b.id, broker);
      await broker.listen(b.listenHost, b.listenPort ?? 0);
    }
  } catch (err) {
    await Promise.all([...brokers.values()].map((b) => b.close()));
    throw err;
  }

  return {
    clusterId: model.clusterId,
    brokerIds: ids,
    caCertificatePem: ca?.certificatePem,
    listenerOf(brokerId) {
      const broker = brokers.get(brokerId);
      if (broker === undefined) throw new KafkaClusterConfigError('brokerId', `no broker ${brokerId}`);
      return broker.address;
    },
    createTopic,
    highWatermark(topic, partition) {
      return model.topics.get(topic)?.logs[partition]?.highWatermark;
    },
    async close() {
      await Promise.all([...brokers.values()].map((b) => b.close()));
    },
  };
}
