/**
 * Stand-in for `shared/runtime/link-deps.ts` in the tests that run the real handlers (installed with `vi.mock`), so the
 * real function handlers (`functions/<name>/handler.ts`, whole middy stack included) run against the
 * frozen-clock emulator:
 *
 * - the domain's clock is the emulator's clock: a `sleep(ms)` advances emulated time by `ms`, so
 *   services and endpoints walk their state machines exactly as the steps wait, and nothing sleeps;
 * - the cloud clients are the product's (`createCloudClients`), with a short per-attempt timeout and
 *   fast backoff so that injected timeouts and 5xx cost milliseconds instead of seconds;
 * - `wrap` lets a test put a proxy around the clients (crash injection after a given call);
 * - cross-account links get the product's agency clients (`createAgencyClients`), kept across
 *   invocations like a warm function instance keeps them, so their credentials age with the emulated
 *   clock and expire mid-chain.
 *
 * Everything else (config, credentials, logger, publisher) is exactly what the handler would use.
 */

import { type AccountClients, createAgencyClients } from '../../shared/cloud/agency.js';
import type { RetryOptions } from '../../shared/cloud/http.js';
import { createCloudClients } from '../../shared/cloud/index.js';
import {
  type ClientAccountFactory,
  type Clock,
  DEFAULT_SETTINGS,
  systemClock,
} from '../../shared/link/deps.js';
import type { FunctionDeps, LinkDepsInput } from '../../shared/runtime/link-deps.js';

export interface DepsOverrides {
  clock: Clock;
  /** Per-attempt timeout of a cloud call in real ms (an injected `timeout` fault costs this much). */
  timeoutMs?: number;
  retry?: RetryOptions;
  /** Wraps the finished dependencies (e.g. proxies that crash after the n-th write). */
  wrap?: (deps: FunctionDeps) => FunctionDeps;
}

let overrides: DepsOverrides | undefined;
/** Client-account clients by agency, shared by the invocations of one harness (a warm instance). */
let accounts = new Map<string, Promise<AccountClients>>();

/** Installs the overrides for the next invocations (one harness at a time per test file). */
export function useDepsOverrides(next: DepsOverrides | undefined): void {
  if (next === undefined || next.clock !== overrides?.clock) accounts = new Map();
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
  const now = current?.clock ?? clock ?? systemClock;
  // As shared/runtime/link-deps.ts does: one set per agency, a failed set-up forgotten.
  const cache = accounts;
  const clientAccount: ClientAccountFactory = (agency) => {
    const key = `${agency.domainId}/${agency.agencyName}`;
    let pending = cache.get(key);
    if (!pending) {
      pending = createAgencyClients({
        region: config.region,
        ownerIam: clients.iam,
        ...agency,
        env: config.cloudEnv,
        logger,
        now: () => now.now(),
        timeoutMs: current?.timeoutMs ?? 400,
        retry: current?.retry ?? { retries: 4, baseDelayMs: 2, maxDelayMs: 10, maxRetryAfterMs: 50 },
      });
      pending.catch(() => cache.delete(key));
      cache.set(key, pending);
    }
    return pending;
  };
  const deps: FunctionDeps = {
    dms: clients.dms,
    vpcep: clients.vpcep,
    vpc: clients.vpc,
    clientAccount,
    ownerDomainId: () => clients.iam.getProject(config.region).then((p) => p.domainId),
    smn: clients.smn,
    clock: now,
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
