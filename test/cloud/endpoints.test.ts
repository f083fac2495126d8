import { describe, expect, it } from 'vitest';
import { EndpointConfigError, isValidRegion, resolveBaseUrl } from '../../shared/cloud/endpoints.js';

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

  it('validates region names', () => {
    expect(isValidRegion('ap-southeast-1')).toBe(true);
    expect(isValidRegion('eu-de')).toBe(true);
    expect(isValidRegion('AP-1')).toBe(false);
    expect(isValidRegion('')).toBe(false);
  });
});
