import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  createLocalContext,
  globMatch,
  loadConfig,
  matchAutoLinkRule,
  requireTopics,
} from '../../../shared/runtime/index.js';

const TOPICS = {
  KVL_TOPIC_LINK_REQUESTS: 'urn:smn:eu-west-101:0a1b2c3d4e5f:kvl-link-requests',
  KVL_TOPIC_SERVICES_READY: 'urn:smn:eu-west-101:0a1b2c3d4e5f:kvl-services-ready',
  KVL_TOPIC_ENDPOINTS_ACCEPTED: 'urn:smn:eu-west-101:0a1b2c3d4e5f:kvl-endpoints-accepted',
  KVL_TOPIC_UNLINK_REQUESTS: 'urn:smn:eu-west-101:0a1b2c3d4e5f:kvl-unlink-requests',
  KVL_TOPIC_EVENTS: 'urn:smn:eu-west-101:0a1b2c3d4e5f:kvl-events',
};
const BASE = { HUAWEICLOUD_REGION: 'eu-west-101', HUAWEICLOUD_SDK_PROJECT_ID: '0a1b2c3d4e5f' };

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('reads env with defaults', () => {
    const config = loadConfig({ env: { ...BASE, ...TOPICS } });
    expect(config).toMatchObject({
      region: 'eu-west-101',
      projectId: '0a1b2c3d4e5f',
      pollIntervalMs: 3000,
      firstProbeAfterMs: 60_000,
      acceptTimeoutMs: 900_000,
      logLevel: 'info',
      autoLinkPolicy: [],
      endpoints: {},
      fastPath: true,
      reconcileRepair: true,
    });
    expect(requireTopics(config).events).toBe(TOPICS.KVL_TOPIC_EVENTS);
  });

  it('prefers function user data over env, and takes the project from the context', () => {
    const context = createLocalContext({
      functionName: 'f',
      timeoutMs: 1000,
      projectId: 'fromcontext01',
      userData: { HUAWEICLOUD_REGION: 'cn-north-4', KVL_POLL_INTERVAL_MS: '500', KVL_LOG_LEVEL: 'DEBUG' },
    });
    const config = loadConfig({
      env: { HUAWEICLOUD_REGION: 'eu-west-101', KVL_POLL_INTERVAL_MS: '9000' },
      context,
    });
    expect(config.region).toBe('cn-north-4');
    expect(config.projectId).toBe('fromcontext01');
    expect(config.pollIntervalMs).toBe(500);
    expect(config.logLevel).toBe('debug');
  });

  it('reads the first-probe delay, and 0 means probe at once', () => {
    expect(loadConfig({ env: { ...BASE, KVL_FIRST_PROBE_AFTER_MS: '250' } }).firstProbeAfterMs).toBe(250);
    expect(loadConfig({ env: { ...BASE, KVL_FIRST_PROBE_AFTER_MS: '0' } }).firstProbeAfterMs).toBe(0);
  });

  it.each([
    ['false', false],
    ['OFF', false],
    ['0', false],
    ['no', false],
    ['true', true],
    ['on', true],
    ['1', true],
    ['Yes', true],
  ])('reads KVL_RECONCILE_REPAIR=%s as %s', (value, expected) => {
    expect(loadConfig({ env: { ...BASE, KVL_RECONCILE_REPAIR: value } }).reconcileRepair).toBe(expected);
  });

  it('treats empty strings as unset', () => {
    const config = loadConfig({ env: { ...BASE, KVL_POLL_INTERVAL_MS: '', HUAWEICLOUD_ENDPOINT: ' ' } });
    expect(config.pollIntervalMs).toBe(3000);
    expect(config.endpoints.all).toBeUndefined();
  });

  it('collects endpoint overrides into cloudEnv (and nothing secret)', () => {
    const config = loadConfig({
      env: {
        ...BASE,
        HUAWEICLOUD_ENDPOINT: 'http://127.0.0.1:4510',
        HUAWEICLOUD_ENDPOINT_VPCEP: 'http://127.0.0.1:4511',
        HUAWEICLOUD_SDK_SK: 'never-copied',
      },
    });
    expect(config.endpoints).toEqual({ all: 'http://127.0.0.1:4510', vpcep: 'http://127.0.0.1:4511' });
    expect(config.cloudEnv).toEqual({
      ...BASE,
      HUAWEICLOUD_ENDPOINT: 'http://127.0.0.1:4510',
      HUAWEICLOUD_ENDPOINT_VPCEP: 'http://127.0.0.1:4511',
    });
  });

  it('parses the auto-link policy', () => {
    const policy = [
      { namePattern: 'team-*', client: { vpcId: 'vpc-1', subnetId: 'sub-1' } },
      { enterpriseProjectId: 'ep-9', client: { vpcId: 'vpc-2', subnetId: 'sub-2', domainId: 'dom-2' } },
    ];
    const config = loadConfig({ env: { ...BASE, KVL_AUTOLINK_POLICY: JSON.stringify(policy) } });
    expect(config.autoLinkPolicy).toEqual(policy);
    expect(matchAutoLinkRule(config.autoLinkPolicy, { name: 'team-a' })?.client.vpcId).toBe('vpc-1');
    expect(
      matchAutoLinkRule(config.autoLinkPolicy, { name: 'other', enterpriseProjectId: 'ep-9' })?.client.vpcId,
    ).toBe('vpc-2');
    expect(matchAutoLinkRule(config.autoLinkPolicy, { name: 'other' })).toBeUndefined();
  });

  const bad: Array<[string, Record<string, string>, string]> = [
    ['missing region', { HUAWEICLOUD_SDK_PROJECT_ID: 'p1' }, 'HUAWEICLOUD_REGION'],
    ['missing project', { HUAWEICLOUD_REGION: 'eu-west-101' }, 'HUAWEICLOUD_SDK_PROJECT_ID'],
    ['bad project id', { ...BASE, HUAWEICLOUD_SDK_PROJECT_ID: '../p' }, 'HUAWEICLOUD_SDK_PROJECT_ID'],
    ['bad region', { ...BASE, HUAWEICLOUD_REGION: 'EU WEST' }, 'HUAWEICLOUD_REGION'],
    ['poll interval not a number', { ...BASE, KVL_POLL_INTERVAL_MS: 'fast' }, 'KVL_POLL_INTERVAL_MS'],
    ['poll interval too small', { ...BASE, KVL_POLL_INTERVAL_MS: '5' }, 'KVL_POLL_INTERVAL_MS'],
    ['first probe negative', { ...BASE, KVL_FIRST_PROBE_AFTER_MS: '-1' }, 'KVL_FIRST_PROBE_AFTER_MS'],
    ['first probe over 10 min', { ...BASE, KVL_FIRST_PROBE_AFTER_MS: '600001' }, 'KVL_FIRST_PROBE_AFTER_MS'],
    ['accept timeout too big', { ...BASE, KVL_ACCEPT_TIMEOUT_MS: '999999999999' }, 'KVL_ACCEPT_TIMEOUT_MS'],
    ['bad log level', { ...BASE, KVL_LOG_LEVEL: 'chatty' }, 'KVL_LOG_LEVEL'],
    ['bad reconcile repair', { ...BASE, KVL_RECONCILE_REPAIR: 'maybe' }, 'KVL_RECONCILE_REPAIR'],
    [
      'reconcile repair from the prototype',
      { ...BASE, KVL_RECONCILE_REPAIR: 'constructor' },
      'KVL_RECONCILE_REPAIR',
    ],
    ['bad topic', { ...BASE, KVL_TOPIC_EVENTS: 'arn:aws:sns:x' }, 'KVL_TOPIC_EVENTS'],
    ['endpoint not a URL', { ...BASE, HUAWEICLOUD_ENDPOINT_DMS: 'localhost' }, 'HUAWEICLOUD_ENDPOINT_DMS'],
    ['policy not JSON', { ...BASE, KVL_AUTOLINK_POLICY: '[{' }, 'KVL_AUTOLINK_POLICY'],
    [
      'policy bad vpc',
      { ...BASE, KVL_AUTOLINK_POLICY: '[{"client":{"vpcId":"../x","subnetId":"s"}}]' },
      'KVL_AUTOLINK_POLICY[0].client.vpcId',
    ],
    [
      'policy unknown field',
      { ...BASE, KVL_AUTOLINK_POLICY: '[{"nameRegex":".*","client":{"vpcId":"v","subnetId":"s"}}]' },
      'KVL_AUTOLINK_POLICY[0]',
    ],
  ];
  for (const [name, env, variable] of bad) {
    it(`${name} → ConfigError naming ${variable}`, () => {
      const error = configError(() => loadConfig({ env }));
      expect(error.variable).toBe(variable);
      expect(error.message).toContain(variable);
    });
  }

  it('requires every topic when asked, naming the first missing one', () => {
    const { KVL_TOPIC_ENDPOINTS_ACCEPTED: _omit, ...four } = TOPICS;
    const error = configError(() => loadConfig({ env: { ...BASE, ...four }, requireTopics: true }));
    expect(error.variable).toBe('KVL_TOPIC_ENDPOINTS_ACCEPTED');
  });

  it('never echoes a value, even a secret one in a URL or a policy', () => {
    const secret = 'p4ssw0rd-Very-Secret';
    const cases = [
      { ...BASE, HUAWEICLOUD_ENDPOINT: `https://admin:${secret}@example.com` },
      { ...BASE, KVL_AUTOLINK_POLICY: `[{"client":${secret}}]` },
      {
        ...BASE,
        KVL_AUTOLINK_POLICY: JSON.stringify([{ client: { vpcId: secret.repeat(5), subnetId: 's' } }]),
      },
      { ...BASE, KVL_LOG_LEVEL: secret },
      { ...BASE, KVL_POLL_INTERVAL_MS: secret },
    ];
    for (const env of cases) {
      const error = configError(() => loadConfig({ env }));
      expect(error.message).not.toContain(secret);
      expect(JSON.stringify({ m: error.message, s: error.stack, c: String(error.cause) })).not.toContain(
        secret,
      );
    }
  });
});

describe('globMatch', () => {
  it.each([
    ['team-*', 'team-a', true],
    ['team-*', 'teams', false],
    ['*', '', true],
    ['k?fka', 'kafka', true],
    ['*-prod-*', 'orders-prod-1', true],
    ['*-prod-*', 'orders-dev-1', false],
    ['a*b*c', 'aXXbYYc', true],
    ['a*b*c', 'aXXbYY', false],
  ])('%s ~ %s = %s', (pattern, name, expected) => {
    expect(globMatch(pattern, name)).toBe(expected);
  });

  it('stays fast on adversarial patterns', () => {
    const started = Date.now();
    expect(globMatch(`${'a*'.repeat(60)}b`, 'a'.repeat(128))).toBe(false);
    expect(Date.now() - started).toBeLessThan(100);
  });
});
