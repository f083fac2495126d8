/**
 * Unlink on a frozen-clock emulator, from every intermediate state a link can be left in (a crash
 * or a lost message between any two steps): afterwards there is no endpoint, no service, no rule
 * of ours and no tag of ours, and the instance advertises what it advertised before the link.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buyEndpoints } from '../../../shared/link/buy-endpoints.js';
import { createServices } from '../../../shared/link/create-services.js';
import type { LinkRequest } from '../../../shared/link/desired.js';
import { driveLink } from '../../../shared/link/drive.js';
import { LinkNotReadyError } from '../../../shared/link/errors.js';
import { reconcile } from '../../../shared/link/reconcile.js';
import { TAG, tagValue } from '../../../shared/link/tags.js';
import { unlink } from '../../../shared/link/unlink.js';
import { startTestCloud, type TestCloud } from '../../helpers/test-cloud.js';

const VPCEP_CIDR = '198.19.128.0/17';

let cloud: TestCloud;

beforeEach(async () => {
  cloud = await startTestCloud();
});
afterEach(async () => {
  await cloud.close();
});

function advertised(instanceId = cloud.request.instanceId): Record<string, string> {
  return Object.fromEntries(cloud.instance(instanceId).brokers.map((b) => [b.listenerIp, b.advertisedIp]));
}

function vpcepRules() {
  return cloud.emulator.world.securityGroupRules.filter((r) => r.remoteIpPrefix === VPCEP_CIDR);
}

/** Nothing of ours is left and the advertised map is back to `before`. */
function expectClean(before: Record<string, string>, instanceId = cloud.request.instanceId): void {
  const world = cloud.emulator.world;
  expect(world.endpoints).toEqual([]);
  expect(world.endpointServices).toEqual([]);
  expect(vpcepRules()).toEqual([]);
  const instance = world.kafkaInstances.find((i) => i.instanceId === instanceId);
  if (instance) {
    expect(instance.tags.filter((t) => t.key.startsWith('kvl-'))).toEqual([]);
    expect(advertised(instanceId)).toEqual(before);
  }
}

describe('unlink from every intermediate state of a link', () => {
  const states: Array<[string, () => Promise<unknown>]> = [
    ['services being created', () => createServices(cloud.deps, cloud.request, cloud.budget(0))],
    [
      'services available, no endpoints (after create-services)',
      () => createServices(cloud.deps, cloud.request, cloud.budget()),
    ],
    [
      'endpoints being created (buy-endpoints cut short)',
      async () => {
        await createServices(cloud.deps, cloud.request, cloud.budget());
        await buyEndpoints(cloud.deps, cloud.request, cloud.budget(0));
      },
    ],
    [
      'endpoints accepted, listeners not patched (after buy-endpoints)',
      async () => {
        await createServices(cloud.deps, cloud.request, cloud.budget());
        await buyEndpoints(cloud.deps, cloud.request, cloud.budget());
      },
    ],
    [
      'fully linked',
      async () => {
        await driveLink(cloud.deps, cloud.request, cloud.budget());
        cloud.settle(60_000);
      },
    ],
  ];

  for (const [name, arrange] of states) {
    it(name, async () => {
      const before = advertised();
      await arrange();

      const result = await unlink(cloud.deps, cloud.request.instanceId, cloud.budget());
      cloud.settle();

      expect(result.instanceId).toBe(cloud.request.instanceId);
      expectClean(before);
    });
  }

  it('fully linked, then the instance deleted', async () => {
    await driveLink(cloud.deps, cloud.request, cloud.budget());
    cloud.settle(60_000);
    const world = cloud.emulator.world;
    world.kafkaInstances.splice(world.kafkaInstances.indexOf(cloud.instance()), 1);

    const result = await unlink(cloud.deps, cloud.request.instanceId, cloud.budget());
    cloud.settle();

    expect(result).toMatchObject({
      restoredAdvertised: false,
      deleted: { endpoints: 3, services: 3, securityGroupRule: true },
    });
    expectClean({});
  });
});

describe('unlink: safety and idempotency', () => {
  it('restores the advertised map recorded before the link, committed before any endpoint is deleted', async () => {
    // Arrange: brokers advertised other addresses before the link (e.g. an earlier NAT set-up).
    const instance = cloud.instance();
    instance.brokers.forEach((b, i) => {
      b.advertisedIp = `10.9.9.${i + 1}`;
    });
    const before = advertised();
    await driveLink(cloud.deps, cloud.request, cloud.budget());
    cloud.settle(60_000);
    expect(advertised()).not.toEqual(before);
    // Records what brokers advertise when the first endpoint is deleted.
    let advertisedAtFirstDelete: Record<string, string> | undefined;
    const deleteEndpoint = cloud.deps.vpcep.deleteEndpoint.bind(cloud.deps.vpcep);
    cloud.deps.vpcep.deleteEndpoint = async (id) => {
      cloud.emulator.settle();
      advertisedAtFirstDelete ??= advertised();
      return deleteEndpoint(id);
    };

    // Act
    const result = await unlink(cloud.deps, cloud.request.instanceId, cloud.budget());
    cloud.settle();

    // Assert
    expect(result.restoredAdvertised).toBe(true);
    // The modify is a task: endpoints go only once the restored map is committed.
    expect(advertisedAtFirstDelete).toEqual(before);
    expectClean(before);
  });

  it('is idempotent: a second unlink writes nothing', async () => {
    await driveLink(cloud.deps, cloud.request, cloud.budget());
    cloud.settle(60_000);
    await unlink(cloud.deps, cloud.request.instanceId, cloud.budget());
    cloud.settle();
    cloud.emulator.clearRequests();

    const again = await unlink(cloud.deps, cloud.request.instanceId, cloud.budget());

    expect(again).toEqual({
      instanceId: cloud.request.instanceId,
      instanceFound: true,
      restoredAdvertised: false,
      deleted: { endpoints: 0, services: 0, securityGroupRule: false, networkAclRule: false },
      alreadyDeleting: { endpoints: 0, services: 0 },
      removedTags: 0,
    });
    expect(cloud.writes()).toEqual([]);
  });

  it('resumes after running out of time while endpoints are deleting', async () => {
    await driveLink(cloud.deps, cloud.request, cloud.budget());
    cloud.settle(60_000);
    const before = Object.fromEntries(cloud.instance().brokers.map((b) => [b.listenerIp, b.listenerIp]));

    const first = await unlink(cloud.deps, cloud.request.instanceId, cloud.budget(30_000)).catch(
      (e: unknown) => e,
    );
    // What a crash leaves is an orphan (desired state withdrawn first), not a link to re-create.
    const meanwhile = await reconcile(cloud.deps, { repair: false });
    const second = await unlink(cloud.deps, cloud.request.instanceId, cloud.budget());
    cloud.settle();

    expect(first).toBeInstanceOf(LinkNotReadyError);
    expect(meanwhile.links.map((l) => l.state)).toEqual(['orphan']);
    expect(second.deleted.services).toBe(3);
    expectClean(before);
  });

  it('on an instance that was never linked, does nothing', async () => {
    const before = advertised();

    const result = await unlink(cloud.deps, cloud.request.instanceId, cloud.budget());

    expect(result.deleted).toEqual({
      endpoints: 0,
      services: 0,
      securityGroupRule: false,
      networkAclRule: false,
    });
    expect(cloud.writes()).toEqual([]);
    expect(advertised()).toEqual(before);
  });

  it('keeps a security group rule another link still uses, and hands it over', async () => {
    // Arrange: a second instance on the same security group, linked after the first: the cloud
    // refuses a duplicate rule, so both links rely on the rule the first one created.
    const second = cloud.emulator.createKafkaInstance({ name: 'kvl-second', brokers: 1 });
    cloud.settle(60_000);
    const secondRequest: LinkRequest = { ...cloud.request, instanceId: second.instanceId };
    await driveLink(cloud.deps, cloud.request, cloud.budget());
    await driveLink(cloud.deps, secondRequest, cloud.budget());
    cloud.settle(60_000);
    const ruleId = tagValue(cloud.instance().tags, TAG.securityGroupRuleId);
    expect(vpcepRules().map((r) => r.id)).toEqual([ruleId]);

    // Act
    const first = await unlink(cloud.deps, cloud.request.instanceId, cloud.budget());
    cloud.settle();
    const whileSecondLinked = await reconcile(cloud.deps, { repair: false });
    const last = await unlink(cloud.deps, second.instanceId, cloud.budget());
    cloud.settle();

    // Assert
    expect(first.deleted.securityGroupRule).toBe(false);
    expect(whileSecondLinked.links).toEqual([
      expect.objectContaining({ instanceId: second.instanceId, state: 'linked' }),
    ]);
    expect(last.deleted.securityGroupRule).toBe(true);
    expect(vpcepRules()).toEqual([]);
  });
});
