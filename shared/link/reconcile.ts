/**
 * One reconcile pass: compare desired links (instance tags) with the cloud, report every link's
 * state and, with repair, converge: remove duplicates and broken endpoints directly, re-request
 * drifted links (the idempotent chain repairs them) and unlink orphans.
 *
 * The pass reads the cloud once (`takeSnapshot`: O(pages), whatever the number of links); only the
 * repairs it makes cost calls per resource, and a converged cloud needs none.
 */
import { CloudApiError } from '../cloud/errors.js';
import { clientAccountOf, clientSide, declaredAccount } from './client-account.js';
import type { LinkDepsFor } from './deps.js';
import type { LinkRequest } from './desired.js';
import { LinkRejectedError } from './errors.js';
import { assessLinks, type LinkState, type LinkStatus, takeSnapshot } from './status.js';

/** The cloud operations this step calls: its function binds exactly these (LinkDepsFor). */
export type ReconcileDeps = LinkDepsFor<{
  dms: 'listInstances';
  vpcep: 'listEndpointServices' | 'deleteEndpointService' | 'listEndpoints' | 'deleteEndpoint';
  vpc: 'listSecurityGroupRules';
}>;

export const STEP_RECONCILE = 'reconcile';

export type ReconcileAction =
  | { kind: 'request-link'; instanceId: string; request: LinkRequest }
  | { kind: 'request-unlink'; instanceId: string }
  | { kind: 'delete-endpoint'; instanceId: string; id: string; why: string }
  | { kind: 'delete-service'; instanceId: string; id: string; why: string };

export interface ReconcileResult {
  checkedAt: number;
  links: LinkStatus[];
  counts: Record<LinkState, number>;
  /** What repair did (deletions) or asks the chain to do (requests); empty without repair. */
  actions: ReconcileAction[];
}

export async function reconcile(deps: ReconcileDeps, options: { repair: boolean }): Promise<ReconcileResult> {
  const snapshot = await takeSnapshot(deps);
  const links = assessLinks(snapshot);
  const counts: Record<LinkState, number> = { linked: 0, 'in-progress': 0, drifted: 0, failed: 0, orphan: 0 };
  for (const link of links) counts[link.state] += 1;
  const actions: ReconcileAction[] = [];
  if (options.repair) {
    for (const link of links) actions.push(...(await repair(deps, link)));
  }
  return { checkedAt: snapshot.takenAt, links, counts, actions };
}

/**
 * Whether a repair changes anything for this link: an orphan is unlinked; a drifted or failed link
 * loses its duplicate and broken resources and is requested again where the chain can fix it (its
 * instance RUNNING). The CLI suggests `--repair` on the same rule.
 */
export function repairActsOn(link: LinkStatus): boolean {
  if (link.state === 'orphan') return true;
  if (link.state !== 'drifted' && link.state !== 'failed') return false;
  const { duplicates, brokenEndpoints } = link;
  const doomed = duplicates.services.length + duplicates.endpoints.length + brokenEndpoints.length;
  return doomed > 0 || (link.desired !== undefined && link.chainRepair);
}

async function repair(deps: ReconcileDeps, link: LinkStatus): Promise<ReconcileAction[]> {
  const actions: ReconcileAction[] = [];
  if (link.state === 'orphan') return [{ kind: 'request-unlink', instanceId: link.instanceId }];
  if (!repairActsOn(link)) return actions;

  const duplicateServiceIds = new Set(link.duplicates.services.map((s) => s.id));
  const doomedEndpoints = [
    ...link.duplicates.endpoints.map((e) => ({ e, why: 'duplicate endpoint' })),
    ...link.brokenEndpoints.map((e) => ({ e, why: `endpoint ${e.status}` })),
    ...link.endpoints
      .filter((e) => duplicateServiceIds.has(e.endpointServiceId))
      .map((e) => ({ e, why: 'endpoint of a duplicate service' })),
  ];
  const endpointsApi = doomedEndpoints.length > 0 ? await endpointsOf(deps, link) : deps.vpcep;
  const seen = new Set<string>();
  for (const { e, why } of doomedEndpoints) {
    if (seen.has(e.id)) continue;
    seen.add(e.id);
    if (endpointsApi && (await tolerate(deps, () => endpointsApi.deleteEndpoint(e.id)))) {
      actions.push({ kind: 'delete-endpoint', instanceId: link.instanceId, id: e.id, why });
    }
  }
  let duplicateServicesLeft = 0;
  for (const service of link.duplicates.services) {
    // Fails with ServiceInUseError while its endpoints are still deleting: the next pass finishes it.
    if (await tolerate(deps, () => deps.vpcep.deleteEndpointService(service.id))) {
      actions.push({
        kind: 'delete-service',
        instanceId: link.instanceId,
        id: service.id,
        why: 'duplicate service',
      });
    } else duplicateServicesLeft += 1;
  }
  // Only once every port has a single service: with two, the chain could build on the wrong one,
  // and patch-listeners would refuse the ambiguous map. A later pass requests the link then.
  if (link.desired && link.chainRepair && duplicateServicesLeft === 0) {
    const { client, securityGroupRule, networkAclRule } = link.desired;
    actions.push({
      kind: 'request-link',
      instanceId: link.instanceId,
      request: { instanceId: link.instanceId, client, options: { securityGroupRule, networkAclRule } },
    });
  }
  return actions;
}

/**
 * Where a link's endpoints live: the client's account for a cross-account link (as declared, else as
 * recorded on its services), reached through its agency. Undefined when that agency is refused: the
 * endpoints are left for a later pass (the refusal is logged; the link's state already shows it).
 */
async function endpointsOf(
  deps: ReconcileDeps,
  link: LinkStatus,
): Promise<ReconcileDeps['vpcep'] | undefined> {
  const account = declaredAccount(link.desired?.client) ?? clientAccountOf(link.services);
  if (!account) return deps.vpcep;
  try {
    return (await clientSide(deps, account, STEP_RECONCILE)).vpcep;
  } catch (error) {
    if (!(error instanceof LinkRejectedError)) throw error;
    deps.logger.warn('reconcile cannot act in the client account', {
      instanceId: link.instanceId,
      reason: error.reason,
    });
    return undefined;
  }
}

/** Writes race with the chain and with people: "already gone" or "busy" is not a failure here. */
async function tolerate(deps: ReconcileDeps, action: () => Promise<void>): Promise<boolean> {
  try {
    await action();
    return true;
  } catch (error) {
    if (error instanceof CloudApiError && !error.retryable) {
      deps.logger.warn('reconcile could not change a resource; the next pass retries', { code: error.code });
      return false;
    }
    throw error;
  }
}

/** Limits of the `kvl.reconcile.report` contract (shared/events/cloudevents.ts). */
const REPORT_LIMITS = { links: 1000, reasons: 64, reasonLength: 512 } as const;

export interface ReconcileReportData {
  checkedAt: string;
  links: Array<{ instanceId: string; state: LinkState; reasons: string[] }>;
  counts: Record<LinkState, number>;
  /** Instances that repair acted on (deleted something, or asked the chain to link or unlink). */
  repaired: string[];
}

/**
 * The data of `kvl.reconcile.report` for one pass, cut to the contract's limits so a large
 * account still gets a report (the counts always cover every link).
 */
export function reconcileReportData(result: ReconcileResult): ReconcileReportData {
  return {
    checkedAt: new Date(result.checkedAt).toISOString(),
    links: result.links.slice(0, REPORT_LIMITS.links).map((l) => ({
      instanceId: l.instanceId,
      state: l.state,
      reasons: l.reasons.slice(0, REPORT_LIMITS.reasons).map((r) => r.slice(0, REPORT_LIMITS.reasonLength)),
    })),
    counts: result.counts,
    repaired: [...new Set(result.actions.map((a) => a.instanceId))].slice(0, REPORT_LIMITS.links),
  };
}
