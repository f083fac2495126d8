/**
 * createLinkDeps: the product's wiring, which tests and harnesses adjust through `overrides` (clock,
 * client settings, kept client-account clients) instead of replacing the module.
 */
import { describe, expect, it } from 'vitest';
import type { AccountClients } from '../../../shared/cloud/agency.js';
import { staticCredentials } from '../../../shared/cloud/credentials.js';
import { type Clock, DEFAULT_SETTINGS } from '../../../shared/link/deps.js';
import { systemClock } from '../../../shared/runtime/clock.js';
import { DEFAULTS, loadConfig } from '../../../shared/runtime/config.js';
import { createLinkDeps } from '../../../shared/runtime/link-deps.js';
import { silentLogger } from '../../../shared/runtime/logger.js';

// Loopback endpoint: nothing here may reach a real cloud (and nothing here calls one).
const ENV = {
  HUAWEICLOUD_REGION: 'eu-west-101',
  HUAWEICLOUD_SDK_PROJECT_ID: 'proj1',
  HUAWEICLOUD_ENDPOINT: 'http://127.0.0.1:9',
};
const credentials = staticCredentials({ ak: 'AK-0123456789', sk: 'SK-0123456789' });
const clockAt = (ms: number): Clock => ({ now: () => ms, sleep: async () => {} });

describe('createLinkDeps', () => {
  it("takes the link settings' defaults from the domain, once: config only reads overrides", () => {
    // Act
    const deps = createLinkDeps({ config: loadConfig({ env: ENV }), credentials, logger: silentLogger });

    // Assert
    expect(deps.settings).toEqual(DEFAULT_SETTINGS);
    expect(DEFAULTS).toMatchObject({
      pollIntervalMs: DEFAULT_SETTINGS.pollIntervalMs,
      firstProbeAfterMs: DEFAULT_SETTINGS.firstProbeAfterMs,
      acceptTimeoutMs: DEFAULT_SETTINGS.acceptTimeoutMs,
      redriveAfterMs: DEFAULT_SETTINGS.redriveAfterMs,
    });
  });

  it("uses the runtime's clock, an override's before it, the system clock without either", () => {
    // Arrange
    const config = loadConfig({ env: ENV });
    const input = { config, credentials, logger: silentLogger };

    // Act
    const plain = createLinkDeps(input);
    const fromRuntime = createLinkDeps({ ...input, clock: clockAt(1_000) });
    const overridden = createLinkDeps({ ...input, clock: clockAt(1_000) }, { clock: clockAt(2_000) });

    // Assert
    expect(plain.clock).toBe(systemClock);
    expect(fromRuntime.clock.now()).toBe(1_000);
    expect(overridden.clock.now()).toBe(2_000);
  });

  it('keeps client-account clients in the map it is given, and applies settings overrides', async () => {
    // Arrange: a harness's map already holding the clients of one agency (a warm instance).
    const kept = { domainId: 'd1', agencyName: 'kvl-agency' } as AccountClients;
    const accounts = new Map([['d1/kvl-agency', Promise.resolve(kept)]]);
    const config = loadConfig({ env: { ...ENV, KVL_POLL_INTERVAL_MS: '500' } });

    // Act
    const deps = createLinkDeps(
      { config, credentials, logger: silentLogger },
      { accounts, settings: { safetyMarginMs: 0 } },
    );
    const clients = await deps.clientAccount?.({ domainId: 'd1', agencyName: 'kvl-agency' });

    // Assert
    expect(clients).toBe(kept);
    expect(deps.settings).toEqual({ ...DEFAULT_SETTINGS, pollIntervalMs: 500, safetyMarginMs: 0 });
  });
});
