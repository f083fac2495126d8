import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { NotFoundError } from '../../../shared/cloud/errors.js';
import type { VpcepClient } from '../../../shared/cloud/types.js';
import { InvalidIdError } from '../../../shared/cloud/validate.js';
import { createVpcepClient, TooManyTagsError } from '../../../shared/cloud/vpcep.js';
import {
  cloudHttpFor,
  expectSigned,
  type FakeApiServer,
  PROJECT_ID,
  readFixture,
  startFakeApiServer,
} from '../../helpers/fake-api-server.js';

const SERVICES = `/v1/${PROJECT_ID}/vpc-endpoint-services`;
const ENDPOINTS = `/v1/${PROJECT_ID}/vpc-endpoints`;

/** Serves `total` generated items in offset/limit pages, as VPCEP does. */
function pagedList<T>(key: string, total: number, make: (index: number) => T) {
  return (request: { query: URLSearchParams }) => {
    const offset = Number(request.query.get('offset') ?? 0);
    const limit = Number(request.query.get('limit') ?? 10);
    const count = Math.max(0, Math.min(limit, total - offset));
    return { body: { [key]: Array.from({ length: count }, (_, i) => make(offset + i)), total_count: total } };
  };
}

const serviceWire = (i: number) => ({
  id: `svc-${i}`,
  port_id: `port-${i}`,
  vpc_id: 'vpc-1',
  status: 'available',
  server_type: 'VM',
  service_type: 'interface',
  approval_enabled: false,
  service_name: `ap-southeast-1.kvl.svc-${i}`,
  ports: [{ client_port: 9011, server_port: 9011, protocol: 'TCP' }],
});

describe('VPCEP client', () => {
  let server: FakeApiServer;
  let vpcep: VpcepClient;

  beforeAll(async () => {
    server = await startFakeApiServer();
  });
  afterAll(async () => {
    await server.stop();
  });
  beforeEach(() => {
    server.reset();
    vpcep = createVpcepClient(cloudHttpFor(server, 'vpcep'));
  });

  describe('endpoint services', () => {
    it('creates a service with approval explicitly off and the 9011 mapping', async () => {
      server.on('POST', SERVICES, {
        body: { ...serviceWire(1), status: 'creating', tags: [{ key: 'kvl-instance', value: 'i-1' }] },
      });

      const service = await vpcep.createEndpointService({
        portId: 'port-1',
        vpcId: 'vpc-1',
        serverType: 'VM',
        serviceType: 'interface',
        approvalEnabled: false,
        ports: [{ clientPort: 9011, serverPort: 9011, protocol: 'TCP' }],
        tcpProxy: 'close',
        serviceName: 'kvl-b1',
        tags: [{ key: 'kvl-instance', value: 'i-1' }],
      });

      const [request] = server.requests;
      expect(request?.method).toBe('POST');
      expect(request?.path).toBe(SERVICES);
      expectSigned(request);
      expect(request?.json()).toEqual({
        port_id: 'port-1',
        vpc_id: 'vpc-1',
        server_type: 'VM',
        service_type: 'interface',
        approval_enabled: false,
        service_name: 'kvl-b1',
        tcp_proxy: 'close',
        ports: [{ client_port: 9011, server_port: 9011, protocol: 'TCP' }],
        tags: [{ key: 'kvl-instance', value: 'i-1' }],
      });
      expect(service).toMatchObject({
        id: 'svc-1',
        portId: 'port-1',
        status: 'creating',
        approvalEnabled: false,
        ports: [{ clientPort: 9011, serverPort: 9011, protocol: 'TCP' }],
        tags: [{ key: 'kvl-instance', value: 'i-1' }],
      });
    });

    it('maps a failed service with its error details ({code, message}, GSDK model_error.go)', async () => {
      server.on('GET', `${SERVICES}/svc-1`, {
        body: {
          ...serviceWire(1),
          status: 'failed',
          error: [{ code: 'EndPoint.3044', message: 'ports conflict' }],
        },
      });

      const service = await vpcep.getEndpointService('svc-1');

      expect(service.status).toBe('failed');
      expect(service.errors).toEqual([{ code: 'EndPoint.3044', message: 'ports conflict' }]);
    });

    it('maps a 404 EndPoint.0005 to NotFoundError', async () => {
      server.on('GET', `${SERVICES}/svc-gone`, {
        status: 404,
        body: { error_code: 'EndPoint.0005', error_msg: 'Resource not found.' },
      });

      await expect(vpcep.getEndpointService('svc-gone')).rejects.toBeInstanceOf(NotFoundError);
    });

    it('lists every page (limit 1000) until total_count, forwarding the filters', async () => {
      server.on('GET', SERVICES, pagedList('endpoint_services', 2300, serviceWire));

      const services = await vpcep.listEndpointServices({ endpointServiceName: 'kvl', status: 'available' });

      expect(services).toHaveLength(2300);
      expect(services[2299]?.portId).toBe('port-2299');
      expect(server.requests.map((r) => [r.query.get('offset'), r.query.get('limit')])).toEqual([
        ['0', '1000'],
        ['1000', '1000'],
        ['2000', '1000'],
      ]);
      expect(server.requests[0]?.query.get('endpoint_service_name')).toBe('kvl');
      expect(server.requests[0]?.query.get('status')).toBe('available');
      expect(server.requests[0]?.query.has('id')).toBe(false);
    });

    it.each([
      [204, undefined],
      [200, undefined],
      [200, {}],
    ])('deletes a service answered with %i and body %j', async (status, body) => {
      server.on('DELETE', `${SERVICES}/svc-1`, { status, body });

      await vpcep.deleteEndpointService('svc-1');

      expect(server.requests[0]?.method).toBe('DELETE');
      expectSigned(server.requests[0]);
    });

    it('refuses a traversal id without calling the API', async () => {
      await expect(vpcep.deleteEndpointService('../vpc-endpoints')).rejects.toBeInstanceOf(InvalidIdError);
      expect(server.requests).toHaveLength(0);
    });
  });

  describe('whitelist and connections', () => {
    it('adds permissions with the action body, and sends nothing for none', async () => {
      server.on('POST', `${SERVICES}/svc-1/permissions/action`, (request) => ({
        body: { permissions: (request.json() as { permissions: string[] }).permissions },
      }));

      await vpcep.addServicePermissions('svc-1', ['iam:domain::d1']);
      await vpcep.addServicePermissions('svc-1', []);

      expect(server.requests.map((r) => r.body.toString())).toEqual([
        '{"permissions":["iam:domain::d1"],"action":"add"}',
      ]);
    });

    it('lists permissions over several pages', async () => {
      server.on(
        'GET',
        `${SERVICES}/svc-1/permissions`,
        pagedList('permissions', 1001, (i) => ({
          id: `p-${i}`,
          permission: `iam:domain::d${i}`,
          created_at: '2018-10-18T13:26:40Z',
        })),
      );

      const permissions = await vpcep.listServicePermissions('svc-1');

      expect(permissions).toHaveLength(1001);
      expect(permissions[1000]).toBe('iam:domain::d1000');
      // The whitelist list takes limit 0–500 (501 is EndPoint.0006), unlike the other lists.
      expect(server.requests.map((r) => [r.query.get('offset'), r.query.get('limit')])).toEqual([
        ['0', '500'],
        ['500', '500'],
        ['1000', '500'],
      ]);
    });

    it('lists connections with marker ids and domains', async () => {
      server.on('GET', `${SERVICES}/svc-1/connections`, {
        body: readFixture('vpcep-list-connections.response.json').body,
      });

      const connections = await vpcep.listServiceConnections('svc-1');

      expect(connections).toEqual([
        {
          id: 'adb7b229-bb11-4072-bcc0-3327cd784263',
          status: 'accepted',
          markerId: 16777510,
          domainId: '5fc973eea581490997e82ea11a1df31f',
        },
        {
          id: 'fd69d29f-dc29-4a9b-80d8-b51d1e7e58ea',
          status: 'accepted',
          markerId: 16777513,
          domainId: '5fc973eea581490997e82ea11a1df31f',
        },
      ]);
      expect(server.requests[0]?.query.get('limit')).toBe('1000');
    });
  });

  describe('endpoints', () => {
    it('creates an endpoint with port_ip (the request name of the fixed IP)', async () => {
      server.on('POST', ENDPOINTS, { body: readFixture('vpcep-create-endpoint.response.json').body });

      const endpoint = await vpcep.createEndpoint({
        endpointServiceId: 'svc-1',
        vpcId: 'vpc-client',
        subnetId: 'subnet-client',
        portIp: '172.16.5.20',
        enableDns: false,
        description: 'kvl broker 10.0.0.11',
      });

      expect(server.requests[0]?.json()).toEqual({
        endpoint_service_id: 'svc-1',
        vpc_id: 'vpc-client',
        subnet_id: 'subnet-client',
        port_ip: '172.16.5.20',
        enable_dns: false,
        description: 'kvl broker 10.0.0.11',
      });
      expect(endpoint).toMatchObject({
        id: '530d6f2f-d115-4df2-8c36-32d19f3c0bbc',
        status: 'creating',
        markerId: 201515772,
      });
      expect(endpoint.ip).toBeUndefined();
    });

    it('reads an endpoint with a large marker_id and a repeated description key', async () => {
      const fixture = readFixture('vpcep-show-endpoint.response.json');
      server.on('GET', `${ENDPOINTS}/ep-1`, { rawBody: fixture.rawBody });

      const endpoint = await vpcep.getEndpoint('ep-1');

      expect(endpoint.markerId).toBe(322312312312);
      expect(endpoint.status).toBe('accepted');
      expect(endpoint.tags).toEqual([{ key: 'test1', value: 'test1' }]);
    });

    it('lists endpoints with filters (enable_dns as the string "true")', async () => {
      server.on('GET', ENDPOINTS, { body: readFixture('vpcep-list-endpoints.response.json').body });

      const endpoints = await vpcep.listEndpoints({ vpcId: 'vpc-client', endpointServiceName: 'test123' });

      expect(endpoints.map((e) => e.ip)).toEqual(['192.168.0.232', '192.168.0.115']);
      expect(endpoints[0]).toMatchObject({
        endpointServiceId: '5133655d-0e28-4090-b669-13f87b355c78',
        subnetId: '68bfbcc1-dff2-47e4-a9d4-332b9bc1b8de',
      });
      expect(server.requests[0]?.query.get('vpc_id')).toBe('vpc-client');
      expect(server.requests[0]?.query.get('endpoint_service_name')).toBe('test123');
      expect(server.requests[0]?.query.get('offset')).toBe('0');
    });

    it('lists endpoints across pages', async () => {
      server.on(
        'GET',
        ENDPOINTS,
        pagedList('endpoints', 1500, (i) => ({
          id: `ep-${i}`,
          status: 'accepted',
          endpoint_service_id: 'svc',
          vpc_id: 'v',
        })),
      );

      const endpoints = await vpcep.listEndpoints();

      expect(endpoints).toHaveLength(1500);
      expect(server.requests.map((r) => r.query.get('offset'))).toEqual(['0', '1000']);
    });

    it('maps a failed endpoint with its error details ({error_code, error_message}, GSDK model_query_error.go)', async () => {
      server.on('GET', `${ENDPOINTS}/ep-1`, {
        body: {
          id: 'ep-1',
          status: 'failed',
          endpoint_service_id: 'svc-1',
          error: [{ error_code: 'EndPoint.2016', error_message: 'no capacity' }],
        },
      });

      const endpoint = await vpcep.getEndpoint('ep-1');

      expect(endpoint.errors).toEqual([{ code: 'EndPoint.2016', message: 'no capacity' }]);
    });

    it('deletes an endpoint and surfaces a 404 as NotFoundError', async () => {
      server.on('DELETE', `${ENDPOINTS}/ep-1`, { status: 204 });
      server.on('DELETE', `${ENDPOINTS}/ep-2`, {
        status: 404,
        body: { error_code: 'EndPoint.2006', error_msg: 'not found' },
      });

      await vpcep.deleteEndpoint('ep-1');
      await expect(vpcep.deleteEndpoint('ep-2')).rejects.toBeInstanceOf(NotFoundError);
    });
  });

  describe('tags, queries and quotas', () => {
    it('refuses more than 10 tags per resource or 10 keys per filter before any call', async () => {
      const eleven = Array.from({ length: 11 }, (_, i) => ({ key: `k${i}`, value: 'v' }));
      const elevenKeys = eleven.map((t) => ({ key: t.key, values: [t.value] }));

      const tagging = vpcep.createResourceTags('endpoint', 'ep-1', eleven).catch((e: unknown) => e);
      const creating = vpcep
        .createEndpoint({ endpointServiceId: 'svc-1', vpcId: 'vpc-1', subnetId: 'sub-1', tags: eleven })
        .catch((e: unknown) => e);
      const querying = vpcep
        .queryResourcesByTags('endpoint', { notTagsAny: elevenKeys })
        .catch((e: unknown) => e);

      expect(await tagging).toMatchObject({ name: 'TooManyTagsError', field: 'tags', max: 10 });
      expect(await creating).toBeInstanceOf(TooManyTagsError);
      expect(await querying).toMatchObject({ name: 'TooManyTagsError', field: 'not_tags_any', max: 10 });
      expect(server.requests).toHaveLength(0);
    });

    it('creates resource tags on the typed path', async () => {
      server.on('POST', /\/tags\/action$/, { status: 204 });

      await vpcep.createResourceTags('endpoint_service', 'svc-1', [{ key: 'kvl-phase', value: 'linked' }]);
      await vpcep.createResourceTags('endpoint', 'ep-1', [{ key: 'kvl-phase', value: 'linked' }]);

      expect(server.requests.map((r) => r.path)).toEqual([
        `/v1/${PROJECT_ID}/endpoint_service/svc-1/tags/action`,
        `/v1/${PROJECT_ID}/endpoint/ep-1/tags/action`,
      ]);
      expect(server.requests.map((r) => r.json())).toEqual([
        { action: 'create', tags: [{ key: 'kvl-phase', value: 'linked' }] },
        { action: 'create', tags: [{ key: 'kvl-phase', value: 'linked' }] },
      ]);
    });

    it('queries resources by tags with string offset/limit over all pages', async () => {
      const path = `/v1/${PROJECT_ID}/endpoint_service/resource_instances/action`;
      server.on('POST', path, (request) => {
        const body = request.json() as { offset: string; limit: string };
        const offset = Number(body.offset);
        const count = Math.max(0, Math.min(Number(body.limit), 1200 - offset));
        const resources = Array.from({ length: count }, (_, i) => ({
          resource_detail: null,
          resource_id: `svc-${offset + i}`,
          resource_name: `name-${offset + i}`,
          tags: [{ key: 'kvl-instance', value: 'i-1' }],
        }));
        return { body: { resources, total_count: 1200 } };
      });

      const resources = await vpcep.queryResourcesByTags('endpoint_service', {
        tags: [{ key: 'kvl-instance', values: ['i-1'] }],
        notTags: [{ key: 'kvl-phase', values: ['failed'] }],
      });

      expect(resources).toHaveLength(1200);
      expect(resources[1199]).toEqual({
        resourceId: 'svc-1199',
        resourceName: 'name-1199',
        tags: [{ key: 'kvl-instance', value: 'i-1' }],
      });
      expect(server.requests.map((r) => r.json())).toEqual([
        {
          action: 'filter',
          offset: '0',
          limit: '1000',
          tags: [{ key: 'kvl-instance', values: ['i-1'] }],
          not_tags: [{ key: 'kvl-phase', values: ['failed'] }],
        },
        {
          action: 'filter',
          offset: '1000',
          limit: '1000',
          tags: [{ key: 'kvl-instance', values: ['i-1'] }],
          not_tags: [{ key: 'kvl-phase', values: ['failed'] }],
        },
      ]);
    });

    it('reads quotas of one type', async () => {
      server.on('GET', `/v1/${PROJECT_ID}/quotas`, {
        body: readFixture('vpcep-show-quota.response.json').body,
      });

      const quotas = await vpcep.getQuotas('endpoint');

      expect(server.requests[0]?.rawQuery).toBe('type=endpoint');
      expect(quotas).toEqual([
        { type: 'endpoint', used: 4, quota: 150 },
        { type: 'endpoint_service', used: 10, quota: 100 },
      ]);
    });
  });
});
