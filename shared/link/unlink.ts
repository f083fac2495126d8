/**
 * The reverse of a link: restore the advertised map first (clients must never be pointed at an
 * endpoint that is about to disappear), delete the endpoints and wait until they are gone, delete
 * the services, drop only the rules this project added, and remove the desired-state tags.
 * Safe on a half-linked instance and on an instance that no longer exists; idempotent.
 */
import { NotFoundError } from '../cloud/errors.js';
import type { KafkaInstance, Tag } from '../cloud/types.js';
import { type Budget, type LinkDeps, pollUntil } from './deps.js';
import { originalAdvertisedOf } from './desired.js';
import { InstanceNotFoundError, LinkNotReadyError } from './errors.js';
import { runningInstance } from './instance.js';
import { advertisesExactly, restoreMap } from './mapping.js';
import { TAG, tagValue } from './tags.js';

export const STEP_UNLINK = 'unlink';

export interface UnlinkResult {
  instanceId: string;
  restoredAdvertised: boolean;
  deleted: { endpoints: number; services: number; securityGroupRule: boolean; networkAclRule: boolean };
}

export async function unlink(deps: LinkDeps, instanceId: string, budget: Budget): Promise<UnlinkResult> {
  const instance = await findInstance(deps, instanceId, budget);
  let restoredAdvertised = false;
  if (instance && instance.listeners.length > 0) {
    const map = restoreMap(instance.listeners, originalAdvertisedOf(instance));
    if (!advertisesExactly(instance.listeners, map)) {
      deps.logger.info('restoring advertised map', { instanceId, map });
      await deps.dms.modifyCrossVpc(instanceId, map);
      restoredAdvertised = true;
    }
  }

  const query = { tags: [{ key: TAG.instance, values: [instanceId] }] };
  const [taggedServices, taggedEndpoints] = await Promise.all([
    deps.vpcep.queryResourcesByTags('endpoint_service', query),
    deps.vpcep.queryResourcesByTags('endpoint', query),
  ]);
  const serviceIds = new Set(taggedServices.map((s) => s.resourceId));
  // Endpoints of our services must go before the services can (EndPoint.3006).
  const endpointIds = new Set(taggedEndpoints.map((e) => e.resourceId));
  if (serviceIds.size > 0) {
    for (const endpoint of await deps.vpcep.listEndpoints()) {
      if (
        serviceIds.has(endpoint.endpointServiceId) &&
        tagValue(endpoint.tags, TAG.instance) === instanceId
      ) {
        endpointIds.add(endpoint.id);
      }
    }
  }

  for (const id of endpointIds) await ignoreNotFound(() => deps.vpcep.deleteEndpoint(id));
  const gone = await pollUntil(deps, budget, async () => {
    const left = (await deps.vpcep.listEndpoints()).filter((e) => endpointIds.has(e.id));
    return left.length === 0 ? true : undefined;
  });
  if (!gone) throw new LinkNotReadyError(STEP_UNLINK, `endpoints of ${instanceId} are still being deleted`);
  for (const id of serviceIds) await ignoreNotFound(() => deps.vpcep.deleteEndpointService(id));

  let securityGroupRule = false;
  let networkAclRule = false;
  if (instance) {
    const ruleId = tagValue(instance.tags, TAG.securityGroupRuleId);
    if (ruleId) {
      await deps.vpc.deleteSecurityGroupRule(ruleId);
      securityGroupRule = true;
    }
    const aclId = tagValue(instance.tags, TAG.networkAclId);
    const aclRuleId = tagValue(instance.tags, TAG.networkAclRuleId);
    if (aclId && aclRuleId) {
      await ignoreNotFound(() => deps.vpc.removeNetworkAclRules(aclId, [aclRuleId]));
      networkAclRule = true;
    }
    const ours: Tag[] = instance.tags.filter((t) => t.key.startsWith('kvl-'));
    if (ours.length > 0) await deps.dms.deleteInstanceTags(instanceId, ours);
  }

  return {
    instanceId,
    restoredAdvertised,
    deleted: { endpoints: endpointIds.size, services: serviceIds.size, securityGroupRule, networkAclRule },
  };
}

async function findInstance(
  deps: LinkDeps,
  instanceId: string,
  budget: Budget,
): Promise<KafkaInstance | undefined> {
  try {
    // Restoring the map needs a RUNNING instance; a transient status is waited out.
    return await runningInstance(deps, instanceId, STEP_UNLINK, budget);
  } catch (error) {
    if (error instanceof InstanceNotFoundError) {
      deps.logger.info('instance is gone; removing its endpoints and services only', { instanceId });
      return undefined;
    }
    throw error;
  }
}

async function ignoreNotFound(action: () => Promise<void>): Promise<void> {
  try {
    await action();
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
  }
}
