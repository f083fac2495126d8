/**
 * The emulator's HTTP front: one port for every service, like Huawei's API gateway in front of DMS,
 * VPCEP, VPC, SMN, IAM and FunctionGraph. It owns what the gateway owns — authentication (SDK-HMAC-SHA256
 * signatures, security tokens, IAM tokens), project scoping, throttling (429 APIGW.0308), request
 * ids, the request log — plus the emulator-only parts: fault injection and the admin API under
 * `/_emulator/`. Services are ServiceModules asked in order; each owns its paths, bodies, errors and
 * state machines. The gateway's steps live in gateway/ (auth.ts, throttle.ts, faults.ts,
 * request-log.ts, http.ts); the admin API in admin/api.ts. What a service owns of the World beyond
 * its API — its admin calls, settling, scheduled transitions — it registers as WorldHooks
 * (module-kit.ts: SMN in smn.ts, DMS in dms-world.ts, VPCEP in vpcep/admin.ts), always mounted like
 * IAM and SMN because their resources exist in every world; the core and the admin API dispatch.
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
import { type AdminReply, handleAdmin } from './admin/api.js';
import { createClock } from './clock.js';
import { claimSubnetOctet, DataPlane, dataPlaneNetworks, type KafkaConnection } from './data-plane.js';
import { createDmsModule } from './dms.js';
import { createKafkaInstance, dmsWorldHooks } from './dms-world.js';
import { bodyForLog, type ExchangeObserver, queryRecord } from './exchange-log.js';
import { createFunctionGraphModule } from './functiongraph.js';
import { authenticate, authorize } from './gateway/auth.js';
import { FaultTable } from './gateway/faults.js';
import { apigwBody, decodePath, errorCodeOf, isLoopback, readBody, send } from './gateway/http.js';
import { RequestLog } from './gateway/request-log.js';
import { normalizeThrottle, pathTemplate, Throttle } from './gateway/throttle.js';
import {
  type ActiveFault,
  type EmulatorConfig,
  EmulatorError,
  type EmulatorOptions,
  type FaultSpec,
  type FunctionHost,
  type RequestLogEntry,
  type ThrottleConfig,
} from './gateway/types.js';
import { createIamModule } from './iam.js';
import type { AdminContext, WorldHooks } from './module-kit.js';
import { createSmnModule, smnWorldHooks } from './smn.js';
import { earliestTransitionAfter } from './transitions.js';
import type {
  EmuClock,
  EmuRequest,
  EmuResponse,
  KafkaInstance,
  ServiceContext,
  ServiceModule,
  World,
} from './types.js';
import { EmuError } from './types.js';
import { createVpcModule } from './vpc.js';
import { createVpcepModule, vpcepWorldHooks } from './vpcep.js';
import {
  createIdFactory,
  createWorld,
  DEFAULT_REGION,
  hexId,
  type IdFactory,
  type SeedIds,
  seedDefaultWorld,
  WorldError,
} from './world.js';

// The public names stay importable from server.ts (INTERFACES.md).
export { kafkaCreatedTrace } from './dms.js';
export type {
  ActiveFault,
  EmulatorConfig,
  EmulatorOptions,
  FaultKind,
  FaultSpec,
  FunctionHost,
  RequestLogEntry,
  ThrottleConfig,
} from './gateway/types.js';
export { EmulatorError } from './gateway/types.js';

const DEFAULT_MAX_SKEW_MS = 15 * 60_000;

/** Fresh DMS, VPCEP, VPC and FunctionGraph modules, in routing order. */
export function defaultServiceModules(): ServiceModule[] {
  return [createDmsModule(), createVpcepModule(), createVpcModule(), createFunctionGraphModule()];
}

/* ------------------------------------------------------------------ emulator */

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
  private readonly worldHooks: WorldHooks[];
  private readonly adminCtx: AdminContext;
  private readonly server: Server;
  private readonly ctx: ServiceContext;
  private readonly maxSkewMs: number;
  private readonly kafkaCreateDelayMs: number | undefined;
  private readonly heldResponses = new Set<ServerResponse>();
  private readonly requestLog: RequestLog;
  private readonly faults: FaultTable;
  private throttle: Throttle | undefined;
  private host: FunctionHost | undefined;
  private settling = false;
  private wakeup: { at: number; cancel: () => void } | undefined;
  private baseUrl = '';
  private closed = false;
  /** Run once the emulator is closed (the data plane's subnet claim). */
  private readonly onClosed: Array<() => Promise<void>> = [];

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
    this.requestLog = new RequestLog(this.clock);
    this.faults = new FaultTable(options.faultSeed ?? 1, this.ids);
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
    this.worldHooks = [
      smnWorldHooks,
      dmsWorldHooks({ kafkaCreateDelayMs: this.kafkaCreateDelayMs }),
      vpcepWorldHooks,
    ];
    this.adminCtx = { ...this.ctx, seed: this.seed };
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
    for (const release of this.onClosed.splice(0)) await release();
  }

  /** `release` runs when the emulator closes (after its data plane). */
  releaseOnClose(release: () => Promise<void>): void {
    this.onClosed.push(release);
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

  /**
   * Applies every due transition of every module, then of every service's world hooks (DMS emits
   * its due CTS events there), and re-arms the wake-up.
   */
  settle(): void {
    if (this.settling) return;
    this.settling = true;
    try {
      for (const module of this.modules) module.settle?.(this.ctx);
      for (const hooks of this.worldHooks) hooks.settle?.(this.ctx);
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
    const earliest = Math.min(
      ...this.worldHooks.map((hooks) => earliestTransitionAfter(hooks.scheduled?.(this.world) ?? [], now)),
    );
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
    return this.requestLog.list();
  }

  clearRequests(): void {
    this.requestLog.clear();
  }

  /** Sees every cloud API call with its query, body and answer (secrets redacted); returns an unsubscribe. */
  onExchange(observer: ExchangeObserver): () => void {
    return this.requestLog.onExchange(observer);
  }

  addFaults(specs: FaultSpec[], seed?: number): ActiveFault[] {
    return this.faults.add(specs, seed);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  activeFaults(): ActiveFault[] {
    return this.faults.list();
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
    this.requestLog.record(entry, exchange);
  }

  private internalError(res: ServerResponse, error: unknown): void {
    process.emitWarning(
      `emulator: unhandled error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
    send(
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
      send(res, 413, apigwBody('APIGW.0201', 'Request entity too large', requestId));
      return;
    }

    if (path === '/_emulator' || path.startsWith('/_emulator/')) {
      if (!isLoopback(req.socket.remoteAddress)) {
        send(res, 403, { error: 'the admin API answers loopback clients only' });
        return;
      }
      let reply: AdminReply;
      try {
        reply = handleAdmin(
          this,
          { routes: this.worldHooks.flatMap((hooks) => hooks.admin ?? []), ctx: this.adminCtx },
          method,
          path,
          query,
          rawBody,
        );
      } catch (error) {
        const status = error instanceof EmulatorError || error instanceof WorldError ? 400 : 500;
        reply = { status, body: { error: error instanceof Error ? error.message : String(error) } };
      }
      send(res, reply.status, reply.body);
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
      send(res, status, body, headers);
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
        // A text answer is no JSON document: the contracts (which describe JSON) have nothing to check.
        { userAgent, responseBody: Buffer.isBuffer(body) ? undefined : body },
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
    const auth = authenticate(req, call, module, this.world, this.clock.now(), this.maxSkewMs);
    if (!('caller' in auth)) {
      serviceError(auth.status, auth.code, auth.message);
      return;
    }
    const caller = auth.caller;
    // 2. What the caller may do: an agency's policies, and project scoping.
    const refused = authorize(req, caller, method, path, module);
    if (refused) {
      serviceError(refused.status, refused.code, refused.message);
      return;
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
    const fault = this.faults.take(method, path, module.name);
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

  /* -------------------------------------------------------------- admin API */

  /** Admin `POST /_emulator/kafka-instances`: a CREATING instance that becomes RUNNING later. */
  createKafkaInstance(input: unknown): KafkaInstance {
    return createKafkaInstance(this.adminCtx, input, { kafkaCreateDelayMs: this.kafkaCreateDelayMs });
  }
}

export type EmulatorHandle = Emulator;

/** Starts the emulator and resolves once it listens. */
export async function startEmulator(options: EmulatorOptions = {}): Promise<EmulatorHandle> {
  // A data plane's subnets are claimed before the world is seeded in them (claimSubnetOctet).
  const dataPlane = options.dataPlane === true ? {} : options.dataPlane || undefined;
  const claim = dataPlane ? await claimSubnetOctet(dataPlane.subnetOctet) : undefined;
  try {
    const emulator = new Emulator(
      claim ? { ...options, dataPlane: { ...dataPlane, subnetOctet: claim.octet } } : options,
    );
    if (claim) emulator.releaseOnClose(claim.release);
    return await emulator.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  } catch (error) {
    await claim?.release();
    throw error;
  }
}
