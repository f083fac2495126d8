/**
 * Calls per link (issue #15), counted in the emulator's request log: a change that adds a call to a
 * link fails here. The emulator accepts every endpoint at the same moment (no spread), so each wait
 * costs one probe; the bench (docs/BENCHMARKS.md §2b) measures the same with a realistic spread.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buyEndpoints } from '../../../shared/link/buy-endpoints.js';
import { createServices } from '../../../shared/link/create-services.js';
import type { LinkRequest } from '../../../shared/link/desired.js';
import { driveLink } from '../../../shared/link/drive.js';
import { patchListeners } from '../../../shared/link/patch-listeners.js';
import { unlink } from '../../../shared/link/unlink.js';
import { runChainSteps } from '../../helpers/chain-steps.js';
import { startTestCloud, type TestCloud } from '../../helpers/test-cloud.js';

let cloud: TestCloud;

beforeEach(async () => {
  cloud = await startTestCloud();
});
afterEach(async () => {
  await cloud.close();
});

/** DMS/VPCEP/VPC calls and writes (tag queries read; SMN is not in these in-process runs). */
function counted() {
  const log = cloud.emulator.requests().filter((r) => r.status !== 429);
  const writes = log.filter((r) => r.method !== 'GET' && !r.path.endsWith('/resource_instances/action'));
  return { calls: log.length, writes: writes.length, log };
}

function requestFor(brokers: number): LinkRequest {
  if (brokers === 3) return cloud.request;
  const instance = cloud.emulator.createKafkaInstance({ name: `kvl-calls-${brokers}`, brokers });
  cloud.settle(60_000);
  return { ...cloud.request, instanceId: instance.instanceId };
}

/** The chain's three steps, each handed what the previous one published. */
const chain = (request: LinkRequest) => runChainSteps(cloud, request);

describe('calls per link, direct mode (link --via direct)', () => {
  it.each([
    // 6 creates, modify, desired-state tags, rule; instance read by each step; subnet, quota;
    // services polled once (a first link's instance carries no tag of ours: nothing to list before
    // creating); endpoints polled once.
    [1, 12],
    [3, 16],
    [6, 22],
  ])('a first link of %i broker(s) costs %i calls, 2 writes per broker + 3', async (brokers, expected) => {
    // Arrange
    const request = requestFor(brokers);
    cloud.emulator.clearRequests();

    // Act
    const result = await driveLink(cloud.deps, request, cloud.budget());

    // Assert
    expect(result.outcome).toBe('completed');
    const { calls, writes } = counted();
    expect(writes).toBe(2 * brokers + 3);
    expect(calls).toBe(expected);
  });

  it('repeating a complete link reads only: 0 writes, 5 calls', async () => {
    // Arrange
    await driveLink(cloud.deps, cloud.request, cloud.budget());
    cloud.settle(60_000);
    cloud.emulator.clearRequests();

    // Act
    const again = await driveLink(cloud.deps, cloud.request, cloud.budget());

    // Assert: instance ×2 (create-services, patch-listeners), services, endpoints, rules.
    expect(again.outcome === 'completed' && again.completion.redelivered).toBe(true);
    const { calls, writes, log } = counted();
    expect(writes).toBe(0);
    expect(calls).toBe(5);
    expect(log.filter((r) => r.method === 'GET' && r.path.endsWith('/security-group-rules'))).toHaveLength(1);
  });
});

describe('calls per link, through the chain', () => {
  it('a first 3-broker link costs 18 DMS/VPCEP/VPC calls (SMN hops and timer ticks excluded)', async () => {
    // Arrange
    cloud.emulator.clearRequests();

    // Act
    const completion = await chain(cloud.request);

    // Assert: direct mode's 16, plus buy-endpoints' endpoint listing (a redelivered services-ready
    // must not buy twice) and patch-listeners' check of the handed endpoints before the map (listed
    // while the instance is read: the same call, earlier). With the 2 SMN hops (test/e2e/link-chain
    // counts them) that is issue #15's ≤ 20 through the chain.
    expect(completion.redelivered).toBe(false);
    expect(completion.justAccepted).toBe(true);
    const { calls, writes } = counted();
    expect(writes).toBe(9);
    expect(calls).toBe(18);
  });

  it('repeating a complete link reads only: 0 writes, ≤ 6 calls', async () => {
    // Arrange
    await chain(cloud.request);
    cloud.settle(60_000);
    cloud.emulator.clearRequests();

    // Act
    const completion = await chain(cloud.request);

    // Assert: instance ×2, services, endpoints ×2 (create-services' inventory, buy-endpoints'), rules.
    // buy-endpoints found them all accepted, so patch-listeners lists nothing ahead of its read.
    expect(completion.redelivered).toBe(true);
    expect(completion.justAccepted).toBe(false);
    const { calls, writes } = counted();
    expect(writes).toBe(0);
    expect(calls).toBe(6);
  });
});

describe('what a step is handed is verified before it is used', () => {
  it('a redelivered services-ready buys nothing twice', async () => {
    // Arrange
    const services = await createServices(cloud.deps, cloud.request, cloud.budget());
    const handed = {
      instanceId: cloud.request.instanceId,
      client: cloud.request.client,
      services: services.services,
    };
    await buyEndpoints(cloud.deps, handed, cloud.budget());

    // Act
    const again = await buyEndpoints(cloud.deps, handed, cloud.budget());

    // Assert
    expect(again.outcome).toBe('accepted');
    expect(cloud.emulator.world.endpoints).toHaveLength(3);
  });

  it('services-ready for a link unlinked meanwhile buys nothing and is stale', async () => {
    // Arrange: the services the message names are gone, and so is the declaration.
    const services = await createServices(cloud.deps, cloud.request, cloud.budget());
    await unlink(cloud.deps, cloud.request.instanceId, cloud.budget());
    cloud.settle();

    // Act
    const result = await buyEndpoints(
      cloud.deps,
      { instanceId: cloud.request.instanceId, client: cloud.request.client, services: services.services },
      cloud.budget(),
    );

    // Assert
    expect(result.outcome).toBe('stale');
    expect(cloud.emulator.world.endpoints).toEqual([]);
  });

  it('endpoints-accepted naming an endpoint that is gone sends no map built on it', async () => {
    // Arrange
    const services = await createServices(cloud.deps, cloud.request, cloud.budget());
    const bought = await buyEndpoints(
      cloud.deps,
      { instanceId: cloud.request.instanceId, client: cloud.request.client, services: services.services },
      cloud.budget(),
    );
    if (bought.outcome !== 'accepted') throw new Error('not accepted');
    await cloud.deps.vpcep.deleteEndpoint(bought.links[0]!.endpointId);
    cloud.settle();

    // Act
    const result = await patchListeners(
      cloud.deps,
      { instanceId: cloud.request.instanceId, client: cloud.request.client, endpoints: bought.links },
      cloud.budget(),
    );

    // Assert: the cloud read afresh has no endpoint for that broker: stale, the map untouched.
    expect(result.outcome).toBe('stale');
    expect(cloud.emulator.requests().filter((r) => r.path.endsWith('/crossvpc/modify'))).toEqual([]);
  });
});
