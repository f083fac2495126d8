/**
 * Rendering of VPCEP records into API bodies (create, show and list views differ, per the GSDK models).
 */
import { createHash } from 'node:crypto';
import type { JsonObject } from '../module-kit.js';
import type { EndpointRecord, EndpointServiceRecord, World } from '../types.js';
import { DEFAULT_ENDPOINT_FAILURE, DEFAULT_SERVICE_FAILURE } from './constants.js';

/** VPCEP timestamps are UTC seconds: `2018-01-30T07:42:01Z`. */
export function timestamp(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

/** A stable UUID-shaped id derived from another id (backend pool ids the API reports but we do not model). */
function derivedId(label: string, id: string): string {
  const hex = createHash('sha256').update(`${label}:${id}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/* ------------------------------------------------------------------ rendering */

function renderPorts(service: EndpointServiceRecord): EndpointServiceRecord['ports'] {
  return service.ports.map((p) => ({
    client_port: p.client_port,
    server_port: p.server_port,
    protocol: p.protocol,
  }));
}

/**
 * Connections per service: endpoints that are creating or accepted (reference, GSDK corrections).
 * Counted once per answer: a page of 1,000 services rendered one scan of the endpoints each, which
 * made a listing quadratic in the account's size (a 1,000-link soak spent its CPU there).
 */
export function connectionCounts(world: World): Map<string, number> {
  const counts = new Map<string, number>();
  for (const e of world.endpoints) {
    if (e.status === 'creating' || e.status === 'accepted') {
      counts.set(e.endpointServiceId, (counts.get(e.endpointServiceId) ?? 0) + 1);
    }
  }
  return counts;
}

export function renderService(
  world: World,
  service: EndpointServiceRecord,
  view: 'create' | 'show' | 'list',
  connections: ReadonlyMap<string, number> = view === 'create' ? new Map() : connectionCounts(world),
): JsonObject {
  const body: JsonObject = {
    id: service.id,
    port_id: service.portId,
    vpc_id: service.vpcId,
    pool_id: derivedId('pool', service.id),
    status: service.status,
    approval_enabled: service.approvalEnabled,
    service_name: service.serviceName,
    service_type: service.serviceType,
    server_type: service.serverType,
    project_id: service.projectId,
    description: service.description,
    created_at: service.createdAt,
    updated_at: service.updatedAt,
    ports: renderPorts(service),
    tcp_proxy: service.tcpProxy,
    tags: service.tags.map((t) => ({ ...t })),
    enable_policy: false,
  };
  if (view !== 'create') {
    body.domain_id = service.domainId;
    body.connection_count = connections.get(service.id) ?? 0;
  }
  if (service.status === 'failed') {
    body.error =
      service.errors && service.errors.length > 0
        ? service.errors.map((e) => ({ code: e.code, message: e.message }))
        : [{ ...DEFAULT_SERVICE_FAILURE }];
  }
  return body;
}

export function renderEndpoint(
  endpoint: EndpointRecord,
  view: 'create' | 'show' | 'list',
  serviceType: string,
): JsonObject {
  const body: JsonObject = {
    id: endpoint.id,
    status: endpoint.status,
    service_type: serviceType,
    marker_id: endpoint.markerId,
    active_status: ['active'],
    vpc_id: endpoint.vpcId,
    subnet_id: endpoint.subnetId,
    // Documented quirk: the list API reports enable_dns as the string "true"/"false".
    enable_dns: view === 'list' ? String(endpoint.enableDns) : endpoint.enableDns,
    endpoint_service_name: endpoint.endpointServiceName,
    endpoint_service_id: endpoint.endpointServiceId,
    project_id: endpoint.projectId,
    whitelist: [...(endpoint.whitelist ?? [])],
    enable_whitelist: endpoint.enableWhitelist ?? false,
    specification_name: 'default',
    enable_status: 'enable',
    endpoint_pool_id: derivedId('endpoint-pool', endpoint.endpointServiceId),
    description: endpoint.description,
    created_at: endpoint.createdAt,
    updated_at: endpoint.updatedAt,
    tags: endpoint.tags.map((t) => ({ ...t })),
  };
  // The private IP is reported once the connection is accepted (the create response never has it).
  if (view !== 'create' && endpoint.status === 'accepted') body.ip = endpoint.ip;
  // A private domain name exists only with enable_dns (details: dns_names[], list: dns_name).
  const dnsName = `${endpoint.id}.vpcep.emulator.internal`;
  if (view === 'show' && endpoint.enableDns) body.dns_names = [dnsName];
  if (view === 'list' && endpoint.enableDns) body.dns_name = dnsName;
  if (endpoint.status === 'failed') {
    body.error =
      endpoint.errors.length > 0 ? endpoint.errors.map((e) => ({ ...e })) : [DEFAULT_ENDPOINT_FAILURE];
  }
  return body;
}

export function renderConnection(endpoint: EndpointRecord): JsonObject {
  const body: JsonObject = {
    id: endpoint.id,
    status: endpoint.status,
    marker_id: endpoint.markerId,
    domain_id: endpoint.domainId,
    description: endpoint.description,
    created_at: endpoint.createdAt,
    updated_at: endpoint.updatedAt,
  };
  if (endpoint.status === 'failed') {
    body.error =
      endpoint.errors.length > 0 ? endpoint.errors.map((e) => ({ ...e })) : [DEFAULT_ENDPOINT_FAILURE];
  }
  return body;
}
