/**
 * Reads the actual state of one link from the cloud: the endpoint services on the instance's listener
 * ports and their endpoints. Services are keyed by port_id (the cloud refuses a second service with
 * the same port and server port), endpoints by the service they connect to.
 */
import type { Endpoint, EndpointService, KafkaInstance, Logger, VpcepClient } from '../cloud/types.js';
import type { LinkDepsFor } from './deps.js';
import { TAG, tagValue } from './tags.js';

/**
 * The name create-services gives the endpoint service of one broker: ≤16 chars of [A-Za-z0-9_-],
 * `kvl-` + 8 chars of the instance id + the broker IP's last octet. The cloud reports it as
 * `{region}.{name}.{service id}` (service_name), also on each endpoint (endpoint_service_name).
 */
export function serviceNameFor(instanceId: string, listenerIp: string): string {
  const octet = listenerIp.split('.').pop() ?? '0';
  return `${serviceNameStem(instanceId)}${octet}`.slice(0, 16);
}

/** What the names of one instance's services have in common: `kvl-` + 8 chars of its id + `-`. */
export function serviceNameStem(instanceId: string): string {
  return `kvl-${instanceId.replace(/[^A-Za-z0-9]/g, '').slice(0, 8)}-`;
}

/**
 * The `endpoint_service_name` filter that lists one instance's services, or their endpoints, without
 * the rest of the account. ListEndpointService and ListEndpoints match it anywhere in the name
 * ("支持大小写，前后模糊匹配" [GSDK services/vpcep/v1/model/model_list_endpoint_service_request.go,
 * model_list_endpoints_request.go]), so a listing is one small page however many links the account
 * holds, instead of every page of every link's resources (3 pages of 1,000 each at 1,000 links).
 * No filter (`{}`) when a service does not carry the stem — one adopted from a hand-made link keeps
 * its own name — so the caller lists everything and misses nothing. The stem may also match another
 * instance whose id starts alike: callers still select by service id or port.
 */
export function namedLike(
  instanceId: string,
  serviceNames: readonly string[],
): { endpointServiceName?: string } {
  const stem = serviceNameStem(instanceId);
  return serviceNames.length > 0 && serviceNames.every((name) => name.includes(stem))
    ? { endpointServiceName: stem }
    : {};
}

/**
 * A listing narrowed by `endpointServiceName`, checked against what is known to exist (`known`, ids):
 * when the answer lacks one of them, the filter did not match anywhere in the name as the SDK
 * documents, and the listing is read again without it, with a warning. (A filter matching too much is
 * harmless: callers select by id.) Only a real account can confirm the documented matching; this
 * keeps a link from waiting on, or buying again, what a narrower filter would hide.
 */
export async function listNarrowed<T extends { id: string }, F extends { endpointServiceName?: string }>(
  list: (filter: F) => Promise<T[]>,
  filter: F,
  known: ReadonlySet<string>,
  logger: Pick<Logger, 'warn'>,
): Promise<T[]> {
  const listed = await list(filter);
  if (!filter.endpointServiceName) return listed;
  const ids = new Set(listed.map((item) => item.id));
  const missing = [...known].filter((id) => !ids.has(id));
  if (missing.length === 0) return listed;
  logger.warn('a listing filtered by endpoint_service_name missed resources that exist; listing without it', {
    endpointServiceName: filter.endpointServiceName,
    missing,
  });
  const { endpointServiceName: _unused, ...unfiltered } = filter;
  return list(unfiltered as F);
}

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
  options: {
    endpointsOnlyWithServices?: boolean;
    /**
     * Only the services named like this instance's (`serviceNameStem`) and their endpoints: one small
     * page however large the account, but blind to a service made by hand under another name.
     */
    byName?: boolean;
  } = {},
): Promise<LinkInventory> {
  const portIds = new Set(instance.listeners.map((l) => l.portId));
  const named = options.byName ? { endpointServiceName: serviceNameStem(instance.instanceId) } : {};
  const listEndpoints = () =>
    endpointsFrom.listEndpoints({ ...(clientVpcId ? { vpcId: clientVpcId } : {}), ...named });
  const listServices = () => deps.vpcep.listEndpointServices(named);
  const mine = (all: readonly EndpointService[]) =>
    all.filter((s) => portIds.has(s.portId) || tagValue(s.tags, TAG.instance) === instance.instanceId);
  let services: EndpointService[];
  let allEndpoints: Endpoint[];
  if (options.endpointsOnlyWithServices) {
    services = mine(await listServices());
    allEndpoints = services.length > 0 ? await listEndpoints() : [];
  } else {
    const [allServices, listed] = await Promise.all([listServices(), listEndpoints()]);
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
