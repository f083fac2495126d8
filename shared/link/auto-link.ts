/**
 * Automatic links for new Kafka instances: what to do when CTS reports that an instance finished
 * being created. The instance's own tags win (setting `kvl-client-vpc`/`-subnet` at creation is the
 * visible, per-instance opt-in); else the configured auto-link policy may name a client for it; else
 * nothing happens. Plain functions: the handler reads the instance and publishes the request.
 */
import type { KafkaInstance } from '../cloud/types.js';
import { type ClientTarget, desiredLinkOf, type LinkRequest } from './desired.js';
import { TAG, tagValue } from './tags.js';

/** The one trace this automation acts on (reference functiongraph.md §2.5). */
export const INSTANCE_CREATED_TRACE = {
  serviceType: 'DMS',
  resourceType: 'kafka',
  traceName: 'createDMSInstanceTaskSuccess',
  traceStatus: 'normal',
} as const;

/** The trigger's own filter expression for it (serverless.yml). */
export const INSTANCE_CREATED_OPERATION = `${INSTANCE_CREATED_TRACE.serviceType}:${INSTANCE_CREATED_TRACE.resourceType}:${INSTANCE_CREATED_TRACE.traceName}`;

const INSTANCE_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** The fields of a CTS trace this decision reads. */
export interface CreatedTraceFields {
  service_type: string;
  resource_type: string;
  trace_name: string;
  trace_status?: string | null;
  resource_id?: string | null;
}

export type TraceCheck = { relevant: true; instanceId: string } | { relevant: false; reason: string };

/**
 * Re-checks what the trigger filter already selected: a misconfigured trigger (another operation, a
 * failed creation, a trace that is not `normal`) must not link anything.
 */
export function checkInstanceCreatedTrace(trace: CreatedTraceFields): TraceCheck {
  const expected = INSTANCE_CREATED_TRACE;
  // CTS spells service and resource types in varying case across services; trace names are exact.
  if (trace.service_type.toUpperCase() !== expected.serviceType) {
    return { relevant: false, reason: `service_type is ${trace.service_type}, not ${expected.serviceType}` };
  }
  if (trace.resource_type.toLowerCase() !== expected.resourceType) {
    return {
      relevant: false,
      reason: `resource_type is ${trace.resource_type}, not ${expected.resourceType}`,
    };
  }
  if (trace.trace_name !== expected.traceName) {
    return { relevant: false, reason: `trace_name is ${trace.trace_name}, not ${expected.traceName}` };
  }
  if ((trace.trace_status ?? '').toLowerCase() !== expected.traceStatus) {
    return {
      relevant: false,
      reason: `trace_status is ${trace.trace_status ?? '(missing)'}, not ${expected.traceStatus}`,
    };
  }
  const instanceId = trace.resource_id ?? '';
  if (!INSTANCE_ID.test(instanceId)) {
    return { relevant: false, reason: 'resource_id is not a Kafka instance id' };
  }
  return { relevant: true, instanceId };
}

/** A rule of the auto-link policy (shape of `KVL_AUTOLINK_POLICY` entries). */
export interface AutoLinkTarget {
  namePattern?: string;
  enterpriseProjectId?: string;
  client: ClientTarget;
}

export type AutoLinkDecision =
  | { link: true; source: 'tags' | 'policy'; request: LinkRequest; rule?: AutoLinkTarget }
  | { link: false; reason: string };

export type AutoLinkInstance = Pick<KafkaInstance, 'instanceId' | 'name' | 'tags' | 'enterpriseProjectId'>;

/**
 * Decides whether a new instance gets a link, and to which client. `policyFor` returns the policy
 * rule matching the instance, if any (config's `matchAutoLinkRule`); it is only asked when the
 * instance's tags say nothing.
 */
export function decideAutoLink(
  instance: AutoLinkInstance,
  policyFor: (instance: { name: string; enterpriseProjectId?: string }) => AutoLinkTarget | undefined,
): AutoLinkDecision {
  const declared = desiredLinkOf(instance);
  if (declared) {
    return {
      link: true,
      source: 'tags',
      request: {
        instanceId: instance.instanceId,
        client: declared.client,
        options: { securityGroupRule: declared.securityGroupRule, networkAclRule: declared.networkAclRule },
      },
    };
  }
  // Half a declaration is a mistake to surface, not a reason to fall back on the policy: the user
  // asked for this instance specifically, and a policy client might not be the one meant.
  const vpc = tagValue(instance.tags, TAG.clientVpc);
  const subnet = tagValue(instance.tags, TAG.clientSubnet);
  if (vpc || subnet) {
    const missing = vpc ? TAG.clientSubnet : TAG.clientVpc;
    return { link: false, reason: `the instance's tags declare a link without ${missing}` };
  }
  const rule = policyFor({
    name: instance.name,
    ...(instance.enterpriseProjectId !== undefined
      ? { enterpriseProjectId: instance.enterpriseProjectId }
      : {}),
  });
  if (rule) {
    return {
      link: true,
      source: 'policy',
      rule,
      request: { instanceId: instance.instanceId, client: rule.client, options: { securityGroupRule: true } },
    };
  }
  return {
    link: false,
    reason: `no ${TAG.clientVpc}/${TAG.clientSubnet} tags and no auto-link policy rule matches the instance`,
  };
}
