/**
 * Tag names and encodings: the desired state lives in Kafka instance tags, the actual state in tags
 * on endpoint services and endpoints. Every key and value must satisfy the strictest documented
 * limits (key ≤ 36, value ≤ 43 chars of [A-Za-z0-9_@-]), so IPs are written with `-` for `.`.
 */
import type { Tag } from '../cloud/types.js';
import { isIpv4 } from '../input.js';

/** What every tag key of ours starts with (TAG below); a resource with none carries nothing of ours. */
export const TAG_PREFIX = 'kvl-';

export const TAG = {
  /** Desired state, on the Kafka instance. */
  clientVpc: 'kvl-client-vpc',
  clientSubnet: 'kvl-client-subnet',
  clientDomain: 'kvl-client-domain',
  /** The agency the client account delegated to the owner (cross-account links). */
  clientAgency: 'kvl-client-agency',
  /** `on` | `off`: whether the link should open the security group for VPCEP. */
  securityGroupRule: 'kvl-sg-rule',
  /** Id of the security group rule this project created (so unlink removes only its own). */
  securityGroupRuleId: 'kvl-sg-rule-id',
  /** `on` | `off`: whether the link should add a network ACL rule. */
  networkAclRule: 'kvl-acl-rule',
  /** Id of the network ACL rule this project inserted (so unlink removes only its own). */
  networkAclRuleId: 'kvl-acl-rule-id',
  /** Id of the network ACL that rule was inserted into. */
  networkAclId: 'kvl-acl-id',
  /** Prefix of `kvl-orig-<listener>` = original advertised IP when it was not the listener IP. */
  originalAdvertisedPrefix: 'kvl-orig-',
  /** Actual state, on endpoint services and endpoints. */
  instance: 'kvl-instance',
  listener: 'kvl-listener',
  /**
   * On endpoint services: `pending` = the acceptance timer follows this link (written when a step
   * hands over to it), `linked` = the timer's link completed, `failed` = the link ended. Absent while
   * a step drives the link itself (the fast path), and after a fast-path completion.
   */
  phase: 'kvl-phase',
  /** Id of the link request that last asked for this link (correlates timer-driven events). */
  request: 'kvl-request',
  /** Epoch seconds when the resource was created by this project (drives timeouts). */
  since: 'kvl-since',
} as const;

export type LinkPhase = 'pending' | 'linked' | 'failed';

const TAG_VALUE = /^[A-Za-z0-9_@-]{0,43}$/;
const TAG_KEY = /^[A-Za-z0-9_@-]{1,36}$/;

export { isIpv4 };

/** `10.0.0.11` → `10-0-0-11` (IPv4 has no `-`, so the encoding is reversible). */
export function encodeIp(ip: string): string {
  if (!isIpv4(ip)) throw new RangeError(`not an IPv4 address: ${JSON.stringify(ip)}`);
  return ip.replaceAll('.', '-');
}

/** `10-0-0-11` → `10.0.0.11`; undefined when the value is not an encoded IPv4 address. */
export function decodeIp(value: string): string | undefined {
  const ip = value.replaceAll('-', '.');
  return isIpv4(ip) ? ip : undefined;
}

export function isValidTag(tag: Tag): boolean {
  return TAG_KEY.test(tag.key) && TAG_VALUE.test(tag.value);
}

export function tagValue(tags: readonly Tag[], key: string): string | undefined {
  return tags.find((t) => t.key === key)?.value;
}

/** `kvl-since` in ms of this product's clock (whole seconds), or undefined when absent or unreadable. */
export function sinceMs(tags: readonly Tag[]): number | undefined {
  const value = Number(tagValue(tags, TAG.since));
  return Number.isFinite(value) && value > 0 ? value * 1000 : undefined;
}

/**
 * When the youngest of `resources` was created, by this product's clock: the `kvl-since` written in
 * its create body, to the end of that second (the tag keeps whole seconds), never later than `nowMs`.
 * A wait that did not create what it awaits (a redelivery, a concurrent run) then probes in the
 * documented creation window too, instead of from now. Undefined when one lacks the tag (made by
 * hand, adopted): its age is unknown.
 */
export function createdAtOf(
  resources: ReadonlyArray<{ tags: readonly Tag[] }>,
  nowMs: number,
): number | undefined {
  if (resources.length === 0) return undefined;
  let youngest = 0;
  for (const resource of resources) {
    const since = sinceMs(resource.tags);
    if (since === undefined) return undefined;
    youngest = Math.max(youngest, since + 999);
  }
  return Math.min(youngest, nowMs);
}

export function originalAdvertisedKey(listenerIp: string): string {
  return `${TAG.originalAdvertisedPrefix}${encodeIp(listenerIp)}`;
}

/**
 * Tags every resource this project creates for one broker of one instance, written in the create
 * body. A link's steps create without `kvl-phase` (ARCHITECTURE §3): the phase is written only when a
 * step hands the link over to the acceptance timer (`pending`), or when it ends (`failed`).
 */
export function resourceTags(
  instanceId: string,
  listenerIp: string,
  phase: LinkPhase | undefined,
  nowMs: number,
  requestId?: string,
): Tag[] {
  return [
    { key: TAG.instance, value: instanceId },
    { key: TAG.listener, value: encodeIp(listenerIp) },
    ...(phase ? [{ key: TAG.phase, value: phase }] : []),
    { key: TAG.since, value: String(Math.floor(nowMs / 1000)) },
    ...(requestId && TAG_VALUE.test(requestId) ? [{ key: TAG.request, value: requestId }] : []),
  ];
}

/** The `kvl-phase` a resource carries, if it is a known one. */
export function phaseOf(tags: readonly Tag[]): LinkPhase | undefined {
  const value = tagValue(tags, TAG.phase);
  return value === 'pending' || value === 'linked' || value === 'failed' ? value : undefined;
}
