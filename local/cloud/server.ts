/**
 * The emulator's HTTP front: one port for every service, like Huawei's API gateway in front of DMS,
 * VPCEP, VPC, SMN, IAM and FunctionGraph. It owns what the gateway owns — authentication (SDK-HMAC-SHA256
 * signatures, security tokens, IAM tokens), project scoping, throttling (429 APIGW.0308), request
 * ids, the request log — plus the emulator-only parts: fault injection and the admin API under
 * `/_emulator/`. Services are ServiceModules asked in order; each owns its paths, bodies, errors and
 * state machines.
 *
 * Admin API (loopback clients only, no signature; errors are `{error}` with 400/404):
 *   GET    state                      the World as JSON (+ `emulator: {now, speed, ctsEvents, faults, throttle}`)
 *   GET    requests / DELETE requests the request log `[{time, method, path, status, code?, service, requestId, fault?,
 *                                      query, body?}]` (body: parsed JSON, secrets redacted)
 *   GET    messages?topic=URN         messages published to a topic (all topics without `topic`)
 *   POST   faults                     a fault, an array of faults, or `{seed?, faults?}`; GET lists, DELETE clears
 *   POST   clock                      `{advanceMs}` and/or `{speed}` → `{now, speed}`; GET reads it
 *   POST   throttle                   `{ratePerSecond, burst?}` or `{off: true}` → `{throttle}`; GET reads it
 *   POST   kafka-instances            `{name, brokers?, tags?, vpcId?, subnetId?, securityGroupId?, createDelayMs?}`
 *                                      → 201 CREATING instance; RUNNING after the delay, then the CTS event
 *   POST   endpoints/{id}/state       `{status, errorCode?, errorMessage?}` forces an endpoint state
 *   POST   endpoint-services/{id}/state `{status}` forces an endpoint service state
 *
 * Time: resources live on the emulated clock (EmuClock), but `X-Sdk-Date` is checked against the
 * real wall clock (±15 min) because clients sign with their real time; throttling buckets refill
 * on real time too, since clients back off in real time. Token and temporary-credential expiry
 * follow the emulated clock, like the `expires_at` the emulator reports.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifySignature } from '../../shared/cloud/signer.js';
import { createClock } from './clock.js';
import { DataPlane, type DataPlaneOptions, dataPlaneNetworks, type KafkaConnection } from './data-plane.js';
import { createDmsModule } from './dms.js';
import {
  bodyForLog,
  EXCHANGE_FILE_ENV,
  type Exchange,
  type ExchangeObserver,
  exchangeObservers,
  notifyExchange,
  queryRecord,
} from './exchange-log.js';
import { createFunctionGraphModule } from './functiongraph.js';
import { createIamModule, deniedAction } from './iam.js';
import { createSmnModule } from './smn.js';
import type {
  Caller,
  EmuClock,
  EmuRequest,
  EmuResponse,
  EndpointStatus,
  KafkaInstance,
  ServiceContext,
  ServiceModule,
  ServiceStatus,
  World,
} from './types.js';
import { EmuError } from './types.js';
import { createVpcModule } from './vpc.js';
import { createVpcepModule } from './vpcep.js';
import {
  addKafkaInstance,
  applyDueTransitions,
  createIdFactory,
  createWorld,
  DEFAULT_REGION,
  hexId,
  type IdFactory,
  mulberry32,
  type SeedIds,
  seedDefaultWorld,
  WorldError,
} from './world.js';

/* ------------------------------------------------------------------ public types */

export interface ThrottleConfig {
  /** Requests per second per AK and API (method + path template). */
  ratePerSecond: number;
  /** Bucket size; default `max(1, ratePerSecond)`. */
  burst?: number;
}

export type FaultKind = 'status' | 'timeout' | 'drop-after-commit';

export interface FaultSpec {
  match: {
    method?: string;
    /** A glob (`*` matches anything, including `/`) or, when it starts with `^`, a regular expression. */
    path?: string;
    /** Only calls served by this module (`dms`, `vpcep`, …). */
    service?: string;
  };
  kind: FaultKind;
  /** For `status`: the HTTP status (default 500). */
  status?: number;
  /** For `status`: the error code in the service's envelope (default `EMU.FAULT`). */
  code?: string;
  message?: string;
  /** How many matching calls to affect; default unlimited. */
  count?: number;
  /** Probability in [0, 1] that a matching call is affected (seeded PRNG); default 1. */
  rate?: number;
}

export interface ActiveFault extends FaultSpec {
  id: string;
  /** Calls affected so far. */
  hits: number;
}

export interface RequestLogEntry {
  /** Emulated time, ISO-8601. */
  time: string;
  method: string;
  path: string;
  /** HTTP status answered; 0 when no answer was sent (timeout and drop-after-commit faults). */
  status: number;
  /** Error code of a non-2xx answer. */
  code?: string;
  service?: string;
  requestId: string;
  fault?: FaultKind;
  /** Query parameters as sent. */
  query?: Record<string, string | string[]>;
  /** Parsed JSON body, secrets redacted (see exchange-log.ts). */
  body?: unknown;
}

/** The local FunctionGraph runtime: receives SMN deliveries and CTS events. */
export interface FunctionHost {
  deliver(functionUrn: string, event: Record<string, unknown>): void;
  cts(event: Record<string, unknown>): void;
  /** FunctionGraph `invocations`: runs the function synchronously; rejects with the handler's error. */
  invoke?(functionUrn: string, event: unknown): Promise<unknown>;
  /** FunctionGraph `invocations-async`: queues the event (retries, destinations); returns the request id. */
  invokeAsync?(functionUrn: string, event: unknown): string;
  /** Deployed functions, triggers or async configurations changed (FunctionGraph management API). */
  functionsChanged?(): void;
}

/** The emulator's first stdout line (INTERFACES.md); more keys may be added. */
export interface EmulatorConfig {
  endpoint: string;
  region: string;
  projectId: string;
  domainId: string;
  ak: string;
  sk: string;
  world: {
    instanceId: string;
    instanceVpcId: string;
    instanceSubnetId: string;
    securityGroupId: string;
    clientVpcId: string;
    clientSubnetId: string;
    networkAclId: string;
  };
  topics: {
    linkRequests: string;
    servicesReady: string;
    endpointsAccepted: string;
    unlinkRequests: string;
    events: string;
  };
  /** The second account, for cross-account links. */
  partner: {
    domainId: string;
    projectId: string;
    ak: string;
    sk: string;
    vpcId: string;
    subnetId: string;
    /** The partner's agency delegated to the main account, with the endpoint permissions. */
    agencyName: string;
  };
  /** Data-plane mode: how a client reaches the seeded instance's brokers. */
  kafka?: KafkaConnection;
}

export interface EmulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Emulated ms per real ms; default 1, 0 freezes the clock. */
  speed?: number;
  /** Emulated start time (epoch ms); default now. */
  start?: number;
  /** Seed the default world (default true). */
  seed?: boolean;
  /** Gateway throttling; off by default. */
  throttle?: ThrottleConfig | false;
  region?: string;
  /**
   * Service modules besides IAM and SMN (which are always first), asked in order. Default: DMS,
   * VPCEP, VPC, FunctionGraph (`defaultServiceModules()`); tests of the core pass `[]` or their own.
   */
  modules?: ServiceModule[];
  /** Seed of the fault PRNG (rate faults); default 1. */
  faultSeed?: number;
  /** Seed for reproducible resource ids; default crypto-random. */
  idSeed?: number;
  /** Allowed |X-Sdk-Date − real time|; default 15 min (Huawei API gateway). */
  maxSkewMs?: number;
  /** Emulated ms a Kafka instance created through the admin API stays CREATING; default 60 s. */
  kafkaCreateDelayMs?: number;
  /** Serve Kafka on loopback: brokers per instance, listeners per accepted endpoint (data-plane.ts). */
  dataPlane?: boolean | DataPlaneOptions;
}

export class EmulatorError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EmulatorError';
  }
}

/** Fresh DMS, VPCEP, VPC and FunctionGraph modules, in routing order. */
export function defaultServiceModules(): ServiceModule[] {
  return [createDmsModule(), createVpcepModule(), createVpcModule(), createFunctionGraphModule()];
}

/* ------------------------------------------------------------------ helpers */

/** Cap of the request log, so a long-running emulator does not grow without bound. */
const MAX_LOG_ENTRIES = 50_000;
const MAX_BODY_BYTES = 8 * 1024 * 1024;
const DEFAULT_MAX_SKEW_MS = 15 * 60_000;
const ENDPOINT_STATUSES: ReadonlySet<string> = new Set<EndpointStatus>([
  'creating',
  'pendingAcceptance',
  'accepted',
  'rejected',
  'failed',
  'deleting',
]);
const SERVICE_STATUSES: ReadonlySet<string> = new Set<ServiceStatus>([
  'creating',
  'available',
  'failed',
  'deleting',
]);

const HEX32 = /^[0-9a-f]{32}$/i;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Percent-decodes each segment (so an encoded `:` in an SMN URN reads as `:`). */
function decodePath(rawPath: string): string {
  return rawPath
    .split('/')
    .map((s) => safeDecode(s))
    .join('/');
}

/** Method + path with ids replaced, the unit a gateway throttles (one "API"). */
function pathTemplate(path: string): string {
  return path
    .split('/')
    .map((s) => {
      if (HEX32.test(s)) return '{project_id}';
      if (UUID.test(s)) return '{id}';
      if (s.startsWith('urn:')) return '{urn}';
      if (/^\d+$/.test(s)) return '{n}';
      return s;
    })
    .join('/');
}

function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}

function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

/** The error code in any of the envelopes (`error_code`, `code`, `error.code`). */
function errorCodeOf(body: unknown): string | undefined {
  if (!isRecord(body)) return undefined;
  if (typeof body.error_code === 'string') return body.error_code;
  if (typeof body.code === 'string') return body.code;
  if (isRecord(body.error) && typeof body.error.code === 'string') return body.error.code;
  return undefined;
}

function apigwBody(code: string, message: string, requestId: string) {
  return { error_code: code, error_msg: message, request_id: requestId };
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new EmulatorError('request body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Token bucket per key; refilled on the real clock, since clients back off in real time. */
class Throttle {
  private readonly buckets = new Map<string, { tokens: number; last: number }>();

  constructor(readonly config: Required<ThrottleConfig>) {}

  /** Returns 0 when allowed, else the seconds to wait. */
  take(key: string): number {
    const now = performance.now();
    const { ratePerSecond, burst } = this.config;
    const bucket = this.buckets.get(key) ?? { tokens: burst, last: now };
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.last) / 1000) * ratePerSecond);
    bucket.last = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / ratePerSecond));
  }
}

function normalizeThrottle(input: unknown): Required<ThrottleConfig> {
  if (!isRecord(input)) throw new EmulatorError('throttle must be {ratePerSecond, burst?} or {off: true}');
  const rate = Number(input.ratePerSecond);
  if (!Number.isFinite(rate) || rate <= 0) throw new EmulatorError('ratePerSecond must be a number > 0');
  const burst = input.burst === undefined ? Math.max(1, rate) : Number(input.burst);
  if (!Number.isFinite(burst) || burst < 1) throw new EmulatorError('burst must be a number >= 1');
  return { ratePerSecond: rate, burst };
}

function normalizeFault(input: unknown): FaultSpec {
  if (!isRecord(input)) throw new EmulatorError('a fault must be an object');
  const kind = input.kind;
  if (kind !== 'status' && kind !== 'timeout' && kind !== 'drop-after-commit') {
    throw new EmulatorError('fault kind must be "status", "timeout" or "drop-after-commit"');
  }
  const match = input.match === undefined ? {} : input.match;
  if (!isRecord(match)) throw new EmulatorError('fault match must be an object');
  const spec: FaultSpec = { match: {}, kind };
  for (const key of ['method', 'path', 'service'] as const) {
    const value = match[key];
    if (value === undefined) continue;
    if (typeof value !== 'string') throw new EmulatorError(`fault match.${key} must be a string`);
    spec.match[key] = key === 'method' ? value.toUpperCase() : value;
  }
  if (spec.match.path?.startsWith('^')) {
    try {
      new RegExp(spec.match.path);
    } catch (error) {
      throw new EmulatorError(`fault match.path is not a valid regular expression: ${spec.match.path}`, {
        cause: error,
      });
    }
  }
  if (input.status !== undefined) {
    const status = Number(input.status);
    if (!Number.isInteger(status) || status < 400 || status > 599)
      throw new EmulatorError('fault status must be 400..599');
    spec.status = status;
  }
  if (input.code !== undefined) spec.code = String(input.code);
  if (input.message !== undefined) spec.message = String(input.message);
  if (input.count !== undefined) {
    const count = Number(input.count);
    if (!Number.isInteger(count) || count < 1) throw new EmulatorError('fault count must be an integer >= 1');
    spec.count = count;
  }
  if (input.rate !== undefined) {
    const rate = Number(input.rate);
    if (!Number.isFinite(rate) || rate < 0 || rate > 1)
      throw new EmulatorError('fault rate must be in [0, 1]');
    spec.rate = rate;
  }
  return spec;
}

/** The CTS trace of a finished Kafka instance creation (reference functiongraph §2.5). */
export function kafkaCreatedTrace(
  world: World,
  instance: KafkaInstance,
  now: number,
  ids: IdFactory,
): Record<string, unknown> {
  const account = world.accounts.find((a) => a.projectId === instance.projectId);
  const domainId = account?.domainId ?? '';
  return {
    trace_id: ids(),
    trace_name: 'createDMSInstanceTaskSuccess',
    trace_type: 'SystemAction',
    trace_status: 'normal',
    trace_rating: 'normal',
    event_type: 'system',
    service_type: 'DMS',
    resource_type: 'kafka',
    resource_id: instance.instanceId,
    resource_name: instance.name,
    resource_account_id: domainId,
    code: 200,
    api_version: 'v2',
    time: now,
    record_time: now,
    project_id: instance.projectId,
    domain_id: domainId,
    enterprise_project_id: instance.enterpriseProjectId,
    tracker_name: 'system',
    user: { name: 'op_svc_dms', id: '', domain: { name: account?.domainName ?? '', id: domainId } },
    request: {},
    response: {},
    message: '',
  };
}

/* ------------------------------------------------------------------ emulator */

interface AdminReply {
  status: number;
  body?: unknown;
}

export class Emulator {
  readonly world: World;
  readonly clock: EmuClock;
  readonly region: string;
  readonly seed: SeedIds | undefined;
  /** Brokers and endpoint listeners on loopback, in data-plane mode. */
  readonly dataPlane: DataPlane | undefined;
  /** CTS events emitted so far (`{cts: …}`), newest last. */
  readonly ctsEvents: Array<Record<string, unknown>> = [];

  private readonly ids: IdFactory;
  private readonly modules: ServiceModule[];
  private readonly server: Server;
  private readonly ctx: ServiceContext;
  private readonly maxSkewMs: number;
  private readonly kafkaCreateDelayMs: number | undefined;
  private readonly heldResponses = new Set<ServerResponse>();
  private requestLog: RequestLogEntry[] = [];
  private readonly exchangeObservers = new Set<ExchangeObserver>();
  private faults: ActiveFault[] = [];
  private faultRandom: () => number;
  private throttle: Throttle | undefined;
  private host: FunctionHost | undefined;
  private settling = false;
  private wakeup: { at: number; cancel: () => void } | undefined;
  private baseUrl = '';
  private closed = false;

  constructor(options: EmulatorOptions = {}) {
    this.region = options.region ?? DEFAULT_REGION;
    this.clock = createClock({ speed: options.speed ?? 1, start: options.start });
    this.ids = createIdFactory(options.idSeed);
    this.world = createWorld(this.region);
    const dataPlane = options.dataPlane === true ? {} : options.dataPlane || undefined;
    const networks = dataPlane ? dataPlaneNetworks(dataPlane.subnetOctet) : undefined;
    this.seed =
      options.seed === false ? undefined : seedDefaultWorld(this.world, this.clock, this.ids, networks);
    this.dataPlane = dataPlane ? new DataPlane(this.world) : undefined;
    this.modules = [createIamModule(), createSmnModule(), ...(options.modules ?? defaultServiceModules())];
    this.maxSkewMs = options.maxSkewMs ?? DEFAULT_MAX_SKEW_MS;
    this.kafkaCreateDelayMs = options.kafkaCreateDelayMs;
    this.faultRandom = mulberry32(options.faultSeed ?? 1);
    this.throttle = options.throttle ? new Throttle(normalizeThrottle(options.throttle)) : undefined;
    this.ctx = {
      world: this.world,
      clock: this.clock,
      newId: this.ids,
      emitCts: (trace) => this.emitCts(trace),
      deliverToFunction: (functionUrn, event) => this.deliverToFunction(functionUrn, event),
      settle: () => this.settle(),
      // FunctionGraph invocations and deployment changes go to the attached runtime, if any.
      invokeFunction: (functionUrn, event) => {
        if (!this.host?.invoke)
          throw new EmuError(503, 'FSS.0503', 'No local runtime runs the deployed functions.');
        return this.host.invoke(functionUrn, event);
      },
      invokeFunctionAsync: (functionUrn, event) => {
        if (!this.host?.invokeAsync)
          throw new EmuError(503, 'FSS.0503', 'No local runtime runs the deployed functions.');
        return this.host.invokeAsync(functionUrn, event);
      },
      functionsChanged: () => {
        // Deferred like every other hand-over to the runtime: it reloads outside the API call.
        setImmediate(() => {
          try {
            this.host?.functionsChanged?.();
          } catch (error) {
            process.emitWarning(`function host failed to reload deployed functions: ${String(error)}`);
          }
        });
      },
    };
    this.server = createServer((req, res) => {
      this.onRequest(req, res).catch((error: unknown) => this.internalError(res, error));
    });
    // Clients keep connections alive between calls; do not let Node cut idle ones under them.
    this.server.keepAliveTimeout = 65_000;
  }

  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  get endpoint(): string {
    return this.baseUrl;
  }

  async listen(port = 0, host = '127.0.0.1'): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const address = this.server.address() as AddressInfo;
    const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    this.baseUrl = `http://${shownHost === '0.0.0.0' || shownHost === '[::]' ? '127.0.0.1' : shownHost}:${address.port}`;
    this.settle();
    return this;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.clock.stop();
    this.wakeup?.cancel();
    for (const res of this.heldResponses) res.socket?.destroy();
    this.heldResponses.clear();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    await this.dataPlane?.close();
  }

  /** The INTERFACES first-line object. */
  config(): EmulatorConfig {
    const seed = this.seed;
    if (!seed)
      throw new EmulatorError('config() needs the default world: start the emulator with seed: true');
    return {
      endpoint: this.endpoint,
      region: this.region,
      projectId: seed.owner.projectId,
      domainId: seed.owner.domainId,
      ak: seed.owner.ak,
      sk: seed.owner.sk,
      world: {
        instanceId: seed.instanceId,
        instanceVpcId: seed.instanceVpcId,
        instanceSubnetId: seed.instanceSubnetId,
        securityGroupId: seed.securityGroupId,
        clientVpcId: seed.clientVpcId,
        clientSubnetId: seed.clientSubnetId,
        networkAclId: seed.networkAclId,
      },
      topics: { ...seed.topics },
      partner: {
        domainId: seed.partner.domainId,
        projectId: seed.partner.projectId,
        ak: seed.partner.ak,
        sk: seed.partner.sk,
        vpcId: seed.partnerVpcId,
        subnetId: seed.partnerSubnetId,
        agencyName: seed.partnerAgencyName,
      },
      ...this.kafkaConnection(seed.instanceId),
    };
  }

  private kafkaConnection(instanceId: string): { kafka?: KafkaConnection } {
    const instance = this.world.kafkaInstances.find((i) => i.instanceId === instanceId);
    return this.dataPlane && instance ? { kafka: this.dataPlane.connection(instance) } : {};
  }

  setFunctionHost(host: FunctionHost | undefined): void {
    this.host = host;
  }

  /** Applies every due transition of every module, emits due CTS events and re-arms the wake-up. */
  settle(): void {
    if (this.settling) return;
    this.settling = true;
    try {
      for (const module of this.modules) module.settle?.(this.ctx);
      const now = this.clock.now();
      for (const instance of this.world.kafkaInstances) {
        // Idempotent with a DMS module that applies the same transitions first.
        applyDueTransitions(instance, now);
        if (instance.status === 'RUNNING' && instance.ctsEmitted === false) {
          instance.ctsEmitted = true;
          this.emitCts(kafkaCreatedTrace(this.world, instance, now, this.ids));
        }
      }
    } finally {
      this.settling = false;
    }
    this.armWakeup();
    this.dataPlane?.sync();
  }

  /**
   * State machines must move even when nobody calls the API (a CTS event has to reach its function
   * without polling), so a clock timer is kept at the earliest future transition of any resource.
   */
  private armWakeup(): void {
    if (this.closed) return;
    const now = this.clock.now();
    let earliest = Number.POSITIVE_INFINITY;
    const scan = (resources: Array<{ transitions: Array<{ at: number }> }>) => {
      for (const r of resources)
        for (const t of r.transitions) if (t.at > now && t.at < earliest) earliest = t.at;
    };
    scan(this.world.kafkaInstances);
    scan(this.world.endpointServices);
    scan(this.world.endpoints);
    if (this.wakeup?.at === earliest) return;
    this.wakeup?.cancel();
    this.wakeup = undefined;
    if (earliest === Number.POSITIVE_INFINITY) return;
    const cancel = this.clock.at(earliest, () => {
      this.wakeup = undefined;
      this.settle();
    });
    this.wakeup = { at: earliest, cancel };
  }

  requests(): RequestLogEntry[] {
    return [...this.requestLog];
  }

  clearRequests(): void {
    this.requestLog = [];
  }

  /** Sees every cloud API call with its query, body and answer (secrets redacted); returns an unsubscribe. */
  onExchange(observer: ExchangeObserver): () => void {
    this.exchangeObservers.add(observer);
    return () => this.exchangeObservers.delete(observer);
  }

  addFaults(specs: FaultSpec[], seed?: number): ActiveFault[] {
    if (seed !== undefined) this.faultRandom = mulberry32(seed);
    const added = specs.map((spec) => ({ ...normalizeFault(spec), id: this.ids(), hits: 0 }));
    this.faults.push(...added);
    return added;
  }

  clearFaults(): void {
    this.faults = [];
  }

  activeFaults(): ActiveFault[] {
    return this.faults.map((f) => ({ ...f, match: { ...f.match } }));
  }

  setThrottle(config: ThrottleConfig | false): void {
    this.throttle = config ? new Throttle(normalizeThrottle(config)) : undefined;
  }

  throttleConfig(): Required<ThrottleConfig> | false {
    return this.throttle ? { ...this.throttle.config } : false;
  }

  /* -------------------------------------------------------------- runtime hooks */

  private emitCts(trace: Record<string, unknown>): void {
    const event = { cts: trace };
    this.ctsEvents.push(event);
    // Triggers are asynchronous on FunctionGraph; deferring also keeps a function that calls back
    // into the emulator from running inside the request that caused the event.
    setImmediate(() => {
      try {
        this.host?.cts(event);
      } catch (error) {
        process.emitWarning(`function host failed to take a CTS event: ${String(error)}`);
      }
    });
  }

  private deliverToFunction(functionUrn: string, event: Record<string, unknown>): void {
    setImmediate(() => {
      try {
        this.host?.deliver(functionUrn, event);
      } catch (error) {
        process.emitWarning(
          `function host failed to take an SMN delivery for ${functionUrn}: ${String(error)}`,
        );
      }
    });
  }

  /* -------------------------------------------------------------- HTTP */

  private log(
    entry: Omit<RequestLogEntry, 'time'>,
    exchange?: { userAgent?: string; responseBody?: unknown },
  ): void {
    const logged = { time: new Date(this.clock.now()).toISOString(), ...entry };
    this.requestLog.push(logged);
    if (this.requestLog.length > MAX_LOG_ENTRIES)
      this.requestLog.splice(0, this.requestLog.length - MAX_LOG_ENTRIES);
    if (this.exchangeObservers.size > 0 || exchangeObservers.size > 0 || process.env[EXCHANGE_FILE_ENV]) {
      const { code: _code, ...rest } = logged;
      // The answer is what the caller received; notifyExchange redacts it before it is written anywhere.
      notifyExchange({ ...rest, query: logged.query ?? {}, ...exchange } as Exchange, this.exchangeObservers);
    }
  }

  private send(
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void {
    if (res.headersSent || res.destroyed) return;
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
    if (body === undefined) {
      res.writeHead(status);
      res.end();
      return;
    }
    const payload = JSON.stringify(body);
    res.writeHead(status, {
      'Content-Type': 'application/json;charset=UTF-8',
      'Content-Length': Buffer.byteLength(payload),
    });
    res.end(payload);
  }

  private internalError(res: ServerResponse, error: unknown): void {
    process.emitWarning(
      `emulator: unhandled error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
    this.send(
      res,
      500,
      apigwBody('APIGW.0103', 'Internal error in the emulator', String(res.getHeader('X-Request-Id') ?? '')),
    );
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = hexId(this.ids);
    res.setHeader('X-Request-Id', requestId);
    const method = (req.method ?? 'GET').toUpperCase();
    const rawUrl = req.url ?? '/';
    const q = rawUrl.indexOf('?');
    const rawPath = q < 0 ? rawUrl : rawUrl.slice(0, q);
    const query = new URLSearchParams(q < 0 ? '' : rawUrl.slice(q + 1));
    const path = decodePath(rawPath);

    let rawBody: Buffer;
    try {
      rawBody = await readBody(req);
    } catch {
      this.send(res, 413, apigwBody('APIGW.0201', 'Request entity too large', requestId));
      return;
    }

    if (path === '/_emulator' || path.startsWith('/_emulator/')) {
      if (!isLoopback(req.socket.remoteAddress)) {
        this.send(res, 403, { error: 'the admin API answers loopback clients only' });
        return;
      }
      let reply: AdminReply;
      try {
        reply = this.admin(method, path, query, rawBody);
      } catch (error) {
        const status = error instanceof EmulatorError || error instanceof WorldError ? 400 : 500;
        reply = { status, body: { error: error instanceof Error ? error.message : String(error) } };
      }
      this.send(res, reply.status, reply.body);
      return;
    }

    await this.handleCloudCall(req, res, { method, rawUrl, path, query, rawBody, requestId });
  }

  private async handleCloudCall(
    req: IncomingMessage,
    res: ServerResponse,
    call: {
      method: string;
      rawUrl: string;
      path: string;
      query: URLSearchParams;
      rawBody: Buffer;
      requestId: string;
    },
  ): Promise<void> {
    const { method, path, requestId } = call;
    const module = this.modules.find((m) => m.matches(method, path));
    // What the log and the exchange observers see of the request.
    const sent = { query: queryRecord(call.query), body: bodyForLog(call.rawBody) };
    const userAgent = typeof req.headers['user-agent'] === 'string' ? req.headers['user-agent'] : undefined;
    const reply = (
      status: number,
      body: unknown,
      extra: Partial<RequestLogEntry> = {},
      headers?: Record<string, string>,
    ) => {
      this.send(res, status, body, headers);
      const code = status >= 400 ? errorCodeOf(body) : undefined;
      this.log(
        {
          method,
          path,
          status,
          requestId,
          service: module?.name,
          ...(code ? { code } : {}),
          ...sent,
          ...extra,
        },
        { userAgent, responseBody: body },
      );
    };
    const serviceError = (status: number, code: string, message: string) => {
      // Gateway errors look the same in front of every service.
      const body =
        code.startsWith('APIGW.') || !module
          ? apigwBody(code, message, requestId)
          : module.errorBody(code, message, requestId);
      reply(status, body);
    };

    if (!module) {
      serviceError(404, 'APIGW.0101', 'The API does not exist or has not been published in the environment');
      return;
    }

    // 1. Authentication, as the API gateway does it.
    const auth = this.authenticate(req, call, module);
    if ('failure' in auth) {
      serviceError(auth.status, auth.code, auth.failure);
      return;
    }
    const caller = auth.caller;
    // Credentials of an assumed agency may do only what the agency's policies allow.
    const denied = deniedAction(caller, method, path);
    if (denied) {
      serviceError(403, 'APIGW.0302', `Policy doesn't allow ${denied} to be performed.`);
      return;
    }

    // 2. Project scoping. The gateway resolves X-Project-Id against the AK's account; the path's
    // {project_id} is checked by each service with its own error (DMS, VPCEP and VPC do it), or here
    // for modules that declare where their project id is (`projectIdInPath`).
    if (caller.authMethod !== 'none') {
      const headerProject = req.headers['x-project-id'];
      if (typeof headerProject === 'string' && headerProject !== caller.projectId) {
        serviceError(
          401,
          'APIGW.0301',
          'Incorrect IAM authentication information: X-Project-Id is not a project of the caller',
        );
        return;
      }
      const pathProject = module.projectIdInPath?.(path);
      if (pathProject !== undefined && pathProject !== caller.projectId) {
        serviceError(
          403,
          'APIGW.0302',
          'The IAM user is not authorized to access the API: the project id does not belong to the caller',
        );
        return;
      }
    }

    // 3. Throttling per AK and API.
    if (this.throttle) {
      const waitSeconds = this.throttle.take(
        `${caller.ak || caller.domainId} ${method} ${pathTemplate(path)}`,
      );
      if (waitSeconds > 0) {
        reply(
          429,
          apigwBody(
            'APIGW.0308',
            `The throttling threshold has been reached: policy user over ratelimit, limit:${this.throttle.config.ratePerSecond}, time:1 second`,
            requestId,
          ),
          {},
          { 'Retry-After': String(waitSeconds) },
        );
        return;
      }
    }

    // 4. Injected faults.
    const fault = this.takeFault(method, path, module.name);
    if (fault?.kind === 'status') {
      serviceError(fault.status ?? 500, fault.code ?? 'EMU.FAULT', fault.message ?? 'Injected fault');
      return;
    }
    if (fault?.kind === 'timeout') {
      // Hold the request without answering until the client gives up (or the emulator closes).
      this.heldResponses.add(res);
      res.on('close', () => this.heldResponses.delete(res));
      this.log(
        { method, path, status: 0, requestId, service: module.name, fault: 'timeout', ...sent },
        { userAgent },
      );
      return;
    }

    // 5. Body.
    let body: unknown;
    if (call.rawBody.length > 0) {
      const contentType = String(req.headers['content-type'] ?? 'application/json');
      if (contentType.includes('json')) {
        try {
          body = JSON.parse(call.rawBody.toString('utf8'));
        } catch {
          serviceError(400, module.invalidBodyCode ?? 'APIGW.0201', 'The request body is not valid JSON');
          return;
        }
      }
    }

    // 6. The service itself, on a settled world (whose brokers and endpoint listeners are in step).
    this.settle();
    await this.dataPlane?.idle();
    const emuRequest: EmuRequest = {
      method,
      path,
      query: call.query,
      headers: Object.fromEntries(
        Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : (v ?? '')]),
      ),
      rawBody: call.rawBody,
      body,
      caller,
      requestId,
    };
    let response: EmuResponse;
    try {
      response = await module.handle(emuRequest, this.ctx);
    } catch (error) {
      if (error instanceof EmuError) {
        if (fault?.kind === 'drop-after-commit') {
          this.dropAfterCommit(res, {
            method,
            path,
            requestId,
            service: module.name,
            status: error.status,
            code: error.code,
            ...sent,
          });
          return;
        }
        serviceError(error.status, error.code, error.message);
        this.armWakeup();
        return;
      }
      throw error;
    }
    this.armWakeup();
    this.dataPlane?.sync();

    if (fault?.kind === 'drop-after-commit') {
      this.dropAfterCommit(res, {
        method,
        path,
        requestId,
        service: module.name,
        status: response.status,
        code: response.status >= 400 ? errorCodeOf(response.body) : undefined,
        ...sent,
      });
      return;
    }
    reply(response.status, response.body, {}, response.headers);
  }

  /** The change is committed; the reply is lost (the client sees a reset connection). */
  private dropAfterCommit(
    res: ServerResponse,
    entry: {
      method: string;
      path: string;
      requestId: string;
      service: string;
      status: number;
      code?: string;
      query: Record<string, string | string[]>;
      body: unknown;
    },
  ): void {
    this.log({
      method: entry.method,
      path: entry.path,
      requestId: entry.requestId,
      service: entry.service,
      status: 0,
      fault: 'drop-after-commit',
      ...(entry.code ? { code: entry.code } : {}),
      query: entry.query,
      body: entry.body,
    });
    res.socket?.destroy();
  }

  private takeFault(method: string, path: string, service: string): ActiveFault | undefined {
    for (const fault of this.faults) {
      const { match } = fault;
      if (match.method && match.method !== method) continue;
      if (match.service && match.service !== service) continue;
      if (match.path) {
        const pattern = match.path.startsWith('^') ? new RegExp(match.path) : globToRegExp(match.path);
        if (!pattern.test(path)) continue;
      }
      if (fault.rate !== undefined && this.faultRandom() >= fault.rate) continue;
      fault.hits += 1;
      if (fault.count !== undefined) {
        fault.count -= 1;
        if (fault.count <= 0) this.faults = this.faults.filter((f) => f !== fault);
      }
      return fault;
    }
    return undefined;
  }

  /**
   * Signature (AK/SK, permanent or temporary with its security token) or an emulator-issued
   * X-Auth-Token. X-Sdk-Date is compared with the real wall clock, not the emulated one: clients
   * sign with their real time, and the emulated clock may run fast or be frozen.
   */
  private authenticate(
    req: IncomingMessage,
    call: { method: string; rawUrl: string; path: string; rawBody: Buffer },
    module: ServiceModule,
  ): { caller: Caller } | { failure: string; status: number; code: string } {
    const fail = (reason: string) => ({
      failure: `Incorrect IAM authentication information: ${reason}`,
      status: 401,
      code: 'APIGW.0301',
    });
    if (module.allowsAnonymous?.(call.method, call.path)) {
      return { caller: { domainId: '', projectId: '', ak: '', temporary: false, authMethod: 'none' } };
    }
    const authorization = req.headers.authorization;
    const authToken = req.headers['x-auth-token'];
    const now = this.clock.now();

    if (!authorization && typeof authToken === 'string') {
      const token = (this.world.tokens ?? []).find((t) => t.token === authToken);
      if (!token) return fail('the token is invalid');
      if (token.expiresAt <= now) return fail('the token has expired');
      return {
        caller: {
          domainId: token.domainId,
          projectId: token.projectId,
          ak: '',
          temporary: false,
          authMethod: 'token',
        },
      };
    }
    if (!authorization) return fail('missing Authorization (or X-Auth-Token) header');

    const result = verifySignature(
      { method: call.method, url: call.rawUrl, headers: req.headers, body: call.rawBody },
      (ak) =>
        this.world.accounts.find((a) => a.ak === ak)?.sk ??
        this.world.temporaryCredentials.find((c) => c.ak === ak)?.sk,
      new Date(),
      this.maxSkewMs,
    );
    if (!result.ok) return fail(result.reason);

    const account = this.world.accounts.find((a) => a.ak === result.ak);
    if (account) {
      return {
        caller: {
          domainId: account.domainId,
          projectId: account.projectId,
          ak: account.ak,
          temporary: false,
          authMethod: 'aksk',
        },
      };
    }
    const temporary = this.world.temporaryCredentials.find((c) => c.ak === result.ak);
    if (!temporary) return fail('unknown access key');
    const securityToken = req.headers['x-security-token'];
    if (securityToken !== temporary.securityToken) {
      return fail('temporary credentials need their X-Security-Token');
    }
    if (temporary.expiresAt <= now) return fail('the temporary credentials have expired');
    return {
      caller: {
        domainId: temporary.domainId,
        projectId: temporary.projectId,
        ak: temporary.ak,
        temporary: true,
        authMethod: 'aksk',
        ...(temporary.allowedActions ? { allowedActions: temporary.allowedActions } : {}),
      },
    };
  }

  /* -------------------------------------------------------------- admin API */

  private admin(method: string, path: string, query: URLSearchParams, rawBody: Buffer): AdminReply {
    const route = path.replace(/^\/_emulator\/?/, '').replace(/\/$/, '');
    const body = (): unknown => {
      if (rawBody.length === 0) return {};
      try {
        return JSON.parse(rawBody.toString('utf8'));
      } catch (error) {
        throw new EmulatorError('the body is not valid JSON', { cause: error });
      }
    };

    if (method === 'GET' && route === 'state') {
      this.settle();
      return { status: 200, body: this.snapshot() };
    }
    if (route === 'requests') {
      if (method === 'GET') return { status: 200, body: this.requests() };
      if (method === 'DELETE') {
        this.clearRequests();
        return { status: 204 };
      }
    }
    if (method === 'GET' && route === 'messages') {
      this.settle();
      const topic = query.get('topic');
      return { status: 200, body: this.world.messages.filter((m) => topic === null || m.topicUrn === topic) };
    }
    if (route === 'faults') {
      if (method === 'GET') return { status: 200, body: { faults: this.activeFaults() } };
      if (method === 'DELETE') {
        this.clearFaults();
        return { status: 204 };
      }
      if (method === 'POST') {
        const input = body();
        let specs: unknown[];
        let seed: number | undefined;
        if (Array.isArray(input)) specs = input;
        else if (isRecord(input)) {
          if (input.seed !== undefined) {
            seed = Number(input.seed);
            if (!Number.isInteger(seed)) throw new EmulatorError('seed must be an integer');
          }
          specs = Array.isArray(input.faults) ? input.faults : input.kind !== undefined ? [input] : [];
        } else throw new EmulatorError('faults: expected a fault, an array of faults or {seed?, faults?}');
        const added = this.addFaults(specs as FaultSpec[], seed);
        return { status: 201, body: { faults: added } };
      }
    }
    if (route === 'clock') {
      if (method === 'POST') {
        const input = body();
        if (!isRecord(input)) throw new EmulatorError('clock: expected {advanceMs} or {speed}');
        if (input.speed !== undefined) {
          const speed = Number(input.speed);
          if (!Number.isFinite(speed) || speed < 0) throw new EmulatorError('speed must be a number >= 0');
          this.clock.setSpeed(speed);
        }
        if (input.advanceMs !== undefined) {
          const ms = Number(input.advanceMs);
          if (!Number.isFinite(ms) || ms < 0) throw new EmulatorError('advanceMs must be a number >= 0');
          this.clock.advance(ms);
        }
        this.settle();
      } else if (method !== 'GET')
        return { status: 405, body: { error: `${method} ${path} is not supported` } };
      return { status: 200, body: { now: this.clock.now(), speed: this.clock.speed() } };
    }
    if (method === 'POST' && route === 'throttle') {
      const input = body();
      if (isRecord(input) && input.off === true) this.setThrottle(false);
      else this.setThrottle(normalizeThrottle(input));
      return { status: 200, body: { throttle: this.throttleConfig() } };
    }
    if (method === 'GET' && route === 'throttle')
      return { status: 200, body: { throttle: this.throttleConfig() } };
    if (method === 'POST' && route === 'kafka-instances') {
      const instance = this.createKafkaInstance(body());
      return { status: 201, body: instance };
    }
    const forced = /^(endpoints|endpoint-services)\/([^/]+)\/state$/.exec(route);
    if (method === 'POST' && forced) {
      return this.forceState(forced[1] as 'endpoints' | 'endpoint-services', forced[2] ?? '', body());
    }
    return { status: 404, body: { error: `no admin call ${method} ${path}` } };
  }

  /** The World as JSON, with the secrets of temporary credentials and tokens masked. */
  private snapshot(): Record<string, unknown> {
    return {
      ...this.world,
      temporaryCredentials: this.world.temporaryCredentials.map((c) => ({
        ...c,
        sk: '***',
        securityToken: '***',
      })),
      tokens: (this.world.tokens ?? []).map((t) => ({ ...t, token: '***' })),
      emulator: {
        now: this.clock.now(),
        speed: this.clock.speed(),
        ctsEvents: this.ctsEvents,
        faults: this.activeFaults(),
        throttle: this.throttleConfig(),
      },
    };
  }

  /** Admin `POST /_emulator/kafka-instances`: a CREATING instance that becomes RUNNING later. */
  createKafkaInstance(input: unknown): KafkaInstance {
    if (!isRecord(input)) throw new EmulatorError('kafka-instances: expected a JSON object');
    const name = input.name;
    if (typeof name !== 'string' || !/^[A-Za-z][A-Za-z0-9_-]{3,63}$/.test(name)) {
      throw new EmulatorError('name must be 4-64 chars of letters, digits, _ or -, starting with a letter');
    }
    let subnetId = typeof input.subnetId === 'string' ? input.subnetId : undefined;
    let vpcId = typeof input.vpcId === 'string' ? input.vpcId : undefined;
    if (subnetId && !vpcId) vpcId = this.world.subnets.find((s) => s.id === subnetId)?.vpcId;
    if (vpcId && !subnetId) subnetId = this.world.subnets.find((s) => s.vpcId === vpcId)?.id;
    vpcId ??= this.seed?.instanceVpcId;
    subnetId ??= this.seed?.instanceSubnetId;
    if (!vpcId || !subnetId)
      throw new EmulatorError('vpcId/subnetId are required when the world is not seeded');
    const vpc = this.world.vpcs.find((v) => v.id === vpcId);
    if (!vpc) throw new EmulatorError(`unknown VPC ${vpcId}`);
    const securityGroupId =
      (typeof input.securityGroupId === 'string' ? input.securityGroupId : undefined) ??
      (this.seed &&
      this.world.securityGroups.some(
        (g) => g.id === this.seed?.securityGroupId && g.projectId === vpc.projectId,
      )
        ? this.seed.securityGroupId
        : this.world.securityGroups.find((g) => g.projectId === vpc.projectId)?.id);
    if (!securityGroupId) throw new EmulatorError(`no security group in project ${vpc.projectId}`);
    const tags = parseTags(input.tags);
    const brokers = input.brokers === undefined ? 3 : Number(input.brokers);
    const createDelayMs =
      input.createDelayMs === undefined ? this.kafkaCreateDelayMs : Number(input.createDelayMs);
    if (createDelayMs !== undefined && (!Number.isFinite(createDelayMs) || createDelayMs < 0)) {
      throw new EmulatorError('createDelayMs must be a number >= 0');
    }
    this.settle();
    const instance = addKafkaInstance(this.world, this.clock, this.ids, {
      name,
      projectId: vpc.projectId,
      brokers,
      tags,
      vpcId,
      subnetId,
      securityGroupId,
      status: 'CREATING',
      createDelayMs,
    });
    this.settle();
    return instance;
  }

  /** Admin `POST /_emulator/endpoints/{id}/state`: force a state, dropping pending transitions. */
  private forceState(kind: 'endpoints' | 'endpoint-services', id: string, input: unknown): AdminReply {
    if (!isRecord(input) || typeof input.status !== 'string')
      throw new EmulatorError('state: expected {status}');
    const status = input.status;
    this.settle();
    const stamp = new Date(this.clock.now()).toISOString();
    if (kind === 'endpoints') {
      if (!ENDPOINT_STATUSES.has(status)) throw new EmulatorError(`unknown endpoint status ${status}`);
      const endpoint = this.world.endpoints.find((e) => e.id === id);
      if (!endpoint) return { status: 404, body: { error: `no endpoint ${id}` } };
      endpoint.status = status as EndpointStatus;
      endpoint.transitions = [];
      endpoint.updatedAt = stamp;
      if ((status === 'failed' || status === 'rejected') && typeof input.errorCode === 'string') {
        endpoint.errors = [{ error_code: input.errorCode, error_message: String(input.errorMessage ?? '') }];
      }
      this.settle();
      return { status: 200, body: endpoint };
    }
    if (!SERVICE_STATUSES.has(status)) throw new EmulatorError(`unknown endpoint service status ${status}`);
    const service = this.world.endpointServices.find((s) => s.id === id);
    if (!service) return { status: 404, body: { error: `no endpoint service ${id}` } };
    service.status = status as ServiceStatus;
    service.transitions = [];
    service.updatedAt = stamp;
    this.settle();
    return { status: 200, body: service };
  }
}

/** Tags as `[{key, value}]` or `{key: value}`. */
function parseTags(input: unknown): Array<{ key: string; value: string }> {
  if (input === undefined) return [];
  if (Array.isArray(input)) {
    return input.map((t) => {
      if (!isRecord(t) || typeof t.key !== 'string') throw new EmulatorError('tags: expected [{key, value}]');
      return { key: t.key, value: t.value === undefined ? '' : String(t.value) };
    });
  }
  if (isRecord(input)) return Object.entries(input).map(([key, value]) => ({ key, value: String(value) }));
  throw new EmulatorError('tags: expected [{key, value}] or {key: value}');
}

export type EmulatorHandle = Emulator;

/** Starts the emulator and resolves once it listens. */
export async function startEmulator(options: EmulatorOptions = {}): Promise<EmulatorHandle> {
  const emulator = new Emulator(options);
  return emulator.listen(options.port ?? 0, options.host ?? '127.0.0.1');
}
