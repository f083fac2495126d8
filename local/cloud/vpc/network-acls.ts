/**
 * v3 network ACLs (firewalls): list, show, insert and remove rules.
 */
import { fail, isObject, type JsonObject } from '../module-kit.js';
import type { EmuRequest, NetworkAcl, NetworkAclRule, ServiceContext, World } from '../types.js';
import {
  anyOf,
  E,
  EPOCH_STAMP,
  type Handler,
  isIpv4Cidr,
  isIpv6Cidr,
  isPortExpression,
  markerPage,
  requestId,
  VPC_ACL_RULE_NAME_MAX_LENGTH,
  VPC_DESCRIPTION_MAX_LENGTH,
  v3Timestamp,
} from './common.js';

/* ------------------------------------------------------------------ network ACLs (v3 firewalls) */

function renderAclRule(rule: NetworkAclRule, projectId: string): JsonObject {
  return {
    id: rule.id,
    name: rule.name,
    description: rule.description,
    action: rule.action,
    project_id: projectId,
    protocol: rule.protocol,
    ip_version: rule.ipVersion,
    source_ip_address: rule.sourceIpAddress ?? null,
    destination_ip_address: rule.destinationIpAddress ?? null,
    source_port: rule.sourcePort ?? null,
    destination_port: rule.destinationPort ?? null,
    source_address_group_id: null,
    destination_address_group_id: null,
    enabled: rule.enabled,
  };
}

/**
 * One ACL as the show API answers it (GSDK vpc/v3 FirewallDetail, with its rule arrays). The list
 * answers ListFirewallDetail items, which carry no rules: see `renderAclListItem`.
 */
function renderAcl(acl: NetworkAcl): JsonObject {
  return {
    id: acl.id,
    name: acl.name,
    description: '',
    project_id: acl.projectId,
    created_at: acl.createdAt ?? EPOCH_STAMP,
    updated_at: acl.updatedAt ?? acl.createdAt ?? EPOCH_STAMP,
    admin_state_up: true,
    status: acl.subnetIds.length > 0 ? 'ACTIVE' : 'INACTIVE',
    enterprise_project_id: '0',
    tags: [],
    associations: acl.subnetIds.map((id) => ({ virsubnet_id: id })),
    ingress_rules: acl.ingressRules.map((r) => renderAclRule(r, acl.projectId)),
    egress_rules: acl.egressRules.map((r) => renderAclRule(r, acl.projectId)),
  };
}

/** A list item (GSDK vpc/v3 model_list_firewall_detail.go): no ingress_rules/egress_rules. */
function renderAclListItem(acl: NetworkAcl): JsonObject {
  const { ingress_rules: _ingress, egress_rules: _egress, ...item } = renderAcl(acl);
  return item;
}

function ownAcl(world: World, projectId: string, id: string): NetworkAcl {
  const acl = world.networkAcls.find((a) => a.id === id && a.projectId === projectId);
  if (!acl) fail(404, E.notFound, `Firewall ${id} could not be found.`);
  return acl;
}

export const listAcls: Handler = (req, ctx, { projectId }) => {
  const id = anyOf(req, 'id');
  const name = anyOf(req, 'name');
  const status = anyOf(req, 'status');
  const matching = ctx.world.networkAcls.filter(
    (a) =>
      a.projectId === projectId &&
      id(a.id) &&
      name(a.name) &&
      status(a.subnetIds.length > 0 ? 'ACTIVE' : 'INACTIVE'),
  );
  const { page, pageInfo } = markerPage(req, matching);
  return {
    status: 200,
    body: { request_id: requestId(req, ctx), firewalls: page.map(renderAclListItem), page_info: pageInfo },
  };
};

export const showAcl: Handler = (req, ctx, { projectId, id }) => ({
  status: 200,
  body: { request_id: requestId(req, ctx), firewall: renderAcl(ownAcl(ctx.world, projectId, id)) },
});

const ACL_PROTOCOLS = new Set(['tcp', 'udp', 'icmp', 'icmpv6', 'any']);

function parseAclRule(ctx: ServiceContext, raw: unknown): NetworkAclRule {
  if (!isObject(raw)) fail(400, E.parameter, 'Param is invalid: a rule must be an object.');
  const action = raw.action;
  if (action !== 'allow' && action !== 'deny')
    fail(400, E.parameter, 'Param is invalid: action must be allow or deny.');
  const protocolRaw = typeof raw.protocol === 'number' ? String(raw.protocol) : raw.protocol;
  if (typeof protocolRaw !== 'string') fail(400, E.parameter, 'Param is invalid: protocol is required.');
  const protocol = protocolRaw.toLowerCase();
  if (!ACL_PROTOCOLS.has(protocol) && !(/^\d{1,3}$/.test(protocol) && Number(protocol) <= 255)) {
    fail(400, E.parameter, `Param is invalid: protocol ${protocolRaw}.`);
  }
  const ipVersion = raw.ip_version;
  if (ipVersion !== 4 && ipVersion !== 6)
    fail(400, E.parameter, 'Param is invalid: ip_version must be 4 or 6.');
  const text = (field: string): string | undefined => {
    const value = raw[field];
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value !== 'string') fail(400, E.parameter, `Param is invalid: ${field} must be a string.`);
    return value;
  };
  const isAddress = ipVersion === 4 ? isIpv4Cidr : isIpv6Cidr;
  const sourceIpAddress = text('source_ip_address');
  const destinationIpAddress = text('destination_ip_address');
  for (const [field, value] of [
    ['source_ip_address', sourceIpAddress],
    ['destination_ip_address', destinationIpAddress],
  ] as const) {
    if (value !== undefined && !isAddress(value))
      fail(400, E.parameter, `Param is invalid: ${field} ${value}.`);
  }
  const sourcePort = text('source_port');
  const destinationPort = text('destination_port');
  for (const [field, value] of [
    ['source_port', sourcePort],
    ['destination_port', destinationPort],
  ] as const) {
    if (value === undefined) continue;
    if (protocol !== 'tcp' && protocol !== 'udp')
      fail(400, E.parameter, `Param is invalid: ${field} needs tcp or udp.`);
    if (!isPortExpression(value)) fail(400, E.parameter, `Param is invalid: ${field} ${value}.`);
  }
  const name = text('name') ?? '';
  if (name.length > VPC_ACL_RULE_NAME_MAX_LENGTH)
    fail(400, E.parameter, 'Param is invalid: name is too long.');
  const description = text('description') ?? '';
  if (description.length > VPC_DESCRIPTION_MAX_LENGTH || /[<>]/.test(description)) {
    fail(400, E.parameter, 'Param is invalid: description.');
  }
  const enabled = raw.enabled ?? true;
  if (typeof enabled !== 'boolean') fail(400, E.parameter, 'Param is invalid: enabled must be a boolean.');
  const rule: NetworkAclRule = { id: ctx.newId(), name, description, action, protocol, ipVersion, enabled };
  if (sourceIpAddress !== undefined) rule.sourceIpAddress = sourceIpAddress;
  if (destinationIpAddress !== undefined) rule.destinationIpAddress = destinationIpAddress;
  if (sourcePort !== undefined) rule.sourcePort = sourcePort;
  if (destinationPort !== undefined) rule.destinationPort = destinationPort;
  return rule;
}

function firewallOption(req: EmuRequest): JsonObject {
  const body = req.body;
  if (!isObject(body) || !isObject(body.firewall))
    fail(400, E.parameter, 'Param is invalid: firewall is required.');
  return body.firewall;
}

function ruleList(option: JsonObject, field: 'ingress_rules' | 'egress_rules'): unknown[] {
  const raw = option[field];
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) fail(400, E.parameter, `Param is invalid: ${field} must be a list.`);
  return raw;
}

export const insertAclRules: Handler = (req, ctx, { projectId, id }) => {
  const acl = ownAcl(ctx.world, projectId, id);
  const option = firewallOption(req);
  const ingress = ruleList(option, 'ingress_rules').map((r) => parseAclRule(ctx, r));
  const egress = ruleList(option, 'egress_rules').map((r) => parseAclRule(ctx, r));
  if (ingress.length + egress.length === 0) fail(400, E.parameter, 'Param is invalid: no rule to insert.');
  const after = option.insert_after_rule;
  const insert = (rules: NetworkAclRule[], added: NetworkAclRule[]): NetworkAclRule[] => {
    if (added.length === 0) return rules;
    // Without insert_after_rule, new rules go to the top (highest priority).
    if (after === undefined || after === null || after === '') return [...added, ...rules];
    const index = rules.findIndex((r) => r.id === after);
    if (index < 0) fail(404, E.notFound, `Firewall rule ${String(after)} could not be found.`);
    return [...rules.slice(0, index + 1), ...added, ...rules.slice(index + 1)];
  };
  const ingressRules = insert(acl.ingressRules, ingress);
  const egressRules = insert(acl.egressRules, egress);
  if (isObject(req.body) && req.body.dry_run === true)
    return { status: 202, body: { request_id: requestId(req, ctx) } };
  acl.ingressRules = ingressRules;
  acl.egressRules = egressRules;
  acl.updatedAt = v3Timestamp(ctx.clock.now());
  return { status: 200, body: { request_id: requestId(req, ctx), firewall: renderAcl(acl) } };
};

export const removeAclRules: Handler = (req, ctx, { projectId, id }) => {
  const acl = ownAcl(ctx.world, projectId, id);
  const option = firewallOption(req);
  const ids = (field: 'ingress_rules' | 'egress_rules', rules: NetworkAclRule[]): Set<string> => {
    const wanted = new Set<string>();
    for (const item of ruleList(option, field)) {
      if (!isObject(item) || typeof item.id !== 'string')
        fail(400, E.parameter, `Param is invalid: ${field}[].id.`);
      if (!rules.some((r) => r.id === item.id))
        fail(404, E.notFound, `Firewall rule ${item.id} could not be found.`);
      wanted.add(item.id);
    }
    return wanted;
  };
  const ingress = ids('ingress_rules', acl.ingressRules);
  const egress = ids('egress_rules', acl.egressRules);
  if (ingress.size + egress.size === 0) fail(400, E.parameter, 'Param is invalid: no rule to remove.');
  if (isObject(req.body) && req.body.dry_run === true)
    return { status: 202, body: { request_id: requestId(req, ctx) } };
  acl.ingressRules = acl.ingressRules.filter((r) => !ingress.has(r.id));
  acl.egressRules = acl.egressRules.filter((r) => !egress.has(r.id));
  acl.updatedAt = v3Timestamp(ctx.clock.now());
  return { status: 200, body: { request_id: requestId(req, ctx), firewall: renderAcl(acl) } };
};
