/**
 * Stand-in for `shared/runtime/link-deps.ts` in the reliability tests (installed with `vi.mock`), so the
 * real function handlers (`functions/<name>/handler.ts`, whole middy stack included) run against the
 * frozen-clock emulator:
 *
 * - the domain's clock is the emulator's clock: a `sleep(ms)` advances emulated time by `ms`, so
 *   services and endpoints walk their state machines exactly as the steps wait, and nothing sleeps;
 * - the cloud clients are the product's (`createCloudClients`), with a short per-attempt timeout and
 *   fast backoff so that injected timeouts and 5xx cost milliseconds instead of seconds;
 * - `wrap` lets a test put a proxy around the clients (crash injection after a given call).
 *
 * Everything else (config, credentials, logger, publisher) is exactly what the handler would use.
 */

import type { RetryOptions } from '../../../shared/cloud/http.js';
import { createCloudClients } from '../../../shared/cloud/index.js';
import { type Clock, DEFAULT_SETTINGS, systemClock } from '../../../shared/link/deps.js';
import type { FunctionDeps, LinkDepsInput } from '../../../shared/runtime/link-deps.js';

export interface DepsOverrides {
  clock: Clock;
  /** Per-attempt timeout of a cloud call in real ms (an injected `timeout` fault costs this much). */
  timeoutMs?: number;
  retry?: RetryOptions;
  /** Wraps the finished dependencies (e.g. proxies that crash after the n-th write). */
  wrap?: (deps: FunctionDeps) => FunctionDeps;
}

let overrides: DepsOverrides | undefined;

/** Installs the overrides for the next invocations (one harness at a time per test file). */
export function useDepsOverrides(next: DepsOverrides | undefined): void {
  overrides = next;
}

export function createLinkDeps({ config, credentials, logger, clock }: LinkDepsInput): FunctionDeps {
  const current = overrides;
  const clients = createCloudClients({
    region: config.region,
    projectId: config.projectId,
    credentials,
    env: config.cloudEnv,
    logger,
    timeoutMs: current?.timeoutMs ?? 400,
    retry: current?.retry ?? { retries: 4, baseDelayMs: 2, maxDelayMs: 10, maxRetryAfterMs: 50 },
  });
  const deps: FunctionDeps = {
    dms: clients.dms,
    vpcep: clients.vpcep,
    vpc: clients.vpc,
    smn: clients.smn,
    clock: current?.clock ?? clock ?? systemClock,
    logger,
    settings: {
      ...DEFAULT_SETTINGS,
      pollIntervalMs: config.pollIntervalMs,
      firstProbeAfterMs: config.firstProbeAfterMs,
      acceptTimeoutMs: config.acceptTimeoutMs,
      redriveAfterMs: config.redriveAfterMs ?? DEFAULT_SETTINGS.redriveAfterMs,
    },
  };
  return current?.wrap ? current.wrap(deps) : deps;
}
