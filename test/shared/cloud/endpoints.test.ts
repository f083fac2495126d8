import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  defaultHost,
  deriveIamCore,
  deriveRegionTable,
  deriveSdkHosts,
  type ReadSdkFile,
  sdkReader,
} from '../../../scripts/sdk-regions.js';
import { EndpointConfigError, isValidRegion, resolveBaseUrl } from '../../../shared/cloud/endpoints.js';
import { SDK_COMMIT, SDK_REGIONS } from '../../../shared/cloud/regions.js';
import type { CloudService } from '../../../shared/cloud/types.js';

const SERVICES = Object.keys(SDK_REGIONS) as CloudService[];

describe('resolveBaseUrl', () => {
  it.each([
    ['dms', 'ap-southeast-1', 'https://dms.ap-southeast-1.myhuaweicloud.com'],
    ['vpcep', 'cn-north-4', 'https://vpcep.cn-north-4.myhuaweicloud.com'],
    ['vpc', 'ap-southeast-3', 'https://vpc.ap-southeast-3.myhuaweicloud.com'],
    ['smn', 'ap-southeast-1', 'https://smn.ap-southeast-1.myhuaweicloud.com'],
    ['functiongraph', 'ap-southeast-1', 'https://functiongraph.ap-southeast-1.myhuaweicloud.com'],
    ['dms', 'eu-west-101', 'https://dms.eu-west-101.myhuaweicloud.eu'],
    ['vpcep', 'eu-west-101', 'https://vpcep.eu-west-101.myhuaweicloud.eu'],
    ['iam', 'eu-west-101', 'https://iam.eu-west-101.myhuaweicloud.eu'],
    ['vpc', 'eu-west-101', 'https://vpc.eu-west-101.myhuaweicloud.com'],
    // issue #12: SMN of the default region is on .eu, cn-north-2's on .cn (services/smn/v2/region/region.go)
    ['smn', 'eu-west-101', 'https://smn.eu-west-101.myhuaweicloud.eu'],
    ['smn', 'cn-north-2', 'https://smn.cn-north-2.myhuaweicloud.cn'],
    ['functiongraph', 'eu-west-101', 'https://functiongraph.eu-west-101.myhuaweicloud.com'],
    ['iam', 'ap-southeast-1', 'https://iam.ap-southeast-1.myhuaweicloud.com'],
  ] as const)('%s in %s', (service, region, expected) => {
    expect(resolveBaseUrl(service, region, {})).toBe(expected);
  });

  it('per-service override wins over HUAWEICLOUD_ENDPOINT, which wins over the region', () => {
    // Arrange
    const env = {
      HUAWEICLOUD_ENDPOINT: 'http://127.0.0.1:8000/',
      HUAWEICLOUD_ENDPOINT_VPCEP: 'https://vpcep.eu-de.otc.t-systems.com//',
    };

    // Act / Assert
    expect(resolveBaseUrl('vpcep', 'eu-de', env)).toBe('https://vpcep.eu-de.otc.t-systems.com');
    expect(resolveBaseUrl('dms', 'eu-de', env)).toBe('http://127.0.0.1:8000');
  });

  it('rejects a bad region and a bad override', () => {
    expect(() => resolveBaseUrl('dms', 'not a region', {})).toThrow(EndpointConfigError);
    expect(() => resolveBaseUrl('dms', 'evil.com/x', {})).toThrow(EndpointConfigError);
    expect(() => resolveBaseUrl('dms', 'ap-southeast-1', { HUAWEICLOUD_ENDPOINT_DMS: 'ftp://x' })).toThrow(
      EndpointConfigError,
    );
    expect(() => resolveBaseUrl('dms', 'ap-southeast-1', { HUAWEICLOUD_ENDPOINT: 'not a url' })).toThrow(
      /HUAWEICLOUD_ENDPOINT/,
    );
  });

  it('refuses a region the SDK does not list for the service, naming service, region and override', () => {
    // functiongraph/v2 lists no eu-west-0; smn/v2 lists no ru-northwest-2 (both listed for dms).
    expect(() => resolveBaseUrl('functiongraph', 'eu-west-0', {})).toThrow(EndpointConfigError);
    expect(() => resolveBaseUrl('functiongraph', 'eu-west-0', {})).toThrow(
      /functiongraph.*"eu-west-0".*HUAWEICLOUD_ENDPOINT_FUNCTIONGRAPH/,
    );
    expect(() => resolveBaseUrl('smn', 'ru-northwest-2', {})).toThrow(/HUAWEICLOUD_ENDPOINT_SMN/);
    expect(resolveBaseUrl('dms', 'ru-northwest-2', {})).toBe('https://dms.ru-northwest-2.myhuaweicloud.com');
    expect(() => resolveBaseUrl('vpcep', 'xx-nowhere-9', {})).toThrow(/vpcep.*"xx-nowhere-9"/);
    // The override still reaches a region the SDK does not know.
    expect(resolveBaseUrl('smn', 'ru-northwest-2', { HUAWEICLOUD_ENDPOINT_SMN: 'https://smn.example' })).toBe(
      'https://smn.example',
    );
  });

  it('sends IAM of an unlisted region to the global host, as the SDK core does for project discovery', () => {
    expect(resolveBaseUrl('iam', 'ap-southeast-5', {})).toBe('https://iam.myhuaweicloud.com');
    expect(resolveBaseUrl('iam', 'xx-nowhere-9', {})).toBe('https://iam.myhuaweicloud.com');
  });

  it('resolves every service × region of the committed table to its host', () => {
    let pairs = 0;
    for (const service of SERVICES) {
      const { regions, hosts } = SDK_REGIONS[service];
      for (const region of regions.split(' ')) {
        expect(resolveBaseUrl(service, region, {})).toBe(
          `https://${hosts[region] ?? defaultHost(service, region)}`,
        );
        pairs += 1;
      }
      // An exception is the same service and region on another Huawei domain, and a listed region.
      for (const [region, host] of Object.entries(hosts)) {
        expect(regions.split(' ')).toContain(region);
        expect(host).toMatch(new RegExp(`^${defaultHost(service, region).replace(/com$/, '')}(com|eu|cn)$`));
      }
    }
    expect(pairs).toBeGreaterThan(150);
  });

  it('validates region names', () => {
    expect(isValidRegion('ap-southeast-1')).toBe(true);
    expect(isValidRegion('eu-de')).toBe(true);
    expect(isValidRegion('AP-1')).toBe(false);
    expect(isValidRegion('')).toBe(false);
  });
});

// The SDK checkout is not in CI; where it exists (KVL_GO_SDK_DIR, or the mirror of this workspace), every
// service × region the SDK lists is resolved and compared with the SDK's own host.
const SDK_DIR = process.env.KVL_GO_SDK_DIR ?? '/work/.mirror/huaweicloud+huaweicloud-sdk-go-v3/repo';
const HAVE_SDK = existsSync(SDK_DIR);

describe.skipIf(!HAVE_SDK)('regions.ts against the Go SDK checkout', () => {
  // Opened on first read: vitest runs a skipped suite's body too when it collects the file, and
  // without the checkout opening it would fail the whole file.
  let reader: ReturnType<typeof sdkReader> | undefined;
  const read: ReadSdkFile = (path) => {
    reader ??= sdkReader(SDK_DIR, process.env.KVL_GO_SDK_DIR ? 'HEAD' : SDK_COMMIT);
    return reader.read(path);
  };

  it('resolves every service × region the SDK lists to the SDK host', () => {
    // Arrange
    const sdk = deriveSdkHosts(read);
    const expected: string[] = [];
    const actual: string[] = [];

    // Act
    for (const [service, hosts] of sdk) {
      for (const [region, host] of hosts) {
        expected.push(`${service} ${region} https://${host}`);
        actual.push(`${service} ${region} ${resolveBaseUrl(service, region, {})}`);
      }
    }

    // Assert
    expect(actual).toEqual(expected);
    expect(expected.length).toBe(SERVICES.reduce((n, s) => n + SDK_REGIONS[s].regions.split(' ').length, 0));
  });

  it('refuses, for each service, the regions the SDK lists only for other services (IAM: global host)', () => {
    const sdk = deriveSdkHosts(read);
    const everyRegion = new Set([...sdk.values()].flatMap((hosts) => [...hosts.keys()]));
    const { global } = deriveIamCore(read);
    for (const [service, hosts] of sdk) {
      for (const region of [...everyRegion].filter((r) => !hosts.has(r))) {
        if (service === 'iam') expect(resolveBaseUrl(service, region, {})).toBe(`https://${global}`);
        else expect(() => resolveBaseUrl(service, region, {})).toThrow(EndpointConfigError);
      }
    }
  });

  it('the committed table is what scripts/sdk-regions.ts derives', () => {
    expect(SDK_REGIONS).toEqual(deriveRegionTable(read));
  });
});
