/**
 * Lifecycle matrix (issue #16): a link and an unlink meeting each other in every order an operator
 * can produce, on a frozen-clock emulator. Each case ends in a state `status` calls clean: either
 * linked with live resources only, or nothing of ours left.
 */

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createServices } from '../../../shared/link/create-services.js';
import { driveLink } from '../../../shared/link/drive.js';
import { LinkRejectedError } from '../../../shared/link/errors.js';
import { unlink } from '../../../shared/link/unlink.js';
import { startTestCloud, type TestCloud } from '../../helpers/test-cloud.js';
import { addThirdVpc } from '../../helpers/third-vpc.js';

let cloud: TestCloud;

beforeEach(async () => {
  cloud = await startTestCloud();
});
afterEach(async () => {
  await cloud.close();
});

const liveServices = () => cloud.emulator.world.endpointServices.filter((s) => s.status !== 'deleting');

describe('link and unlink meeting each other', () => {
  it('link → unlink → link at once: waits for the deleting services to go and creates new ones', async () => {
    // Arrange: a complete link, then an unlink whose services are still `deleting`.
    const first = await driveLink(cloud.deps, cloud.request, cloud.budget());
    if (first.outcome !== 'completed') throw new Error('first link did not complete');
    const oldServices = new Set(first.completion.mapping.map((m) => m.serviceId));
    await unlink(cloud.deps, cloud.request.instanceId, cloud.budget());
    expect(cloud.emulator.world.endpointServices.every((s) => s.status === 'deleting')).toBe(true);

    // Act
    const progress: string[] = [];
    const second = await driveLink(cloud.deps, cloud.request, cloud.budget(), (p) =>
      progress.push(`${p.step}:${p.phase}:${p.detail ?? ''}`),
    );

    // Assert: completed on brand-new services; none of the old ones was adopted.
    expect(second.outcome).toBe('completed');
    if (second.outcome !== 'completed') return;
    for (const m of second.completion.mapping) expect(oldServices.has(m.serviceId)).toBe(false);
    expect(liveServices()).toHaveLength(3);
    expect(liveServices().every((s) => s.status === 'available')).toBe(true);
    expect(progress.some((p) => /still being deleted/.test(p))).toBe(true);
  });

  it('link while the previous unlink is still deleting endpoints and services: completes', async () => {
    await driveLink(cloud.deps, cloud.request, cloud.budget());
    // An unlink cut short right after it asked for the deletions.
    await expect(unlink(cloud.deps, cloud.request.instanceId, cloud.budget(0))).rejects.toThrow();

    const again = await driveLink(cloud.deps, cloud.request, cloud.budget());

    expect(again.outcome).toBe('completed');
    expect(liveServices()).toHaveLength(3);
  });

  it('unlink during a link (services being created): leaves nothing behind', async () => {
    await createServices(cloud.deps, cloud.request, cloud.budget(0));

    await unlink(cloud.deps, cloud.request.instanceId, cloud.budget());
    cloud.settle();

    expect(cloud.emulator.world.endpointServices).toEqual([]);
    expect(cloud.emulator.world.endpoints).toEqual([]);
  });

  it('two link requests for different client VPCs at once: one links, the other is refused', async () => {
    const third = addThirdVpc(cloud.emulator);
    const other = { ...cloud.request, client: { vpcId: third.vpcId, subnetId: third.subnetId } };

    const results = await Promise.allSettled([
      driveLink(cloud.deps, cloud.request, cloud.budget()),
      driveLink(cloud.deps, other, cloud.budget()),
    ]);

    const completed = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r) => r.status === 'rejected');
    expect(completed).toHaveLength(1);
    expect(refused).toHaveLength(1);
    // Refused up front (ALREADY_LINKED) or, when both passed that check together, stopped by the
    // next step, which sees the other request's declaration won.
    const reason = (refused[0] as PromiseRejectedResult).reason as Error;
    expect(String(reason)).toMatch(/already linked|no longer declares a link/);
    // Either way a refusal, not "not ready yet": running it again cannot succeed while the other holds.
    expect(['LinkRejectedError', 'LinkSupersededError']).toContain(reason.name);
    // Whatever won, the cloud holds one consistent link: endpoints in one VPC only, the one declared.
    const declared = cloud.instance().tags.find((t) => t.key === 'kvl-client-vpc')?.value;
    const live = cloud.emulator.world.endpoints.filter((e) => e.status !== 'deleting');
    expect(live).toHaveLength(3);
    expect(new Set(live.map((e) => e.vpcId))).toEqual(new Set([declared]));
  });

  it('instance deleted during unlink: the unlink still removes its endpoints and services', async () => {
    await driveLink(cloud.deps, cloud.request, cloud.budget());
    // The instance disappears after the unlink read it (the endpoints are being deleted meanwhile).
    const unlinking = unlink(cloud.deps, cloud.request.instanceId, cloud.budget());
    cloud.emulator.world.kafkaInstances.splice(0, 1);
    await unlinking;
    cloud.settle();

    expect(cloud.emulator.world.endpoints).toEqual([]);
    expect(cloud.emulator.world.endpointServices).toEqual([]);
  });

  it("refuses a link to the instance's own VPC before any write", async () => {
    const instance = cloud.instance();
    const ownSubnet = cloud.emulator.world.subnets.find((s) => s.vpcId === instance.vpcId)!;
    const request = {
      ...cloud.request,
      client: { vpcId: instance.vpcId, subnetId: ownSubnet.id },
    };
    cloud.emulator.clearRequests();

    const attempt = driveLink(cloud.deps, request, cloud.budget());

    await expect(attempt).rejects.toBeInstanceOf(LinkRejectedError);
    await expect(attempt).rejects.toMatchObject({ field: 'client.vpcId', code: 'SAME_VPC' });
    expect(cloud.writes()).toEqual([]);
  });
});
