/**
 * What the domain needs from the outside world: the cloud clients (as small interfaces), a clock
 * (so waits are bounded by the invocation's remaining time and tests can control time) and a logger.
 */
import type { DmsClient, Logger, VpcClient, VpcepClient } from '../cloud/types.js';
import { nextProbeAt, probeWindow } from './schedule.js';

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export interface LinkSettings {
  /**
   * How often inline waits poll the cloud; inside the documented creation window of what they just
   * created, twice as often (DENSE_FACTOR in schedule.ts).
   */
  pollIntervalMs: number;
  /**
   * How long after creating VPCEP resources an inline wait makes its first check, and the start of
   * the window it then probes densely (up to twice this). The cloud documents 1–2 minutes for a
   * service to become available and an endpoint to be accepted: checking earlier cannot succeed and
   * only spends the account's API rate.
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

/**
 * The cloud operations a part of the domain calls, by client (method names of DmsClient, VpcepClient
 * and VpcClient). Each step states them in its deps type (`LinkDepsFor`), and its function binds
 * exactly those, so the function's bundle carries no other operation (docs/BENCHMARKS.md §5).
 */
export interface CloudCalls {
  dms?: keyof DmsClient;
  vpcep?: keyof VpcepClient;
  vpc?: keyof VpcClient;
}

type Called<C extends CloudCalls, S extends keyof CloudCalls> = C extends { [K in S]: infer M } ? M : never;

/** VPCEP and VPC clients offering only the operations `C` names (the owner's, or a client account's). */
export interface NetworkClientsFor<C extends CloudCalls> {
  vpcep: Pick<VpcepClient, Called<C, 'vpcep'> & keyof VpcepClient>;
  vpc: Pick<VpcClient, Called<C, 'vpc'> & keyof VpcClient>;
}

/** `LinkDeps` whose clients offer only the operations `C` names; `LinkDeps` itself offers them all. */
export interface LinkDepsFor<C extends CloudCalls>
  extends Omit<LinkDeps, 'dms' | 'vpcep' | 'vpc' | 'clientAccount'>,
    NetworkClientsFor<C> {
  dms: Pick<DmsClient, Called<C, 'dms'> & keyof DmsClient>;
  clientAccount?: (agency: { domainId: string; agencyName: string }) => Promise<NetworkClientsFor<C>>;
}

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
 * what "done" means; throwing from it ends the wait with that error. With `createdAt` (clock time the
 * awaited resources were created) the probes follow the documented creation window (probeWindow in
 * schedule.ts): none before it, dense inside, `pollIntervalMs` after; when the window opens past the
 * budget, nothing is probed at all. Without it, the first probe is now and the next ones
 * `pollIntervalMs` apart.
 */
export async function pollUntil<T>(
  deps: Pick<LinkDeps, 'clock' | 'settings'>,
  budget: Budget,
  probe: () => Promise<T | undefined>,
  options: { createdAt?: number } = {},
): Promise<T | undefined> {
  const window = probeWindow(deps.settings);
  const deadline = budget.deadline - deps.settings.safetyMarginMs;
  for (let probed = false; ; probed = true) {
    const now = deps.clock.now();
    const at = nextProbeAt(window, { now, deadline, createdAt: options.createdAt, probed });
    if (at === undefined) return undefined;
    if (at > now) await deps.clock.sleep(at - now);
    const value = await probe();
    if (value !== undefined) return value;
  }
}

/** Resources created at `createdAt` are probed in their documented creation window (schedule.ts). */
export function creationWindow(createdAt: number | undefined): { createdAt?: number } {
  return createdAt === undefined ? {} : { createdAt };
}
