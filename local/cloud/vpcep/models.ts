/**
 * VPCEP records: lookups, marker ids and the state machines (services creating ->
 * available, deleting -> gone; endpoints creating -> accepted / pendingAcceptance, deleting -> gone).
 */
import { fail } from '../module-kit.js';
import { takeDueTransitions } from '../transitions.js';
import type {
  Caller,
  EndpointRecord,
  EndpointServiceRecord,
  EndpointStatus,
  ServiceStatus,
  Subnet,
  World,
} from '../types.js';
import { E } from './constants.js';
import { timestamp } from './views.js';

/* ------------------------------------------------------------------ lookups */

export function ownService(world: World, caller: Caller, id: string): EndpointServiceRecord {
  const service = world.endpointServices.find((s) => s.id === id && s.projectId === caller.projectId);
  if (!service) fail(404, E.notFound, `The VPC endpoint service ${id} does not exist.`);
  return service;
}

export function ownEndpoint(world: World, caller: Caller, id: string): EndpointRecord {
  const endpoint = world.endpoints.find((e) => e.id === id && e.projectId === caller.projectId);
  if (!endpoint) fail(404, E.endpointNotFound, `The VPC endpoint ${id} does not exist.`);
  return endpoint;
}

export function serviceTypeOf(world: World, endpoint: EndpointRecord): string {
  return world.endpointServices.find((s) => s.id === endpoint.endpointServiceId)?.serviceType ?? 'interface';
}

export function isWhitelisted(service: EndpointServiceRecord, caller: Caller): boolean {
  // The owner's own account is always allowed implicitly.
  if (service.domainId === caller.domainId) return true;
  return service.permissions.some(
    (p) => p.permission === '*' || p.permission === `iam:domain::${caller.domainId}`,
  );
}

export function ipInUse(world: World, subnet: Subnet, ip: string): boolean {
  return (
    ip === subnet.gatewayIp ||
    world.ports.some((p) => p.subnetId === subnet.id && p.ip === ip) ||
    world.endpoints.some((e) => e.subnetId === subnet.id && e.ip === ip)
  );
}

export function nextMarkerId(world: World): number {
  // Marker ids are large account-wide integers in the documented examples (16777337, 201515772…).
  return world.endpoints.reduce((max, e) => Math.max(max, e.markerId), 201_515_771) + 1;
}

/* ------------------------------------------------------------------ state machines */

/*
 * A creation step only applies while the record is still `creating`: when the admin API forced a
 * state (rejected, failed) meanwhile, the forced state wins. Deletion always completes.
 */

export function settleServices(world: World, now: number): void {
  for (const service of [...world.endpointServices]) {
    for (const to of takeDueTransitions(service.transitions, now)) {
      if (to === 'deleted') {
        world.endpointServices.splice(world.endpointServices.indexOf(service), 1);
        break;
      }
      if (service.status !== 'creating') continue;
      service.status = to as ServiceStatus;
      service.updatedAt = timestamp(now);
    }
  }
}

export function settleEndpoints(world: World, now: number): void {
  for (const endpoint of [...world.endpoints]) {
    for (const to of takeDueTransitions(endpoint.transitions, now)) {
      if (to === 'deleted') {
        world.endpoints.splice(world.endpoints.indexOf(endpoint), 1);
        // Deleting the endpoint frees its NIC and so its IP in the client subnet.
        const portIndex = world.ports.findIndex((p) => p.id === endpoint.portId);
        if (portIndex >= 0) world.ports.splice(portIndex, 1);
        break;
      }
      if (endpoint.status !== 'creating') continue;
      endpoint.status = to as EndpointStatus;
      endpoint.updatedAt = timestamp(now);
    }
  }
}
