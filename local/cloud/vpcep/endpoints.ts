/**
 * VPC endpoint handlers: create, list, show, delete.
 */

import { fail } from '../module-kit.js';
import { parseTags } from '../tags.js';
import type { EndpointRecord } from '../types.js';
import { allocateIp, cidrContains, createPort } from '../world.js';
import {
  E,
  VPCEP_ENDPOINT_CREATE_DELAY_MS,
  VPCEP_ENDPOINT_DELETE_DELAY_MS,
  VPCEP_ENDPOINT_DEVICE_OWNER,
  VPCEP_TAG_RULES,
} from './constants.js';
import { ipInUse, isWhitelisted, nextMarkerId, ownEndpoint, serviceTypeOf } from './models.js';
import {
  bodyObject,
  checkDescription,
  type Handler,
  IPV4,
  optionalBoolean,
  optionalString,
  paging,
  requiredString,
  sortRecords,
} from './parse.js';
import { renderEndpoint, timestamp } from './views.js';

export const createEndpoint: Handler = (req, ctx, { projectId }) => {
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
  const tags = parseTags(VPCEP_TAG_RULES, body.tags, { allowEmpty: true });

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

export const listEndpoints: Handler = (req, ctx, { projectId }) => {
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

export const showEndpoint: Handler = (req, ctx, { id }) => {
  const endpoint = ownEndpoint(ctx.world, req.caller, id);
  return { status: 200, body: renderEndpoint(endpoint, 'show', serviceTypeOf(ctx.world, endpoint)) };
};

export const deleteEndpoint: Handler = (req, ctx, { id }) => {
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
