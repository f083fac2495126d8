/**
 * Reads the actual state of one link from the cloud: the endpoint services on the instance's listener
 * ports and their endpoints. Services are keyed by port_id (the cloud refuses a second service with
 * the same port and server port), endpoints by the service they connect to.
 */
import type { Endpoint, EndpointService, KafkaInstance, VpcepClient } from '../cloud/types.js';
import type { LinkDepsFor } from './deps.js';
import { TAG, tagValue } from './tags.js';

export interface LinkInventory {
  /** Services on this instance's listener ports, or tagged for this instance. */
  services: EndpointService[];
  /** Endpoints of those services (in the client VPC when one was given). */
  endpoints: Endpoint[];
}

export async function readInventory(
  deps: Pick<LinkDepsFor<{ vpcep: 'listEndpointServices' | 'listEndpoints' }>, 'vpcep'>,
  instance: Pick<KafkaInstance, 'instanceId' | 'listeners'>,
  clientVpcId?: string,
  /** Where the endpoints live: the client account's VPCEP for a cross-account link. */
  endpointsFrom: Pick<VpcepClient, 'listEndpoints'> = deps.vpcep,
  /**
   * Read the services first and the endpoints only when there are services: an instance without
   * services has no endpoints to find (a first link saves the listing, at the price of two calls in
   * sequence instead of side by side).
   */
  options: { endpointsOnlyWithServices?: boolean } = {},
): Promise<LinkInventory> {
  const portIds = new Set(instance.listeners.map((l) => l.portId));
  const listEndpoints = () => endpointsFrom.listEndpoints(clientVpcId ? { vpcId: clientVpcId } : undefined);
  const mine = (all: readonly EndpointService[]) =>
    all.filter((s) => portIds.has(s.portId) || tagValue(s.tags, TAG.instance) === instance.instanceId);
  let services: EndpointService[];
  let allEndpoints: Endpoint[];
  if (options.endpointsOnlyWithServices) {
    services = mine(await deps.vpcep.listEndpointServices());
    allEndpoints = services.length > 0 ? await listEndpoints() : [];
  } else {
    const [allServices, listed] = await Promise.all([deps.vpcep.listEndpointServices(), listEndpoints()]);
    services = mine(allServices);
    allEndpoints = listed;
  }
  const serviceIds = new Set(services.map((s) => s.id));
  const endpoints = allEndpoints.filter((e) => serviceIds.has(e.endpointServiceId));
  return { services, endpoints };
}

/** Deterministic choice among duplicates: accepted first, then the oldest, then the smallest id. */
export function preferredEndpoint(candidates: readonly Endpoint[]): Endpoint | undefined {
  const rank = (e: Endpoint) => (e.status === 'accepted' ? 0 : e.status === 'deleting' ? 2 : 1);
  return [...candidates].sort(
    (a, b) =>
      rank(a) - rank(b) || (a.createdAt ?? '').localeCompare(b.createdAt ?? '') || a.id.localeCompare(b.id),
  )[0];
}

export function preferredService(candidates: readonly EndpointService[]): EndpointService | undefined {
  const rank = (s: EndpointService) => (s.status === 'available' ? 0 : s.status === 'deleting' ? 2 : 1);
  return [...candidates].sort(
    (a, b) =>
      rank(a) - rank(b) || (a.createdAt ?? '').localeCompare(b.createdAt ?? '') || a.id.localeCompare(b.id),
  )[0];
}
