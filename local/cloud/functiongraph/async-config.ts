/**
 * Async-invoke configuration handlers: put (retries, event age, destinations checked against the
 * world), show and delete.
 */
import { fail, isObject } from '../module-kit.js';
import type { EmuRequest, EmuResponse, ServiceContext } from '../types.js';
import { DESTINATIONS, E } from './constants.js';
import {
  type AsyncDestinationRecord,
  type AsyncInvokeConfigRecord,
  asyncInvokeConfig,
  changed,
  type DeployedFunction,
  functionGraphState,
  stamp,
} from './models.js';
import { body, integerField } from './parse.js';
import { asyncConfigView } from './views.js';

function destination(
  req: EmuRequest,
  ctx: ServiceContext,
  value: unknown,
  field: string,
): AsyncDestinationRecord | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value) || typeof value.destination !== 'string' || !DESTINATIONS.has(value.destination)) {
    fail(400, E.invalid, `${field}.destination must be OBS, SMN, DIS or FunctionGraph.`);
  }
  if (typeof value.param !== 'string') fail(400, E.invalid, `${field}.param must be a JSON string.`);
  let param: unknown;
  try {
    param = JSON.parse(value.param);
  } catch {
    fail(400, E.invalid, `${field}.param is not valid JSON.`);
  }
  if (!isObject(param)) fail(400, E.invalid, `${field}.param must be a JSON object.`);
  if (value.destination === 'SMN') {
    const topicUrn = param.topic_urn;
    if (
      typeof topicUrn !== 'string' ||
      !ctx.world.topics.some((t) => t.topicUrn === topicUrn && t.projectId === req.caller.projectId)
    ) {
      fail(400, E.invalid, `${field}: SMN topic ${JSON.stringify(topicUrn)} does not exist.`);
    }
  }
  return { destination: value.destination as AsyncDestinationRecord['destination'], param: value.param };
}

export function putAsyncConfig(req: EmuRequest, ctx: ServiceContext, fn: DeployedFunction): EmuResponse {
  const input = body(req);
  const retries =
    input.max_async_retry_attempts === undefined ? 1 : integerField(input.max_async_retry_attempts);
  if (retries === undefined || retries < 0 || retries > 3)
    fail(400, E.invalid, 'max_async_retry_attempts is 0-3.');
  const age =
    input.max_async_event_age_in_seconds === undefined
      ? 3600
      : integerField(input.max_async_event_age_in_seconds);
  if (age === undefined || age < 1 || age > 86_400)
    fail(400, E.invalid, 'max_async_event_age_in_seconds is 1-86400.');
  const destinations = input.destination_config ?? {};
  if (!isObject(destinations)) fail(400, E.invalid, 'destination_config must be an object.');
  const now = stamp(ctx);
  const state = functionGraphState(ctx.world);
  const previous = state.asyncConfigs.find((c) => c.funcUrn === fn.funcUrn);
  const config: AsyncInvokeConfigRecord = {
    funcUrn: fn.funcUrn,
    maxAsyncRetryAttempts: retries,
    maxAsyncEventAgeInSeconds: age,
    onSuccess: destination(req, ctx, destinations.on_success, 'on_success'),
    onFailure: destination(req, ctx, destinations.on_failure, 'on_failure'),
    enableAsyncStatusLog: input.enable_async_status_log === true,
    createdTime: previous?.createdTime ?? now,
    lastModified: now,
  };
  state.asyncConfigs = [...state.asyncConfigs.filter((c) => c !== previous), config];
  changed(ctx);
  return { status: 200, body: asyncConfigView(config) };
}

/**
 * The API documents 200 with every field optional (ShowFunctionAsyncInvokeConfigResponse) and 404
 * only for a function that does not exist: no configuration is a 200 without one.
 */
export function showAsyncConfig(_req: EmuRequest, ctx: ServiceContext, fn: DeployedFunction): EmuResponse {
  const config = asyncInvokeConfig(ctx.world, fn.funcUrn);
  return { status: 200, body: config ? asyncConfigView(config) : { func_urn: fn.funcUrn } };
}

export function deleteAsyncConfig(_req: EmuRequest, ctx: ServiceContext, fn: DeployedFunction): EmuResponse {
  const config = asyncInvokeConfig(ctx.world, fn.funcUrn);
  const state = functionGraphState(ctx.world);
  state.asyncConfigs = state.asyncConfigs.filter((c) => c !== config);
  changed(ctx);
  return { status: 204 };
}
