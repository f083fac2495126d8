/**
 * Builds many links directly in the emulator's world, in the exact shape the product leaves them
 * (tag names and encodings from shared/link, records as local/cloud/vpcep.ts creates them): running
 * the chain for 1,000 instances would spend minutes producing the state the reconcile and poll-tick
 * sections only need to read. bench/reconcile.ts checks every built link with the product's own
 * assessment (`linked` or `in-progress`) before measuring, so a builder mistake cannot go unnoticed.
 */
import { createPort } from '../../local/cloud/index.js';
import type { EndpointRecord, EndpointServiceRecord, KafkaInstance } from '../../local/cloud/types.js';
import { VPCEP_ENDPOINT_DEVICE_OWNER } from '../../local/cloud/vpcep.js';
import { desiredTags } from '../../shared/link/desired.js';
import { resourceTags, TAG } from '../../shared/link/tags.js';
import {
  KAFKA_CROSS_VPC_PORT,
  ruleDescription,
  VPCEP_SERVICE_CIDR,
} from '../../shared/link/vpcep-network.js';
import { addInstance, type BenchCloud } from './common.js';

/** VPCEP timestamps: UTC seconds. */
function stamp(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

let markerId = 301_000_000;

/**
 * `linked`: services available, endpoints accepted, advertised map = endpoint IPs, security group
 * rule recorded. `pending`: the state the poll-acceptance timer watches — services available and
 * tagged pending, endpoints still creating (their acceptance scheduled an hour later).
 */
export function buildFleet(
  cloud: BenchCloud,
  count: number,
  phase: 'linked' | 'pending',
  brokers = 3,
): KafkaInstance[] {
  const world = cloud.emulator.world;
  const owner = cloud.emulator.seed!.owner;
  const now = cloud.now();
  const created = stamp(now);
  const client = { vpcId: cloud.clientNet.vpcId, subnetId: cloud.clientNet.subnetId };
  const instances: KafkaInstance[] = [];
  for (let n = 0; n < count; n++) {
    const instance = addInstance(cloud, `fleet-${phase}-${n}`, brokers);
    const idPart = instance.instanceId.replace(/[^A-Za-z0-9]/g, '').slice(0, 8);
    for (const broker of instance.brokers) {
      const serviceId = cloud.ids();
      const octet = broker.listenerIp.split('.').pop();
      const service: EndpointServiceRecord = {
        id: serviceId,
        projectId: owner.projectId,
        domainId: owner.domainId,
        serviceName: `${world.region}.kvl-${idPart}-${octet}.${serviceId}`,
        portId: broker.portId,
        vpcId: instance.vpcId,
        serverType: 'VM',
        serviceType: 'interface',
        approvalEnabled: false,
        tcpProxy: 'close',
        ports: [{ client_port: KAFKA_CROSS_VPC_PORT, server_port: KAFKA_CROSS_VPC_PORT, protocol: 'TCP' }],
        description: `kafka-vpcep-link ${instance.instanceId} ${broker.listenerIp}`,
        tags: resourceTags(instance.instanceId, broker.listenerIp, phase, now),
        permissions: [],
        status: 'available',
        transitions: [],
        createdAt: created,
        updatedAt: created,
      };
      world.endpointServices.push(service);
      const port = createPort(world, cloud.ids, {
        subnetId: client.subnetId,
        deviceOwner: VPCEP_ENDPOINT_DEVICE_OWNER,
      });
      const endpoint: EndpointRecord = {
        id: cloud.ids(),
        projectId: owner.projectId,
        domainId: owner.domainId,
        endpointServiceId: serviceId,
        endpointServiceName: service.serviceName,
        vpcId: client.vpcId,
        subnetId: client.subnetId,
        ip: port.ip,
        portId: port.id,
        markerId: markerId++,
        enableDns: false,
        description: `kafka-vpcep-link ${serviceId}`,
        tags: resourceTags(instance.instanceId, broker.listenerIp, phase, now),
        status: phase === 'linked' ? 'accepted' : 'creating',
        transitions: phase === 'linked' ? [] : [{ at: now + 3_600_000, to: 'accepted' }],
        errors: [],
        createdAt: created,
        updatedAt: created,
      };
      world.endpoints.push(endpoint);
      if (phase === 'linked') broker.advertisedIp = port.ip;
    }
    instance.tags.push(...desiredTags({ instanceId: instance.instanceId, client, options: {} }));
    if (phase === 'linked') {
      const ruleId = cloud.ids();
      world.securityGroupRules.push({
        id: ruleId,
        securityGroupId: instance.securityGroupId,
        direction: 'ingress',
        ethertype: 'IPv4',
        protocol: 'tcp',
        multiport: String(KAFKA_CROSS_VPC_PORT),
        remoteIpPrefix: VPCEP_SERVICE_CIDR,
        remoteGroupId: null,
        action: 'allow',
        priority: 1,
        description: ruleDescription(instance.instanceId),
        projectId: owner.projectId,
        createdAt: `${new Date(now).toISOString().slice(0, 19)}.000+00:00`,
        updatedAt: `${new Date(now).toISOString().slice(0, 19)}.000+00:00`,
      });
      instance.tags.push({ key: TAG.securityGroupRuleId, value: ruleId });
    }
    instances.push(instance);
  }
  return instances;
}
