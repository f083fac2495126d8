/**
 * Wires the link domain to the real cloud clients for one invocation (functions) or one command
 * (CLI): config and credentials in, `LinkDeps` plus the SMN client out. `overrides` is how tests and
 * harnesses change what they must (the emulator's clock, fast client retries, client-account clients
 * kept across invocations like a warm instance keeps them) while everything else stays the product's.
 */
import { type AccountClients, createAgencyClients } from '../cloud/agency.js';
import type { RetryOptions } from '../cloud/http.js';
import { createCloudClients } from '../cloud/index.js';
import type { SmnPublisher } from '../cloud/smn.js';
import type { CredentialsProvider, Logger } from '../cloud/types.js';
import {
  type ClientAccountFactory,
  type Clock,
  DEFAULT_SETTINGS,
  type LinkDeps,
  type LinkSettings,
} from '../link/deps.js';
import { systemClock } from './clock.js';
import type { KvlConfig } from './config.js';

export type FunctionDeps = LinkDeps & { smn: SmnPublisher };

export interface LinkDepsInput {
  config: KvlConfig;
  credentials: CredentialsProvider;
  logger: Logger;
  /** The runtime's clock (kvlHandler passes it); default the system clock. */
  clock?: Clock;
  /**
   * The invocation (functions): a throttled cloud call may wait for its turn as long as the
   * invocation has time left, instead of giving up after a fixed number of refusals.
   */
  context?: { getRemainingTimeInMillis(): number };
}

export interface LinkDepsOverrides {
  /** Replaces the runtime's clock (e.g. the emulator's, whose `sleep` advances emulated time). */
  clock?: Clock;
  /** Per-attempt timeout of a cloud call, ms. */
  timeoutMs?: number;
  retry?: RetryOptions;
  /**
   * Client-account clients by `domainId/agencyName`. Default: a new map per call; a harness passes
   * one map to every invocation to keep them like a warm function instance does.
   */
  accounts?: Map<string, Promise<AccountClients>>;
  settings?: Partial<LinkSettings>;
}

export function createLinkDeps(input: LinkDepsInput, overrides: LinkDepsOverrides = {}): FunctionDeps {
  const { config, credentials, logger, context } = input;
  const clock = overrides.clock ?? input.clock ?? systemClock;
  const settings: LinkSettings = {
    ...DEFAULT_SETTINGS,
    pollIntervalMs: config.pollIntervalMs,
    firstProbeAfterMs: config.firstProbeAfterMs,
    acceptTimeoutMs: config.acceptTimeoutMs,
    redriveAfterMs: config.redriveAfterMs,
    ...overrides.settings,
  };
  // Under a burst (many links at once) throttling means "later": wait while the invocation has time,
  // keeping the margin the steps keep for publishing. An override replaces the whole policy.
  const retry: RetryOptions | undefined =
    overrides.retry ??
    (context
      ? { throttleBudgetMs: () => context.getRemainingTimeInMillis() - 2 * settings.safetyMarginMs }
      : undefined);
  const transport = {
    ...(overrides.timeoutMs === undefined ? {} : { timeoutMs: overrides.timeoutMs }),
    ...(retry === undefined ? {} : { retry }),
  };
  const clients = createCloudClients({
    region: config.region,
    projectId: config.projectId,
    credentials,
    env: config.cloudEnv,
    logger,
    ...transport,
  });
  // One set of client-account clients per agency; their credentials are assumed again whenever they
  // near expiry. A failed set-up is forgotten, so the next call retries it.
  const accounts = overrides.accounts ?? new Map<string, Promise<AccountClients>>();
  const clientAccount: ClientAccountFactory = (agency) => {
    const key = `${agency.domainId}/${agency.agencyName}`;
    let pending = accounts.get(key);
    if (!pending) {
      pending = createAgencyClients({
        region: config.region,
        ownerIam: clients.iam,
        domainId: agency.domainId,
        agencyName: agency.agencyName,
        env: config.cloudEnv,
        logger,
        now: () => clock.now(),
        ...transport,
      });
      pending.catch(() => accounts.delete(key));
      accounts.set(key, pending);
    }
    return pending;
  };
  let ownerDomain: Promise<string | undefined> | undefined;
  const ownerDomainId = () => {
    ownerDomain ??= clients.iam.getProject(config.region).then((p) => p.domainId);
    ownerDomain.catch(() => {
      ownerDomain = undefined;
    });
    return ownerDomain;
  };
  return {
    dms: clients.dms,
    vpcep: clients.vpcep,
    vpc: clients.vpc,
    clientAccount,
    ownerDomainId,
    smn: clients.smn,
    clock,
    logger,
    // The link settings' defaults are the domain's (DEFAULT_SETTINGS); config only carries overrides.
    settings,
  };
}
