/**
 * `kvl-phase` on endpoint services (ARCHITECTURE §3). A step that drives a link itself (the fast
 * path) writes no phase: the resources' own statuses say how far the link is. The tag is written
 * only when a step hands the link over to the acceptance timer (`pending`: the timer's tag query
 * finds it), when the timer's link completes (`linked`) and when the link ends (`failed`).
 */
import type { LinkDeps } from './deps.js';
import { type LinkPhase, TAG } from './tags.js';

/** Sets `kvl-phase` on endpoint services (tag create overwrites the value of an existing key). */
export async function markPhase(
  deps: Pick<LinkDeps, 'vpcep' | 'clock'>,
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
  deps: Pick<LinkDeps, 'vpcep' | 'clock'>,
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
