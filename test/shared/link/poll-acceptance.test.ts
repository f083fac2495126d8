import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Endpoint, TaggedResource } from '../../../shared/cloud/types.js';
import { buyEndpoints } from '../../../shared/link/buy-endpoints.js';
import { createServices } from '../../../shared/link/create-services.js';
import { LinkNotReadyError } from '../../../shared/link/errors.js';
import { markFailedOnTerminal } from '../../../shared/link/phase.js';
import {
  LISTING_SKEW_MS,
  listedEnough,
  pollAcceptance,
  pollAcceptanceTick,
} from '../../../shared/link/poll-acceptance.js';
import { TAG, tagValue } from '../../../shared/link/tags.js';
import { startTestCloud, type TestCloud } from '../../helpers/test-cloud.js';

let cloud: TestCloud;

beforeEach(async () => {
  cloud = await startTestCloud();
});
afterEach(async () => {
  await cloud.close();
});

/** `count` endpoints of other, long-finished links, created an hour before now (more than a page). */
function addOldEndpoints(count: number): void {
  const template = cloud.emulator.world.endpoints[0]!;
  const old = new Date(cloud.emulator.clock.now() - 3_600_000).toISOString();
  for (let i = 0; i < count; i++) {
    cloud.emulator.world.endpoints.unshift({
      ...template,
      id: randomUUID(),
      endpointServiceId: randomUUID(),
      status: 'accepted',
      transitions: [],
      tags: [],
      createdAt: old,
      updatedAt: old,
    });
  }
}

function endpointListings(): number {
  return cloud.emulator.requests().filter((r) => r.method === 'GET' && r.path.endsWith('/vpc-endpoints'))
    .length;
}

describe('the poll tick', () => {
  it('reads only the newest page of endpoints when the pending links are young', async () => {
    // Arrange: one pending link (endpoints creating) among 1,500 older endpoints: two pages in all.
    await createServices(cloud.deps, cloud.request, cloud.budget());
    await buyEndpoints(cloud.deps, cloud.request, cloud.budget(0));
    addOldEndpoints(1_500);
    cloud.emulator.clearRequests();

    // Act
    const outcomes = await pollAcceptance(cloud.deps);

    // Assert: one tag query and one page of endpoints (newest first); the link is still waiting.
    expect(outcomes.map((o) => o.outcome)).toEqual(['waiting']);
    expect(cloud.emulator.requests()).toHaveLength(2);
    expect(endpointListings()).toBe(1);
    const listing = cloud.emulator.requests().find((r) => r.path.endsWith('/vpc-endpoints'))!;
    expect(listing.query).toMatchObject({ sort_key: 'create_at', sort_dir: 'desc' });
  });

  it('still reports acceptance and reads one page when the link has been accepted', async () => {
    // Arrange
    await createServices(cloud.deps, cloud.request, cloud.budget());
    await buyEndpoints(cloud.deps, cloud.request, cloud.budget(0));
    addOldEndpoints(1_500);
    cloud.settle();
    cloud.emulator.clearRequests();

    // Act
    const outcomes = await pollAcceptance(cloud.deps);

    // Assert
    expect(outcomes.map((o) => o.outcome)).toEqual(['accepted']);
    expect(endpointListings()).toBe(1);
  });

  it('judges a link without endpoints yet after reading back to its start only', async () => {
    // Arrange: services pending, no endpoint bought yet; 1,500 older endpoints.
    await createServices(cloud.deps, cloud.request, cloud.budget());
    await buyEndpoints(cloud.deps, cloud.request, cloud.budget(0));
    addOldEndpoints(1_500);
    cloud.emulator.world.endpoints = cloud.emulator.world.endpoints.filter((e) => e.tags.length === 0);
    cloud.emulator.clearRequests();

    // Act
    const outcomes = await pollAcceptance(cloud.deps);

    // Assert
    expect(outcomes).toEqual([
      expect.objectContaining({ outcome: 'waiting', detail: '3 service(s) without an endpoint yet' }),
    ]);
    expect(endpointListings()).toBe(1);
  });
});

describe('listedEnough', () => {
  const since = 1_000_000_000;
  const service = (id: string): TaggedResource => ({
    resourceId: id,
    tags: [{ key: TAG.since, value: String(since / 1000) }],
  });
  const endpoint = (serviceId: string, createdAtMs: number): Endpoint =>
    ({
      id: `e-${serviceId}-${createdAtMs}`,
      endpointServiceId: serviceId,
      status: 'accepted',
      createdAt: new Date(createdAtMs).toISOString(),
    }) as Endpoint;
  const link = [service('a'), service('b')];

  it('is satisfied once every service of every link has an endpoint', () => {
    expect(listedEnough([link])([endpoint('a', since), endpoint('b', since)])).toBe(true);
  });

  it('keeps reading for a link with only some endpoints found (older ones may follow)', () => {
    const listed = [endpoint('a', since), endpoint('x', since - 10 * LISTING_SKEW_MS)];
    expect(listedEnough([link])(listed)).toBe(false);
  });

  it('stops for a link with no endpoint once the listing is older than its start and the skew', () => {
    expect(listedEnough([link])([endpoint('x', since - LISTING_SKEW_MS)])).toBe(false);
    expect(listedEnough([link])([endpoint('x', since - LISTING_SKEW_MS - 1_000)])).toBe(true);
  });

  it('does not count an endpoint being deleted', () => {
    const deleting = { ...endpoint('b', since), status: 'deleting' } as Endpoint;
    expect(listedEnough([link])([endpoint('a', since), deleting])).toBe(false);
  });
});

describe('pollAcceptanceTick (what the timer publishes)', () => {
  const phases = () => cloud.emulator.world.endpointServices.map((s) => tagValue(s.tags, TAG.phase));

  it('marks a link failed when its endpoint is rejected, so later ticks stop reporting it', async () => {
    // Arrange
    await createServices(cloud.deps, cloud.request, cloud.budget());
    await buyEndpoints(cloud.deps, cloud.request, cloud.budget(0));
    const rejected = cloud.emulator.world.endpoints[0]!;
    rejected.status = 'rejected';
    rejected.transitions = [];

    // Act
    const first = await pollAcceptanceTick(cloud.deps);
    const second = await pollAcceptanceTick(cloud.deps);

    // Assert
    expect(first).toEqual([
      expect.objectContaining({ outcome: 'failed', code: 'ENDPOINT_REJECTED', endpointId: rejected.id }),
    ]);
    expect(phases()).toEqual(['failed', 'failed', 'failed']);
    expect(second).toEqual([]);
  });

  it('re-drives a link whose endpoints never came with the link the instance declares', async () => {
    // Arrange: services handed to the timer (pending), no endpoints, past the re-drive delay.
    await createServices(cloud.deps, cloud.request, cloud.budget(0));
    cloud.emulator.clock.advance(cloud.deps.settings.redriveAfterMs + 1_000);

    // Act
    const outcomes = await pollAcceptanceTick(cloud.deps);

    // Assert
    expect(outcomes).toEqual([
      expect.objectContaining({
        outcome: 'redrive',
        instanceId: cloud.request.instanceId,
        client: cloud.request.client,
        options: { securityGroupRule: true, networkAclRule: false },
      }),
    ]);
  });

  it('drops the re-drive of a link the instance no longer declares', async () => {
    // Arrange: a link handed to the timer whose declaration is then removed.
    await createServices(cloud.deps, cloud.request, cloud.budget(0));
    const instance = cloud.instance();
    instance.tags = instance.tags.filter((t) => !t.key.startsWith('kvl-client'));
    cloud.emulator.clock.advance(cloud.deps.settings.redriveAfterMs + 1_000);

    // Act / Assert
    expect(await pollAcceptanceTick(cloud.deps)).toEqual([]);
  });
});

describe('markFailedOnTerminal', () => {
  it('marks the link failed for exactly the errors that end it (classifyError: terminal)', async () => {
    // Arrange: a link handed to the timer (services pending).
    await createServices(cloud.deps, cloud.request, cloud.budget(0));
    const run = (error: Error) =>
      markFailedOnTerminal(cloud.deps, cloud.request.instanceId, () => Promise.reject(error)).catch(() => {});
    const phases = () => cloud.emulator.world.endpointServices.map((s) => tagValue(s.tags, TAG.phase));

    // Act / Assert: a retryable error leaves the link pending; an unflagged one ends it (and is
    // published as kvl.link.failed by the handler), so it is marked.
    await run(new LinkNotReadyError('buy-endpoints', 'not yet'));
    expect(phases()).toEqual(['pending', 'pending', 'pending']);
    await run(new Error('unexpected'));
    expect(phases()).toEqual(['failed', 'failed', 'failed']);
  });
});
