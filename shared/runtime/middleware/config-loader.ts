/** 3. configLoader: the validated configuration from user data and env. */
import * as z from '../../zod.js';
import { type Env, loadConfig } from '../config.js';
import { validateOptions } from './options.js';
import { type KvlMiddleware, type KvlRequest, stateOf } from './state.js';

export interface ConfigLoaderOptions {
  env?: Env;
  /** Require every KVL_TOPIC_* (functions publishing through SMN). */
  requireTopics?: boolean;
}

export function configLoader(options: ConfigLoaderOptions = {}): KvlMiddleware {
  const opts = validateOptions(
    'configLoader',
    z.strictObject({
      env: z.optional(z.record(z.string(), z.optional(z.string()))),
      requireTopics: z.optional(z.boolean({ error: 'requireTopics must be a boolean' })),
    }),
    options,
  );
  return {
    name: 'configLoader',
    before: (request: KvlRequest) => {
      const state = stateOf(request.context);
      state.config = loadConfig({
        env: opts.env ?? process.env,
        context: request.context.fg,
        requireTopics: opts.requireTopics ?? false,
      });
    },
  };
}
