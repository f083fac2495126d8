/**
 * Routes of the FunctionGraph API. A function URN holds colons, so paths are split into segments
 * after `/fgs/functions` or `/fgs/triggers` rather than matched by one pattern per route: the first
 * segment names the function (found before the action is looked up, so a missing function is a
 * 404 for every action), the rest is the action.
 */
import { fail } from '../module-kit.js';
import type { EmuRequest, EmuResponse, ServiceContext } from '../types.js';
import { deleteAsyncConfig, putAsyncConfig, showAsyncConfig } from './async-config.js';
import { E, PREFIX } from './constants.js';
import {
  createFunction,
  deleteFunction,
  listFunctions,
  showCode,
  showConfig,
  updateCode,
  updateConfig,
} from './functions.js';
import { invoke, invokeAsync } from './invocations.js';
import {
  type DeployedFunction,
  type DeployedTrigger,
  deployedTriggers,
  findFunction,
  findTrigger,
} from './models.js';
import { createTrigger, deleteTriggers, updateTrigger } from './triggers.js';
import { triggerView } from './views.js';

type Reply = EmuResponse | Promise<EmuResponse>;
/** `urn` is the one the path names (it may carry a version or alias that `fn` does not). */
type FunctionHandler = (req: EmuRequest, ctx: ServiceContext, fn: DeployedFunction, urn: string) => Reply;
type TriggerHandler = (req: EmuRequest, ctx: ServiceContext, trigger: DeployedTrigger) => Reply;

/** `/fgs/functions/{urn}/{action}`, keyed `METHOD action` (`''`: the function itself). */
const FUNCTION_ROUTES: Readonly<Record<string, FunctionHandler>> = {
  'DELETE ': (_req, ctx, fn, urn) => deleteFunction(ctx, fn, urn),
  'GET config': showConfig,
  'PUT config': updateConfig,
  'GET code': showCode,
  'PUT code': updateCode,
  'PUT async-invoke-config': putAsyncConfig,
  'GET async-invoke-config': showAsyncConfig,
  'DELETE async-invoke-config': deleteAsyncConfig,
  'POST invocations': invoke,
  'POST invocations-async': invokeAsync,
};

/** `/fgs/triggers/{urn}`: every trigger of the function. */
const FUNCTION_TRIGGERS_ROUTES: Readonly<Record<string, FunctionHandler>> = {
  POST: createTrigger,
  GET: (_req, ctx, fn) => ({ status: 200, body: deployedTriggers(ctx.world, fn.funcUrn).map(triggerView) }),
  DELETE: (_req, ctx, fn) => deleteTriggers(ctx, deployedTriggers(ctx.world, fn.funcUrn)),
};

/** `/fgs/triggers/{urn}/{type}/{id}`: one trigger. */
const TRIGGER_ROUTES: Readonly<Record<string, TriggerHandler>> = {
  GET: (_req, _ctx, trigger) => ({ status: 200, body: triggerView(trigger) }),
  PUT: updateTrigger,
  DELETE: (_req, ctx, trigger) => deleteTriggers(ctx, [trigger]),
};

export function route(req: EmuRequest, ctx: ServiceContext): Reply {
  const match = PREFIX.exec(req.path);
  const kind = match?.[2];
  const segments = (match?.[3] ?? '').split('/').filter((s) => s !== '');
  const m = req.method;
  if (kind === 'functions') {
    if (segments.length === 0) {
      if (m === 'POST') return createFunction(req, ctx);
      if (m === 'GET') return listFunctions(req, ctx);
    } else {
      const urn = segments[0] ?? '';
      const fn = findFunction(ctx, req, urn);
      const handler = FUNCTION_ROUTES[`${m} ${segments.slice(1).join('/')}`];
      if (handler) return handler(req, ctx, fn, urn);
    }
  } else if (kind === 'triggers' && segments.length >= 1) {
    const urn = segments[0] ?? '';
    const fn = findFunction(ctx, req, urn);
    if (segments.length === 1) {
      const handler = FUNCTION_TRIGGERS_ROUTES[m];
      if (handler) return handler(req, ctx, fn, urn);
    } else if (segments.length === 3) {
      const trigger = findTrigger(ctx, fn, segments[1] ?? '', segments[2] ?? '');
      const handler = TRIGGER_ROUTES[m];
      if (handler) return handler(req, ctx, trigger);
    }
  }
  fail(404, E.notFound, `The API ${m} ${req.path} does not exist.`);
}
