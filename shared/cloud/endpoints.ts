/**
 * Base URLs per service and region (reference §F), with env overrides so the same code talks to the
 * local emulator (`HUAWEICLOUD_ENDPOINT`) or to another Huawei-stack cloud (per-service variables).
 */
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

// The SDK region tables put these services of eu-west-101 on the .eu domain; VPC stays on .com.
const EU_DOMAIN_REGIONS: ReadonlySet<string> = new Set(['eu-west-101']);
const EU_DOMAIN_SERVICES: ReadonlySet<CloudService> = new Set(['dms', 'vpcep', 'iam']);

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
 * `HUAWEICLOUD_ENDPOINT_<SERVICE>` wins over `HUAWEICLOUD_ENDPOINT`; otherwise
 * `https://{prefix}.{region}.myhuaweicloud.com` (`.eu` for dms/vpcep/iam in eu-west-101).
 * No trailing slash.
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
  const domain =
    EU_DOMAIN_REGIONS.has(region) && EU_DOMAIN_SERVICES.has(service)
      ? 'myhuaweicloud.eu'
      : 'myhuaweicloud.com';
  return `https://${HOST_PREFIX[service]}.${region}.${domain}`;
}
