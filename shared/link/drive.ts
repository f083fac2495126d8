/**
 * Runs a whole link in one process (the CLI's `--via direct`, and reconcile repairs run from the
 * CLI): the same idempotent steps the functions run, called in order, each re-run until it is done
 * or the deadline passes. No queue, no timer: waiting happens here.
 */

import type { Endpoint } from '../cloud/types.js';
import { buyEndpoints } from './buy-endpoints.js';
import { type CreateServicesResult, createServices, type PlannedAction } from './create-services.js';
import type { Budget, LinkDeps } from './deps.js';
import type { LinkRequest } from './desired.js';
import { LinkNotReadyError, LinkSupersededError } from './errors.js';
import type { BrokerLink } from './mapping.js';
import { type LinkCompletion, patchListeners } from './patch-listeners.js';
import type { LinkPhase } from './tags.js';

export type DriveStep = 'create-services' | 'buy-endpoints' | 'patch-listeners';

export interface DriveProgress {
  step: DriveStep;
  phase: 'start' | 'waiting' | 'done';
  detail?: string;
}

export type DriveResult =
  | { outcome: 'completed'; completion: LinkCompletion; startedAt: number; finishedAt: number }
  | { outcome: 'planned'; actions: PlannedAction[] };

export async function driveLink(
  deps: LinkDeps,
  request: LinkRequest,
  budget: Budget,
  onProgress: (progress: DriveProgress) => void = () => {},
): Promise<DriveResult> {
  const startedAt = deps.clock.now();
  onProgress({ step: 'create-services', phase: 'start' });
  const onWaiting = (detail: string) => onProgress({ step: 'create-services', phase: 'waiting', detail });
  let services: CreateServicesResult = await createServices(deps, request, budget, { onWaiting });
  if (request.options?.dryRun) return { outcome: 'planned', actions: services.actions };
  while (!services.ready) {
    onProgress({ step: 'create-services', phase: 'waiting', detail: 'endpoint services are being created' });
    expire(deps, budget, 'create-services', 'the endpoint services did not become available in time');
    services = await createServices(deps, request, budget, { onWaiting });
  }
  onProgress({
    step: 'create-services',
    phase: 'done',
    detail: `${services.services.length} endpoint service(s)`,
  });

  onProgress({ step: 'buy-endpoints', phase: 'start' });
  // Each step hands the next what it learned in this process: the services and their endpoints,
  // then the accepted links (ARCHITECTURE §4, "calls per link").
  let links: BrokerLink[];
  let servicePhases: Record<string, LinkPhase>;
  let known: { services: CreateServicesResult['services']; endpoints?: Endpoint[] } = {
    services: services.services,
    ...(services.endpoints ? { endpoints: services.endpoints } : {}),
  };
  for (;;) {
    const bought = await buyEndpoints(
      deps,
      { instanceId: request.instanceId, client: request.client, ...known },
      budget,
    );
    if (bought.outcome === 'stale') throw new LinkSupersededError('buy-endpoints', bought.reason);
    if (bought.outcome === 'accepted') {
      onProgress({
        step: 'buy-endpoints',
        phase: 'done',
        detail: `${bought.links.length} endpoint(s) accepted`,
      });
      links = bought.links;
      servicePhases = bought.servicePhases;
      break;
    }
    // A later round lists the endpoints again (this run's own may have been handed to the timer).
    known = { services: services.services };
    onProgress({ step: 'buy-endpoints', phase: 'waiting', detail: bought.pending.join('; ') });
    expire(deps, budget, 'buy-endpoints', 'the endpoints were not accepted in time');
  }

  onProgress({ step: 'patch-listeners', phase: 'start' });
  const patched = await patchListeners(
    deps,
    {
      instanceId: request.instanceId,
      client: request.client,
      endpoints: links,
      servicePhases,
      endpointsJustPolled: true,
    },
    budget,
  );
  if (patched.outcome === 'stale') throw new LinkSupersededError('patch-listeners', patched.reason);
  onProgress({ step: 'patch-listeners', phase: 'done', detail: patched.completion.bootstrapServers });
  return { outcome: 'completed', completion: patched.completion, startedAt, finishedAt: deps.clock.now() };
}

function expire(deps: LinkDeps, budget: Budget, step: DriveStep, message: string): void {
  if (deps.clock.now() >= budget.deadline) throw new LinkNotReadyError(step, message);
}
