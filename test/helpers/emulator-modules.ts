/**
 * Drives the emulator's service modules directly, without HTTP: a seeded world on a frozen clock, a
 * ServiceContext, and `call()`, which does what the server does around a module — settle every
 * module, route to the module whose `matches()` accepts the path, and render a thrown EmuError
 * with that module's `errorBody`.
 */

import { createClock } from '../../local/cloud/clock.js';
import { createDmsModule, type DmsModuleOptions } from '../../local/cloud/dms.js';
import {
  type Caller,
  type EmuClock,
  EmuError,
  type EmuResponse,
  type ServiceContext,
  type ServiceModule,
  type World,
} from '../../local/cloud/types.js';
import { createVpcModule } from '../../local/cloud/vpc.js';
import { createVpcepModule } from '../../local/cloud/vpcep.js';
import { createIdFactory, createWorld, type SeedIds, seedDefaultWorld } from '../../local/cloud/world.js';
import { readFixture } from './fake-api-server.js';

/** 2026-01-01T00:00:00Z: a fixed start so timestamps in assertions are predictable. */
export const HARNESS_START_MS = Date.UTC(2026, 0, 1);

export interface CallInput {
  method: string;
  /** Path (optionally with `?query`); `{pid}` is replaced by the caller's project id. */
  path: string;
  body?: unknown;
  /** Default: the owner account (account A of the seeded world). */
  caller?: Caller;
}

export interface ModuleHarness {
  world: World;
  clock: EmuClock;
  ctx: ServiceContext;
  seed: SeedIds;
  modules: ServiceModule[];
  owner: Caller;
  partner: Caller;
  cts: Array<Record<string, unknown>>;
  /** One API call, answered like the server would (errors in the module's envelope). */
  call(input: CallInput): EmuResponse & { body?: any };
  /** Moves emulated time and settles every module. */
  advance(ms: number): void;
}

export function createModuleHarness(
  options: { idSeed?: number; dms?: DmsModuleOptions } = {},
): ModuleHarness {
  const clock = createClock({ speed: 0, start: HARNESS_START_MS });
  const world = createWorld();
  const ids = createIdFactory(options.idSeed ?? 7);
  const seed = seedDefaultWorld(world, clock, ids);
  const modules = [createDmsModule(options.dms), createVpcepModule(), createVpcModule()];
  const cts: Array<Record<string, unknown>> = [];
  const ctx: ServiceContext = {
    world,
    clock,
    newId: ids,
    emitCts: (trace) => cts.push(trace),
    deliverToFunction: () => undefined,
    settle: () => {
      for (const module of modules) module.settle?.(ctx);
    },
  };
  const callerOf = (account: SeedIds['owner']): Caller => ({
    domainId: account.domainId,
    projectId: account.projectId,
    ak: account.ak,
    temporary: false,
    authMethod: 'aksk',
  });
  const owner = callerOf(seed.owner);
  const partner = callerOf(seed.partner);

  const call = (input: CallInput): EmuResponse & { body?: any } => {
    const caller = input.caller ?? owner;
    const [rawPath = '', rawQuery = ''] = input.path.replaceAll('{pid}', caller.projectId).split('?');
    const module = modules.find((m) => m.matches(input.method, rawPath));
    if (!module) throw new Error(`no module serves ${input.method} ${rawPath}`);
    ctx.settle();
    const body = input.body === undefined ? undefined : JSON.parse(JSON.stringify(input.body));
    try {
      const response = module.handle(
        {
          method: input.method,
          path: rawPath,
          query: new URLSearchParams(rawQuery),
          headers: {},
          rawBody: Buffer.from(body === undefined ? '' : JSON.stringify(body)),
          body,
          caller,
        },
        ctx,
      ) as EmuResponse;
      // Round-trip through JSON so tests see exactly what would go on the wire.
      return response.body === undefined
        ? response
        : { ...response, body: JSON.parse(JSON.stringify(response.body)) };
    } catch (error) {
      if (error instanceof EmuError) {
        return { status: error.status, body: module.errorBody(error.code, error.message, 'test-request-id') };
      }
      throw error;
    }
  };

  return {
    world,
    clock,
    ctx,
    seed,
    modules,
    owner,
    partner,
    cts,
    call,
    advance(ms: number) {
      clock.advance(ms);
      ctx.settle();
    },
  };
}

/** Reads the body of a documented example (vendored under test/fixtures/reference-examples). */
export async function fixtureBody(name: string): Promise<any> {
  return readFixture(name).body;
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'array' : typeof value;
}

/**
 * Every key of the documented example is present in `actual` with the same JSON type (null in the
 * example accepts any type). Returns the mismatches, so a failing assertion names them.
 */
export function shapeMismatches(example: unknown, actual: unknown, path = '$'): string[] {
  if (example === null) return [];
  if (jsonType(example) !== jsonType(actual))
    return [`${path}: expected ${jsonType(example)}, got ${jsonType(actual)}`];
  if (Array.isArray(example) && Array.isArray(actual)) {
    if (example.length === 0 || actual.length === 0) return [];
    return shapeMismatches(example[0], actual[0], `${path}[0]`);
  }
  if (typeof example === 'object' && typeof actual === 'object' && actual !== null) {
    const out: string[] = [];
    for (const [key, value] of Object.entries(example as Record<string, unknown>)) {
      if (!(key in (actual as Record<string, unknown>))) out.push(`${path}.${key}: missing`);
      else out.push(...shapeMismatches(value, (actual as Record<string, unknown>)[key], `${path}.${key}`));
    }
    return out;
  }
  return [];
}
