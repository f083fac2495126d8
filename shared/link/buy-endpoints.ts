/**
 * Step 4 of a link: find-or-create one endpoint per service in the client VPC/subnet, remove
 * duplicates left by concurrent deliveries, and wait inline (bounded by the invocation's remaining
 * time) for all of them to be accepted — the fast path. What is still pending afterwards is picked up
 * by the poll-acceptance timer.
 */
import { continuingWork } from '../cloud/continuing.js';
import {
  CloudApiError,
  EndpointBusyError,
  InvalidSubnetError,
  NotWhitelistedError,
  ServiceNotReadyError,
  VpcNotFoundError,
} from '../cloud/errors.js';
import type { Endpoint, EndpointService, ListEndpointsFilter } from '../cloud/types.js';
import { agencyError, type ClientSide, clientSide } from './client-account.js';
import { createOnce } from './create-once.js';
import { type Budget, creationWindow, type LinkDepsFor, pollUntil } from './deps.js';
import type { ClientTarget } from './desired.js';
import { LinkNotReadyError, LinkRejectedError } from './errors.js';
import { declaredLink } from './instance.js';
import {
  type LinkInventory,
  listNarrowed,
  namedLike,
  preferredEndpoint,
  preferredService,
  readInventory,
} from './inventory.js';
import { type BrokerLink, pairBrokers, type ServiceRef } from './mapping.js';
import { handOverToTimer, markFailed, markFailedOnTerminal } from './phase.js';
import { STEP_BUY_ENDPOINTS } from './steps.js';
import { createdAtOf, type LinkPhase, phaseOf, resourceTags } from './tags.js';

/** The cloud operations this step calls: its function binds exactly these (LinkDepsFor). */
export type BuyEndpointsDeps = LinkDepsFor<{
  dms: 'showInstance';
  vpcep:
    | 'listEndpointServices'
    | 'createEndpoint'
    | 'listEndpoints'
    | 'deleteEndpoint'
    | 'createResourceTags'
    | 'queryResourcesByTags';
}>;

export type BuyEndpointsResult =
  | {
      outcome: 'accepted';
      links: BrokerLink[];
      /** `kvl-phase` of each service that carries one (patch-listeners marks them linked). */
      servicePhases: Record<string, LinkPhase>;
      /**
       * Some endpoints were bought by this run or not accepted when it first listed them: the map
       * cannot be in place yet (patch-listeners then reads the instance and endpoints together).
       */
      justAccepted: boolean;
    }
  | { outcome: 'pending'; pending: string[] }
  /** The instance no longer declares this link (unlinked meanwhile): nothing to do. */
  | { outcome: 'stale'; reason: string };

export interface BuyEndpointsInput {
  instanceId: string;
  client: ClientTarget;
  /**
   * The services create-services found available (services-ready), one per listener. Handed, they
   * spare the instance and service reads; they are verified by what they are used for: an endpoint
   * create names the service (an unknown or deleted one fails it, and the step then reads the cloud
   * from the start), and patch-listeners checks the link is still declared before using anything.
   */
  services?: readonly ServiceRef[];
  /** Every endpoint of those services in the client VPC, known in-process (drive.ts): no listing. */
  endpoints?: readonly Endpoint[];
  /** Recorded (`kvl-request`) when the link is handed over to the timer. */
  correlationId?: string;
}

export async function buyEndpoints(
  deps: BuyEndpointsDeps,
  input: BuyEndpointsInput,
  budget: Budget,
): Promise<BuyEndpointsResult> {
  return markFailedOnTerminal(deps, input.instanceId, async () => {
    if (input.services && input.services.length > 0) {
      const handed = await buyForHandedServices(deps, input, input.services, budget);
      if (handed) return handed;
    }
    return buyEndpointsOnce(deps, input, budget);
  });
}

/**
 * The fast path of a message that names its services: list the client VPC's endpoints (unless known),
 * create the missing ones, wait for acceptance. Undefined when a handed service turns out not to be
 * usable: the caller reads the cloud from the start (and finds the link stale, or its services).
 */
async function buyForHandedServices(
  deps: BuyEndpointsDeps,
  input: BuyEndpointsInput,
  services: readonly ServiceRef[],
  budget: Budget,
): Promise<BuyEndpointsResult | undefined> {
  const step = STEP_BUY_ENDPOINTS;
  const { vpcId, subnetId } = input.client;
  const client = await clientSide(deps, input.client, step);
  const ids = new Set(services.map((s) => s.serviceId));
  const listing = {
    vpcId,
    ...namedLike(
      input.instanceId,
      services.map((s) => s.serviceName),
    ),
  };
  const listed = input.endpoints ?? (await client.vpcep.listEndpoints(listing));
  const known = listed.filter((e) => ids.has(e.endpointServiceId) && e.vpcId === vpcId);
  const asServices = services.map((s) => ({ id: s.serviceId }) as EndpointService);
  const endpoints = await removeDuplicates(deps, client.vpcep, asServices, known);
  const missing = services.filter((s) => !endpoints.some((e) => e.endpointServiceId === s.serviceId));
  if (missing.length > 0) {
    // Before buying anything: does the instance still declare this link, with these listeners? (A
    // concurrent request for another VPC, or an unlink, may have won since create-services.)
    const declared = await declaredLink(deps, input, step, budget);
    if ('stale' in declared) return { outcome: 'stale', reason: declared.stale };
    const ports = new Set(declared.instance.listeners.map((l) => l.portId));
    if (
      declared.desired.client.subnetId !== subnetId ||
      ports.size !== services.length ||
      services.some((s) => !ports.has(s.portId))
    ) {
      return undefined;
    }
  }
  let createdAt: number | undefined;
  for (const service of missing) {
    try {
      // Once the link has an endpoint, its other creates are work in progress: they go first.
      const created = await continuingWork(endpoints.length > 0, () =>
        createEndpointFor(
          deps,
          client,
          { id: service.serviceId },
          vpcId,
          subnetId,
          resourceTagsFor(deps, input.instanceId, service.listenerIp),
        ),
      );
      endpoints.push(created);
    } catch (error) {
      // Gone or not available (an unlink, a repair): what the message said may no longer hold. The
      // step reads the cloud from the start, which finds the link stale or meets the refusal again.
      if (error instanceof LinkNotReadyError || error instanceof LinkRejectedError) {
        deps.logger.info('a handed service cannot take an endpoint; reading the link again', {
          serviceId: service.serviceId,
        });
        return undefined;
      }
      throw error;
    }
    createdAt = deps.clock.now();
  }
  const servicePhases = Object.fromEntries(
    services.filter((s) => s.phase).map((s) => [s.serviceId, s.phase!]),
  ) as Record<string, LinkPhase>;
  const endpointIds = new Set(endpoints.map((e) => e.id));
  // Nothing bought and every endpoint just listed is accepted (a repeat): no second look needed.
  const listedNow = createdAt === undefined ? pairHanded(services, endpoints, vpcId) : undefined;
  const links =
    listedNow ??
    (await waitForAcceptance(
      deps,
      budget,
      client.vpcep,
      input.instanceId,
      listing,
      // Every endpoint of these services, not only this run's: concurrent deliveries that each
      // bought one then agree on the same (preferred) endpoint per broker.
      (e) => ids.has(e.endpointServiceId),
      endpointIds,
      (current) => pairHanded(services, current, vpcId),
      createdAt ?? awaitedSince(deps, endpoints),
    ));
  if (links) return { outcome: 'accepted', links, servicePhases, justAccepted: listedNow === undefined };
  await handOverToTimer(
    deps,
    services.map((s) => ({ id: s.serviceId, phase: s.phase })),
    input.correlationId,
  );
  return { outcome: 'pending', pending: [...endpointIds].map((id) => `endpoint ${id} not accepted yet`) };
}

/** One accepted endpoint with an IP per handed service, or undefined while any is missing. */
function pairHanded(
  services: readonly ServiceRef[],
  endpoints: readonly Endpoint[],
  vpcId: string,
): BrokerLink[] | undefined {
  const links: BrokerLink[] = [];
  for (const service of services) {
    const endpoint = preferredEndpoint(
      endpoints.filter(
        (e) => e.endpointServiceId === service.serviceId && e.vpcId === vpcId && e.status !== 'deleting',
      ),
    );
    if (endpoint?.status !== 'accepted' || !endpoint.ip) return undefined;
    links.push({
      listenerIp: service.listenerIp,
      portId: service.portId,
      serviceId: service.serviceId,
      endpointId: endpoint.id,
      endpointIp: endpoint.ip,
    });
  }
  return links;
}

/**
 * When the endpoints a run found but did not buy were bought (a redelivery, a concurrent delivery):
 * the youngest one not accepted yet, from its `kvl-since`. Their wait then follows the documented
 * window like one for endpoints just bought, instead of probing every few seconds from now.
 */
function awaitedSince(
  deps: Pick<BuyEndpointsDeps, 'clock'>,
  endpoints: readonly Endpoint[],
): number | undefined {
  return createdAtOf(
    endpoints.filter((e) => e.status !== 'accepted'),
    deps.clock.now(),
  );
}

/** Polls the endpoints until `pair` accepts them; a rejected or failed one ends the link. */
async function waitForAcceptance(
  deps: BuyEndpointsDeps,
  budget: Budget,
  vpcep: BuyEndpointsDeps['vpcep'],
  instanceId: string,
  /** The client VPC, and the services' name stem when they share it. */
  listing: ListEndpointsFilter,
  /** Which endpoints of the listing the wait is about. */
  concerns: (endpoint: Endpoint) => boolean,
  /** Endpoints known to exist (ids): a listing that lacks one is read again without its name filter. */
  known: ReadonlySet<string>,
  pair: (current: Endpoint[]) => BrokerLink[] | undefined,
  createdAt: number | undefined,
): Promise<BrokerLink[] | undefined> {
  return pollUntil(
    deps,
    budget,
    async () => {
      const current = (
        await listNarrowed((filter) => vpcep.listEndpoints(filter), listing, known, deps.logger)
      ).filter(concerns);
      const broken = current.find((e) => e.status === 'rejected' || e.status === 'failed');
      if (broken) {
        await markFailed(deps, instanceId);
        throw endpointFailure(broken);
      }
      return pair(current);
    },
    creationWindow(createdAt),
  );
}

async function buyEndpointsOnce(
  deps: BuyEndpointsDeps,
  input: BuyEndpointsInput,
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
  const phased = instance.listeners.map((l) => {
    const service = inventory.services.find((s) => s.portId === l.portId && s.status !== 'deleting');
    return { id: service?.id ?? '', phase: service ? phaseOf(service.tags) : undefined };
  });
  if (!services) {
    await handOverToTimer(
      deps,
      phased.filter((s) => s.id !== ''),
      input.correlationId,
    );
    return { outcome: 'pending', pending: ['endpoint services are not available yet'] };
  }

  // The inventory of the last probe is current: it is what found the services available.
  const endpoints = await removeDuplicates(deps, client.vpcep, services, inventory.endpoints);
  const missing = services.filter((s) => !endpoints.some((e) => e.endpointServiceId === s.id));
  // The quota was checked by create-services, which always runs before this step; a quota used up
  // since then fails the create below with the same code.
  let createdAt: number | undefined;
  for (const service of missing) {
    const listener = instance.listeners.find((l) => l.portId === service.portId)!;
    const created = await continuingWork(endpoints.length > 0, () =>
      createEndpointFor(
        deps,
        client,
        service,
        vpcId,
        subnetId,
        resourceTagsFor(deps, instance.instanceId, listener.listenerIp),
      ),
    );
    endpoints.push(created);
    createdAt = deps.clock.now();
  }

  const ids = new Set(endpoints.map((e) => e.id));
  const accepted = await waitForAcceptance(
    deps,
    budget,
    client.vpcep,
    instance.instanceId,
    {
      vpcId,
      ...namedLike(
        instance.instanceId,
        services.map((s) => s.serviceName),
      ),
    },
    (e) => ids.has(e.id),
    ids,
    (current) => {
      const paired = pairBrokers(instance.listeners, services, current, vpcId);
      return paired.problems.length === 0 ? paired.links : undefined;
    },
    createdAt ?? awaitedSince(deps, endpoints),
  );
  if (!accepted) {
    // Not accepted within the budget: the acceptance timer follows the link from here.
    await handOverToTimer(deps, phased, input.correlationId);
    return { outcome: 'pending', pending: [...ids].map((id) => `endpoint ${id} not accepted yet`) };
  }
  const servicePhases = Object.fromEntries(
    phased.filter((s) => s.phase).map((s) => [s.id, s.phase!]),
  ) as Record<string, LinkPhase>;
  return { outcome: 'accepted', links: accepted, servicePhases, justAccepted: createdAt !== undefined };
}

function resourceTagsFor(deps: BuyEndpointsDeps, instanceId: string, listenerIp: string) {
  return resourceTags(instanceId, listenerIp, undefined, deps.clock.now());
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
  deps: BuyEndpointsDeps,
  vpcep: BuyEndpointsDeps['vpcep'],
  services: ReadonlyArray<Pick<EndpointService, 'id'>>,
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

/**
 * Creates the endpoint of one service. VPCEP takes no client token and accepts a second endpoint on a
 * service, so a create whose reply was lost is not simply sent again (createOnce): an endpoint of the
 * service found in the client VPC is the one the lost request created.
 */
async function createEndpointFor(
  deps: Pick<BuyEndpointsDeps, 'clock' | 'logger'>,
  client: ClientSide<BuyEndpointsDeps['vpcep'], BuyEndpointsDeps['vpc']>,
  service: Pick<EndpointService, 'id'>,
  vpcId: string,
  subnetId: string,
  tags: ReturnType<typeof resourceTags>,
): Promise<Endpoint> {
  try {
    return await createOnce(
      deps,
      `endpoint for service ${service.id}`,
      () =>
        client.vpcep.createEndpoint({
          endpointServiceId: service.id,
          vpcId,
          subnetId,
          enableDns: false,
          description: `kafka-vpcep-link ${service.id}`,
          tags,
        }),
      // Listed without the name filter: what is looked for must not be hidden by a filter that misses.
      async () =>
        (await client.vpcep.listEndpoints({ vpcId })).find(
          (e) => e.endpointServiceId === service.id && e.vpcId === vpcId && e.status !== 'deleting',
        ),
    );
  } catch (error) {
    throw createRefusal(client, service, error);
  }
}

/** The error a failed endpoint create ends the step with. */
function createRefusal(
  client: ClientSide<BuyEndpointsDeps['vpcep'], BuyEndpointsDeps['vpc']>,
  service: Pick<EndpointService, 'id'>,
  error: unknown,
): unknown {
  if (!(error instanceof CloudApiError)) return error;
  if (error instanceof ServiceNotReadyError || error instanceof EndpointBusyError) {
    return new LinkNotReadyError(STEP_BUY_ENDPOINTS, `service ${service.id} is not available yet`, {
      cause: error,
    });
  }
  if (error.retryable) return error;
  const refused = client.agency && agencyError(error, client.agency, STEP_BUY_ENDPOINTS);
  if (refused) return refused;
  const field =
    error instanceof InvalidSubnetError
      ? 'client.subnetId'
      : error instanceof VpcNotFoundError
        ? 'client.vpcId'
        : error instanceof NotWhitelistedError
          ? 'client.domainId'
          : undefined;
  return new LinkRejectedError(
    STEP_BUY_ENDPOINTS,
    `could not create the endpoint for service ${service.id}: ${error.message}`,
    field,
    error.code,
    { cause: error },
  );
}
