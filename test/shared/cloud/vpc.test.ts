import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CloudApiError, NotFoundError } from '../../../shared/cloud/errors.js';
import type { CreateSecurityGroupRuleInput, VpcClient } from '../../../shared/cloud/types.js';
import { InvalidIdError, PaginationError } from '../../../shared/cloud/validate.js';
import { createVpcClient, parseExistingRuleId } from '../../../shared/cloud/vpc.js';
import {
  cloudHttpFor,
  expectSigned,
  type FakeApiServer,
  PROJECT_ID,
  readFixture,
  startFakeApiServer,
} from '../../helpers/fake-api-server.js';

const RULES = `/v3/${PROJECT_ID}/vpc/security-group-rules`;
const FIREWALLS = `/v3/${PROJECT_ID}/vpc/firewalls`;
const RULE_ID = 'f626eb24-d8bd-4d26-ae0b-c16bb65730cb';

const kafkaRule: CreateSecurityGroupRuleInput = {
  securityGroupId: 'sg-1',
  direction: 'ingress',
  ethertype: 'IPv4',
  protocol: 'tcp',
  multiport: '9011',
  remoteIpPrefix: '198.19.128.0/17',
  action: 'allow',
  priority: 1,
  description: 'kvl: VPCEP to Kafka cross-VPC listener',
};

const ruleWire = (id: string, overrides: Record<string, unknown> = {}) => ({
  id,
  security_group_id: 'sg-1',
  direction: 'ingress',
  protocol: 'tcp',
  ethertype: 'IPv4',
  multiport: 9011,
  remote_ip_prefix: '198.19.128.0/17',
  action: 'allow',
  priority: 1,
  remote_group_id: null,
  remote_address_group_id: null,
  ...overrides,
});

describe('VPC client', () => {
  let server: FakeApiServer;
  let vpc: VpcClient;

  beforeAll(async () => {
    server = await startFakeApiServer();
  });
  afterAll(async () => {
    await server.stop();
  });
  beforeEach(() => {
    server.reset();
    vpc = createVpcClient(cloudHttpFor(server, 'vpc'));
  });

  describe('security group rules', () => {
    it('creates a v3 rule (201) with multiport as a string', async () => {
      server.on('POST', RULES, {
        status: 201,
        body: readFixture('vpc-v3-create-sg-rule.response.json').body,
      });

      const result = await vpc.createSecurityGroupRule(kafkaRule);

      const [request] = server.requests;
      expect(request?.path).toBe(RULES);
      expectSigned(request);
      expect(request?.json()).toEqual({
        security_group_rule: {
          security_group_id: 'sg-1',
          direction: 'ingress',
          ethertype: 'IPv4',
          protocol: 'tcp',
          multiport: '9011',
          remote_ip_prefix: '198.19.128.0/17',
          action: 'allow',
          priority: 1,
          description: 'kvl: VPCEP to Kafka cross-VPC listener',
        },
      });
      expect(result).toEqual({ ruleId: RULE_ID, created: true });
    });

    it('adopts the existing rule named by a 409 VPC.9902', async () => {
      server.on('POST', RULES, {
        status: 409,
        body: { code: 'VPC.9902', message: `Security group rule already exists. Rule id is ${RULE_ID}.` },
      });

      const result = await vpc.createSecurityGroupRule(kafkaRule);

      expect(result).toEqual({ ruleId: RULE_ID, created: false });
      expect(server.requests).toHaveLength(1);
    });

    it('finds the duplicate by listing when the 409 message carries no id', async () => {
      server.on('POST', RULES, {
        status: 409,
        body: { code: 'VPC.9902', message: 'Security group rule already exists.' },
      });
      server.on('GET', RULES, {
        body: {
          security_group_rules: [ruleWire('other', { multiport: '22' }), ruleWire('the-one')],
        },
      });

      const result = await vpc.createSecurityGroupRule(kafkaRule);

      expect(result).toEqual({ ruleId: 'the-one', created: false });
      expect(server.calls('GET', RULES)[0]?.query.get('remote_ip_prefix')).toBe('198.19.128.0/17');
    });

    it('does not treat a 400 VPC.9902 (bad ethertype) as already existing', async () => {
      server.on('POST', RULES, { status: 400, body: { code: 'VPC.9902', message: 'Invalid ethertype.' } });

      const error = await vpc.createSecurityGroupRule(kafkaRule).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(CloudApiError);
      expect(error).toMatchObject({ code: 'VPC.9902', httpStatus: 400 });
    });

    it.each([
      [`Security group rule already exists. Rule id is ${RULE_ID}.`, RULE_ID],
      ['security group rule already exists. rule id is abc_123', 'abc_123'],
      ['Security group rule already exists.', undefined],
    ])('parses the rule id from %j', (message, expected) => {
      expect(parseExistingRuleId(message)).toBe(expected);
    });

    it('lists rules with filters, following next_marker', async () => {
      server.on('GET', RULES, (request) =>
        request.query.get('marker') === null
          ? {
              body: {
                security_group_rules: [ruleWire('r1')],
                page_info: { next_marker: 'r1', current_count: 1 },
              },
            }
          : { body: { security_group_rules: [ruleWire('r2', { multiport: '9011', priority: '5' })] } },
      );

      const rules = await vpc.listSecurityGroupRules({
        securityGroupId: 'sg-1',
        direction: 'ingress',
        protocol: 'tcp',
        remoteIpPrefix: '198.19.128.0/17',
      });

      expect(rules.map((r) => r.id)).toEqual(['r1', 'r2']);
      expect(rules[0]).toEqual({
        id: 'r1',
        securityGroupId: 'sg-1',
        direction: 'ingress',
        ethertype: 'IPv4',
        protocol: 'tcp',
        multiport: '9011',
        remoteIpPrefix: '198.19.128.0/17',
        action: 'allow',
        priority: 1,
      });
      expect(rules[1]?.priority).toBe(5);
      expect(server.requests).toHaveLength(2);
      const [first, second] = server.requests;
      expect(first?.query.get('security_group_id')).toBe('sg-1');
      expect(first?.query.get('direction')).toBe('ingress');
      expect(first?.query.get('protocol')).toBe('tcp');
      expect(first?.query.has('marker')).toBe(false);
      // limit 0–2000 [GSDK model_list_security_group_rules_request.go].
      expect(first?.query.get('limit')).toBe('2000');
      expect(second?.query.get('marker')).toBe('r1');
      expectSigned(second);
    });

    it('fails instead of looping when the server repeats a marker', async () => {
      server.on('GET', RULES, {
        body: { security_group_rules: [ruleWire('r1')], page_info: { next_marker: 'r1' } },
      });

      await expect(vpc.listSecurityGroupRules({ securityGroupId: 'sg-1' })).rejects.toBeInstanceOf(
        PaginationError,
      );
      expect(server.requests).toHaveLength(2);
    });

    it('deletes a rule (204) and ignores a 404', async () => {
      server.on('DELETE', `${RULES}/r1`, { status: 204 });
      server.on('DELETE', `${RULES}/r2`, {
        status: 404,
        body: { code: 'VPC.9904', message: 'Rule not found.' },
      });

      await vpc.deleteSecurityGroupRule('r1');
      await vpc.deleteSecurityGroupRule('r2');

      expect(server.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
        `DELETE ${RULES}/r1`,
        `DELETE ${RULES}/r2`,
      ]);
    });

    it('rethrows other delete failures', async () => {
      server.on('DELETE', `${RULES}/r1`, { status: 403, body: { code: 'VPC.0003', message: 'Forbidden' } });

      await expect(vpc.deleteSecurityGroupRule('r1')).rejects.toMatchObject({ code: 'VPC.0003' });
    });

    it('refuses an unsafe security group id', async () => {
      await expect(vpc.listSecurityGroupRules({ securityGroupId: 'sg-1&limit=1' })).rejects.toBeInstanceOf(
        InvalidIdError,
      );
      expect(server.requests).toHaveLength(0);
    });
  });

  describe('subnets', () => {
    it('reads a subnet', async () => {
      server.on('GET', `/v1/${PROJECT_ID}/subnets/subnet-1`, {
        body: {
          subnet: {
            id: 'subnet-1',
            name: 'client',
            cidr: '172.16.5.0/24',
            vpc_id: 'vpc-client',
            status: 'ACTIVE',
            gateway_ip: '172.16.5.1',
          },
        },
      });

      const subnet = await vpc.getSubnet('subnet-1');

      expectSigned(server.requests[0]);
      expect(subnet).toEqual({
        id: 'subnet-1',
        vpcId: 'vpc-client',
        cidr: '172.16.5.0/24',
        name: 'client',
        status: 'ACTIVE',
      });
    });

    it('maps an unknown subnet to NotFoundError', async () => {
      server.on('GET', `/v1/${PROJECT_ID}/subnets/nope`, {
        status: 404,
        body: { code: 'VPC.0202', message: 'Subnet not found' },
      });

      await expect(vpc.getSubnet('nope')).rejects.toBeInstanceOf(NotFoundError);
    });
  });

  describe('network ACLs', () => {
    it('lists ACLs over marker pages and reads every ACL for its rules (list items carry none)', async () => {
      server.on('GET', FIREWALLS, (request) =>
        request.query.get('marker') === null
          ? {
              body: {
                firewalls: [
                  {
                    id: 'acl-1',
                    name: 'kafka',
                    associations: [{ virsubnet_id: 'subnet-1' }],
                    ingress_rules: [{ id: 'in-1', name: 'kvl-9011' }],
                  },
                ],
                page_info: { next_marker: 'acl-1' },
              },
            }
          : { body: { firewalls: [{ id: 'acl-2', associations: [] }], page_info: {} } },
      );
      // ListFirewallDetail has no rule arrays: whatever a list item carries is not the ACL's rules.
      server.on('GET', `${FIREWALLS}/acl-1`, {
        body: {
          firewall: {
            id: 'acl-1',
            name: 'kafka',
            associations: [{ virsubnet_id: 'subnet-1' }],
            ingress_rules: [
              { id: 'in-0', name: 'allow-ssh' },
              { id: 'in-1', name: 'kvl-9011' },
            ],
          },
        },
      });
      server.on('GET', `${FIREWALLS}/acl-2`, {
        body: {
          firewall: { id: 'acl-2', associations: [], ingress_rules: [{ id: 'in-9', description: 'x' }] },
        },
      });

      const acls = await vpc.listNetworkAcls();

      expect(acls).toEqual([
        {
          id: 'acl-1',
          name: 'kafka',
          subnetIds: ['subnet-1'],
          ingressRules: [
            { id: 'in-0', name: 'allow-ssh' },
            { id: 'in-1', name: 'kvl-9011' },
          ],
        },
        { id: 'acl-2', subnetIds: [], ingressRules: [{ id: 'in-9', description: 'x' }] },
      ]);
      expect(server.requests.map((r) => `${r.path}?${r.rawQuery}`).sort()).toEqual(
        [
          `${FIREWALLS}?limit=2000`,
          `${FIREWALLS}?limit=2000&marker=acl-1`,
          `${FIREWALLS}/acl-1?`,
          `${FIREWALLS}/acl-2?`,
        ].sort(),
      );
    });

    it('inserts ingress rules and returns the ids of the inserted ones', async () => {
      server.on('PUT', `${FIREWALLS}/acl-1/insert-rules`, {
        body: {
          firewall: {
            id: 'acl-1',
            ingress_rules: [
              { id: 'new-1', name: 'kvl-9011-vpcep' },
              { id: 'new-2', name: 'kvl-9011-subnet' },
              { id: 'old-1', name: 'allow-ssh' },
            ],
          },
        },
      });

      const ids = await vpc.insertNetworkAclRules('acl-1', [
        {
          action: 'allow',
          protocol: 'tcp',
          ipVersion: 4,
          sourceIpAddress: '198.19.128.0/17',
          destinationPort: '9011',
          name: 'kvl-9011-vpcep',
        },
        {
          action: 'allow',
          protocol: 'tcp',
          ipVersion: 4,
          sourceIpAddress: '172.16.5.0/24',
          destinationPort: '9011',
          name: 'kvl-9011-subnet',
        },
      ]);

      expect(ids).toEqual(['new-1', 'new-2']);
      expectSigned(server.requests[0]);
      expect(server.requests[0]?.json()).toEqual({
        firewall: {
          ingress_rules: [
            {
              action: 'allow',
              protocol: 'tcp',
              ip_version: 4,
              source_ip_address: '198.19.128.0/17',
              destination_port: '9011',
              name: 'kvl-9011-vpcep',
            },
            {
              action: 'allow',
              protocol: 'tcp',
              ip_version: 4,
              source_ip_address: '172.16.5.0/24',
              destination_port: '9011',
              name: 'kvl-9011-subnet',
            },
          ],
        },
      });
    });

    it('removes ingress rules by id', async () => {
      server.on('PUT', `${FIREWALLS}/acl-1/remove-rules`, {
        body: { firewall: { id: 'acl-1', ingress_rules: [] } },
      });

      await vpc.removeNetworkAclRules('acl-1', ['new-1', 'new-2']);

      expect(server.requests[0]?.body.toString()).toBe(
        '{"firewall":{"ingress_rules":[{"id":"new-1"},{"id":"new-2"}]}}',
      );
    });
  });
});
