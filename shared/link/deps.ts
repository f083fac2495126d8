/**
 * What the domain needs from the outside world: the cloud clients (as small interfaces), a clock
 * (so waits are bounded by the invocation's remaining time and tests can control time) and a logger.
 */
import type { DmsClient, Logger, VpcClient, VpcepClient } from '../cloud/types.js';

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export interface LinkSettings {
  /** How often inline waits poll the cloud. */
  pollIntervalMs: number;
  /**
   * How long after creating VPCEP resources an inline wait makes its first check. The cloud documents
   * 1–2 minutes for a service to become available and an endpoint to be accepted: checking earlier
   * cannot succeed and only spends the account's API rate.
   */
  firstProbeAfterMs: number;
  /** How long an endpoint may stay un-accepted before the link fails. */
  acceptTimeoutMs: number;
  /** How long a link may sit with services but no endpoints before the timer re-drives it. */
  redriveAfterMs: number;
  /** Time kept free at the end of an invocation for publishing and logging. */
  safetyMarginMs: number;
}

export const DEFAULT_SETTINGS: LinkSettings = {
  pollIntervalMs: 3_000,
  firstProbeAfterMs: 60_000,
  acceptTimeoutMs: 15 * 60_000,
  redriveAfterMs: 5 * 60_000,
  safetyMarginMs: 5_000,
};

/** Clients acting in another account through the agency it delegated to the owner. */
export type ClientAccountFactory = (agency: {
  domainId: string;
  agencyName: string;
}) => Promise<{ vpcep: VpcepClient; vpc: VpcClient }>;

export interface LinkDeps {
  dms: DmsClient;
  vpcep: VpcepClient;
  vpc: VpcClient;
  /** Cross-account links: the client account's clients (absent: such links are refused). */
  clientAccount?: ClientAccountFactory;
  /** The owner's own account id, to tell a same-account `client.domainId` from another account. */
  ownerDomainId?: () => Promise<string | undefined>;
  clock: Clock;
  logger: Logger;
  settings: LinkSettings;
}

/** How long one invocation may keep working: an absolute deadline in clock time. */
export interface Budget {
  deadline: number;
}

export function remainingMs(deps: Pick<LinkDeps, 'clock' | 'settings'>, budget: Budget): number {
  return budget.deadline - deps.settings.safetyMarginMs - deps.clock.now();
}

/**
 * Polls `probe` until it returns a value or the budget runs out (then undefined). The probe decides
 * what "done" means; throwing from it ends the wait with that error. With `notBefore` (clock time) the
 * first probe waits until then; when that is past the budget, nothing is probed at all.
 */
export async function pollUntil<T>(
  deps: Pick<LinkDeps, 'clock' | 'settings'>,
  budget: Budget,
  probe: () => Promise<T | undefined>,
  options: { notBefore?: number } = {},
): Promise<T | undefined> {
  const early = (options.notBefore ?? 0) - deps.clock.now();
  if (early > 0) {
    if (early > remainingMs(deps, budget)) return undefined;
    await deps.clock.sleep(early);
  }
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    const left = remainingMs(deps, budget);
    if (left <= 0) return undefined;
    await deps.clock.sleep(Math.min(deps.settings.pollIntervalMs, left));
  }
}

/** The first check of resources created at `createdAt` waits for the documented creation time. */
export function firstProbe(
  deps: Pick<LinkDeps, 'settings'>,
  createdAt: number | undefined,
): { notBefore?: number } {
  return createdAt === undefined ? {} : { notBefore: createdAt + deps.settings.firstProbeAfterMs };
}
