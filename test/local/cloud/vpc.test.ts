import { beforeEach, describe, expect, it } from 'vitest';
import { VPC_SECURITY_GROUP_RULE_QUOTA } from '../../../local/cloud/vpc.js';
import {
  createModuleHarness,
  fixtureBody,
  type ModuleHarness,
  shapeMismatches,
} from '../../helpers/emulator-modules.js';

let h: ModuleHarness;

beforeEach(() => {
  h = createModuleHarness();
});

const RULES = '/v3/{pid}/vpc/security-group-rules';

function ruleOption(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    security_group_id: h.seed.securityGroupId,
    direction: 'ingress',
    ethertype: 'IPv4',
    protocol: 'tcp',
    multiport: '9011',
    remote_ip_prefix: '198.19.128.0/17',
    action: 'allow',
    priority: '1',
    description: 'VPCEP to Kafka cross-VPC listener',
    ...overrides,
  };
}

const createRule = (overrides: Record<string, unknown> = {}) =>
  h.call({ method: 'POST', path: RULES, body: { security_group_rule: ruleOption(overrides) } });

function expectError(res: { status: number; body?: any }, status: number, code: string): void {
  expect({ status: res.status, code: res.body?.code }).toEqual({ status, code });
  expect(typeof res.body.message).toBe('string');
}

describe('VPC v3 security group rules: create', () => {
  it('answers 201 in the documented shape, multiport a string as the SDK model and Terraform read it', async () => {
    const res = createRule();
    expect(res.status).toBe(201);
    // The API reference example alone shows a single port as a number (see security-group-rules.ts).
    expect(shapeMismatches(await fixtureBody('vpc-v3-create-sg-rule.response.json'), res.body)).toEqual([
      '$.security_group_rule.multiport: expected number, got string',
    ]);
    expect(res.body.request_id).toMatch(/^[0-9a-f]{32}$/);
    expect(res.body.security_group_rule).toMatchObject({
      security_group_id: h.seed.securityGroupId,
      direction: 'ingress',
      protocol: 'tcp',
      ethertype: 'IPv4',
      multiport: '9011',
      remote_ip_prefix: '198.19.128.0/17',
      action: 'allow',
      priority: 1,
      remote_group_id: null,
      remote_address_group_id: null,
      project_id: h.owner.projectId,
      created_at: '2026-01-01T00:00:00.000+00:00',
    });
  });

  it('accepts the documented request example (priority as a number) and keeps ranges as strings', async () => {
    const example = await fixtureBody('vpc-v3-create-sg-rule.request.json');
    example.security_group_rule.security_group_id = h.seed.securityGroupId;
    const res = h.call({ method: 'POST', path: RULES, body: example });
    expect(res.status).toBe(201);
    expect(res.body.security_group_rule).toMatchObject({ multiport: '33', priority: 1, ethertype: 'IPv4' });
    expect(createRule({ multiport: '1-30' }).body.security_group_rule.multiport).toBe('1-30');
    expect(createRule({ multiport: '22,3389,80' }).body.security_group_rule.multiport).toBe('22,3389,80');
  });

  it('answers a duplicate with 409 VPC.9902 naming the existing rule id', () => {
    const first = createRule().body.security_group_rule.id as string;
    const again = createRule({ description: 'different text does not matter' });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('VPC.9902');
    expect(again.body.message).toBe(`Security group rule already exists. Rule id is ${first}.`);
    // The id can be parsed from the message, as the client does.
    expect(/Rule id is ([0-9a-f-]+)\./.exec(again.body.message)?.[1]).toBe(first);
    // Any difference in the identifying fields makes a new rule.
    expect(createRule({ priority: 2 }).status).toBe(201);
    expect(createRule({ remote_ip_prefix: '172.16.5.0/24' }).status).toBe(201);
    expect(createRule({ direction: 'egress' }).status).toBe(201);
  });

  it('answers an unknown security group with 404 VPC.9904', () => {
    expectError(createRule({ security_group_id: '00000000-0000-4000-8000-000000000000' }), 404, 'VPC.9904');
    // Another account's group is unknown to this one.
    expectError(
      h.call({ method: 'POST', path: RULES, body: { security_group_rule: ruleOption() }, caller: h.partner }),
      404,
      'VPC.9904',
    );
  });

  it.each([
    ['a bad ethertype', { ethertype: 'IPv5' }],
    ['a bad direction', { direction: 'inbound' }],
    ['a bad protocol', { protocol: 'sctp-ish' }],
    ['a port above 65535', { multiport: '70000' }],
    ['a descending range', { multiport: '30-1' }],
    ['multiport without tcp/udp', { protocol: 'icmp' }],
    ['a bad CIDR', { remote_ip_prefix: '198.19.128.0/33' }],
    ['priority 0', { priority: 0 }],
    ['priority 101', { priority: '101' }],
    ['both remote_ip_prefix and remote_group_id', { remote_group_id: 'x' }],
    ['a description with <', { description: '<b>' }],
    ['a bad action', { action: 'drop' }],
  ])('rejects %s with 400 VPC.9902', (_name, overrides) => {
    expectError(createRule(overrides), 400, 'VPC.9902');
  });

  it('rejects a missing security_group_rule', () => {
    expectError(h.call({ method: 'POST', path: RULES, body: {} }), 400, 'VPC.9902');
  });

  it('enforces the per-group rule quota with 409 VPC.9905', () => {
    const existing = h.world.securityGroupRules.filter(
      (r) => r.securityGroupId === h.seed.securityGroupId,
    ).length;
    for (let port = 1; port <= VPC_SECURITY_GROUP_RULE_QUOTA - existing; port++) {
      expect(createRule({ multiport: String(port) }).status).toBe(201);
    }
    expectError(createRule({ multiport: '9999' }), 409, 'VPC.9905');
  });

  it('validates without creating on dry_run (202)', () => {
    const before = h.world.securityGroupRules.length;
    const res = h.call({
      method: 'POST',
      path: RULES,
      body: { dry_run: true, security_group_rule: ruleOption() },
    });
    expect(res.status).toBe(202);
    expect(h.world.securityGroupRules).toHaveLength(before);
  });
});

describe('VPC v3 security group rules: list, show, delete', () => {
  it('lists in the documented shape with multi-valued filters', async () => {
    const kafka = createRule().body.security_group_rule.id as string;
    createRule({ protocol: 'udp' });
    const list = (query: string) => h.call({ method: 'GET', path: `${RULES}?${query}` });
    const res = list(
      `security_group_id=${h.seed.securityGroupId}&direction=ingress&protocol=tcp&remote_ip_prefix=198.19.128.0/17`,
    );
    expect(res.status).toBe(200);
    expect(shapeMismatches(await fixtureBody('vpc-v3-list-sg-rules.response.json'), res.body)).toEqual([
      '$.security_group_rules[0].multiport: expected number, got string',
    ]);
    expect(res.body.security_group_rules.map((r: any) => r.id)).toEqual([kafka]);
    expect(res.body.page_info).toEqual({ previous_marker: kafka, current_count: 1 });
    expect(list('protocol=tcp&protocol=udp').body.security_group_rules).toHaveLength(2);
    // The seeded group has two default rules (protocol null); both directions requested.
    expect(
      list(`security_group_id=${h.seed.securityGroupId}&direction=ingress&direction=egress`).body.page_info
        .current_count,
    ).toBe(4);
    // Another project sees nothing.
    expect(h.call({ method: 'GET', path: RULES, caller: h.partner }).body.security_group_rules).toEqual([]);
  });

  it('pages with limit and marker; next_marker only when more pages exist', () => {
    for (let port = 1; port <= 5; port++) createRule({ multiport: String(port) });
    const base = `${RULES}?protocol=tcp&limit=2`;
    const first = h.call({ method: 'GET', path: base }).body;
    expect(first.security_group_rules).toHaveLength(2);
    expect(first.page_info.next_marker).toBe(first.security_group_rules[1].id);
    const seen = [...first.security_group_rules];
    let marker: string | undefined = first.page_info.next_marker;
    while (marker) {
      const page: any = h.call({ method: 'GET', path: `${base}&marker=${marker}` }).body;
      seen.push(...page.security_group_rules);
      marker = page.page_info.next_marker;
    }
    expect(seen.map((r) => r.multiport)).toEqual(['1', '2', '3', '4', '5']);
    expect(h.call({ method: 'GET', path: `${RULES}?limit=2001` }).status).toBe(400);
    expect(h.call({ method: 'GET', path: `${RULES}?marker=nope` }).status).toBe(400);
  });

  it('shows one rule, deletes it with 204, then answers 404 VPC.9904', () => {
    const id = createRule().body.security_group_rule.id as string;
    const shown = h.call({ method: 'GET', path: `${RULES}/${id}` });
    expect(shown.body.security_group_rule.id).toBe(id);
    expect(h.call({ method: 'DELETE', path: `${RULES}/${id}` })).toEqual({ status: 204 });
    expectError(h.call({ method: 'GET', path: `${RULES}/${id}` }), 404, 'VPC.9904');
    expectError(h.call({ method: 'DELETE', path: `${RULES}/${id}` }), 404, 'VPC.9904');
    // After deletion the same rule can be created again.
    expect(createRule().status).toBe(201);
  });

  it('renders v3 errors with request_id (the server passes its X-Request-Id)', () => {
    const res = h.call({ method: 'DELETE', path: `${RULES}/nope` });
    expect(res.body).toEqual({
      request_id: 'test-request-id',
      code: 'VPC.9904',
      message: 'Security group rule nope could not be found.',
    });
  });
});

describe('VPC v1 subnets and VPCs', () => {
  it('shows a subnet with status ACTIVE', () => {
    const res = h.call({ method: 'GET', path: `/v1/{pid}/subnets/${h.seed.clientSubnetId}` });
    expect(res.status).toBe(200);
    expect(res.body.subnet).toMatchObject({
      id: h.seed.clientSubnetId,
      name: 'kvl-client-subnet',
      cidr: '172.16.5.0/24',
      gateway_ip: '172.16.5.1',
      vpc_id: h.seed.clientVpcId,
      status: 'ACTIVE',
    });
  });

  it('answers an unknown subnet with 404 {code: VPC.0202, message} (the v1 envelope, no request_id)', () => {
    const res = h.call({ method: 'GET', path: '/v1/{pid}/subnets/00000000-0000-4000-8000-000000000000' });
    expect(res).toEqual({
      status: 404,
      body: {
        code: 'VPC.0202',
        message:
          'Query resource by id 00000000-0000-4000-8000-000000000000 fail.the subnet could not be found.',
      },
    });
    // Another account's subnet is unknown too.
    expect(
      h.call({ method: 'GET', path: `/v1/{pid}/subnets/${h.seed.clientSubnetId}`, caller: h.partner }).status,
    ).toBe(404);
  });

  it('lists subnets by vpc_id and shows and lists VPCs', () => {
    const subnets = h.call({ method: 'GET', path: `/v1/{pid}/subnets?vpc_id=${h.seed.instanceVpcId}` }).body
      .subnets;
    expect(subnets.map((s: any) => s.id)).toEqual([h.seed.instanceSubnetId]);
    const vpc = h.call({ method: 'GET', path: `/v1/{pid}/vpcs/${h.seed.clientVpcId}` });
    expect(vpc.body.vpc).toMatchObject({ id: h.seed.clientVpcId, cidr: '172.16.0.0/16', status: 'OK' });
    expect(h.call({ method: 'GET', path: '/v1/{pid}/vpcs' }).body.vpcs).toHaveLength(2);
    expect(h.call({ method: 'GET', path: '/v1/{pid}/vpcs/nope' })).toEqual({
      status: 404,
      body: { code: 'VPC.0003', message: 'VPC does not exist.' },
    });
  });

  it('answers a foreign project with 400 VPC.0007 and an unknown route with 404', () => {
    expect(h.call({ method: 'GET', path: `/v1/${h.partner.projectId}/vpcs` }).body.code).toBe('VPC.0007');
    expect(h.call({ method: 'POST', path: '/v1/{pid}/vpcs' }).status).toBe(404);
    const v3 = h.call({ method: 'GET', path: '/v3/{pid}/vpc/unknown' });
    expect(v3.status).toBe(404);
    expect(v3.body).toHaveProperty('request_id');
  });
});

describe('VPC v3 network ACLs (firewalls)', () => {
  const FIREWALLS = '/v3/{pid}/vpc/firewalls';
  const kafkaRule = {
    action: 'allow',
    protocol: 'tcp',
    ip_version: 4,
    source_ip_address: '198.19.128.0/17',
    destination_port: '9011',
    name: 'kvl-vpcep-9011',
  };
  const insert = (body: unknown, id = h.seed.networkAclId) =>
    h.call({ method: 'PUT', path: `${FIREWALLS}/${id}/insert-rules`, body });

  it('lists ACLs with their subnet associations, paging and page_info', () => {
    const res = h.call({ method: 'GET', path: FIREWALLS });
    expect(res.status).toBe(200);
    expect(res.body.firewalls).toHaveLength(1);
    expect(res.body.firewalls[0]).toMatchObject({
      id: h.seed.networkAclId,
      status: 'ACTIVE',
      admin_state_up: true,
      associations: [{ virsubnet_id: h.seed.instanceSubnetId }],
    });
    expect(res.body.page_info).toEqual({ previous_marker: h.seed.networkAclId, current_count: 1 });
    expect(
      h.call({ method: 'GET', path: `${FIREWALLS}?id=${h.seed.networkAclId}&limit=1` }).body.firewalls,
    ).toHaveLength(1);
    expect(h.call({ method: 'GET', path: `${FIREWALLS}?name=other` }).body.firewalls).toHaveLength(0);
  });

  it('lists ACLs without rule arrays (ListFirewallDetail); one ACL is read for its rules', () => {
    insert({ firewall: { ingress_rules: [kafkaRule] } });

    const listed = h.call({ method: 'GET', path: FIREWALLS }).body.firewalls[0];
    const shown = h.call({ method: 'GET', path: `${FIREWALLS}/${h.seed.networkAclId}` }).body.firewall;

    expect(listed).not.toHaveProperty('ingress_rules');
    expect(listed).not.toHaveProperty('egress_rules');
    expect(shown.ingress_rules).toHaveLength(1);
    expect(shown.ingress_rules[0]).toMatchObject({ name: 'kvl-vpcep-9011' });
    expect(shown.egress_rules).toEqual([]);
  });

  it('inserts rules at the top or after a given rule, and removes them', () => {
    const first = insert({ firewall: { ingress_rules: [kafkaRule] } });
    expect(first.status).toBe(200);
    const firstId = first.body.firewall.ingress_rules[0].id as string;
    expect(first.body.firewall.ingress_rules[0]).toMatchObject({
      action: 'allow',
      protocol: 'tcp',
      ip_version: 4,
      source_ip_address: '198.19.128.0/17',
      destination_port: '9011',
      enabled: true,
    });
    const top = insert({ firewall: { ingress_rules: [{ ...kafkaRule, name: 'top' }] } });
    expect(top.body.firewall.ingress_rules.map((r: any) => r.name)).toEqual(['top', 'kvl-vpcep-9011']);
    const after = insert({
      firewall: { ingress_rules: [{ ...kafkaRule, name: 'after' }], insert_after_rule: firstId },
    });
    expect(after.body.firewall.ingress_rules.map((r: any) => r.name)).toEqual([
      'top',
      'kvl-vpcep-9011',
      'after',
    ]);

    const shown = h.call({ method: 'GET', path: `${FIREWALLS}/${h.seed.networkAclId}` });
    expect(shown.body.firewall.ingress_rules).toHaveLength(3);

    const removed = h.call({
      method: 'PUT',
      path: `${FIREWALLS}/${h.seed.networkAclId}/remove-rules`,
      body: { firewall: { ingress_rules: [{ id: firstId }] } },
    });
    expect(removed.status).toBe(200);
    expect(removed.body.firewall.ingress_rules.map((r: any) => r.name)).toEqual(['top', 'after']);
    expectError(
      h.call({
        method: 'PUT',
        path: `${FIREWALLS}/${h.seed.networkAclId}/remove-rules`,
        body: { firewall: { ingress_rules: [{ id: firstId }] } },
      }),
      404,
      'VPC.9904',
    );
  });

  it.each([
    ['a missing action', { ...kafkaRule, action: undefined }],
    ['a bad protocol', { ...kafkaRule, protocol: 'gre-ish' }],
    ['a bad ip_version', { ...kafkaRule, ip_version: 5 }],
    ['a bad source address', { ...kafkaRule, source_ip_address: '198.19.128.0/40' }],
    ['a port on icmp', { ...kafkaRule, protocol: 'icmp' }],
    ['a bad port', { ...kafkaRule, destination_port: '0' }],
  ])('rejects %s with 400', (_name, rule) => {
    const res = insert({ firewall: { ingress_rules: [rule] } });
    expect(res.status).toBe(400);
    expect(h.world.networkAcls[0]!.ingressRules).toHaveLength(0);
  });

  it('answers an unknown ACL or insert_after_rule with 404 VPC.9904', () => {
    expectError(h.call({ method: 'GET', path: `${FIREWALLS}/nope` }), 404, 'VPC.9904');
    expectError(insert({ firewall: { ingress_rules: [kafkaRule] } }, 'nope'), 404, 'VPC.9904');
    expectError(
      insert({ firewall: { ingress_rules: [kafkaRule], insert_after_rule: 'nope' } }),
      404,
      'VPC.9904',
    );
  });
});
