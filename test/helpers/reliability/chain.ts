/**
 * The link chain driven message by message: the real function handlers (`functions/<name>/handler.ts`,
 * middy stack, validation, error policy, SMN publishing) invoked directly by the test, against a
 * frozen-clock emulator. The test is the queue: every message the functions publish lands in the
 * emulator's SMN topics, and the test decides when, in what order and how often it is delivered
 * (as a FunctionGraph SMN trigger event). Deterministic and fast: nothing sleeps.
 *
 * Each function runs with the product's own dependencies (`createLinkDeps`), given through the
 * handler's `with` (no module is replaced):
 *
 * - the runtime's and the domain's clock is the emulator's: a `sleep(ms)` advances emulated time by
 *   `ms`, so services and endpoints walk their state machines exactly as the steps wait;
 * - the cloud clients get a short per-attempt timeout and fast backoff, so injected timeouts and 5xx
 *   cost milliseconds instead of seconds;
 * - cross-account links keep their client-account clients across invocations, like a warm function
 *   instance, so their credentials age with the emulated clock and expire mid-chain;
 * - `useDeps(wrap)` lets a test put a proxy around the dependencies (crash after a given call).
 */
import { randomUUID } from 'node:crypto';
import { handler as buyEndpoints } from '../../../functions/buy-endpoints/handler.js';
import { handler as createServices } from '../../../functions/create-services/handler.js';
import { handler as onInstanceCreated } from '../../../functions/on-instance-created/handler.js';
import { handler as patchListeners } from '../../../functions/patch-listeners/handler.js';
import { handler as pollAcceptance } from '../../../functions/poll-acceptance/handler.js';
import { handler as reconcile } from '../../../functions/reconcile/handler.js';
import { handler as unlink } from '../../../functions/unlink/handler.js';
import { createDmsModule, type DmsModuleOptions } from '../../../local/cloud/dms.js';
import {
  defaultServiceModules,
  type EmulatorHandle,
  type FaultSpec,
  startEmulator,
} from '../../../local/cloud/index.js';
import type { EmuRequest, KafkaInstance, TemporaryCredential } from '../../../local/cloud/types.js';
import { emulatorEnv } from '../../../local/commands/env-file.js';
import type { AccountClients } from '../../../shared/cloud/agency.js';
import { staticCredentials } from '../../../shared/cloud/credentials.js';
import type { RetryOptions } from '../../../shared/cloud/http.js';
import { createCloudHttp } from '../../../shared/cloud/http.js';
import { createSmnClient } from '../../../shared/cloud/smn.js';
import { type CloudEvent, newCloudEvent } from '../../../shared/events/cloudevents.js';
import type { Clock } from '../../../shared/link/deps.js';
import { createLocalContext } from '../../../shared/runtime/context.js';
import type { FunctionGraphHandler } from '../../../shared/runtime/handler.js';
import { createLinkDeps, type FunctionDeps } from '../../../shared/runtime/link-deps.js';

export const CHAIN_FUNCTIONS = {
  'create-services': createServices,
  'buy-endpoints': buyEndpoints,
  'patch-listeners': patchListeners,
  'poll-acceptance': pollAcceptance,
  unlink,
  reconcile,
  'on-instance-created': onInstanceCreated,
} as const;

export type FunctionName = keyof typeof CHAIN_FUNCTIONS;

export interface LinkTarget {
  instanceId: string;
  /** `domainId` and `agencyName` for a client in another account (the emulator's partner). */
  client: { vpcId: string; subnetId: string; domainId?: string; agencyName?: string };
}

/** One message waiting on a chain topic. */
export interface Delivery {
  messageId: string;
  topicUrn: string;
  fn: FunctionName;
  text: string;
  type: string;
}

export interface InvocationResult {
  fn: FunctionName;
  ok: boolean;
  error?: unknown;
  summary?: unknown;
}

export interface ChainOptions {
  /** Brokers of each link's Kafka instance (one instance per entry). Default `[3]`. */
  brokers?: number[];
  /** Emulated ms each invocation may run (the function timeout). Default 300 s. */
  budgetMs?: number;
  /** KVL_POLL_INTERVAL_MS. Default 20 s (services and endpoints take 60 s in the emulator). */
  pollIntervalMs?: number;
  /** Extra user data for every function. */
  userData?: Record<string, string>;
  /** Agency credentials handed to the functions (default: issued by the emulator's IAM). */
  credentials?: Pick<TemporaryCredential, 'ak' | 'sk' | 'securityToken'>;
  idSeed?: number;
  faultSeed?: number;
  deps?: {
    /** Per-attempt timeout of a cloud call in real ms (an injected `timeout` fault costs this much). */
    timeoutMs?: number;
    retry?: RetryOptions;
  };
  /** Keep the functions' log lines (stderr) in `logs` instead of printing them. Default true. */
  captureLogs?: boolean;
  /** Sees every cloud request the DMS, VPCEP and VPC modules serve (after auth, faults, throttling). */
  onRequest?: (request: EmuRequest) => void;
  /** DMS module options, e.g. the opt-in CONFIGURING window after a modify. */
  dms?: DmsModuleOptions;
}

/** The default service modules, DMS with `dms` options. */
function serviceModules(dms: DmsModuleOptions | undefined) {
  const modules = defaultServiceModules();
  return dms ? modules.map((m) => (m.name === 'dms' ? createDmsModule(dms) : m)) : modules;
}

/** The service modules, each reporting the requests it serves to `spy`. */
function spiedModules(spy: (request: EmuRequest) => void, dms: DmsModuleOptions | undefined) {
  return serviceModules(dms).map((module) => ({
    ...module,
    handle: (request: EmuRequest, ctx: Parameters<typeof module.handle>[1]) => {
      spy(request);
      return module.handle(request, ctx);
    },
  }));
}

export class Chain {
  readonly logs: string[] = [];
  readonly invocations: InvocationResult[] = [];
  links: LinkTarget[] = [];
  /** The function being invoked right now (invocations are sequential unless a test pairs them). */
  running: FunctionName | undefined;
  private cursor = 0;
  private handlers = new Map<FunctionName, FunctionGraphHandler>();
  private credential: Pick<TemporaryCredential, 'ak' | 'sk' | 'securityToken'> & { expiresAt: number };
  private restoreStderr: (() => void) | undefined;

  private constructor(
    readonly emulator: EmulatorHandle,
    private readonly options: ChainOptions,
  ) {
    this.credential = this.issueCredential();
  }

  static async start(options: ChainOptions = {}): Promise<Chain> {
    const emulator = await startEmulator({
      port: 0,
      speed: 0,
      start: Date.now(),
      ...(options.idSeed !== undefined ? { idSeed: options.idSeed } : {}),
      faultSeed: options.faultSeed ?? 1,
      ...(options.onRequest
        ? { modules: spiedModules(options.onRequest, options.dms) }
        : options.dms
          ? { modules: serviceModules(options.dms) }
          : {}),
    });
    const chain = new Chain(emulator, options);
    emulator.world.quotas = { endpointService: 1000, endpoint: 1000 };
    const config = emulator.config();
    chain.links = (options.brokers ?? [3]).map((brokers, i) => {
      const instance = emulator.createKafkaInstance({
        name: `kvl-rel-${i}-${brokers}b`,
        brokers,
        createDelayMs: 0,
      });
      return {
        instanceId: instance.instanceId,
        client: { vpcId: config.world.clientVpcId, subnetId: config.world.clientSubnetId },
      };
    });
    emulator.settle();
    chain.useDeps();
    if (options.captureLogs !== false) chain.captureStderr();
    return chain;
  }

  get config() {
    return this.emulator.config();
  }

  instance(instanceId: string): KafkaInstance {
    const found = this.emulator.world.kafkaInstances.find((i) => i.instanceId === instanceId);
    if (!found) throw new Error(`no instance ${instanceId}`);
    return found;
  }

  /**
   * Builds the functions with this chain's clock and client settings (and `wrap` around their
   * dependencies). Client-account clients are kept until the next call, as a warm instance keeps them.
   */
  useDeps(wrap: (deps: FunctionDeps) => FunctionDeps = (deps) => deps): void {
    const emulated = this.emulator.clock;
    const clock: Clock = {
      now: () => emulated.now(),
      sleep: async (ms) => {
        emulated.advance(ms);
        this.emulator.settle();
      },
    };
    const accounts = new Map<string, Promise<AccountClients>>();
    const overrides = {
      clock,
      accounts,
      timeoutMs: this.options.deps?.timeoutMs ?? 400,
      retry: this.options.deps?.retry ?? { retries: 4, baseDelayMs: 2, maxDelayMs: 10, maxRetryAfterMs: 50 },
    };
    this.handlers = new Map(
      Object.entries(CHAIN_FUNCTIONS).map(([name, fn]) => [
        name as FunctionName,
        fn.with({ clock, createDeps: (ctx) => wrap(createLinkDeps(ctx, overrides)) }),
      ]),
    );
  }

  /** The user data every function gets (what serverless.yml + deploy would set). */
  userData(): Record<string, string> {
    const config = this.config;
    return {
      ...emulatorEnv(config),
      KVL_POLL_INTERVAL_MS: String(this.options.pollIntervalMs ?? 20_000),
      KVL_LOG_LEVEL: 'warn',
      ...this.options.userData,
    };
  }

  private issueCredential() {
    const given = this.options.credentials;
    const now = this.emulator.clock.now();
    const config = this.emulator.config();
    const world = this.emulator.world;
    const lifetime = 7 * 24 * 3_600_000;
    if (given) {
      world.temporaryCredentials = world.temporaryCredentials.filter((c) => c.ak !== given.ak);
      world.temporaryCredentials.push({
        ...given,
        domainId: config.domainId,
        projectId: config.projectId,
        expiresAt: now + lifetime,
      });
      return { ...given, expiresAt: now + lifetime };
    }
    const credential: TemporaryCredential = {
      ak: `KVLREL${randomUUID().replaceAll('-', '').slice(0, 14).toUpperCase()}`,
      sk: randomUUID().replaceAll('-', ''),
      securityToken: `rel-token-${randomUUID()}`,
      domainId: config.domainId,
      projectId: config.projectId,
      expiresAt: now + lifetime,
    };
    world.temporaryCredentials.push(credential);
    return credential;
  }

  /** Invokes one function the way FunctionGraph would, with `event` as the trigger event. */
  async invoke(fn: FunctionName, event: unknown): Promise<InvocationResult> {
    if (this.credential.expiresAt - this.emulator.clock.now() < 3_600_000) {
      this.credential = this.issueCredential();
    }
    const budget = this.options.budgetMs ?? 300_000;
    // The handler's deadline is on the deps' clock (the emulator's): `budget` of emulated time.
    const context = createLocalContext({
      functionName: fn,
      timeoutMs: budget,
      userData: this.userData(),
      credentials: this.credential,
      projectId: this.config.projectId,
    });
    let result: InvocationResult;
    this.running = fn;
    try {
      const handler = this.handlers.get(fn);
      if (!handler) throw new Error(`no handler for ${fn}`);
      const summary = await handler(event, context);
      result = { fn, ok: true, summary };
    } catch (error) {
      result = { fn, ok: false, error };
    } finally {
      this.running = undefined;
    }
    this.invocations.push(result);
    return result;
  }

  /** FunctionGraph's SMN trigger event for one message. */
  smnEvent(delivery: Pick<Delivery, 'topicUrn' | 'messageId' | 'text' | 'type'>): Record<string, unknown> {
    return {
      record: [
        {
          event_version: '1.0',
          event_source: 'smn',
          event_subscription_urn: `${delivery.topicUrn}:sub-rel`,
          smn: {
            topic_urn: delivery.topicUrn,
            message_id: delivery.messageId,
            type: 'notification',
            subject: delivery.type,
            message: delivery.text,
            message_attributes: null,
            timestamp: new Date(this.emulator.clock.now()).toISOString(),
          },
        },
      ],
      functionname: 'rel',
      requestId: randomUUID(),
      timestamp: new Date(this.emulator.clock.now()).toString(),
    };
  }

  async deliver(delivery: Delivery): Promise<InvocationResult> {
    return this.invoke(delivery.fn, this.smnEvent(delivery));
  }

  /** A timer tick of `poll-acceptance` (default) or `reconcile`. */
  async tick(fn: 'poll-acceptance' | 'reconcile' = 'poll-acceptance'): Promise<InvocationResult> {
    return this.invoke(fn, {
      trigger_type: 'TIMER',
      trigger_name: fn,
      user_event: '',
      time: new Date(this.emulator.clock.now()).toISOString(),
    });
  }

  advance(ms: number): void {
    this.emulator.clock.advance(ms);
    this.emulator.settle();
  }

  requestEvent(link: LinkTarget, options: Record<string, unknown> = {}): CloudEvent {
    return newCloudEvent('kvl.link.requested', {
      source: 'kvl/reliability-test',
      time: this.emulator.clock.now(),
      data: { instanceId: link.instanceId, client: link.client, options },
    }) as CloudEvent;
  }

  /** Publishes a link request through the emulator's SMN (signed with the owner's AK/SK). */
  async publishRequest(link: LinkTarget, options: Record<string, unknown> = {}): Promise<CloudEvent> {
    const event = this.requestEvent(link, options);
    await this.publishRaw(this.config.topics.linkRequests, event.type, JSON.stringify(event));
    return event;
  }

  async publishRaw(topicUrn: string, subject: string, message: string): Promise<void> {
    const config = this.config;
    const smn = createSmnClient(
      createCloudHttp({
        service: 'smn',
        region: config.region,
        projectId: config.projectId,
        credentials: staticCredentials({ ak: config.ak, sk: config.sk }),
        baseUrl: config.endpoint,
        retry: { retries: 6, baseDelayMs: 2, maxDelayMs: 20, maxRetryAfterMs: 1_000 },
      }),
    );
    await smn.publish(topicUrn, { subject, message });
  }

  /** Chain messages published since the last call (the events topic is not a chain topic). */
  takeNew(): Delivery[] {
    const messages = this.emulator.world.messages;
    const fresh = messages.slice(this.cursor);
    this.cursor = messages.length;
    const topics = this.config.topics;
    const route: Record<string, FunctionName> = {
      [topics.linkRequests]: 'create-services',
      [topics.servicesReady]: 'buy-endpoints',
      [topics.endpointsAccepted]: 'patch-listeners',
      [topics.unlinkRequests]: 'unlink',
    };
    return fresh.flatMap((m) => {
      const fn = route[m.topicUrn];
      return fn
        ? [{ messageId: m.messageId, topicUrn: m.topicUrn, fn, text: m.message, type: m.subject ?? '' }]
        : [];
    });
  }

  /** Every event published on the events topic (completions, failures), parsed. */
  outcomes(instanceId?: string): CloudEvent[] {
    const topic = this.config.topics.events;
    return this.emulator.world.messages
      .filter((m) => m.topicUrn === topic)
      .map((m) => JSON.parse(m.message) as CloudEvent)
      .filter((e) => instanceId === undefined || e.subject === instanceId);
  }

  addFaults(specs: FaultSpec[], seed?: number): void {
    this.emulator.addFaults(specs, seed);
  }

  private captureStderr(): void {
    const original = process.stderr.write.bind(process.stderr);
    const logs = this.logs;
    process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      // The functions' JSON log lines are kept for inspection; anything else passes through.
      if (text.startsWith('{"')) {
        logs.push(...text.split('\n').filter((l) => l !== ''));
        return true;
      }
      return (original as (...args: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof process.stderr.write;
    this.restoreStderr = () => {
      process.stderr.write = original as typeof process.stderr.write;
    };
  }

  async close(): Promise<void> {
    this.restoreStderr?.();
    await this.emulator.close();
  }
}
