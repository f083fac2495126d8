/**
 * The baseline: what `terraform apply` does for the same link with terraform-provider-huaweicloud
 * (docs/reference/peers.md §1.a), driven sequentially with the project's own cloud clients:
 *
 *   - huaweicloud_vpcep_service × N: create, 5 s initial delay, GET every 3 s until `available`, Read;
 *   - huaweicloud_vpcep_endpoint × N: create, 5 s delay, GET every 3 s until `accepted` or
 *     `pendingAcceptance` (approval is off, so accepted), Read;
 *   - huaweicloud_dms_kafka_instance `cross_vpc_accesses`: Read, the full map paired by position after
 *     sorting listener IPs, crossvpc/modify, 10 s delay, GET every 10 s until RUNNING, Read;
 *   - huaweicloud_networking_secgroup_rule: create, Read.
 *
 * One resource after the other, as the brief asks (Terraform's own graph would create the N services
 * in parallel, which shortens its wall time but not its call count). Sleeps run on the emulated
 * clock, so its timeline is comparable with the product's.
 */
import type { CloudClients } from '../shared/cloud/index.js';
import type { Clock } from '../shared/link/deps.js';

const CREATE_DELAY_MS = 5_000;
const POLL_MS = 3_000;
const KAFKA_DELAY_MS = 10_000;
const KAFKA_POLL_MS = 10_000;
const TIMEOUT_MS = 10 * 60_000;

export class TerraformTimeoutError extends Error {
  constructor(what: string) {
    super(`terraform-like driver: ${what} did not reach its target state within 10 min`);
    this.name = 'TerraformTimeoutError';
  }
}

/** Terraform's StateChangeConf: delay, then one GET per poll until a target state. */
async function waitFor<T>(
  clock: Clock,
  what: string,
  delayMs: number,
  pollMs: number,
  read: () => Promise<T>,
  done: (value: T) => boolean,
): Promise<T> {
  const deadline = clock.now() + TIMEOUT_MS;
  await clock.sleep(delayMs);
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (clock.now() > deadline) throw new TerraformTimeoutError(what);
    await clock.sleep(pollMs);
  }
}

function ipKey(ip: string): number {
  return ip.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
}

export async function terraformApply(
  clients: CloudClients,
  clock: Clock,
  input: { instanceId: string; clientVpcId: string; clientSubnetId: string },
): Promise<{ startedAt: number; finishedAt: number }> {
  const { dms, vpcep, vpc } = clients;
  const startedAt = clock.now();
  // Refresh of the instance the configuration refers to.
  const instance = await dms.showInstance(input.instanceId);
  const listeners = [...instance.listeners].sort((a, b) => ipKey(a.listenerIp) - ipKey(b.listenerIp));

  const serviceIds: string[] = [];
  for (const [i, listener] of listeners.entries()) {
    const created = await vpcep.createEndpointService({
      portId: listener.portId,
      vpcId: instance.vpcId,
      serverType: 'VM',
      serviceType: 'interface',
      approvalEnabled: false,
      serviceName: `tf-${i}-${input.instanceId.slice(0, 8)}`,
      tcpProxy: 'close',
      ports: [{ clientPort: 9011, serverPort: 9011, protocol: 'TCP' }],
    });
    await waitFor(
      clock,
      `service ${created.id}`,
      CREATE_DELAY_MS,
      POLL_MS,
      () => vpcep.getEndpointService(created.id),
      (s) => s.status === 'available',
    );
    await vpcep.getEndpointService(created.id); // Read after Create
    serviceIds.push(created.id);
  }

  const endpointIps: string[] = [];
  for (const serviceId of serviceIds) {
    const created = await vpcep.createEndpoint({
      endpointServiceId: serviceId,
      vpcId: input.clientVpcId,
      subnetId: input.clientSubnetId,
      enableDns: false,
    });
    await waitFor(
      clock,
      `endpoint ${created.id}`,
      CREATE_DELAY_MS,
      POLL_MS,
      () => vpcep.getEndpoint(created.id),
      (e) => e.status === 'accepted' || e.status === 'pendingAcceptance',
    );
    const read = await vpcep.getEndpoint(created.id); // Read after Create
    endpointIps.push(read.ip ?? '');
  }

  // dms_kafka_instance update: Read, pair sorted listeners with the list by position, full map.
  const current = await dms.showInstance(input.instanceId);
  const sorted = [...current.listeners].sort((a, b) => ipKey(a.listenerIp) - ipKey(b.listenerIp));
  const map: Record<string, string> = {};
  for (const [i, l] of sorted.entries()) map[l.listenerIp] = endpointIps[i] ?? l.listenerIp;
  await dms.modifyCrossVpc(input.instanceId, map);
  await waitFor(
    clock,
    `instance ${input.instanceId}`,
    KAFKA_DELAY_MS,
    KAFKA_POLL_MS,
    () => dms.showInstance(input.instanceId),
    (i) => i.status === 'RUNNING',
  );
  await dms.showInstance(input.instanceId); // Read after Update

  await vpc.createSecurityGroupRule({
    securityGroupId: current.securityGroupId,
    direction: 'ingress',
    ethertype: 'IPv4',
    protocol: 'tcp',
    multiport: '9011',
    remoteIpPrefix: '198.19.128.0/17',
    action: 'allow',
    priority: 1,
  });
  await vpc.listSecurityGroupRules({ securityGroupId: current.securityGroupId, direction: 'ingress' }); // Read
  return { startedAt, finishedAt: clock.now() };
}
