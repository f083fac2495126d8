/**
 * VPC of the emulator: v3 security group rules, v3 network ACLs (firewalls), and the v1 VPC and
 * subnet reads (reference §C, fixtures `vpc-*.json`).
 *
 * Error envelopes differ by API generation: v1 answers `{code, message}`, v3 adds `request_id`.
 * v1 errors are therefore rendered here; v3 errors are thrown to the server, which renders them
 * with `errorBody` and its own request id.
 */

import { IPV4_PATTERN as IPV4 } from '../../shared/input.js';
import { dispatch, fail, isObject, type JsonObject, type Route, type RouteHandler } from './module-kit.js';
import type {
  EmuRequest,
  EmuResponse,
  NetworkAcl,
  NetworkAclRule,
  SecurityGroupRule,
  ServiceContext,
  ServiceModule,
  World,
} from './types.js';
import { EmuError } from './types.js';

/* ------------------------------------------------------------------ limits */

/** Rules per security group before `VPC.9905` (Huawei's documented default is in this range). */
export const VPC_SECURITY_GROUP_RULE_QUOTA = 50;
/** v3 lists: `limit` 0–2000, default 2000. */
export const VPC_LIST_MAX_LIMIT = 2000;
export const VPC_DESCRIPTION_MAX_LENGTH = 255;
export const VPC_ACL_RULE_NAME_MAX_LENGTH = 64;
/** Port groups in one `multiport` / ACL port expression. */
export const VPC_MAX_PORT_GROUPS = 20;

/* ------------------------------------------------------------------ error codes */

const E = {
  /** Security-group-rule parameter errors (the reference documents 400 VPC.9902 for a bad ethertype). */
  ruleParameter: 'VPC.9902',
  ruleExists: 'VPC.9902',
  /** v3 "could not be found" (rules, and — as observed — security groups and other v3 resources). */
  notFound: 'VPC.9904',
  ruleQuota: 'VPC.9905',
  /** Generic invalid parameter (documented for the VPC module: "Param is invalid."). */
  parameter: 'VPC.0101',
  vpcNotFound: 'VPC.0003',
  projectMismatch: 'VPC.0007',
  subnetNotFound: 'VPC.0202',
  unknownApi: 'APIGW.0101',
} as const;

/* ------------------------------------------------------------------ helpers */

type Handler = RouteHandler;

/** The id the server sent in `X-Request-Id` (32 hex characters), or a fresh one in unit tests. */
function requestId(req: EmuRequest, ctx: ServiceContext): string {
  return req.requestId ?? ctx.newId().replace(/-/g, '');
}

/** v3 timestamps: `2020-08-13T07:12:36.000+00:00` (second precision). */
function v3Timestamp(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}.000+00:00`;
}

const EPOCH_STAMP = v3Timestamp(0);

function isIpv4Cidr(value: string): boolean {
  const [ip, prefix, ...rest] = value.split('/');
  if (rest.length > 0 || ip === undefined || !IPV4.test(ip)) return false;
  return prefix === undefined || (/^\d{1,2}$/.test(prefix) && Number(prefix) <= 32);
}

function isIpv6Cidr(value: string): boolean {
  const [ip, prefix, ...rest] = value.split('/');
  if (rest.length > 0 || ip === undefined || !/^[0-9A-Fa-f:]+$/.test(ip) || !ip.includes(':')) return false;
  return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= 128);
}

/** `"9011"`, `"1-30"`, `"22,3389,80"`: ports 1–65535, ranges ascending, at most 20 groups. */
function isPortExpression(value: string): boolean {
  const groups = value.split(',');
  if (groups.length > VPC_MAX_PORT_GROUPS) return false;
  const isPort = (p: string) => /^\d{1,5}$/.test(p) && Number(p) >= 1 && Number(p) <= 65535;
  return groups.every((group) => {
    const [from, to, ...rest] = group.split('-');
    if (rest.length > 0 || from === undefined || !isPort(from)) return false;
    return to === undefined || (isPort(to) && Number(to) >= Number(from));
  });
}

/** v3 list paging: `limit` 0–2000 (default 2000) and `marker` = id of the last item of the previous page. */
function markerPage<T extends { id: string }>(
  req: EmuRequest,
  items: T[],
): { page: T[]; pageInfo: { previous_marker?: string; current_count: number; next_marker?: string } } {
  const rawLimit = req.query.get('limit');
  let limit = VPC_LIST_MAX_LIMIT;
  if (rawLimit !== null && rawLimit !== '') {
    if (!/^\d+$/.test(rawLimit) || Number(rawLimit) > VPC_LIST_MAX_LIMIT) {
      fail(400, E.parameter, `Param is invalid: limit ${rawLimit}.`);
    }
    // The emulator reads limit=0 as "the default" rather than an empty page (undocumented either way).
    limit = Number(rawLimit) === 0 ? VPC_LIST_MAX_LIMIT : Number(rawLimit);
  }
  const marker = req.query.get('marker');
  let start = 0;
  if (marker) {
    const index = items.findIndex((i) => i.id === marker);
    if (index < 0) fail(400, E.parameter, `Param is invalid: marker ${marker}.`);
    start = index + 1;
  }
  const page = items.slice(start, start + limit);
  const pageInfo: { previous_marker?: string; current_count: number; next_marker?: string } = {
    current_count: page.length,
  };
  const first = page[0];
  const last = page[page.length - 1];
  if (first) pageInfo.previous_marker = first.id;
  if (last && start + limit < items.length) pageInfo.next_marker = last.id;
  return { page, pageInfo };
}

/** Multi-valued query filter (`?direction=ingress&direction=egress`): empty = no filter. */
function anyOf(req: EmuRequest, name: string): (value: string | number | null) => boolean {
  const wanted = req.query.getAll(name).filter((v) => v !== '');
  return (value) => wanted.length === 0 || (value !== null && wanted.includes(String(value)));
}

/* ------------------------------------------------------------------ security group rules (v3) */

/** Responses give a single port as a number (documented example) and ranges/lists as strings. */
function renderMultiport(multiport: string | null): number | string | null {
  if (multiport === null) return null;
  return /^\d+$/.test(multiport) ? Number(multiport) : multiport;
}

function renderRule(rule: SecurityGroupRule): JsonObject {
  return {
    id: rule.id,
    project_id: rule.projectId,
    security_group_id: rule.securityGroupId,
    direction: rule.direction,
    protocol: rule.protocol,
    description: rule.description,
    created_at: rule.createdAt,
    updated_at: rule.updatedAt,
    ethertype: rule.ethertype,
    remote_ip_prefix: rule.remoteIpPrefix,
    multiport: renderMultiport(rule.multiport),
    action: rule.action,
    priority: rule.priority,
    remote_group_id: rule.remoteGroupId,
    remote_address_group_id: null,
    enabled: true,
  };
}

function optionalText(option: JsonObject, field: string): string | null {
  const value = option[field];
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string') fail(400, E.ruleParameter, `Param is invalid: ${field} must be a string.`);
  return value;
}

const PROTOCOL_NAMES = new Set(['tcp', 'udp', 'icmp', 'icmpv6']);

function parseRuleOption(
  world: World,
  projectId: string,
  option: JsonObject,
): Omit<SecurityGroupRule, 'id' | 'createdAt' | 'updatedAt'> {
  const securityGroupId = optionalText(option, 'security_group_id');
  if (securityGroupId === null)
    fail(400, E.ruleParameter, 'Param is invalid: security_group_id is required.');
  const direction = option.direction;
  if (direction !== 'ingress' && direction !== 'egress') {
    fail(400, E.ruleParameter, 'Param is invalid: direction must be ingress or egress.');
  }
  const ethertype = option.ethertype ?? 'IPv4';
  if (ethertype !== 'IPv4' && ethertype !== 'IPv6')
    fail(400, E.ruleParameter, `Param is invalid: ethertype ${String(ethertype)}.`);

  let protocol = optionalText(option, 'protocol')?.toLowerCase() ?? null;
  if (protocol !== null && !PROTOCOL_NAMES.has(protocol)) {
    if (!/^\d{1,3}$/.test(protocol) || Number(protocol) > 255)
      fail(400, E.ruleParameter, `Param is invalid: protocol ${protocol}.`);
    protocol = String(Number(protocol));
  }
  // The request example sends multiport as a string; accept a bare number too.
  const multiportRaw =
    typeof option.multiport === 'number' ? String(option.multiport) : optionalText(option, 'multiport');
  if (multiportRaw !== null) {
    if (protocol !== 'tcp' && protocol !== 'udp') {
      fail(400, E.ruleParameter, 'Param is invalid: multiport needs protocol tcp or udp.');
    }
    if (!isPortExpression(multiportRaw))
      fail(400, E.ruleParameter, `Param is invalid: multiport ${multiportRaw}.`);
  }
  const remoteIpPrefix = optionalText(option, 'remote_ip_prefix');
  const remoteGroupId = optionalText(option, 'remote_group_id');
  if (remoteIpPrefix !== null && remoteGroupId !== null) {
    fail(
      400,
      E.ruleParameter,
      'Param is invalid: remote_ip_prefix and remote_group_id are mutually exclusive.',
    );
  }
  if (
    remoteIpPrefix !== null &&
    !(ethertype === 'IPv4' ? isIpv4Cidr(remoteIpPrefix) : isIpv6Cidr(remoteIpPrefix))
  ) {
    fail(400, E.ruleParameter, `Param is invalid: remote_ip_prefix ${remoteIpPrefix}.`);
  }
  if (
    remoteGroupId !== null &&
    !world.securityGroups.some((g) => g.id === remoteGroupId && g.projectId === projectId)
  ) {
    fail(404, E.notFound, `Security group ${remoteGroupId} could not be found.`);
  }
  const action = option.action ?? 'allow';
  if (action !== 'allow' && action !== 'deny')
    fail(400, E.ruleParameter, `Param is invalid: action ${String(action)}.`);
  // priority is documented as a string "1"–"100" but the published example sends a number.
  const priorityRaw = option.priority ?? 100;
  const priority =
    typeof priorityRaw === 'string' && /^\d+$/.test(priorityRaw) ? Number(priorityRaw) : priorityRaw;
  if (typeof priority !== 'number' || !Number.isInteger(priority) || priority < 1 || priority > 100) {
    fail(400, E.ruleParameter, `Param is invalid: priority ${String(priorityRaw)}.`);
  }
  const description = optionalText(option, 'description') ?? '';
  if (description.length > VPC_DESCRIPTION_MAX_LENGTH || /[<>]/.test(description)) {
    fail(400, E.ruleParameter, 'Param is invalid: description.');
  }
  if (!world.securityGroups.some((g) => g.id === securityGroupId && g.projectId === projectId)) {
    fail(404, E.notFound, `Security group ${securityGroupId} could not be found.`);
  }
  return {
    securityGroupId,
    direction,
    ethertype,
    protocol,
    multiport: multiportRaw,
    remoteIpPrefix,
    remoteGroupId,
    action,
    priority,
    description,
    projectId,
  };
}

function sameRule(
  a: Omit<SecurityGroupRule, 'id' | 'createdAt' | 'updatedAt'>,
  b: SecurityGroupRule,
): boolean {
  return (
    a.securityGroupId === b.securityGroupId &&
    a.direction === b.direction &&
    a.ethertype === b.ethertype &&
    a.protocol === b.protocol &&
    a.multiport === b.multiport &&
    a.remoteIpPrefix === b.remoteIpPrefix &&
    a.remoteGroupId === b.remoteGroupId &&
    a.action === b.action &&
    a.priority === b.priority
  );
}

const createRule: Handler = (req, ctx, { projectId }) => {
  const { world } = ctx;
  const body = req.body;
  if (!isObject(body) || !isObject(body.security_group_rule)) {
    fail(400, E.ruleParameter, 'Param is invalid: security_group_rule is required.');
  }
  const draft = parseRuleOption(world, projectId, body.security_group_rule);
  const existing = world.securityGroupRules.find((r) => sameRule(draft, r));
  if (existing) fail(409, E.ruleExists, `Security group rule already exists. Rule id is ${existing.id}.`);
  const inGroup = world.securityGroupRules.filter((r) => r.securityGroupId === draft.securityGroupId).length;
  if (inGroup >= VPC_SECURITY_GROUP_RULE_QUOTA) {
    fail(
      409,
      E.ruleQuota,
      `Quota exceeded for resources: ['security_group_rule'] (${VPC_SECURITY_GROUP_RULE_QUOTA}).`,
    );
  }
  if (body.dry_run === true) return { status: 202, body: { request_id: requestId(req, ctx) } };
  const stamp = v3Timestamp(ctx.clock.now());
  const rule: SecurityGroupRule = { ...draft, id: ctx.newId(), createdAt: stamp, updatedAt: stamp };
  world.securityGroupRules.push(rule);
  return { status: 201, body: { request_id: requestId(req, ctx), security_group_rule: renderRule(rule) } };
};

const listRules: Handler = (req, ctx, { projectId }) => {
  const filters = {
    id: anyOf(req, 'id'),
    securityGroupId: anyOf(req, 'security_group_id'),
    direction: anyOf(req, 'direction'),
    protocol: anyOf(req, 'protocol'),
    remoteIpPrefix: anyOf(req, 'remote_ip_prefix'),
    remoteGroupId: anyOf(req, 'remote_group_id'),
    ethertype: anyOf(req, 'ethertype'),
    action: anyOf(req, 'action'),
    priority: anyOf(req, 'priority'),
    description: anyOf(req, 'description'),
  };
  const matching = ctx.world.securityGroupRules.filter(
    (r) =>
      r.projectId === projectId &&
      filters.id(r.id) &&
      filters.securityGroupId(r.securityGroupId) &&
      filters.direction(r.direction) &&
      filters.protocol(r.protocol) &&
      filters.remoteIpPrefix(r.remoteIpPrefix) &&
      filters.remoteGroupId(r.remoteGroupId) &&
      filters.ethertype(r.ethertype) &&
      filters.action(r.action) &&
      filters.priority(r.priority) &&
      filters.description(r.description),
  );
  const { page, pageInfo } = markerPage(req, matching);
  return {
    status: 200,
    body: {
      request_id: requestId(req, ctx),
      security_group_rules: page.map(renderRule),
      page_info: pageInfo,
    },
  };
};

function ownRule(world: World, projectId: string, id: string): SecurityGroupRule {
  const rule = world.securityGroupRules.find((r) => r.id === id && r.projectId === projectId);
  if (!rule) fail(404, E.notFound, `Security group rule ${id} could not be found.`);
  return rule;
}

const showRule: Handler = (req, ctx, { projectId, id }) => ({
  status: 200,
  body: {
    request_id: requestId(req, ctx),
    security_group_rule: renderRule(ownRule(ctx.world, projectId, id)),
  },
});

const deleteRule: Handler = (_req, ctx, { projectId, id }) => {
  const rule = ownRule(ctx.world, projectId, id);
  ctx.world.securityGroupRules.splice(ctx.world.securityGroupRules.indexOf(rule), 1);
  return { status: 204 };
};

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

const listAcls: Handler = (req, ctx, { projectId }) => {
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

const showAcl: Handler = (req, ctx, { projectId, id }) => ({
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

const insertAclRules: Handler = (req, ctx, { projectId, id }) => {
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

const removeAclRules: Handler = (req, ctx, { projectId, id }) => {
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

const showSubnet: Handler = (_req, ctx, { projectId, id }) => {
  const subnet = ctx.world.subnets.find((s) => s.id === id && s.projectId === projectId);
  if (!subnet) fail(404, E.subnetNotFound, `Query resource by id ${id} fail.the subnet could not be found.`);
  return { status: 200, body: { subnet: renderSubnet(ctx.world, subnet.id) } };
};

const listSubnets: Handler = (req, ctx, { projectId }) => {
  const vpcId = req.query.get('vpc_id');
  const subnets = ctx.world.subnets.filter((s) => s.projectId === projectId && (!vpcId || s.vpcId === vpcId));
  return { status: 200, body: { subnets: v1Page(req, subnets).map((s) => renderSubnet(ctx.world, s.id)) } };
};

const showVpc: Handler = (_req, ctx, { projectId, id }) => {
  const vpc = ctx.world.vpcs.find((v) => v.id === id && v.projectId === projectId);
  if (!vpc) fail(404, E.vpcNotFound, 'VPC does not exist.');
  return { status: 200, body: { vpc: renderVpc(ctx.world, vpc.id) } };
};

const listVpcs: Handler = (req, ctx, { projectId }) => {
  const vpcs = ctx.world.vpcs.filter((v) => v.projectId === projectId);
  return { status: 200, body: { vpcs: v1Page(req, vpcs).map((v) => renderVpc(ctx.world, v.id)) } };
};

/* ------------------------------------------------------------------ routing */

const ID = '([^/]+)';
const V3 = '^/v3/([^/]+)/vpc';
const V1 = '^/v1/([^/]+)';

const ROUTES: Route[] = [
  { method: 'POST', pattern: new RegExp(`${V3}/security-group-rules$`), handler: createRule },
  { method: 'GET', pattern: new RegExp(`${V3}/security-group-rules$`), handler: listRules },
  { method: 'GET', pattern: new RegExp(`${V3}/security-group-rules/${ID}$`), handler: showRule },
  { method: 'DELETE', pattern: new RegExp(`${V3}/security-group-rules/${ID}$`), handler: deleteRule },
  { method: 'GET', pattern: new RegExp(`${V3}/firewalls$`), handler: listAcls },
  { method: 'GET', pattern: new RegExp(`${V3}/firewalls/${ID}$`), handler: showAcl },
  { method: 'PUT', pattern: new RegExp(`${V3}/firewalls/${ID}/insert-rules$`), handler: insertAclRules },
  { method: 'PUT', pattern: new RegExp(`${V3}/firewalls/${ID}/remove-rules$`), handler: removeAclRules },
  { method: 'GET', pattern: new RegExp(`${V1}/subnets$`), handler: listSubnets },
  { method: 'GET', pattern: new RegExp(`${V1}/subnets/${ID}$`), handler: showSubnet },
  { method: 'GET', pattern: new RegExp(`${V1}/vpcs$`), handler: listVpcs },
  { method: 'GET', pattern: new RegExp(`${V1}/vpcs/${ID}$`), handler: showVpc },
];

const V3_PATH = /^\/v3\/[^/]+\/vpc(\/|$)/;
const V1_PATH = /^\/v1\/[^/]+\/(vpcs|subnets|security-groups|security-group-rules)(\/|$)/;

function route(req: EmuRequest, ctx: ServiceContext): EmuResponse {
  return dispatch(ROUTES, req, ctx, {
    projectMismatch: () => fail(400, E.projectMismatch, 'urlTenantId is not equal tokenTenantId'),
    unknownRoute: () => fail(404, E.unknownApi, `The API ${req.method} ${req.path} does not exist.`),
  });
}

export function createVpcModule(): ServiceModule {
  return {
    name: 'vpc',
    invalidBodyCode: E.parameter,
    matches: (_method, path) => V3_PATH.test(path) || V1_PATH.test(path),
    errorBody: (code, message, reqId) => ({ request_id: reqId, code, message }),
    handle(req, ctx) {
      if (!V1_PATH.test(req.path)) return route(req, ctx);
      try {
        return route(req, ctx);
      } catch (error) {
        // v1 APIs answer the plain `{code, message}` envelope (vpc-error.example.json).
        if (error instanceof EmuError)
          return { status: error.status, body: { code: error.code, message: error.message } };
        throw error;
      }
    },
  };
}
