/**
 * Creating and seeding the emulator's World: accounts, networks, a running Kafka instance and the
 * SMN topics of the link chain. Also the small allocation helpers (IPs, NICs, Kafka instances) that
 * the admin API and the service modules share, so every resource lands in a consistent world.
 */
import { createHash, randomUUID } from 'node:crypto';
import type {
  Account,
  EmuClock,
  KafkaInstance,
  KafkaStatus,
  Port,
  ScheduledTransition,
  World,
} from './types.js';

// The state-transition engine lives in transitions.ts; its names stay importable from here.
export { applyDueTransitions, earliestTransitionAfter, takeDueTransitions } from './transitions.js';

export const DEFAULT_REGION = 'eu-west-101';

/** Returns a fresh UUID v4 string for every call. */
export type IdFactory = () => string;

/** The chain's topic names (INTERFACES: `KVL_TOPIC_*`). */
export const TOPIC_NAMES = {
  linkRequests: 'kvl-link-requests',
  servicesReady: 'kvl-services-ready',
  endpointsAccepted: 'kvl-endpoints-accepted',
  unlinkRequests: 'kvl-unlink-requests',
  events: 'kvl-events',
} as const;

export type TopicKey = keyof typeof TOPIC_NAMES;

/** Port Kafka's cross-VPC listeners use (ARCHITECTURE §1). */
export const CROSS_VPC_PORT = 9011;

/** Name of the partner's agency delegated to the owner (the `partner.agencyName` of the config). */
export const PARTNER_AGENCY_NAME = 'kvl-link-endpoints';

/**
 * What the partner's agency may do: exactly deploy/client-agency-policy.json (a test holds them
 * equal) — buy, read, tag and delete VPC endpoints, check quotas, read its VPCs and subnets, and find
 * its project (the SDKs' project discovery, `GET /v3/projects`).
 */
export const CLIENT_AGENCY_ACTIONS: readonly string[] = [
  'vpcep:endpoints:create',
  'vpcep:endpoints:get',
  'vpcep:endpoints:list',
  'vpcep:endpoints:delete',
  'vpcep:tags:update',
  'vpcep:quotas:get',
  'vpc:vpcs:get',
  'vpc:vpcs:list',
  'vpc:subnets:get',
  'iam:projects:list',
];

/** Default VPCEP quotas per account and region (OTC / Huawei defaults: 20 services, 50 endpoints). */
export const DEFAULT_QUOTAS = { endpointService: 20, endpoint: 50 } as const;

export class WorldError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorldError';
  }
}

/** Everything `seedDefaultWorld` created, by role. */
export interface SeedIds {
  /** The owner of the Kafka instance (account A). */
  owner: Account;
  /** A second account, for cross-account links (account B). */
  partner: Account;
  instanceId: string;
  instanceName: string;
  instanceVpcId: string;
  instanceSubnetId: string;
  securityGroupId: string;
  networkAclId: string;
  /** Client VPC/subnet in the owner's account. */
  clientVpcId: string;
  clientSubnetId: string;
  /** Client VPC/subnet in the partner's account. */
  partnerVpcId: string;
  partnerSubnetId: string;
  /** The partner's agency delegated to the owner, with the endpoint permissions. */
  partnerAgencyName: string;
  /** SMN topic URNs of the chain. */
  topics: Record<TopicKey, string>;
}

/* ------------------------------------------------------------------ ids */

/**
 * UUID v4 strings. With a seed the sequence is reproducible (benchmarks, golden outputs); without
 * one it is crypto-random, which is what independent emulators in parallel tests need.
 */
export function createIdFactory(seed?: number): IdFactory {
  if (seed === undefined) return () => randomUUID();
  const next = mulberry32(seed);
  return () => {
    const bytes = Buffer.alloc(16);
    for (let i = 0; i < 16; i += 4) bytes.writeUInt32BE(Math.floor(next() * 0x1_0000_0000) >>> 0, i);
    bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
    bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
    const hex = bytes.toString('hex');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  };
}

/** Small, fast, seedable PRNG in [0, 1) (fault rates and seeded ids must be reproducible). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** 32 lowercase hex chars without dashes: the shape of Huawei project, domain and request ids. */
export function hexId(ids: IdFactory): string {
  return ids().replace(/-/g, '');
}

/** A stable 32-hex id derived from a label, so the seeded accounts are the same on every run. */
function stableHex(label: string, length = 32): string {
  return createHash('sha256').update(`kvl-emulator:${label}`).digest('hex').slice(0, length);
}

/** A stable 40-char secret key in the alphabet of real Huawei SKs. */
function stableSecret(label: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const digest = createHash('sha512').update(`kvl-emulator:sk:${label}`).digest();
  let out = '';
  for (let i = 0; i < 40; i++) out += alphabet[(digest[i] ?? 0) % alphabet.length];
  return out;
}

/* ------------------------------------------------------------------ world */

export function createWorld(region: string = DEFAULT_REGION): World {
  return {
    region,
    accounts: [],
    temporaryCredentials: [],
    vpcs: [],
    subnets: [],
    ports: [],
    securityGroups: [],
    securityGroupRules: [],
    networkAcls: [],
    kafkaInstances: [],
    endpointServices: [],
    endpoints: [],
    topics: [],
    subscriptions: [],
    messages: [],
    quotas: { ...DEFAULT_QUOTAS },
    tokens: [],
    agencies: [],
  };
}

/** Account n (1-based) has AK `KVLEMUAK00000000000n` and stable ids/secret. */
export function createAccount(world: World, index: number, domainName: string): Account {
  const account: Account = {
    domainId: stableHex(`domain:${index}`),
    domainName,
    projectId: stableHex(`project:${world.region}:${index}`),
    ak: `KVLEMUAK${String(index).padStart(12, '0')}`,
    sk: stableSecret(`${index}`),
  };
  world.accounts.push(account);
  return account;
}

export function topicUrn(region: string, projectId: string, name: string): string {
  return `urn:smn:${region}:${projectId}:${name}`;
}

/* ------------------------------------------------------------------ IPv4 */

export function ipToInt(ip: string): number {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
    throw new WorldError(`not an IPv4 address: ${ip}`);
  }
  return parts.reduce((acc, p) => acc * 256 + p, 0);
}

export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function parseCidr(cidr: string): { network: number; size: number; prefix: number } {
  const [ip, prefixText] = cidr.split('/');
  const prefix = Number(prefixText);
  if (ip === undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > 32) {
    throw new WorldError(`not an IPv4 CIDR: ${cidr}`);
  }
  const size = 2 ** (32 - prefix);
  const network = Math.floor(ipToInt(ip) / size) * size;
  return { network, size, prefix };
}

export function cidrContains(cidr: string, ip: string): boolean {
  const { network, size } = parseCidr(cidr);
  const n = ipToInt(ip);
  return n >= network && n < network + size;
}

export function cidrsOverlap(a: string, b: string): boolean {
  const x = parseCidr(a);
  const y = parseCidr(b);
  return x.network < y.network + y.size && y.network < x.network + x.size;
}

/** Host offset where allocation starts, so emulated addresses are recognisable (10.0.0.11, …). */
const FIRST_ALLOCATED_OFFSET = 11;

/**
 * Returns the next free IP of a subnet. Like Huawei Cloud, the network address, the gateway (.1),
 * the two addresses below the broadcast (system interface, DHCP) and the broadcast are reserved.
 * An address is taken when a Port or a VPC endpoint in the subnet uses it.
 */
export function allocateIp(world: World, subnetId: string): string {
  const subnet = world.subnets.find((s) => s.id === subnetId);
  if (!subnet) throw new WorldError(`unknown subnet ${subnetId}`);
  const { network, size } = parseCidr(subnet.cidr);
  const taken = new Set<string>([subnet.gatewayIp]);
  for (const p of world.ports) if (p.subnetId === subnetId) taken.add(p.ip);
  for (const e of world.endpoints) if (e.subnetId === subnetId && e.ip) taken.add(e.ip);
  const reserved = (offset: number) => offset <= 1 || offset >= size - 3;
  const start = size > FIRST_ALLOCATED_OFFSET + 4 ? FIRST_ALLOCATED_OFFSET : 2;
  for (let i = 0; i < size; i++) {
    const offset = ((start - 2 + i) % (size - 2)) + 2;
    if (reserved(offset)) continue;
    const ip = intToIp(network + offset);
    if (!taken.has(ip)) return ip;
  }
  throw new WorldError(`subnet ${subnet.cidr} (${subnetId}) has no free IP address`);
}

/** Creates a NIC in a subnet with the next free IP (or `ip` when given and free). */
export function createPort(
  world: World,
  ids: IdFactory,
  input: { subnetId: string; deviceOwner: string; ip?: string },
): Port {
  const subnet = world.subnets.find((s) => s.id === input.subnetId);
  if (!subnet) throw new WorldError(`unknown subnet ${input.subnetId}`);
  if (input.ip !== undefined) {
    if (!cidrContains(subnet.cidr, input.ip)) throw new WorldError(`${input.ip} is outside ${subnet.cidr}`);
    if (world.ports.some((p) => p.subnetId === subnet.id && p.ip === input.ip)) {
      throw new WorldError(`${input.ip} is already in use in ${subnet.cidr}`);
    }
  }
  const port: Port = {
    id: ids(),
    subnetId: subnet.id,
    vpcId: subnet.vpcId,
    ip: input.ip ?? allocateIp(world, subnet.id),
    projectId: subnet.projectId,
    deviceOwner: input.deviceOwner,
  };
  world.ports.push(port);
  return port;
}

/* ------------------------------------------------------------------ networks */

export function addVpc(
  world: World,
  ids: IdFactory,
  input: { projectId: string; name: string; cidr: string; subnet: { name: string; cidr: string } },
): { vpcId: string; subnetId: string } {
  parseCidr(input.cidr);
  const { network } = parseCidr(input.subnet.cidr);
  if (!cidrsOverlap(input.cidr, input.subnet.cidr)) {
    throw new WorldError(`subnet ${input.subnet.cidr} is outside VPC ${input.cidr}`);
  }
  const vpcId = ids();
  const subnetId = ids();
  world.vpcs.push({ id: vpcId, name: input.name, cidr: input.cidr, projectId: input.projectId });
  world.subnets.push({
    id: subnetId,
    name: input.subnet.name,
    vpcId,
    cidr: input.subnet.cidr,
    gatewayIp: intToIp(network + 1),
    projectId: input.projectId,
  });
  return { vpcId, subnetId };
}

/** A security group with Huawei's default rules (ingress from the group itself, egress anywhere). */
export function addSecurityGroup(
  world: World,
  ids: IdFactory,
  input: { projectId: string; name: string; createdAt: number },
): string {
  const id = ids();
  world.securityGroups.push({ id, name: input.name, projectId: input.projectId });
  const stamp = new Date(input.createdAt).toISOString();
  const base = {
    securityGroupId: id,
    protocol: null,
    multiport: null,
    action: 'allow' as const,
    priority: 100,
    description: '',
    projectId: input.projectId,
    createdAt: stamp,
    updatedAt: stamp,
  };
  world.securityGroupRules.push(
    { ...base, id: ids(), direction: 'ingress', ethertype: 'IPv4', remoteIpPrefix: null, remoteGroupId: id },
    {
      ...base,
      id: ids(),
      direction: 'egress',
      ethertype: 'IPv4',
      remoteIpPrefix: '0.0.0.0/0',
      remoteGroupId: null,
    },
  );
  return id;
}

/* ------------------------------------------------------------------ Kafka */

export interface AddKafkaInstanceInput {
  name: string;
  projectId: string;
  brokers?: number;
  tags?: Array<{ key: string; value: string }>;
  vpcId: string;
  subnetId: string;
  securityGroupId: string;
  /**
   * Default RUNNING (a ready instance). `CREATING` schedules RUNNING after `createDelayMs`;
   * `STARTING` (frozen -> running, reference §A.4) schedules RUNNING after `startDelayMs`.
   */
  status?: KafkaStatus;
  /** Emulated ms from CREATING to RUNNING; default 60 s. */
  createDelayMs?: number;
  /** Emulated ms from STARTING to RUNNING; default 60 s (undocumented: the emulator's choice). */
  startDelayMs?: number;
  securityProtocol?: string;
  saslMechanisms?: string[];
}

export const DEFAULT_KAFKA_CREATE_DELAY_MS = 60_000;
export const DEFAULT_KAFKA_START_DELAY_MS = 60_000;

/**
 * Adds a Kafka instance whose brokers each get a NIC (listener IP = advertised IP, own port_id)
 * in the subnet. A CREATING instance carries its CREATING -> RUNNING transition; the CTS event for
 * the finished creation is emitted by the server once the instance is RUNNING (`ctsEmitted`).
 */
export function addKafkaInstance(
  world: World,
  clock: EmuClock,
  ids: IdFactory,
  input: AddKafkaInstanceInput,
): KafkaInstance {
  const brokerCount = input.brokers ?? 3;
  if (!Number.isInteger(brokerCount) || brokerCount < 1 || brokerCount > 50) {
    throw new WorldError(`brokers must be an integer between 1 and 50, got ${input.brokers}`);
  }
  const subnet = world.subnets.find((s) => s.id === input.subnetId);
  if (!subnet) throw new WorldError(`unknown subnet ${input.subnetId}`);
  if (subnet.vpcId !== input.vpcId)
    throw new WorldError(`subnet ${input.subnetId} is not in VPC ${input.vpcId}`);
  if (!world.securityGroups.some((g) => g.id === input.securityGroupId)) {
    throw new WorldError(`unknown security group ${input.securityGroupId}`);
  }
  const instanceId = ids();
  const brokers = Array.from({ length: brokerCount }, (_, i) => {
    const port = createPort(world, ids, {
      subnetId: subnet.id,
      deviceOwner: `dms:kafka:${instanceId}:broker-${i}`,
    });
    return { listenerIp: port.ip, advertisedIp: port.ip, portId: port.id };
  });
  const now = clock.now();
  const status = input.status ?? 'RUNNING';
  const transitions: ScheduledTransition<KafkaStatus>[] =
    status === 'CREATING'
      ? [{ at: now + (input.createDelayMs ?? DEFAULT_KAFKA_CREATE_DELAY_MS), to: 'RUNNING' }]
      : status === 'STARTING'
        ? [{ at: now + (input.startDelayMs ?? DEFAULT_KAFKA_START_DELAY_MS), to: 'RUNNING' }]
        : [];
  const saslMechanisms = input.saslMechanisms ?? ['PLAIN', 'SCRAM-SHA-512'];
  const instance: KafkaInstance = {
    instanceId,
    name: input.name,
    projectId: input.projectId,
    status,
    transitions,
    vpcId: input.vpcId,
    subnetId: subnet.id,
    securityGroupId: input.securityGroupId,
    enterpriseProjectId: '0',
    brokers,
    sslEnable: true,
    securityProtocol: input.securityProtocol ?? 'SASL_SSL',
    saslMechanisms,
    tags: [...(input.tags ?? [])],
    createdAt: now,
    // Only a creation the emulator watched finish produces a CTS event.
    ctsEmitted: status !== 'CREATING',
  };
  world.kafkaInstances.push(instance);
  return instance;
}

/**
 * Puts an existing instance in STARTING (the status between FROZEN and RUNNING, reference §A.4),
 * RUNNING again after `delayMs` emulated ms: how a test unfreezes an instance.
 */
export function startKafkaInstance(
  instance: KafkaInstance,
  clock: EmuClock,
  delayMs: number = DEFAULT_KAFKA_START_DELAY_MS,
): void {
  if (!Number.isFinite(delayMs) || delayMs < 0) throw new WorldError(`delayMs must be >= 0, got ${delayMs}`);
  instance.status = 'STARTING';
  instance.transitions = [{ at: clock.now() + delayMs, to: 'RUNNING' }];
}

/* ------------------------------------------------------------------ default world */

export interface SeedNetworks {
  kafka: { cidr: string; subnet: string };
  client: { cidr: string; subnet: string };
  partner: { cidr: string; subnet: string };
}

export const DEFAULT_SEED_NETWORKS: SeedNetworks = {
  kafka: { cidr: '10.0.0.0/16', subnet: '10.0.0.0/24' },
  client: { cidr: '172.16.0.0/16', subnet: '172.16.5.0/24' },
  partner: { cidr: '192.168.0.0/16', subnet: '192.168.10.0/24' },
};

/**
 * The world of the demo and of most tests: account A owns a RUNNING 3-broker Kafka instance in VPC A
 * (10.0.0.0/16) and a client VPC (172.16.0.0/16, outside VPCEP's 198.19.128.0/17); account B has its
 * own client VPC; the SMN topics of the chain exist in account A.
 */
export function seedDefaultWorld(
  world: World,
  clock: EmuClock,
  ids: IdFactory,
  /** The three networks (data-plane mode puts them in 127.0.0.0/8). */
  networks: SeedNetworks = DEFAULT_SEED_NETWORKS,
): SeedIds {
  const owner = createAccount(world, 1, 'kvl-owner');
  const partner = createAccount(world, 2, 'kvl-partner');

  const kafkaNet = addVpc(world, ids, {
    projectId: owner.projectId,
    name: 'kvl-kafka-vpc',
    cidr: networks.kafka.cidr,
    subnet: { name: 'kvl-kafka-subnet', cidr: networks.kafka.subnet },
  });
  const securityGroupId = addSecurityGroup(world, ids, {
    projectId: owner.projectId,
    name: 'kvl-kafka-sg',
    createdAt: clock.now(),
  });
  const networkAclId = ids();
  world.networkAcls.push({
    id: networkAclId,
    name: 'kvl-kafka-acl',
    projectId: owner.projectId,
    subnetIds: [kafkaNet.subnetId],
    ingressRules: [],
    egressRules: [],
  });

  const clientNet = addVpc(world, ids, {
    projectId: owner.projectId,
    name: 'kvl-client-vpc',
    cidr: networks.client.cidr,
    subnet: { name: 'kvl-client-subnet', cidr: networks.client.subnet },
  });
  const partnerNet = addVpc(world, ids, {
    projectId: partner.projectId,
    name: 'kvl-partner-vpc',
    cidr: networks.partner.cidr,
    subnet: { name: 'kvl-partner-subnet', cidr: networks.partner.subnet },
  });
  world.agencies = [
    ...(world.agencies ?? []),
    {
      id: stableHex('agency:partner'),
      name: PARTNER_AGENCY_NAME,
      domainId: partner.domainId,
      trustDomainId: owner.domainId,
      actions: [...CLIENT_AGENCY_ACTIONS],
    },
  ];

  const instance = addKafkaInstance(world, clock, ids, {
    name: 'kvl-demo-kafka',
    projectId: owner.projectId,
    brokers: 3,
    vpcId: kafkaNet.vpcId,
    subnetId: kafkaNet.subnetId,
    securityGroupId,
  });

  const topics = {} as Record<TopicKey, string>;
  for (const [key, name] of Object.entries(TOPIC_NAMES) as Array<[TopicKey, string]>) {
    const urn = topicUrn(world.region, owner.projectId, name);
    world.topics.push({ topicUrn: urn, name, displayName: name, projectId: owner.projectId });
    topics[key] = urn;
  }

  return {
    owner,
    partner,
    instanceId: instance.instanceId,
    instanceName: instance.name,
    instanceVpcId: kafkaNet.vpcId,
    instanceSubnetId: kafkaNet.subnetId,
    securityGroupId,
    networkAclId,
    clientVpcId: clientNet.vpcId,
    clientSubnetId: clientNet.subnetId,
    partnerVpcId: partnerNet.vpcId,
    partnerSubnetId: partnerNet.subnetId,
    partnerAgencyName: PARTNER_AGENCY_NAME,
    topics,
  };
}

/** The account that owns a project, if any. */
export function accountByProject(world: World, projectId: string): Account | undefined {
  return world.accounts.find((a) => a.projectId === projectId);
}
