/**
 * Invocation handlers: synchronous and asynchronous calls go to the local runtime attached to the
 * emulator core; without one they answer 503.
 */
import { randomUUID } from 'node:crypto';
import { fail } from '../module-kit.js';
import type { EmuRequest, EmuResponse, ServiceContext } from '../types.js';
import { EmuError } from '../types.js';
import { E } from './constants.js';
import type { DeployedFunction } from './models.js';

/** A function error, as the sync invocation reports it: the runtime's error name and message. */
function errorResult(error: unknown): string {
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  return JSON.stringify({ errorType: name, errorMessage: message });
}

export async function invoke(
  req: EmuRequest,
  ctx: ServiceContext,
  fn: DeployedFunction,
): Promise<EmuResponse> {
  if (!ctx.invokeFunction) fail(503, E.unavailable, 'No local runtime runs the deployed functions.');
  const requestId = req.requestId ?? randomUUID();
  // `X-CFF-Request-Version`: v1 answers the JSON envelope below, v0 (the default) the function's output
  // as text [GSDK functiongraph/v2 model_invoke_function_request.go: "v0:默认返回文本格式 v1:默认返回json格式"].
  const answer = (result: string, status: number): EmuResponse =>
    req.headers['x-cff-request-version'] === 'v1'
      ? {
          status: 200,
          headers: { 'X-Cff-Request-Id': requestId },
          body: { request_id: requestId, result, log: '', status },
        }
      : { status: 200, headers: { 'X-Cff-Request-Id': requestId }, body: Buffer.from(result, 'utf8') };
  try {
    const result = await ctx.invokeFunction(fn.funcUrn, req.body ?? {});
    return answer(typeof result === 'string' ? result : JSON.stringify(result ?? null), 200);
  } catch (error) {
    if (error instanceof EmuError) throw error;
    // The runtime does not (yet) run this function: a service problem, not a function error.
    if (
      error instanceof Error &&
      (error.name === 'UnknownFunctionError' || error.name === 'RuntimeClosedError')
    ) {
      fail(503, E.unavailable, `The local runtime cannot run ${fn.funcName}: ${error.message}`);
    }
    // The handler failed: FunctionGraph answers the call, with the failure in the body.
    return answer(errorResult(error), 500);
  }
}

export function invokeAsync(req: EmuRequest, ctx: ServiceContext, fn: DeployedFunction): EmuResponse {
  if (!ctx.invokeFunctionAsync) fail(503, E.unavailable, 'No local runtime runs the deployed functions.');
  let requestId: string;
  try {
    requestId = ctx.invokeFunctionAsync(fn.funcUrn, req.body ?? {});
  } catch (error) {
    if (error instanceof EmuError) throw error;
    fail(
      503,
      E.unavailable,
      `The local runtime cannot run ${fn.funcName}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  return { status: 202, body: { request_id: requestId } };
}
