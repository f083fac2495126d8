/**
 * Desired vs actual for every link, from one snapshot of the cloud. A snapshot costs O(pages) calls
 * (instances, services, endpoints, security group rules — each listed once, all pages), whatever the
 * number of links; assessing it is pure.
 */
import type { Endpoint, EndpointService, KafkaInstance, SecurityGroupRule } from '../cloud/types.js';
import { agencyError, clientAccountOf, declaredAccount } from './client-account.js';
import { DEFAULT_SETTINGS, type LinkDepsFor } from './deps.js';
import { type DesiredLink, desiredLinkOf } from './desired.js';
import { TRANSIENT_STATUSES } from './instance.js';
import { TAG, tagValue } from './tags.js';
import { KAFKA_CROSS_VPC_PORT, VPCEP_SERVICE_CIDR } from './vpcep-network.js';

export type LinkState = 'linked' | 'in-progress' | 'drifted' | 'failed' | 'orphan';

/**
 * Instance statuses that end by themselves (a creation, an unfreeze, a restart): a link on such an
 * instance is reported in progress and left alone, since any repair would only wait or fail.
 */
const SETTLING_STATUSES: ReadonlySet<string> = new Set(['CREATING', ...TRANSIENT_STATUSES]);

export interface LinkStatus {
  instanceId: string;
  state: LinkState;
  reasons: string[];
  desired?: DesiredLink;
  /** Status of the Kafka instance; absent for an orphan whose instance no longer exists. */
  instanceStatus?: string;
  /**
   * True when the drift is something the idempotent link chain repairs (a missing or unaccepted
   * service or endpoint, a wrong advertised IP, a new broker, a missing rule); false when only
   * duplicates need deleting, which reconcile does itself.
   */
  chainRepair: boolean;
  /** Resources this project tagged for the instance. */
  services: EndpointService[];
  endpoints: Endpoint[];
  /** Extra resources that duplicate the one in use (safe to delete). */
  duplicates: { services: EndpointService[]; endpoints: Endpoint[] };
  /** Endpoints in a terminal state (rejected/failed) that block a repair. */
  brokenEndpoints: Endpoint[];
  /** The endpoint addresses clients use, once the link is `linked`. */
  bootstrapServers?: string;
  /**
   * What the instance advertises to clients in other VPCs now, whatever the state (`ip:9011` per
   * listener, in listener order, like `bootstrapServers`): what clients were given before a repair.
   */
  advertisedServers?: string;
}

export interface CloudSnapshot {
  instances: KafkaInstance[];
  services: EndpointService[];
  endpoints: Endpoint[];
  rules: SecurityGroupRule[];
  takenAt: number;
}

/** What a snapshot lists. */
export type SnapshotDeps = LinkDepsFor<{
  dms: 'listInstances';
  vpcep: 'listEndpointServices' | 'listEndpoints';
  vpc: 'listSecurityGroupRules';
}>;

export async function takeSnapshot(
  deps: Pick<SnapshotDeps, 'dms' | 'vpcep' | 'vpc' | 'clock'> &
    Partial<Pick<SnapshotDeps, 'clientAccount' | 'logger'>>,
): Promise<CloudSnapshot> {
  const [instances, services, endpoints, rules] = await Promise.all([
    deps.dms.listInstances(),
    deps.vpcep.listEndpointServices(),
    deps.vpcep.listEndpoints(),
    deps.vpc.listSecurityGroupRules({ direction: 'ingress', remoteIpPrefix: VPCEP_SERVICE_CIDR }),
  ]);
  // Endpoints of cross-account links live in the client accounts their services record, or their
  // instances declare (a service may lack the record: a race between requests for different
  // clients, or a link made before services recorded it): one more listing per client account.
  const accounts = new Map<string, { domainId: string; agencyName: string }>();
  for (const account of [
    ...services.map((s) => clientAccountOf([s])),
    ...instances.map((i) => declaredAccount(desiredLinkOf(i)?.client)),
  ]) {
    if (account) accounts.set(`${account.domainId}/${account.agencyName}`, account);
  }
  for (const account of accounts.values()) {
    if (!deps.clientAccount) break;
    try {
      const clients = await deps.clientAccount(account);
      endpoints.push(...(await clients.vpcep.listEndpoints()));
    } catch (error) {
      // A transient failure fails the read (a retry sees the account): reported as missing, its
      // endpoints would be "repaired" for nothing.
      if (!agencyError(error, account, 'status')) throw error;
      // Refused for good: its endpoints then show as missing (drift), which is what the owner can tell.
      deps.logger?.warn('could not list the endpoints of a client account', {
        domainId: account.domainId,
        agencyName: account.agencyName,
        error,
      });
    }
  }
  return { instances, services, endpoints, rules, takenAt: deps.clock.now() };
}

/** Every link the snapshot knows of: declared by an instance, or left behind in tagged resources. */
export function assessLinks(snapshot: CloudSnapshot): LinkStatus[] {
  const statuses: LinkStatus[] = [];
  const seen = new Set<string>();
  for (const instance of snapshot.instances) {
    const desired = desiredLinkOf(instance);
    const mine = resourcesOf(snapshot, instance.instanceId, instance);
    if (!desired && mine.services.length === 0 && mine.endpoints.length === 0) continue;
    seen.add(instance.instanceId);
    statuses.push(
      desired
        ? assessDeclared(snapshot, instance, desired)
        : {
            ...orphan(instance.instanceId, mine, 'the instance no longer declares a client VPC'),
            instanceStatus: instance.status,
          },
    );
  }
  const orphanIds = new Set(
    [...snapshot.services, ...snapshot.endpoints]
      .filter((r) => r.status !== 'deleting')
      .map((r) => tagValue(r.tags, TAG.instance))
      .filter((id): id is string => id !== undefined && !seen.has(id)),
  );
  for (const instanceId of orphanIds) {
    statuses.push(
      orphan(instanceId, resourcesOf(snapshot, instanceId), 'the Kafka instance no longer exists'),
    );
  }
  return statuses.sort((a, b) => a.instanceId.localeCompare(b.instanceId));
}

/**
 * The resources this project made for an instance. Resources already being deleted are left out:
 * they are on their way, and counting them would report (and unlink again) a link that is gone.
 */
/**
 * A step drives the link itself (the fast path writes no `kvl-phase`, ARCHITECTURE §3) while one of
 * its resources, created within the timer's re-drive delay, is still on its way (a service not yet
 * available, an endpoint not yet accepted): that link is in progress, not drifted. A resource on its
 * way for longer is stuck, and the link is repaired. So is the hop from create-services to
 * buy-endpoints (new services, no endpoint yet). A pass that lands in the hop to patch-listeners (a
 * few seconds) re-requests the link, which the idempotent steps absorb.
 */
export const DRIVEN_FOR_MS = DEFAULT_SETTINGS.redriveAfterMs;

const ON_ITS_WAY: ReadonlySet<string> = new Set(['creating', 'pendingAcceptance']);

function drivenNow(
  mine: { services: readonly EndpointService[]; endpoints: readonly Endpoint[] },
  now: number,
): boolean {
  const recent = (r: { tags: EndpointService['tags'] }) => {
    const since = Number(tagValue(r.tags, TAG.since)) * 1000;
    return Number.isFinite(since) && since > 0 && now - since < DRIVEN_FOR_MS;
  };
  // On its way, or the hop from create-services to buy-endpoints: new services, no endpoint yet.
  return (
    [...mine.services, ...mine.endpoints].some((r) => ON_ITS_WAY.has(r.status) && recent(r)) ||
    (mine.endpoints.length === 0 && mine.services.some(recent))
  );
}

function resourcesOf(snapshot: CloudSnapshot, instanceId: string, instance?: KafkaInstance) {
  const ports = new Set(instance?.listeners.map((l) => l.portId) ?? []);
  const services = snapshot.services.filter(
    (s) =>
      s.status !== 'deleting' &&
      (tagValue(s.tags, TAG.instance) === instanceId ||
        (ports.has(s.portId) && tagValue(s.tags, TAG.instance) !== undefined)),
  );
  const serviceIds = new Set(services.map((s) => s.id));
  const endpoints = snapshot.endpoints.filter(
    (e) =>
      e.status !== 'deleting' &&
      (serviceIds.has(e.endpointServiceId) || tagValue(e.tags, TAG.instance) === instanceId),
  );
  return { services, endpoints };
}

function orphan(
  instanceId: string,
  mine: { services: EndpointService[]; endpoints: Endpoint[] },
  reason: string,
): LinkStatus {
  return {
    instanceId,
    state: 'orphan',
    reasons: [reason],
    chainRepair: false,
    services: mine.services,
    endpoints: mine.endpoints,
    duplicates: { services: [], endpoints: [] },
    brokenEndpoints: [],
  };
}

function assessDeclared(snapshot: CloudSnapshot, instance: KafkaInstance, desired: DesiredLink): LinkStatus {
  // Drift the chain repairs, and duplicates that only need deleting, are kept apart: re-requesting a
  // link while a port still has two services would make the chain pick one of them at random.
  const reasons: string[] = [];
  const duplicateReasons: string[] = [];
  const duplicates = { services: [] as EndpointService[], endpoints: [] as Endpoint[] };
  const brokenEndpoints: Endpoint[] = [];
  const mine = resourcesOf(snapshot, instance.instanceId, instance);
  const phases = [...mine.services, ...mine.endpoints].map((r) => tagValue(r.tags, TAG.phase));
  const clientVpc = desired.client.vpcId;
  const ips: string[] = [];

  if (instance.listeners.length === 0) reasons.push('the instance has no cross-VPC listeners');
  for (const listener of instance.listeners) {
    const onPort = snapshot.services.filter((s) => s.portId === listener.portId && s.status !== 'deleting');
    if (onPort.length === 0) {
      reasons.push(`listener ${listener.listenerIp}: endpoint service missing`);
      continue;
    }
    const endpointsOf = (s: EndpointService) =>
      snapshot.endpoints.filter(
        (e) => e.endpointServiceId === s.id && e.vpcId === clientVpc && e.status !== 'deleting',
      );
    // The service in use is the one with the endpoint whose IP is advertised, else the oldest.
    const inUse =
      onPort.find((s) => endpointsOf(s).some((e) => e.ip === listener.advertisedIp)) ??
      [...onPort].sort(
        (a, b) => (a.createdAt ?? '').localeCompare(b.createdAt ?? '') || a.id.localeCompare(b.id),
      )[0]!;
    const extraServices = onPort.filter(
      (s) => s.id !== inUse.id && tagValue(s.tags, TAG.instance) !== undefined,
    );
    if (extraServices.length > 0) {
      duplicates.services.push(...extraServices);
      duplicateReasons.push(
        `listener ${listener.listenerIp}: ${extraServices.length} duplicate endpoint service(s)`,
      );
    }
    if (inUse.status !== 'available') {
      reasons.push(`listener ${listener.listenerIp}: endpoint service ${inUse.id} is ${inUse.status}`);
    }
    const candidates = endpointsOf(inUse);
    if (candidates.length === 0) {
      reasons.push(`listener ${listener.listenerIp}: endpoint missing in VPC ${clientVpc}`);
      continue;
    }
    const endpoint =
      candidates.find((e) => e.ip !== undefined && e.ip === listener.advertisedIp) ??
      candidates.find((e) => e.status === 'accepted') ??
      candidates[0]!;
    const extraEndpoints = candidates.filter((e) => e.id !== endpoint.id);
    if (extraEndpoints.length > 0) {
      duplicates.endpoints.push(...extraEndpoints);
      duplicateReasons.push(
        `listener ${listener.listenerIp}: ${extraEndpoints.length} duplicate endpoint(s)`,
      );
    }
    brokenEndpoints.push(...candidates.filter((e) => e.status === 'rejected' || e.status === 'failed'));
    if (endpoint.status !== 'accepted' || !endpoint.ip) {
      reasons.push(`listener ${listener.listenerIp}: endpoint ${endpoint.id} is ${endpoint.status}`);
      continue;
    }
    ips.push(endpoint.ip);
    if (listener.advertisedIp !== endpoint.ip) {
      reasons.push(
        `listener ${listener.listenerIp}: advertised ${listener.advertisedIp}, endpoint IP is ${endpoint.ip}`,
      );
    }
  }
  if (desired.securityGroupRule && !hasVpcepRule(snapshot.rules, instance.securityGroupId)) {
    reasons.push(
      `security group ${instance.securityGroupId}: no inbound TCP ${KAFKA_CROSS_VPC_PORT} rule from ${VPCEP_SERVICE_CIDR}`,
    );
  }

  const allReasons = [...reasons, ...duplicateReasons];
  let state: LinkState;
  if (allReasons.length === 0) state = 'linked';
  else if (instance.status !== 'RUNNING' && SETTLING_STATUSES.has(instance.status)) {
    // A modify (ours or anyone's) is committing: what it shows now is not what it will show.
    allReasons.unshift(`the instance is ${instance.status}`);
    state = 'in-progress';
  } else if (instance.status !== 'RUNNING') {
    allReasons.unshift(`the instance is ${instance.status}; it must be RUNNING`);
    state = 'failed';
  } else if (phases.includes('failed')) state = 'failed';
  else if ((phases.includes('pending') || drivenNow(mine, snapshot.takenAt)) && duplicateReasons.length === 0)
    state = 'in-progress';
  else state = 'drifted';
  return {
    instanceId: instance.instanceId,
    state,
    reasons: allReasons,
    desired,
    instanceStatus: instance.status,
    chainRepair: reasons.length > 0 && instance.status === 'RUNNING',
    services: mine.services,
    endpoints: mine.endpoints,
    duplicates,
    brokenEndpoints,
    ...(state === 'linked'
      ? { bootstrapServers: ips.map((ip) => `${ip}:${KAFKA_CROSS_VPC_PORT}`).join(',') }
      : {}),
    ...(instance.listeners.length > 0
      ? {
          advertisedServers: instance.listeners
            .map((l) => `${l.advertisedIp}:${KAFKA_CROSS_VPC_PORT}`)
            .join(','),
        }
      : {}),
  };
}

export function hasVpcepRule(rules: readonly SecurityGroupRule[], securityGroupId: string): boolean {
  return rules.some(
    (r) =>
      r.securityGroupId === securityGroupId &&
      r.direction === 'ingress' &&
      r.remoteIpPrefix === VPCEP_SERVICE_CIDR &&
      (r.protocol === 'tcp' || r.protocol === null || r.protocol === undefined || r.protocol === '') &&
      (r.multiport === null ||
        r.multiport === undefined ||
        r.multiport === '' ||
        portListIncludes(String(r.multiport), KAFKA_CROSS_VPC_PORT)) &&
      r.action !== 'deny',
  );
}

/** `multiport` is `"9011"`, `"9000-9100"` or `"22,9011"`. */
export function portListIncludes(multiport: string, port: number): boolean {
  return multiport.split(',').some((part) => {
    const [from, to = from] = part.trim().split('-').map(Number);
    return from !== undefined && to !== undefined && port >= from && port <= to;
  });
}
