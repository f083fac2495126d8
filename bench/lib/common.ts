/**
 * What every benchmark section shares: an emulator with throttling and the product's bundles, a
 * world large enough for many links, a watcher that records the emulated moments the cloud's state
 * machines reach (endpoint accepted), and request-log accounting.
 *
 * Everything here reaches into the emulator's world directly: the benchmarks are the emulator's
 * owner-side view (what really happened and when), while the product under test only ever talks
 * HTTP to it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  addKafkaInstance,
  addSecurityGroup,
  addVpc,
  createIdFactory,
  type EmulatorHandle,
  type RequestLogEntry,
  startEmulator,
  type ThrottleConfig,
} from '../../local/cloud/index.js';
import { mulberry32 } from '../../local/cloud/world.js';
import type { LocalRuntime } from '../../local/runtime/index.js';
import { firstProbeForSpeed, startRuntime } from '../../local/runtime/index.js';
import { staticCredentials } from '../../shared/cloud/credentials.js';
import { type CloudClients, createCloudClients } from '../../shared/cloud/index.js';
import { type CloudEvent, parseCloudEvent } from '../../shared/events/cloudevents.js';
import type { Clock } from '../../shared/link/deps.js';
import { DEFAULTS, MIN_POLL_INTERVAL_MS } from '../../shared/runtime/config.js';

export const REPO_ROOT = join(import.meta.dirname, '..', '..');

/** The gateway limit every throttled section uses: 10 requests per second per API and AK. */
export const THROTTLE: Required<ThrottleConfig> = { ratePerSecond: 10, burst: 10 };

/** The product's default inline poll interval (shared/runtime/config.ts DEFAULTS), in emulated ms. */
export const PRODUCT_POLL_INTERVAL_MS = DEFAULTS.pollIntervalMs;

/**
 * Builds the function bundles once per benchmark run into a private directory, so a concurrent
 * `npm test` (whose global setup rebuilds dist/functions) cannot swap files under the runtime.
 */
let bundleDir: string | undefined;
export async function buildBundles(): Promise<{
  dir: string;
  results: Array<{ name: string; outfile: string; bytes: number; metafile?: any }>;
}> {
  const dir = bundleDir ?? mkdtempSync(join(tmpdir(), 'kvl-bench-'));
  const { buildFunctions } = (await import(join(REPO_ROOT, 'scripts', 'build.mjs'))) as {
    buildFunctions: (o: { quiet: boolean; outDir: string; metafile: boolean }) => Promise<any[]>;
  };
  const results = await buildFunctions({ quiet: true, outDir: dir, metafile: true });
  bundleDir = dir;
  return { dir, results };
}

/** Removes the bundle directory (end of a run). */
export function removeBundles(): void {
  if (bundleDir) rmSync(bundleDir, { recursive: true, force: true });
  bundleDir = undefined;
}

export function bundlesDir(): string {
  if (!bundleDir) throw new Error('buildBundles() must run first');
  return bundleDir;
}

/* ------------------------------------------------------------------ cloud + world */

export interface Fleet {
  vpcId: string;
  subnetId: string;
}

export interface BenchCloud {
  emulator: EmulatorHandle;
  speed: number;
  /** Owner-account clients (what a user or the CLI would hold). */
  clients: CloudClients;
  /** A Kafka VPC and a client VPC with room for hundreds of brokers and endpoints. */
  kafkaNet: Fleet;
  clientNet: Fleet;
  ids: () => string;
  /** Emulated time now. */
  now(): number;
  /** A domain Clock on emulated time: sleeping `ms` waits `ms / speed` real ms. */
  clock: Clock;
  close(): Promise<void>;
}

let netIndex = 0;

export async function startBenchCloud(options: {
  speed: number;
  throttle?: ThrottleConfig | false;
}): Promise<BenchCloud> {
  const emulator = await startEmulator({
    port: 0,
    speed: options.speed,
    throttle: options.throttle ?? THROTTLE,
  });
  const config = emulator.config();
  const owner = emulator.seed!.owner;
  // The default quotas (20 services, 50 endpoints) are a per-account default raised by ticket; the
  // benchmarks measure the product at fleet size, not the quota check.
  emulator.world.quotas = { endpointService: 100_000, endpoint: 100_000 };
  const ids = createIdFactory();
  const n = netIndex++;
  // /20 subnets: 4,091 usable addresses each, enough for 1,000 three-broker instances.
  const kafkaNet = addVpc(emulator.world, ids, {
    projectId: owner.projectId,
    name: `bench-kafka-${n}`,
    cidr: '10.64.0.0/16',
    subnet: { name: `bench-kafka-${n}`, cidr: '10.64.0.0/20' },
  });
  const clientNet = addVpc(emulator.world, ids, {
    projectId: owner.projectId,
    name: `bench-client-${n}`,
    cidr: '172.20.0.0/16',
    subnet: { name: `bench-client-${n}`, cidr: '172.20.0.0/20' },
  });
  const clients = createCloudClients({
    region: config.region,
    projectId: config.projectId,
    credentials: staticCredentials({ ak: config.ak, sk: config.sk }),
    env: { HUAWEICLOUD_ENDPOINT: config.endpoint },
  });
  const speed = options.speed;
  return {
    emulator,
    speed,
    clients,
    kafkaNet,
    clientNet,
    ids,
    now: () => emulator.clock.now(),
    clock: {
      now: () => emulator.clock.now(),
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, speed > 0 ? ms / speed : 0)),
    },
    close: () => emulator.close(),
  };
}

/** A RUNNING Kafka instance with `brokers` brokers and its own security group, in the fleet VPC. */
export function addInstance(cloud: BenchCloud, name: string, brokers: number) {
  const world = cloud.emulator.world;
  const owner = cloud.emulator.seed!.owner;
  const securityGroupId = addSecurityGroup(world, cloud.ids, {
    projectId: owner.projectId,
    name: `${name}-sg`,
    createdAt: cloud.now(),
  });
  return addKafkaInstance(world, cloud.emulator.clock, cloud.ids, {
    name,
    projectId: owner.projectId,
    brokers,
    vpcId: cloud.kafkaNet.vpcId,
    subnetId: cloud.kafkaNet.subnetId,
    securityGroupId,
  });
}

/**
 * The functions a link request goes through. The reconcile timer (every 10 emulated minutes) is
 * measured on its own (bench/reconcile.ts); running it here too would add its pass to whichever
 * link happens to be in flight, and unlink / on-instance-created never fire in these runs.
 */
export const CHAIN_FUNCTIONS = [
  'create-services',
  'buy-endpoints',
  'poll-acceptance',
  'patch-listeners',
] as const;

export async function startBenchRuntime(
  cloud: BenchCloud,
  options: {
    fastPath: boolean;
    concurrency?: number;
    retryDelayMs?: number;
    /** The product's poll interval in cloud ms (default: the product's default, 3 s). */
    pollIntervalMs?: number;
  },
): Promise<LocalRuntime> {
  return startRuntime({
    emulator: cloud.emulator,
    distDir: bundlesDir(),
    only: [...CHAIN_FUNCTIONS],
    // Function logs would drown the tables; errors still show.
    logSink: () => {},
    // FunctionGraph's account-wide default is 100 concurrent instances; the local host limits per
    // function, so the scale section raises it to let every link run at once.
    concurrency: options.concurrency ?? 8,
    historyLimit: 100_000,
    ...(options.retryDelayMs !== undefined ? { retryDelayMs: options.retryDelayMs } : {}),
    userData: {
      // The product's default poll interval (3 s) in emulated time: functions sleep on the real clock.
      // (A frozen clock keeps the default: nothing waits then.)
      KVL_POLL_INTERVAL_MS: String(
        cloud.speed > 0
          ? Math.max(
              MIN_POLL_INTERVAL_MS,
              Math.round((options.pollIntervalMs ?? PRODUCT_POLL_INTERVAL_MS) / cloud.speed),
            )
          : (options.pollIntervalMs ?? PRODUCT_POLL_INTERVAL_MS),
      ),
      // The product's other durations run on the real clock too: scaled alike, so the re-drive of a
      // stuck link and the acceptance timeout come after the same emulated time as in the cloud.
      ...(cloud.speed > 0
        ? {
            KVL_FIRST_PROBE_AFTER_MS: firstProbeForSpeed(cloud.speed),
            KVL_REDRIVE_AFTER_MS: String(Math.max(1_000, Math.round(DEFAULTS.redriveAfterMs / cloud.speed))),
            KVL_ACCEPT_TIMEOUT_MS: String(
              Math.max(1_000, Math.round(DEFAULTS.acceptTimeoutMs / cloud.speed)),
            ),
          }
        : {}),
      KVL_FAST_PATH: options.fastPath ? 'on' : 'off',
      KVL_LOG_LEVEL: 'error',
    },
  });
}

/* ------------------------------------------------------------------ watching the cloud */

/**
 * Records when each endpoint becomes accepted, in emulated ms, from the scheduled transitions (exact,
 * unlike `updated_at`, which has second precision). Scans every few real ms; a transition is visible
 * for its whole (emulated) minute, so none is missed.
 */
export class CloudWatcher {
  readonly endpointAcceptedAt = new Map<string, { at: number; serviceId: string }>();
  private timer: NodeJS.Timeout;

  constructor(private readonly cloud: BenchCloud) {
    this.timer = setInterval(() => this.scan(), 5);
  }

  scan(): void {
    const world = this.cloud.emulator.world;
    for (const e of world.endpoints) {
      const accept = e.transitions.find((t) => t.to === 'accepted');
      if (accept) this.endpointAcceptedAt.set(e.id, { at: accept.at, serviceId: e.endpointServiceId });
    }
  }

  /** The moment the last endpoint of the instance's services became accepted. */
  lastAcceptedAt(instanceId: string): number | undefined {
    const world = this.cloud.emulator.world;
    const instance = world.kafkaInstances.find((i) => i.instanceId === instanceId);
    if (!instance) return undefined;
    const ports = new Set(instance.brokers.map((b) => b.portId));
    const services = new Set(world.endpointServices.filter((s) => ports.has(s.portId)).map((s) => s.id));
    let last: number | undefined;
    for (const { at, serviceId } of this.endpointAcceptedAt.values()) {
      if (services.has(serviceId) && (last === undefined || at > last)) last = at;
    }
    return last;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/**
 * Spreads each endpoint's acceptance over `[delay, delay + spreadMs)` (seeded, reproducible). The
 * emulator accepts every endpoint exactly 60 s after its creation, and the product's inline poll
 * starts at the creation too, so without this the poll would always land at the same phase of its
 * interval; the cloud documents "1 to 2 minutes", so a few seconds of spread stay realistic and make
 * the poll lag what it is in real life, anywhere in [0, interval). Only ever moves a transition later,
 * which the emulator's wake-up timer handles (it re-arms on the next settle).
 */
export function spreadAcceptance(cloud: BenchCloud, spreadMs: number, seed: number): () => void {
  const random = mulberry32(seed);
  const seen = new Set<string>();
  const timer = setInterval(() => {
    for (const e of cloud.emulator.world.endpoints) {
      if (seen.has(e.id)) continue;
      seen.add(e.id);
      const accept = e.transitions.find((t) => t.to === 'accepted' || t.to === 'pendingAcceptance');
      if (accept && e.status === 'creating') accept.at += Math.floor(random() * spreadMs);
    }
  }, 5);
  return () => clearInterval(timer);
}

/**
 * Events published to the chain's events topic, parsed; newest last. Read incrementally: each call
 * parses only what was published since the previous one. The benches poll this every few ms while a
 * run is in flight, and re-parsing the whole topic on every poll (thousands of messages in a 1,000-link
 * soak) kept the one process the emulator and the functions share busy with the bench's own work.
 */
export class EventFeed {
  private readonly parsed: Array<{ event: CloudEvent; time: number }> = [];
  private cursor = 0;

  constructor(private readonly cloud: BenchCloud) {}

  /** Every event published so far (the same array, grown in place). */
  all(): ReadonlyArray<{ event: CloudEvent; time: number }> {
    const messages = this.cloud.emulator.world.messages;
    const topic = this.cloud.emulator.config().topics.events;
    for (; this.cursor < messages.length; this.cursor++) {
      const m = messages[this.cursor]!;
      if (m.topicUrn !== topic) continue;
      try {
        this.parsed.push({
          event: parseCloudEvent(JSON.parse(m.message)) as CloudEvent,
          time: Date.parse(m.time),
        });
      } catch {
        // FunctionGraph failure records share the topic; they are counted elsewhere.
      }
    }
    return this.parsed;
  }
}

/** Waits (real time) until `done()` or the real-time limit; throws with `what` on timeout. */
export async function waitFor(done: () => boolean, limitMs: number, what: string): Promise<void> {
  const until = Date.now() + limitMs;
  while (!done()) {
    if (Date.now() > until) throw new Error(`benchmark timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/* ------------------------------------------------------------------ request-log accounting */

const HEX32 = /^[0-9a-f]{32}$/i;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * One "API" as the gateway throttles it (method + path with ids replaced), written for reading:
 * `POST vpcep /vpc-endpoint-services/{id}/tags/action`.
 */
export function apiOf(entry: Pick<RequestLogEntry, 'method' | 'path' | 'service'>): string {
  const template = entry.path
    .split('/')
    .map((s) => {
      if (HEX32.test(s)) return '{project_id}';
      if (UUID.test(s)) return '{id}';
      if (s.startsWith('urn:')) return '{urn}';
      return s;
    })
    .join('/')
    .replace(/^\/v\d+(\.\d+)?\/\{project_id\}/, '');
  return `${entry.method} ${entry.service ?? '?'} ${template}`;
}

export interface CallCount {
  /** Answered calls, 429s excluded. */
  calls: number;
  /** Calls refused with 429 (throttled) — the client retried them. */
  throttled: number;
  /** Calls to DMS, VPCEP and VPC only (SMN publishes and IAM excluded). */
  controlPlane: number;
  /**
   * SMN publishes that hand work from one function to the next (services-ready, endpoints-accepted):
   * every publish except those to the events topic, when countCalls was told which topic that is.
   */
  hops: number;
  /**
   * Publishes to the events topic (the link's completion or failure): the product's output, which
   * `link --via direct` publishes too, not a hop of the chain.
   */
  outcomes: number;
  byApi: Record<string, number>;
}

/**
 * Drains the emulator's request log into memory every 250 ms: the log keeps at most 50,000 entries,
 * which a throttled fleet run can exceed with 429s alone. requests() and clearRequests() run in the
 * same tick as the server's own logging, so no entry falls between them.
 */
export class LogCollector {
  readonly entries: RequestLogEntry[] = [];
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly emulator: EmulatorHandle) {
    emulator.clearRequests();
    this.timer = setInterval(() => this.drain(), 250);
  }

  drain(): RequestLogEntry[] {
    for (const entry of this.emulator.requests()) this.entries.push(entry);
    this.emulator.clearRequests();
    return this.entries;
  }

  stop(): RequestLogEntry[] {
    clearInterval(this.timer);
    return this.drain();
  }
}

/** Endpoint acceptance lands 60–66 s after creation (see spreadAcceptance): two poll intervals. */
export const ACCEPTANCE_SPREAD_MS = 6_000;
/** The same seed in every configuration: the n-th endpoint of each emulator gets the same delay. */
export const SPREAD_SEED = 7;

/**
 * Writes to the cloud's resources (DMS, VPCEP, VPC): creates, tags, modify, rules, deletes. Tag
 * queries (a POST that reads) and SMN publishes (the chain's hops) are not writes to a resource.
 */
export function countWrites(entries: readonly RequestLogEntry[]): number {
  return entries.filter(
    (e) =>
      e.status !== 429 &&
      e.method !== 'GET' &&
      (e.service === 'dms' || e.service === 'vpcep' || e.service === 'vpc') &&
      !e.path.endsWith('/resource_instances/action'),
  ).length;
}

/**
 * Counts a request log. `eventsTopicUrn` tells SMN publishes of the link's outcome from the chain's
 * hops; without it every publish counts as a hop.
 */
export function countCalls(
  entries: readonly RequestLogEntry[],
  options: { eventsTopicUrn?: string } = {},
): CallCount {
  const byApi: Record<string, number> = {};
  let calls = 0;
  let throttled = 0;
  let controlPlane = 0;
  let hops = 0;
  let outcomes = 0;
  for (const e of entries) {
    if (e.status === 429) {
      throttled++;
      continue;
    }
    calls++;
    if (e.service === 'dms' || e.service === 'vpcep' || e.service === 'vpc') controlPlane++;
    if (e.service === 'smn' && e.method === 'POST' && e.path.endsWith('/publish')) {
      const toEvents =
        options.eventsTopicUrn !== undefined && e.path.includes(`/topics/${options.eventsTopicUrn}/`);
      if (toEvents) outcomes++;
      else hops++;
    }
    const api = apiOf(e);
    byApi[api] = (byApi[api] ?? 0) + 1;
  }
  return { calls, throttled, controlPlane, hops, outcomes, byApi };
}

/* ------------------------------------------------------------------ stats */

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function round(value: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
