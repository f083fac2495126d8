import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startKafkaInstance } from '../../../local/cloud/world.js';
import { buyEndpoints } from '../../../shared/link/buy-endpoints.js';
import { createServices } from '../../../shared/link/create-services.js';
import { desiredLinkOf, type LinkRequest } from '../../../shared/link/desired.js';
import { driveLink } from '../../../shared/link/drive.js';
import { LinkNotReadyError, LinkRejectedError } from '../../../shared/link/errors.js';
import { patchListeners } from '../../../shared/link/patch-listeners.js';
import { pollAcceptance } from '../../../shared/link/poll-acceptance.js';
import { TAG, tagValue } from '../../../shared/link/tags.js';
import { unlink } from '../../../shared/link/unlink.js';
import { failedEventFor } from '../../../shared/runtime/middleware/index.js';
import { startTestCloud, type TestCloud } from '../../helpers/test-cloud.js';
import { addThirdVpc } from '../../helpers/third-vpc.js';

let cloud: TestCloud;

beforeEach(async () => {
  cloud = await startTestCloud();
});
afterEach(async () => {
  await cloud.close();
});

describe('create-services', () => {
  it('creates one available, tagged service per broker port and records the desired state', async () => {
    // Act
    const result = await createServices(cloud.deps, cloud.request, cloud.budget());

    // Assert
    const brokers = cloud.instance().brokers;
    expect(result.ready).toBe(true);
    expect(result.services.map((s) => s.portId).sort()).toEqual(brokers.map((b) => b.portId).sort());
    const services = cloud.emulator.world.endpointServices;
    expect(services).toHaveLength(brokers.length);
    for (const service of services) {
      expect(service.status).toBe('available');
      expect(service.approvalEnabled).toBe(false);
      expect(service.ports).toEqual([{ client_port: 9011, server_port: 9011, protocol: 'TCP' }]);
      expect(service.tags).toContainEqual({ key: TAG.instance, value: cloud.request.instanceId });
      // The step drives the link itself: no phase until it hands the link over to the timer.
      expect(tagValue(service.tags, TAG.phase)).toBeUndefined();
    }
    const desired = desiredLinkOf(cloud.instance());
    expect(desired?.client).toEqual(cloud.request.client);
  });

  it('is idempotent: a second run creates nothing', async () => {
    await createServices(cloud.deps, cloud.request, cloud.budget());
    cloud.emulator.clearRequests();

    const again = await createServices(cloud.deps, cloud.request, cloud.budget());

    expect(again.ready).toBe(true);
    expect(cloud.emulator.world.endpointServices).toHaveLength(3);
    expect(cloud.writes()).toEqual([]);
  });

  it('lists no services before a first link creates them, but does once the instance carries our tags', async () => {
    // Arrange
    const listingsBeforeFirstCreate = () => {
      const log = cloud.emulator.requests();
      const firstCreate = log.findIndex(
        (r) => r.method === 'POST' && r.path.endsWith('/vpc-endpoint-services'),
      );
      return log
        .slice(0, firstCreate === -1 ? log.length : firstCreate)
        .filter((r) => r.method === 'GET' && r.path.endsWith('/vpc-endpoint-services'));
    };

    // Act
    await createServices(cloud.deps, cloud.request, cloud.budget());
    const first = listingsBeforeFirstCreate();
    cloud.emulator.clearRequests();
    await createServices(cloud.deps, cloud.request, cloud.budget());

    // Assert
    expect(first).toEqual([]);
    expect(listingsBeforeFirstCreate()).toHaveLength(1);
  });

  it('a first link meeting a service still being deleted on its port waits for it, then creates its own', async () => {
    // Arrange: a finished unlink (no tag of ours on the instance) whose services are still deleting.
    await driveLink(cloud.deps, cloud.request, cloud.budget());
    await unlink(cloud.deps, cloud.request.instanceId, cloud.budget());
    const deleting = new Set(cloud.emulator.world.endpointServices.map((s) => s.id));
    expect(cloud.instance().tags.filter((t) => t.key.startsWith('kvl-'))).toEqual([]);
    cloud.emulator.clearRequests();

    // Act
    const result = await createServices(cloud.deps, cloud.request, cloud.budget());

    // Assert: the create was refused (the port is held), the step listed and waited, then created.
    expect(result.ready).toBe(true);
    expect(result.services.every((s) => !deleting.has(s.serviceId))).toBe(true);
    const creates = cloud.emulator
      .requests()
      .filter((r) => r.method === 'POST' && r.path.endsWith('/vpc-endpoint-services'));
    expect(creates[0]?.status).toBe(400);
    expect(creates.filter((r) => r.status === 200)).toHaveLength(3);
    expect(cloud.emulator.world.endpointServices.filter((s) => s.status === 'available')).toHaveLength(3);
  });

  it('checks the new services once, after the documented creation time', async () => {
    // Arrange
    const start = cloud.emulator.clock.now();

    // Act
    const result = await createServices(cloud.deps, cloud.request, cloud.budget());

    // Assert: no listing before the creates (a first link: nothing of ours can exist), one probe
    // after; nothing in between.
    expect(result.ready).toBe(true);
    const log = cloud.emulator.requests();
    const lastCreate = log.findLastIndex(
      (r) => r.method === 'POST' && r.path.endsWith('/vpc-endpoint-services'),
    );
    const probes = log.slice(lastCreate + 1).filter((r) => r.path.endsWith('/vpc-endpoint-services'));
    expect(probes).toHaveLength(1);
    expect(Date.parse(probes[0]!.time) - start).toBeGreaterThanOrEqual(cloud.deps.settings.firstProbeAfterMs);
  });

  it('a redelivered request finding its services still being created waits for their window, not from now', async () => {
    // Arrange: a first run created the services and ran out of time; the request comes back 20 s later.
    await createServices(cloud.deps, cloud.request, cloud.budget(0));
    cloud.emulator.clock.advance(20_000);
    cloud.emulator.clearRequests();

    // Act
    const again = await createServices(cloud.deps, cloud.request, cloud.budget());

    // Assert: the inventory that finds them, then one look 60 s after their creates.
    expect(again.ready).toBe(true);
    const listings = cloud.emulator
      .requests()
      .filter((r) => r.method === 'GET' && r.path.endsWith('/vpc-endpoint-services'));
    expect(listings).toHaveLength(2);
    expect(cloud.emulator.world.endpointServices).toHaveLength(3);
  });

  it('reads both VPCEP quotas in one call and refuses a link the endpoint quota cannot hold', async () => {
    // Arrange: room for the services but not for their endpoints.
    cloud.emulator.world.quotas.endpoint = cloud.emulator.world.endpoints.length + 2;

    // Act
    const error = await createServices(cloud.deps, cloud.request, cloud.budget()).catch((e: unknown) => e);

    // Assert
    expect(error).toBeInstanceOf(LinkRejectedError);
    expect(error).toMatchObject({ code: 'Endpoint.1018', message: expect.stringMatching(/endpoint quota/) });
    expect(cloud.emulator.requests().filter((r) => r.path.endsWith('/quotas'))).toHaveLength(1);
    expect(cloud.writes()).toEqual([]);
  });

  it("ends the link with the cloud's code and message when a service fails", async () => {
    // Arrange: the services exist but are still creating; the cloud then fails one with its reason.
    await createServices(cloud.deps, cloud.request, cloud.budget(0));
    const service = cloud.emulator.world.endpointServices[0]!;
    service.status = 'failed';
    service.transitions = [];
    service.errors = [{ code: 'EndPoint.3044', message: 'The port mapping conflicts.' }];

    // Act
    const error = await createServices(cloud.deps, cloud.request, cloud.budget()).catch((e: unknown) => e);
    const event = failedEventFor(
      { step: 'create-services', source: 'kvl/create-services', clock: cloud.deps.clock },
      error,
    );

    // Assert
    expect(error).toBeInstanceOf(LinkRejectedError);
    expect(error).toMatchObject({ code: 'SERVICE_FAILED' });
    expect(event.type).toBe('kvl.link.failed');
    expect(event.data).toMatchObject({
      code: 'SERVICE_FAILED',
      reason: `endpoint service ${service.id} failed to create (EndPoint.3044: The port mapping conflicts.)`,
    });
  });

  it('whitelists the client account when it is another one', async () => {
    const { domainId: partner, agencyName, vpcId, subnetId } = cloud.config.partner;

    await createServices(
      cloud.deps,
      { ...cloud.request, client: { vpcId, subnetId, domainId: partner, agencyName } },
      cloud.budget(),
    );

    for (const service of cloud.emulator.world.endpointServices) {
      expect(service.permissions.map((p) => p.permission)).toContain(`iam:domain::${partner}`);
    }
  });

  it('writes nothing in a dry run and lists what it would do', async () => {
    const result = await createServices(
      cloud.deps,
      { ...cloud.request, options: { dryRun: true } },
      cloud.budget(),
    );

    expect(cloud.writes()).toEqual([]);
    expect(result.actions.filter((a) => a.action === 'create-service')).toHaveLength(3);
    expect(result.actions.some((a) => a.action === 'tag-instance')).toBe(true);
  });

  describe('refuses bad requests before any cloud write', () => {
    const cases: Array<[string, () => Parameters<typeof createServices>[1], RegExp, string]> = [
      [
        'an unknown instance',
        () => ({ ...cloud.request, instanceId: 'no-such-instance' }),
        /does not exist/,
        'instanceId',
      ],
      [
        'a subnet of another VPC',
        () => ({
          ...cloud.request,
          client: { ...cloud.request.client, subnetId: cloud.config.world.instanceSubnetId },
        }),
        /not to the client VPC/,
        'client.subnetId',
      ],
      [
        'an unknown subnet',
        () => ({ ...cloud.request, client: { ...cloud.request.client, subnetId: 'no-such-subnet' } }),
        /does not exist/,
        'client.subnetId',
      ],
    ];
    for (const [name, request, reason, field] of cases) {
      it(name, async () => {
        const error = await createServices(cloud.deps, request(), cloud.budget()).catch((e: unknown) => e);

        expect(error).toBeInstanceOf(LinkRejectedError);
        expect((error as LinkRejectedError).field).toBe(field);
        expect((error as LinkRejectedError).message).toMatch(reason);
        expect(cloud.writes()).toEqual([]);
      });
    }

    it('an instance that is not RUNNING', async () => {
      cloud.instance().status = 'ERROR';

      const error = await createServices(cloud.deps, cloud.request, cloud.budget()).catch((e: unknown) => e);

      expect((error as LinkRejectedError).message).toMatch(/is ERROR; it must be RUNNING/);
      expect(cloud.writes()).toEqual([]);
    });

    it('an instance that is STARTING (frozen -> running) is not refused: the step waits for RUNNING', async () => {
      // Arrange
      startKafkaInstance(cloud.instance(), cloud.emulator.clock, 45_000);

      // Act
      const result = await createServices(cloud.deps, cloud.request, cloud.budget());

      // Assert
      expect(result.ready).toBe(true);
      expect(cloud.instance().status).toBe('RUNNING');
      expect(cloud.emulator.world.endpointServices).toHaveLength(3);
    });

    it('an instance still STARTING when the budget ends is left for a retry (retryable), with no write', async () => {
      startKafkaInstance(cloud.instance(), cloud.emulator.clock, 10 * 60_000);

      const error = await createServices(cloud.deps, cloud.request, cloud.budget(30_000)).catch(
        (e: unknown) => e,
      );

      expect(error).toBeInstanceOf(LinkNotReadyError);
      expect((error as Error).message).toMatch(/still STARTING/);
      expect(cloud.writes()).toEqual([]);
    });

    it('an instance without cross-VPC listeners', async () => {
      cloud.instance().brokers = [];

      const error = await createServices(cloud.deps, cloud.request, cloud.budget()).catch((e: unknown) => e);

      expect((error as LinkRejectedError).message).toMatch(/no cross-VPC listeners/);
      expect(cloud.writes()).toEqual([]);
    });

    it('a second client VPC for an instance already linked', async () => {
      await createServices(cloud.deps, cloud.request, cloud.budget());
      cloud.emulator.clearRequests();
      const third = addThirdVpc(cloud.emulator);
      const other = { ...cloud.request, client: { vpcId: third.vpcId, subnetId: third.subnetId } };

      const error = await createServices(cloud.deps, other, cloud.budget()).catch((e: unknown) => e);

      expect((error as LinkRejectedError).field).toBe('client.vpcId');
      expect((error as LinkRejectedError).message).toMatch(/already linked/);
      expect(cloud.writes()).toEqual([]);
    });

    it('the same client VPC through another subnet names the subnet', async () => {
      await createServices(cloud.deps, cloud.request, cloud.budget());
      cloud.emulator.clearRequests();
      const other = { ...cloud.request, client: { ...cloud.request.client, subnetId: 'another-subnet' } };

      const error = await createServices(cloud.deps, other, cloud.budget()).catch((e: unknown) => e);

      expect((error as LinkRejectedError).field).toBe('client.subnetId');
      expect((error as LinkRejectedError).message).toMatch(
        new RegExp(
          `already linked to VPC ${cloud.request.client.vpcId} through subnet ${cloud.request.client.subnetId}`,
        ),
      );
      expect(cloud.writes()).toEqual([]);
    });
  });
});

describe('buy-endpoints', () => {
  it('buys one endpoint per service in the client subnet and waits for acceptance', async () => {
    await createServices(cloud.deps, cloud.request, cloud.budget());

    const result = await buyEndpoints(cloud.deps, cloud.request, cloud.budget());

    expect(result.outcome).toBe('accepted');
    const endpoints = cloud.emulator.world.endpoints;
    expect(endpoints).toHaveLength(3);
    const subnet = cloud.emulator.world.subnets.find((s) => s.id === cloud.request.client.subnetId)!;
    for (const endpoint of endpoints) {
      expect(endpoint.vpcId).toBe(cloud.request.client.vpcId);
      expect(endpoint.status).toBe('accepted');
      expect(endpoint.ip.startsWith(subnet.cidr.split('.').slice(0, 3).join('.'))).toBe(true);
    }
  });

  it('checks the new endpoints once, after the documented creation time', async () => {
    // Arrange
    await createServices(cloud.deps, cloud.request, cloud.budget());
    cloud.emulator.clearRequests();

    // Act
    const result = await buyEndpoints(cloud.deps, cloud.request, cloud.budget());

    // Assert: the quota was create-services' job; one probe after the creates.
    expect(result.outcome).toBe('accepted');
    const log = cloud.emulator.requests();
    expect(log.filter((r) => r.path.endsWith('/quotas'))).toEqual([]);
    const lastCreate = log.findLastIndex((r) => r.method === 'POST' && r.path.endsWith('/vpc-endpoints'));
    expect(log.slice(lastCreate + 1).filter((r) => r.path.endsWith('/vpc-endpoints'))).toHaveLength(1);
    for (const endpoint of cloud.emulator.world.endpoints) {
      expect(endpoint.tags).toContainEqual({ key: TAG.instance, value: cloud.request.instanceId });
      expect(tagValue(endpoint.tags, TAG.phase)).toBeUndefined();
    }
  });

  it.each([
    ['re-read from the cloud', false],
    ['handed by services-ready', true],
  ])(
    'a redelivery finding its endpoints still being created waits for their window, not from now (services %s)',
    async (_name, handed) => {
      // Arrange: a first run bought the endpoints and ran out of time; the message comes back 20 s later.
      const services = await createServices(cloud.deps, cloud.request, cloud.budget());
      const input = handed ? { ...cloud.request, services: services.services } : cloud.request;
      expect((await buyEndpoints(cloud.deps, input, cloud.budget(0))).outcome).toBe('pending');
      cloud.emulator.clock.advance(20_000);
      cloud.emulator.clearRequests();

      // Act
      const again = await buyEndpoints(cloud.deps, input, cloud.budget());

      // Assert: the listing that finds them, then one probe when the cloud can have accepted them (60 s
      // after their creates), where probing from now every 3 s took 15.
      expect(again.outcome).toBe('accepted');
      const listings = cloud.emulator
        .requests()
        .filter((r) => r.method === 'GET' && r.path.endsWith('/vpc-endpoints'));
      expect(listings).toHaveLength(2);
      expect(cloud.emulator.world.endpoints).toHaveLength(3);
    },
  );

  it('probes every 1.5 s inside the documented 1–2 minute window and every 3 s after it', async () => {
    // Arrange: the cloud accepts the endpoints 90 s (first link) or 150 s (second) after their
    // creation instead of the emulator's 60 s; the delay is set before the first probe.
    const spent: number[] = [];
    for (const acceptAfterMs of [90_000, 150_000]) {
      await cloud.close();
      cloud = await startTestCloud();
      await createServices(cloud.deps, cloud.request, cloud.budget());
      cloud.emulator.clearRequests();
      const sleep = cloud.deps.clock.sleep;
      cloud.deps.clock.sleep = async (ms) => {
        for (const endpoint of cloud.emulator.world.endpoints.filter((e) => e.status === 'creating')) {
          for (const t of endpoint.transitions) t.at = Date.parse(endpoint.createdAt) + acceptAfterMs;
        }
        cloud.deps.clock.sleep = sleep;
        await sleep(ms);
      };

      // Act
      const result = await buyEndpoints(cloud.deps, cloud.request, cloud.budget());

      // Assert
      expect(result.outcome).toBe('accepted');
      const log = cloud.emulator.requests();
      const lastCreate = log.findLastIndex((r) => r.method === 'POST' && r.path.endsWith('/vpc-endpoints'));
      spent.push(log.slice(lastCreate + 1).filter((r) => r.path.endsWith('/vpc-endpoints')).length);
    }
    // 90 s: probes at 60, 61.5, …, 90 s. 150 s: 40 probes in the window (60 … 118.5 s), then 120,
    // 123, …, 150 s.
    expect(spent).toEqual([21, 40 + 11]);
  });

  it('does not probe at all when its budget ends before the endpoints can be accepted', async () => {
    // Arrange
    await createServices(cloud.deps, cloud.request, cloud.budget());
    cloud.emulator.clearRequests();

    // Act: 30 s of budget, the first check is due 60 s after the creates.
    const result = await buyEndpoints(cloud.deps, cloud.request, cloud.budget(30_000));

    // Assert: no probe; the link is handed over to the timer (its services marked pending) instead.
    expect(result.outcome).toBe('pending');
    const log = cloud.emulator.requests();
    const lastCreate = log.findLastIndex((r) => r.method === 'POST' && r.path.endsWith('/vpc-endpoints'));
    const after = log.slice(lastCreate + 1);
    expect(
      after.every((r) => r.method === 'POST' && /endpoint_service\/[^/]+\/tags\/action$/.test(r.path)),
    ).toBe(true);
    for (const service of cloud.emulator.world.endpointServices) {
      expect(tagValue(service.tags, TAG.phase)).toBe('pending');
    }
  });

  it('returns pending when its budget ends first, and the timer then reports acceptance', async () => {
    await createServices(cloud.deps, cloud.request, cloud.budget());

    const first = await buyEndpoints(cloud.deps, cloud.request, cloud.budget(0));
    const early = await pollAcceptance(cloud.deps);
    cloud.emulator.clock.advance(120_000);
    const later = await pollAcceptance(cloud.deps);

    expect(first.outcome).toBe('pending');
    expect(early.map((o) => o.outcome)).toEqual(['waiting']);
    expect(later).toEqual([
      { outcome: 'accepted', instanceId: cloud.request.instanceId, client: cloud.request.client },
    ]);
  });

  it('removes a duplicate endpoint left by a concurrent delivery', async () => {
    await createServices(cloud.deps, cloud.request, cloud.budget());
    await buyEndpoints(cloud.deps, cloud.request, cloud.budget());
    const service = cloud.emulator.world.endpointServices[0]!;
    await cloud.deps.vpcep.createEndpoint({
      endpointServiceId: service.id,
      vpcId: cloud.request.client.vpcId,
      subnetId: cloud.request.client.subnetId,
    });

    // Act: the duplicate cannot be deleted while it is being created (EndPoint.2019): the first run
    // still completes with the original, a later run removes the duplicate.
    const whileCreating = await buyEndpoints(cloud.deps, cloud.request, cloud.budget());
    cloud.emulator.clock.advance(120_000);
    const later = await buyEndpoints(cloud.deps, cloud.request, cloud.budget());
    cloud.emulator.clock.advance(120_000);
    cloud.emulator.settle();

    // Assert
    expect(whileCreating.outcome).toBe('accepted');
    expect(later.outcome).toBe('accepted');
    const left = cloud.emulator.world.endpoints.filter((e) => e.endpointServiceId === service.id);
    expect(left).toHaveLength(1);
    expect(whileCreating.outcome === 'accepted' && whileCreating.links.map((l) => l.endpointId)).toContain(
      left[0]!.id,
    );
  });

  it('an endpoint create whose reply is lost is looked for, not sent again', async () => {
    // Arrange: the cloud creates the first endpoint, then drops the connection without answering.
    await createServices(cloud.deps, cloud.request, cloud.budget());
    cloud.emulator.clearRequests();
    cloud.emulator.addFaults([
      { match: { method: 'POST', path: '/v1/*/vpc-endpoints' }, kind: 'drop-after-commit', count: 1 },
    ]);

    // Act
    const result = await buyEndpoints(cloud.deps, cloud.request, cloud.budget());

    // Assert: three creates for three brokers (none re-sent), one endpoint per service.
    expect(result.outcome).toBe('accepted');
    const creates = cloud.emulator
      .requests()
      .filter((r) => r.method === 'POST' && r.path.endsWith('/vpc-endpoints'));
    expect(creates).toHaveLength(3);
    expect(creates[0]).toMatchObject({ fault: 'drop-after-commit' });
    const perService = new Map<string, number>();
    for (const e of cloud.emulator.world.endpoints) {
      perService.set(e.endpointServiceId, (perService.get(e.endpointServiceId) ?? 0) + 1);
    }
    expect([...perService.values()]).toEqual([1, 1, 1]);
  });

  it('an endpoint create that failed with a 5xx is looked for, then sent again when it did nothing', async () => {
    // Arrange: the first create is answered 500 without being carried out.
    await createServices(cloud.deps, cloud.request, cloud.budget());
    cloud.emulator.clearRequests();
    cloud.emulator.addFaults([
      { match: { method: 'POST', path: '/v1/*/vpc-endpoints' }, kind: 'status', status: 500, count: 1 },
    ]);

    // Act
    const result = await buyEndpoints(cloud.deps, cloud.request, cloud.budget());

    // Assert: a listing between the refused create and the one that worked; three endpoints.
    expect(result.outcome).toBe('accepted');
    const calls = cloud.emulator
      .requests()
      .filter((r) => r.path.endsWith('/vpc-endpoints'))
      .map((r) => `${r.method} ${r.status}`);
    const fromFirstCreate = calls.slice(calls.indexOf('POST 500'));
    expect(fromFirstCreate.slice(0, 3)).toEqual(['POST 500', 'GET 200', 'POST 200']);
    expect(calls.filter((c) => c.startsWith('POST'))).toHaveLength(4);
    expect(cloud.emulator.world.endpoints).toHaveLength(3);
  });

  it('ends the link when an endpoint is rejected', async () => {
    await createServices(cloud.deps, cloud.request, cloud.budget());
    await buyEndpoints(cloud.deps, cloud.request, cloud.budget(0));
    cloud.emulator.world.endpoints[0]!.status = 'rejected';
    cloud.emulator.world.endpoints[0]!.transitions = [];

    const outcomes = await pollAcceptance(cloud.deps);

    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]).toMatchObject({ outcome: 'failed', code: 'ENDPOINT_REJECTED' });
  });
});

describe('patch-listeners', () => {
  async function linkedUpToEndpoints() {
    await createServices(cloud.deps, cloud.request, cloud.budget());
    await buyEndpoints(cloud.deps, cloud.request, cloud.budget());
  }

  it('advertises for each broker the IP of the endpoint on its own port and opens the security group', async () => {
    await linkedUpToEndpoints();

    const result = await patchListeners(cloud.deps, cloud.request, cloud.budget());
    cloud.emulator.clock.advance(60_000);
    cloud.emulator.settle();

    expect(result.outcome).toBe('completed');
    const world = cloud.emulator.world;
    for (const broker of cloud.instance().brokers) {
      const service = world.endpointServices.find((s) => s.portId === broker.portId)!;
      const endpoint = world.endpoints.find((e) => e.endpointServiceId === service.id)!;
      expect(broker.advertisedIp).toBe(endpoint.ip);
    }
    const rules = world.securityGroupRules.filter(
      (r) => r.securityGroupId === cloud.instance().securityGroupId && r.remoteIpPrefix === '198.19.128.0/17',
    );
    expect(rules).toHaveLength(1);
    // Ours by its description (unlink looks for it): nothing recorded on the instance.
    expect(rules[0]!.description).toBe(`kafka-vpcep-link ${cloud.request.instanceId}`);
    expect(tagValue(cloud.instance().tags, TAG.securityGroupRuleId)).toBeUndefined();
    // The fast path wrote no phase, so it has none to mark linked: the statuses say linked.
    for (const resource of [...world.endpointServices, ...world.endpoints]) {
      expect(tagValue(resource.tags, TAG.phase)).toBeUndefined();
    }
  });

  it('marks linked the services the timer was following, and only those', async () => {
    // Arrange: buy-endpoints ran out of budget and handed the link over to the timer.
    await createServices(cloud.deps, cloud.request, cloud.budget());
    await buyEndpoints(cloud.deps, cloud.request, cloud.budget(0));
    cloud.emulator.clock.advance(120_000);
    cloud.emulator.settle();

    // Act: the timer's endpoints-accepted carries no endpoints.
    const result = await patchListeners(cloud.deps, cloud.request, cloud.budget());

    // Assert
    expect(result.outcome).toBe('completed');
    for (const service of cloud.emulator.world.endpointServices) {
      expect(tagValue(service.tags, TAG.phase)).toBe('linked');
    }
    expect(await pollAcceptance(cloud.deps)).toEqual([]);
  });

  it('completes as soon as the modify is answered: the map is live, nothing is polled for it', async () => {
    // Arrange
    await linkedUpToEndpoints();
    cloud.emulator.clearRequests();
    const start = cloud.emulator.clock.now();

    // Act
    const result = await patchListeners(cloud.deps, cloud.request, cloud.budget());

    // Assert: no emulated time passed, the instance is never read after the modify.
    expect(result.outcome).toBe('completed');
    expect(cloud.emulator.clock.now()).toBe(start);
    const log = cloud.emulator.requests();
    const modify = log.findIndex((r) => r.path.endsWith('/crossvpc/modify'));
    expect(modify).toBeGreaterThanOrEqual(0);
    expect(log.slice(modify + 1).filter((r) => r.method === 'GET' && r.path.includes('/instances/'))).toEqual(
      [],
    );
    for (const link of result.outcome === 'completed' ? result.completion.mapping : []) {
      expect(cloud.instance().brokers.find((b) => b.listenerIp === link.listenerIp)?.advertisedIp).toBe(
        link.endpointIp,
      );
    }
  });

  it('retries a modify refused while the instance restarts (DMS.00400026) once it is RUNNING again', async () => {
    // Arrange: the instance starts restarting between the step's read and its modify.
    await linkedUpToEndpoints();
    const modifyCrossVpc = cloud.deps.dms.modifyCrossVpc.bind(cloud.deps.dms);
    let calls = 0;
    const deps = {
      ...cloud.deps,
      dms: {
        ...cloud.deps.dms,
        modifyCrossVpc: (id: string, map: Record<string, string>) => {
          calls += 1;
          if (calls === 1) {
            cloud.instance().status = 'RESTARTING';
            cloud.instance().transitions = [{ at: cloud.emulator.clock.now() + 90_000, to: 'RUNNING' }];
          }
          return modifyCrossVpc(id, map);
        },
      },
    };
    const start = cloud.emulator.clock.now();

    // Act
    const result = await patchListeners(deps, cloud.request, cloud.budget());

    // Assert
    expect(result.outcome).toBe('completed');
    expect(cloud.emulator.clock.now() - start).toBeGreaterThanOrEqual(90_000);
    const modifies = cloud.emulator.requests().filter((r) => r.path.endsWith('/crossvpc/modify'));
    expect(modifies.map((r) => [r.status, r.code])).toEqual([
      [400, 'DMS.00400026'],
      [200, undefined],
    ]);
    expect(cloud.instance().status).toBe('RUNNING');
  });

  it('fails clearly (retryable) when the instance stays busy past the budget', async () => {
    // Arrange: the instance starts restarting right after the step read it, and does not finish.
    await linkedUpToEndpoints();
    const modifyCrossVpc = cloud.deps.dms.modifyCrossVpc.bind(cloud.deps.dms);
    const deps = {
      ...cloud.deps,
      dms: {
        ...cloud.deps.dms,
        modifyCrossVpc: (id: string, map: Record<string, string>) => {
          cloud.instance().status = 'RESTARTING';
          cloud.instance().transitions = [];
          return modifyCrossVpc(id, map);
        },
      },
    };

    // Act
    const error = await patchListeners(deps, cloud.request, cloud.budget(60_000)).catch((e: unknown) => e);

    // Assert
    expect(error).toBeInstanceOf(LinkNotReadyError);
    expect((error as Error).message).toMatch(/still RESTARTING/);
    expect(cloud.emulator.requests().filter((r) => r.path.endsWith('/crossvpc/modify'))).toHaveLength(1);
    expect(cloud.instance().brokers.every((b) => b.advertisedIp === b.listenerIp)).toBe(true);
  });

  it('with the opt-in CONFIGURING window, a redelivery waits it out, finds its map and sends no second modify', async () => {
    // Arrange: an account whose modify keeps the instance CONFIGURING for 10 s.
    await cloud.close();
    cloud = await startTestCloud({ dms: { crossVpcConfiguringMs: 10_000 } });
    await linkedUpToEndpoints();
    const first = await patchListeners(cloud.deps, cloud.request, cloud.budget());
    expect(cloud.instance().status).toBe('CONFIGURING');
    cloud.emulator.clearRequests();

    // Act: the same message again, while the map is being applied.
    const again = await patchListeners(cloud.deps, cloud.request, cloud.budget());

    // Assert: both complete; the map is live and was sent once.
    expect(first.outcome).toBe('completed');
    expect(again.outcome).toBe('completed');
    expect(cloud.instance().status).toBe('RUNNING');
    expect(cloud.emulator.requests().filter((r) => r.path.endsWith('/crossvpc/modify'))).toEqual([]);
    const mapping = again.outcome === 'completed' ? again.completion.mapping : [];
    expect(mapping).toHaveLength(3);
    for (const link of mapping) {
      expect(cloud.instance().brokers.find((b) => b.listenerIp === link.listenerIp)?.advertisedIp).toBe(
        link.endpointIp,
      );
    }
  });

  /** A link up to accepted endpoints, handed on like buy-endpoints' endpoints-accepted does. */
  async function handedLink() {
    const services = await createServices(cloud.deps, cloud.request, cloud.budget());
    const bought = await buyEndpoints(
      cloud.deps,
      { instanceId: cloud.request.instanceId, client: cloud.request.client, services: services.services },
      cloud.budget(),
    );
    if (bought.outcome !== 'accepted') throw new Error(`buy-endpoints: ${bought.outcome}`);
    return {
      instanceId: cloud.request.instanceId,
      client: cloud.request.client,
      endpoints: bought.links,
      servicePhases: bought.servicePhases,
      justAccepted: bought.justAccepted,
    };
  }

  /** The deps with the calls patch-listeners makes traced: `start:name` and `end:name`, in order. */
  function traced(fail: { modifyCrossVpc?: Error; listEndpoints?: Error } = {}) {
    const trace: string[] = [];
    const wrap =
      <A extends unknown[], R>(name: string, call: (...args: A) => Promise<R>) =>
      async (...args: A): Promise<R> => {
        trace.push(`start:${name}`);
        try {
          const failure = fail[name as keyof typeof fail];
          if (failure) throw failure;
          return await call(...args);
        } finally {
          trace.push(`end:${name}`);
        }
      };
    const { dms, vpcep, vpc } = cloud.deps;
    const deps = {
      ...cloud.deps,
      dms: {
        ...dms,
        showInstance: wrap('showInstance', dms.showInstance.bind(dms)),
        modifyCrossVpc: wrap('modifyCrossVpc', dms.modifyCrossVpc.bind(dms)),
      },
      vpcep: { ...vpcep, listEndpoints: wrap('listEndpoints', vpcep.listEndpoints.bind(vpcep)) },
      vpc: {
        ...vpc,
        createSecurityGroupRule: wrap('createSecurityGroupRule', vpc.createSecurityGroupRule.bind(vpc)),
      },
    };
    return { deps, trace };
  }

  it('a first link lists its endpoints while it reads the instance, and sends the map and the rule together', async () => {
    // Arrange
    const input = await handedLink();
    const { deps, trace } = traced();

    // Act
    const result = await patchListeners(deps, input, cloud.budget());

    // Assert: two rounds of calls instead of four, each call made once.
    expect(input.justAccepted).toBe(true);
    expect(result.outcome).toBe('completed');
    expect(trace).toEqual([
      'start:listEndpoints',
      'start:showInstance',
      expect.stringMatching(/^end:/),
      expect.stringMatching(/^end:/),
      'start:modifyCrossVpc',
      'start:createSecurityGroupRule',
      expect.stringMatching(/^end:/),
      expect.stringMatching(/^end:/),
    ]);
    expect(cloud.instance().brokers.every((b) => b.advertisedIp !== b.listenerIp)).toBe(true);
  });

  it('lists the endpoints again when the instance had to be waited for: the early listing is old by then', async () => {
    // Arrange: the instance is restarting when the message arrives.
    const input = await handedLink();
    cloud.instance().status = 'RESTARTING';
    cloud.instance().transitions = [{ at: cloud.emulator.clock.now() + 30_000, to: 'RUNNING' }];
    const { deps, trace } = traced();

    // Act
    const result = await patchListeners(deps, input, cloud.budget());

    // Assert: the listing the map is checked against comes after the instance was RUNNING.
    expect(result.outcome).toBe('completed');
    const listings = trace.flatMap((t, i) => (t === 'start:listEndpoints' ? [i] : []));
    const reads = trace.flatMap((t, i) => (t === 'end:showInstance' ? [i] : []));
    expect(listings).toHaveLength(2);
    expect(reads.length).toBeGreaterThan(1);
    expect(listings[1]).toBeGreaterThan(reads.at(-1)!);
  });

  it('a link unlinked meanwhile is stale even when the early listing failed', async () => {
    // Arrange
    const input = await handedLink();
    await unlink(cloud.deps, cloud.request.instanceId, cloud.budget());
    cloud.settle();
    const { deps } = traced({ listEndpoints: new Error('listing failed') });

    // Act
    const result = await patchListeners(deps, input, cloud.budget());

    // Assert: the listing's failure does not count, it was not needed.
    expect(result.outcome).toBe('stale');
  });

  it('a failed early listing that the step needs fails it, before any write', async () => {
    // Arrange
    const input = await handedLink();
    const failure = new Error('listing failed');
    const { deps, trace } = traced({ listEndpoints: failure });

    // Act
    const error = await patchListeners(deps, input, cloud.budget()).catch((e: unknown) => e);

    // Assert
    expect(error).toBe(failure);
    expect(trace.filter((t) => t.startsWith('start:'))).toEqual([
      'start:listEndpoints',
      'start:showInstance',
    ]);
  });

  it('a network ACL insert whose reply is lost is looked for by name, not sent again', async () => {
    // Arrange: the instance subnet's ACL takes the rule, then the connection drops without an answer.
    const request: LinkRequest = {
      ...cloud.request,
      options: { ...cloud.request.options, networkAclRule: true },
    };
    cloud.emulator.addFaults([
      { match: { method: 'PUT', path: '*/insert-rules' }, kind: 'drop-after-commit', count: 1 },
    ]);

    // Act
    const result = await driveLink(cloud.deps, request, cloud.budget());

    // Assert: one insert, one rule, recorded on the instance.
    expect(result.outcome).toBe('completed');
    const inserts = cloud.emulator.requests().filter((r) => r.path.endsWith('/insert-rules'));
    expect(inserts).toHaveLength(1);
    const rules = cloud.emulator.world.networkAcls[0]!.ingressRules;
    expect(rules).toHaveLength(1);
    expect(tagValue(cloud.instance().tags, TAG.networkAclRuleId)).toBe(rules[0]!.id);
  });

  it('a failing modify is reported once the rule sent beside it is answered (no call left running)', async () => {
    // Arrange
    const input = await handedLink();
    const boom = new Error('modify failed');
    const { deps, trace } = traced({ modifyCrossVpc: boom });

    // Act
    const error = await patchListeners(deps, input, cloud.budget()).catch((e: unknown) => e);

    // Assert: the modify's error, and the rule (idempotent, ours by description) was answered first.
    expect(error).toBe(boom);
    expect(trace).toContain('end:createSecurityGroupRule');
    expect(trace.at(-1)).toMatch(/^end:/);
  });

  it('marks a repeated completion as redelivered and sends no second map', async () => {
    await linkedUpToEndpoints();
    await patchListeners(cloud.deps, cloud.request, cloud.budget());
    cloud.emulator.clock.advance(60_000);
    cloud.emulator.clearRequests();

    const again = await patchListeners(cloud.deps, cloud.request, cloud.budget());

    expect(again.outcome === 'completed' && again.completion.redelivered).toBe(true);
    // The rules are listed, not created again to learn they exist: no write at all.
    expect(cloud.writes()).toEqual([]);
  });
});

describe('whole link and unlink', () => {
  it('drives the chain in one process, then unlinks back to the original state', async () => {
    const before = cloud.instance().brokers.map((b) => ({ ...b }));

    const linked = await driveLink(cloud.deps, cloud.request, cloud.budget());
    cloud.emulator.clock.advance(60_000);
    const removed = await unlink(cloud.deps, cloud.request.instanceId, cloud.budget());
    cloud.emulator.clock.advance(120_000);
    cloud.emulator.settle();

    expect(linked.outcome).toBe('completed');
    expect(removed.deleted).toMatchObject({ endpoints: 3, services: 3, securityGroupRule: true });
    const world = cloud.emulator.world;
    expect(cloud.instance().brokers).toEqual(before);
    expect(world.endpoints).toEqual([]);
    expect(world.endpointServices).toEqual([]);
    expect(cloud.instance().tags.filter((t) => t.key.startsWith('kvl-'))).toEqual([]);
    expect(world.securityGroupRules.filter((r) => r.remoteIpPrefix === '198.19.128.0/17')).toEqual([]);
  });
});
