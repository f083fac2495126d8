/**
 * Verify: proves that Kafka traffic flows through a link, from where it runs (a client VPC). The
 * cloud APIs can all agree while clients still fail (two advertised IPs exchanged, an endpoint gone),
 * so this step asks the brokers themselves: bootstrap through the advertised addresses, check that
 * Metadata lists every broker once at the IP of the endpoint of its own port on 9011, then produce a
 * canary to a partition each broker leads and read it back, timing both.
 *
 * The Kafka client is behind `KafkaProbe` so the domain stays free of any client library; the
 * adapter (shared/kafka/) is bundled into the verify function only.
 */
import { randomBytes } from 'node:crypto';
import type { KafkaInstance } from '../cloud/types.js';
import type { LinkDepsFor } from './deps.js';
import { desiredLinkOf, originalAdvertisedOf } from './desired.js';
import { loadInstance } from './instance.js';
import { preferredEndpoint, preferredService, readInventory } from './inventory.js';
import { advertisesExactly, restoreMap } from './mapping.js';

export const STEP_VERIFY = 'verify';

/** The port cross-VPC clients use on the endpoint side (DESIGN §1). */
export const VERIFY_PORT = 9011;

/** Default canary topic: one partition per broker (`KVL_VERIFY_TOPIC` overrides). */
export const DEFAULT_VERIFY_TOPIC = 'kvl-verify';

export interface ProbeBroker {
  nodeId: number;
  host: string;
  port: number;
}

export interface ProbeMetadata {
  brokers: ProbeBroker[];
  /** Partitions of the canary topic and their leaders; empty when the topic does not exist. */
  partitions: Array<{ partition: number; leader: number }>;
}

/** What verify needs from a Kafka client. Every method rejects with an Error saying what failed. */
export interface KafkaProbe {
  /** Bootstraps through the first of `bootstrap` that answers and returns its Metadata. */
  metadata(bootstrap: readonly string[], topic: string): Promise<ProbeMetadata>;
  /** Opens (and closes) a TCP connection: is the address reachable at all? */
  reach(host: string, port: number): Promise<void>;
  /** Produces one record to a partition (acks=all) through its leader; resolves with its offset. */
  produce(topic: string, partition: number, value: Buffer): Promise<bigint>;
  /** Reads the record at `offset` of a partition from its leader, without a consumer group. */
  fetch(topic: string, partition: number, offset: bigint): Promise<Buffer | null>;
  close(): Promise<void>;
}

export interface VerifyDeps
  extends Pick<
    LinkDepsFor<{ dms: 'showInstance'; vpcep: 'listEndpointServices' | 'listEndpoints' }>,
    'dms' | 'vpcep' | 'clock' | 'logger'
  > {
  /** A Kafka client for this instance (its security protocol and SASL mechanisms); closed by verify. */
  openProbe(instance: KafkaInstance): KafkaProbe;
}

export interface BrokerVerification {
  brokerId: number;
  /** Where Metadata lists the broker. */
  host: string;
  port: number;
  /** The IP of the endpoint of this broker's own port, when the cloud has one. */
  expectedHost?: string;
  /** A TCP connection to host:port succeeded. */
  reachable: boolean;
  /** The broker accepted a produce as leader of its partition. */
  leaderAnswered: boolean;
  partition?: number;
  produceMs?: number;
  consumeMs?: number;
  /** Whole check of this broker (reach + produce + read back). */
  totalMs: number;
  healthy: boolean;
  problems: string[];
}

export interface VerifyResult {
  instanceId: string;
  topic: string;
  healthy: boolean;
  /** Problems of the link as a whole (no link, Metadata unreachable, brokers missing). */
  problems: string[];
  brokers: BrokerVerification[];
  /** Brokers that failed, by id (empty when healthy). */
  unhealthyBrokers: number[];
  durationMs: number;
}

interface Expected {
  /** Endpoint IP of each listener's port, by the listener's advertised IP. */
  byAdvertised: Map<string, { listenerIp: string; endpointIp?: string }>;
  endpointIps: Set<string>;
  problems: string[];
}

/** The endpoint IP each listener should advertise: that of the accepted endpoint on its port. */
async function expectedMap(
  deps: VerifyDeps,
  instance: KafkaInstance,
  clientVpcId: string,
): Promise<Expected> {
  const inventory = await readInventory(deps, instance, clientVpcId);
  const byAdvertised = new Map<string, { listenerIp: string; endpointIp?: string }>();
  const endpointIps = new Set<string>();
  const problems: string[] = [];
  for (const listener of instance.listeners) {
    const service = preferredService(inventory.services.filter((s) => s.portId === listener.portId));
    const endpoint = service
      ? preferredEndpoint(inventory.endpoints.filter((e) => e.endpointServiceId === service.id))
      : undefined;
    const endpointIp = endpoint?.status === 'accepted' ? endpoint.ip : undefined;
    if (endpointIp) endpointIps.add(endpointIp);
    else
      problems.push(
        `listener ${listener.listenerIp} (port ${listener.portId}) has no accepted endpoint in ${clientVpcId}`,
      );
    byAdvertised.set(listener.advertisedIp, {
      listenerIp: listener.listenerIp,
      ...(endpointIp ? { endpointIp } : {}),
    });
  }
  return { byAdvertised, endpointIps, problems };
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export async function verifyLink(
  deps: VerifyDeps,
  input: { instanceId: string; topic?: string },
): Promise<VerifyResult> {
  const started = deps.clock.now();
  const topic = input.topic ?? DEFAULT_VERIFY_TOPIC;
  const result = (problems: string[], brokers: BrokerVerification[]): VerifyResult => {
    const unhealthyBrokers = brokers.filter((b) => !b.healthy).map((b) => b.brokerId);
    return {
      instanceId: input.instanceId,
      topic,
      healthy: problems.length === 0 && unhealthyBrokers.length === 0 && brokers.length > 0,
      problems,
      brokers,
      unhealthyBrokers,
      durationMs: deps.clock.now() - started,
    };
  };

  const instance = await loadInstance(deps, input.instanceId, STEP_VERIFY);
  const desired = desiredLinkOf(instance);
  if (!desired)
    return result([`instance ${instance.instanceId} declares no link (no kvl-client-vpc tag)`], []);
  if (instance.listeners.length === 0)
    return result([`instance ${instance.instanceId} has no cross-VPC listeners`], []);
  const expected = await expectedMap(deps, instance, desired.client.vpcId);
  const probe = deps.openProbe(instance);
  try {
    return await probeBrokers({ ...deps, probe }, instance, topic, expected, result);
  } finally {
    await probe.close();
  }
}

async function probeBrokers(
  deps: VerifyDeps & { probe: KafkaProbe },
  instance: KafkaInstance,
  topic: string,
  expected: Expected,
  result: (problems: string[], brokers: BrokerVerification[]) => VerifyResult,
): Promise<VerifyResult> {
  // Bootstrap through the advertised addresses, as any client in the client VPC would.
  const bootstrap = instance.listeners.map((l) => `${l.advertisedIp}:${VERIFY_PORT}`);
  let metadata: ProbeMetadata;
  try {
    metadata = await deps.probe.metadata(bootstrap, topic);
  } catch (error) {
    return result(
      [
        ...expected.problems,
        `no broker answered Metadata through ${bootstrap.join(', ')}: ${errorText(error)}`,
      ],
      [],
    );
  }
  const problems = [...expected.problems];
  if (metadata.partitions.length === 0) problems.push(`topic ${topic} does not exist or has no partitions`);
  if (metadata.brokers.length !== instance.listeners.length)
    problems.push(
      `Metadata lists ${metadata.brokers.length} brokers; the instance has ${instance.listeners.length} cross-VPC listeners`,
    );
  const hostCount = new Map<string, number>();
  for (const b of metadata.brokers) hostCount.set(b.host, (hostCount.get(b.host) ?? 0) + 1);

  const brokers: BrokerVerification[] = [];
  for (const broker of [...metadata.brokers].sort((a, b) => a.nodeId - b.nodeId)) {
    brokers.push(await verifyBroker(deps, broker, { topic, metadata, expected, hostCount }));
  }
  return result(problems, brokers);
}

async function verifyBroker(
  deps: VerifyDeps & { probe: KafkaProbe },
  broker: ProbeBroker,
  ctx: { topic: string; metadata: ProbeMetadata; expected: Expected; hostCount: Map<string, number> },
): Promise<BrokerVerification> {
  const started = deps.clock.now();
  const problems: string[] = [];
  const where = `${broker.host}:${broker.port}`;
  // Metadata: this broker, once, at the endpoint IP of its own port, on 9011.
  const mapped = ctx.expected.byAdvertised.get(broker.host);
  const expectedHost = mapped?.endpointIp;
  if (broker.port !== VERIFY_PORT) problems.push(`listed on port ${broker.port}, not ${VERIFY_PORT}`);
  if ((ctx.hostCount.get(broker.host) ?? 0) > 1)
    problems.push(`${broker.host} is listed for more than one broker`);
  if (!mapped) problems.push(`listed at ${broker.host}, which no cross-VPC listener advertises`);
  else if (expectedHost !== broker.host)
    problems.push(
      expectedHost
        ? `listed at ${broker.host}, but the endpoint of its own port (listener ${mapped.listenerIp}) is ${expectedHost}`
        : `listed at ${broker.host}, but its own port (listener ${mapped.listenerIp}) has no accepted endpoint`,
    );
  else if (!ctx.expected.endpointIps.has(broker.host))
    problems.push(`${broker.host} is not an endpoint of this link`);

  const out: BrokerVerification = {
    brokerId: broker.nodeId,
    host: broker.host,
    port: broker.port,
    ...(expectedHost ? { expectedHost } : {}),
    reachable: false,
    leaderAnswered: false,
    totalMs: 0,
    healthy: false,
    problems,
  };
  try {
    await deps.probe.reach(broker.host, broker.port);
    out.reachable = true;
  } catch (error) {
    problems.push(`unreachable at ${where}: ${errorText(error)}`);
  }
  const partition = ctx.metadata.partitions.find((p) => p.leader === broker.nodeId)?.partition;
  if (partition === undefined) problems.push(`leads no partition of ${ctx.topic}`);
  if (out.reachable && partition !== undefined) {
    out.partition = partition;
    const canary = Buffer.from(`kvl-verify broker=${broker.nodeId} nonce=${randomBytes(8).toString('hex')}`);
    const t0 = deps.clock.now();
    try {
      const offset = await deps.probe.produce(ctx.topic, partition, canary);
      out.produceMs = deps.clock.now() - t0;
      out.leaderAnswered = true;
      const t1 = deps.clock.now();
      const value = await deps.probe.fetch(ctx.topic, partition, offset);
      out.consumeMs = deps.clock.now() - t1;
      if (!value?.equals(canary))
        problems.push(`read back a different record at ${ctx.topic}/${partition} offset ${offset}`);
    } catch (error) {
      problems.push(
        out.leaderAnswered
          ? `canary not read back from ${ctx.topic}/${partition}: ${errorText(error)}`
          : `produce to ${ctx.topic}/${partition} through ${where} failed: ${errorText(error)}`,
      );
    }
  }
  out.totalMs = deps.clock.now() - started;
  out.healthy = problems.length === 0;
  if (!out.healthy)
    deps.logger.warn('broker unhealthy', { brokerId: broker.nodeId, host: broker.host, problems });
  return out;
}

/**
 * The data of `kvl.link.verified` / `kvl.link.unhealthy` (problem texts bounded for SMN). `checkedAt`
 * is epoch ms read from the deps' clock, like every other time of the domain.
 */
export function verificationData(
  result: VerifyResult,
  trigger: 'link-completed' | 'timer',
  clientVpcId: string | undefined,
  checkedAt: number,
) {
  const clip = (s: string) => (s.length > 1024 ? `${s.slice(0, 1021)}...` : s);
  return {
    instanceId: result.instanceId,
    ...(clientVpcId ? { client: { vpcId: clientVpcId } } : {}),
    trigger,
    checkedAt: new Date(checkedAt).toISOString(),
    topic: result.topic,
    healthy: result.healthy,
    problems: result.problems.slice(0, 64).map(clip),
    brokers: result.brokers.slice(0, 100).map((b) => ({ ...b, problems: b.problems.slice(0, 32).map(clip) })),
    unhealthyBrokers: result.unhealthyBrokers.slice(0, 100),
    durationMs: result.durationMs,
  };
}

/**
 * Rollback of a fresh link that failed verify (`KVL_VERIFY_ROLLBACK`): the advertised map the instance
 * had before the link (its `kvl-orig-*` tags, identity where none) is sent back, so clients that
 * worked before keep working. The link's desired state stays: reconcile will try it again. Returns
 * whether a map was sent.
 */
export async function rollbackAdvertised(
  deps: Pick<LinkDepsFor<{ dms: 'showInstance' | 'modifyCrossVpc' }>, 'dms' | 'logger'>,
  instanceId: string,
): Promise<boolean> {
  const instance = await loadInstance(deps, instanceId, STEP_VERIFY);
  const map = restoreMap(instance.listeners, originalAdvertisedOf(instance));
  if (instance.listeners.length === 0 || advertisesExactly(instance.listeners, map)) return false;
  deps.logger.warn('verify failed: restoring the previous advertised map', { instanceId, map });
  await deps.dms.modifyCrossVpc(instanceId, map);
  return true;
}
