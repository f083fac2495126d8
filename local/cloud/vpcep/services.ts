/**
 * Endpoint service handlers: create, list, describe, show, update, delete.
 */

import { fail, isObject } from '../module-kit.js';
import { parseTags } from '../tags.js';
import type { EndpointServiceRecord } from '../types.js';
import {
  E,
  VPCEP_MAX_PORT_MAPPINGS,
  VPCEP_SERVICE_CREATE_DELAY_MS,
  VPCEP_SERVICE_DELETE_DELAY_MS,
  VPCEP_SERVICE_NAME_MAX_LENGTH,
  VPCEP_TAG_RULES,
} from './constants.js';
import { ownService } from './models.js';
import {
  bodyObject,
  checkDescription,
  type Handler,
  optionalBoolean,
  optionalString,
  paging,
  requiredString,
  SERVICE_NAME,
  sortRecords,
} from './parse.js';
import { connectionCounts, renderService, timestamp } from './views.js';

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

export const createService: Handler = (req, ctx, { projectId }) => {
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
  const tags = parseTags(VPCEP_TAG_RULES, body.tags, { allowEmpty: true });

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

export const listServices: Handler = (req, ctx, { projectId }) => {
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
  const connections = connectionCounts(world);
  return {
    status: 200,
    body: {
      endpoint_services: page.map((s) => renderService(world, s, 'list', connections)),
      total_count: matching.length,
    },
  };
};

/** Public summary used by consumer accounts to resolve a service by name or id. */
export const describeService: Handler = (req, ctx) => {
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

export const showService: Handler = (req, ctx, { id }) => ({
  status: 200,
  body: renderService(ctx.world, ownService(ctx.world, req.caller, id), 'show'),
});

export const updateService: Handler = (req, ctx, { id }) => {
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

export const deleteService: Handler = (req, ctx, { id }) => {
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
