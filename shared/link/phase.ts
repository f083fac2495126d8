/**
 * `kvl-phase` on endpoint services: `pending` marks a link the acceptance timer follows (its query
 * finds the pending services), `linked` and `failed` end that watch.
 */
import type { LinkDeps } from './deps.js';
import { TAG } from './tags.js';

/** Sets `kvl-phase` on endpoint services (tag create overwrites the value of an existing key). */
export async function markPhase(
  deps: Pick<LinkDeps, 'vpcep' | 'clock'>,
  services: ReadonlyArray<{ id: string }>,
  phase: 'pending' | 'linked' | 'failed',
): Promise<void> {
  // Back to pending starts a new wait: the acceptance timer measures timeouts from `kvl-since`.
  const tags =
    phase === 'pending'
      ? [
          { key: TAG.phase, value: phase },
          { key: TAG.since, value: String(Math.floor(deps.clock.now() / 1000)) },
        ]
      : [{ key: TAG.phase, value: phase }];
  for (const service of services) {
    await deps.vpcep.createResourceTags('endpoint_service', service.id, tags);
  }
}
