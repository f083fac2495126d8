/**
 * Base URLs per service and region (reference §F), with env overrides so the same code talks to the
 * local emulator (`HUAWEICLOUD_ENDPOINT`) or to another Huawei-stack cloud (per-service variables).
 */
import { SDK_COMMIT, SDK_REGIONS } from './regions.js';
import type { CloudService } from './types.js';

export type Env = Record<string, string | undefined>;

export const ENV_ENDPOINT = 'HUAWEICLOUD_ENDPOINT';

const SERVICE_ENV: Readonly<Record<CloudService, string>> = {
  dms: 'HUAWEICLOUD_ENDPOINT_DMS',
  vpcep: 'HUAWEICLOUD_ENDPOINT_VPCEP',
  vpc: 'HUAWEICLOUD_ENDPOINT_VPC',
  smn: 'HUAWEICLOUD_ENDPOINT_SMN',
  iam: 'HUAWEICLOUD_ENDPOINT_IAM',
  functiongraph: 'HUAWEICLOUD_ENDPOINT_FUNCTIONGRAPH',
};

// Host prefixes: the Kafka API lives on `dms.` (not `kafka.`), see reference key fact 1.
const HOST_PREFIX: Readonly<Record<CloudService, string>> = {
  dms: 'dms',
  vpcep: 'vpcep',
  vpc: 'vpc',
  smn: 'smn',
  iam: 'iam',
  functiongraph: 'functiongraph',
};

// Region ids per service, split once per cold start (the table keeps them as one string to stay small).
const knownRegions = new Map<CloudService, ReadonlySet<string>>();
function sdkListsRegion(service: CloudService, region: string): boolean {
  let regions = knownRegions.get(service);
  if (!regions) {
    regions = new Set(SDK_REGIONS[service].regions.split(' '));
    knownRegions.set(service, regions);
  }
  return regions.has(region);
}

const REGION_PATTERN = /^[a-z]{2,}(-[a-z0-9]+)+$/;

export class EndpointConfigError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EndpointConfigError';
  }
}

export function isValidRegion(region: string): boolean {
  return REGION_PATTERN.test(region) && region.length <= 64;
}

function normalizeOverride(variable: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch (error) {
    throw new EndpointConfigError(`${variable} is not a valid URL`, { cause: error });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new EndpointConfigError(`${variable} must be an http(s) URL`);
  }
  return value.trim().replace(/\/+$/, '');
}

/**
 * `HUAWEICLOUD_ENDPOINT_<SERVICE>` wins over `HUAWEICLOUD_ENDPOINT`; otherwise the host the official SDK
 * lists for this service in this region (regions.ts: `{prefix}.{region}.myhuaweicloud.com` unless the
 * table says otherwise, e.g. SMN on `.eu` in eu-west-101 and on `.cn` in cn-north-2). No trailing slash.
 *
 * A region the SDK does not list for the service is an EndpointConfigError naming the override, as the
 * SDK itself refuses such a region: guessing the `.com` pattern is how chain events went nowhere in
 * eu-west-101. IAM is the exception the SDK core makes: project-id discovery falls back to the global
 * `iam.myhuaweicloud.com`.
 */
export function resolveBaseUrl(service: CloudService, region: string, env: Env = process.env): string {
  const variable = SERVICE_ENV[service];
  if (!variable) throw new EndpointConfigError(`unknown service ${JSON.stringify(service)}`);
  const specific = env[variable]?.trim();
  if (specific) return normalizeOverride(variable, specific);
  const shared = env[ENV_ENDPOINT]?.trim();
  if (shared) return normalizeOverride(ENV_ENDPOINT, shared);
  if (!isValidRegion(region)) {
    throw new EndpointConfigError(
      `invalid region ${JSON.stringify(region)} (expected e.g. "ap-southeast-1")`,
    );
  }
  const entry = SDK_REGIONS[service];
  const host =
    entry.hosts[region] ??
    (sdkListsRegion(service, region) ? `${HOST_PREFIX[service]}.${region}.myhuaweicloud.com` : entry.global);
  if (!host) {
    throw new EndpointConfigError(
      `no ${service} endpoint is known for region ${JSON.stringify(region)} (huaweicloud-sdk-go-v3 ` +
        `${SDK_COMMIT.slice(0, 8)} does not list it); set ${variable} to the service's base URL`,
    );
  }
  return `https://${host}`;
}
