/**
 * The timer that moves pending links on when the fast path did not finish them. One tag query finds
 * every pending link (its endpoint services carry `kvl-phase=pending`, written when a step hands the link over),
 * one endpoint listing gives the state of their endpoints: the cost per tick does not grow with the
 * number of links, only with pages of pending ones. No VPCEP list filters endpoints by status or
 * service set (ListEndpointsRequest has endpoint_service_name, vpc_id, id, limit, offset, sort_key,
 * sort_dir [GSDK services/vpcep/v1/model/model_list_endpoints_request.go]; the tag query returns ids
 * and tags, not statuses [model_list_query_project_resource_tags_request.go, model_resource_instance.go]),
 * so the listing is read newest first and stops as soon as it holds what the pending links need
 * (`listedEnough`): the endpoints of a pending link are younger than it.
 */
import type { Endpoint, TaggedResource } from '../cloud/types.js';
import { agencyError, clientAccountOf, clientSide } from './client-account.js';
import type { LinkDepsFor } from './deps.js';
import { type ClientTarget, desiredLinkOf } from './desired.js';
import { LinkRejectedError } from './errors.js';
import { markFailed } from './phase.js';
import { STEP_POLL_ACCEPTANCE } from './steps.js';
import { sinceMs, TAG, tagValue } from './tags.js';

/** The cloud operations this step calls: its function binds exactly these (LinkDepsFor). */
export type PollAcceptanceDeps = LinkDepsFor<{
  dms: 'showInstance';
  vpcep: 'listEndpoints' | 'createResourceTags' | 'queryResourcesByTags';
}>;

export { STEP_POLL_ACCEPTANCE };

export type PendingLinkOutcome =
  /** Every service has an accepted endpoint with an IP: patch the listeners. */
  | {
      outcome: 'accepted';
      instanceId: string;
      client: { vpcId: string; subnetId: string };
      correlationId?: string;
    }
  /** An endpoint was rejected or failed, or acceptance timed out: the link ends. */
  | {
      outcome: 'failed';
      instanceId: string;
      reason: string;
      code: string;
      endpointId?: string;
      correlationId?: string;
    }
  /** Services exist but endpoints are missing for too long (a lost message): buy them again. */
  | { outcome: 'redrive'; instanceId: string; correlationId?: string }
  | { outcome: 'waiting'; instanceId: string; detail: string };

/** What one tick of the timer decided, ready to publish: the handler only turns it into events. */
export type TickOutcome =
  | Exclude<PendingLinkOutcome, { outcome: 'redrive' }>
  /** Buy again from the start of the chain, with the link the instance still declares. */
  | {
      outcome: 'redrive';
      instanceId: string;
      correlationId?: string;
      client: ClientTarget;
      options: { securityGroupRule: boolean; networkAclRule: boolean };
    };

/**
 * One tick of the poll-acceptance timer: judges every pending link (pollAcceptance), marks the failed
 * ones so later ticks stop reporting them, and resolves a re-drive to the link the instance still
 * declares (none: the link was removed meanwhile and is dropped).
 */
export async function pollAcceptanceTick(deps: PollAcceptanceDeps): Promise<TickOutcome[]> {
  const outcomes: TickOutcome[] = [];
  for (const pending of await pollAcceptance(deps)) {
    switch (pending.outcome) {
      case 'failed':
        await markFailed(deps, pending.instanceId);
        outcomes.push(pending);
        break;
      case 'redrive': {
        const desired = desiredLinkOf(await deps.dms.showInstance(pending.instanceId));
        if (!desired) break;
        // From the start of the chain: create-services is idempotent, finishes services that were
        // only partly created, and hands on to buy-endpoints when they are all available.
        deps.logger.warn('re-driving a link whose endpoints never came', { instanceId: pending.instanceId });
        outcomes.push({
          ...pending,
          client: desired.client,
          options: { securityGroupRule: desired.securityGroupRule, networkAclRule: desired.networkAclRule },
        });
        break;
      }
      default:
        outcomes.push(pending);
    }
  }
  return outcomes;
}

export async function pollAcceptance(deps: PollAcceptanceDeps): Promise<PendingLinkOutcome[]> {
  const pending = await deps.vpcep.queryResourcesByTags('endpoint_service', {
    tags: [{ key: TAG.phase, values: ['pending'] }],
  });
  if (pending.length === 0) return [];

  const byInstance = new Map<string, TaggedResource[]>();
  for (const service of pending) {
    const instanceId = tagValue(service.tags, TAG.instance);
    if (!instanceId) continue;
    byInstance.set(instanceId, [...(byInstance.get(instanceId) ?? []), service]);
  }
  const own = [...byInstance.values()].filter((services) => !clientAccountOf(services));
  const endpoints = own.length > 0 ? await deps.vpcep.listEndpoints({}, { until: listedEnough(own) }) : [];
  // A cross-account link's endpoints are in the client's account (recorded on its services): one
  // listing per client account, however many links it has.
  const accounts = await clientAccountEndpoints(deps, [...byInstance.values()]);

  const now = deps.clock.now();
  const outcomes: PendingLinkOutcome[] = [];
  for (const [instanceId, services] of byInstance) {
    const account = clientAccountOf(services);
    const listed = account ? accounts.get(accountKey(account)) : { endpoints };
    const outcome: PendingLinkOutcome =
      listed && 'endpoints' in listed
        ? judge(deps, instanceId, services, listed.endpoints, now)
        : (listed?.outcome(instanceId) ?? { outcome: 'waiting', instanceId, detail: 'no client account' });
    // The request that last asked for this link, so its requester can recognise the outcome.
    const correlationId = services.map((s) => tagValue(s.tags, TAG.request)).find((id) => id !== undefined);
    outcomes.push(correlationId && outcome.outcome !== 'waiting' ? { ...outcome, correlationId } : outcome);
  }
  return outcomes;
}

type AccountListing =
  | { endpoints: readonly Endpoint[] }
  /** The account could not be read: what that means for each of its links. */
  | { outcome: (instanceId: string) => PendingLinkOutcome };

function accountKey(account: { domainId: string; agencyName: string }): string {
  return `${account.domainId}/${account.agencyName}`;
}

/**
 * The endpoints of every client account the pending links name. An agency refused for good (deleted,
 * no longer trusting the owner, a permission withdrawn) ends its links with the refusal naming what
 * to fix; anything transient leaves them waiting for the next tick.
 */
async function clientAccountEndpoints(
  deps: PollAcceptanceDeps,
  links: ReadonlyArray<readonly TaggedResource[]>,
): Promise<Map<string, AccountListing>> {
  const listings = new Map<string, AccountListing>();
  for (const services of links) {
    const account = clientAccountOf(services);
    if (!account || listings.has(accountKey(account))) continue;
    let listing: AccountListing;
    try {
      const side = await clientSide(deps, account, STEP_POLL_ACCEPTANCE);
      const ofAccount = links.filter((l) => {
        const other = clientAccountOf(l);
        return other !== undefined && accountKey(other) === accountKey(account);
      });
      listing = { endpoints: await side.vpcep.listEndpoints({}, { until: listedEnough(ofAccount) }) };
    } catch (error) {
      const refused =
        error instanceof LinkRejectedError ? error : agencyError(error, account, STEP_POLL_ACCEPTANCE);
      deps.logger.warn('could not list the endpoints of a client account', {
        domainId: account.domainId,
        agencyName: account.agencyName,
        error,
      });
      listing = refused
        ? {
            outcome: (instanceId) => ({
              outcome: 'failed',
              instanceId,
              code: refused.code ?? 'AGENCY_REFUSED',
              reason: refused.message,
            }),
          }
        : {
            outcome: (instanceId) => ({
              outcome: 'waiting',
              instanceId,
              detail: `the endpoints of account ${account.domainId} could not be read this tick`,
            }),
          };
    }
    listings.set(accountKey(account), listing);
  }
  return listings;
}

/**
 * Clock skew allowed between the functions (which write `kvl-since`) and VPCEP (which stamps
 * `created_at`): the listing reads this much further back than a link's own start.
 */
export const LISTING_SKEW_MS = 60_000;

/**
 * Whether a newest-first listing already holds what the given pending links need. A link is covered
 * when every one of its services has a live endpoint listed, or when none has and the listing has
 * gone back past the link's start (`kvl-since`, written at create time): endpoints of its services
 * are created after them, so none is further down. A link with only some services found may have
 * older endpoints (services marked pending again when one endpoint was missing): it needs the rest.
 */
export function listedEnough(
  links: ReadonlyArray<readonly TaggedResource[]>,
): (listed: readonly Endpoint[]) => boolean {
  return (listed) => {
    const found = new Set(listed.filter((e) => e.status !== 'deleting').map((e) => e.endpointServiceId));
    const last = listed.at(-1);
    const reached = last?.createdAt ? Date.parse(last.createdAt) : Number.POSITIVE_INFINITY;
    return links.every((services) => {
      const seen = services.filter((s) => found.has(s.resourceId)).length;
      if (seen === services.length) return true;
      if (seen > 0) return false;
      const start = Math.min(...services.map((s) => sinceMs(s.tags) ?? 0));
      return reached < start - LISTING_SKEW_MS;
    });
  };
}

function judge(
  deps: PollAcceptanceDeps,
  instanceId: string,
  services: readonly TaggedResource[],
  allEndpoints: readonly Endpoint[],
  now: number,
): PendingLinkOutcome {
  const perService = services.map((s) => ({
    service: s,
    endpoints: allEndpoints.filter((e) => e.endpointServiceId === s.resourceId && e.status !== 'deleting'),
  }));
  const broken = perService
    .flatMap((p) => p.endpoints)
    .find((e) => e.status === 'rejected' || e.status === 'failed');
  if (broken) {
    const detail = broken.errors?.map((e) => `${e.code}: ${e.message}`).join('; ');
    return {
      outcome: 'failed',
      instanceId,
      endpointId: broken.id,
      code: broken.status === 'rejected' ? 'ENDPOINT_REJECTED' : 'ENDPOINT_FAILED',
      reason: `endpoint ${broken.id} for service ${broken.endpointServiceId} is ${broken.status}${detail ? ` (${detail})` : ''}`,
    };
  }

  const oldest = Math.min(...services.map((s) => sinceMs(s.tags) ?? now));
  const missing = perService.filter((p) => p.endpoints.length === 0);
  if (missing.length > 0) {
    if (now - oldest > deps.settings.acceptTimeoutMs) {
      return {
        outcome: 'failed',
        instanceId,
        code: 'TIMEOUT',
        reason: `no endpoint was created for ${missing.length} service(s) within ${deps.settings.acceptTimeoutMs / 1000} s`,
      };
    }
    return now - oldest > deps.settings.redriveAfterMs
      ? { outcome: 'redrive', instanceId }
      : { outcome: 'waiting', instanceId, detail: `${missing.length} service(s) without an endpoint yet` };
  }

  const notAccepted = perService.flatMap((p) => p.endpoints).filter((e) => e.status !== 'accepted' || !e.ip);
  if (notAccepted.length > 0) {
    const stuck = notAccepted.find((e) => now - (sinceMs(e.tags) ?? now) > deps.settings.acceptTimeoutMs);
    if (stuck) {
      return {
        outcome: 'failed',
        instanceId,
        endpointId: stuck.id,
        code: 'TIMEOUT',
        reason: `endpoint ${stuck.id} stayed ${stuck.status} for more than ${deps.settings.acceptTimeoutMs / 1000} s`,
      };
    }
    return { outcome: 'waiting', instanceId, detail: `${notAccepted.length} endpoint(s) not accepted yet` };
  }

  const first = perService[0]?.endpoints[0];
  return {
    outcome: 'accepted',
    instanceId,
    client: { vpcId: first?.vpcId ?? '', subnetId: first?.subnetId ?? '' },
  };
}
