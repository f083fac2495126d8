/**
 * `kvl-phase` on endpoint services (ARCHITECTURE §3). A step that drives a link itself (the fast
 * path) writes no phase: the resources' own statuses say how far the link is. The tag is written
 * only when a step hands the link over to the acceptance timer (`pending`: the timer's tag query
 * finds it), when the timer's link completes (`linked`) and when the link ends (`failed`).
 */
import type { TaggedResource } from '../cloud/types.js';
import { classifyError } from '../retry.js';
import { clientAccountOf, clientSide } from './client-account.js';
import type { LinkDepsFor } from './deps.js';
import { STEP_POLL_ACCEPTANCE } from './steps.js';
import { type LinkPhase, TAG, tagValue } from './tags.js';

/** What marking a link failed calls, in the owner's account and the client's. */
export type MarkFailedDeps = LinkDepsFor<{
  vpcep: 'queryResourcesByTags' | 'createResourceTags' | 'listEndpoints';
}>;

/** Sets `kvl-phase` on endpoint services (tag create overwrites the value of an existing key). */
export async function markPhase(
  deps: Pick<LinkDepsFor<{ vpcep: 'createResourceTags' }>, 'vpcep' | 'clock'>,
  services: ReadonlyArray<{ id: string }>,
  phase: LinkPhase,
  /** With `pending`: the request the timer's events will carry (`kvl-request`). */
  requestId?: string,
): Promise<void> {
  // Back to pending starts a new wait: the acceptance timer measures timeouts from `kvl-since`.
  const tags =
    phase === 'pending'
      ? [
          { key: TAG.phase, value: phase },
          { key: TAG.since, value: String(Math.floor(deps.clock.now() / 1000)) },
          ...(requestId && /^[A-Za-z0-9_@-]{1,43}$/.test(requestId)
            ? [{ key: TAG.request, value: requestId }]
            : []),
        ]
      : [{ key: TAG.phase, value: phase }];
  for (const service of services) {
    await deps.vpcep.createResourceTags('endpoint_service', service.id, tags);
  }
}

/**
 * Hands a link the step could not finish within its budget over to the acceptance timer. Services
 * already pending keep their `kvl-since`, so the timer's timeouts are not pushed back by re-drives.
 */
export async function handOverToTimer(
  deps: Pick<LinkDepsFor<{ vpcep: 'createResourceTags' }>, 'vpcep' | 'clock'>,
  services: ReadonlyArray<{ id: string; phase?: LinkPhase | undefined }>,
  requestId?: string,
): Promise<void> {
  await markPhase(
    deps,
    services.filter((s) => s.phase !== 'pending'),
    'pending',
    requestId,
  );
}

/** Marks a failed link's resources, so the timer stops reporting it every tick. */
export async function markFailed(deps: MarkFailedDeps, instanceId: string): Promise<void> {
  const failed = [{ key: TAG.phase, value: 'failed' }];
  const query = { tags: [{ key: TAG.instance, values: [instanceId] }] };
  const services = await deps.vpcep.queryResourcesByTags('endpoint_service', query);
  const mark = async (
    vpcep: MarkFailedDeps['vpcep'],
    type: 'endpoint_service' | 'endpoint',
    found: TaggedResource[],
  ) => {
    for (const resource of found) {
      if (tagValue(resource.tags, TAG.phase) === 'failed') continue;
      await vpcep.createResourceTags(type, resource.resourceId, failed);
    }
  };
  await mark(deps.vpcep, 'endpoint_service', services);
  await mark(deps.vpcep, 'endpoint', await deps.vpcep.queryResourcesByTags('endpoint', query));
  // A cross-account link's endpoints are tagged in the client's account, like the owner's own.
  const account = clientAccountOf(services);
  // The services are marked already, which is what stops the timer; an agency that cannot be used
  // (the very reason some links fail) must not keep the failure from being reported.
  if (account) {
    try {
      const side = await clientSide(deps, account, STEP_POLL_ACCEPTANCE);
      // Listed rather than queried by tag: the client's agency grants endpoint listing, not tag queries.
      const endpoints = (await side.vpcep.listEndpoints())
        .filter((e) => tagValue(e.tags, TAG.instance) === instanceId)
        .map((e) => ({ resourceId: e.id, tags: e.tags }));
      await mark(side.vpcep, 'endpoint', endpoints);
    } catch (error) {
      deps.logger.warn("could not mark the client account's endpoints failed", { instanceId, error });
    }
  }
}

/**
 * Runs one step of a declared link (buy-endpoints, patch-listeners). When the step ends the link — a
 * terminal error, which the handler turns into `kvl.link.failed` — the link's resources are marked
 * failed first, so the timer stops re-driving it. Without this, a link refused for good (instance in
 * ERROR, map rejected, ambiguous services) keeps `kvl-phase=pending` and the timer sends it back to
 * patch-listeners at every tick: one more refused write and one more `kvl.link.failed`, forever.
 */
export async function markFailedOnTerminal<T>(
  deps: MarkFailedDeps,
  instanceId: string,
  step: () => Promise<T>,
): Promise<T> {
  try {
    return await step();
  } catch (error) {
    // The one rule that decides whether an error ends the link (the handler publishes
    // `kvl.link.failed` for exactly these).
    if (classifyError(error) === 'terminal') {
      try {
        await markFailed(deps, instanceId);
      } catch (markError) {
        // The failure is still reported; the next terminal run marks the link again.
        deps.logger.warn('could not mark the failed link', { instanceId, error: markError });
      }
    }
    throw error;
  }
}
