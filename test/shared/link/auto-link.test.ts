/**
 * The auto-link decision for a new Kafka instance (shared/link/auto-link.ts): which CTS traces count,
 * and tags first, then the configured policy, else nothing.
 */
import { describe, expect, it } from 'vitest';
import {
  createClock,
  createIdFactory,
  createWorld,
  kafkaCreatedTrace,
  seedDefaultWorld,
} from '../../../local/cloud/index.js';
import { CtsTraceSchema } from '../../../shared/events/envelopes.js';
import {
  type AutoLinkInstance,
  type CreatedTraceFields,
  checkInstanceCreatedTrace,
  decideAutoLink,
} from '../../../shared/link/auto-link.js';
import { TAG } from '../../../shared/link/tags.js';
import {
  AutoLinkPolicySchema,
  type AutoLinkRule,
  matchAutoLinkRule,
} from '../../../shared/runtime/config.js';

const trace = (overrides: Partial<CreatedTraceFields> = {}): CreatedTraceFields => ({
  service_type: 'DMS',
  resource_type: 'kafka',
  trace_name: 'createDMSInstanceTaskSuccess',
  trace_status: 'normal',
  resource_id: '2a9b6c1d-3e4f-5a6b-7c8d-9e0f1a2b3c4d',
  ...overrides,
});

const instance = (overrides: Partial<AutoLinkInstance> = {}): AutoLinkInstance => ({
  instanceId: 'kafka-1',
  name: 'team-a-orders',
  enterpriseProjectId: '0',
  tags: [],
  ...overrides,
});

const policy: AutoLinkRule[] = AutoLinkPolicySchema.parse([
  { namePattern: 'team-a-*', client: { vpcId: 'vpc-a', subnetId: 'subnet-a' } },
  { enterpriseProjectId: 'ep-b', client: { vpcId: 'vpc-b', subnetId: 'subnet-b', domainId: 'partner' } },
]);
const byPolicy = (rules: readonly AutoLinkRule[]) => (i: { name: string; enterpriseProjectId?: string }) =>
  matchAutoLinkRule(rules, i);

describe('checkInstanceCreatedTrace', () => {
  it('accepts the emulator’s trace for a finished creation (the shape of reference §2.5)', () => {
    const world = createWorld();
    const ids = createIdFactory(7);
    const clock = createClock({ speed: 0, start: 1_764_050_000_000 });
    seedDefaultWorld(world, clock, ids);
    const created = CtsTraceSchema.parse(
      kafkaCreatedTrace(world, world.kafkaInstances[0]!, clock.now(), ids),
    );

    expect(checkInstanceCreatedTrace(created)).toEqual({
      relevant: true,
      instanceId: world.kafkaInstances[0]!.instanceId,
    });
  });

  it('accepts service and resource types in any case', () => {
    expect(checkInstanceCreatedTrace(trace({ service_type: 'dms', resource_type: 'KAFKA' })).relevant).toBe(
      true,
    );
  });

  const refused: Array<[string, Partial<CreatedTraceFields>, RegExp]> = [
    ['another service', { service_type: 'RabbitMQ' }, /service_type is RabbitMQ/],
    ['another resource type', { resource_type: 'rabbitmq' }, /resource_type is rabbitmq/],
    ['a failed creation', { trace_name: 'createDMSInstanceTaskFailure' }, /trace_name/],
    ['only the order of a yearly instance', { trace_name: 'createDMSInstanceOrderSuccess' }, /trace_name/],
    ['a trace that is not normal', { trace_status: 'warning' }, /trace_status is warning/],
    ['a trace without a status', { trace_status: undefined }, /trace_status is \(missing\)/],
    ['no resource id', { resource_id: null }, /resource_id/],
    ['a resource id that would change a URL', { resource_id: '../instances' }, /resource_id/],
  ];
  for (const [name, overrides, reason] of refused) {
    it(`ignores ${name}`, () => {
      const check = checkInstanceCreatedTrace(trace(overrides));

      expect(check.relevant).toBe(false);
      expect(!check.relevant && check.reason).toMatch(reason);
    });
  }
});

describe('decideAutoLink', () => {
  it('links an instance whose tags declare a client, with the options its tags set', () => {
    const tagged = instance({
      name: 'unrelated',
      tags: [
        { key: TAG.clientVpc, value: 'vpc-t' },
        { key: TAG.clientSubnet, value: 'subnet-t' },
        { key: TAG.securityGroupRule, value: 'off' },
      ],
    });

    const decision = decideAutoLink(tagged, byPolicy(policy));

    expect(decision).toEqual({
      link: true,
      source: 'tags',
      request: {
        instanceId: 'kafka-1',
        client: { vpcId: 'vpc-t', subnetId: 'subnet-t' },
        options: { securityGroupRule: false, networkAclRule: false },
      },
    });
  });

  it('prefers the instance’s tags over a matching policy rule', () => {
    const tagged = instance({
      tags: [
        { key: TAG.clientVpc, value: 'vpc-t' },
        { key: TAG.clientSubnet, value: 'subnet-t' },
      ],
    });

    const decision = decideAutoLink(tagged, byPolicy(policy));

    expect(decision.link && decision.source).toBe('tags');
    expect(decision.link && decision.request.client.vpcId).toBe('vpc-t');
  });

  it('refuses half a declaration instead of falling back on the policy', () => {
    const half = instance({ tags: [{ key: TAG.clientVpc, value: 'vpc-t' }] });

    const decision = decideAutoLink(half, byPolicy(policy));

    expect(decision).toEqual({ link: false, reason: expect.stringMatching(/without kvl-client-subnet/) });
  });

  it('links by policy when the instance name matches a rule', () => {
    const decision = decideAutoLink(instance(), byPolicy(policy));

    expect(decision).toMatchObject({
      link: true,
      source: 'policy',
      request: {
        instanceId: 'kafka-1',
        client: { vpcId: 'vpc-a', subnetId: 'subnet-a' },
        options: { securityGroupRule: true },
      },
    });
  });

  it('links by policy when the enterprise project matches a rule', () => {
    const decision = decideAutoLink(
      instance({ name: 'payments', enterpriseProjectId: 'ep-b' }),
      byPolicy(policy),
    );

    expect(decision.link && decision.request.client).toEqual({
      vpcId: 'vpc-b',
      subnetId: 'subnet-b',
      domainId: 'partner',
    });
  });

  it('requires every criterion of a rule to match', () => {
    const both = AutoLinkPolicySchema.parse([
      { namePattern: 'team-a-*', enterpriseProjectId: 'ep-a', client: { vpcId: 'v', subnetId: 's' } },
    ]);

    const decision = decideAutoLink(instance({ enterpriseProjectId: 'ep-other' }), byPolicy(both));

    expect(decision.link).toBe(false);
  });

  it('does nothing for an instance that matches neither tags nor policy', () => {
    const decision = decideAutoLink(
      instance({ name: 'payments', enterpriseProjectId: '0' }),
      byPolicy(policy),
    );

    expect(decision).toEqual({
      link: false,
      reason: expect.stringMatching(/no auto-link policy rule matches/),
    });
  });

  it('does nothing without a policy', () => {
    expect(decideAutoLink(instance(), byPolicy([])).link).toBe(false);
  });
});
