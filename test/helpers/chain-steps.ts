/**
 * The chain's three steps run in process, each handed what the previous one published (as the
 * services-ready and endpoints-accepted events carry it), without the queue between them.
 */
import { buyEndpoints } from '../../shared/link/buy-endpoints.js';
import { createServices } from '../../shared/link/create-services.js';
import type { LinkRequest } from '../../shared/link/desired.js';
import { patchListeners } from '../../shared/link/patch-listeners.js';
import type { TestCloud } from './test-cloud.js';

export async function runChainSteps(cloud: TestCloud, request: LinkRequest) {
  const services = await createServices(cloud.deps, request, cloud.budget());
  const bought = await buyEndpoints(
    cloud.deps,
    { instanceId: request.instanceId, client: request.client, services: services.services },
    cloud.budget(),
  );
  if (bought.outcome !== 'accepted') throw new Error(`buy-endpoints: ${bought.outcome}`);
  const patched = await patchListeners(
    cloud.deps,
    {
      instanceId: request.instanceId,
      client: request.client,
      endpoints: bought.links,
      servicePhases: bought.servicePhases,
      justAccepted: bought.justAccepted,
    },
    cloud.budget(),
  );
  if (patched.outcome !== 'completed') throw new Error(`patch-listeners: ${patched.outcome}`);
  return { ...patched.completion, justAccepted: bought.justAccepted };
}
