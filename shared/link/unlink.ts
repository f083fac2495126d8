/**
 * The reverse of a link: withdraw the desired state, restore the advertised map and wait until it is
 * committed (clients must never be pointed at an endpoint that is about to disappear), delete the
 * endpoints and wait until they are gone, delete the services, drop only the rules this project
 * added, and remove the rest of our tags.
 * Safe on a half-linked instance and on an instance that no longer exists; idempotent, and safe to
 * re-run after a crash between any two calls (what is left is an orphan that reconcile unlinks).
 */
import { EndpointBusyError, NotFoundError, ServiceInUseError } from '../cloud/errors.js';
import type { KafkaInstance, Tag } from '../cloud/types.js';
import { clientAccountOf, clientSide, declaredAccount } from './client-account.js';
import { type Budget, type LinkDepsFor, pollUntil } from './deps.js';
import { desiredLinkOf, originalAdvertisedOf } from './desired.js';
import { InstanceNotFoundError, LinkNotReadyError } from './errors.js';
import { runningInstance } from './instance.js';
import { advertisesExactly, restoreMap } from './mapping.js';
import { TAG, TAG_PREFIX, tagValue } from './tags.js';
import { ruleDescription, VPCEP_SERVICE_CIDR } from './vpcep-network.js';

/** The cloud operations this step calls: its function binds exactly these (LinkDepsFor). */
export type UnlinkDeps = LinkDepsFor<{
  dms: 'showInstance' | 'listInstances' | 'modifyCrossVpc' | 'createInstanceTags' | 'deleteInstanceTags';
  vpcep: 'listEndpointServices' | 'deleteEndpointService' | 'listEndpoints' | 'deleteEndpoint';
  vpc: 'listSecurityGroupRules' | 'deleteSecurityGroupRule' | 'removeNetworkAclRules';
}>;

export const STEP_UNLINK = 'unlink';

/** The tags that declare a link (removing them first is what says "no link wanted" to reconcile). */
const DESIRED_KEYS: ReadonlySet<string> = new Set([
  TAG.clientVpc,
  TAG.clientSubnet,
  TAG.clientDomain,
  TAG.clientAgency,
  TAG.securityGroupRule,
  TAG.networkAclRule,
]);

export interface UnlinkResult {
  instanceId: string;
  /** False when the Kafka instance does not exist (only leftovers of a link were looked for). */
  instanceFound: boolean;
  restoredAdvertised: boolean;
  /** What this run deleted itself (resources already being deleted are counted in `alreadyDeleting`). */
  deleted: { endpoints: number; services: number; securityGroupRule: boolean; networkAclRule: boolean };
  alreadyDeleting: { endpoints: number; services: number };
  /** Tags of ours removed from the instance (the desired state and the records of the link). */
  removedTags: number;
}

/** True when the run found nothing at all to undo. */
export function nothingUnlinked(result: UnlinkResult): boolean {
  const { deleted, alreadyDeleting } = result;
  return (
    !result.restoredAdvertised &&
    result.removedTags === 0 &&
    deleted.endpoints + deleted.services + alreadyDeleting.endpoints + alreadyDeleting.services === 0 &&
    !deleted.securityGroupRule &&
    !deleted.networkAclRule
  );
}

export async function unlink(deps: UnlinkDeps, instanceId: string, budget: Budget): Promise<UnlinkResult> {
  let instance = await findInstance(deps, instanceId, budget);
  // Read before step 1 removes it: where the client's endpoints are when the services do not say.
  const declared = instance ? declaredAccount(desiredLinkOf(instance)?.client) : undefined;

  // 1. Desired state first: from here on a crash leaves an orphan, which reconcile unlinks, rather
  //    than a declared link with missing parts, which reconcile would re-link.
  const instanceFound = instance !== undefined;
  let removedTags = 0;
  if (instance) {
    const desired = instance.tags.filter((t) => DESIRED_KEYS.has(t.key));
    if (desired.length > 0) await deps.dms.deleteInstanceTags(instanceId, desired);
    removedTags += desired.length;
  }

  // 2. The advertised map, committed before any endpoint goes.
  let restoredAdvertised = false;
  if (instance && instance.listeners.length > 0) {
    const map = restoreMap(instance.listeners, originalAdvertisedOf(instance));
    if (!advertisesExactly(instance.listeners, map)) {
      deps.logger.info('restoring advertised map', { instanceId, map });
      await deps.dms.modifyCrossVpc(instanceId, map);
      restoredAdvertised = true;
      instance = await waitForMap(deps, instanceId, map, budget);
    }
  }

  // 3. Endpoints (ours, and any other endpoint on our services: they block deleting the services).
  const services = (await deps.vpcep.listEndpointServices()).filter(
    (s) => tagValue(s.tags, TAG.instance) === instanceId,
  );
  const serviceIds = new Set(services.map((s) => s.id));
  // A cross-account link's endpoints live in the client's account: recorded on its services, else
  // declared on the instance (a crash after step 1 leaves only the services' record). The owner's
  // account is read as well: services whose record disagrees with where their endpoints are (two
  // requests for different clients racing, or a link made before services recorded the account)
  // must not keep the services from being deleted.
  const account = clientAccountOf(services) ?? declared;
  const sides = [deps.vpcep];
  if (account) sides.unshift((await clientSide(deps, account, STEP_UNLINK)).vpcep);
  const listed = async () =>
    (
      await Promise.all(
        sides.map(async (api) => (await api.listEndpoints()).map((endpoint) => ({ endpoint, api }))),
      )
    ).flat();
  const ours = (await listed()).filter(
    ({ endpoint: e }) => serviceIds.has(e.endpointServiceId) || tagValue(e.tags, TAG.instance) === instanceId,
  );
  const endpointIds = new Set(ours.map(({ endpoint }) => endpoint.id));
  const endpointsDeleted = new Set<string>();
  let left = ours;
  let first = true;
  const gone = await pollUntil(deps, budget, async () => {
    if (!first) left = (await listed()).filter(({ endpoint }) => endpointIds.has(endpoint.id));
    first = false;
    // One still being created cannot be deleted yet (EndpointBusyError): it is retried on a later poll.
    for (const { endpoint, api } of left) {
      if (endpoint.status !== 'deleting' && endpoint.status !== 'creating') {
        if (await deleteEndpointQuietly(api, endpoint.id)) endpointsDeleted.add(endpoint.id);
      }
    }
    return left.length === 0 ? true : undefined;
  });
  if (!gone) throw new LinkNotReadyError(STEP_UNLINK, `endpoints of ${instanceId} are still being deleted`);

  // 4. Services.
  let servicesDeleted = 0;
  for (const service of services) {
    if (service.status === 'deleting') continue;
    try {
      await deps.vpcep.deleteEndpointService(service.id);
      servicesDeleted++;
    } catch (error) {
      if (error instanceof NotFoundError) continue;
      // An endpoint appeared meanwhile (a link request raced this unlink): the retry removes it too.
      if (error instanceof ServiceInUseError) {
        throw new LinkNotReadyError(STEP_UNLINK, `endpoint service ${service.id} is still in use`, {
          cause: error,
        });
      }
      throw error;
    }
  }

  // 5. Rules, then the rest of our tags (they name the rules, so they go last).
  const securityGroupRule = await removeSecurityGroupRule(deps, instanceId, instance);
  let networkAclRule = false;
  if (instance) {
    const aclId = tagValue(instance.tags, TAG.networkAclId);
    const aclRuleId = tagValue(instance.tags, TAG.networkAclRuleId);
    if (aclId && aclRuleId) {
      await ignoreNotFound(() => deps.vpc.removeNetworkAclRules(aclId, [aclRuleId]));
      networkAclRule = true;
    }
    const ours: Tag[] = instance.tags.filter((t) => t.key.startsWith(TAG_PREFIX) && !DESIRED_KEYS.has(t.key));
    if (ours.length > 0) await deps.dms.deleteInstanceTags(instanceId, ours);
    removedTags += ours.length;
  }

  return {
    instanceId,
    instanceFound,
    restoredAdvertised,
    deleted: {
      endpoints: endpointsDeleted.size,
      services: servicesDeleted,
      securityGroupRule,
      networkAclRule,
    },
    alreadyDeleting: {
      endpoints: endpointIds.size - endpointsDeleted.size,
      services: services.length - servicesDeleted,
    },
    removedTags,
  };
}

async function findInstance(
  deps: UnlinkDeps,
  instanceId: string,
  budget: Budget,
): Promise<KafkaInstance | undefined> {
  try {
    // Restoring the map needs a RUNNING instance; a transient status is waited out.
    return await runningInstance(deps, instanceId, STEP_UNLINK, budget);
  } catch (error) {
    if (error instanceof InstanceNotFoundError) {
      deps.logger.info('instance is gone; removing its endpoints, services and rule only', { instanceId });
      return undefined;
    }
    throw error;
  }
}

/** A cross-VPC modify is a task: the new map shows only once the instance is RUNNING again. */
async function waitForMap(
  deps: UnlinkDeps,
  instanceId: string,
  map: Record<string, string>,
  budget: Budget,
): Promise<KafkaInstance> {
  const committed = await pollUntil(deps, budget, async () => {
    const current = await deps.dms.showInstance(instanceId);
    return current.status === 'RUNNING' && advertisesExactly(current.listeners, map) ? current : undefined;
  });
  if (!committed) {
    throw new LinkNotReadyError(
      STEP_UNLINK,
      `the restored advertised map of ${instanceId} is not committed yet`,
    );
  }
  return committed;
}

/** True when this call deleted the endpoint; false when it was gone or someone else is deleting it. */
async function deleteEndpointQuietly(vpcep: UnlinkDeps['vpcep'], endpointId: string): Promise<boolean> {
  try {
    await vpcep.deleteEndpoint(endpointId);
    return true;
  } catch (error) {
    if (error instanceof NotFoundError) return false;
    // Another unlink (or reconcile) got there first, or it is still being created: the next poll sees.
    if (error instanceof EndpointBusyError) return false;
    throw error;
  }
}

/**
 * Removes the security group rule this project added for the instance: the one recorded in its
 * `kvl-sg-rule-id` tag, or (instance deleted, or a crash before the tag was written) the one with
 * our description. A rule shared with another link on the same security group (the cloud refuses a
 * duplicate rule, so links share one) is kept and handed over to that link instead.
 */
async function removeSecurityGroupRule(
  deps: UnlinkDeps,
  instanceId: string,
  instance: KafkaInstance | undefined,
): Promise<boolean> {
  let ruleId = instance ? tagValue(instance.tags, TAG.securityGroupRuleId) : undefined;
  let securityGroupId = instance?.securityGroupId;
  if (!ruleId) {
    const rules = await deps.vpc.listSecurityGroupRules({
      direction: 'ingress',
      remoteIpPrefix: VPCEP_SERVICE_CIDR,
      ...(securityGroupId ? { securityGroupId } : {}),
    });
    const ours = rules.find((r) => r.description === ruleDescription(instanceId));
    ruleId = ours?.id;
    securityGroupId = ours?.securityGroupId;
  }
  if (!ruleId) return false;

  const sharing = securityGroupId
    ? (await deps.dms.listInstances()).filter(
        (other) =>
          other.instanceId !== instanceId &&
          other.securityGroupId === securityGroupId &&
          desiredLinkOf(other)?.securityGroupRule === true,
      )
    : [];
  if (sharing.length > 0) {
    const heir = sharing.find((o) => tagValue(o.tags, TAG.securityGroupRuleId) === ruleId) ?? sharing[0]!;
    deps.logger.info('security group rule kept: another link uses it', {
      instanceId,
      ruleId,
      heir: heir.instanceId,
    });
    if (tagValue(heir.tags, TAG.securityGroupRuleId) !== ruleId) {
      await deps.dms.createInstanceTags(heir.instanceId, [{ key: TAG.securityGroupRuleId, value: ruleId }]);
    }
    return false;
  }
  await deps.vpc.deleteSecurityGroupRule(ruleId);
  return true;
}

async function ignoreNotFound(action: () => Promise<void>): Promise<void> {
  try {
    await action();
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
  }
}
