/** 1. functionGraphContext: the adapted context and fresh invocation state. */
import type { Clock } from '../../link/deps.js';
import * as z from '../../zod.js';
import { isClock, systemClock } from '../clock.js';
import type { Env } from '../config.js';
import { coerceFunctionGraphContext, toLambdaContext } from '../context.js';
import { silentLogger } from '../logger.js';
import { StepSchema, validateOptions } from './options.js';
import type { KvlInvocationContext, KvlMiddleware, KvlRequest } from './state.js';

export interface FunctionGraphContextOptions {
  step: string;
  env?: Env;
  /** The runtime's clock (default the system clock; tests and the local runtime pass theirs). */
  clock?: Clock;
}

/**
 * Makes sure the context is the adapted one (see context.ts) and attaches fresh invocation state.
 * Early timeouts need the adapter applied *before* middy runs (kvlHandler does that); adapting here
 * still gives later middlewares `awsRequestId` and friends when middy is used directly.
 */
export function functionGraphContext(options: FunctionGraphContextOptions): KvlMiddleware {
  const { step, env, clock } = validateOptions(
    'functionGraphContext',
    z.strictObject({
      step: StepSchema,
      env: z.optional(z.record(z.string(), z.optional(z.string()))),
      clock: z.optional(z.custom<Clock>(isClock, { error: 'must have now() and sleep(ms)' })),
    }),
    options,
  );
  return {
    name: 'functionGraphContext',
    before: (request: KvlRequest) => {
      let context = request.context as unknown;
      if (!(typeof context === 'object' && context !== null && 'fg' in context)) {
        context = toLambdaContext(coerceFunctionGraphContext(context, env ?? process.env));
        request.context = context as KvlInvocationContext;
      }
      request.context.kvl = {
        step,
        source: `kvl/${step}`,
        logger: silentLogger,
        clock: clock ?? systemClock,
        work: [],
        outputs: [],
        summary: { processed: 0, published: 0, rejected: 0, failed: 0 },
      };
    },
  };
}
