/**
 * The admin API under `/_emulator/` (loopback clients only, no signature; errors are `{error}`
 * with 400/404); the routes are listed in server.ts's header. It answers the core's own calls
 * (state, request log, faults, clock, throttle) through `AdminTarget`, and dispatches every other
 * call to the admin routes the services register as WorldHooks (DMS: kafka-instances, VPCEP: forced
 * states, SMN: messages); it knows nothing of their resources.
 */
import { isRecord } from '../gateway/http.js';
import { normalizeThrottle } from '../gateway/throttle.js';
import {
  type ActiveFault,
  EmulatorError,
  type FaultSpec,
  type RequestLogEntry,
  type ThrottleConfig,
} from '../gateway/types.js';
import type { AdminContext, AdminReply, AdminRoute } from '../module-kit.js';
import type { EmuClock, World } from '../types.js';

export type { AdminReply } from '../module-kit.js';

/** The emulator as the admin API sees it. */
export interface AdminTarget {
  readonly world: World;
  readonly clock: EmuClock;
  settle(): void;
  readonly ctsEvents: ReadonlyArray<Record<string, unknown>>;
  requests(): RequestLogEntry[];
  clearRequests(): void;
  addFaults(specs: FaultSpec[], seed?: number): ActiveFault[];
  clearFaults(): void;
  activeFaults(): ActiveFault[];
  setThrottle(config: ThrottleConfig | false): void;
  throttleConfig(): Required<ThrottleConfig> | false;
}

/** The services' admin calls, and the context they run with. */
export interface ServiceAdmin {
  routes: readonly AdminRoute[];
  ctx: AdminContext;
}

/** Answers one admin call; throws EmulatorError (or WorldError) for bad input, which the server turns into 400. */
export function handleAdmin(
  target: AdminTarget,
  services: ServiceAdmin,
  method: string,
  path: string,
  query: URLSearchParams,
  rawBody: Buffer,
): AdminReply {
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
    target.settle();
    return { status: 200, body: snapshot(target) };
  }
  if (route === 'requests') {
    if (method === 'GET') return { status: 200, body: target.requests() };
    if (method === 'DELETE') {
      target.clearRequests();
      return { status: 204 };
    }
  }
  if (route === 'faults') {
    if (method === 'GET') return { status: 200, body: { faults: target.activeFaults() } };
    if (method === 'DELETE') {
      target.clearFaults();
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
      const added = target.addFaults(specs as FaultSpec[], seed);
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
        target.clock.setSpeed(speed);
      }
      if (input.advanceMs !== undefined) {
        const ms = Number(input.advanceMs);
        if (!Number.isFinite(ms) || ms < 0) throw new EmulatorError('advanceMs must be a number >= 0');
        target.clock.advance(ms);
      }
      target.settle();
    } else if (method !== 'GET')
      return { status: 405, body: { error: `${method} ${path} is not supported` } };
    return { status: 200, body: { now: target.clock.now(), speed: target.clock.speed() } };
  }
  if (method === 'POST' && route === 'throttle') {
    const input = body();
    if (isRecord(input) && input.off === true) target.setThrottle(false);
    else target.setThrottle(normalizeThrottle(input));
    return { status: 200, body: { throttle: target.throttleConfig() } };
  }
  if (method === 'GET' && route === 'throttle')
    return { status: 200, body: { throttle: target.throttleConfig() } };
  for (const owned of services.routes) {
    if (owned.method !== method) continue;
    const match = owned.pattern.exec(route);
    if (match) return owned.handle(services.ctx, { match, query, body });
  }
  return { status: 404, body: { error: `no admin call ${method} ${path}` } };
}

/** The World as JSON, with the secrets of temporary credentials and tokens masked. */
function snapshot(target: AdminTarget): Record<string, unknown> {
  return {
    ...target.world,
    temporaryCredentials: target.world.temporaryCredentials.map((c) => ({
      ...c,
      sk: '***',
      securityToken: '***',
    })),
    tokens: (target.world.tokens ?? []).map((t) => ({ ...t, token: '***' })),
    emulator: {
      now: target.clock.now(),
      speed: target.clock.speed(),
      ctsEvents: target.ctsEvents,
      faults: target.activeFaults(),
      throttle: target.throttleConfig(),
    },
  };
}
