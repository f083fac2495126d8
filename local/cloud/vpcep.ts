/**
 * VPC Endpoint (VPCEP) API v1 of the emulator: endpoint services, whitelists, connections,
 * endpoints, tags, query-by-tag and quotas (reference §B, fixtures `vpcep-*.json`).
 *
 * Creation and deletion are asynchronous in the real service (1–2 min). Each record therefore
 * carries its future states as `transitions`, applied by `settle` when emulated time passes them,
 * and the delays are exported so tests can advance the clock exactly past them.
 */
import { createHash } from 'node:crypto';
import { dispatch, fail, isObject, type JsonObject, type Route, type RouteHandler } from './module-kit.js';
import type {
  Caller,
  EmuRequest,
  EndpointRecord,
  EndpointServiceRecord,
  EndpointStatus,
  ScheduledTransition,
  ServiceModule,
  ServiceStatus,
  Subnet,
  World,
} from './types.js';
import { allocateIp, cidrContains, createPort } from './world.js';

/* ------------------------------------------------------------------ timing and limits */

/** `creating` -> `available` of an endpoint service (documented 1–2 min). */
export const VPCEP_SERVICE_CREATE_DELAY_MS = 60_000;
/** `deleting` -> gone of an endpoint service. */
export const VPCEP_SERVICE_DELETE_DELAY_MS = 60_000;
/** `creating` -> `accepted` / `pendingAcceptance` of an endpoint (documented 1–2 min). */
export const VPCEP_ENDPOINT_CREATE_DELAY_MS = 60_000;
/** `deleting` -> gone of an endpoint (its IP and port are freed then). */
export const VPCEP_ENDPOINT_DELETE_DELAY_MS = 60_000;

export const VPCEP_LIST_DEFAULT_LIMIT = 10;
/**
 * Each list's own `limit` maximum, from its GSDK request model (services/vpcep/v1/model/):
 * services model_list_endpoint_service_request.go, endpoints model_list_endpoints_request.go,
 * connections model_list_service_connections_request.go (0–1000 each); the whitelist
 * model_list_service_permissions_details_request.go (0–500; 501 -> 400 EndPoint.0006).
 */
export const VPCEP_LIST_MAX_LIMITS = {
  services: 1000,
  endpoints: 1000,
  connections: 1000,
  permissions: 500,
} as const;
/** Query-by-tag pages: `limit` 1–1000, default 1000 [GSDK model_query_resource_instance_tags_body.go]. */
export const VPCEP_TAG_QUERY_MAX_LIMIT = 1000;

/**
 * The strictest documented tag limits: 10 tags per resource (Huawei's "Batch Adding or Deleting Tags"
 * page, BatchAddOrRemoveResourceInstance; OTC and the GSDK create-service model say 20), key ≤36,
 * value ≤43, `[A-Za-z0-9_@-]` (OTC).
 */
export const VPCEP_TAG_LIMITS = { maxTags: 10, keyMaxLength: 36, valueMaxLength: 43 } as const;
/**
 * resource_instances filters: at most 10 keys per list, 10 values per key, no repeated key or value
 * [GSDK services/vpcep/v1/model/model_query_resource_instance_tags_body.go].
 */
export const VPCEP_TAG_FILTER_LIMITS = { maxKeys: 10, maxValues: 10 } as const;
export const VPCEP_SERVICE_NAME_MAX_LENGTH = 16;
export const VPCEP_DESCRIPTION_MAX_LENGTH = 128;
export const VPCEP_MAX_PORT_MAPPINGS = 200;
/** Whitelist records per service before `EndPoint.3049`. */
export const VPCEP_MAX_PERMISSIONS = 1000;

/** Where the NIC of an endpoint is recorded as attached to (Port.deviceOwner). */
export const VPCEP_ENDPOINT_DEVICE_OWNER = 'network:vpcep-endpoint';

/* ------------------------------------------------------------------ error codes (§B.7) */

const E = {
  parameter: 'EndPoint.0002',
  notFound: 'EndPoint.0005',
  invalidLimit: 'EndPoint.0006',
  invalidOffset: 'EndPoint.0010',
  projectMismatch: 'EndPoint.0014',
  invalidSortKey: 'EndPoint.0017',
  invalidSortDir: 'EndPoint.0018',
  quota: 'Endpoint.1018', // sic: lowercase "p" as documented
  vpcNotFound: 'EndPoint.2001',
  serviceNotFound: 'EndPoint.2003',
  serviceUnavailable: 'EndPoint.2004',
  endpointNotFound: 'EndPoint.2006',
  noPermission: 'EndPoint.2012',
  endpointDeleting: 'EndPoint.2018',
  endpointCreating: 'EndPoint.2019',
  onePerCall: 'EndPoint.2031',
  subnetNotInVpc: 'EndPoint.2037',
  portIpInvalid: 'EndPoint.2041',
  portIpInUse: 'EndPoint.2042',
  portIpOutsideSubnet: 'EndPoint.2043',
  invalidPermission: 'EndPoint.3002',
  serviceInUse: 'EndPoint.3006',
  ipNotAllowed: 'EndPoint.3011',
  invalidServerType: 'EndPoint.3021',
  emptyPermissions: 'EndPoint.3036',
  portNotInVpc: 'EndPoint.3042',
  portConflict: 'EndPoint.3044',
  whitelistFull: 'EndPoint.3049',
  tagEmpty: 'EndPoint.3066',
  tagDuplicateKey: 'EndPoint.3067',
  tagCharset: 'EndPoint.3068',
  tagTooMany: 'EndPoint.3069',
  tagKeyLength: 'EndPoint.3072',
  tagValueLength: 'EndPoint.3073',
  invalidServiceName: 'EndPoint.3076',
  subnetNotFound: 'EndPoint.4004',
  unknownApi: 'APIGW.0101',
} as const;

/**
 * Reported in `error[]` of an endpoint or connection forced to `failed` without its own error list.
 * Endpoint items are `{error_code, error_message}` (GSDK vpcep/v1 model_query_error.go, used by
 * model_endpoint_response_body.go and model_connection_endpoints.go).
 */
const DEFAULT_ENDPOINT_FAILURE = {
  error_code: 'EndPoint.0001',
  error_message: 'Failed to create the VPC endpoint.',
};
/** A service's items are `{code, message}` instead (GSDK model_error.go, used by model_service_list.go). */
const DEFAULT_SERVICE_FAILURE = {
  code: 'EndPoint.0001',
  message: 'Failed to create the VPC endpoint service.',
};

/* ------------------------------------------------------------------ small helpers */

type Tag = { key: string; value: string };
type Handler = RouteHandler;

function bodyObject(req: EmuRequest): JsonObject {
  if (!isObject(req.body)) fail(400, E.parameter, 'Parameter error: the request body must be a JSON object.');
  return req.body;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const TAG_CHARSET = /^[A-Za-z0-9_@-]*$/;
const SERVICE_NAME = /^[A-Za-z0-9_-]+$/;

/** VPCEP timestamps are UTC seconds: `2018-01-30T07:42:01Z`. */
function timestamp(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

/** A stable UUID-shaped id derived from another id (backend pool ids the API reports but we do not model). */
function derivedId(label: string, id: string): string {
  const hex = createHash('sha256').update(`${label}:${id}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

function optionalString(body: JsonObject, field: string): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') fail(400, E.parameter, `Parameter error: ${field} must be a string.`);
  return value;
}

function requiredString(body: JsonObject, field: string): string {
  const value = optionalString(body, field);
  if (value === undefined || value === '') fail(400, E.parameter, `Parameter error: ${field} is required.`);
  return value;
}

function optionalBoolean(body: JsonObject, field: string): boolean | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') fail(400, E.parameter, `Parameter error: ${field} must be a boolean.`);
  return value;
}

function checkDescription(description: string | undefined): string {
  if (description === undefined) return '';
  if (description.length > VPCEP_DESCRIPTION_MAX_LENGTH || /[<>]/.test(description)) {
    fail(
      400,
      E.parameter,
      `Parameter error: description must be at most ${VPCEP_DESCRIPTION_MAX_LENGTH} characters without < or >.`,
    );
  }
  return description;
}

/** Parses `limit`/`offset` (query strings, or strings/numbers in the query-by-tag body). */
function parseCount(
  raw: unknown,
  fallback: number,
  max: number,
  code: string,
  name: string,
  min = 0,
): number {
  if (raw === undefined || raw === null || raw === '') return fallback;
  const text = typeof raw === 'number' ? String(raw) : raw;
  if (typeof text !== 'string' || !/^\d+$/.test(text)) fail(400, code, `Invalid ${name}: ${String(raw)}.`);
  const value = Number(text);
  if (value > max) fail(400, code, `Invalid ${name}: ${value} is greater than ${max}.`);
  if (value < min) fail(400, code, `Invalid ${name}: ${value} is less than ${min}.`);
  return value;
}

function paging(
  req: EmuRequest,
  list: keyof typeof VPCEP_LIST_MAX_LIMITS,
): { limit: number; offset: number } {
  return {
    limit: parseCount(
      req.query.get('limit') ?? undefined,
      VPCEP_LIST_DEFAULT_LIMIT,
      VPCEP_LIST_MAX_LIMITS[list],
      E.invalidLimit,
      'limit',
    ),
    offset: parseCount(
      req.query.get('offset') ?? undefined,
      0,
      Number.MAX_SAFE_INTEGER,
      E.invalidOffset,
      'offset',
    ),
  };
}

interface Sortable {
  createdAt: string;
  updatedAt: string;
}

/** `sort_key` (both documented spellings) and `sort_dir` (default desc: newest first). */
function sortRecords<T extends Sortable>(req: EmuRequest, records: T[]): T[] {
  const key = req.query.get('sort_key') ?? 'create_at';
  const dir = req.query.get('sort_dir') ?? 'desc';
  const field =
    key === 'create_at' || key === 'created_at'
      ? 'createdAt'
      : key === 'update_at' || key === 'updated_at'
        ? 'updatedAt'
        : fail(400, E.invalidSortKey, `Invalid sort_key: ${key}.`);
  if (dir !== 'asc' && dir !== 'desc') fail(400, E.invalidSortDir, `Invalid sort_dir: ${dir}.`);
  // Insertion order breaks ties, so a frozen clock still lists in a stable, creation-based order.
  const indexed = records.map((record, index) => ({ record, index }));
  indexed.sort((a, b) => {
    const byTime = a.record[field].localeCompare(b.record[field]);
    return byTime !== 0 ? byTime : a.index - b.index;
  });
  const sorted = indexed.map((x) => x.record);
  return dir === 'desc' ? sorted.reverse() : sorted;
}

/* ------------------------------------------------------------------ tags */

function checkTagKey(key: unknown): string {
  if (typeof key !== 'string' || key.length === 0) fail(400, E.tagEmpty, 'The tag key cannot be empty.');
  if (key.length > VPCEP_TAG_LIMITS.keyMaxLength) {
    fail(
      400,
      E.tagKeyLength,
      `The tag key ${key} is longer than ${VPCEP_TAG_LIMITS.keyMaxLength} characters.`,
    );
  }
  if (!TAG_CHARSET.test(key)) fail(400, E.tagCharset, `The tag key ${key} contains invalid characters.`);
  return key;
}

function checkTagValue(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') fail(400, E.tagCharset, 'The tag value must be a string.');
  if (value.length > VPCEP_TAG_LIMITS.valueMaxLength) {
    fail(
      400,
      E.tagValueLength,
      `The tag value ${value} is longer than ${VPCEP_TAG_LIMITS.valueMaxLength} characters.`,
    );
  }
  if (!TAG_CHARSET.test(value))
    fail(400, E.tagCharset, `The tag value ${value} contains invalid characters.`);
  return value;
}

/** Validates a `tags` list of a create call or a tag action; `keyOnly` for deletes (value optional). */
function parseTags(
  raw: unknown,
  options: { allowEmpty: boolean; keyOnly?: boolean },
): Array<{ key: string; value?: string }> {
  if (raw === undefined || raw === null) {
    if (options.allowEmpty) return [];
    fail(400, E.tagEmpty, 'The tags cannot be empty.');
  }
  if (!Array.isArray(raw)) fail(400, E.parameter, 'Parameter error: tags must be a list.');
  if (raw.length === 0 && !options.allowEmpty) fail(400, E.tagEmpty, 'The tags cannot be empty.');
  if (raw.length > VPCEP_TAG_LIMITS.maxTags)
    fail(400, E.tagTooMany, `At most ${VPCEP_TAG_LIMITS.maxTags} tags are allowed.`);
  const seen = new Set<string>();
  return raw.map((item) => {
    if (!isObject(item)) fail(400, E.tagEmpty, 'Each tag must be an object with a key.');
    const key = checkTagKey(item.key);
    if (seen.has(key)) fail(400, E.tagDuplicateKey, `The tag key ${key} is duplicated.`);
    seen.add(key);
    if (options.keyOnly && (item.value === undefined || item.value === null)) return { key };
    return { key, value: checkTagValue(item.value) };
  });
}

function mergeTags(current: Tag[], added: Tag[]): Tag[] {
  const merged = current.map((t) => ({ ...t }));
  for (const tag of added) {
    const existing = merged.find((t) => t.key === tag.key);
    // Creating an existing key overwrites its value, as the tag service documents.
    if (existing) existing.value = tag.value;
    else merged.push({ ...tag });
  }
  return merged;
}

function removeTags(current: Tag[], removed: Array<{ key: string; value?: string }>): Tag[] {
  return current.filter(
    (t) => !removed.some((r) => r.key === t.key && (r.value === undefined || r.value === t.value)),
  );
}

interface TagFilter {
  key: string;
  values: string[];
}

function parseTagFilters(raw: unknown, field: string): TagFilter[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) fail(400, E.parameter, `Parameter error: ${field} must be a list.`);
  // No code is documented for these refusals: the closest tag codes (3069 too many, 3067 duplicate).
  if (raw.length > VPCEP_TAG_FILTER_LIMITS.maxKeys)
    fail(400, E.tagTooMany, `${field}: at most ${VPCEP_TAG_FILTER_LIMITS.maxKeys} keys.`);
  const seen = new Set<string>();
  return raw.map((item) => {
    if (!isObject(item)) fail(400, E.parameter, `Parameter error: ${field} items must be objects.`);
    const key = checkTagKey(item.key);
    if (seen.has(key)) fail(400, E.tagDuplicateKey, `${field}: the key ${key} is duplicated.`);
    seen.add(key);
    const values = item.values ?? [];
    if (!Array.isArray(values) || values.some((v) => typeof v !== 'string')) {
      fail(400, E.parameter, `Parameter error: ${field}[].values must be a list of strings.`);
    }
    if (values.length > VPCEP_TAG_FILTER_LIMITS.maxValues) {
      fail(
        400,
        E.parameter,
        `Parameter error: ${field}[].values has more than ${VPCEP_TAG_FILTER_LIMITS.maxValues} values.`,
      );
    }
    if (new Set(values).size !== values.length)
      fail(400, E.parameter, `Parameter error: ${field}[].values of ${key} has a repeated value.`);
    return { key, values: values as string[] };
  });
}

/** A filter value starting with `*` matches values containing the rest (documented fuzzy match). */
function valueMatches(filterValue: string, value: string): boolean {
  return filterValue.startsWith('*') ? value.includes(filterValue.slice(1)) : value === filterValue;
}

/** True when the tags carry the filter's key with one of its values (any value when none is listed). */
function tagsMatch(tags: Tag[], filter: TagFilter): boolean {
  return tags.some(
    (t) =>
      t.key === filter.key &&
      (filter.values.length === 0 || filter.values.some((v) => valueMatches(v, t.value))),
  );
}

/* ------------------------------------------------------------------ rendering */

function renderPorts(service: EndpointServiceRecord): EndpointServiceRecord['ports'] {
  return service.ports.map((p) => ({
    client_port: p.client_port,
    server_port: p.server_port,
    protocol: p.protocol,
  }));
}

/** Endpoints that are creating or accepted count as connections (reference, GSDK corrections). */
function connectionCount(world: World, serviceId: string): number {
  return world.endpoints.filter(
    (e) => e.endpointServiceId === serviceId && (e.status === 'creating' || e.status === 'accepted'),
  ).length;
}

function renderService(
  world: World,
  service: EndpointServiceRecord,
  view: 'create' | 'show' | 'list',
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
    body.connection_count = connectionCount(world, service.id);
  }
  if (service.status === 'failed') {
    body.error =
      service.errors && service.errors.length > 0
        ? service.errors.map((e) => ({ code: e.code, message: e.message }))
        : [{ ...DEFAULT_SERVICE_FAILURE }];
  }
  return body;
}

function renderEndpoint(
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

function renderConnection(endpoint: EndpointRecord): JsonObject {
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

/* ------------------------------------------------------------------ lookups */

function ownService(world: World, caller: Caller, id: string): EndpointServiceRecord {
  const service = world.endpointServices.find((s) => s.id === id && s.projectId === caller.projectId);
  if (!service) fail(404, E.notFound, `The VPC endpoint service ${id} does not exist.`);
  return service;
}

function ownEndpoint(world: World, caller: Caller, id: string): EndpointRecord {
  const endpoint = world.endpoints.find((e) => e.id === id && e.projectId === caller.projectId);
  if (!endpoint) fail(404, E.endpointNotFound, `The VPC endpoint ${id} does not exist.`);
  return endpoint;
}

function serviceTypeOf(world: World, endpoint: EndpointRecord): string {
  return world.endpointServices.find((s) => s.id === endpoint.endpointServiceId)?.serviceType ?? 'interface';
}

function isWhitelisted(service: EndpointServiceRecord, caller: Caller): boolean {
  // The owner's own account is always allowed implicitly.
  if (service.domainId === caller.domainId) return true;
  return service.permissions.some(
    (p) => p.permission === '*' || p.permission === `iam:domain::${caller.domainId}`,
  );
}

function ipInUse(world: World, subnet: Subnet, ip: string): boolean {
  return (
    ip === subnet.gatewayIp ||
    world.ports.some((p) => p.subnetId === subnet.id && p.ip === ip) ||
    world.endpoints.some((e) => e.subnetId === subnet.id && e.ip === ip)
  );
}

/* ------------------------------------------------------------------ endpoint services */

const SERVER_TYPES = new Set(['VM', 'LB']);
const TCP_PROXY = new Set(['close', 'toa_open', 'proxy_open', 'open', 'proxy_vni']);

function parsePortMappings(raw: unknown): EndpointServiceRecord['ports'] {
  if (!Array.isArray(raw) || raw.length === 0) fail(400, E.parameter, 'Parameter error: ports is required.');
  if (raw.length > VPCEP_MAX_PORT_MAPPINGS) {
    fail(400, E.parameter, `Parameter error: at most ${VPCEP_MAX_PORT_MAPPINGS} port mappings.`);
  }
  const isPort = (v: unknown): v is number =>
    typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 65535;
  const mappings = raw.map((item) => {
    if (!isObject(item)) fail(400, E.parameter, 'Parameter error: ports items must be objects.');
    const protocol = item.protocol ?? 'TCP';
    if (!isPort(item.client_port) || !isPort(item.server_port)) {
      fail(
        400,
        E.parameter,
        'Parameter error: client_port and server_port must be integers from 1 to 65535.',
      );
    }
    if (protocol !== 'TCP')
      fail(400, E.parameter, `Parameter error: protocol ${String(protocol)} is not supported.`);
    return { client_port: item.client_port, server_port: item.server_port, protocol };
  });
  const clientPorts = new Set(mappings.map((m) => m.client_port));
  const serverPorts = new Set(mappings.map((m) => m.server_port));
  if (clientPorts.size !== mappings.length || serverPorts.size !== mappings.length) {
    fail(400, E.parameter, 'Parameter error: ports contains duplicate mappings.');
  }
  return mappings;
}

const createService: Handler = (req, ctx, { projectId }) => {
  const { world } = ctx;
  const body = bodyObject(req);
  const portId = requiredString(body, 'port_id');
  const vpcId = requiredString(body, 'vpc_id');
  const serverType = requiredString(body, 'server_type');
  if (!SERVER_TYPES.has(serverType)) fail(400, E.invalidServerType, `Invalid server_type: ${serverType}.`);
  const ports = parsePortMappings(body.ports);
  const serviceType = optionalString(body, 'service_type') ?? 'interface';
  if (serviceType !== 'interface')
    fail(400, E.parameter, `Parameter error: service_type ${serviceType} cannot be created.`);
  if (body.ip !== undefined && body.ip !== null)
    fail(400, E.ipNotAllowed, 'The ip parameter is not allowed for an interface service.');
  const approvalEnabled = optionalBoolean(body, 'approval_enabled') ?? true;
  const tcpProxy = optionalString(body, 'tcp_proxy') ?? 'close';
  if (!TCP_PROXY.has(tcpProxy)) fail(400, E.parameter, `Parameter error: invalid tcp_proxy ${tcpProxy}.`);
  const shortName = optionalString(body, 'service_name');
  if (shortName !== undefined && shortName !== '') {
    if (shortName.length > VPCEP_SERVICE_NAME_MAX_LENGTH || !SERVICE_NAME.test(shortName)) {
      fail(400, E.invalidServiceName, `Invalid service_name: ${shortName}.`);
    }
  }
  const description = checkDescription(optionalString(body, 'description'));
  const tags = parseTags(body.tags, { allowEmpty: true }) as Tag[];

  if (!world.vpcs.some((v) => v.id === vpcId && v.projectId === projectId)) {
    fail(400, E.vpcNotFound, `The VPC ${vpcId} does not exist.`);
  }
  if (!world.ports.some((p) => p.id === portId && p.vpcId === vpcId && p.projectId === projectId)) {
    fail(400, E.portNotInVpc, `The port ${portId} does not belong to the VPC ${vpcId}.`);
  }
  const clash = world.endpointServices.find(
    (s) =>
      s.portId === portId &&
      s.ports.some((p) => ports.some((q) => q.server_port === p.server_port && q.protocol === p.protocol)),
  );
  if (clash) {
    fail(
      400,
      E.portConflict,
      `The ports conflict with the endpoint service ${clash.id} on the same port_id ${portId}.`,
    );
  }
  const used = world.endpointServices.filter((s) => s.projectId === projectId).length;
  if (used >= world.quotas.endpointService) {
    fail(400, E.quota, `The endpoint service quota (${world.quotas.endpointService}) is exceeded.`);
  }

  const now = ctx.clock.now();
  const id = ctx.newId();
  const stamp = timestamp(now);
  const service: EndpointServiceRecord = {
    id,
    projectId,
    domainId: req.caller.domainId,
    serviceName: shortName ? `${world.region}.${shortName}.${id}` : `${world.region}.${id}`,
    portId,
    vpcId,
    serverType,
    serviceType,
    approvalEnabled,
    tcpProxy,
    ports,
    description,
    tags,
    permissions: [],
    status: 'creating',
    transitions: [{ at: now + VPCEP_SERVICE_CREATE_DELAY_MS, to: 'available' }],
    createdAt: stamp,
    updatedAt: stamp,
  };
  world.endpointServices.push(service);
  return { status: 200, body: renderService(world, service, 'create') };
};

const listServices: Handler = (req, ctx, { projectId }) => {
  const { world } = ctx;
  const { limit, offset } = paging(req, 'services');
  const name = req.query.get('endpoint_service_name')?.toLowerCase();
  const id = req.query.get('id');
  const status = req.query.get('status');
  const matching = world.endpointServices.filter(
    (s) =>
      s.projectId === projectId &&
      (!name || s.serviceName.toLowerCase().includes(name)) &&
      (!id || s.id === id) &&
      (!status || s.status === status),
  );
  const page = sortRecords(req, matching).slice(offset, offset + limit);
  return {
    status: 200,
    body: {
      endpoint_services: page.map((s) => renderService(world, s, 'list')),
      total_count: matching.length,
    },
  };
};

/** Public summary used by consumer accounts to resolve a service by name or id. */
const describeService: Handler = (req, ctx) => {
  const name = req.query.get('endpoint_service_name');
  const id = req.query.get('id');
  if (!name && !id) fail(400, E.parameter, 'Parameter error: endpoint_service_name or id is required.');
  const service = ctx.world.endpointServices.find((s) => (id ? s.id === id : s.serviceName === name));
  if (!service) fail(404, E.notFound, `The VPC endpoint service ${id ?? name} does not exist.`);
  return {
    status: 200,
    body: {
      id: service.id,
      service_name: service.serviceName,
      service_type: service.serviceType,
      created_at: service.createdAt,
      is_charge: false,
      enable_policy: false,
    },
  };
};

const showService: Handler = (req, ctx, { id }) => ({
  status: 200,
  body: renderService(ctx.world, ownService(ctx.world, req.caller, id), 'show'),
});

const updateService: Handler = (req, ctx, { id }) => {
  const service = ownService(ctx.world, req.caller, id);
  const body = bodyObject(req);
  const approval = optionalBoolean(body, 'approval_enabled');
  const description = optionalString(body, 'description');
  const tcpProxy = optionalString(body, 'tcp_proxy');
  const shortName = optionalString(body, 'service_name');
  if (tcpProxy !== undefined && !TCP_PROXY.has(tcpProxy))
    fail(400, E.parameter, `Parameter error: invalid tcp_proxy ${tcpProxy}.`);
  if (
    shortName !== undefined &&
    (shortName.length > VPCEP_SERVICE_NAME_MAX_LENGTH || !SERVICE_NAME.test(shortName))
  ) {
    fail(400, E.invalidServiceName, `Invalid service_name: ${shortName}.`);
  }
  if (approval !== undefined) service.approvalEnabled = approval;
  if (description !== undefined) service.description = checkDescription(description);
  if (tcpProxy !== undefined) service.tcpProxy = tcpProxy;
  if (shortName !== undefined) service.serviceName = `${ctx.world.region}.${shortName}.${service.id}`;
  if (body.ports !== undefined) service.ports = parsePortMappings(body.ports);
  service.updatedAt = timestamp(ctx.clock.now());
  return { status: 200, body: renderService(ctx.world, service, 'show') };
};

const deleteService: Handler = (req, ctx, { id }) => {
  const service = ownService(ctx.world, req.caller, id);
  const attached = ctx.world.endpoints.filter((e) => e.endpointServiceId === service.id);
  if (attached.length > 0) {
    fail(
      400,
      E.serviceInUse,
      `The endpoint service ${id} is being used by ${attached.length} VPC endpoint(s).`,
    );
  }
  if (service.status !== 'deleting') {
    const now = ctx.clock.now();
    service.status = 'deleting';
    service.updatedAt = timestamp(now);
    service.transitions = [{ at: now + VPCEP_SERVICE_DELETE_DELAY_MS, to: 'deleted' }];
  }
  return { status: 204 };
};

/* ------------------------------------------------------------------ whitelist */

const PERMISSION = /^iam:domain::[A-Za-z0-9]{1,50}$/;
const ORG_PERMISSION = /^organizations:orgPath::[A-Za-z0-9/_*-]{1,60}$/;

const permissionsAction: Handler = (req, ctx, { id }) => {
  const service = ownService(ctx.world, req.caller, id);
  const body = bodyObject(req);
  const action = body.action;
  if (action !== 'add' && action !== 'remove')
    fail(400, E.parameter, 'Parameter error: action must be add or remove.');
  const permissionType = body.permission_type ?? 'domainId';
  if (permissionType !== 'domainId' && permissionType !== 'orgPath') {
    fail(400, E.parameter, 'Parameter error: permission_type must be domainId or orgPath.');
  }
  const raw = body.permissions;
  if (!Array.isArray(raw) || raw.length === 0)
    fail(400, E.emptyPermissions, 'The permissions cannot be empty.');
  const pattern = permissionType === 'orgPath' ? ORG_PERMISSION : PERMISSION;
  const permissions = raw.map((p) => {
    if (typeof p !== 'string' || p.length > 64 || (p !== '*' && !pattern.test(p))) {
      fail(400, E.invalidPermission, `Invalid permission: ${String(p)}.`);
    }
    return p;
  });
  const now = ctx.clock.now();
  if (action === 'add') {
    for (const permission of permissions) {
      if (service.permissions.some((p) => p.permission === permission)) continue;
      if (service.permissions.length >= VPCEP_MAX_PERMISSIONS) {
        fail(400, E.whitelistFull, `The whitelist of ${id} already has ${VPCEP_MAX_PERMISSIONS} records.`);
      }
      service.permissions.push({ id: ctx.newId(), permission, createdAt: timestamp(now) });
    }
  } else {
    service.permissions = service.permissions.filter((p) => !permissions.includes(p.permission));
  }
  service.updatedAt = timestamp(now);
  return { status: 200, body: { permissions: service.permissions.map((p) => p.permission) } };
};

const listPermissions: Handler = (req, ctx, { id }) => {
  const service = ownService(ctx.world, req.caller, id);
  const { limit, offset } = paging(req, 'permissions');
  const filter = req.query.get('permission')?.toLowerCase();
  const matching = service.permissions.filter((p) => !filter || p.permission.toLowerCase().includes(filter));
  const sorted = sortRecords(
    req,
    matching.map((p) => ({ ...p, updatedAt: p.createdAt })),
  );
  return {
    status: 200,
    body: {
      permissions: sorted.slice(offset, offset + limit).map((p) => ({
        id: p.id,
        permission: p.permission,
        permission_type: p.permission.startsWith('organizations:') ? 'orgPath' : 'domainId',
        description: '',
        created_at: p.createdAt,
      })),
      total_count: matching.length,
    },
  };
};

/* ------------------------------------------------------------------ connections */

const listConnections: Handler = (req, ctx, { id }) => {
  const service = ownService(ctx.world, req.caller, id);
  const { limit, offset } = paging(req, 'connections');
  const endpointId = req.query.get('id');
  const markerId = req.query.get('marker_id');
  const status = req.query.get('status');
  const matching = ctx.world.endpoints.filter(
    (e) =>
      e.endpointServiceId === service.id &&
      (!endpointId || e.id === endpointId) &&
      (!markerId || String(e.markerId) === markerId) &&
      (!status || e.status === status),
  );
  const page = sortRecords(req, matching).slice(offset, offset + limit);
  return { status: 200, body: { connections: page.map(renderConnection), total_count: matching.length } };
};

const connectionsAction: Handler = (req, ctx, { id }) => {
  const service = ownService(ctx.world, req.caller, id);
  const body = bodyObject(req);
  const action = body.action;
  if (action !== 'receive' && action !== 'reject')
    fail(400, E.parameter, 'Parameter error: action must be receive or reject.');
  const ids = body.endpoints;
  if (!Array.isArray(ids) || ids.length === 0)
    fail(400, E.parameter, 'Parameter error: endpoints is required.');
  if (ids.length !== 1)
    fail(400, E.onePerCall, 'Only one VPC endpoint can be accepted or rejected per call.');
  const endpoint = ctx.world.endpoints.find((e) => e.id === ids[0] && e.endpointServiceId === service.id);
  if (!endpoint)
    fail(404, E.endpointNotFound, `The VPC endpoint ${String(ids[0])} is not connected to ${id}.`);
  if (endpoint.status === 'creating')
    fail(400, E.endpointCreating, `The VPC endpoint ${endpoint.id} is being created.`);
  if (endpoint.status === 'deleting')
    fail(400, E.endpointDeleting, `The VPC endpoint ${endpoint.id} is being deleted.`);
  // Accepting an accepted (or rejecting a rejected) endpoint is a no-op that still answers 200.
  const target: EndpointStatus = action === 'receive' ? 'accepted' : 'rejected';
  const allowedFrom: EndpointStatus[] =
    action === 'receive' ? ['pendingAcceptance', 'rejected'] : ['pendingAcceptance', 'accepted'];
  if (endpoint.status !== target) {
    if (!allowedFrom.includes(endpoint.status)) {
      fail(400, E.parameter, `Parameter error: a ${endpoint.status} VPC endpoint cannot be ${action}d.`);
    }
    endpoint.status = target;
    endpoint.transitions = [];
    endpoint.updatedAt = timestamp(ctx.clock.now());
  }
  return { status: 200, body: { connections: [renderConnection(endpoint)] } };
};

/* ------------------------------------------------------------------ endpoints */

function nextMarkerId(world: World): number {
  // Marker ids are large account-wide integers in the documented examples (16777337, 201515772…).
  return world.endpoints.reduce((max, e) => Math.max(max, e.markerId), 201_515_771) + 1;
}

const createEndpoint: Handler = (req, ctx, { projectId }) => {
  const { world } = ctx;
  const body = bodyObject(req);
  const serviceId = requiredString(body, 'endpoint_service_id');
  const vpcId = requiredString(body, 'vpc_id');
  const subnetId = optionalString(body, 'subnet_id');
  const portIp = optionalString(body, 'port_ip');
  const enableDns = optionalBoolean(body, 'enable_dns') ?? false;
  const enableWhitelist = optionalBoolean(body, 'enable_whitelist') ?? false;
  const whitelistRaw = body.whitelist ?? [];
  if (!Array.isArray(whitelistRaw) || whitelistRaw.some((w) => typeof w !== 'string')) {
    fail(400, E.parameter, 'Parameter error: whitelist must be a list of IPv4 addresses or CIDRs.');
  }
  const whitelist = whitelistRaw as string[];
  const description = checkDescription(optionalString(body, 'description'));
  const tags = parseTags(body.tags, { allowEmpty: true }) as Tag[];

  const service = world.endpointServices.find((s) => s.id === serviceId);
  if (!service) fail(400, E.serviceNotFound, `The VPC endpoint service ${serviceId} does not exist.`);
  if (service.status !== 'available') {
    fail(
      400,
      E.serviceUnavailable,
      `The VPC endpoint service ${serviceId} is ${service.status}, not available.`,
    );
  }
  if (!isWhitelisted(service, req.caller)) {
    fail(
      400,
      E.noPermission,
      `The account ${req.caller.domainId} has no permission to connect to ${serviceId}.`,
    );
  }
  if (!world.vpcs.some((v) => v.id === vpcId && v.projectId === projectId)) {
    fail(400, E.vpcNotFound, `The VPC ${vpcId} does not exist.`);
  }
  if (subnetId === undefined || subnetId === '') {
    fail(400, E.parameter, 'Parameter error: subnet_id is required for an interface service.');
  }
  const subnet = world.subnets.find((s) => s.id === subnetId && s.projectId === projectId);
  if (!subnet) fail(404, E.subnetNotFound, `The subnet ${subnetId} does not exist.`);
  if (subnet.vpcId !== vpcId)
    fail(400, E.subnetNotInVpc, `The subnet ${subnetId} does not belong to the VPC ${vpcId}.`);
  if (portIp !== undefined) {
    if (!IPV4.test(portIp)) fail(400, E.portIpInvalid, `Invalid port_ip: ${portIp}.`);
    if (!cidrContains(subnet.cidr, portIp)) {
      fail(400, E.portIpOutsideSubnet, `The port_ip ${portIp} is not in the subnet ${subnet.cidr}.`);
    }
    if (ipInUse(world, subnet, portIp)) fail(400, E.portIpInUse, `The port_ip ${portIp} is already in use.`);
  }
  const used = world.endpoints.filter((e) => e.projectId === projectId).length;
  if (used >= world.quotas.endpoint)
    fail(400, E.quota, `The VPC endpoint quota (${world.quotas.endpoint}) is exceeded.`);

  // The endpoint's NIC: the address clients in the subnet connect to.
  const port = createPort(world, () => ctx.newId(), {
    subnetId: subnet.id,
    deviceOwner: VPCEP_ENDPOINT_DEVICE_OWNER,
    ip: portIp ?? allocateIp(world, subnet.id),
  });
  const now = ctx.clock.now();
  const stamp = timestamp(now);
  const endpoint: EndpointRecord = {
    id: ctx.newId(),
    projectId,
    domainId: req.caller.domainId,
    endpointServiceId: service.id,
    endpointServiceName: service.serviceName,
    vpcId,
    subnetId: subnet.id,
    ip: port.ip,
    portId: port.id,
    markerId: nextMarkerId(world),
    enableDns,
    enableWhitelist,
    whitelist,
    description,
    tags,
    status: 'creating',
    transitions: [
      {
        at: now + VPCEP_ENDPOINT_CREATE_DELAY_MS,
        to: service.approvalEnabled ? 'pendingAcceptance' : 'accepted',
      },
    ],
    errors: [],
    createdAt: stamp,
    updatedAt: stamp,
  };
  world.endpoints.push(endpoint);
  return { status: 200, body: renderEndpoint(endpoint, 'create', service.serviceType) };
};

const listEndpoints: Handler = (req, ctx, { projectId }) => {
  const { world } = ctx;
  const { limit, offset } = paging(req, 'endpoints');
  const name = req.query.get('endpoint_service_name')?.toLowerCase();
  const vpcId = req.query.get('vpc_id');
  const id = req.query.get('id');
  const matching = world.endpoints.filter(
    (e) =>
      e.projectId === projectId &&
      (!name || e.endpointServiceName.toLowerCase().includes(name)) &&
      (!vpcId || e.vpcId === vpcId) &&
      (!id || e.id === id),
  );
  const page = sortRecords(req, matching).slice(offset, offset + limit);
  return {
    status: 200,
    body: {
      endpoints: page.map((e) => renderEndpoint(e, 'list', serviceTypeOf(world, e))),
      total_count: matching.length,
    },
  };
};

const showEndpoint: Handler = (req, ctx, { id }) => {
  const endpoint = ownEndpoint(ctx.world, req.caller, id);
  return { status: 200, body: renderEndpoint(endpoint, 'show', serviceTypeOf(ctx.world, endpoint)) };
};

const deleteEndpoint: Handler = (req, ctx, { id }) => {
  const endpoint = ownEndpoint(ctx.world, req.caller, id);
  if (endpoint.status === 'deleting')
    fail(400, E.endpointDeleting, `The VPC endpoint ${id} is being deleted.`);
  if (endpoint.status === 'creating')
    fail(400, E.endpointCreating, `The VPC endpoint ${id} is being created.`);
  const now = ctx.clock.now();
  endpoint.status = 'deleting';
  endpoint.updatedAt = timestamp(now);
  endpoint.transitions = [{ at: now + VPCEP_ENDPOINT_DELETE_DELAY_MS, to: 'deleted' }];
  return { status: 204 };
};

/* ------------------------------------------------------------------ tags and query by tag */

type ResourceType = 'endpoint_service' | 'endpoint';

/** A taggable resource: `record.tags` is the live list, replaced on tag actions. */
interface TaggedView {
  id: string;
  name: string;
  record: { tags: Tag[] };
}

function taggedResources(world: World, type: ResourceType, projectId: string): TaggedView[] {
  if (type === 'endpoint_service') {
    return world.endpointServices
      .filter((s) => s.projectId === projectId)
      .map((s) => ({ id: s.id, name: s.serviceName, record: s }));
  }
  // Endpoints have no name of their own; their resource_name is the service they connect to.
  return world.endpoints
    .filter((e) => e.projectId === projectId)
    .map((e) => ({ id: e.id, name: e.endpointServiceName, record: e }));
}

function resourceType(raw: string): ResourceType {
  return raw === 'endpoint_service' ? 'endpoint_service' : 'endpoint';
}

const tagsAction: Handler = (req, ctx, { projectId, id, subId }) => {
  const type = resourceType(id);
  const resource = taggedResources(ctx.world, type, projectId).find((r) => r.id === subId);
  if (!resource) {
    if (type === 'endpoint') fail(404, E.endpointNotFound, `The VPC endpoint ${subId} does not exist.`);
    fail(404, E.notFound, `The VPC endpoint service ${subId} does not exist.`);
  }
  const body = bodyObject(req);
  if (body.action === 'create') {
    const tags = parseTags(body.tags, { allowEmpty: false }) as Tag[];
    const merged = mergeTags(resource.record.tags, tags);
    if (merged.length > VPCEP_TAG_LIMITS.maxTags) {
      fail(400, E.tagTooMany, `A resource can have at most ${VPCEP_TAG_LIMITS.maxTags} tags.`);
    }
    resource.record.tags = merged;
  } else if (body.action === 'delete') {
    resource.record.tags = removeTags(
      resource.record.tags,
      parseTags(body.tags, { allowEmpty: false, keyOnly: true }),
    );
  } else {
    fail(400, E.parameter, 'Parameter error: action must be create or delete.');
  }
  return { status: 204 };
};

const projectTags: Handler = (_req, ctx, { projectId, id }) => {
  const values = new Map<string, Set<string>>();
  for (const resource of taggedResources(ctx.world, resourceType(id), projectId)) {
    for (const tag of resource.record.tags) {
      const set = values.get(tag.key) ?? new Set<string>();
      set.add(tag.value);
      values.set(tag.key, set);
    }
  }
  return { status: 200, body: { tags: [...values].map(([key, set]) => ({ key, values: [...set] })) } };
};

const queryByTags: Handler = (req, ctx, { projectId, id }) => {
  const body = bodyObject(req);
  const action = body.action;
  if (action !== 'filter' && action !== 'count')
    fail(400, E.parameter, 'Parameter error: action must be filter or count.');
  const tags = parseTagFilters(body.tags, 'tags');
  const tagsAny = parseTagFilters(body.tags_any, 'tags_any');
  const notTags = parseTagFilters(body.not_tags, 'not_tags');
  const notTagsAny = parseTagFilters(body.not_tags_any, 'not_tags_any');
  const matchesRaw = body.matches ?? [];
  if (!Array.isArray(matchesRaw)) fail(400, E.parameter, 'Parameter error: matches must be a list.');
  const nameMatches = matchesRaw.map((m) => {
    if (!isObject(m) || m.key !== 'resource_name' || typeof m.value !== 'string') {
      fail(400, E.parameter, 'Parameter error: matches supports only {key: "resource_name", value}.');
    }
    return m.value.toLowerCase();
  });
  const limit = parseCount(
    body.limit,
    VPCEP_TAG_QUERY_MAX_LIMIT,
    VPCEP_TAG_QUERY_MAX_LIMIT,
    E.invalidLimit,
    'limit',
    1,
  );
  const offset = parseCount(body.offset, 0, Number.MAX_SAFE_INTEGER, E.invalidOffset, 'offset');

  const selected = taggedResources(ctx.world, resourceType(id), projectId).filter((r) => {
    // tags: AND across keys, OR across the values of one key; tags_any: OR across keys.
    if (!tags.every((f) => tagsMatch(r.record.tags, f))) return false;
    if (tagsAny.length > 0 && !tagsAny.some((f) => tagsMatch(r.record.tags, f))) return false;
    if (notTags.length > 0 && notTags.every((f) => tagsMatch(r.record.tags, f))) return false;
    if (notTagsAny.some((f) => tagsMatch(r.record.tags, f))) return false;
    return nameMatches.every((n) => r.name.toLowerCase().includes(n));
  });
  if (action === 'count') return { status: 200, body: { total_count: selected.length } };
  return {
    status: 200,
    body: {
      resources: selected.slice(offset, offset + limit).map((r) => ({
        resource_detail: null,
        resource_id: r.id,
        resource_name: r.name,
        tags: r.record.tags.map((t) => ({ ...t })),
      })),
      total_count: selected.length,
    },
  };
};

/* ------------------------------------------------------------------ quotas */

const showQuotas: Handler = (req, ctx, { projectId }) => {
  const { world } = ctx;
  const type = req.query.get('type');
  if (type && type !== 'endpoint_service' && type !== 'endpoint') {
    fail(400, E.parameter, 'Parameter error: type must be endpoint_service or endpoint.');
  }
  const resources = [
    {
      type: 'endpoint_service',
      used: world.endpointServices.filter((s) => s.projectId === projectId).length,
      quota: world.quotas.endpointService,
    },
    {
      type: 'endpoint',
      used: world.endpoints.filter((e) => e.projectId === projectId).length,
      quota: world.quotas.endpoint,
    },
  ].filter((r) => !type || r.type === type);
  return { status: 200, body: { quotas: { resources } } };
};

/* ------------------------------------------------------------------ state machines */

function dueTransitions<S extends string>(transitions: ScheduledTransition<S>[], now: number): S[] {
  transitions.sort((a, b) => a.at - b.at);
  const due: S[] = [];
  while (transitions.length > 0 && (transitions[0]?.at ?? Number.POSITIVE_INFINITY) <= now) {
    const next = transitions.shift();
    if (next) due.push(next.to);
  }
  return due;
}

/*
 * A creation step only applies while the record is still `creating`: when the admin API forced a
 * state (rejected, failed) meanwhile, the forced state wins. Deletion always completes.
 */

function settleServices(world: World, now: number): void {
  for (const service of [...world.endpointServices]) {
    for (const to of dueTransitions(service.transitions, now)) {
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

function settleEndpoints(world: World, now: number): void {
  for (const endpoint of [...world.endpoints]) {
    for (const to of dueTransitions(endpoint.transitions, now)) {
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

/* ------------------------------------------------------------------ routing */

const ID = '([^/]+)';
const P = '^/v1/([^/]+)';

// Order matters: fixed segments (`describe`, `resource_instances`, `tags`) before `{id}`.
const ROUTES: Route[] = [
  { method: 'POST', pattern: new RegExp(`${P}/vpc-endpoint-services$`), handler: createService },
  { method: 'GET', pattern: new RegExp(`${P}/vpc-endpoint-services$`), handler: listServices },
  { method: 'GET', pattern: new RegExp(`${P}/vpc-endpoint-services/describe$`), handler: describeService },
  { method: 'GET', pattern: new RegExp(`${P}/vpc-endpoint-services/${ID}$`), handler: showService },
  { method: 'PUT', pattern: new RegExp(`${P}/vpc-endpoint-services/${ID}$`), handler: updateService },
  { method: 'DELETE', pattern: new RegExp(`${P}/vpc-endpoint-services/${ID}$`), handler: deleteService },
  {
    method: 'POST',
    pattern: new RegExp(`${P}/vpc-endpoint-services/${ID}/permissions/action$`),
    handler: permissionsAction,
  },
  {
    method: 'GET',
    pattern: new RegExp(`${P}/vpc-endpoint-services/${ID}/permissions$`),
    handler: listPermissions,
  },
  {
    method: 'GET',
    pattern: new RegExp(`${P}/vpc-endpoint-services/${ID}/connections$`),
    handler: listConnections,
  },
  {
    method: 'POST',
    pattern: new RegExp(`${P}/vpc-endpoint-services/${ID}/connections/action$`),
    handler: connectionsAction,
  },
  { method: 'POST', pattern: new RegExp(`${P}/vpc-endpoints$`), handler: createEndpoint },
  { method: 'GET', pattern: new RegExp(`${P}/vpc-endpoints$`), handler: listEndpoints },
  { method: 'GET', pattern: new RegExp(`${P}/vpc-endpoints/${ID}$`), handler: showEndpoint },
  { method: 'DELETE', pattern: new RegExp(`${P}/vpc-endpoints/${ID}$`), handler: deleteEndpoint },
  {
    method: 'POST',
    pattern: new RegExp(`${P}/(endpoint_service|endpoint)/resource_instances/action$`),
    handler: queryByTags,
  },
  { method: 'GET', pattern: new RegExp(`${P}/(endpoint_service|endpoint)/tags$`), handler: projectTags },
  {
    method: 'POST',
    pattern: new RegExp(`${P}/(endpoint_service|endpoint)/${ID}/tags/action$`),
    handler: tagsAction,
  },
  { method: 'GET', pattern: new RegExp(`${P}/quotas$`), handler: showQuotas },
];

const SERVICE_PATH =
  /^\/v1\/[^/]+\/(vpc-endpoint-services|vpc-endpoints|endpoint_service|endpoint|quotas)(\/|$)/;

export function createVpcepModule(): ServiceModule {
  return {
    name: 'vpcep',
    invalidBodyCode: E.parameter,
    matches: (_method, path) => SERVICE_PATH.test(path),
    errorBody: (code, message) => ({ error_code: code, error_msg: message }),
    handle(req, ctx) {
      return dispatch(ROUTES, req, ctx, {
        projectMismatch: (projectId) =>
          fail(400, E.projectMismatch, `The project ID ${projectId} does not match the credentials.`),
        unknownRoute: () => fail(404, E.unknownApi, `The API ${req.method} ${req.path} does not exist.`),
      });
    },
    settle(ctx) {
      const now = ctx.clock.now();
      settleServices(ctx.world, now);
      settleEndpoints(ctx.world, now);
    },
  };
}
