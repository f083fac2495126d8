/**
 * Reconcile on a frozen-clock emulator: every drift case on its own, detected and then repaired
 * (the pass's `request-link` / `request-unlink` actions carried out in-process, as the CLI does),
 * orphans, duplicates, the cost of a pass, and `status` through the command line.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../../local/cli.js';
import { createPort } from '../../../local/cloud/index.js';
import { startKafkaInstance } from '../../../local/cloud/world.js';
import type { Io } from '../../../local/commands/common.js';
import { newCloudEvent } from '../../../shared/events/cloudevents.js';
import { createServices } from '../../../shared/link/create-services.js';
import type { LinkRequest } from '../../../shared/link/desired.js';
import { driveLink } from '../../../shared/link/drive.js';
import { pollAcceptance } from '../../../shared/link/poll-acceptance.js';
import { type ReconcileResult, reconcile, reconcileReportData } from '../../../shared/link/reconcile.js';
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

async function linkFully(request: LinkRequest = cloud.request): Promise<void> {
  const result = await driveLink(cloud.deps, request, cloud.budget());
  expect(result.outcome).toBe('completed');
  cloud.settle();
}

/** Carries out what a repairing pass asked of the chain, in-process (as `reconcile --repair` does). */
async function carryOut(result: ReconcileResult): Promise<void> {
  for (const action of result.actions) {
    if (action.kind === 'request-link') await driveLink(cloud.deps, action.request, cloud.budget());
    if (action.kind === 'request-unlink') await unlink(cloud.deps, action.instanceId, cloud.budget());
  }
  cloud.settle();
}

function statusOf(result: ReconcileResult, instanceId = cloud.request.instanceId) {
  return result.links.find((l) => l.instanceId === instanceId);
}

/** Every broker advertises the IP of the accepted endpoint of the service on its own port. */
function expectMappedCorrectly(instanceId = cloud.request.instanceId): void {
  const world = cloud.emulator.world;
  for (const broker of cloud.instance(instanceId).brokers) {
    const services = world.endpointServices.filter((s) => s.portId === broker.portId);
    expect(services).toHaveLength(1);
    const endpoints = world.endpoints.filter((e) => e.endpointServiceId === services[0]!.id);
    expect(endpoints).toHaveLength(1);
    expect(endpoints[0]!.status).toBe('accepted');
    expect(broker.advertisedIp).toBe(endpoints[0]!.ip);
  }
}

/** Detects with a report-only pass, repairs with a repairing one, checks the link is whole again. */
async function detectAndRepair(reason: RegExp) {
  const detected = await reconcile(cloud.deps, { repair: false });
  const repairing = await reconcile(cloud.deps, { repair: true });
  await carryOut(repairing);
  const after = await reconcile(cloud.deps, { repair: true });
  return { detected, repairing, after, reason };
}

function expectDetectedAndRepaired(outcome: Awaited<ReturnType<typeof detectAndRepair>>): void {
  const { detected, repairing, after, reason } = outcome;
  expect(statusOf(detected)?.state).toBe('drifted');
  expect(statusOf(detected)?.reasons.some((r) => reason.test(r))).toBe(true);
  expect(detected.actions).toEqual([]);
  expect(repairing.actions.filter((a) => a.kind === 'request-link')).toHaveLength(1);
  expect(statusOf(after)?.state).toBe('linked');
  expect(statusOf(after)?.reasons).toEqual([]);
  expect(after.actions).toEqual([]);
  expectMappedCorrectly();
}

describe('reconcile: a converged cloud', () => {
  it('reports a whole link as linked and repairs nothing', async () => {
    await linkFully();
    cloud.emulator.clearRequests();

    const result = await reconcile(cloud.deps, { repair: true });

    expect(result.counts).toEqual({ linked: 1, 'in-progress': 0, drifted: 0, failed: 0, orphan: 0 });
    expect(statusOf(result)?.bootstrapServers).toMatch(/^(\d+\.){3}\d+:9011(,(\d+\.){3}\d+:9011){2}$/);
    expect(result.actions).toEqual([]);
    expect(cloud.writes()).toEqual([]);
  });

  it('leaves a link the chain is still building alone', async () => {
    // create-services done, endpoints not bought yet: the chain (or its timer) owns this link.
    await createServices(cloud.deps, cloud.request, cloud.budget());
    cloud.emulator.clearRequests();

    const result = await reconcile(cloud.deps, { repair: true });

    expect(statusOf(result)?.state).toBe('in-progress');
    expect(result.actions).toEqual([]);
    expect(cloud.writes()).toEqual([]);
  });

  it('reports a link on a STARTING instance (frozen -> running) in progress, not failed, and leaves it', async () => {
    // Arrange: drift the chain would repair, while the instance is being unfrozen.
    await linkFully();
    const identity = Object.fromEntries(cloud.instance().brokers.map((b) => [b.listenerIp, b.listenerIp]));
    await cloud.deps.dms.modifyCrossVpc(cloud.request.instanceId, identity);
    startKafkaInstance(cloud.instance(), cloud.emulator.clock, 60_000);
    cloud.emulator.clearRequests();

    // Act
    const result = await reconcile(cloud.deps, { repair: true });

    // Assert
    expect(statusOf(result)?.state).toBe('in-progress');
    expect(statusOf(result)?.reasons[0]).toBe('the instance is STARTING');
    expect(result.actions).toEqual([]);
    expect(cloud.writes()).toEqual([]);
  });

  it('costs the same few calls for 1 link and for 5: one listing per resource kind, not per link', async () => {
    // Arrange: one link, then four more instances linked the same way.
    await linkFully();
    cloud.emulator.clearRequests();
    await reconcile(cloud.deps, { repair: true });
    const oneLink = cloud.emulator.requests();
    for (let i = 0; i < 4; i++) {
      const created = cloud.emulator.createKafkaInstance({ name: `kvl-extra-${i}`, brokers: 3 });
      cloud.settle(60_000);
      await linkFully({ ...cloud.request, instanceId: created.instanceId });
    }
    cloud.emulator.clearRequests();

    // Act
    const result = await reconcile(cloud.deps, { repair: true });
    const fiveLinks = cloud.emulator.requests();

    // Assert: 4 GETs (instances, endpoint services, endpoints, security group rules) either way.
    expect(result.counts.linked).toBe(5);
    expect(oneLink).toHaveLength(4);
    expect(fiveLinks).toHaveLength(4);
    expect(fiveLinks.every((r) => r.method === 'GET')).toBe(true);
  });

  it('builds a report the kvl.reconcile.report contract accepts', async () => {
    await linkFully();
    await cloud.deps.vpcep.deleteEndpoint(cloud.emulator.world.endpoints[0]!.id);
    const result = await reconcile(cloud.deps, { repair: true });

    const event = newCloudEvent('kvl.reconcile.report', {
      source: 'kvl/test',
      data: reconcileReportData(result),
    });

    expect(event.data.counts.drifted).toBe(1);
    expect(event.data.links[0]).toMatchObject({ instanceId: cloud.request.instanceId, state: 'drifted' });
    expect(event.data.repaired).toEqual([cloud.request.instanceId]);
  });
});

describe('reconcile: each drift case detected and repaired', () => {
  beforeEach(async () => {
    await linkFully();
  });

  it('an endpoint deleted out of band', async () => {
    const victim = cloud.emulator.world.endpoints[0]!;
    await cloud.deps.vpcep.deleteEndpoint(victim.id);

    const outcome = await detectAndRepair(/endpoint missing/);

    expectDetectedAndRepaired(outcome);
    expect(cloud.emulator.world.endpoints.some((e) => e.id === victim.id)).toBe(false);
  });

  it('an endpoint forced to rejected', async () => {
    const victim = cloud.emulator.world.endpoints[1]!;
    const forced = await fetch(`${cloud.config.endpoint}/_emulator/endpoints/${victim.id}/state`, {
      method: 'POST',
      body: JSON.stringify({ status: 'rejected' }),
    });
    expect(forced.status).toBe(200);

    const outcome = await detectAndRepair(/is rejected/);

    expectDetectedAndRepaired(outcome);
    // The broken endpoint itself is deleted by the pass; the chain buys its replacement.
    expect(outcome.repairing.actions).toContainEqual(
      expect.objectContaining({ kind: 'delete-endpoint', id: victim.id, why: 'endpoint rejected' }),
    );
    expect(cloud.emulator.world.endpoints.some((e) => e.id === victim.id)).toBe(false);
  });

  it('advertised IPs changed out of band', async () => {
    const identity = Object.fromEntries(cloud.instance().brokers.map((b) => [b.listenerIp, b.listenerIp]));
    await cloud.deps.dms.modifyCrossVpc(cloud.request.instanceId, identity);
    cloud.settle(60_000);

    const outcome = await detectAndRepair(/advertised .*, endpoint IP is/);

    expectDetectedAndRepaired(outcome);
  });

  it('the security group rule deleted', async () => {
    const ruleId = tagValue(cloud.instance().tags, TAG.securityGroupRuleId)!;
    await cloud.deps.vpc.deleteSecurityGroupRule(ruleId);

    const outcome = await detectAndRepair(/no inbound TCP 9011 rule/);

    expectDetectedAndRepaired(outcome);
    const rules = cloud.emulator.world.securityGroupRules.filter((r) => r.remoteIpPrefix === VPCEP_CIDR);
    expect(rules).toHaveLength(1);
    // The new rule is recorded as ours, so unlink removes it.
    expect(tagValue(cloud.instance().tags, TAG.securityGroupRuleId)).toBe(rules[0]!.id);
  });

  it('a broker added by scale-out', async () => {
    const instance = cloud.instance();
    const port = createPort(cloud.emulator.world, randomUUID, {
      subnetId: instance.subnetId,
      deviceOwner: `dms:kafka:${instance.instanceId}:broker-3`,
    });
    instance.brokers.push({ listenerIp: port.ip, advertisedIp: port.ip, portId: port.id });

    const outcome = await detectAndRepair(
      new RegExp(`listener ${port.ip.replaceAll('.', '\\.')}: endpoint service missing`),
    );

    expectDetectedAndRepaired(outcome);
    expect(cloud.emulator.world.endpointServices).toHaveLength(4);
    expect(cloud.emulator.world.endpoints).toHaveLength(4);
  });
});

describe('reconcile: a repair of an old link', () => {
  it('is not judged timed out by the acceptance timer while the chain rebuilds it', async () => {
    // Arrange: a link made long ago (beyond the 15 min acceptance timeout), then scaled out.
    await linkFully();
    cloud.settle(60 * 60_000);
    const instance = cloud.instance();
    const port = createPort(cloud.emulator.world, randomUUID, {
      subnetId: instance.subnetId,
      deviceOwner: `dms:kafka:${instance.instanceId}:broker-3`,
    });
    instance.brokers.push({ listenerIp: port.ip, advertisedIp: port.ip, portId: port.id });
    const result = await reconcile(cloud.deps, { repair: true });
    const request = result.actions.find((a) => a.kind === 'request-link');

    // Act: the chain has created the new service (still creating) when the timer ticks.
    await createServices(
      cloud.deps,
      request?.kind === 'request-link' ? request.request : cloud.request,
      cloud.budget(0),
    );
    const outcomes = await pollAcceptance(cloud.deps);

    // Assert
    expect(outcomes).toEqual([
      expect.objectContaining({ instanceId: cloud.request.instanceId, outcome: 'waiting' }),
    ]);
  });
});

describe('reconcile: orphans are unlinked', () => {
  beforeEach(async () => {
    await linkFully();
  });

  it('resources of an instance that no longer exists', async () => {
    const world = cloud.emulator.world;
    world.kafkaInstances.splice(world.kafkaInstances.indexOf(cloud.instance()), 1);

    const result = await reconcile(cloud.deps, { repair: true });
    await carryOut(result);
    const after = await reconcile(cloud.deps, { repair: true });

    expect(statusOf(result)).toMatchObject({
      state: 'orphan',
      reasons: ['the Kafka instance no longer exists'],
    });
    expect(result.actions).toEqual([{ kind: 'request-unlink', instanceId: cloud.request.instanceId }]);
    expect(world.endpoints).toEqual([]);
    expect(world.endpointServices).toEqual([]);
    // The rule is found by its description once the instance (and its tags) are gone.
    expect(world.securityGroupRules.filter((r) => r.remoteIpPrefix === VPCEP_CIDR)).toEqual([]);
    expect(after.links).toEqual([]);
  });

  it('resources of an instance whose desired-state tags were removed', async () => {
    const before = cloud.instance().brokers.map((b) => b.listenerIp);
    await cloud.deps.dms.deleteInstanceTags(cloud.request.instanceId, [
      { key: TAG.clientVpc },
      { key: TAG.clientSubnet },
    ]);

    const result = await reconcile(cloud.deps, { repair: true });
    await carryOut(result);
    const after = await reconcile(cloud.deps, { repair: true });

    expect(statusOf(result)).toMatchObject({
      state: 'orphan',
      reasons: ['the instance no longer declares a client VPC'],
    });
    const world = cloud.emulator.world;
    expect(world.endpoints).toEqual([]);
    expect(world.endpointServices).toEqual([]);
    expect(cloud.instance().brokers.map((b) => b.advertisedIp)).toEqual(before);
    expect(cloud.instance().tags.filter((t) => t.key.startsWith('kvl-'))).toEqual([]);
    expect(after.links).toEqual([]);
  });
});

describe('reconcile: duplicates are removed, keeping the one in use', () => {
  beforeEach(async () => {
    await linkFully();
  });

  it('a second endpoint for one service in the client VPC', async () => {
    const service = cloud.emulator.world.endpointServices[0]!;
    const inUse = cloud.emulator.world.endpoints.find((e) => e.endpointServiceId === service.id)!;
    const extra = await cloud.deps.vpcep.createEndpoint({
      endpointServiceId: service.id,
      vpcId: cloud.request.client.vpcId,
      subnetId: cloud.request.client.subnetId,
      tags: [{ key: TAG.instance, value: cloud.request.instanceId }],
    });
    cloud.settle(60_000);

    const result = await reconcile(cloud.deps, { repair: true });
    cloud.settle();
    const after = await reconcile(cloud.deps, { repair: true });

    expect(statusOf(result)?.state).toBe('drifted');
    expect(statusOf(result)?.reasons).toEqual([expect.stringMatching(/1 duplicate endpoint\(s\)/)]);
    // Deleting is the whole repair: nothing for the chain to do.
    expect(result.actions).toEqual([
      expect.objectContaining({ kind: 'delete-endpoint', id: extra.id, why: 'duplicate endpoint' }),
    ]);
    expect(cloud.emulator.world.endpoints.filter((e) => e.endpointServiceId === service.id)).toEqual([
      expect.objectContaining({ id: inUse.id }),
    ]);
    expect(statusOf(after)?.state).toBe('linked');
    expectMappedCorrectly();
  });

  it('a second endpoint service on one port_id, with its own endpoint', async () => {
    // Arrange: a duplicate service on the first broker's port (another server port gets past the
    // cloud's same-port check), tagged as ours, with an accepted endpoint in the client VPC.
    const broker = cloud.instance().brokers[0]!;
    const original = cloud.emulator.world.endpointServices.find((s) => s.portId === broker.portId)!;
    const duplicate = await cloud.deps.vpcep.createEndpointService({
      portId: broker.portId,
      vpcId: cloud.instance().vpcId,
      serverType: 'VM',
      approvalEnabled: false,
      ports: [{ clientPort: 9012, serverPort: 9012, protocol: 'TCP' }],
      tags: [{ key: TAG.instance, value: cloud.request.instanceId }],
    });
    cloud.settle(60_000);
    await cloud.deps.vpcep.createEndpoint({
      endpointServiceId: duplicate.id,
      vpcId: cloud.request.client.vpcId,
      subnetId: cloud.request.client.subnetId,
    });
    cloud.settle(60_000);

    // Act: the first pass deletes the duplicate's endpoint (its service cannot go while the
    // endpoint is deleting), the second the duplicate service.
    const first = await reconcile(cloud.deps, { repair: true });
    cloud.settle();
    const second = await reconcile(cloud.deps, { repair: true });
    cloud.settle();
    const after = await reconcile(cloud.deps, { repair: true });

    // Assert
    expect(statusOf(first)?.reasons).toEqual([expect.stringMatching(/1 duplicate endpoint service\(s\)/)]);
    expect(first.actions.map((a) => a.kind)).toEqual(['delete-endpoint']);
    expect(second.actions).toEqual([
      expect.objectContaining({ kind: 'delete-service', id: duplicate.id, why: 'duplicate service' }),
    ]);
    expect(cloud.emulator.world.endpointServices.some((s) => s.id === duplicate.id)).toBe(false);
    expect(cloud.emulator.world.endpointServices.some((s) => s.id === original.id)).toBe(true);
    expect(statusOf(after)?.state).toBe('linked');
    expect(after.actions).toEqual([]);
    expectMappedCorrectly();
  });
});

describe('status through the command line', () => {
  interface Captured extends Io {
    stdout: string[];
  }
  const captureIo = (): Captured => {
    const stdout: string[] = [];
    return { stdout, out: (t) => stdout.push(t), err: () => {}, isTty: false };
  };

  it('shows every link with its state: linked, drifted with reasons, orphan', async () => {
    // Arrange: the seeded instance linked then drifted, a second one linked, a third orphaned.
    await linkFully();
    const linked = cloud.emulator.createKafkaInstance({ name: 'kvl-status-linked', brokers: 1 });
    const orphaned = cloud.emulator.createKafkaInstance({ name: 'kvl-status-orphan', brokers: 1 });
    cloud.settle(60_000);
    await linkFully({ ...cloud.request, instanceId: linked.instanceId });
    await linkFully({ ...cloud.request, instanceId: orphaned.instanceId });
    await cloud.deps.dms.deleteInstanceTags(orphaned.instanceId, [{ key: TAG.clientVpc }]);
    const endpoint = cloud.emulator.world.endpoints.find(
      (e) => tagValue(e.tags, TAG.instance) === cloud.request.instanceId,
    )!;
    await cloud.deps.vpcep.deleteEndpoint(endpoint.id);
    const env = {
      HUAWEICLOUD_ENDPOINT: cloud.config.endpoint,
      HUAWEICLOUD_REGION: cloud.config.region,
      HUAWEICLOUD_SDK_AK: cloud.config.ak,
      HUAWEICLOUD_SDK_SK: cloud.config.sk,
      HUAWEICLOUD_SDK_PROJECT_ID: cloud.config.projectId,
    };
    const io = captureIo();

    // Act
    const code = await main(['node', 'kafka-vpcep-link', 'status', '--json'], io, env);

    // Assert
    expect(code).toBe(0);
    const views = JSON.parse(io.stdout.join('\n')) as Array<{
      instanceId: string;
      state: string;
      reasons: string[];
    }>;
    const stateOf = (id: string) => views.find((v) => v.instanceId === id);
    expect(views).toHaveLength(3);
    expect(stateOf(cloud.request.instanceId)).toMatchObject({
      state: 'drifted',
      reasons: [expect.stringMatching(/endpoint missing/)],
    });
    expect(stateOf(linked.instanceId)).toMatchObject({ state: 'linked', reasons: [] });
    expect(stateOf(orphaned.instanceId)?.state).toBe('orphan');
  });
});
