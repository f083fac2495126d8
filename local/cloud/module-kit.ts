/**
 * What every service module of the emulator shares: answering with the service's error, a route
 * table that checks the path's `{project_id}` against the caller before a handler runs, and the
 * hooks through which a service owns its part of the World outside its API (WorldHooks: admin
 * calls, settling, scheduled transitions), so the core and the admin API only dispatch.
 */
import {
  EmuError,
  type EmuRequest,
  type EmuResponse,
  type ServiceContext,
  type ServiceName,
  type World,
} from './types.js';
import type { SeedIds } from './world.js';

export type JsonObject = Record<string, unknown>;

/** Path parameters: the project, then up to two ids in the order the pattern captures them. */
export interface RouteParams {
  projectId: string;
  id: string;
  subId: string;
}

export type RouteHandler = (req: EmuRequest, ctx: ServiceContext, params: RouteParams) => EmuResponse;

export interface Route {
  method: string;
  /** First capture group: the project id; then the ids. */
  pattern: RegExp;
  handler: RouteHandler;
}

/** Ends the request with the module's error envelope (the server renders it). */
export function fail(status: number, code: string, message: string): never {
  throw new EmuError(status, code, message);
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Clients may append a slash (the signer's canonical URI always ends with one). */
export function normalizedPath(path: string): string {
  return path.length > 1 ? path.replace(/\/+$/, '') : path;
}

/**
 * Runs the first route that matches; `projectMismatch` and `unknownRoute` answer in the service's
 * own words when the path's project is not the caller's, or when nothing matches.
 */
export function dispatch(
  routes: readonly Route[],
  req: EmuRequest,
  ctx: ServiceContext,
  answers: { projectMismatch: (projectId: string) => never; unknownRoute: () => never },
): EmuResponse {
  const path = normalizedPath(req.path);
  for (const route of routes) {
    if (route.method !== req.method) continue;
    const m = route.pattern.exec(path);
    if (!m) continue;
    const projectId = m[1] ?? '';
    if (projectId !== req.caller.projectId) answers.projectMismatch(projectId);
    return route.handler(req, ctx, { projectId, id: m[2] ?? '', subId: m[3] ?? '' });
  }
  return answers.unknownRoute();
}

/* ------------------------------------------------------------------ world hooks */

/** An admin call's answer (refusals are `{error}`, the admin API's own envelope). */
export interface AdminReply {
  status: number;
  body?: unknown;
}

/** What an admin hook may use: the services' context plus what the default world seeded. */
export interface AdminContext extends ServiceContext {
  seed: SeedIds | undefined;
}

/** One admin call a service owns, under `/_emulator/`; bad input throws EmulatorError (400). */
export interface AdminRoute {
  method: string;
  /** Matched against the admin path without `/_emulator/` and trailing slash, e.g. `^kafka-instances$`. */
  pattern: RegExp;
  handle(
    ctx: AdminContext,
    call: { match: RegExpExecArray; query: URLSearchParams; body: () => unknown },
  ): AdminReply;
}

/**
 * What a service owns of the World whatever API modules the emulator mounts (a test may replace
 * them, but the seeded resources stay): its admin calls, settling that must happen even without its
 * API module, and the resources whose scheduled transitions the core keeps a clock wake-up for.
 */
export interface WorldHooks {
  readonly name: ServiceName;
  readonly admin?: readonly AdminRoute[];
  settle?(ctx: ServiceContext): void;
  scheduled?(world: World): Iterable<{ transitions: ReadonlyArray<{ at: number }> }>;
}
