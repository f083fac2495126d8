/**
 * What "linked" and "nothing duplicated" mean, read from the emulator's own state (never from the
 * product's reports). Each check returns a list of problems, so a failing assertion says what broke.
 */
import type { EmulatorHandle } from '../../../local/cloud/index.js';
import type { CloudEvent } from '../../../shared/events/cloudevents.js';

export const VPCEP_CIDR = '198.19.128.0/17';

export interface LinkExpectation {
  instanceId: string;
  client: { vpcId: string; subnetId: string };
}

function instanceOf(emulator: EmulatorHandle, instanceId: string) {
  const instance = emulator.world.kafkaInstances.find((i) => i.instanceId === instanceId);
  if (!instance) throw new Error(`no instance ${instanceId}`);
  return instance;
}

/** Resources of one instance: services on its broker ports, endpoints of those services. */
export function resourcesOf(emulator: EmulatorHandle, instanceId: string) {
  const instance = instanceOf(emulator, instanceId);
  const ports = new Set(instance.brokers.map((b) => b.portId));
  const services = emulator.world.endpointServices.filter((s) => ports.has(s.portId));
  const serviceIds = new Set(services.map((s) => s.id));
  const endpoints = emulator.world.endpoints.filter((e) => serviceIds.has(e.endpointServiceId));
  return { instance, services, endpoints };
}

/**
 * A finished link: exactly one service per broker port and one endpoint per service (whatever their
 * status: a leftover `deleting` duplicate counts), every broker advertising the IP of the endpoint
 * whose service uses that broker's port_id, exactly one 9011 rule from VPCEP's network.
 */
export function linkProblems(emulator: EmulatorHandle, link: LinkExpectation): string[] {
  const problems: string[] = [];
  const { instance, services, endpoints } = resourcesOf(emulator, link.instanceId);
  if (instance.status !== 'RUNNING') problems.push(`instance is ${instance.status}`);
  for (const broker of instance.brokers) {
    const own = services.filter((s) => s.portId === broker.portId);
    if (own.length !== 1) {
      problems.push(`broker ${broker.listenerIp}: ${own.length} endpoint services`);
      continue;
    }
    const service = own[0]!;
    if (service.status !== 'available') problems.push(`service ${service.id} is ${service.status}`);
    const mine = endpoints.filter((e) => e.endpointServiceId === service.id);
    if (mine.length !== 1) {
      problems.push(`broker ${broker.listenerIp}: ${mine.length} endpoints`);
      continue;
    }
    const endpoint = mine[0]!;
    if (endpoint.status !== 'accepted') problems.push(`endpoint ${endpoint.id} is ${endpoint.status}`);
    if (endpoint.vpcId !== link.client.vpcId)
      problems.push(`endpoint ${endpoint.id} in VPC ${endpoint.vpcId}`);
    if (broker.advertisedIp !== endpoint.ip) {
      problems.push(
        `broker ${broker.listenerIp} advertises ${broker.advertisedIp}, its endpoint has ${endpoint.ip}`,
      );
    }
  }
  const rules = securityGroupRules(emulator, instance.securityGroupId);
  if (rules.length !== 1) problems.push(`${rules.length} security group rules for 9011 from ${VPCEP_CIDR}`);
  return problems;
}

export function securityGroupRules(emulator: EmulatorHandle, securityGroupId: string) {
  return emulator.world.securityGroupRules.filter(
    (r) =>
      r.securityGroupId === securityGroupId &&
      r.direction === 'ingress' &&
      r.remoteIpPrefix === VPCEP_CIDR &&
      String(r.multiport) === '9011',
  );
}

/** No partial listener map: every broker still advertises its original address, or all are linked. */
export function partialMapProblems(
  emulator: EmulatorHandle,
  instanceId: string,
  original: ReadonlyMap<string, string>,
): string[] {
  const { instance, services, endpoints } = resourcesOf(emulator, instanceId);
  const untouched = instance.brokers.every((b) => b.advertisedIp === original.get(b.listenerIp));
  if (untouched) return [];
  const problems: string[] = [];
  for (const broker of instance.brokers) {
    const service = services.find((s) => s.portId === broker.portId);
    const endpoint = endpoints.find(
      (e) => e.endpointServiceId === service?.id && e.ip === broker.advertisedIp,
    );
    if (!endpoint) {
      problems.push(
        `broker ${broker.listenerIp} advertises ${broker.advertisedIp}, which is neither its original address nor its own endpoint`,
      );
    }
  }
  return problems;
}

/** Completion events of one instance and what they say about it. */
export function completionProblems(
  emulator: EmulatorHandle,
  outcomes: readonly CloudEvent[],
  instanceId: string,
): string[] {
  const problems: string[] = [];
  const completions = outcomes.filter((e) => e.type === 'kvl.link.completed' && e.subject === instanceId);
  const failures = outcomes.filter((e) => e.type === 'kvl.link.failed' && e.subject === instanceId);
  if (failures.length > 0) {
    problems.push(`${failures.length} kvl.link.failed: ${JSON.stringify(failures.map((f) => f.data))}`);
  }
  if (completions.length === 0) problems.push('no kvl.link.completed');
  const firsts = firstCompletionIds(completions);
  if (firsts !== 1) problems.push(`${firsts} completions with redelivered=false`);
  const { instance } = resourcesOf(emulator, instanceId);
  const actual = instance.brokers
    .map((b) => `${b.listenerIp}>${b.advertisedIp}`)
    .sort()
    .join(',');
  for (const completion of completions) {
    if (completion.type !== 'kvl.link.completed') continue;
    const said = completion.data.mapping
      .map((m) => `${m.listenerIp}>${m.endpointIp}`)
      .sort()
      .join(',');
    if (said !== actual) problems.push(`a completion says ${said}, the instance advertises ${actual}`);
  }
  return problems;
}

/**
 * Completions with `redelivered: false`, counted by CloudEvent id: the same event published twice
 * (an SMN publish whose reply was lost, re-sent) is one event to a consumer that dedupes by `id`, as
 * CloudEvents consumers do.
 */
export function firstCompletionIds(outcomes: readonly CloudEvent[], instanceId?: string): number {
  return new Set(
    outcomes
      .filter(
        (e) =>
          e.type === 'kvl.link.completed' &&
          e.data.redelivered !== true &&
          (instanceId === undefined || e.subject === instanceId),
      )
      .map((e) => e.id),
  ).size;
}
