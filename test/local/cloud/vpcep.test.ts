import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDmsModule } from '../../../local/cloud/dms.js';
import { type EmulatorHandle, startEmulator } from '../../../local/cloud/server.js';
import type { Caller, KafkaBroker } from '../../../local/cloud/types.js';
import { createVpcModule } from '../../../local/cloud/vpc.js';
import {
  createVpcepModule,
  VPCEP_ENDPOINT_CREATE_DELAY_MS,
  VPCEP_ENDPOINT_DELETE_DELAY_MS,
  VPCEP_LIST_DEFAULT_LIMIT,
  VPCEP_SERVICE_CREATE_DELAY_MS,
  VPCEP_SERVICE_DELETE_DELAY_MS,
} from '../../../local/cloud/vpcep.js';
import { cidrContains, createIdFactory, createPort } from '../../../local/cloud/world.js';
import { cloudCall, ownerCredentials } from '../../helpers/emulator-calls.js';
import {
  createModuleHarness,
  fixtureBody,
  type ModuleHarness,
  shapeMismatches,
} from '../../helpers/emulator-modules.js';

let h: ModuleHarness;
let brokers: KafkaBroker[];

beforeEach(() => {
  h = createModuleHarness();
  brokers = h.world.kafkaInstances[0]!.brokers;
});

/* ------------------------------------------------------------------ helpers */

function serviceBody(overrides: Record<string, unknown> = {}, broker = 0): Record<string, unknown> {
  return {
    port_id: brokers[broker]!.portId,
    vpc_id: h.seed.instanceVpcId,
    server_type: 'VM',
    service_type: 'interface',
    approval_enabled: false,
    service_name: `kafka-b${broker}`,
    tcp_proxy: 'close',
    ports: [{ client_port: 9011, server_port: 9011, protocol: 'TCP' }],
    ...overrides,
  };
}

const createService = (overrides: Record<string, unknown> = {}, broker = 0) =>
  h.call({ method: 'POST', path: '/v1/{pid}/vpc-endpoint-services', body: serviceBody(overrides, broker) });

/** Creates a service and lets it become available. */
function availableService(overrides: Record<string, unknown> = {}, broker = 0): string {
  const res = createService(overrides, broker);
  expect(res.status).toBe(200);
  h.advance(VPCEP_SERVICE_CREATE_DELAY_MS);
  return res.body.id;
}

function endpointBody(serviceId: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    endpoint_service_id: serviceId,
    vpc_id: h.seed.clientVpcId,
    subnet_id: h.seed.clientSubnetId,
    ...overrides,
  };
}

const createEndpoint = (serviceId: string, overrides: Record<string, unknown> = {}, caller?: Caller) =>
  h.call({
    method: 'POST',
    path: '/v1/{pid}/vpc-endpoints',
    body: endpointBody(serviceId, overrides),
    caller,
  });

const getService = (id: string) => h.call({ method: 'GET', path: `/v1/{pid}/vpc-endpoint-services/${id}` });
const getEndpoint = (id: string, caller?: Caller) =>
  h.call({ method: 'GET', path: `/v1/{pid}/vpc-endpoints/${id}`, caller });

function expectError(res: { status: number; body?: any }, status: number, code: string): void {
  expect({ status: res.status, code: res.body?.error_code }).toEqual({ status, code });
  expect(typeof res.body.error_msg).toBe('string');
}

/* ------------------------------------------------------------------ services */

describe('VPCEP endpoint service creation (creating -> available)', () => {
  it('answers like the documented example and becomes available after the creation delay', async () => {
    const res = createService();
    expect(res.status).toBe(200);
    expect(shapeMismatches(await fixtureBody('vpcep-create-service.response.json'), res.body)).toEqual([]);
    expect(res.body).toMatchObject({
      status: 'creating',
      port_id: brokers[0]!.portId,
      vpc_id: h.seed.instanceVpcId,
      approval_enabled: false,
      server_type: 'VM',
      service_type: 'interface',
      tcp_proxy: 'close',
      project_id: h.owner.projectId,
      ports: [{ client_port: 9011, server_port: 9011, protocol: 'TCP' }],
      created_at: '2026-01-01T00:00:00Z',
    });
    expect(res.body.service_name).toBe(`${h.world.region}.kafka-b0.${res.body.id}`);

    h.advance(VPCEP_SERVICE_CREATE_DELAY_MS - 1);
    expect(getService(res.body.id).body.status).toBe('creating');
    h.advance(1);
    const ready = getService(res.body.id);
    expect(ready.body.status).toBe('available');
    expect(shapeMismatches(await fixtureBody('vpcep-show-service.response.json'), ready.body)).toEqual([]);
  });

  it('names a service without service_name {region}.{id} and defaults approval to true', () => {
    const res = createService({ service_name: undefined, approval_enabled: undefined });
    expect(res.body.service_name).toBe(`${h.world.region}.${res.body.id}`);
    expect(res.body.approval_enabled).toBe(true);
  });

  it('accepts the documented request example shape (two mappings)', async () => {
    const example = await fixtureBody('vpcep-create-service.request.json');
    const res = createService({ ...example, port_id: brokers[1]!.portId, vpc_id: h.seed.instanceVpcId });
    expect(res.status).toBe(200);
    expect(res.body.ports).toEqual(example.ports);
  });

  it('rejects a port that is not in the given VPC with EndPoint.3042, and an unknown VPC with EndPoint.2001', () => {
    const clientPort = createPort(h.world, createIdFactory(99), {
      subnetId: h.seed.clientSubnetId,
      deviceOwner: 'compute:vm',
    });
    expectError(createService({ port_id: clientPort.id }), 400, 'EndPoint.3042');
    expectError(createService({ port_id: '00000000-0000-4000-8000-000000000000' }), 400, 'EndPoint.3042');
    expectError(createService({ vpc_id: '00000000-0000-4000-8000-000000000000' }), 400, 'EndPoint.2001');
    // The partner account cannot publish the owner's NIC.
    expectError(
      h.call({
        method: 'POST',
        path: '/v1/{pid}/vpc-endpoint-services',
        body: serviceBody(),
        caller: h.partner,
      }),
      400,
      'EndPoint.2001',
    );
  });

  it.each([
    ['server_type VIP-less garbage', { server_type: 'BMS' }, 'EndPoint.3021'],
    ['a port 0', { ports: [{ client_port: 0, server_port: 9011, protocol: 'TCP' }] }, 'EndPoint.0002'],
    [
      'a port 65536',
      { ports: [{ client_port: 9011, server_port: 65536, protocol: 'TCP' }] },
      'EndPoint.0002',
    ],
    ['protocol UDP', { ports: [{ client_port: 9011, server_port: 9011, protocol: 'UDP' }] }, 'EndPoint.0002'],
    ['no ports', { ports: [] }, 'EndPoint.0002'],
    [
      'duplicate mappings',
      {
        ports: [
          { client_port: 9011, server_port: 9011, protocol: 'TCP' },
          { client_port: 9011, server_port: 9011, protocol: 'TCP' },
        ],
      },
      'EndPoint.0002',
    ],
    ['a service_name of 17 characters', { service_name: 'a'.repeat(17) }, 'EndPoint.3076'],
    ['a service_name with a dot', { service_name: 'kafka.b1' }, 'EndPoint.3076'],
    ['an ip on an interface service', { ip: '10.0.0.5' }, 'EndPoint.3011'],
    ['a missing port_id', { port_id: undefined }, 'EndPoint.0002'],
    [
      '21 tags',
      { tags: Array.from({ length: 21 }, (_, i) => ({ key: `k${i}`, value: 'v' })) },
      'EndPoint.3069',
    ],
    ['a tag key over 36 characters', { tags: [{ key: 'k'.repeat(37), value: 'v' }] }, 'EndPoint.3072'],
    ['a tag value over 43 characters', { tags: [{ key: 'k', value: 'v'.repeat(44) }] }, 'EndPoint.3073'],
    ['a tag value with a dot', { tags: [{ key: 'kvl-listener', value: '10.0.0.11' }] }, 'EndPoint.3068'],
    ['a tag key with a space', { tags: [{ key: 'a b', value: 'v' }] }, 'EndPoint.3068'],
    [
      'a duplicate tag key',
      {
        tags: [
          { key: 'k', value: 'a' },
          { key: 'k', value: 'b' },
        ],
      },
      'EndPoint.3067',
    ],
    ['an empty tag key', { tags: [{ key: '', value: 'v' }] }, 'EndPoint.3066'],
  ])('rejects %s', (_name, overrides, code) => {
    expectError(createService(overrides), 400, code);
    expect(h.world.endpointServices).toHaveLength(0);
  });

  it('refuses an 11th tag at creation with EndPoint.3069 (10 tags per resource)', () => {
    const tags = Array.from({ length: 11 }, (_, i) => ({ key: `k${i}`, value: 'v' }));

    expectError(createService({ tags }), 400, 'EndPoint.3069');
    expect(h.world.endpointServices).toHaveLength(0);
  });

  it('accepts the strictest-limit tags (10 tags, key 36, value 43, [A-Za-z0-9_@-])', () => {
    const tags = Array.from({ length: 10 }, (_, i) => ({
      key: `${'k'.repeat(34)}${String(i).padStart(2, '0')}`,
      value: `@_-${'v'.repeat(40)}`,
    }));
    expect(createService({ tags }).status).toBe(200);
  });

  it('rejects a second service on the same port_id and server_port with EndPoint.3044', () => {
    expect(createService().status).toBe(200);
    expectError(createService({ service_name: 'again' }), 400, 'EndPoint.3044');
    // Another server port on the same NIC is fine.
    expect(
      createService({
        service_name: 'other',
        ports: [{ client_port: 9092, server_port: 9092, protocol: 'TCP' }],
      }).status,
    ).toBe(200);
  });

  it('enforces the endpoint service quota with Endpoint.1018 (world.quotas)', () => {
    h.world.quotas.endpointService = 2;
    expect(createService({}, 0).status).toBe(200);
    expect(createService({}, 1).status).toBe(200);
    expectError(createService({}, 2), 400, 'Endpoint.1018');
  });
});

describe('VPCEP endpoint service reads', () => {
  it('answers 404 EndPoint.0005 for an unknown service and for another project’s service', () => {
    const id = availableService();
    expectError(getService('00000000-0000-4000-8000-000000000000'), 404, 'EndPoint.0005');
    expectError(
      h.call({ method: 'GET', path: `/v1/{pid}/vpc-endpoint-services/${id}`, caller: h.partner }),
      404,
      'EndPoint.0005',
    );
  });

  it('lists in the documented shape with total_count, fuzzy case-insensitive name, id and status filters', async () => {
    const a = availableService({ service_name: 'Kafka-B0' }, 0);
    const b = createService({ service_name: 'other' }, 1).body.id as string;
    const list = (query = '') => h.call({ method: 'GET', path: `/v1/{pid}/vpc-endpoint-services${query}` });
    const all = list();
    expect(shapeMismatches(await fixtureBody('vpcep-list-services.response.json'), all.body)).toEqual([]);
    expect(all.body.total_count).toBe(2);
    // Newest first by default.
    expect(all.body.endpoint_services.map((s: any) => s.id)).toEqual([b, a]);
    expect(all.body.endpoint_services[0]).toMatchObject({ domain_id: h.owner.domainId, connection_count: 0 });
    expect(list('?endpoint_service_name=kafka-b').body.endpoint_services.map((s: any) => s.id)).toEqual([a]);
    expect(list(`?id=${b}`).body.total_count).toBe(1);
    expect(list('?status=available').body.endpoint_services.map((s: any) => s.id)).toEqual([a]);
    expect(list('?sort_dir=asc').body.endpoint_services.map((s: any) => s.id)).toEqual([a, b]);
  });

  it('pages with limit (default 10, max 1000) and offset, total_count unaffected', () => {
    for (let i = 0; i < 12; i++) {
      const res = createService({
        service_name: `svc${i}`,
        ports: [{ client_port: 9000 + i, server_port: 9000 + i, protocol: 'TCP' }],
      });
      expect(res.status).toBe(200);
    }
    const page = (query: string) =>
      h.call({ method: 'GET', path: `/v1/{pid}/vpc-endpoint-services${query}` }).body;
    expect(page('').endpoint_services).toHaveLength(VPCEP_LIST_DEFAULT_LIMIT);
    expect(page('').total_count).toBe(12);
    expect(page('?offset=10').endpoint_services).toHaveLength(2);
    expect(page('?limit=5&offset=5').endpoint_services).toHaveLength(5);
    expectError(
      h.call({ method: 'GET', path: '/v1/{pid}/vpc-endpoint-services?limit=1001' }),
      400,
      'EndPoint.0006',
    );
    expectError(
      h.call({ method: 'GET', path: '/v1/{pid}/vpc-endpoint-services?offset=-1' }),
      400,
      'EndPoint.0010',
    );
    expectError(
      h.call({ method: 'GET', path: '/v1/{pid}/vpc-endpoint-services?sort_key=name' }),
      400,
      'EndPoint.0017',
    );
    expectError(
      h.call({ method: 'GET', path: '/v1/{pid}/vpc-endpoint-services?sort_dir=up' }),
      400,
      'EndPoint.0018',
    );
  });

  it('resolves a service by name or id for other accounts (describe)', () => {
    const id = availableService();
    const name = getService(id).body.service_name;
    const byName = h.call({
      method: 'GET',
      path: `/v1/{pid}/vpc-endpoint-services/describe?endpoint_service_name=${name}`,
      caller: h.partner,
    });
    expect(byName.body).toMatchObject({ id, service_name: name, service_type: 'interface' });
    expectError(
      h.call({ method: 'GET', path: '/v1/{pid}/vpc-endpoint-services/describe' }),
      400,
      'EndPoint.0002',
    );
  });

  it('reports a failed service with {code, message} items (GSDK model_error.go), default when none', () => {
    const id = availableService();
    const record = h.world.endpointServices.find((s) => s.id === id)!;
    record.status = 'failed';

    const byDefault = getService(id).body;
    record.errors = [{ code: 'EndPoint.3044', message: 'The port mapping conflicts.' }];
    const listed = h.call({ method: 'GET', path: '/v1/{pid}/vpc-endpoint-services' }).body;

    expect(byDefault.error).toEqual([
      { code: 'EndPoint.0001', message: 'Failed to create the VPC endpoint service.' },
    ]);
    expect(listed.endpoint_services[0].error).toEqual([
      { code: 'EndPoint.3044', message: 'The port mapping conflicts.' },
    ]);
  });

  it('updates approval, description and name (PUT)', () => {
    const id = availableService();
    const res = h.call({
      method: 'PUT',
      path: `/v1/{pid}/vpc-endpoint-services/${id}`,
      body: { approval_enabled: true, description: 'x' },
    });
    expect(res.body).toMatchObject({ approval_enabled: true, description: 'x' });
  });
});

describe('VPCEP endpoint service deletion (deleting -> gone)', () => {
  it('deletes with 204, reports deleting, then 404 after the deletion delay', () => {
    const id = availableService();
    expect(h.call({ method: 'DELETE', path: `/v1/{pid}/vpc-endpoint-services/${id}` })).toEqual({
      status: 204,
    });
    expect(getService(id).body.status).toBe('deleting');
    // Deleting again while deleting is accepted (nothing changes).
    expect(h.call({ method: 'DELETE', path: `/v1/{pid}/vpc-endpoint-services/${id}` }).status).toBe(204);
    h.advance(VPCEP_SERVICE_DELETE_DELAY_MS - 1);
    expect(getService(id).body.status).toBe('deleting');
    h.advance(1);
    expectError(getService(id), 404, 'EndPoint.0005');
    expect(h.world.endpointServices).toHaveLength(0);
  });

  it('refuses to delete a service that still has endpoints with EndPoint.3006', () => {
    const id = availableService();
    const endpoint = createEndpoint(id).body.id as string;
    expectError(
      h.call({ method: 'DELETE', path: `/v1/{pid}/vpc-endpoint-services/${id}` }),
      400,
      'EndPoint.3006',
    );
    h.advance(VPCEP_ENDPOINT_CREATE_DELAY_MS);
    h.call({ method: 'DELETE', path: `/v1/{pid}/vpc-endpoints/${endpoint}` });
    // Still there while the endpoint is deleting.
    expectError(
      h.call({ method: 'DELETE', path: `/v1/{pid}/vpc-endpoint-services/${id}` }),
      400,
      'EndPoint.3006',
    );
    h.advance(VPCEP_ENDPOINT_DELETE_DELAY_MS);
    expect(h.call({ method: 'DELETE', path: `/v1/{pid}/vpc-endpoint-services/${id}` }).status).toBe(204);
  });

  it('answers 404 for an unknown service', () => {
    expectError(
      h.call({ method: 'DELETE', path: '/v1/{pid}/vpc-endpoint-services/nope' }),
      404,
      'EndPoint.0005',
    );
  });
});

/* ------------------------------------------------------------------ whitelist */

describe('VPCEP whitelist (permissions)', () => {
  const action = (id: string, body: unknown) =>
    h.call({ method: 'POST', path: `/v1/{pid}/vpc-endpoint-services/${id}/permissions/action`, body });

  it('adds and removes permissions, answering the whole whitelist like the documented example', async () => {
    const id = availableService();
    const a = `iam:domain::${h.partner.domainId}`;
    const added = action(id, { permissions: [a, '*'], action: 'add' });
    expect(added.status).toBe(200);
    expect(shapeMismatches(await fixtureBody('vpcep-whitelist-action.response.json'), added.body)).toEqual(
      [],
    );
    expect(added.body).toEqual({ permissions: [a, '*'] });
    // Adding again is idempotent.
    expect(action(id, { permissions: [a], action: 'add' }).body).toEqual({ permissions: [a, '*'] });

    const listed = h.call({ method: 'GET', path: `/v1/{pid}/vpc-endpoint-services/${id}/permissions` });
    expect(shapeMismatches(await fixtureBody('vpcep-list-whitelist.response.json'), listed.body)).toEqual([]);
    expect(listed.body.total_count).toBe(2);
    expect(listed.body.permissions.map((p: any) => p.permission).sort()).toEqual(['*', a].sort());

    expect(action(id, { permissions: ['*'], action: 'remove' }).body).toEqual({ permissions: [a] });
  });

  it('accepts the documented request examples', async () => {
    const id = availableService();
    expect(action(id, await fixtureBody('vpcep-whitelist-add.request.json')).status).toBe(200);
    expect(action(id, await fixtureBody('vpcep-whitelist-remove.request.json')).status).toBe(200);
  });

  it.each([
    ['a bare domain id', ['5fc973eea581490997e82ea11a1d0101'], 'EndPoint.3002'],
    ['a wrong prefix', ['iam:user::5fc973eea581490997e82ea11a1d0101'], 'EndPoint.3002'],
    ['an empty list', [], 'EndPoint.3036'],
  ])('rejects %s', (_name, permissions, code) => {
    const id = availableService();
    expectError(action(id, { permissions, action: 'add' }), 400, code);
  });

  it('pages the whitelist with limit 0–500: 501 is refused with EndPoint.0006 (GSDK request model)', () => {
    const id = availableService();
    action(id, { permissions: ['*', `iam:domain::${h.partner.domainId}`], action: 'add' });
    const list = (query: string) =>
      h.call({ method: 'GET', path: `/v1/{pid}/vpc-endpoint-services/${id}/permissions${query}` });

    const full = list('?limit=500&offset=0');
    const second = list('?limit=1&offset=1');

    expect(full.status).toBe(200);
    expect(full.body.permissions).toHaveLength(2);
    expect(second.body).toMatchObject({ total_count: 2, permissions: [expect.any(Object)] });
    expectError(list('?limit=501'), 400, 'EndPoint.0006');
    expectError(list('?limit=1000'), 400, 'EndPoint.0006');
  });

  it('rejects an unknown action and an unknown service', () => {
    const id = availableService();
    expectError(action(id, { permissions: ['*'], action: 'grant' }), 400, 'EndPoint.0002');
    expectError(action('nope', { permissions: ['*'], action: 'add' }), 404, 'EndPoint.0005');
  });
});

/* ------------------------------------------------------------------ endpoints */

describe('VPCEP endpoint creation (creating -> accepted | pendingAcceptance)', () => {
  it('answers like the documented example without ip, then is accepted with an ip in the client subnet', async () => {
    const serviceId = availableService();
    const res = createEndpoint(serviceId, { tags: [{ key: 'kvl-instance', value: 'abc' }] });
    expect(res.status).toBe(200);
    expect(shapeMismatches(await fixtureBody('vpcep-create-endpoint.response.json'), res.body)).toEqual([]);
    expect(res.body).not.toHaveProperty('ip');
    expect(res.body).toMatchObject({
      status: 'creating',
      endpoint_service_id: serviceId,
      endpoint_service_name: getService(serviceId).body.service_name,
      vpc_id: h.seed.clientVpcId,
      subnet_id: h.seed.clientSubnetId,
      enable_dns: false,
      service_type: 'interface',
      tags: [{ key: 'kvl-instance', value: 'abc' }],
    });
    expect(typeof res.body.marker_id).toBe('number');

    h.advance(VPCEP_ENDPOINT_CREATE_DELAY_MS - 1);
    const creating = getEndpoint(res.body.id);
    expect(creating.body.status).toBe('creating');
    expect(creating.body).not.toHaveProperty('ip');
    h.advance(1);
    const accepted = getEndpoint(res.body.id);
    expect(accepted.body.status).toBe('accepted');
    expect(shapeMismatches(await fixtureBody('vpcep-show-endpoint.response.json'), accepted.body)).toEqual(
      [],
    );
    const subnet = h.world.subnets.find((s) => s.id === h.seed.clientSubnetId)!;
    expect(cidrContains(subnet.cidr, accepted.body.ip)).toBe(true);
    // The IP is a real NIC in the client subnet.
    expect(h.world.ports.some((p) => p.ip === accepted.body.ip && p.subnetId === subnet.id)).toBe(true);
    expect(getService(serviceId).body.connection_count).toBe(1);
  });

  it('counts creating and accepted endpoints in connection_count, not pending or rejected ones', () => {
    const open = availableService({}, 0);
    const approved = availableService({ approval_enabled: true }, 1);
    createEndpoint(open);
    const pending = createEndpoint(approved).body.id as string;

    const whileCreating = [
      getService(open).body.connection_count,
      getService(approved).body.connection_count,
    ];
    h.advance(VPCEP_ENDPOINT_CREATE_DELAY_MS);
    const settled = [getService(open).body.connection_count, getService(approved).body.connection_count];
    h.world.endpoints.find((e) => e.id === pending)!.status = 'rejected';
    const afterReject = getService(approved).body.connection_count;
    const listed = h.call({ method: 'GET', path: '/v1/{pid}/vpc-endpoint-services' }).body
      .endpoint_services as Array<{
      id: string;
      connection_count: number;
    }>;

    expect(whileCreating).toEqual([1, 1]);
    // A listing counts the same (counted once for the whole page).
    expect(listed.find((s) => s.id === open)?.connection_count).toBe(1);
    expect(listed.find((s) => s.id === approved)?.connection_count).toBe(0);
    expect(getEndpoint(pending).body.status).toBe('rejected');
    expect(settled).toEqual([1, 0]);
    expect(afterReject).toBe(0);
  });

  it('goes to pendingAcceptance when the service needs approval, and receive/reject move it', () => {
    const serviceId = availableService({ approval_enabled: true });
    const id = createEndpoint(serviceId).body.id as string;
    h.advance(VPCEP_ENDPOINT_CREATE_DELAY_MS);
    expect(getEndpoint(id).body.status).toBe('pendingAcceptance');
    expect(getEndpoint(id).body).not.toHaveProperty('ip');

    const act = (action: string, endpoints: string[]) =>
      h.call({
        method: 'POST',
        path: `/v1/{pid}/vpc-endpoint-services/${serviceId}/connections/action`,
        body: { action, endpoints },
      });
    expectError(act('receive', [id, id]), 400, 'EndPoint.2031');
    const received = act('receive', [id]);
    expect(received.status).toBe(200);
    expect(received.body.connections[0]).toMatchObject({ id, status: 'accepted' });
    expect(getEndpoint(id).body.status).toBe('accepted');
    expect(act('reject', [id]).body.connections[0].status).toBe('rejected');
    expect(getEndpoint(id).body.status).toBe('rejected');
    expect(getEndpoint(id).body).not.toHaveProperty('ip');
    expectError(act('approve', [id]), 400, 'EndPoint.0002');
    expectError(act('receive', ['00000000-0000-4000-8000-000000000000']), 404, 'EndPoint.2006');
  });

  it('lists connections in the documented shape, with status filter and paging', async () => {
    const serviceId = availableService({ approval_enabled: true });
    const first = createEndpoint(serviceId).body.id as string;
    h.advance(VPCEP_ENDPOINT_CREATE_DELAY_MS);
    const second = createEndpoint(serviceId).body.id as string;
    const list = (query = '') =>
      h.call({ method: 'GET', path: `/v1/{pid}/vpc-endpoint-services/${serviceId}/connections${query}` });
    const all = list();
    expect(shapeMismatches(await fixtureBody('vpcep-list-connections.response.json'), all.body)).toEqual([]);
    expect(all.body.total_count).toBe(2);
    expect(all.body.connections[0]).toMatchObject({
      id: second,
      status: 'creating',
      domain_id: h.owner.domainId,
    });
    expect(list('?status=pendingAcceptance').body.connections.map((c: any) => c.id)).toEqual([first]);
    expect(list('?limit=1&offset=1').body.connections.map((c: any) => c.id)).toEqual([first]);
    // 0–1000 [GSDK model_list_service_connections_request.go].
    expect(list('?limit=1000').status).toBe(200);
    expectError(list('?limit=1001'), 400, 'EndPoint.0006');
  });

  it('refuses a service that is not available yet (EndPoint.2004) or unknown (EndPoint.2003)', () => {
    const serviceId = createService().body.id as string;
    expectError(createEndpoint(serviceId), 400, 'EndPoint.2004');
    expectError(createEndpoint('00000000-0000-4000-8000-000000000000'), 400, 'EndPoint.2003');
  });

  it('needs the caller’s account on the whitelist of another account’s service (EndPoint.2012)', () => {
    const serviceId = availableService();
    const partnerBody = { vpc_id: h.seed.partnerVpcId, subnet_id: h.seed.partnerSubnetId };
    expectError(createEndpoint(serviceId, partnerBody, h.partner), 400, 'EndPoint.2012');
    h.call({
      method: 'POST',
      path: `/v1/{pid}/vpc-endpoint-services/${serviceId}/permissions/action`,
      body: { permissions: [`iam:domain::${h.partner.domainId}`], action: 'add' },
    });
    const res = createEndpoint(serviceId, partnerBody, h.partner);
    expect(res.status).toBe(200);
    expect(res.body.project_id).toBe(h.partner.projectId);
    h.advance(VPCEP_ENDPOINT_CREATE_DELAY_MS);
    expect(getEndpoint(res.body.id, h.partner).body.status).toBe('accepted');
    // The owner sees it as a connection from the partner's domain, not as its own endpoint.
    expect(
      h.call({ method: 'GET', path: `/v1/{pid}/vpc-endpoint-services/${serviceId}/connections` }).body
        .connections[0].domain_id,
    ).toBe(h.partner.domainId);
    expectError(getEndpoint(res.body.id), 404, 'EndPoint.2006');
  });

  it('accepts any account when the whitelist holds *', () => {
    const serviceId = availableService();
    h.call({
      method: 'POST',
      path: `/v1/{pid}/vpc-endpoint-services/${serviceId}/permissions/action`,
      body: { permissions: ['*'], action: 'add' },
    });
    expect(
      createEndpoint(serviceId, { vpc_id: h.seed.partnerVpcId, subnet_id: h.seed.partnerSubnetId }, h.partner)
        .status,
    ).toBe(200);
  });

  it('checks the VPC (EndPoint.2001), the subnet (EndPoint.4004) and their relation (EndPoint.2037)', () => {
    const serviceId = availableService();
    expectError(createEndpoint(serviceId, { vpc_id: h.seed.partnerVpcId }), 400, 'EndPoint.2001');
    expectError(
      createEndpoint(serviceId, { subnet_id: '00000000-0000-4000-8000-000000000000' }),
      404,
      'EndPoint.4004',
    );
    expectError(createEndpoint(serviceId, { subnet_id: h.seed.instanceSubnetId }), 400, 'EndPoint.2037');
    expectError(createEndpoint(serviceId, { subnet_id: undefined }), 400, 'EndPoint.0002');
  });

  it('takes a fixed port_ip, refusing one in use (2042), outside the subnet (2043) or invalid (2041)', () => {
    const serviceId = availableService();
    const fixed = createEndpoint(serviceId, { port_ip: '172.16.5.100' });
    expect(fixed.status).toBe(200);
    h.advance(VPCEP_ENDPOINT_CREATE_DELAY_MS);
    expect(getEndpoint(fixed.body.id).body.ip).toBe('172.16.5.100');
    expectError(createEndpoint(serviceId, { port_ip: '172.16.5.100' }), 400, 'EndPoint.2042');
    expectError(createEndpoint(serviceId, { port_ip: '172.16.5.1' }), 400, 'EndPoint.2042');
    expectError(createEndpoint(serviceId, { port_ip: '10.0.0.50' }), 400, 'EndPoint.2043');
    expectError(createEndpoint(serviceId, { port_ip: '172.16.5.300' }), 400, 'EndPoint.2041');
  });

  it('gives every endpoint its own IP', () => {
    const ids = [0, 1, 2].map((b) => createEndpoint(availableService({}, b)).body.id as string);
    h.advance(VPCEP_ENDPOINT_CREATE_DELAY_MS);
    const ips = ids.map((id) => getEndpoint(id).body.ip);
    expect(new Set(ips).size).toBe(3);
  });

  it('enforces the endpoint quota with Endpoint.1018', () => {
    h.world.quotas.endpoint = 2;
    const serviceId = availableService();
    expect(createEndpoint(serviceId).status).toBe(200);
    expect(createEndpoint(serviceId).status).toBe(200);
    expectError(createEndpoint(serviceId), 400, 'Endpoint.1018');
  });
});

describe('VPCEP endpoint reads', () => {
  it('lists in the documented shape (enable_dns as a string), with vpc_id, id and name filters', async () => {
    const s0 = availableService({}, 0);
    const s1 = availableService({ service_name: 'other' }, 1);
    const e0 = createEndpoint(s0, { enable_dns: true }).body.id as string;
    const e1 = createEndpoint(s1).body.id as string;
    h.advance(VPCEP_ENDPOINT_CREATE_DELAY_MS);
    const list = (query = '') => h.call({ method: 'GET', path: `/v1/{pid}/vpc-endpoints${query}` });
    const all = list();
    // The documented example has DNS enabled (dns_name); compare the endpoint that has it too.
    expect(
      shapeMismatches(await fixtureBody('vpcep-list-endpoints.response.json'), list(`?id=${e0}`).body),
    ).toEqual([]);
    expect(all.body.endpoints[0]).not.toHaveProperty('dns_name');
    expect(all.body.total_count).toBe(2);
    expect(all.body.endpoints.map((e: any) => e.enable_dns)).toEqual(['false', 'true']);
    expect(getEndpoint(e0).body.enable_dns).toBe(true);
    expect(all.body.endpoints.every((e: any) => typeof e.ip === 'string')).toBe(true);
    expect(list('?endpoint_service_name=KAFKA-B0').body.endpoints.map((e: any) => e.id)).toEqual([e0]);
    expect(list(`?id=${e1}`).body.endpoints.map((e: any) => e.id)).toEqual([e1]);
    expect(list(`?vpc_id=${h.seed.clientVpcId}&limit=1`).body).toMatchObject({ total_count: 2 });
    expect(list(`?vpc_id=${h.seed.instanceVpcId}`).body.total_count).toBe(0);
    expectError(list('?limit=abc'), 400, 'EndPoint.0006');
    // 0–1000 [GSDK model_list_endpoints_request.go].
    expect(list('?limit=1000').status).toBe(200);
    expectError(list('?limit=1001'), 400, 'EndPoint.0006');
  });

  it('answers 404 EndPoint.2006 for an unknown endpoint', () => {
    expectError(getEndpoint('00000000-0000-4000-8000-000000000000'), 404, 'EndPoint.2006');
  });

  it('reports forced states: failed with its error list (default when none), rejected without ip', () => {
    const id = createEndpoint(availableService()).body.id as string;
    const record = h.world.endpoints.find((e) => e.id === id)!;
    // What the admin API does: force the state and drop pending transitions.
    record.status = 'failed';
    record.transitions = [];
    const failed = getEndpoint(id).body;
    expect(failed.status).toBe('failed');
    expect(failed.error).toEqual([
      { error_code: 'EndPoint.0001', error_message: 'Failed to create the VPC endpoint.' },
    ]);
    record.errors = [{ error_code: 'EndPoint.2016', error_message: 'no capacity' }];
    expect(h.call({ method: 'GET', path: '/v1/{pid}/vpc-endpoints' }).body.endpoints[0].error).toEqual(
      record.errors,
    );
  });

  it('keeps a forced state even when a creation transition is still pending', () => {
    const id = createEndpoint(availableService()).body.id as string;
    h.world.endpoints.find((e) => e.id === id)!.status = 'rejected';
    h.advance(VPCEP_ENDPOINT_CREATE_DELAY_MS);
    expect(getEndpoint(id).body.status).toBe('rejected');
    expect(getEndpoint(id).body).not.toHaveProperty('ip');
  });
});

describe('VPCEP endpoint deletion (deleting -> gone)', () => {
  it('deletes with 204, reports deleting, then 404 and frees the IP and its port', () => {
    const serviceId = availableService();
    const id = createEndpoint(serviceId, { port_ip: '172.16.5.77' }).body.id as string;
    expectError(h.call({ method: 'DELETE', path: `/v1/{pid}/vpc-endpoints/${id}` }), 400, 'EndPoint.2019');
    h.advance(VPCEP_ENDPOINT_CREATE_DELAY_MS);
    const portId = h.world.endpoints.find((e) => e.id === id)!.portId;

    expect(h.call({ method: 'DELETE', path: `/v1/{pid}/vpc-endpoints/${id}` })).toEqual({ status: 204 });
    expect(getEndpoint(id).body.status).toBe('deleting');
    expectError(h.call({ method: 'DELETE', path: `/v1/{pid}/vpc-endpoints/${id}` }), 400, 'EndPoint.2018');
    h.advance(VPCEP_ENDPOINT_DELETE_DELAY_MS - 1);
    expect(getEndpoint(id).body.status).toBe('deleting');
    h.advance(1);
    expectError(getEndpoint(id), 404, 'EndPoint.2006');
    expect(h.world.ports.some((p) => p.id === portId)).toBe(false);
    // The address can be taken again.
    expect(createEndpoint(serviceId, { port_ip: '172.16.5.77' }).status).toBe(200);
  });

  it('answers 404 for an unknown endpoint', () => {
    expectError(h.call({ method: 'DELETE', path: '/v1/{pid}/vpc-endpoints/nope' }), 404, 'EndPoint.2006');
  });
});

/* ------------------------------------------------------------------ tags */

describe('VPCEP resource tags and query by tag', () => {
  const tagAction = (type: string, id: string, body: unknown) =>
    h.call({ method: 'POST', path: `/v1/{pid}/${type}/${id}/tags/action`, body });
  const query = (type: string, body: unknown) =>
    h.call({ method: 'POST', path: `/v1/{pid}/${type}/resource_instances/action`, body });

  it('creates (overwriting values) and deletes tags with 204 on services and endpoints', async () => {
    const serviceId = availableService();
    expect(
      tagAction('endpoint_service', serviceId, await fixtureBody('vpcep-batch-tags-create.request.json')),
    ).toEqual({ status: 204 });
    expect(
      tagAction('endpoint_service', serviceId, { action: 'create', tags: [{ key: 'key1', value: 'new' }] })
        .status,
    ).toBe(204);
    expect(getService(serviceId).body.tags).toEqual([
      { key: 'key1', value: 'new' },
      { key: 'key', value: 'value3' },
    ]);
    // Documented delete example: key1 by key only, key2 (absent) by key and value.
    expect(
      tagAction('endpoint_service', serviceId, await fixtureBody('vpcep-batch-tags-delete.request.json'))
        .status,
    ).toBe(204);
    expect(getService(serviceId).body.tags).toEqual([{ key: 'key', value: 'value3' }]);
    expect(
      tagAction('endpoint_service', serviceId, { action: 'delete', tags: [{ key: 'key', value: 'other' }] })
        .status,
    ).toBe(204);
    expect(getService(serviceId).body.tags).toHaveLength(1);

    const endpointId = createEndpoint(serviceId).body.id as string;
    expect(
      tagAction('endpoint', endpointId, { action: 'create', tags: [{ key: 'kvl-phase', value: 'linked' }] })
        .status,
    ).toBe(204);
    expect(getEndpoint(endpointId).body.tags).toEqual([{ key: 'kvl-phase', value: 'linked' }]);
  });

  it('validates tag actions and resources', () => {
    const serviceId = availableService();
    expectError(
      tagAction('endpoint_service', serviceId, { action: 'create', tags: [{ key: 'a.b', value: 'v' }] }),
      400,
      'EndPoint.3068',
    );
    expectError(
      tagAction('endpoint_service', serviceId, { action: 'create', tags: [] }),
      400,
      'EndPoint.3066',
    );
    expectError(
      tagAction('endpoint_service', serviceId, { action: 'replace', tags: [{ key: 'k', value: 'v' }] }),
      400,
      'EndPoint.0002',
    );
    expectError(
      tagAction('endpoint_service', 'nope', { action: 'create', tags: [{ key: 'k', value: 'v' }] }),
      404,
      'EndPoint.0005',
    );
    expectError(
      tagAction('endpoint', 'nope', { action: 'create', tags: [{ key: 'k', value: 'v' }] }),
      404,
      'EndPoint.2006',
    );
    // "You can add up to 10 tags to a resource" (Huawei BatchAddOrRemoveResourceInstance page).
    const ten = Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: 'v' }));
    expect(tagAction('endpoint_service', serviceId, { action: 'create', tags: ten }).status).toBe(204);
    expectError(
      tagAction('endpoint_service', serviceId, { action: 'create', tags: [{ key: 'x', value: 'v' }] }),
      400,
      'EndPoint.3069',
    );
  });

  it('filters with tags (AND keys, OR values), tags_any, not_tags, not_tags_any and matches', async () => {
    const tag = (id: string, tags: Array<{ key: string; value: string }>) =>
      tagAction('endpoint_service', id, { action: 'create', tags });
    const a = availableService({ service_name: 'alpha' }, 0);
    const b = availableService({ service_name: 'beta' }, 1);
    const c = availableService({ service_name: 'gamma' }, 2);
    tag(a, [
      { key: 'kvl-instance', value: 'i1' },
      { key: 'kvl-phase', value: 'linked' },
    ]);
    tag(b, [
      { key: 'kvl-instance', value: 'i1' },
      { key: 'kvl-phase', value: 'pending' },
    ]);
    tag(c, [{ key: 'kvl-instance', value: 'i2' }]);
    const ids = (body: Record<string, unknown>) =>
      query('endpoint_service', { action: 'filter', ...body })
        .body.resources.map((r: any) => r.resource_id)
        .sort();
    const sorted = (...x: string[]) => [...x].sort();

    expect(ids({ tags: [{ key: 'kvl-instance', values: ['i1'] }] })).toEqual(sorted(a, b));
    expect(ids({ tags: [{ key: 'kvl-instance', values: ['i1', 'i2'] }] })).toEqual(sorted(a, b, c));
    expect(
      ids({
        tags: [
          { key: 'kvl-instance', values: ['i1'] },
          { key: 'kvl-phase', values: ['linked'] },
        ],
      }),
    ).toEqual([a]);
    expect(ids({ tags: [{ key: 'kvl-phase', values: [] }] })).toEqual(sorted(a, b));
    expect(ids({ tags: [{ key: 'kvl-phase', values: ['*link'] }] })).toEqual([a]);
    expect(
      ids({
        tags_any: [
          { key: 'kvl-phase', values: ['pending'] },
          { key: 'kvl-instance', values: ['i2'] },
        ],
      }),
    ).toEqual(sorted(b, c));
    expect(ids({ not_tags: [{ key: 'kvl-instance', values: ['i1'] }] })).toEqual([c]);
    expect(ids({ not_tags_any: [{ key: 'kvl-phase', values: ['linked', 'pending'] }] })).toEqual([c]);
    expect(ids({ matches: [{ key: 'resource_name', value: 'BETA' }] })).toEqual([b]);

    const filtered = query('endpoint_service', {
      action: 'filter',
      tags: [{ key: 'kvl-instance', values: ['i1'] }],
      limit: '1',
      offset: '0',
    });
    expect(
      shapeMismatches(await fixtureBody('vpcep-query-resources-by-tag-filter.response.json'), filtered.body),
    ).toEqual([]);
    expect(filtered.body.total_count).toBe(2);
    expect(filtered.body.resources).toHaveLength(1);
    expect(filtered.body.resources[0].resource_detail).toBeNull();

    const counted = query('endpoint_service', {
      action: 'count',
      tags: [{ key: 'kvl-instance', values: ['i1'] }],
    });
    expect(counted.body).toEqual({ total_count: 2 });
    expect(
      shapeMismatches(await fixtureBody('vpcep-query-resources-by-tag-count.response.json'), counted.body),
    ).toEqual([]);
  });

  it('accepts the documented query-by-tag requests and validates limit/action', async () => {
    availableService();
    expect(
      query('endpoint', await fixtureBody('vpcep-query-resources-by-tag-filter.request.json')).body,
    ).toEqual({
      resources: [],
      total_count: 0,
    });
    expect(
      query('endpoint_service', await fixtureBody('vpcep-query-resources-by-tag-count.request.json')).status,
    ).toBe(200);
    expectError(query('endpoint', { action: 'filter', limit: '1001' }), 400, 'EndPoint.0006');
    // "limit最多为1000，不能为负数，最小值为1" [GSDK model_query_resource_instance_tags_body.go].
    expectError(query('endpoint', { action: 'filter', limit: '0' }), 400, 'EndPoint.0006');
    expect(query('endpoint', { action: 'filter', limit: '1000' }).status).toBe(200);
    expectError(query('endpoint', { action: 'filter', offset: 'x' }), 400, 'EndPoint.0010');
    expectError(query('endpoint', { action: 'list' }), 400, 'EndPoint.0002');
  });

  it('takes at most 10 keys per filter, each once, with at most 10 distinct values (GSDK body model)', () => {
    const keys = (n: number) => Array.from({ length: n }, (_, i) => ({ key: `k${i}`, values: ['v'] }));

    const ten = query('endpoint_service', { action: 'filter', tags: keys(10), not_tags_any: keys(10) });

    expect(ten.status).toBe(200);
    for (const field of ['tags', 'tags_any', 'not_tags', 'not_tags_any']) {
      expectError(query('endpoint_service', { action: 'filter', [field]: keys(11) }), 400, 'EndPoint.3069');
    }
    expectError(
      query('endpoint_service', {
        action: 'count',
        tags: [
          { key: 'k', values: ['a'] },
          { key: 'k', values: ['b'] },
        ],
      }),
      400,
      'EndPoint.3067',
    );
    expectError(
      query('endpoint_service', { action: 'filter', tags: [{ key: 'k', values: ['a', 'a'] }] }),
      400,
      'EndPoint.0002',
    );
  });

  it('lists the project’s tags per resource type', () => {
    const serviceId = availableService();
    tagAction('endpoint_service', serviceId, {
      action: 'create',
      tags: [{ key: 'kvl-instance', value: 'i1' }],
    });
    expect(h.call({ method: 'GET', path: '/v1/{pid}/endpoint_service/tags' }).body).toEqual({
      tags: [{ key: 'kvl-instance', values: ['i1'] }],
    });
    expect(h.call({ method: 'GET', path: '/v1/{pid}/endpoint/tags' }).body).toEqual({ tags: [] });
  });
});

/* ------------------------------------------------------------------ quotas and routing */

describe('VPCEP quotas and routing', () => {
  it('reports used and quota per type in the documented shape', async () => {
    h.world.quotas = { endpointService: 20, endpoint: 50 };
    const serviceId = availableService();
    createEndpoint(serviceId);
    const res = h.call({ method: 'GET', path: '/v1/{pid}/quotas' });
    expect(shapeMismatches(await fixtureBody('vpcep-show-quota.response.json'), res.body)).toEqual([]);
    expect(res.body.quotas.resources).toEqual([
      { type: 'endpoint_service', used: 1, quota: 20 },
      { type: 'endpoint', used: 1, quota: 50 },
    ]);
    expect(h.call({ method: 'GET', path: '/v1/{pid}/quotas?type=endpoint' }).body.quotas.resources).toEqual([
      { type: 'endpoint', used: 1, quota: 50 },
    ]);
    expectError(h.call({ method: 'GET', path: '/v1/{pid}/quotas?type=vpc' }), 400, 'EndPoint.0002');
  });

  it('answers unknown routes with 404 in the VPCEP envelope, and a foreign project with EndPoint.0014', () => {
    const res = h.call({ method: 'PATCH', path: '/v1/{pid}/vpc-endpoints' });
    expect(res.status).toBe(404);
    expect(Object.keys(res.body).sort()).toEqual(['error_code', 'error_msg']);
    expectError(
      h.call({ method: 'GET', path: `/v1/${h.partner.projectId}/vpc-endpoints` }),
      400,
      'EndPoint.0014',
    );
  });
});

/* ------------------------------------------------------------------ over HTTP */

describe('VPCEP over HTTP (signed raw requests; no official Node SDK exists)', () => {
  let emu: EmulatorHandle;

  beforeAll(async () => {
    emu = await startEmulator({
      speed: 0,
      modules: [createDmsModule(), createVpcepModule(), createVpcModule()],
    });
  });
  afterAll(async () => {
    await emu.close();
  });

  it('creates a service and an endpoint, waits on the clock, and reads the accepted IP', async () => {
    const credentials = ownerCredentials(emu);
    const pid = credentials.projectId;
    const seed = emu.seed!;
    const broker = emu.world.kafkaInstances[0]!.brokers[0]!;
    const created = await cloudCall(emu, {
      method: 'POST',
      path: `/v1/${pid}/vpc-endpoint-services`,
      credentials,
      body: {
        port_id: broker.portId,
        vpc_id: seed.instanceVpcId,
        server_type: 'VM',
        approval_enabled: false,
        ports: [{ client_port: 9011, server_port: 9011, protocol: 'TCP' }],
      },
    });
    expect(created.status).toBe(200);
    expect(created.json.status).toBe('creating');
    emu.clock.advance(VPCEP_SERVICE_CREATE_DELAY_MS);

    const endpoint = await cloudCall(emu, {
      method: 'POST',
      path: `/v1/${pid}/vpc-endpoints`,
      credentials,
      body: {
        endpoint_service_id: created.json.id,
        vpc_id: seed.clientVpcId,
        subnet_id: seed.clientSubnetId,
      },
    });
    expect(endpoint.status).toBe(200);
    emu.clock.advance(VPCEP_ENDPOINT_CREATE_DELAY_MS);
    const shown = await cloudCall(emu, {
      method: 'GET',
      path: `/v1/${pid}/vpc-endpoints/${endpoint.json.id}`,
      credentials,
    });
    expect(shown.json).toMatchObject({ status: 'accepted', ip: expect.stringMatching(/^172\.16\.5\./) });

    const missing = await cloudCall(emu, {
      method: 'GET',
      path: `/v1/${pid}/vpc-endpoints/nope`,
      credentials,
    });
    expect(missing.status).toBe(404);
    expect(missing.json).toEqual({
      error_code: 'EndPoint.2006',
      error_msg: 'The VPC endpoint nope does not exist.',
    });

    const listed = await cloudCall(emu, {
      method: 'GET',
      path: `/v1/${pid}/vpc-endpoint-services?limit=5&offset=0`,
      credentials,
    });
    expect(listed.json.total_count).toBe(1);
  });

  it('refuses a wrong secret key with 401', async () => {
    const credentials = { ...ownerCredentials(emu), sk: 'wrong-secret-key-0000000000000000000000' };
    const res = await cloudCall(emu, {
      method: 'GET',
      path: `/v1/${credentials.projectId}/vpc-endpoints`,
      credentials,
    });
    expect(res.status).toBe(401);
  });

  it('answers an invalid JSON body with EndPoint.0002', async () => {
    const { rawCall } = await import('../../helpers/emulator-calls.js');
    const credentials = ownerCredentials(emu);
    const { signRequest } = await import('../../../shared/cloud/signer.js');
    const url = `${emu.endpoint}/v1/${credentials.projectId}/vpc-endpoints`;
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    Object.assign(headers, signRequest({ method: 'POST', url, headers, body: '{nope' }, credentials));
    const res = await rawCall(emu.endpoint, {
      method: 'POST',
      path: `/v1/${credentials.projectId}/vpc-endpoints`,
      headers,
      body: '{nope',
    });
    expect(res.status).toBe(400);
    expect(res.json.error_code).toBe('EndPoint.0002');
  });
});
