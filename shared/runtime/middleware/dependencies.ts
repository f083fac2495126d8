/** 5. dependencies: credentials, the handler's dependencies and the publisher. */

import { fromEnv, fromFunctionGraphContext } from '../../cloud/credentials.js';
import type { CredentialsProvider, SmnClient } from '../../cloud/types.js';
import type { Clock } from '../../link/deps.js';
import * as z from '../../zod.js';
import { clockOf } from '../clock.js';
import { createReader, type Env, type KvlConfig, requireTopics } from '../config.js';
import type { KvlLambdaContext } from '../context.js';
import { MiddlewareOptionsError } from '../errors.js';
import { type KvlLogger, registerSecret } from '../logger.js';
import { createSmnPublisher, type EventPublisher } from '../publisher.js';
import { fn, validateOptions } from './options.js';
import { type KvlMiddleware, type KvlRequest, stateOf } from './state.js';

export interface DepsContext {
  config: KvlConfig;
  credentials: CredentialsProvider;
  logger: KvlLogger;
  context: KvlLambdaContext;
  /** The runtime's clock: the deps' clock unless the deps bring their own. */
  clock: Clock;
}

export interface DependenciesOptions<D> {
  createDeps: (ctx: DepsContext) => D | Promise<D>;
  /** Default: SMN publishing through `deps.smn` to the five KVL_TOPIC_* topics. */
  publisher?: (deps: D, ctx: DepsContext) => EventPublisher;
  /** Default: the agency credentials of the context, else HUAWEICLOUD_SDK_AK/SK from user data/env. */
  credentials?: (ctx: { context: KvlLambdaContext; config: KvlConfig }) => CredentialsProvider;
  env?: Env;
}

/** Resolved credentials are registered as secrets before any client can log or echo them. */
export function registering(provider: CredentialsProvider): CredentialsProvider {
  return async () => {
    const credentials = await provider();
    registerSecret(credentials.ak);
    registerSecret(credentials.sk);
    registerSecret(credentials.securityToken);
    return credentials;
  };
}

/**
 * The context's agency credentials when it has an agency, else HUAWEICLOUD_SDK_AK/SK (user data, then
 * env). Resolved lazily: a function that never calls the cloud needs no keys, and a missing key
 * surfaces as a `CredentialsError` (fatal) at the first call that needs it.
 */
export function defaultCredentials(context: KvlLambdaContext, env: Env = process.env): CredentialsProvider {
  let agencyAk = '';
  try {
    agencyAk = context.fg.getSecurityAccessKey() ?? '';
  } catch {
    agencyAk = '';
  }
  if (agencyAk.trim() !== '') return fromFunctionGraphContext(context.fg);
  // Deployed functions use their agency; this branch serves the local runtime and direct runs, where
  // keys may sit in (encrypted) user data or the environment.
  const read = createReader({ env, context: context.fg });
  return async () =>
    fromEnv({
      HUAWEICLOUD_SDK_AK: read('HUAWEICLOUD_SDK_AK'),
      HUAWEICLOUD_SDK_SK: read('HUAWEICLOUD_SDK_SK'),
      HUAWEICLOUD_SDK_SECURITY_TOKEN: read('HUAWEICLOUD_SDK_SECURITY_TOKEN'),
    })();
}

function hasSmn(deps: unknown): deps is { smn: SmnClient } {
  if (typeof deps !== 'object' || deps === null) return false;
  const smn = (deps as { smn?: unknown }).smn;
  return typeof smn === 'object' && smn !== null && typeof (smn as SmnClient).publish === 'function';
}

/** Builds credentials, the handler's dependencies and the publisher, once per invocation. */
export function dependencies<D>(options: DependenciesOptions<D>): KvlMiddleware {
  const opts = validateOptions(
    'dependencies',
    z.strictObject({
      createDeps: fn<DependenciesOptions<D>['createDeps']>('createDeps'),
      publisher: z.optional(fn<NonNullable<DependenciesOptions<D>['publisher']>>('publisher')),
      credentials: z.optional(fn<NonNullable<DependenciesOptions<D>['credentials']>>('credentials')),
      env: z.optional(z.record(z.string(), z.optional(z.string()))),
    }),
    options,
  );
  return {
    name: 'dependencies',
    before: async (request: KvlRequest) => {
      const state = stateOf(request.context);
      const config = state.config;
      if (!config)
        throw new MiddlewareOptionsError('dependencies', 'configLoader() must run before dependencies()');
      const base = opts.credentials
        ? opts.credentials({ context: request.context, config })
        : defaultCredentials(request.context, opts.env ?? process.env);
      state.credentials = registering(base);
      const ctx: DepsContext = {
        config,
        credentials: state.credentials,
        logger: state.logger,
        context: request.context,
        clock: state.clock,
      };
      const deps = await opts.createDeps(ctx);
      state.deps = deps;
      state.clock = clockOf(deps, state.clock);
      if (opts.publisher) state.publisher = opts.publisher(deps, ctx);
      else if (hasSmn(deps)) state.publisher = createSmnPublisher(deps.smn, requireTopics(config));
      else {
        throw new MiddlewareOptionsError(
          'dependencies',
          'no publisher: pass options.publisher or return an `smn` client from createDeps',
        );
      }
    },
  };
}
