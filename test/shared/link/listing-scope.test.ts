/**
 * Listings scoped to one instance (issue #15, scale): once a link's services exist, its steps list
 * the endpoint services and endpoints named like that instance's (`endpoint_service_name`, matched
 * anywhere in the name), not every page of every link in the account. A service adopted under
 * another name is never missed: the steps list without the filter then.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LinkRequest } from '../../../shared/link/desired.js';
import { driveLink } from '../../../shared/link/drive.js';
import { namedLike, serviceNameFor, serviceNameStem } from '../../../shared/link/inventory.js';
import { runChainSteps } from '../../helpers/chain-steps.js';
import { startTestCloud, type TestCloud } from '../../helpers/test-cloud.js';

let cloud: TestCloud;

beforeEach(async () => {
  cloud = await startTestCloud();
});
afterEach(async () => {
  await cloud.close();
});

const INSTANCE = 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d';

/** GET listings of endpoint services and endpoints, with the name filter each was sent with. */
function listings() {
  return cloud.emulator
    .requests()
    .filter((r) => r.method === 'GET' && /\/vpc-endpoint(-service)?s$/.test(r.path) && r.status === 200)
    .map((r) => ({
      what: r.path.endsWith('/vpc-endpoint-services') ? 'services' : 'endpoints',
      name: r.query?.endpoint_service_name,
    }));
}

/** Another instance linked to the same client VPC first: the account holds more than this link. */
async function linkAnotherInstance(): Promise<void> {
  const other = cloud.emulator.createKafkaInstance({ name: 'kvl-other', brokers: 3 });
  cloud.settle(60_000);
  const result = await driveLink(
    cloud.deps,
    { ...cloud.request, instanceId: other.instanceId },
    cloud.budget(),
  );
  if (result.outcome !== 'completed') throw new Error('the other link did not complete');
  cloud.settle(60_000);
}

describe('service names', () => {
  it('share one stem per instance, which the filter uses only when every service carries it', () => {
    // Arrange
    const names = ['10.0.0.11', '10.0.0.12', '10.0.0.213'].map((ip) => serviceNameFor(INSTANCE, ip));

    // Act
    const stem = serviceNameStem(INSTANCE);

    // Assert: ≤ 16 chars, as the cloud allows; a name reported as {region}.{name}.{id} still matches.
    expect(stem).toBe('kvl-a1b2c3d4-');
    expect(names).toEqual(['kvl-a1b2c3d4-11', 'kvl-a1b2c3d4-12', 'kvl-a1b2c3d4-213']);
    expect(names.every((n) => n.length <= 16)).toBe(true);
    const reported = names.map((n) => `ap-southeast-1.${n}.5e4a8c1e-1111-2222-3333-444455556666`);
    expect(namedLike(INSTANCE, reported)).toEqual({ endpointServiceName: stem });
    expect(namedLike(INSTANCE, [...reported, 'ap-southeast-1.console-made.9f0e'])).toEqual({});
    expect(namedLike(INSTANCE, [])).toEqual({});
  });
});

describe('listings of a link among other links', () => {
  it('direct mode: every listing names the instance', async () => {
    // Arrange
    await linkAnotherInstance();
    cloud.emulator.clearRequests();

    // Act
    const result = await driveLink(cloud.deps, cloud.request, cloud.budget());

    // Assert: the wait for the new services and the endpoint probes (a first link creates its
    // services without looking for earlier ones: its instance carries no tag of ours).
    expect(result.outcome).toBe('completed');
    const stem = serviceNameStem(cloud.request.instanceId);
    const all = listings();
    expect(all.length).toBeGreaterThanOrEqual(2);
    expect(all).toEqual(all.map((l) => ({ what: l.what, name: stem })));
  });

  it('through the chain: buy-endpoints and patch-listeners list only the endpoints of the instance', async () => {
    // Arrange
    await linkAnotherInstance();
    cloud.emulator.clearRequests();
    const request: LinkRequest = cloud.request;

    // Act: each step handed what the previous one published.
    const completion = await runChainSteps(cloud, request);

    // Assert
    expect(completion.mapping).toHaveLength(3);
    const stem = serviceNameStem(request.instanceId);
    const endpointListings = listings().filter((l) => l.what === 'endpoints');
    expect(endpointListings.length).toBeGreaterThanOrEqual(3);
    expect(endpointListings.every((l) => l.name === stem)).toBe(true);
  });
});

/** A service and an accepted endpoint in the client VPC on a broker's port, made in the console. */
async function handMadeLink(brokerIndex: number) {
  const instance = cloud.instance();
  const broker = instance.brokers[brokerIndex]!;
  const service = await cloud.deps.vpcep.createEndpointService({
    portId: broker.portId,
    vpcId: instance.vpcId,
    serverType: 'VM',
    serviceType: 'interface',
    approvalEnabled: false,
    serviceName: `console-made-${brokerIndex}`,
    tcpProxy: 'close',
    ports: [{ clientPort: 9011, serverPort: 9011, protocol: 'TCP' }],
  });
  cloud.settle(120_000);
  const endpoint = await cloud.deps.vpcep.createEndpoint({
    endpointServiceId: service.id,
    vpcId: cloud.request.client.vpcId,
    subnetId: cloud.request.client.subnetId,
  });
  cloud.settle(120_000);
  return { service, endpoint };
}

describe('services made by hand on broker ports', () => {
  it('are adopted under their own name, and their endpoint is used, not bought twice', async () => {
    // Arrange: broker 1's port already has a service and an accepted endpoint in the client VPC.
    const { service: handMade, endpoint: handMadeEndpoint } = await handMadeLink(0);

    // Act
    const result = await driveLink(cloud.deps, cloud.request, cloud.budget());

    // Assert: one live service per port, one endpoint per service, broker 1 mapped to the hand-made
    // endpoint.
    expect(result.outcome).toBe('completed');
    if (result.outcome !== 'completed') return;
    const live = cloud.emulator.world.endpointServices.filter((s) => s.status !== 'deleting');
    expect(live).toHaveLength(3);
    const endpoints = cloud.emulator.world.endpoints.filter((e) => e.status !== 'deleting');
    expect(endpoints).toHaveLength(3);
    const mapped = result.completion.mapping.find((m) => m.serviceId === handMade.id);
    expect(mapped?.endpointId).toBe(handMadeEndpoint.id);
  });

  it('do not count against the quota: a full quota with every port served by hand still links', async () => {
    // Arrange: all three ports served by hand, and no endpoint service or endpoint left in the quotas.
    const made = await Promise.all([0, 1, 2].map((i) => handMadeLink(i)));
    const world = cloud.emulator.world;
    world.quotas.endpointService = world.endpointServices.length;
    world.quotas.endpoint = world.endpoints.length;

    // Act
    const result = await driveLink(cloud.deps, cloud.request, cloud.budget());

    // Assert: counted again from the whole account before refusing; linked on the hand-made ones.
    expect(result.outcome).toBe('completed');
    if (result.outcome !== 'completed') return;
    expect(new Set(result.completion.mapping.map((m) => m.endpointId))).toEqual(
      new Set(made.map((m) => m.endpoint.id)),
    );
  });

  it('are planned for adoption by a dry run, which reads the whole account', async () => {
    // Arrange
    const { service } = await handMadeLink(1);
    cloud.emulator.clearRequests();

    // Act
    const plan = await driveLink(cloud.deps, { ...cloud.request, options: { dryRun: true } }, cloud.budget());

    // Assert
    expect(plan.outcome).toBe('planned');
    if (plan.outcome !== 'planned') return;
    expect(plan.actions.filter((a) => a.action === 'adopt-service').map((a) => a.target)).toEqual([
      service.id,
    ]);
    expect(plan.actions.filter((a) => a.action === 'create-service')).toHaveLength(2);
    expect(cloud.writes()).toEqual([]);
  });
});

describe('a cloud whose name filter matched only whole names', () => {
  it('still links: a listing that misses what exists is read again without the filter', async () => {
    // Arrange: the SDK documents a match anywhere in the name; this cloud would match whole names only.
    const vpcep = cloud.deps.vpcep;
    const wholeName = (name: string | undefined, wanted: string | undefined) => !wanted || name === wanted;
    const listServices = vpcep.listEndpointServices.bind(vpcep);
    const listEndpoints = vpcep.listEndpoints.bind(vpcep);
    vpcep.listEndpointServices = async (filter = {}) => {
      const { endpointServiceName, ...rest } = filter;
      return (await listServices(rest)).filter((s) => wholeName(s.serviceName, endpointServiceName));
    };
    vpcep.listEndpoints = async (filter = {}, options) => {
      const { endpointServiceName, ...rest } = filter;
      return (await listEndpoints(rest, options)).filter((e) =>
        wholeName(e.endpointServiceName, endpointServiceName),
      );
    };

    // Act
    const result = await driveLink(cloud.deps, cloud.request, cloud.budget());

    // Assert: linked once, nothing bought twice.
    expect(result.outcome).toBe('completed');
    expect(cloud.emulator.world.endpointServices).toHaveLength(3);
    expect(cloud.emulator.world.endpoints).toHaveLength(3);
  });
});
