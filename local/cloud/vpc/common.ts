/**
 * Limits, error codes and the request helpers (request ids, timestamps, CIDR and port checks,
 * paging) the VPC module's handlers share.
 */
import { fail, type RouteHandler } from '../module-kit.js';
import type { EmuRequest, ServiceContext } from '../types.js';

/* ------------------------------------------------------------------ limits */

/** Rules per security group before `VPC.9905` (Huawei's documented default is in this range). */
export const VPC_SECURITY_GROUP_RULE_QUOTA = 50;
/** v3 lists: `limit` 0–2000, default 2000. */
export const VPC_LIST_MAX_LIMIT = 2000;
export const VPC_DESCRIPTION_MAX_LENGTH = 255;
export const VPC_ACL_RULE_NAME_MAX_LENGTH = 64;
/** Port groups in one `multiport` / ACL port expression. */
export const VPC_MAX_PORT_GROUPS = 20;

/* ------------------------------------------------------------------ error codes */

export const E = {
  /** Security-group-rule parameter errors (the reference documents 400 VPC.9902 for a bad ethertype). */
  ruleParameter: 'VPC.9902',
  ruleExists: 'VPC.9902',
  /** v3 "could not be found" (rules, and — as observed — security groups and other v3 resources). */
  notFound: 'VPC.9904',
  ruleQuota: 'VPC.9905',
  /** Generic invalid parameter (documented for the VPC module: "Param is invalid."). */
  parameter: 'VPC.0101',
  vpcNotFound: 'VPC.0003',
  projectMismatch: 'VPC.0007',
  subnetNotFound: 'VPC.0202',
  unknownApi: 'APIGW.0101',
} as const;

/* ------------------------------------------------------------------ helpers */

export type Handler = RouteHandler;

/** The id the server sent in `X-Request-Id` (32 hex characters), or a fresh one in unit tests. */
export function requestId(req: EmuRequest, ctx: ServiceContext): string {
  return req.requestId ?? ctx.newId().replace(/-/g, '');
}

/** v3 timestamps: `2020-08-13T07:12:36.000+00:00` (second precision). */
export function v3Timestamp(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}.000+00:00`;
}

export const EPOCH_STAMP = v3Timestamp(0);

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function isIpv4Cidr(value: string): boolean {
  const [ip, prefix, ...rest] = value.split('/');
  if (rest.length > 0 || ip === undefined || !IPV4.test(ip)) return false;
  return prefix === undefined || (/^\d{1,2}$/.test(prefix) && Number(prefix) <= 32);
}

export function isIpv6Cidr(value: string): boolean {
  const [ip, prefix, ...rest] = value.split('/');
  if (rest.length > 0 || ip === undefined || !/^[0-9A-Fa-f:]+$/.test(ip) || !ip.includes(':')) return false;
  return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= 128);
}

/** `"9011"`, `"1-30"`, `"22,3389,80"`: ports 1–65535, ranges ascending, at most 20 groups. */
export function isPortExpression(value: string): boolean {
  const groups = value.split(',');
  if (groups.length > VPC_MAX_PORT_GROUPS) return false;
  const isPort = (p: string) => /^\d{1,5}$/.test(p) && Number(p) >= 1 && Number(p) <= 65535;
  return groups.every((group) => {
    const [from, to, ...rest] = group.split('-');
    if (rest.length > 0 || from === undefined || !isPort(from)) return false;
    return to === undefined || (isPort(to) && Number(to) >= Number(from));
  });
}

/** v3 list paging: `limit` 0–2000 (default 2000) and `marker` = id of the last item of the previous page. */
export function markerPage<T extends { id: string }>(
  req: EmuRequest,
  items: T[],
): { page: T[]; pageInfo: { previous_marker?: string; current_count: number; next_marker?: string } } {
  const rawLimit = req.query.get('limit');
  let limit = VPC_LIST_MAX_LIMIT;
  if (rawLimit !== null && rawLimit !== '') {
    if (!/^\d+$/.test(rawLimit) || Number(rawLimit) > VPC_LIST_MAX_LIMIT) {
      fail(400, E.parameter, `Param is invalid: limit ${rawLimit}.`);
    }
    // The emulator reads limit=0 as "the default" rather than an empty page (undocumented either way).
    limit = Number(rawLimit) === 0 ? VPC_LIST_MAX_LIMIT : Number(rawLimit);
  }
  const marker = req.query.get('marker');
  let start = 0;
  if (marker) {
    const index = items.findIndex((i) => i.id === marker);
    if (index < 0) fail(400, E.parameter, `Param is invalid: marker ${marker}.`);
    start = index + 1;
  }
  const page = items.slice(start, start + limit);
  const pageInfo: { previous_marker?: string; current_count: number; next_marker?: string } = {
    current_count: page.length,
  };
  const first = page[0];
  const last = page[page.length - 1];
  if (first) pageInfo.previous_marker = first.id;
  if (last && start + limit < items.length) pageInfo.next_marker = last.id;
  return { page, pageInfo };
}

/** Multi-valued query filter (`?direction=ingress&direction=egress`): empty = no filter. */
export function anyOf(req: EmuRequest, name: string): (value: string | number | null) => boolean {
  const wanted = req.query.getAll(name).filter((v) => v !== '');
  return (value) => wanted.length === 0 || (value !== null && wanted.includes(String(value)));
}
