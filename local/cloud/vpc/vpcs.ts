/**
 * v1 VPC and subnet reads (show, list), with v1's own paging.
 */
import { fail, type JsonObject } from '../module-kit.js';
import type { EmuRequest, World } from '../types.js';
import { E, type Handler, markerPage } from './common.js';

/* ------------------------------------------------------------------ VPCs and subnets (v1) */

function renderSubnet(world: World, subnetId: string): JsonObject | undefined {
  const subnet = world.subnets.find((s) => s.id === subnetId);
  if (!subnet) return undefined;
  return {
    id: subnet.id,
    name: subnet.name,
    description: '',
    cidr: subnet.cidr,
    dnsList: ['100.125.1.250', '100.125.21.250'],
    gateway_ip: subnet.gatewayIp,
    ipv6_enable: false,
    dhcp_enable: true,
    primary_dns: '100.125.1.250',
    secondary_dns: '100.125.21.250',
    availability_zone: '',
    vpc_id: subnet.vpcId,
    status: 'ACTIVE',
    // Huawei subnets are Neutron networks; the ids coincide for the emulator.
    neutron_network_id: subnet.id,
    neutron_subnet_id: subnet.id,
    extra_dhcp_opts: [],
    tenant_id: subnet.projectId,
  };
}

function renderVpc(world: World, vpcId: string): JsonObject | undefined {
  const vpc = world.vpcs.find((v) => v.id === vpcId);
  if (!vpc) return undefined;
  return {
    id: vpc.id,
    name: vpc.name,
    cidr: vpc.cidr,
    status: 'OK',
    routes: [],
    enterprise_project_id: '0',
    description: '',
    tenant_id: vpc.projectId,
  };
}

/** v1 lists page with `limit` and `marker` too, but without page_info. */
function v1Page<T extends { id: string }>(req: EmuRequest, items: T[]): T[] {
  return markerPage(req, items).page;
}

export const showSubnet: Handler = (_req, ctx, { projectId, id }) => {
  const subnet = ctx.world.subnets.find((s) => s.id === id && s.projectId === projectId);
  if (!subnet) fail(404, E.subnetNotFound, `Query resource by id ${id} fail.the subnet could not be found.`);
  return { status: 200, body: { subnet: renderSubnet(ctx.world, subnet.id) } };
};

export const listSubnets: Handler = (req, ctx, { projectId }) => {
  const vpcId = req.query.get('vpc_id');
  const subnets = ctx.world.subnets.filter((s) => s.projectId === projectId && (!vpcId || s.vpcId === vpcId));
  return { status: 200, body: { subnets: v1Page(req, subnets).map((s) => renderSubnet(ctx.world, s.id)) } };
};

export const showVpc: Handler = (_req, ctx, { projectId, id }) => {
  const vpc = ctx.world.vpcs.find((v) => v.id === id && v.projectId === projectId);
  if (!vpc) fail(404, E.vpcNotFound, 'VPC does not exist.');
  return { status: 200, body: { vpc: renderVpc(ctx.world, vpc.id) } };
};

export const listVpcs: Handler = (req, ctx, { projectId }) => {
  const vpcs = ctx.world.vpcs.filter((v) => v.projectId === projectId);
  return { status: 200, body: { vpcs: v1Page(req, vpcs).map((v) => renderVpc(ctx.world, v.id)) } };
};
