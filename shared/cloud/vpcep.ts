/**
 * VPC Endpoint (API v1): endpoint services, whitelist, connections, endpoints, tags and quotas.
 * Reference: huawei-cloud-api.md §B. There is no published Node SDK for VPCEP, so field names follow
 * the OTC/Huawei API reference and the documented examples in reference/examples.
 */
import * as z from '../zod.js';
import { bindOperations, type Operation } from './operations.js';
import type {
  CloudErrorDetail,
  CloudHttp,
  CreateEndpointInput,
  CreateEndpointServiceInput,
  Endpoint,
  EndpointService,
  ListEndpointServicesFilter,
  ListEndpointsFilter,
  ListEndpointsOptions,
  Quota,
  ServiceConnection,
  Tag,
  TagFilter,
  TaggedResource,
  TagQuery,
  VpcepClient,
  VpcepResourceType,
} from './types.js';
import {
  assertId,
  booleanish,
  collectOffsetPages,
  compact,
  numberish,
  parseBody,
  TagListSchema,
  tagsForBody,
  toTags,
} from './validate.js';

/* ------------------------------------------------------------------ wire schemas */

// Each schema is built on first use (`z.lazy`, marked pure): a function bundle whose operations never
// parse it drops it (operations.ts).

/**
 * `error[]` of a failed resource. Two documented shapes: a service reports `{code, message}` (GSDK
 * vpcep/v1 model_error.go via model_service_list.go); endpoints and connections report
 * `{error_code, error_message}` (model_query_error.go via model_endpoint_response_body.go and
 * model_connection_endpoints.go). Both are accepted on every resource.
 */
const ErrorListSchema = /* @__PURE__ */ z.lazy(() =>
  z.nullish(
    z.array(
      z.looseObject({
        code: z.nullish(z.string()),
        message: z.nullish(z.string()),
        error_code: z.nullish(z.string()),
        error_message: z.nullish(z.string()),
        error_msg: z.nullish(z.string()),
      }),
    ),
  ),
);

export const VpcepPortSchema = /* @__PURE__ */ z.lazy(() =>
  z.looseObject({
    client_port: numberish,
    server_port: numberish,
    protocol: z.nullish(z.string()),
  }),
);

export const VpcepServiceSchema = /* @__PURE__ */ z.lazy(() =>
  z.looseObject({
    id: z.string().check(z.minLength(1)),
    service_name: z.nullish(z.string()),
    port_id: z.nullish(z.string()),
    vpc_id: z.nullish(z.string()),
    status: z.string(),
    server_type: z.nullish(z.string()),
    service_type: z.nullish(z.string()),
    approval_enabled: z.nullish(booleanish),
    ports: z.nullish(z.array(VpcepPortSchema)),
    tags: TagListSchema,
    connection_count: z.nullish(numberish),
    created_at: z.nullish(z.string()),
    error: ErrorListSchema,
  }),
);

export const VpcepListServicesResponseSchema = /* @__PURE__ */ z.lazy(() =>
  z.looseObject({
    endpoint_services: z.nullish(z.array(VpcepServiceSchema)),
    total_count: z.nullish(numberish),
  }),
);

export const VpcepEndpointSchema = /* @__PURE__ */ z.lazy(() =>
  z.looseObject({
    id: z.string().check(z.minLength(1)),
    status: z.string(),
    ip: z.nullish(z.string()),
    endpoint_service_id: z.nullish(z.string()),
    endpoint_service_name: z.nullish(z.string()),
    vpc_id: z.nullish(z.string()),
    subnet_id: z.nullish(z.string()),
    // Up to 12 digits in the docs (322312312312): still exact as a JS number.
    marker_id: z.nullish(numberish),
    // A boolean in create/details, the string "true" in the list example.
    enable_dns: z.nullish(booleanish),
    tags: TagListSchema,
    created_at: z.nullish(z.string()),
    error: ErrorListSchema,
  }),
);

export const VpcepListEndpointsResponseSchema = /* @__PURE__ */ z.lazy(() =>
  z.looseObject({
    endpoints: z.nullish(z.array(VpcepEndpointSchema)),
    total_count: z.nullish(numberish),
  }),
);

export const VpcepConnectionSchema = /* @__PURE__ */ z.lazy(() =>
  z.looseObject({
    id: z.string().check(z.minLength(1)),
    marker_id: z.nullish(numberish),
    status: z.string(),
    domain_id: z.nullish(z.string()),
    error: ErrorListSchema,
  }),
);

export const VpcepListConnectionsResponseSchema = /* @__PURE__ */ z.lazy(() =>
  z.looseObject({
    connections: z.nullish(z.array(VpcepConnectionSchema)),
    total_count: z.nullish(numberish),
  }),
);

export const VpcepListPermissionsResponseSchema = /* @__PURE__ */ z.lazy(() =>
  z.looseObject({
    permissions: z.nullish(
      z.array(
        z.looseObject({
          id: z.nullish(z.string()),
          permission: z.string(),
          permission_type: z.nullish(z.string()),
          description: z.nullish(z.string()),
        }),
      ),
    ),
    total_count: z.nullish(numberish),
  }),
);

export const VpcepPermissionActionResponseSchema = /* @__PURE__ */ z.lazy(() =>
  z.looseObject({
    permissions: z.nullish(z.array(z.string())),
    permission_type: z.nullish(z.string()),
  }),
);

export const VpcepResourceInstancesResponseSchema = /* @__PURE__ */ z.lazy(() =>
  z.looseObject({
    resources: z.nullish(
      z.array(
        z.looseObject({
          resource_id: z.string(),
          resource_name: z.nullish(z.string()),
          // Documented as `null`; its content is not part of the contract.
          resource_detail: z.optional(z.unknown()),
          tags: TagListSchema,
        }),
      ),
    ),
    total_count: z.nullish(numberish),
  }),
);

export const VpcepQuotaResponseSchema = /* @__PURE__ */ z.lazy(() =>
  z.looseObject({
    quotas: z.looseObject({
      resources: z.nullish(
        z.array(
          z.looseObject({
            type: z.string(),
            used: numberish,
            quota: numberish,
          }),
        ),
      ),
    }),
  }),
);

/** Deletes and tag actions: 200 or 204 with no body; tolerate a JSON object too. */
export const VpcepEmptyResponseSchema = /* @__PURE__ */ z.lazy(() =>
  z.union([z.undefined(), z.null(), z.looseObject({})]),
);

/* ------------------------------------------------------------------ request limits */

/** A request with more tags (or tag-filter keys) than VPCEP accepts; refused before any call. */
export class TooManyTagsError extends Error {
  override readonly name = 'TooManyTagsError';
  readonly field: string;
  readonly max: number;

  constructor(field: string, count: number, max: number, options?: { cause?: unknown }) {
    super(`${field}: ${count} given, VPCEP allows at most ${max}`, options);
    this.field = field;
    this.max = max;
  }
}

// "You can add up to 10 tags to a resource" (Huawei VPCEP API, Batch Adding or Deleting Tags,
// BatchAddOrRemoveResourceInstance); the real account refuses more with EndPoint.3069.
const MAX_TAGS_PER_RESOURCE = 10;
// At most 10 keys per tags/tags_any/not_tags/not_tags_any filter
// [GSDK services/vpcep/v1/model/model_query_resource_instance_tags_body.go].
const MAX_TAG_FILTER_KEYS = 10;

function checkCount(field: string, count: number | undefined, max: number): void {
  if (count !== undefined && count > max) throw new TooManyTagsError(field, count, max);
}

/* ------------------------------------------------------------------ request bodies */

interface WirePort {
  client_port: number;
  server_port: number;
  protocol: string;
}

export interface VpcepCreateServiceBody {
  port_id: string;
  vpc_id: string;
  server_type: string;
  ports: WirePort[];
  approval_enabled: boolean;
  service_type?: string;
  service_name?: string;
  tcp_proxy?: string;
  description?: string;
  tags?: Tag[];
}

export function buildCreateServiceBody(input: CreateEndpointServiceInput): VpcepCreateServiceBody {
  checkCount('tags', input.tags?.length, MAX_TAGS_PER_RESOURCE);
  return compact({
    port_id: input.portId,
    vpc_id: input.vpcId,
    server_type: input.serverType,
    ports: input.ports.map((port) => ({
      client_port: port.clientPort,
      server_port: port.serverPort,
      protocol: port.protocol,
    })),
    // Always explicit: the API default is `true`, which would park every endpoint in pendingAcceptance.
    approval_enabled: input.approvalEnabled,
    service_type: input.serviceType,
    service_name: input.serviceName,
    tcp_proxy: input.tcpProxy,
    description: input.description,
    tags: input.tags?.map((tag) => ({ key: tag.key, value: tag.value })),
  });
}

export interface VpcepCreateEndpointBody {
  endpoint_service_id: string;
  vpc_id: string;
  subnet_id: string;
  port_ip?: string;
  enable_dns?: boolean;
  description?: string;
  tags?: Tag[];
}

export function buildCreateEndpointBody(input: CreateEndpointInput): VpcepCreateEndpointBody {
  checkCount('tags', input.tags?.length, MAX_TAGS_PER_RESOURCE);
  return compact({
    endpoint_service_id: input.endpointServiceId,
    vpc_id: input.vpcId,
    subnet_id: input.subnetId,
    // The fixed-IP request field is `port_ip`; the response calls it `ip`.
    port_ip: input.portIp,
    enable_dns: input.enableDns,
    description: input.description,
    tags: input.tags?.map((tag) => ({ key: tag.key, value: tag.value })),
  });
}

export interface VpcepPermissionActionBody {
  permissions: string[];
  action: 'add' | 'remove';
}

export function buildPermissionActionBody(
  action: 'add' | 'remove',
  permissions: readonly string[],
): VpcepPermissionActionBody {
  return { permissions: [...permissions], action };
}

export interface VpcepTagActionBody {
  action: 'create' | 'delete';
  tags: Array<{ key: string; value?: string }>;
}

export function buildTagActionBody(
  action: 'create' | 'delete',
  tags: ReadonlyArray<{ key: string; value?: string }>,
): VpcepTagActionBody {
  if (action === 'create') checkCount('tags', tags.length, MAX_TAGS_PER_RESOURCE);
  return { action, tags: tagsForBody(tags) };
}

/** `matches` (by resource name) is accepted by the API; the domain does not need it yet. */
export interface VpcepTagQuery extends TagQuery {
  matches?: Array<{ key: string; value: string }>;
}

interface WireTagFilter {
  key: string;
  values: string[];
}

export interface VpcepResourceInstancesBody {
  action: 'filter' | 'count';
  offset?: string;
  limit?: string;
  tags?: WireTagFilter[];
  tags_any?: WireTagFilter[];
  not_tags?: WireTagFilter[];
  not_tags_any?: WireTagFilter[];
  matches?: Array<{ key: string; value: string }>;
}

const toWireFilters = (filters: TagFilter[] | undefined): WireTagFilter[] | undefined =>
  filters?.map((filter) => ({ key: filter.key, values: [...filter.values] }));

/** `offset`/`limit` are strings on this API (and are not sent with `count`). */
export function buildResourceInstancesBody(
  action: 'filter' | 'count',
  query: VpcepTagQuery,
  page?: { offset: number; limit: number },
): VpcepResourceInstancesBody {
  checkCount('tags', query.tags?.length, MAX_TAG_FILTER_KEYS);
  checkCount('tags_any', query.tagsAny?.length, MAX_TAG_FILTER_KEYS);
  checkCount('not_tags', query.notTags?.length, MAX_TAG_FILTER_KEYS);
  checkCount('not_tags_any', query.notTagsAny?.length, MAX_TAG_FILTER_KEYS);
  return compact({
    action,
    offset: page && action === 'filter' ? String(page.offset) : undefined,
    limit: page && action === 'filter' ? String(page.limit) : undefined,
    tags: toWireFilters(query.tags),
    tags_any: toWireFilters(query.tagsAny),
    not_tags: toWireFilters(query.notTags),
    not_tags_any: toWireFilters(query.notTagsAny),
    matches: query.matches?.map((match) => ({ key: match.key, value: match.value })),
  });
}

/* ------------------------------------------------------------------ mapping */

function toErrors(errors: z.output<typeof ErrorListSchema>): CloudErrorDetail[] | undefined {
  if (!errors || errors.length === 0) return undefined;
  return errors.map((error) => ({
    code: error.code ?? error.error_code ?? '',
    message: error.message ?? error.error_message ?? error.error_msg ?? '',
  }));
}

export function toEndpointService(wire: z.output<typeof VpcepServiceSchema>): EndpointService {
  const service: EndpointService = {
    id: wire.id,
    serviceName: wire.service_name ?? '',
    portId: wire.port_id ?? '',
    vpcId: wire.vpc_id ?? '',
    status: wire.status,
    serverType: wire.server_type ?? '',
    serviceType: wire.service_type ?? '',
    // The API's own default when the field is not echoed.
    approvalEnabled: wire.approval_enabled ?? true,
    ports: (wire.ports ?? []).map((port) => ({
      clientPort: port.client_port,
      serverPort: port.server_port,
      protocol: port.protocol ?? 'TCP',
    })),
    tags: toTags(wire.tags),
  };
  if (wire.connection_count !== undefined && wire.connection_count !== null) {
    service.connectionCount = wire.connection_count;
  }
  if (wire.created_at) service.createdAt = wire.created_at;
  const errors = toErrors(wire.error);
  if (errors) service.errors = errors;
  return service;
}

export function toEndpoint(wire: z.output<typeof VpcepEndpointSchema>): Endpoint {
  const endpoint: Endpoint = {
    id: wire.id,
    status: wire.status,
    endpointServiceId: wire.endpoint_service_id ?? '',
    vpcId: wire.vpc_id ?? '',
    tags: toTags(wire.tags),
  };
  if (wire.ip) endpoint.ip = wire.ip;
  if (wire.endpoint_service_name) endpoint.endpointServiceName = wire.endpoint_service_name;
  if (wire.subnet_id) endpoint.subnetId = wire.subnet_id;
  if (wire.marker_id !== undefined && wire.marker_id !== null) endpoint.markerId = wire.marker_id;
  if (wire.created_at) endpoint.createdAt = wire.created_at;
  const errors = toErrors(wire.error);
  if (errors) endpoint.errors = errors;
  return endpoint;
}

function toConnection(wire: z.output<typeof VpcepConnectionSchema>): ServiceConnection {
  const connection: ServiceConnection = { id: wire.id, status: wire.status };
  if (wire.marker_id !== undefined && wire.marker_id !== null) connection.markerId = wire.marker_id;
  if (wire.domain_id) connection.domainId = wire.domain_id;
  const errors = toErrors(wire.error);
  if (errors) connection.errors = errors;
  return connection;
}

/* ------------------------------------------------------------------ operations */

type VpcepOperation<K extends keyof VpcepClient> = Operation<VpcepClient[K]>;

const RESOURCE_TYPES: ReadonlySet<string> = new Set<VpcepResourceType>(['endpoint_service', 'endpoint']);

function resourceTypeSegment(type: VpcepResourceType): string {
  if (!RESOURCE_TYPES.has(type)) {
    throw new TypeError(`unknown VPCEP resource type ${JSON.stringify(type)}`);
  }
  return type;
}

const servicePath = (serviceId: string): string =>
  `/v1/{project_id}/vpc-endpoint-services/${assertId('serviceId', serviceId)}`;
const endpointPath = (endpointId: string): string =>
  `/v1/{project_id}/vpc-endpoints/${assertId('endpointId', endpointId)}`;

async function sendEmpty(
  http: CloudHttp,
  request: Parameters<CloudHttp['send']>[0],
  operation: string,
): Promise<void> {
  const response = await http.send(request);
  parseBody(VpcepEmptyResponseSchema, response, 'vpcep', operation);
}

async function permissionAction(
  http: CloudHttp,
  serviceId: string,
  action: 'add' | 'remove',
  permissions: readonly string[],
): Promise<void> {
  const path = `${servicePath(serviceId)}/permissions/action`;
  // The API rejects an empty list (EndPoint.3036); nothing to change is not an error.
  if (permissions.length === 0) return;
  const response = await http.send({
    method: 'POST',
    path,
    body: buildPermissionActionBody(action, permissions),
  });
  parseBody(VpcepPermissionActionResponseSchema, response, 'vpcep', `${action} service permissions`);
}

async function tagAction(
  http: CloudHttp,
  type: VpcepResourceType,
  resourceId: string,
  action: 'create' | 'delete',
  tags: ReadonlyArray<{ key: string; value?: string }>,
): Promise<void> {
  const path = `/v1/{project_id}/${resourceTypeSegment(type)}/${assertId('resourceId', resourceId)}/tags/action`;
  if (tags.length === 0) return;
  await sendEmpty(
    http,
    { method: 'POST', path, body: buildTagActionBody(action, tags) },
    `${action} ${type} tags`,
  );
}

export const createEndpointService: VpcepOperation<'createEndpointService'> = async (http, input) => {
  const response = await http.send({
    method: 'POST',
    path: '/v1/{project_id}/vpc-endpoint-services',
    body: buildCreateServiceBody(input),
  });
  return toEndpointService(parseBody(VpcepServiceSchema, response, 'vpcep', 'create endpoint service'));
};

export const getEndpointService: VpcepOperation<'getEndpointService'> = async (http, serviceId) => {
  const response = await http.send({ method: 'GET', path: servicePath(serviceId) });
  return toEndpointService(parseBody(VpcepServiceSchema, response, 'vpcep', 'show endpoint service'));
};

export const listEndpointServices: VpcepOperation<'listEndpointServices'> = async (
  http,
  filter: ListEndpointServicesFilter = {},
) => {
  // limit 0–1000 [GSDK services/vpcep/v1/model/model_list_endpoint_service_request.go].
  const SERVICES_PAGE_SIZE = 1000;
  const wires = await collectOffsetPages(
    'vpcep list endpoint services',
    SERVICES_PAGE_SIZE,
    async (offset, limit) => {
      const response = await http.send({
        method: 'GET',
        path: '/v1/{project_id}/vpc-endpoint-services',
        query: {
          endpoint_service_name: filter.endpointServiceName,
          id: filter.id,
          status: filter.status,
          limit,
          offset,
        },
      });
      const page = parseBody(VpcepListServicesResponseSchema, response, 'vpcep', 'list endpoint services');
      return { items: page.endpoint_services ?? [], total: page.total_count ?? undefined };
    },
  );
  return wires.map(toEndpointService);
};

export const deleteEndpointService: VpcepOperation<'deleteEndpointService'> = async (http, serviceId) => {
  await sendEmpty(http, { method: 'DELETE', path: servicePath(serviceId) }, 'delete endpoint service');
};

export const addServicePermissions: VpcepOperation<'addServicePermissions'> = (
  http,
  serviceId,
  permissions,
) => {
  return permissionAction(http, serviceId, 'add', permissions);
};

export const listServicePermissions: VpcepOperation<'listServicePermissions'> = async (http, serviceId) => {
  const path = `${servicePath(serviceId)}/permissions`;
  // limit 0–500, not 1000: 501 is refused with 400 EndPoint.0006
  // [GSDK services/vpcep/v1/model/model_list_service_permissions_details_request.go].
  const PERMISSIONS_PAGE_SIZE = 500;
  const wires = await collectOffsetPages(
    'vpcep list service permissions',
    PERMISSIONS_PAGE_SIZE,
    async (offset, limit) => {
      const response = await http.send({ method: 'GET', path, query: { limit, offset } });
      const page = parseBody(
        VpcepListPermissionsResponseSchema,
        response,
        'vpcep',
        'list service permissions',
      );
      return { items: page.permissions ?? [], total: page.total_count ?? undefined };
    },
  );
  return wires.map((item) => item.permission);
};

export const listServiceConnections: VpcepOperation<'listServiceConnections'> = async (http, serviceId) => {
  const path = `${servicePath(serviceId)}/connections`;
  // limit 0–1000 [GSDK services/vpcep/v1/model/model_list_service_connections_request.go].
  const CONNECTIONS_PAGE_SIZE = 1000;
  const wires = await collectOffsetPages(
    'vpcep list service connections',
    CONNECTIONS_PAGE_SIZE,
    async (offset, limit) => {
      const response = await http.send({ method: 'GET', path, query: { limit, offset } });
      const page = parseBody(
        VpcepListConnectionsResponseSchema,
        response,
        'vpcep',
        'list service connections',
      );
      return { items: page.connections ?? [], total: page.total_count ?? undefined };
    },
  );
  return wires.map(toConnection);
};

export const createEndpoint: VpcepOperation<'createEndpoint'> = async (http, input) => {
  const response = await http.send({
    method: 'POST',
    path: '/v1/{project_id}/vpc-endpoints',
    body: buildCreateEndpointBody(input),
    // No client token: a re-sent create buys a second endpoint (the caller looks first instead).
    idempotent: false,
  });
  return toEndpoint(parseBody(VpcepEndpointSchema, response, 'vpcep', 'create endpoint'));
};

export const getEndpoint: VpcepOperation<'getEndpoint'> = async (http, endpointId) => {
  const response = await http.send({ method: 'GET', path: endpointPath(endpointId) });
  return toEndpoint(parseBody(VpcepEndpointSchema, response, 'vpcep', 'show endpoint'));
};

export const listEndpoints: VpcepOperation<'listEndpoints'> = async (
  http,
  filter: ListEndpointsFilter = {},
  options: ListEndpointsOptions = {},
) => {
  // limit 0–1000; sort_key create_at|update_at, sort_dir desc|asc, defaults create_at and desc
  // [GSDK services/vpcep/v1/model/model_list_endpoints_request.go]. Stopping early relies on the
  // order, so it is asked for explicitly.
  const ENDPOINTS_PAGE_SIZE = 1000;
  const { until } = options;
  const order = until ? { sort_key: 'create_at', sort_dir: 'desc' } : {};
  const listed: Endpoint[] = [];
  await collectOffsetPages(
    'vpcep list endpoints',
    ENDPOINTS_PAGE_SIZE,
    async (offset, limit) => {
      const response = await http.send({
        method: 'GET',
        path: '/v1/{project_id}/vpc-endpoints',
        query: {
          endpoint_service_name: filter.endpointServiceName,
          vpc_id: filter.vpcId,
          id: filter.id,
          limit,
          offset,
          ...order,
        },
      });
      const page = parseBody(VpcepListEndpointsResponseSchema, response, 'vpcep', 'list endpoints');
      const items = page.endpoints ?? [];
      listed.push(...items.map(toEndpoint));
      return { items, total: page.total_count ?? undefined };
    },
    until ? () => until(listed) : undefined,
  );
  return listed;
};

export const deleteEndpoint: VpcepOperation<'deleteEndpoint'> = async (http, endpointId) => {
  await sendEmpty(http, { method: 'DELETE', path: endpointPath(endpointId) }, 'delete endpoint');
};

export const createResourceTags: VpcepOperation<'createResourceTags'> = (http, type, resourceId, tags) => {
  return tagAction(http, type, resourceId, 'create', tags);
};

export const queryResourcesByTags: VpcepOperation<'queryResourcesByTags'> = async (
  http,
  type,
  query,
): Promise<TaggedResource[]> => {
  const path = `/v1/{project_id}/${resourceTypeSegment(type)}/resource_instances/action`;
  // limit 1–1000 [GSDK services/vpcep/v1/model/model_query_resource_instance_tags_body.go].
  const RESOURCE_INSTANCES_PAGE_SIZE = 1000;
  const wires = await collectOffsetPages(
    'vpcep query resources by tags',
    RESOURCE_INSTANCES_PAGE_SIZE,
    async (offset, limit) => {
      const response = await http.send({
        method: 'POST',
        path,
        body: buildResourceInstancesBody('filter', query, { offset, limit }),
      });
      const page = parseBody(
        VpcepResourceInstancesResponseSchema,
        response,
        'vpcep',
        'query resources by tags',
      );
      return { items: page.resources ?? [], total: page.total_count ?? undefined };
    },
  );
  return wires.map((wire) => {
    const resource: TaggedResource = { resourceId: wire.resource_id, tags: toTags(wire.tags) };
    if (wire.resource_name) resource.resourceName = wire.resource_name;
    return resource;
  });
};

export const getQuotas: VpcepOperation<'getQuotas'> = async (http, type): Promise<Quota[]> => {
  const response = await http.send({ method: 'GET', path: '/v1/{project_id}/quotas', query: { type } });
  const wire = parseBody(VpcepQuotaResponseSchema, response, 'vpcep', 'show quotas');
  return (wire.quotas.resources ?? []).map((item) => ({
    type: item.type,
    used: item.used,
    quota: item.quota,
  }));
};

/* ------------------------------------------------------------------ client */

/** Every VPCEP operation (the client's methods). */
export const VPCEP_OPERATIONS = {
  createEndpointService,
  getEndpointService,
  listEndpointServices,
  deleteEndpointService,
  addServicePermissions,
  listServicePermissions,
  listServiceConnections,
  createEndpoint,
  getEndpoint,
  listEndpoints,
  deleteEndpoint,
  createResourceTags,
  queryResourcesByTags,
  getQuotas,
};

export function createVpcepClient(http: CloudHttp): VpcepClient {
  return bindOperations(http, VPCEP_OPERATIONS);
}
