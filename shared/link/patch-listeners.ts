/**
 * Steps 5–6 of a link: re-derive the listener map from the cloud (never from the message), verify
 * it, send it whole, open the security group (and network ACL when asked), mark the resources
 * linked, and describe the result for the completion event.
 */
import { InstanceBusyError } from '../cloud/errors.js';
import type { Endpoint, KafkaInstance, ListEndpointsFilter, Tag } from '../cloud/types.js';
import { clientSide } from './client-account.js';
import { createOnce } from './create-once.js';
import { type Budget, type LinkDepsFor, remainingMs } from './deps.js';
import type { DesiredLink } from './desired.js';
import { LinkNotReadyError } from './errors.js';
import { declaredLink, loadInstance, runningInstance } from './instance.js';
import { preferredEndpoint, readInventory, serviceNameStem } from './inventory.js';
import {
  advertisesExactly,
  type BrokerLink,
  bootstrapServers,
  buildAdvertisedMap,
  pairBrokers,
} from './mapping.js';
import { markFailedOnTerminal } from './phase.js';
import { hasVpcepRule } from './status.js';
import { STEP_PATCH_LISTENERS } from './steps.js';
import { type LinkPhase, phaseOf, TAG, tagValue } from './tags.js';
import { KAFKA_CROSS_VPC_PORT, ruleDescription, VPCEP_SERVICE_CIDR } from './vpcep-network.js';

/** The cloud operations this step calls: its function binds exactly these (LinkDepsFor). */
export type PatchListenersDeps = LinkDepsFor<{
  dms: 'showInstance' | 'modifyCrossVpc' | 'createInstanceTags';
  vpcep: 'listEndpointServices' | 'listEndpoints' | 'createResourceTags' | 'queryResourcesByTags';
  vpc: 'createSecurityGroupRule' | 'listSecurityGroupRules' | 'listNetworkAcls' | 'insertNetworkAclRules';
}>;

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

export interface PatchListenersInput {
  instanceId: string;
  /** The client the message names (the instance's own declaration is what is used). */
  client: { vpcId: string; domainId?: string | undefined; agencyName?: string | undefined };
  /**
   * The links buy-endpoints found accepted (endpoints-accepted). Handed, they spare re-reading the
   * services: the instance is read anyway (is the link still declared, what does it advertise), and
   * when it does not already advertise them, the endpoints are listed to verify them before the map
   * is sent. Anything that does not hold sends the step back to reading the cloud from the start.
   */
  endpoints?: readonly BrokerLink[];
  /** `kvl-phase` of the handed links' services that carry one: they are marked linked. */
  servicePhases?: Readonly<Record<string, LinkPhase>>;
  /**
   * In-process only (drive.ts): `endpoints` were polled by this same process moments ago, so they
   * are not listed again. The instance is read all the same (a concurrent request may have won).
   */
  endpointsJustPolled?: boolean;
  /**
   * endpoints-accepted's `justAccepted`: `endpoints` were bought or awaited by the step that sent
   * them, so the map cannot be in place and they will be listed: they are listed while the instance
   * is read instead of after it. Only the order of the reads depends on it.
   */
  justAccepted?: boolean;
}

export async function patchListeners(
  deps: PatchListenersDeps,
  input: PatchListenersInput,
  budget: Budget,
): Promise<PatchListenersResult> {
  return markFailedOnTerminal(deps, input.instanceId, () => patchListenersOnce(deps, input, budget));
}

/** What a completion builds on: the instance, the verified links, and the phase tags to clear. */
interface Verified {
  links: BrokerLink[];
  /** Resources carrying a `kvl-phase` other than linked (the timer watched them, or they failed). */
  phased: Array<{ type: 'endpoint_service' | 'endpoint'; id: string; phase: string }>;
}

async function patchListenersOnce(
  deps: PatchListenersDeps,
  input: PatchListenersInput,
  budget: Budget,
): Promise<PatchListenersResult> {
  const step = STEP_PATCH_LISTENERS;
  // A first link needs both reads and neither depends on the other: the endpoints are listed while
  // the instance is read. Same-account clients only: another account's endpoints are read through
  // the agency the instance names, known after the read.
  const early =
    input.endpoints && input.justAccepted && !input.endpointsJustPolled && !input.client.agencyName
      ? settle(deps.vpcep.listEndpoints(handedListing(input.instanceId, input.client.vpcId)))
      : undefined;
  const loaded = early ? await loadInstance(deps, input.instanceId, step) : undefined;
  const declared = await declaredLink(deps, input, step, budget, loaded);
  if ('stale' in declared) return { outcome: 'stale', reason: declared.stale };
  const { desired } = declared;
  let { instance } = declared;

  // A cross-account link's endpoints are read and tagged in the client's account.
  const client = await clientSide(deps, desired.client, step);
  // The early listing stands for the one below only if it was read with the same clients, next to
  // an instance that was RUNNING at once (a wait for RUNNING leaves it old: the endpoints are listed
  // again then). Used, its failure is the step's, as if it had been made here.
  const listEndpoints = async (): Promise<Endpoint[]> => {
    if (early && loaded?.status === 'RUNNING' && client.vpcep === deps.vpcep) {
      const listed = await early;
      if (!listed.ok) throw listed.error;
      return listed.value;
    }
    return client.vpcep.listEndpoints(handedListing(input.instanceId, desired.client.vpcId));
  };
  const handed = input.endpoints ? coversListeners(instance, input.endpoints) : undefined;
  let verified: Verified | string | undefined;
  if (
    handed &&
    (input.endpointsJustPolled ||
      advertisesExactly(instance.listeners, buildAdvertisedMap(instance.listeners, handed)))
  ) {
    // The instance itself (or this very process) confirms the handed links: nothing to re-read.
    verified = { links: handed, phased: phasedOf(handed, input.servicePhases) };
  } else if (handed) {
    verified = verifyHanded(await listEndpoints(), desired.client.vpcId, handed, input.servicePhases);
  }
  if (!verified || typeof verified === 'string') {
    if (verified) deps.logger.info('handed endpoints do not hold; reading the link again', { why: verified });
    verified = await discover(deps, client.vpcep, instance, desired.client.vpcId);
  }
  // The message says the endpoints were accepted, but the cloud disagrees (a late duplicate, a repair
  // under way): not this message's link to fail. The timer or reconcile sends it again when it holds.
  if (typeof verified === 'string') {
    return { outcome: 'stale', reason: `the cloud is not ready for the map: ${verified}` };
  }
  const { links } = verified;
  const map = buildAdvertisedMap(instance.listeners, links);

  // A redelivery finds its map in place (the modify takes effect at once) and sends nothing.
  const alreadyAdvertised = advertisesExactly(instance.listeners, map);
  // The map and the security group rule are independent writes (the rule names only the instance's
  // security group), sent together. Both are idempotent: when either fails the message is delivered
  // again and finds the other in place. A rule opened beside a modify that fails for good is ours
  // (its description), removed by unlink like any other; it admits only VPCEP's network.
  const [sent, rule] = await together(
    alreadyAdvertised ? Promise.resolve(instance) : sendMap(deps, instance, map, budget),
    desired.securityGroupRule
      ? ensureSecurityGroupRule(deps, instance, alreadyAdvertised)
      : Promise.resolve(undefined),
  );
  instance = sent;
  // The ACL rule writes tags on the instance: after the modify, which may hold the instance busy.
  if (desired.networkAclRule) await ensureNetworkAclRule(deps, instance);

  // Only resources with a phase tag are written: the fast path leaves none, so it writes nothing here.
  // A map already in place was announced by an earlier completion: this one repeats it, even when
  // it still has phase tags to clear (the timer following a link a fast-path run has completed, or
  // a message whose phases were read before a hand-over).
  const alreadyLinked = alreadyAdvertised;
  await markLinked(deps, verified.phased, client.vpcep);

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

/** The handed links, when they name exactly the instance's listeners (by IP and port). */
function coversListeners(instance: KafkaInstance, links: readonly BrokerLink[]): BrokerLink[] | undefined {
  const ok =
    links.length === instance.listeners.length &&
    instance.listeners.every((l) =>
      links.some((k) => k.listenerIp === l.listenerIp && k.portId === l.portId),
    );
  return ok ? [...links] : undefined;
}

function phasedOf(
  links: readonly BrokerLink[],
  phases: Readonly<Record<string, LinkPhase>> = {},
): Verified['phased'] {
  return links
    .filter((l) => phases[l.serviceId] !== undefined && phases[l.serviceId] !== 'linked')
    .map((l) => ({ type: 'endpoint_service' as const, id: l.serviceId, phase: phases[l.serviceId]! }));
}

/** One listing of the client VPC's endpoints confirms each handed endpoint: its service, accepted, its IP. */
/**
 * The listing that checks handed endpoints: the client VPC's endpoints of services named like this
 * instance's (one small page, however many links the account holds). The handed links do not carry
 * service names; an endpoint of a service adopted under another name is missing from it, which
 * fails the check and reads the link in full (`discover`), so nothing is missed.
 */
function handedListing(instanceId: string, vpcId: string): ListEndpointsFilter {
  return { vpcId, endpointServiceName: serviceNameStem(instanceId) };
}

function verifyHanded(
  endpoints: readonly Endpoint[],
  vpcId: string,
  links: readonly BrokerLink[],
  phases: Readonly<Record<string, LinkPhase>> | undefined,
): Verified | string {
  for (const link of links) {
    const endpoint = endpoints.find((e) => e.id === link.endpointId);
    if (
      !endpoint ||
      endpoint.endpointServiceId !== link.serviceId ||
      endpoint.vpcId !== vpcId ||
      endpoint.status !== 'accepted' ||
      endpoint.ip !== link.endpointIp
    ) {
      return `endpoint ${link.endpointId} of ${link.listenerIp} is ${endpoint ? endpoint.status : 'gone'}`;
    }
    // Concurrent deliveries may each have bought one: every patch must send the same, preferred one.
    const preferred = preferredEndpoint(
      endpoints.filter(
        (e) => e.endpointServiceId === link.serviceId && e.vpcId === vpcId && e.status !== 'deleting',
      ),
    );
    if (preferred?.id !== endpoint.id) {
      return `service ${link.serviceId} has more than one endpoint; ${endpoint.id} is not the one kept`;
    }
  }
  const phased = phasedOf(links, phases);
  for (const link of links) {
    const endpoint = endpoints.find((e) => e.id === link.endpointId)!;
    const phase = phaseOf(endpoint.tags);
    if (phase && phase !== 'linked') phased.push({ type: 'endpoint', id: endpoint.id, phase });
  }
  return { links: [...links], phased };
}

/** The links as the cloud has them, from the services and endpoints of the instance. */
async function discover(
  deps: PatchListenersDeps,
  vpcep: PatchListenersDeps['vpcep'],
  instance: KafkaInstance,
  vpcId: string,
): Promise<Verified | string> {
  const inventory = await readInventory(deps, instance, vpcId, vpcep);
  const { links, problems } = pairBrokers(instance.listeners, inventory.services, inventory.endpoints, vpcId);
  if (problems.length > 0) return problems.join('; ');
  // Judged on the paired resources only: a duplicate endpoint being deleted (left by a concurrent
  // delivery) is never marked linked.
  const phased: Verified['phased'] = [];
  for (const s of inventory.services.filter((s) => links.some((l) => l.serviceId === s.id))) {
    const phase = phaseOf(s.tags);
    if (phase && phase !== 'linked') phased.push({ type: 'endpoint_service', id: s.id, phase });
  }
  for (const e of inventory.endpoints.filter((e) => links.some((l) => l.endpointId === e.id))) {
    const phase = phaseOf(e.tags);
    if (phase && phase !== 'linked') phased.push({ type: 'endpoint', id: e.id, phase });
  }
  return { links, phased };
}

/**
 * Sends the full map; it takes effect at once (no source documents a window after the modify). A
 * refusal with InstanceBusyError means the instance left RUNNING since it was read (a restart, a resize,
 * someone else's task): wait for RUNNING again — failing at once on a status that does not end by
 * itself — and resend, within the budget; past it the link is retried (LinkNotReadyError).
 */
async function sendMap(
  deps: PatchListenersDeps,
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
 * Opens TCP 9011 from VPCEP's network. A rule that already exists is adopted. Ours are recognised by
 * their description (ruleDescription), which unlink looks for: nothing is recorded on the instance,
 * and unlink never removes a rule the user made. A link whose map was already in place (a repeat)
 * lists the rules first, so a rule that is there costs no write; a first link creates at once (the
 * cloud answers a duplicate with the existing rule).
 */
async function ensureSecurityGroupRule(
  deps: PatchListenersDeps,
  instance: KafkaInstance,
  repeat: boolean,
): Promise<{ ruleId: string; created: boolean }> {
  if (repeat) {
    const rules = await deps.vpc.listSecurityGroupRules({
      securityGroupId: instance.securityGroupId,
      direction: 'ingress',
      remoteIpPrefix: VPCEP_SERVICE_CIDR,
    });
    const open = rules.find(
      (r) => r.securityGroupId === instance.securityGroupId && hasVpcepRule([r], instance.securityGroupId),
    );
    if (open) return { ruleId: open.id, created: false };
  }
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
  return { ruleId, created };
}

/** Inserts an allow rule for VPCEP's network in the ACL of the instance subnet, when it has one. */
async function ensureNetworkAclRule(deps: PatchListenersDeps, instance: KafkaInstance): Promise<void> {
  const acl = (await deps.vpc.listNetworkAcls()).find((a) => a.subnetIds.includes(instance.subnetId));
  if (!acl) {
    deps.logger.info('no network ACL on the instance subnet; nothing to open', {
      subnetId: instance.subnetId,
    });
    return;
  }
  const name = `kvl-${instance.instanceId}`.slice(0, 64);
  const existing = acl.ingressRules.find((r) => r.name === name);
  const insert = async () =>
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
  // An insert whose reply was lost is looked for by its name before it is sent again (no duplicate rule).
  const inserted = async () =>
    (await deps.vpc.listNetworkAcls()).find((a) => a.id === acl.id)?.ingressRules.find((r) => r.name === name)
      ?.id;
  const ruleId = existing?.id ?? (await createOnce(deps, `network ACL rule in ${acl.id}`, insert, inserted));
  const tags: Tag[] = [{ key: TAG.networkAclId, value: acl.id }];
  if (ruleId) tags.push({ key: TAG.networkAclRuleId, value: ruleId });
  if (tags.some((t) => tagValue(instance.tags, t.key) !== t.value)) {
    await deps.dms.createInstanceTags(instance.instanceId, tags);
  }
}

/**
 * Marks linked the paired resources that carry another phase (the timer followed them, or they had
 * failed): the timer stops following the link, and status stops reporting it failed.
 */
async function markLinked(
  deps: PatchListenersDeps,
  resources: Verified['phased'],
  endpointsVpcep: PatchListenersDeps['vpcep'] = deps.vpcep,
): Promise<void> {
  const linked: Tag[] = [{ key: TAG.phase, value: 'linked' }];
  for (const resource of resources) {
    const vpcep = resource.type === 'endpoint' ? endpointsVpcep : deps.vpcep;
    await vpcep.createResourceTags(resource.type, resource.id, linked);
  }
}

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** A read started ahead of its use: its failure counts only if the result is used. */
function settle<T>(promise: Promise<T>): Promise<Settled<T>> {
  return promise.then(
    (value) => ({ ok: true, value }),
    (error: unknown) => ({ ok: false, error }),
  );
}

/**
 * Awaits every call (none is left running when the step ends) and then throws the first failure in
 * argument order, as the same calls made one after another would have.
 */
async function together<A, B>(a: Promise<A>, b: Promise<B>): Promise<[A, B]> {
  const [ra, rb] = await Promise.all([settle(a), settle(b)]);
  if (!ra.ok) throw ra.error;
  if (!rb.ok) throw rb.error;
  return [ra.value, rb.value];
}
