/**
 * The listener map is the one write that can disconnect a cluster: every listener IP must map to the
 * IP of the endpoint whose service uses *that broker's* port_id. These pure functions build the map
 * from what the cloud reports and refuse anything partial, ambiguous or mismatched.
 */

import type { Endpoint, EndpointService, KafkaListener } from '../cloud/types.js';
import { ListenerMapError } from './errors.js';
import { preferredEndpoint } from './inventory.js';
import type { LinkPhase } from './tags.js';
import { isIpv4 } from './tags.js';

export interface ServiceRef {
  listenerIp: string;
  portId: string;
  serviceId: string;
  serviceName: string;
  /** The service's `kvl-phase` when it carries one (the timer follows it, or it failed). */
  phase?: LinkPhase;
}

export interface BrokerLink {
  listenerIp: string;
  portId: string;
  serviceId: string;
  endpointId: string;
  endpointIp: string;
}

/**
 * Pairs each listener with its service (by port_id) and that service's endpoint in the client VPC.
 * Returns the links, or the list of problems when any broker cannot be paired safely.
 */
export function pairBrokers(
  listeners: readonly KafkaListener[],
  services: readonly EndpointService[],
  endpoints: readonly Endpoint[],
  clientVpcId: string,
): { links: BrokerLink[]; problems: string[] } {
  const links: BrokerLink[] = [];
  const problems: string[] = [];
  for (const listener of listeners) {
    const owned = services.filter((s) => s.portId === listener.portId && s.status !== 'deleting');
    if (owned.length !== 1) {
      problems.push(
        owned.length === 0
          ? `listener ${listener.listenerIp}: no endpoint service for port ${listener.portId}`
          : `listener ${listener.listenerIp}: ${owned.length} endpoint services for port ${listener.portId}`,
      );
      continue;
    }
    const service = owned[0]!;
    const candidates = endpoints.filter(
      (e) => e.endpointServiceId === service.id && e.vpcId === clientVpcId && e.status !== 'deleting',
    );
    // Duplicates (a redelivered message bought two) all reach this broker: any accepted one is a correct
    // pairing. Pick deterministically; the extra ones are cleaned up by buy-endpoints or reconcile.
    const endpoint = preferredEndpoint(candidates);
    if (!endpoint) {
      problems.push(
        `listener ${listener.listenerIp}: no endpoint for service ${service.id} in VPC ${clientVpcId}`,
      );
      continue;
    }
    if (endpoint.status !== 'accepted' || !endpoint.ip) {
      problems.push(
        `listener ${listener.listenerIp}: endpoint ${endpoint.id} is ${endpoint.status}, not accepted`,
      );
      continue;
    }
    links.push({
      listenerIp: listener.listenerIp,
      portId: listener.portId,
      serviceId: service.id,
      endpointId: endpoint.id,
      endpointIp: endpoint.ip,
    });
  }
  return { links, problems };
}

/**
 * Builds the full advertised map (listener IP → endpoint IP) and verifies it: every listener exactly
 * once, nothing else, valid and distinct IPs, each paired through the right port_id.
 * Throws `ListenerMapError` rather than return anything partial.
 */
export function buildAdvertisedMap(
  listeners: readonly KafkaListener[],
  links: readonly BrokerLink[],
): Record<string, string> {
  const problems: string[] = [];
  const map: Record<string, string> = {};
  const byListener = new Map<string, BrokerLink[]>();
  for (const link of links)
    byListener.set(link.listenerIp, [...(byListener.get(link.listenerIp) ?? []), link]);
  for (const listener of listeners) {
    const found = byListener.get(listener.listenerIp) ?? [];
    if (found.length !== 1) {
      problems.push(`listener ${listener.listenerIp} has ${found.length} endpoint IPs`);
      continue;
    }
    const link = found[0]!;
    if (link.portId !== listener.portId) {
      problems.push(
        `listener ${listener.listenerIp} (port ${listener.portId}) paired with port ${link.portId}`,
      );
    }
    if (!isIpv4(link.endpointIp)) problems.push(`endpoint IP ${JSON.stringify(link.endpointIp)} is not IPv4`);
    map[listener.listenerIp] = link.endpointIp;
  }
  const known = new Set(listeners.map((l) => l.listenerIp));
  for (const link of links)
    if (!known.has(link.listenerIp)) problems.push(`unknown listener ${link.listenerIp}`);
  const ips = Object.values(map);
  const dupes = ips.filter((ip, i) => ips.indexOf(ip) !== i);
  if (dupes.length > 0) problems.push(`endpoint IPs used twice: ${[...new Set(dupes)].join(', ')}`);
  if (listeners.length === 0) problems.push('the instance has no cross-VPC listeners');
  if (problems.length > 0) throw new ListenerMapError(problems);
  return map;
}

/** The map that restores each listener to a given original (identity when unknown). */
export function restoreMap(
  listeners: readonly KafkaListener[],
  originals: ReadonlyMap<string, string>,
): Record<string, string> {
  return Object.fromEntries(
    listeners.map((l) => [l.listenerIp, originals.get(l.listenerIp) ?? l.listenerIp]),
  );
}

/** True when the instance already advertises exactly this map (nothing to send). */
export function advertisesExactly(
  listeners: readonly KafkaListener[],
  map: Readonly<Record<string, string>>,
): boolean {
  return listeners.every((l) => map[l.listenerIp] === l.advertisedIp);
}

export function bootstrapServers(links: readonly BrokerLink[], port = 9011): string {
  return links.map((l) => `${l.endpointIp}:${port}`).join(',');
}
