/**
 * Step 4 of a link: find-or-create one endpoint per service in the client VPC/subnet, remove
 * duplicates left by concurrent deliveries, and wait inline (bounded by the invocation's remaining
 * time) for all of them to be accepted — the fast path. What is still pending afterwards is picked up
 * by the poll-acceptance timer.
 */
import {
  CloudApiError,
  EndpointBusyError,
  InvalidSubnetError,
  NotWhitelistedError,
  ServiceNotReadyError,
  VpcNotFoundError,
} from '../cloud/errors.js';
import type { Endpoint, EndpointService, KafkaInstance, VpcepClient } from '../cloud/types.js';
import { agencyError, type ClientSide, clientSide } from './client-account.js';
import { type Budget, firstProbe, type LinkDeps, pollUntil } from './deps.js';
import type { DesiredLink } from './desired.js';
import { LinkNotReadyError, LinkRejectedError } from './errors.js';
import { declaredLink } from './instance.js';
import { type LinkInventory, preferredEndpoint, preferredService, readInventory } from './inventory.js';
import { type BrokerLink, pairBrokers } from './mapping.js';
import { markPhase } from './phase.js';
import { markFailed, markFailedOnTerminal } from './poll-acceptance.js';
import { STEP_BUY_ENDPOINTS } from './steps.js';
import { resourceTags, TAG, tagValue } from './tags.js';

export type BuyEndpointsResult =
  | { outcome: 'accepted'; instance: KafkaInstance; desired: DesiredLink; links: BrokerLink[] }
  | { outcome: 'pending'; instance: KafkaInstance; desired: DesiredLink; pending: string[] }
  /** The instance no longer declares this link (unlinked meanwhile): nothing to do. */
  | { outcome: 'stale'; reason: string };

export async function buyEndpoints(
  deps: LinkDeps,
  input: { instanceId: string; client: { vpcId: string; subnetId: string } },
  budget: Budget,
): Promise<BuyEndpointsResult> {
  return markFailedOnTerminal(deps, input.instanceId, () => buyEndpointsOnce(deps, input, budget));
}

async function buyEndpointsOnce(
  deps: LinkDeps,
  input: { instanceId: string; client: { vpcId: string; subnetId: string } },
  budget: Budget,
): Promise<BuyEndpointsResult> {
  const step = STEP_BUY_ENDPOINTS;
  const declared = await declaredLink(deps, input, step, budget);
  if ('stale' in declared) return { outcome: 'stale', reason: declared.stale };
  const { instance, desired } = declared;
  const { vpcId, subnetId } = desired.client;
  // The endpoints live in the client's account: bought, read and deleted with its agency.
  const client = await clientSide(deps, desired.client, step);

  // Services must all be available before endpoints can be bought (ServiceNotReadyError otherwise).
  let inventory: LinkInventory = { services: [], endpoints: [] };
  const services = await pollUntil(deps, budget, async () => {
    inventory = await readInventory(deps, instance, vpcId, client.vpcep);
    const chosen = instance.listeners.map((l) =>
      preferredService(inventory.services.filter((s) => s.portId === l.portId && s.status !== 'deleting')),
    );
    if (chosen.some((s) => s === undefined)) {
      throw new LinkNotReadyError(
        step,
        `instance ${instance.instanceId} has listeners without an endpoint service`,
      );
    }
    const ready = chosen as EndpointService[];
    return ready.every((s) => s.status === 'available') ? ready : undefined;
  });
  if (!services) {
    return { outcome: 'pending', instance, desired, pending: ['endpoint services are not available yet'] };
  }

  // The inventory of the last probe is current: it is what found the services available.
  const endpoints = await removeDuplicates(deps, client.vpcep, services, inventory.endpoints);
  const missing = services.filter((s) => !endpoints.some((e) => e.endpointServiceId === s.id));
  let createdAt: number | undefined;
  if (missing.length > 0) {
    // The quota was checked by create-services, which always runs before this step; a quota used up
    // since then fails the create below with the same code. New endpoints put the link back under
    // the acceptance timer's watch.
    await markPhase(
      deps,
      services.filter((s) => tagValue(s.tags, TAG.phase) !== 'pending'),
      'pending',
    );
  }
  for (const service of missing) {
    const listener = instance.listeners.find((l) => l.portId === service.portId)!;
    endpoints.push(
      await createEndpointFor(
        client,
        service,
        vpcId,
        subnetId,
        resourceTagsFor(deps, instance.instanceId, listener.listenerIp),
      ),
    );
    createdAt = deps.clock.now();
  }

  const ids = new Set(endpoints.map((e) => e.id));
  const accepted = await pollUntil(
    deps,
    budget,
    async () => {
      const current = (await client.vpcep.listEndpoints({ vpcId })).filter((e) => ids.has(e.id));
      const broken = current.find((e) => e.status === 'rejected' || e.status === 'failed');
      if (broken) {
        await markFailed(deps, instance.instanceId);
        throw endpointFailure(broken);
      }
      const paired = pairBrokers(instance.listeners, services, current, vpcId);
      return paired.problems.length === 0 ? paired.links : undefined;
    },
    firstProbe(deps, createdAt),
  );
  if (!accepted) {
    return {
      outcome: 'pending',
      instance,
      desired,
      pending: [...ids].map((id) => `endpoint ${id} not accepted yet`),
    };
  }
  return { outcome: 'accepted', instance, desired, links: accepted };
}

function resourceTagsFor(deps: LinkDeps, instanceId: string, listenerIp: string) {
  return resourceTags(instanceId, listenerIp, 'pending', deps.clock.now());
}

export function endpointFailure(endpoint: Endpoint): LinkRejectedError {
  const detail = endpoint.errors?.map((e) => `${e.code}: ${e.message}`).join('; ');
  return new LinkRejectedError(
    STEP_BUY_ENDPOINTS,
    `endpoint ${endpoint.id} for service ${endpoint.endpointServiceId} is ${endpoint.status}` +
      (detail ? ` (${detail})` : ''),
    undefined,
    endpoint.status === 'rejected' ? 'ENDPOINT_REJECTED' : 'ENDPOINT_FAILED',
  );
}

/**
 * Two deliveries of the same message can both create an endpoint for one service. Keep the
 * preferred one (accepted, else oldest) and delete the rest, so the map stays unambiguous.
 */
async function removeDuplicates(
  deps: LinkDeps,
  vpcep: VpcepClient,
  services: readonly EndpointService[],
  endpoints: Endpoint[],
): Promise<Endpoint[]> {
  const kept: Endpoint[] = [];
  for (const service of services) {
    const mine = endpoints.filter((e) => e.endpointServiceId === service.id && e.status !== 'deleting');
    const keep = preferredEndpoint(mine);
    if (!keep) continue;
    kept.push(keep);
    for (const extra of mine.filter((e) => e.id !== keep.id)) {
      deps.logger.warn('deleting duplicate endpoint', {
        endpointId: extra.id,
        serviceId: service.id,
        kept: keep.id,
      });
      try {
        await vpcep.deleteEndpoint(extra.id);
      } catch (error) {
        // Still being created (EndpointBusyError) or already going: the next run or reconcile removes it.
        if (!(error instanceof CloudApiError) || error.retryable) throw error;
        deps.logger.warn('duplicate endpoint not deletable yet', { endpointId: extra.id, code: error.code });
      }
    }
  }
  return kept;
}

async function createEndpointFor(
  client: ClientSide,
  service: EndpointService,
  vpcId: string,
  subnetId: string,
  tags: ReturnType<typeof resourceTags>,
): Promise<Endpoint> {
  try {
    return await client.vpcep.createEndpoint({
      endpointServiceId: service.id,
      vpcId,
      subnetId,
      enableDns: false,
      description: `kafka-vpcep-link ${service.id}`,
      tags,
    });
  } catch (error) {
    if (!(error instanceof CloudApiError)) throw error;
    if (error instanceof ServiceNotReadyError || error instanceof EndpointBusyError) {
      throw new LinkNotReadyError(STEP_BUY_ENDPOINTS, `service ${service.id} is not available yet`, {
        cause: error,
      });
    }
    if (error.retryable) throw error;
    const refused = client.agency && agencyError(error, client.agency, STEP_BUY_ENDPOINTS);
    if (refused) throw refused;
    const field =
      error instanceof InvalidSubnetError
        ? 'client.subnetId'
        : error instanceof VpcNotFoundError
          ? 'client.vpcId'
          : error instanceof NotWhitelistedError
            ? 'client.domainId'
            : undefined;
    throw new LinkRejectedError(
      STEP_BUY_ENDPOINTS,
      `could not create the endpoint for service ${service.id}: ${error.message}`,
      field,
      error.code,
      { cause: error },
    );
  }
}
