/**
 * VPC: v3 security group rules, the v1 subnet read and v3 network ACLs (firewalls).
 * Reference: huawei-cloud-api.md §C; field names checked against @huaweicloud/huaweicloud-sdk-vpc v3
 * (SecurityGroupRule, FirewallDetail, FirewallInsertRuleItemOption) and v2 (Subnet).
 */
import * as z from '../zod.js';
import { CloudApiError, NotFoundError } from './errors.js';
import { bindOperations, type Operation } from './operations.js';
import type {
  CloudHttp,
  CreateSecurityGroupRuleInput,
  ListSecurityGroupRulesFilter,
  NetworkAcl,
  NetworkAclRuleInput,
  SecurityGroupRule,
  Subnet,
  VpcClient,
} from './types.js';
import {
  assertId,
  collectMarkerPages,
  compact,
  numberish,
  parseBody,
  stringish,
  UnexpectedResponseError,
} from './validate.js';

/* ------------------------------------------------------------------ wire schemas */

// Each schema is built on first use (`z.lazy`, marked pure): a function bundle whose operations never
// parse it drops it (operations.ts).

/** v3 rule (also accepts the v1 shape: `port_range_*`, `remote_ip_prefix: null`, no multiport). */
export const VpcSecurityGroupRuleSchema = /* @__PURE__ */ z.lazy(() =>
  z.looseObject({
    id: z.string().check(z.minLength(1)),
    security_group_id: z.string(),
    direction: z.string(),
    ethertype: z.nullish(z.string()),
    protocol: z.nullish(z.string()),
    // A string (SDK model, Terraform); the API reference's response examples show a number.
    multiport: z.nullish(stringish),
    remote_ip_prefix: z.nullish(z.string()),
    remote_group_id: z.nullish(z.string()),
    remote_address_group_id: z.nullish(z.string()),
    action: z.nullish(z.string()),
    priority: z.nullish(numberish),
    description: z.nullish(z.string()),
  }),
);

export const VpcCreateSecurityGroupRuleResponseSchema = /* @__PURE__ */ z.lazy(() =>
  z.looseObject({
    security_group_rule: VpcSecurityGroupRuleSchema,
  }),
);

const PageInfoSchema = /* @__PURE__ */ z.lazy(() =>
  z.nullish(
    z.looseObject({
      next_marker: z.nullish(z.string()),
      previous_marker: z.nullish(z.string()),
      current_count: z.nullish(numberish),
    }),
  ),
);

export const VpcListSecurityGroupRulesResponseSchema = /* @__PURE__ */ z.lazy(() =>
  z.looseObject({
    security_group_rules: z.nullish(z.array(VpcSecurityGroupRuleSchema)),
    // Listed in the response table but missing from the documented example: optional.
    page_info: PageInfoSchema,
  }),
);

/** DELETE: 204 and no body; tolerate a JSON object too. */
export const VpcEmptyResponseSchema = /* @__PURE__ */ z.lazy(() =>
  z.union([z.undefined(), z.null(), z.looseObject({})]),
);

export const VpcShowSubnetResponseSchema = /* @__PURE__ */ z.lazy(() =>
  z.looseObject({
    subnet: z.looseObject({
      id: z.string().check(z.minLength(1)),
      vpc_id: z.string(),
      cidr: z.string(),
      name: z.nullish(z.string()),
      status: z.nullish(z.string()),
    }),
  }),
);

const FirewallRuleSchema = /* @__PURE__ */ z.lazy(() =>
  z.looseObject({
    id: z.string().check(z.minLength(1)),
    name: z.nullish(z.string()),
    description: z.nullish(z.string()),
  }),
);

export const VpcFirewallSchema = /* @__PURE__ */ z.lazy(() =>
  z.looseObject({
    id: z.string().check(z.minLength(1)),
    name: z.nullish(z.string()),
    associations: z.nullish(z.array(z.looseObject({ virsubnet_id: z.string() }))),
    // FirewallDetail (show, insert, remove) carries the rules; ListFirewallDetail may not.
    ingress_rules: z.nullish(z.array(FirewallRuleSchema)),
  }),
);

export const VpcListFirewallsResponseSchema = /* @__PURE__ */ z.lazy(() =>
  z.looseObject({
    firewalls: z.nullish(z.array(VpcFirewallSchema)),
    page_info: PageInfoSchema,
  }),
);

export const VpcFirewallResponseSchema = /* @__PURE__ */ z.lazy(() =>
  z.looseObject({ firewall: VpcFirewallSchema }),
);

/* ------------------------------------------------------------------ request bodies */

export interface VpcCreateSecurityGroupRuleBody {
  security_group_rule: {
    security_group_id: string;
    direction: string;
    ethertype?: string;
    protocol: string;
    multiport: string;
    remote_ip_prefix: string;
    action?: string;
    priority?: number;
    description?: string;
  };
}

export function buildCreateSecurityGroupRuleBody(
  input: CreateSecurityGroupRuleInput,
): VpcCreateSecurityGroupRuleBody {
  return {
    security_group_rule: compact({
      security_group_id: input.securityGroupId,
      direction: input.direction,
      ethertype: input.ethertype,
      protocol: input.protocol,
      multiport: input.multiport,
      remote_ip_prefix: input.remoteIpPrefix,
      action: input.action,
      // A number, as in the documented request example (the SDK model types it as a string).
      priority: input.priority,
      description: input.description,
    }),
  };
}

interface WireAclRule {
  action: string;
  protocol: string;
  ip_version: number;
  source_ip_address?: string;
  destination_port?: string;
  name?: string;
  description?: string;
}

export interface VpcInsertFirewallRulesBody {
  firewall: { ingress_rules: WireAclRule[] };
}

export function buildInsertFirewallRulesBody(
  rules: readonly NetworkAclRuleInput[],
): VpcInsertFirewallRulesBody {
  return {
    firewall: {
      ingress_rules: rules.map((rule) =>
        compact({
          action: rule.action,
          protocol: rule.protocol,
          ip_version: rule.ipVersion,
          source_ip_address: rule.sourceIpAddress,
          destination_port: rule.destinationPort,
          name: rule.name,
          description: rule.description,
        }),
      ),
    },
  };
}

export interface VpcRemoveFirewallRulesBody {
  firewall: { ingress_rules: Array<{ id: string }> };
}

export function buildRemoveFirewallRulesBody(ruleIds: readonly string[]): VpcRemoveFirewallRulesBody {
  return { firewall: { ingress_rules: ruleIds.map((id) => ({ id })) } };
}

/* ------------------------------------------------------------------ mapping */

function toSecurityGroupRule(wire: z.output<typeof VpcSecurityGroupRuleSchema>): SecurityGroupRule {
  const rule: SecurityGroupRule = {
    id: wire.id,
    securityGroupId: wire.security_group_id,
    direction: wire.direction,
    protocol: wire.protocol ?? null,
    multiport: wire.multiport ?? null,
    remoteIpPrefix: wire.remote_ip_prefix ?? null,
  };
  if (wire.ethertype) rule.ethertype = wire.ethertype;
  if (wire.action) rule.action = wire.action;
  if (wire.priority !== undefined && wire.priority !== null) rule.priority = wire.priority;
  if (wire.description !== undefined && wire.description !== null) rule.description = wire.description;
  return rule;
}

function toNetworkAcl(wire: z.output<typeof VpcFirewallSchema>): NetworkAcl {
  const acl: NetworkAcl = {
    id: wire.id,
    subnetIds: (wire.associations ?? []).map((association) => association.virsubnet_id),
    ingressRules: (wire.ingress_rules ?? []).map((rule) => {
      const out: NetworkAcl['ingressRules'][number] = { id: rule.id };
      if (rule.name) out.name = rule.name;
      if (rule.description) out.description = rule.description;
      return out;
    }),
  };
  if (wire.name) acl.name = wire.name;
  return acl;
}

/** "Security group rule already exists. Rule id is <id>." -> the id (UUID or plain token). */
export function parseExistingRuleId(message: string): string | undefined {
  const match = /rule id is\s+([A-Za-z0-9_-]+)/i.exec(message);
  return match?.[1];
}

/* ------------------------------------------------------------------ operations */

type VpcOperation<K extends keyof VpcClient> = Operation<VpcClient[K]>;

const DUPLICATE_RULE_CODE = 'VPC.9902';

const firewallPath = (aclId: string): string => `/v3/{project_id}/vpc/firewalls/${assertId('aclId', aclId)}`;

export const listSecurityGroupRules: VpcOperation<'listSecurityGroupRules'> = async (
  http,
  filter: ListSecurityGroupRulesFilter,
): Promise<SecurityGroupRule[]> => {
  // Without a group, the rules of every group of the project are listed (one paged call for reconcile).
  const securityGroupId =
    filter.securityGroupId === undefined ? undefined : assertId('securityGroupId', filter.securityGroupId);
  // limit 0–2000 [GSDK services/vpc/v3/model/model_list_security_group_rules_request.go].
  const RULES_PAGE_SIZE = 2000;
  const wires = await collectMarkerPages('vpc list security group rules', async (marker) => {
    const response = await http.send({
      method: 'GET',
      path: '/v3/{project_id}/vpc/security-group-rules',
      query: {
        security_group_id: securityGroupId,
        direction: filter.direction,
        protocol: filter.protocol,
        remote_ip_prefix: filter.remoteIpPrefix,
        limit: RULES_PAGE_SIZE,
        marker,
      },
    });
    const page = parseBody(
      VpcListSecurityGroupRulesResponseSchema,
      response,
      'vpc',
      'list security group rules',
    );
    return { items: page.security_group_rules ?? [], nextMarker: page.page_info?.next_marker };
  });
  return wires.map(toSecurityGroupRule);
};

/** Finds the rule a duplicate-409 refers to when its message carries no usable id. */
async function findSameRule(
  http: CloudHttp,
  input: CreateSecurityGroupRuleInput,
): Promise<string | undefined> {
  const rules = await listSecurityGroupRules(http, {
    securityGroupId: input.securityGroupId,
    direction: input.direction,
    protocol: input.protocol,
    remoteIpPrefix: input.remoteIpPrefix,
  });
  const same = rules.find(
    (rule) =>
      rule.direction === input.direction &&
      (rule.protocol ?? '') === input.protocol &&
      (rule.multiport ?? '') === input.multiport &&
      (rule.remoteIpPrefix ?? '') === input.remoteIpPrefix &&
      (rule.ethertype ?? 'IPv4') === (input.ethertype ?? 'IPv4') &&
      (rule.action ?? 'allow') === (input.action ?? 'allow'),
  );
  return same?.id;
}

export const createSecurityGroupRule: VpcOperation<'createSecurityGroupRule'> = async (http, input) => {
  assertId('securityGroupId', input.securityGroupId);
  try {
    const response = await http.send({
      method: 'POST',
      path: '/v3/{project_id}/vpc/security-group-rules',
      body: buildCreateSecurityGroupRuleBody(input),
    });
    const wire = parseBody(
      VpcCreateSecurityGroupRuleResponseSchema,
      response,
      'vpc',
      'create security group rule',
    );
    return { ruleId: wire.security_group_rule.id, created: true };
  } catch (error) {
    // Only a 409 is "already exists": the same code with 400 means a bad ethertype.
    if (!(error instanceof CloudApiError) || error.httpStatus !== 409 || error.code !== DUPLICATE_RULE_CODE) {
      throw error;
    }
    const ruleId = parseExistingRuleId(error.serverMessage) ?? (await findSameRule(http, input));
    if (!ruleId) throw error;
    return { ruleId, created: false };
  }
};

export const deleteSecurityGroupRule: VpcOperation<'deleteSecurityGroupRule'> = async (http, ruleId) => {
  const path = `/v3/{project_id}/vpc/security-group-rules/${assertId('ruleId', ruleId)}`;
  try {
    const response = await http.send({ method: 'DELETE', path });
    parseBody(VpcEmptyResponseSchema, response, 'vpc', 'delete security group rule');
  } catch (error) {
    // Already gone is the goal of a delete (unlink may run twice).
    if (error instanceof NotFoundError) return;
    throw error;
  }
};

export const getSubnet: VpcOperation<'getSubnet'> = async (http, subnetId): Promise<Subnet> => {
  const response = await http.send({
    method: 'GET',
    path: `/v1/{project_id}/subnets/${assertId('subnetId', subnetId)}`,
  });
  const { subnet } = parseBody(VpcShowSubnetResponseSchema, response, 'vpc', 'show subnet');
  const out: Subnet = { id: subnet.id, vpcId: subnet.vpc_id, cidr: subnet.cidr };
  if (subnet.name) out.name = subnet.name;
  if (subnet.status) out.status = subnet.status;
  return out;
};

export const listNetworkAcls: VpcOperation<'listNetworkAcls'> = async (http) => {
  // limit 0–2000 [GSDK services/vpc/v3/model/model_list_firewall_request.go].
  const FIREWALLS_PAGE_SIZE = 2000;
  const wires = await collectMarkerPages('vpc list network ACLs', async (marker) => {
    const response = await http.send({
      method: 'GET',
      path: '/v3/{project_id}/vpc/firewalls',
      query: { limit: FIREWALLS_PAGE_SIZE, marker },
    });
    const page = parseBody(VpcListFirewallsResponseSchema, response, 'vpc', 'list network ACLs');
    return { items: page.firewalls ?? [], nextMarker: page.page_info?.next_marker };
  });
  // List items (GSDK vpc/v3 model_list_firewall_detail.go) carry no rule arrays: the rules come
  // from reading each ACL, never from the list.
  const detailed = await Promise.all(
    wires.map(async (wire) => {
      const response = await http.send({ method: 'GET', path: firewallPath(wire.id) });
      return parseBody(VpcFirewallResponseSchema, response, 'vpc', 'show network ACL').firewall;
    }),
  );
  return detailed.map(toNetworkAcl);
};

export const insertNetworkAclRules: VpcOperation<'insertNetworkAclRules'> = async (http, aclId, rules) => {
  const path = `${firewallPath(aclId)}/insert-rules`;
  if (rules.length === 0) return [];
  const response = await http.send({
    method: 'PUT',
    path,
    body: buildInsertFirewallRulesBody(rules),
    // A PUT that adds: re-sent, it inserts the rules a second time (the caller looks first instead).
    idempotent: false,
  });
  const { firewall } = parseBody(VpcFirewallResponseSchema, response, 'vpc', 'insert network ACL rules');
  const returned = firewall.ingress_rules ?? [];
  const taken = new Set<number>();
  return rules.map((rule, index) => {
    // Our rules carry names, so prefer a name match; else the documented position (without
    // insert_after_rule the API puts the new rules first, in request order).
    let at = rule.name ? returned.findIndex((item, i) => !taken.has(i) && item.name === rule.name) : -1;
    if (at === -1 && index < returned.length && !taken.has(index)) at = index;
    const found = returned[at];
    if (!found) {
      throw new UnexpectedResponseError(
        'vpc',
        'insert network ACL rules',
        response,
        `inserted rule ${index} (${rule.name ?? 'unnamed'}) is not in the returned ACL`,
      );
    }
    taken.add(at);
    return found.id;
  });
};

export const removeNetworkAclRules: VpcOperation<'removeNetworkAclRules'> = async (http, aclId, ruleIds) => {
  const path = `${firewallPath(aclId)}/remove-rules`;
  if (ruleIds.length === 0) return;
  for (const ruleId of ruleIds) assertId('ruleId', ruleId);
  const response = await http.send({ method: 'PUT', path, body: buildRemoveFirewallRulesBody(ruleIds) });
  parseBody(VpcFirewallResponseSchema, response, 'vpc', 'remove network ACL rules');
};

/* ------------------------------------------------------------------ client */

/** Every VPC operation (the client's methods). */
export const VPC_OPERATIONS = {
  createSecurityGroupRule,
  listSecurityGroupRules,
  deleteSecurityGroupRule,
  getSubnet,
  listNetworkAcls,
  insertNetworkAclRules,
  removeNetworkAclRules,
};

export function createVpcClient(http: CloudHttp): VpcClient {
  return bindOperations(http, VPC_OPERATIONS);
}
