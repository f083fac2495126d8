/**
 * Links whose clients are in another account (ARCHITECTURE §7): the endpoints are bought, read and deleted
 * in the client's account through the agency it delegated to the owner; refusals come before any
 * write and name what to fix.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLIENT_AGENCY_ACTIONS } from '../../../local/cloud/world.js';
import { buyEndpoints } from '../../../shared/link/buy-endpoints.js';
import { createServices } from '../../../shared/link/create-services.js';
import type { LinkRequest } from '../../../shared/link/desired.js';
import { driveLink } from '../../../shared/link/drive.js';
import { LinkRejectedError } from '../../../shared/link/errors.js';
import { markFailed } from '../../../shared/link/phase.js';
import { pollAcceptance } from '../../../shared/link/poll-acceptance.js';
import { type ReconcileResult, reconcile } from '../../../shared/link/reconcile.js';
import { assessLinks, takeSnapshot } from '../../../shared/link/status.js';
import { unlink } from '../../../shared/link/unlink.js';
import { startTestCloud, type TestCloud } from '../../helpers/test-cloud.js';

let cloud: TestCloud;

async function linkStatus(deps: TestCloud['deps'], query: { instanceId: string }) {
  return assessLinks(await takeSnapshot(deps)).filter((s) => s.instanceId === query.instanceId);
}
let request: LinkRequest;

beforeEach(async () => {
  cloud = await startTestCloud({ settings: { firstProbeAfterMs: 60_000, pollIntervalMs: 5_000 } });
  const { domainId, agencyName, vpcId, subnetId } = cloud.config.partner;
  request = { ...cloud.request, client: { vpcId, subnetId, domainId, agencyName } };
});
afterEach(async () => {
  await cloud.close();
});

async function rejection(promise: Promise<unknown>): Promise<LinkRejectedError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(LinkRejectedError);
  return error as LinkRejectedError;
}

describe('cross-account link', () => {
  it("buys the endpoints in the partner's project and VPC, each IP advertised for its own listener", async () => {
    const result = await driveLink(cloud.deps, request, cloud.budget(30 * 60_000));

    expect(result.outcome).toBe('completed');
    const world = cloud.emulator.world;
    const partner = cloud.config.partner;
    expect(world.endpoints).toHaveLength(3);
    for (const endpoint of world.endpoints) {
      expect(endpoint).toMatchObject({
        projectId: partner.projectId,
        vpcId: partner.vpcId,
        status: 'accepted',
      });
      const service = world.endpointServices.find((s) => s.id === endpoint.endpointServiceId)!;
      expect(service.projectId).toBe(cloud.config.projectId);
      expect(service.permissions.map((p) => p.permission)).toContain(`iam:domain::${partner.domainId}`);
      const broker = cloud.instance().brokers.find((b) => b.portId === service.portId)!;
      expect(broker.advertisedIp).toBe(endpoint.ip);
    }
    if (result.outcome === 'completed') expect(result.completion.mapping).toHaveLength(3);
  });

  it('status shows it linked, and unlink leaves nothing in either account', async () => {
    await driveLink(cloud.deps, request, cloud.budget(30 * 60_000));
    const [status] = await linkStatus(cloud.deps, { instanceId: request.instanceId });
    expect(status?.state).toBe('linked');

    await unlink(cloud.deps, request.instanceId, cloud.budget(30 * 60_000));
    cloud.settle();

    const world = cloud.emulator.world;
    expect(world.endpoints).toEqual([]);
    expect(world.endpointServices).toEqual([]);
    for (const broker of cloud.instance().brokers) expect(broker.advertisedIp).toBe(broker.listenerIp);
    expect(cloud.instance().tags.filter((t) => t.key.startsWith('kvl-'))).toEqual([]);
  });

  it('adopting services a concurrent same-account request created, it records its account on them: unlink leaves nothing', async () => {
    // Arrange: a request for a client in the owner's account created the services, then lost the
    // race: this request read the instance before that one declared its link (no tag of ours yet).
    await createServices(cloud.deps, cloud.request, cloud.budget());
    cloud.instance().tags = cloud.instance().tags.filter((t) => !t.key.startsWith('kvl-'));

    // Act
    const linked = await driveLink(cloud.deps, request, cloud.budget(30 * 60_000));
    const [status] = await linkStatus(cloud.deps, { instanceId: request.instanceId });
    await unlink(cloud.deps, request.instanceId, cloud.budget(30 * 60_000));
    cloud.settle();

    // Assert: the services carry the client account; unlink found the partner's endpoints through it.
    expect(linked.outcome).toBe('completed');
    expect(status?.state).toBe('linked');
    expect(status?.endpoints).toHaveLength(3);
    expect(cloud.emulator.world.endpoints).toEqual([]);
    expect(cloud.emulator.world.endpointServices).toEqual([]);
  });

  it("unlink finds the client's endpoints through the instance's declaration when the services do not record the account", async () => {
    // Arrange: a link made before services recorded the client account (or by the race above).
    await driveLink(cloud.deps, request, cloud.budget(30 * 60_000));
    for (const service of cloud.emulator.world.endpointServices) {
      service.tags = service.tags.filter(
        (t) => t.key !== 'kvl-client-domain' && t.key !== 'kvl-client-agency',
      );
    }

    // Act
    const [status] = await linkStatus(cloud.deps, { instanceId: request.instanceId });
    await unlink(cloud.deps, request.instanceId, cloud.budget(30 * 60_000));
    cloud.settle();

    // Assert: status read the endpoints in the declared account too
    expect(status?.state).toBe('linked');
    expect(status?.endpoints).toHaveLength(3);
    expect(cloud.emulator.world.endpoints).toEqual([]);
    expect(cloud.emulator.world.endpointServices).toEqual([]);
  });

  it("a same-account link on services that still record another account: unlink deletes the owner's endpoints too", async () => {
    // Arrange: a same-account link whose services carry a stale record of the partner's account.
    await driveLink(cloud.deps, cloud.request, cloud.budget(30 * 60_000));
    const { domainId, agencyName } = cloud.config.partner;
    for (const service of cloud.emulator.world.endpointServices) {
      service.tags.push(
        { key: 'kvl-client-domain', value: domainId },
        { key: 'kvl-client-agency', value: agencyName },
      );
    }

    // Act
    await unlink(cloud.deps, request.instanceId, cloud.budget(30 * 60_000));
    cloud.settle();

    // Assert
    expect(cloud.emulator.world.endpoints).toEqual([]);
    expect(cloud.emulator.world.endpointServices).toEqual([]);
  });

  it('refuses another account without an agency before any write', async () => {
    const { agencyName: _, ...client } = request.client;
    const error = await rejection(createServices(cloud.deps, { ...request, client }, cloud.budget()));
    expect(error.field).toBe('client.agencyName');
    expect(error.message).toContain('--client-agency');
    expect(cloud.writes()).toEqual([]);
  });

  it('refuses an agency that does not exist or does not trust the owner, before any write', async () => {
    const missing = await rejection(
      createServices(
        cloud.deps,
        { ...request, client: { ...request.client, agencyName: 'no-such-agency' } },
        cloud.budget(),
      ),
    );
    expect(missing.field).toBe('client.agencyName');
    const agency = cloud.emulator.world.agencies!.find((a) => a.name === request.client.agencyName)!;
    agency.trustDomainId = 'f'.repeat(32);
    const untrusted = await rejection(createServices(cloud.deps, request, cloud.budget()));
    expect(untrusted.field).toBe('client.agencyName');
    expect(untrusted.message).toContain('not delegated');
    expect(cloud.writes().filter((w) => !w.path.includes('securitytokens'))).toEqual([]);
  });

  it('refuses an agency that cannot read the subnet, before any write', async () => {
    const agency = cloud.emulator.world.agencies!.find((a) => a.name === request.client.agencyName)!;
    agency.actions = CLIENT_AGENCY_ACTIONS.filter((a) => a !== 'vpc:subnets:get');
    const error = await rejection(createServices(cloud.deps, request, cloud.budget()));
    expect(error.field).toBe('client.agencyName');
    expect(error.message).toContain('vpc:subnets:get');
    expect(cloud.writes().filter((w) => !w.path.includes('securitytokens'))).toEqual([]);
  });

  it('checks the subnet in the client account: one of another VPC is refused', async () => {
    const error = await rejection(
      createServices(
        cloud.deps,
        { ...request, client: { ...request.client, subnetId: cloud.config.world.clientSubnetId } },
        cloud.budget(),
      ),
    );
    expect(error.field).toBe('client.subnetId');
  });

  it('an agency without endpoint creation ends the link cleanly', async () => {
    const agency = cloud.emulator.world.agencies!.find((a) => a.name === request.client.agencyName)!;
    agency.actions = CLIENT_AGENCY_ACTIONS.filter((a) => a !== 'vpcep:endpoints:create');
    const error = await rejection(driveLink(cloud.deps, request, cloud.budget(30 * 60_000)));
    expect(error.field).toBe('client.agencyName');
    expect(error.message).toContain('vpcep:endpoints:create');
    expect(cloud.emulator.world.endpoints).toEqual([]);
    const [status] = await linkStatus(cloud.deps, { instanceId: request.instanceId });
    expect(status?.state).toBe('failed');
  });

  it('re-assumes the agency when its credentials expired mid-chain', async () => {
    await createServices(cloud.deps, request, cloud.budget(30 * 60_000));
    cloud.settle(2 * 3_600_000);
    const result = await driveLink(cloud.deps, request, cloud.budget(30 * 60_000));
    expect(result.outcome).toBe('completed');
  });
});

describe('poll-acceptance of a cross-account link', () => {
  async function pendingLink() {
    await createServices(cloud.deps, request, cloud.budget(30 * 60_000));
    // No budget: the endpoints are bought in the partner's account and left for the timer.
    const bought = await buyEndpoints(cloud.deps, request, cloud.budget(0));
    expect(bought.outcome).toBe('pending');
  }

  it("reads the endpoints in the client's account: waiting, then accepted (not re-driven)", async () => {
    await pendingLink();

    const early = await pollAcceptance(cloud.deps);
    cloud.emulator.clock.advance(10 * 60_000);
    const later = await pollAcceptance(cloud.deps);

    expect(early.map((o) => o.outcome)).toEqual(['waiting']);
    expect(later).toEqual([
      {
        outcome: 'accepted',
        instanceId: request.instanceId,
        client: { vpcId: request.client.vpcId, subnetId: request.client.subnetId },
      },
    ]);
  });

  it('ends the link when an endpoint in the client account is rejected, and marks it there', async () => {
    await pendingLink();
    const endpoint = cloud.emulator.world.endpoints[0]!;
    endpoint.status = 'rejected';
    endpoint.transitions = [];

    const outcomes = await pollAcceptance(cloud.deps);
    await markFailed(cloud.deps, request.instanceId);

    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]).toMatchObject({
      outcome: 'failed',
      code: 'ENDPOINT_REJECTED',
      endpointId: endpoint.id,
    });
    for (const e of cloud.emulator.world.endpoints) {
      expect(e.projectId).toBe(cloud.config.partner.projectId);
      expect(e.tags).toContainEqual({ key: 'kvl-phase', value: 'failed' });
    }
    expect(await pollAcceptance(cloud.deps)).toEqual([]);
  });

  it('an agency that stopped trusting the owner ends the link naming it', async () => {
    await pendingLink();
    const agency = cloud.emulator.world.agencies!.find((a) => a.name === request.client.agencyName)!;
    agency.trustDomainId = 'f'.repeat(32);

    const outcomes = await pollAcceptance(cloud.deps);

    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]).toMatchObject({ outcome: 'failed', instanceId: request.instanceId });
    expect(outcomes[0]!.outcome === 'failed' && outcomes[0]!.reason).toContain(request.client.agencyName);
  });
});

describe('reconcile of a cross-account link', () => {
  async function linked() {
    const result = await driveLink(cloud.deps, request, cloud.budget(30 * 60_000));
    expect(result.outcome).toBe('completed');
    cloud.settle();
  }
  const partnerSide = () => cloud.deps.clientAccount!(cloud.config.partner);
  const stateOf = (result: ReconcileResult) => result.links.find((l) => l.instanceId === request.instanceId);

  /** Carries out a repairing pass's requests in-process, as `reconcile --repair` does. */
  async function carryOut(result: ReconcileResult) {
    for (const action of result.actions) {
      if (action.kind === 'request-link') {
        expect(action.request.client).toMatchObject({ agencyName: request.client.agencyName });
        await driveLink(cloud.deps, action.request, cloud.budget(30 * 60_000));
      }
    }
    cloud.settle();
  }

  it('an endpoint deleted in the client account is drift, and repair re-creates it there', async () => {
    await linked();
    const victim = cloud.emulator.world.endpoints[0]!;
    await (await partnerSide()).vpcep.deleteEndpoint(victim.id);
    cloud.settle();

    const report = await reconcile(cloud.deps, { repair: false });
    const repaired = await reconcile(cloud.deps, { repair: true });
    await carryOut(repaired);
    const after = await reconcile(cloud.deps, { repair: false });

    expect(stateOf(report)?.state).toBe('drifted');
    expect(stateOf(report)?.reasons.join('; ')).toContain('endpoint missing');
    expect(repaired.actions.map((a) => a.kind)).toEqual(['request-link']);
    expect(stateOf(after)?.state).toBe('linked');
    const world = cloud.emulator.world;
    expect(world.endpoints).toHaveLength(3);
    expect(world.endpoints.map((e) => e.id)).not.toContain(victim.id);
    for (const endpoint of world.endpoints) expect(endpoint.projectId).toBe(cloud.config.partner.projectId);
    for (const broker of cloud.instance().brokers) {
      expect(world.endpoints.map((e) => e.ip)).toContain(broker.advertisedIp);
    }
  });

  it('a duplicate endpoint in the client account is deleted there', async () => {
    await linked();
    const original = cloud.emulator.world.endpoints[0]!;
    const duplicate = await (await partnerSide()).vpcep.createEndpoint({
      endpointServiceId: original.endpointServiceId,
      vpcId: original.vpcId,
      subnetId: request.client.subnetId,
    });
    cloud.settle();

    const repaired = await reconcile(cloud.deps, { repair: true });
    cloud.settle();
    const after = await reconcile(cloud.deps, { repair: false });

    expect(repaired.actions).toContainEqual(
      expect.objectContaining({ kind: 'delete-endpoint', id: duplicate.id }),
    );
    expect(cloud.emulator.world.endpoints.map((e) => e.id)).not.toContain(duplicate.id);
    expect(cloud.emulator.world.endpoints).toHaveLength(3);
    expect(stateOf(after)?.state).toBe('linked');
  });

  it('a rejected endpoint in the client account is deleted there, and the link repaired', async () => {
    await linked();
    const broken = cloud.emulator.world.endpoints[0]!;
    broken.status = 'rejected';
    broken.transitions = [];

    const repaired = await reconcile(cloud.deps, { repair: true });
    await carryOut(repaired);
    const after = await reconcile(cloud.deps, { repair: false });

    expect(repaired.actions).toContainEqual(
      expect.objectContaining({ kind: 'delete-endpoint', id: broken.id }),
    );
    expect(cloud.emulator.world.endpoints.map((e) => e.id)).not.toContain(broken.id);
    expect(stateOf(after)?.state).toBe('linked');
  });
});
