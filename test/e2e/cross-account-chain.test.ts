/**
 * A link to a VPC in another account (issue #13) end to end, as deployed: SMN → the built bundles in
 * the local FunctionGraph runtime → the emulator, whose partner account delegated an agency to the
 * owner. The endpoints must live in the partner's project and VPC, each advertised for its own
 * listener; status reads them through the agency; unlink leaves nothing in either account.
 * Assertions read the emulator's own state.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createAgencyClients } from '../../shared/cloud/agency.js';
import { staticCredentials } from '../../shared/cloud/credentials.js';
import { createCloudClients } from '../../shared/cloud/index.js';
import { DEFAULT_SETTINGS, type LinkDeps } from '../../shared/link/deps.js';
import { assessLinks, takeSnapshot } from '../../shared/link/status.js';
import { systemClock } from '../../shared/runtime/clock.js';
import { silentLogger } from '../../shared/runtime/logger.js';
import { type RuntimeCloud, startRuntimeCloud } from '../helpers/runtime-cloud.js';

let cloud: RuntimeCloud | undefined;
afterEach(async () => {
  await cloud?.close();
  cloud = undefined;
});

function partnerLink(c: RuntimeCloud) {
  const { vpcId, subnetId, domainId, agencyName } = c.config.partner;
  return { instanceId: c.config.world.instanceId, client: { vpcId, subnetId, domainId, agencyName } };
}

function seededInstance(c: RuntimeCloud) {
  return c.emulator.world.kafkaInstances.find((i) => i.instanceId === c.config.world.instanceId)!;
}

/** The owner's clients, reaching the partner's endpoints through its agency, as `status` does. */
function ownerDeps(c: RuntimeCloud): LinkDeps {
  const env = { HUAWEICLOUD_ENDPOINT: c.config.endpoint };
  const clients = createCloudClients({
    region: c.config.region,
    projectId: c.config.projectId,
    credentials: staticCredentials({ ak: c.config.ak, sk: c.config.sk }),
    env,
  });
  return {
    ...clients,
    clientAccount: (agency) =>
      createAgencyClients({ region: c.config.region, ownerIam: clients.iam, ...agency, env }),
    clock: systemClock,
    logger: silentLogger,
    settings: DEFAULT_SETTINGS,
  };
}

async function stateOf(c: RuntimeCloud) {
  const instanceId = c.config.world.instanceId;
  return assessLinks(await takeSnapshot(ownerDeps(c))).find((s) => s.instanceId === instanceId);
}

/**
 * Every broker advertises the IP of an accepted endpoint of the service on its own port, in the
 * partner's project and VPC. `exactlyOne`: no other endpoint exists (the timer path can leave a
 * duplicate: a timed-out buy-endpoints is retried while the first run still goes on, in the same
 * account too; the next buy-endpoints run or reconcile removes it).
 */
function expectLinkedInPartnerAccount(c: RuntimeCloud, exactlyOne: boolean) {
  const world = c.emulator.world;
  const instance = seededInstance(c);
  const { partner } = c.config;
  for (const endpoint of world.endpoints) {
    expect(endpoint).toMatchObject({ projectId: partner.projectId, vpcId: partner.vpcId });
  }
  if (exactlyOne) expect(world.endpoints).toHaveLength(instance.brokers.length);
  for (const broker of instance.brokers) {
    const services = world.endpointServices.filter((s) => s.portId === broker.portId);
    expect(services).toHaveLength(1);
    expect(services[0]!.projectId).toBe(c.config.projectId);
    expect(services[0]!.permissions.map((p) => p.permission)).toContain(`iam:domain::${partner.domainId}`);
    const advertised = world.endpoints.find(
      (e) => e.endpointServiceId === services[0]!.id && e.ip === broker.advertisedIp,
    );
    expect(advertised?.status).toBe('accepted');
  }
}

describe('cross-account link through the local runtime', () => {
  it('links to the partner VPC on the fast path; status linked; unlink clears both accounts', async () => {
    // Arrange
    cloud = await startRuntimeCloud();

    // Act 1: the link
    const outcome = await cloud.outcome(await cloud.publishLinkRequest(partnerLink(cloud)));
    await cloud.runtime.idle();

    // Assert 1
    expect(outcome.type).toBe('kvl.link.completed');
    if (outcome.type !== 'kvl.link.completed') return;
    expect(outcome.data.mapping).toHaveLength(seededInstance(cloud).brokers.length);
    expectLinkedInPartnerAccount(cloud, true);
    expect((await stateOf(cloud))?.state).toBe('linked');

    // Act 2: the unlink
    const unlinkId = await cloud.publishUnlinkRequest(cloud.config.world.instanceId);
    const deadline = Date.now() + 20_000;
    while (!cloud.events().some((e) => e.type === 'kvl.link.removed' && e.correlationid === unlinkId)) {
      if (Date.now() > deadline) throw new Error('no kvl.link.removed');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await cloud.runtime.idle();

    // Assert 2: nothing in either account; the listeners advertise themselves again.
    const world = cloud.emulator.world;
    expect(world.endpoints.filter((e) => e.status !== 'deleting')).toEqual([]);
    expect(world.endpointServices.filter((s) => s.status !== 'deleting')).toEqual([]);
    const instance = seededInstance(cloud);
    for (const broker of instance.brokers) expect(broker.advertisedIp).toBe(broker.listenerIp);
    expect(instance.tags.filter((t) => t.key.startsWith('kvl-'))).toEqual([]);
    expect(await stateOf(cloud)).toBeUndefined();
    expect(cloud.runtime.failures).toEqual([]);
  });

  it('finishes through the poll-acceptance timer when the fast path runs out of time', async () => {
    // Arrange: endpoints take much longer than buy-endpoints may wait inline.
    cloud = await startRuntimeCloud({ speed: 50, functionTimeoutMs: { 'buy-endpoints': 400 } });

    // Act
    const outcome = await cloud.outcome(await cloud.publishLinkRequest(partnerLink(cloud)), 30_000);
    await cloud.runtime.idle();

    // Assert: completed after the timer ran, never failed, endpoints only in the partner's account.
    expect(outcome.type).toBe('kvl.link.completed');
    const polls = cloud.runtime.invocations.filter((i) => i.functionName === 'poll-acceptance');
    expect(polls.length).toBeGreaterThan(0);
    expect(cloud.events().filter((e) => e.type === 'kvl.link.failed')).toEqual([]);
    expectLinkedInPartnerAccount(cloud, false);
  });
});
