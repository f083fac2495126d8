/**
 * The per-broker creates of a step go out side by side (one service, then one endpoint, per broker):
 * a step waits as long as its slowest create, and under throttling each create waits for its own
 * turn at once. A failed create is thrown only once the others have answered, and a re-run finds
 * what they made.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { VpcepClient } from '../../../shared/cloud/types.js';
import { allSideBySide } from '../../../shared/link/deps.js';
import { driveLink } from '../../../shared/link/drive.js';
import { startTestCloud, type TestCloud } from '../../helpers/test-cloud.js';

let cloud: TestCloud;

beforeEach(async () => {
  cloud = await startTestCloud();
});
afterEach(async () => {
  await cloud.close();
});

/** Wraps one VPCEP operation of the real client to record how many of its calls were in flight at once. */
function countInFlight(operation: 'createEndpointService' | 'createEndpoint') {
  const vpcep = cloud.deps.vpcep as VpcepClient;
  const original = vpcep[operation].bind(vpcep) as (...args: unknown[]) => Promise<unknown>;
  const seen = { now: 0, most: 0 };
  (vpcep as unknown as Record<string, unknown>)[operation] = async (...args: unknown[]) => {
    seen.now += 1;
    seen.most = Math.max(seen.most, seen.now);
    try {
      return await original(...args);
    } finally {
      seen.now -= 1;
    }
  };
  return seen;
}

describe('per-broker creates', () => {
  it('send the three services, then the three endpoints, side by side', async () => {
    // Arrange
    const services = countInFlight('createEndpointService');
    const endpoints = countInFlight('createEndpoint');

    // Act
    const result = await driveLink(cloud.deps, cloud.request, cloud.budget());

    // Assert
    expect(result.outcome).toBe('completed');
    expect(services.most).toBe(3);
    expect(endpoints.most).toBe(3);
  });

  it('throw a refused create after the others answered; the re-run finds what they made', async () => {
    // Arrange: the first service create is refused (a 400 is not retried).
    cloud.emulator.addFaults([
      {
        match: { method: 'POST', path: '*/vpc-endpoint-services' },
        kind: 'status',
        status: 400,
        code: 'EndPoint.0005',
        count: 1,
      },
    ]);

    // Act
    const first = await driveLink(cloud.deps, cloud.request, cloud.budget()).catch((e: unknown) => e);
    const madeMeanwhile = cloud.emulator.world.endpointServices.length;
    const again = await driveLink(cloud.deps, cloud.request, cloud.budget());

    // Assert: the two other creates were made, not abandoned; the re-run adds only the third.
    expect(first).toMatchObject({ name: 'LinkRejectedError', code: 'EndPoint.0005' });
    expect(madeMeanwhile).toBe(2);
    expect(again.outcome).toBe('completed');
    expect(cloud.emulator.world.endpointServices).toHaveLength(3);
  });
});

describe('allSideBySide', () => {
  it('keeps the order of the calls, not of their answers', async () => {
    // Arrange
    const answerAfter = (ms: number, value: string) => () =>
      new Promise<string>((resolve) => setTimeout(() => resolve(value), ms));

    // Act
    const values = await allSideBySide([answerAfter(20, 'a'), answerAfter(1, 'b'), answerAfter(10, 'c')]);

    // Assert
    expect(values).toEqual(['a', 'b', 'c']);
  });

  it('rejects with the first failure only once every call has settled', async () => {
    // Arrange
    const settled: string[] = [];
    const fail = () => Promise.reject(new Error('refused'));
    const slow = () =>
      new Promise<string>((resolve) =>
        setTimeout(() => {
          settled.push('slow');
          resolve('slow');
        }, 15),
      );

    // Act
    const error = await allSideBySide([fail, slow]).catch((e: unknown) => e);

    // Assert
    expect(error).toMatchObject({ message: 'refused' });
    expect(settled).toEqual(['slow']);
  });
});
