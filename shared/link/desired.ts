/**
 * A link request, and the desired state it becomes: tags on the Kafka instance itself. Reading the
 * desired state back from the instance (not from messages) is what makes every step re-runnable.
 */
import type { KafkaInstance, Tag } from '../cloud/types.js';
import { decodeIp, encodeIp, isIpv4, originalAdvertisedKey, TAG, tagValue } from './tags.js';

export interface ClientTarget {
  vpcId: string;
  subnetId: string;
  /** Account (domain) id of the client when it is another account. */
  domainId?: string;
  /** The agency that account delegated to the owner: the endpoints are bought through it. */
  agencyName?: string;
}

export interface LinkOptions {
  /** Extra account ids allowed to connect to the endpoint services. */
  whitelist?: string[];
  /** Open TCP 9011 from 198.19.128.0/17 on the instance's security group (default true). */
  securityGroupRule?: boolean;
  /** Also insert an allow rule in the network ACL of the instance subnet, if it has one. */
  networkAclRule?: boolean;
  dryRun?: boolean;
}

export interface LinkRequest {
  instanceId: string;
  client: ClientTarget;
  options?: LinkOptions;
}

export interface DesiredLink {
  instanceId: string;
  client: ClientTarget;
  securityGroupRule: boolean;
  networkAclRule: boolean;
}

/** The desired link declared by the instance's tags, if any (`kvl-client-vpc` and `-subnet` set). */
export function desiredLinkOf(instance: Pick<KafkaInstance, 'instanceId' | 'tags'>): DesiredLink | undefined {
  const vpcId = tagValue(instance.tags, TAG.clientVpc);
  const subnetId = tagValue(instance.tags, TAG.clientSubnet);
  if (!vpcId || !subnetId) return undefined;
  const domainId = tagValue(instance.tags, TAG.clientDomain);
  const agencyName = tagValue(instance.tags, TAG.clientAgency);
  return {
    instanceId: instance.instanceId,
    client: {
      vpcId,
      subnetId,
      ...(domainId ? { domainId } : {}),
      ...(domainId && agencyName ? { agencyName } : {}),
    },
    securityGroupRule: tagValue(instance.tags, TAG.securityGroupRule) !== 'off',
    networkAclRule: tagValue(instance.tags, TAG.networkAclRule) === 'on',
  };
}

/** The tags that declare `request` on its instance. */
export function desiredTags(request: LinkRequest): Tag[] {
  const tags: Tag[] = [
    { key: TAG.clientVpc, value: request.client.vpcId },
    { key: TAG.clientSubnet, value: request.client.subnetId },
    { key: TAG.securityGroupRule, value: request.options?.securityGroupRule === false ? 'off' : 'on' },
    { key: TAG.networkAclRule, value: request.options?.networkAclRule ? 'on' : 'off' },
  ];
  if (request.client.domainId) tags.push({ key: TAG.clientDomain, value: request.client.domainId });
  if (request.client.agencyName) tags.push({ key: TAG.clientAgency, value: request.client.agencyName });
  return tags;
}

/**
 * Tags that remember each listener's original advertised IP, written once before the first change.
 * Identity (advertised = listener) is the default when restoring, so it is not recorded; neither is a
 * domain name, which cannot be encoded losslessly within the tag limits.
 */
export function originalAdvertisedTags(instance: Pick<KafkaInstance, 'listeners'>): Tag[] {
  return instance.listeners
    .filter((l) => l.advertisedIp !== l.listenerIp && isIpv4(l.advertisedIp))
    .map((l) => ({ key: originalAdvertisedKey(l.listenerIp), value: encodeIp(l.advertisedIp) }));
}

export function originalAdvertisedOf(
  instance: Pick<KafkaInstance, 'tags' | 'listeners'>,
): Map<string, string> {
  const originals = new Map<string, string>();
  for (const listener of instance.listeners) {
    const value = tagValue(instance.tags, originalAdvertisedKey(listener.listenerIp));
    const ip = value === undefined ? undefined : decodeIp(value);
    if (ip) originals.set(listener.listenerIp, ip);
  }
  return originals;
}

export function sameClient(a: ClientTarget, b: ClientTarget): boolean {
  return a.vpcId === b.vpcId && a.subnetId === b.subnetId;
}
