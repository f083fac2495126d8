/**
 * Steps 5–6 of a link: re-derive the listener map from the cloud (never from the message), verify
 * it, send it whole, open the security group (and network ACL when asked), mark the resources
 * linked, and describe the result for the completion event.
 */
import { InstanceBusyError } from '../cloud/errors.js';
import type { KafkaInstance, Tag } from '../cloud/types.js';
import { clientSide } from './client-account.js';
import { type Budget, type LinkDeps, remainingMs } from './deps.js';
import type { DesiredLink } from './desired.js';
import { LinkNotReadyError } from './errors.js';
import { declaredLink, runningInstance } from './instance.js';
import { readInventory } from './inventory.js';
import {
  advertisesExactly,
  type BrokerLink,
  bootstrapServers,
  buildAdvertisedMap,
  pairBrokers,
} from './mapping.js';
import { markFailedOnTerminal } from './poll-acceptance.js';
import { STEP_PATCH_LISTENERS } from './steps.js';
import { TAG, tagValue } from './tags.js';
import { KAFKA_CROSS_VPC_PORT, ruleDescription, VPCEP_SERVICE_CIDR } from './vpcep-network.js';

export interface LinkCompletion {
  instanceId: string;
  client: DesiredLink['client'];
  bootstrapServers: string;
  securityProtocol: string;
  saslMechanisms: string[];
  mapping: BrokerLink[];
  securityGroupRuleId?: string;
  /** True when everything was already in place: this completion repeats an earlier one. */
  redelivered: boolean;
}

export type PatchListenersResult =
  | { outcome: 'completed'; completion: LinkCompletion }
  | { outcome: 'stale'; reason: string };

export async function patchListeners(
  deps: LinkDeps,
  input: { instanceId: string; client: { vpcId: string } },
  budget: Budget,
): Promise<PatchListenersResult> {
  return markFailedOnTerminal(deps, input.instanceId, () => patchListenersOnce(deps, input, budget));
}

async function patchListenersOnce(
  deps: LinkDeps,
  input: { instanceId: string; client: { vpcId: string } },
  budget: Budget,
): Promise<PatchListenersResult> {
  const step = STEP_PATCH_LISTENERS;
  const declared = await declaredLink(deps, input, step, budget);
  if ('stale' in declared) return { outcome: 'stale', reason: declared.stale };
  const { desired } = declared;
  let { instance } = declared;

  // A cross-account link's endpoints are read and tagged in the client's account.
  const client = await clientSide(deps, desired.client, step);
  const inventory = await readInventory(deps, instance, desired.client.vpcId, client.vpcep);
  const { links, problems } = pairBrokers(
    instance.listeners,
    inventory.services,
    inventory.endpoints,
    desired.client.vpcId,
  );
  // The message says the endpoints were accepted, but the cloud disagrees (a late duplicate, a repair
  // under way): not this message's link to fail. The timer or reconcile sends it again when it holds.
  if (problems.length > 0) {
    return { outcome: 'stale', reason: `the cloud is not ready for the map: ${problems.join('; ')}` };
  }
  const map = buildAdvertisedMap(instance.listeners, links);

  // A redelivery finds its map in place (the modify takes effect at once) and sends nothing.
  const alreadyAdvertised = advertisesExactly(instance.listeners, map);
  if (!alreadyAdvertised) instance = await sendMap(deps, instance, map, budget);

  const rule = desired.securityGroupRule ? await ensureSecurityGroupRule(deps, instance) : undefined;
  if (desired.networkAclRule) await ensureNetworkAclRule(deps, instance);

  // Judged on the paired resources only: a duplicate endpoint being deleted (left by a concurrent
  // delivery) is never marked linked and would otherwise make every later completion look first.
  const paired = [
    ...inventory.services
      .filter((s) => links.some((l) => l.serviceId === s.id))
      .map((s) => ({ type: 'endpoint_service' as const, id: s.id, tags: s.tags })),
    ...inventory.endpoints
      .filter((e) => links.some((l) => l.endpointId === e.id))
      .map((e) => ({ type: 'endpoint' as const, id: e.id, tags: e.tags })),
  ];
  const alreadyLinked = alreadyAdvertised && paired.every((r) => tagValue(r.tags, TAG.phase) === 'linked');
  await markLinked(deps, paired, client.vpcep);

  return {
    outcome: 'completed',
    completion: {
      instanceId: instance.instanceId,
      client: desired.client,
      bootstrapServers: bootstrapServers(links),
      securityProtocol: instance.securityProtocol,
      saslMechanisms: instance.saslMechanisms,
      mapping: links,
      ...(rule ? { securityGroupRuleId: rule.ruleId } : {}),
      redelivered: alreadyLinked && !rule?.created,
    },
  };
}

/**
 * Sends the full map; it takes effect at once (no source documents a window after the modify). A
 * refusal with InstanceBusyError means the instance left RUNNING since it was read (a restart, a resize,
 * someone else's task): wait for RUNNING again — failing at once on a status that does not end by
 * itself — and resend, within the budget; past it the link is retried (LinkNotReadyError).
 */
async function sendMap(
  deps: LinkDeps,
  instance: KafkaInstance,
  map: Record<string, string>,
  budget: Budget,
): Promise<KafkaInstance> {
  for (;;) {
    try {
      deps.logger.info('sending advertised map', { instanceId: instance.instanceId, map });
      await deps.dms.modifyCrossVpc(instance.instanceId, map);
      return instance;
    } catch (error) {
      if (!(error instanceof InstanceBusyError)) throw error;
      if (remainingMs(deps, budget) <= 0) {
        throw new LinkNotReadyError(
          STEP_PATCH_LISTENERS,
          `Kafka instance ${instance.instanceId} refused the modify (${error.code}: not RUNNING) until the step's time ran out`,
          { cause: error },
        );
      }
      // The status may lag the refusal for a moment: look again one poll interval later.
      await deps.clock.sleep(Math.min(deps.settings.pollIntervalMs, remainingMs(deps, budget)));
      instance = await runningInstance(deps, instance.instanceId, STEP_PATCH_LISTENERS, budget);
      // Whatever ran meanwhile may have applied this very map, or changed the brokers (a resize).
      const ips = instance.listeners.map((l) => l.listenerIp);
      if (ips.length !== Object.keys(map).length || ips.some((ip) => !(ip in map))) {
        throw new LinkNotReadyError(
          STEP_PATCH_LISTENERS,
          `the brokers of Kafka instance ${instance.instanceId} changed while it was busy; the map is derived again on retry`,
          { cause: error },
        );
      }
      if (advertisesExactly(instance.listeners, map)) return instance;
    }
  }
}

/**
 * Opens TCP 9011 from VPCEP's network. A rule that already exists is adopted; it is recorded as ours
 * (instance tag) only when we created it, or when it carries our description (a crash between the
 * create and the tag), so unlink never removes a rule the user made.
 */
async function ensureSecurityGroupRule(
  deps: LinkDeps,
  instance: KafkaInstance,
): Promise<{ ruleId: string; created: boolean }> {
  const { ruleId, created } = await deps.vpc.createSecurityGroupRule({
    securityGroupId: instance.securityGroupId,
    direction: 'ingress',
    ethertype: 'IPv4',
    protocol: 'tcp',
    multiport: String(KAFKA_CROSS_VPC_PORT),
    remoteIpPrefix: VPCEP_SERVICE_CIDR,
    action: 'allow',
    priority: 1,
    description: ruleDescription(instance.instanceId),
  });
  if (tagValue(instance.tags, TAG.securityGroupRuleId) === ruleId) return { ruleId, created };
  let ours = created;
  if (!ours) {
    const rules = await deps.vpc.listSecurityGroupRules({
      securityGroupId: instance.securityGroupId,
      direction: 'ingress',
      remoteIpPrefix: VPCEP_SERVICE_CIDR,
    });
    ours = rules.some((r) => r.id === ruleId && r.description === ruleDescription(instance.instanceId));
  }
  if (ours)
    await deps.dms.createInstanceTags(instance.instanceId, [{ key: TAG.securityGroupRuleId, value: ruleId }]);
  return { ruleId, created };
}

/** Inserts an allow rule for VPCEP's network in the ACL of the instance subnet, when it has one. */
async function ensureNetworkAclRule(deps: LinkDeps, instance: KafkaInstance): Promise<void> {
  const acl = (await deps.vpc.listNetworkAcls()).find((a) => a.subnetIds.includes(instance.subnetId));
  if (!acl) {
    deps.logger.info('no network ACL on the instance subnet; nothing to open', {
      subnetId: instance.subnetId,
    });
    return;
  }
  const name = `kvl-${instance.instanceId}`.slice(0, 64);
  const existing = acl.ingressRules.find((r) => r.name === name);
  const ruleId =
    existing?.id ??
    (
      await deps.vpc.insertNetworkAclRules(acl.id, [
        {
          action: 'allow',
          protocol: 'tcp',
          ipVersion: 4,
          sourceIpAddress: VPCEP_SERVICE_CIDR,
          destinationPort: String(KAFKA_CROSS_VPC_PORT),
          name,
          description: ruleDescription(instance.instanceId),
        },
      ])
    )[0];
  const tags: Tag[] = [{ key: TAG.networkAclId, value: acl.id }];
  if (ruleId) tags.push({ key: TAG.networkAclRuleId, value: ruleId });
  if (tags.some((t) => tagValue(instance.tags, t.key) !== t.value)) {
    await deps.dms.createInstanceTags(instance.instanceId, tags);
  }
}

/** Marks the paired services and endpoints linked; those already marked are not written again. */
async function markLinked(
  deps: LinkDeps,
  resources: ReadonlyArray<{ type: 'endpoint_service' | 'endpoint'; id: string; tags: readonly Tag[] }>,
  endpointsVpcep: LinkDeps['vpcep'] = deps.vpcep,
): Promise<void> {
  const linked: Tag[] = [{ key: TAG.phase, value: 'linked' }];
  for (const resource of resources) {
    if (tagValue(resource.tags, TAG.phase) === 'linked') continue;
    const vpcep = resource.type === 'endpoint' ? endpointsVpcep : deps.vpcep;
    await vpcep.createResourceTags(resource.type, resource.id, linked);
  }
}
