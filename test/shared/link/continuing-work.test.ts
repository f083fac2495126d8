/**
 * Work in progress goes first under throttling (shared/cloud/continuing.ts): a link's creates after its
 * first run inside `continuingWork`, so the HTTP client backs them off with the short cap.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isContinuingWork } from '../../../shared/cloud/continuing.js';
import { buyEndpoints } from '../../../shared/link/buy-endpoints.js';
import { createServices } from '../../../shared/link/create-services.js';
import { startTestCloud, type TestCloud } from '../../helpers/test-cloud.js';

let cloud: TestCloud;
beforeEach(async () => {
  cloud = await startTestCloud();
});
afterEach(async () => {
  await cloud.close();
});

/** Records, for each call of `method`, whether it ran as continuing work. */
function recordScope<K extends 'createEndpointService' | 'createEndpoint'>(method: K): boolean[] {
  const seen: boolean[] = [];
  const vpcep = cloud.deps.vpcep as unknown as Record<K, (...args: unknown[]) => Promise<unknown>>;
  const original = vpcep[method].bind(vpcep);
  vpcep[method] = (...args: unknown[]) => {
    seen.push(isContinuingWork());
    return original(...args);
  };
  return seen;
}

describe('a link continues the creates it has begun first', () => {
  it('creates its first service as new work and the other two as work in progress', async () => {
    // Arrange
    const scopes = recordScope('createEndpointService');

    // Act
    const result = await createServices(cloud.deps, cloud.request, cloud.budget());

    // Assert
    expect(result.ready).toBe(true);
    expect(scopes).toEqual([false, true, true]);
  });

  it('buys its first endpoint as new work and the other two as work in progress', async () => {
    // Arrange
    await createServices(cloud.deps, cloud.request, cloud.budget());
    cloud.settle(60_000);
    const scopes = recordScope('createEndpoint');

    // Act
    const result = await buyEndpoints(cloud.deps, cloud.request, cloud.budget());

    // Assert
    expect(result.outcome).toBe('accepted');
    expect(scopes).toEqual([false, true, true]);
  });
});
