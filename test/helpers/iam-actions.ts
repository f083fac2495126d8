/**
 * Each cloud API the functions may call → the IAM action it needs and that action's dependent actions
 * (IAM grants an action only with its dependencies). Read by test/deploy/iam-policy.test.ts (the policy
 * holds exactly these) and by the deploy e2e test (every call the deployed functions made is mapped).
 *
 * Sources (Huawei API reference, "Permissions Policies and Supported Actions"):
 * - DMS for Kafka, VPC, SMN: their API references' permission tables (no dependent action for the
 *   actions below).
 * - VPCEP services: https://support.huaweicloud.com/intl/en-us/api-vpcep/vpcep_07_0002.html
 *   (vpcep:epservices:create depends on vpc:vpcs:get/list, elb:loadbalancers:list/get,
 *   ecs:servers:list/get, bms:servers:list/get; cited in issue #12)
 * - VPCEP endpoints: https://support.huaweicloud.com/intl/en-us/tr-central-201-api-vpcep/vpcep_07_0003.html
 *   (create/list/get/delete: no dependent action)
 */

export interface OperationPermission {
  readonly method: string;
  readonly path: RegExp;
  readonly action: string;
  readonly dependsOn?: readonly string[];
  /** false: the client can call it but no function does today, so the policy leaves it out. */
  readonly called?: false;
}

const EPSERVICE_CREATE_DEPENDENCIES = [
  'vpc:vpcs:get',
  'vpc:vpcs:list',
  'elb:loadbalancers:list',
  'elb:loadbalancers:get',
  'ecs:servers:list',
  'ecs:servers:get',
  'bms:servers:list',
  'bms:servers:get',
] as const;

export const OPERATIONS: readonly OperationPermission[] = [
  { method: 'GET', path: /^\/v2\/[^/]+\/instances$/, action: 'dms:instance:list' },
  { method: 'GET', path: /^\/v2\/[^/]+\/instances\/[^/]+$/, action: 'dms:instance:get' },
  {
    method: 'POST',
    path: /^\/v2\/[^/]+\/instances\/[^/]+\/crossvpc\/modify$/,
    action: 'dms:instance:modify',
  },
  { method: 'GET', path: /^\/v2\/[^/]+\/kafka\/[^/]+\/tags$/, action: 'dms:instance:get' },
  { method: 'POST', path: /^\/v2\/[^/]+\/kafka\/[^/]+\/tags\/action$/, action: 'dms:instance:modify' },
  {
    method: 'POST',
    path: /^\/v1\/[^/]+\/vpc-endpoint-services$/,
    action: 'vpcep:epservices:create',
    dependsOn: EPSERVICE_CREATE_DEPENDENCIES,
  },
  { method: 'GET', path: /^\/v1\/[^/]+\/vpc-endpoint-services$/, action: 'vpcep:epservices:list' },
  {
    method: 'GET',
    path: /^\/v1\/[^/]+\/vpc-endpoint-services\/[^/]+$/,
    action: 'vpcep:epservices:get',
    called: false,
  },
  {
    method: 'DELETE',
    path: /^\/v1\/[^/]+\/vpc-endpoint-services\/[^/]+$/,
    action: 'vpcep:epservices:delete',
  },
  {
    method: 'GET',
    path: /^\/v1\/[^/]+\/vpc-endpoint-services\/[^/]+\/permissions$/,
    action: 'vpcep:permissions:list',
  },
  {
    method: 'POST',
    path: /^\/v1\/[^/]+\/vpc-endpoint-services\/[^/]+\/permissions\/action$/,
    action: 'vpcep:permissions:update',
  },
  {
    method: 'GET',
    path: /^\/v1\/[^/]+\/vpc-endpoint-services\/[^/]+\/connections$/,
    action: 'vpcep:connections:list',
    called: false,
  },
  { method: 'POST', path: /^\/v1\/[^/]+\/vpc-endpoints$/, action: 'vpcep:endpoints:create' },
  { method: 'GET', path: /^\/v1\/[^/]+\/vpc-endpoints$/, action: 'vpcep:endpoints:list' },
  {
    method: 'GET',
    path: /^\/v1\/[^/]+\/vpc-endpoints\/[^/]+$/,
    action: 'vpcep:endpoints:get',
    called: false,
  },
  { method: 'DELETE', path: /^\/v1\/[^/]+\/vpc-endpoints\/[^/]+$/, action: 'vpcep:endpoints:delete' },
  {
    method: 'POST',
    path: /^\/v1\/[^/]+\/(endpoint_service|endpoint)\/[^/]+\/tags\/action$/,
    action: 'vpcep:tags:update',
  },
  {
    method: 'POST',
    path: /^\/v1\/[^/]+\/(endpoint_service|endpoint)\/resource_instances\/action$/,
    action: 'vpcep:resource:list',
  },
  { method: 'GET', path: /^\/v1\/[^/]+\/quotas$/, action: 'vpcep:quotas:get' },
  { method: 'GET', path: /^\/v3\/[^/]+\/vpc\/security-group-rules$/, action: 'vpc:securityGroupRules:get' },
  {
    method: 'POST',
    path: /^\/v3\/[^/]+\/vpc\/security-group-rules$/,
    action: 'vpc:securityGroupRules:create',
  },
  {
    method: 'DELETE',
    path: /^\/v3\/[^/]+\/vpc\/security-group-rules\/[^/]+$/,
    action: 'vpc:securityGroupRules:delete',
  },
  { method: 'GET', path: /^\/v1\/[^/]+\/subnets\/[^/]+$/, action: 'vpc:subnets:get' },
  { method: 'GET', path: /^\/v3\/[^/]+\/vpc\/firewalls$/, action: 'vpc:firewalls:list' },
  // listNetworkAcls reads an ACL by id when the list comes without its rules.
  { method: 'GET', path: /^\/v3\/[^/]+\/vpc\/firewalls\/[^/]+$/, action: 'vpc:firewalls:get' },
  {
    method: 'PUT',
    path: /^\/v3\/[^/]+\/vpc\/firewalls\/[^/]+\/(insert|remove)-rules$/,
    action: 'vpc:firewalls:update',
  },
  {
    method: 'POST',
    path: /^\/v2\/[^/]+\/notifications\/topics\/[^/]+\/publish$/,
    action: 'smn:topic:publish',
  },
];

export function operationFor(method: string, path: string): OperationPermission | undefined {
  return OPERATIONS.find((op) => op.method === method && op.path.test(path));
}

/** Actions the policy must hold: each called operation's action and its dependent actions. */
export function requiredActions(): Set<string> {
  return new Set(
    OPERATIONS.filter((op) => op.called !== false).flatMap((op) => [op.action, ...(op.dependsOn ?? [])]),
  );
}

export interface IamPolicy {
  Version: string;
  Statement: Array<{ Effect: string; Action: string[] }>;
}
