/**
 * v3 security group rules: create (with the duplicate and quota checks), list, show, delete.
 */
import { fail, isObject, type JsonObject } from '../module-kit.js';
import type { SecurityGroupRule, World } from '../types.js';
import {
  anyOf,
  E,
  type Handler,
  isIpv4Cidr,
  isIpv6Cidr,
  isPortExpression,
  markerPage,
  requestId,
  VPC_DESCRIPTION_MAX_LENGTH,
  VPC_SECURITY_GROUP_RULE_QUOTA,
  v3Timestamp,
} from './common.js';

/* ------------------------------------------------------------------ security group rules (v3) */

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
    // A string, single port included: the SDK model (SecurityGroupRule.multiport) and Terraform, whose
    // acceptance tests read rules back on real accounts into a Go string (golangsdk v3 rules `MultiPort
    // string`, which a number would fail to decode), outrank the API reference example's `33`.
    multiport: rule.multiport,
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

export const createRule: Handler = (req, ctx, { projectId }) => {
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

export const listRules: Handler = (req, ctx, { projectId }) => {
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

export const showRule: Handler = (req, ctx, { projectId, id }) => ({
  status: 200,
  body: {
    request_id: requestId(req, ctx),
    security_group_rule: renderRule(ownRule(ctx.world, projectId, id)),
  },
});

export const deleteRule: Handler = (_req, ctx, { projectId, id }) => {
  const rule = ownRule(ctx.world, projectId, id);
  ctx.world.securityGroupRules.splice(ctx.world.securityGroupRules.indexOf(rule), 1);
  return { status: 204 };
};
