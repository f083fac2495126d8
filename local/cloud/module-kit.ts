/**
 * What every service module of the emulator shares: answering with the service's error, and a
 * route table that checks the path's `{project_id}` against the caller before a handler runs.
 */
import { EmuError, type EmuRequest, type EmuResponse, type ServiceContext } from './types.js';

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
