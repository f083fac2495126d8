import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CrossVpcInfoError, createDmsClient } from '../../../shared/cloud/dms.js';
import { CrossVpcModifyError, InstanceBusyError, NotFoundError } from '../../../shared/cloud/errors.js';
import type { DmsClient } from '../../../shared/cloud/types.js';
import { InvalidIdError, UnexpectedResponseError } from '../../../shared/cloud/validate.js';
import {
  cloudHttpFor,
  expectSigned,
  type FakeApiServer,
  PROJECT_ID,
  readFixture,
  startFakeApiServer,
} from '../../helpers/fake-api-server.js';

const INSTANCE = '11111111-2222-3333-4444-555555555555';
const INSTANCE_PATH = `/v2/${PROJECT_ID}/instances/${INSTANCE}`;

function crossVpcInfo(entries: Record<string, { advertised: string; portId: string }>): string {
  const doc: Record<string, unknown> = {};
  for (const [ip, entry] of Object.entries(entries)) {
    doc[ip] = { advertised_ip: entry.advertised, port: 9011, port_id: entry.portId };
  }
  return JSON.stringify(doc);
}

function instanceBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    instance_id: INSTANCE,
    name: 'kafka-a',
    status: 'RUNNING',
    vpc_id: 'vpc-1',
    subnet_id: 'subnet-1',
    security_group_id: 'sg-1',
    broker_num: 3,
    ssl_enable: false,
    cross_vpc_info: crossVpcInfo({
      '10.0.0.100': { advertised: '10.0.0.100', portId: 'port-c' },
      '10.0.0.9': { advertised: '10.0.0.9', portId: 'port-a' },
      '10.0.0.11': { advertised: '10.0.0.11', portId: 'port-b' },
    }),
    tags: [{ key: 'kvl-client-vpc', value: 'vpc-9' }],
    ...overrides,
  };
}

describe('DMS client', () => {
  let server: FakeApiServer;
  let dms: DmsClient;

  beforeAll(async () => {
    server = await startFakeApiServer();
  });
  afterAll(async () => {
    await server.stop();
  });
  beforeEach(() => {
    server.reset();
    dms = createDmsClient(cloudHttpFor(server, 'dms'));
  });

  describe('showInstance', () => {
    it('sends a signed GET and maps the documented example', async () => {
      const fixture = readFixture('dms-show-instance.response.json');
      server.on('GET', `/v2/${PROJECT_ID}/instances/${INSTANCE}`, { body: fixture.body });

      const instance = await dms.showInstance(INSTANCE);

      const [request] = server.requests;
      expect(server.requests).toHaveLength(1);
      expect(request?.method).toBe('GET');
      expect(request?.path).toBe(INSTANCE_PATH);
      expect(request?.rawQuery).toBe('');
      expect(request?.body.length).toBe(0);
      expectSigned(request);
      expect(instance).toMatchObject({
        instanceId: 'xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx',
        name: 'kafka-2085975099',
        status: 'RUNNING',
        securityProtocol: 'PLAINTEXT',
        saslMechanisms: [],
        enterpriseProjectId: '0',
        tags: [],
      });
      // Numeric order: a plain string sort would put 192.168.0.100 first.
      expect(instance.listeners.map((l) => l.listenerIp)).toEqual([
        '192.168.0.61',
        '192.168.0.72',
        '192.168.0.100',
      ]);
      expect(instance.listeners[0]).toEqual({
        listenerIp: '192.168.0.61',
        advertisedIp: '192.168.0.61',
        port: 9011,
        portId: 'xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx',
      });
    });

    it('parses cross_vpc_info into listeners sorted by IP and keeps the network ids', async () => {
      server.on('GET', INSTANCE_PATH, { body: instanceBody() });

      const instance = await dms.showInstance(INSTANCE);

      expect(instance.listeners).toEqual([
        { listenerIp: '10.0.0.9', advertisedIp: '10.0.0.9', port: 9011, portId: 'port-a' },
        { listenerIp: '10.0.0.11', advertisedIp: '10.0.0.11', port: 9011, portId: 'port-b' },
        { listenerIp: '10.0.0.100', advertisedIp: '10.0.0.100', port: 9011, portId: 'port-c' },
      ]);
      expect(instance).toMatchObject({
        vpcId: 'vpc-1',
        subnetId: 'subnet-1',
        securityGroupId: 'sg-1',
        brokerNum: 3,
        tags: [{ key: 'kvl-client-vpc', value: 'vpc-9' }],
      });
    });

    it.each([
      ['SASL on, protocol and mechanisms absent', { ssl_enable: true }, 'SASL_SSL', ['PLAIN']],
      [
        'SASL on with an explicit protocol',
        {
          ssl_enable: true,
          kafka_security_protocol: 'SASL_PLAINTEXT',
          sasl_enabled_mechanisms: ['SCRAM-SHA-512'],
        },
        'SASL_PLAINTEXT',
        ['SCRAM-SHA-512'],
      ],
      [
        'SASL off ignores leftover fields',
        { ssl_enable: false, kafka_security_protocol: 'SASL_SSL', sasl_enabled_mechanisms: ['PLAIN'] },
        'PLAINTEXT',
        [],
      ],
    ])('derives the security protocol: %s', async (_label, overrides, protocol, mechanisms) => {
      server.on('GET', INSTANCE_PATH, { body: instanceBody(overrides) });

      const instance = await dms.showInstance(INSTANCE);

      expect(instance.securityProtocol).toBe(protocol);
      expect(instance.saslMechanisms).toEqual(mechanisms);
    });

    it.each([
      ['an empty string', { cross_vpc_info: '' }],
      ['absent', { cross_vpc_info: undefined }],
      ['null', { cross_vpc_info: null }],
    ])('returns no listeners when cross_vpc_info is %s', async (_label, overrides) => {
      server.on('GET', INSTANCE_PATH, { body: instanceBody(overrides) });

      const instance = await dms.showInstance(INSTANCE);

      expect(instance.listeners).toEqual([]);
    });

    it('rejects cross_vpc_info that is not JSON with a clear error', async () => {
      server.on('GET', INSTANCE_PATH, { body: instanceBody({ cross_vpc_info: '{"10.0.0.1":' }) });

      const error = await dms.showInstance(INSTANCE).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(CrossVpcInfoError);
      expect((error as Error).message).toContain(INSTANCE);
      expect((error as Error).message).toContain('not a JSON document');
      expect((error as Error).cause).toBeInstanceOf(SyntaxError);
    });

    it('rejects cross_vpc_info entries without a port_id', async () => {
      const info = JSON.stringify({ '10.0.0.1': { advertised_ip: '10.0.0.1', port: 9011 } });
      server.on('GET', INSTANCE_PATH, { body: instanceBody({ cross_vpc_info: info }) });

      await expect(dms.showInstance(INSTANCE)).rejects.toThrow(/cross_vpc_info.*10\.0\.0\.1\.port_id/);
    });

    it('maps 404 DMS.00404022 to NotFoundError', async () => {
      server.on('GET', INSTANCE_PATH, {
        status: 404,
        body: { error_code: 'DMS.00404022', error_msg: 'The instance does not exist.' },
      });

      const error = await dms.showInstance(INSTANCE).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(NotFoundError);
      expect(error).toMatchObject({ code: 'DMS.00404022', httpStatus: 404 });
    });

    it('rejects a 200 body without the documented fields', async () => {
      server.on('GET', INSTANCE_PATH, { body: { instance_id: INSTANCE } });

      const error = await dms.showInstance(INSTANCE).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(UnexpectedResponseError);
      expect((error as Error).message).toMatch(/show instance.*status/);
    });

    it('does not check the format of fields it never reads (created_at, partition_num)', async () => {
      // Strings in the SDK model and golangsdk, with no format promised: an empty one must not fail the read.
      server.on('GET', INSTANCE_PATH, { body: instanceBody({ created_at: '', partition_num: 'n/a' }) });

      await expect(dms.showInstance(INSTANCE)).resolves.toMatchObject({ instanceId: INSTANCE });
    });

    it.each(['../x', 'a?b', 'a#b', '%2e%2e', 'a/b', '', 'x'.repeat(65), 'a b'])(
      'refuses the id %j before any request is sent',
      async (id) => {
        const error = await dms.showInstance(id).catch((e: unknown) => e);

        expect(error).toBeInstanceOf(InvalidIdError);
        expect(server.requests).toHaveLength(0);
      },
    );

    it('accepts a 64-character id', async () => {
      const id = `a${'b'.repeat(63)}`;
      server.on('GET', `/v2/${PROJECT_ID}/instances/${id}`, { body: instanceBody({ instance_id: id }) });

      await expect(dms.showInstance(id)).resolves.toMatchObject({ instanceId: id });
    });
  });

  describe('listInstances', () => {
    it('requests offset/limit pages of 50 until instance_num is reached', async () => {
      server.on('GET', `/v2/${PROJECT_ID}/instances`, (request) => {
        const offset = Number(request.query.get('offset'));
        const limit = Number(request.query.get('limit'));
        const count = Math.max(0, Math.min(limit, 120 - offset));
        const instances = Array.from({ length: count }, (_, i) =>
          instanceBody({ instance_id: `inst-${offset + i}`, cross_vpc_info: '' }),
        );
        return { body: { instances, instance_num: 120 } };
      });

      const instances = await dms.listInstances({ name: 'kafka-a', status: 'RUNNING' });

      expect(instances).toHaveLength(120);
      expect(instances[119]?.instanceId).toBe('inst-119');
      expect(server.requests.map((r) => [r.query.get('offset'), r.query.get('limit')])).toEqual([
        ['0', '50'],
        ['50', '50'],
        ['100', '50'],
      ]);
      for (const request of server.requests) {
        expect(request.query.get('engine')).toBe('kafka');
        expect(request.query.get('name')).toBe('kafka-a');
        expect(request.query.get('status')).toBe('RUNNING');
        expectSigned(request);
      }
    });

    it('stops on an empty page even if instance_num promises more', async () => {
      server.on(
        'GET',
        `/v2/${PROJECT_ID}/instances`,
        { body: { instances: [instanceBody()], instance_num: 10 } },
        { body: { instances: [], instance_num: 10 } },
      );

      const instances = await dms.listInstances();

      expect(instances).toHaveLength(1);
      expect(server.requests).toHaveLength(2);
      expect(server.requests[0]?.query.has('name')).toBe(false);
    });

    it('parses the documented list example', async () => {
      server.on('GET', `/v2/${PROJECT_ID}/instances`, {
        body: readFixture('dms-list-instances.response.json').body,
      });

      const [instance] = await dms.listInstances();

      expect(server.requests).toHaveLength(1);
      expect(instance?.listeners).toHaveLength(3);
      expect(instance?.status).toBe('RUNNING');
    });
  });

  describe('modifyCrossVpc', () => {
    const MODIFY_PATH = `${INSTANCE_PATH}/crossvpc/modify`;
    const advertised = { '10.0.0.11': '172.16.5.20', '10.0.0.12': '172.16.5.21', '10.0.0.13': '172.16.5.22' };

    it('posts the full map and returns the per-IP results', async () => {
      server.on('POST', MODIFY_PATH, {
        body: {
          success: true,
          results: Object.entries(advertised).map(([ip, adv]) => ({ ip, advertised_ip: adv, success: true })),
        },
      });

      const result = await dms.modifyCrossVpc(INSTANCE, advertised);

      const [request] = server.requests;
      expect(request?.method).toBe('POST');
      expect(request?.path).toBe(MODIFY_PATH);
      expect(request?.body.toString()).toBe(JSON.stringify({ advertised_ip_contents: advertised }));
      expect(request?.headers['content-type']).toMatch(/^application\/json/);
      expectSigned(request);
      expect(result.success).toBe(true);
      expect(result.results).toContainEqual({ ip: '10.0.0.12', advertisedIp: '172.16.5.21', success: true });
    });

    it('throws CrossVpcModifyError naming the listener whose result failed', async () => {
      server.on('POST', MODIFY_PATH, {
        body: {
          success: true,
          results: [
            { ip: '10.0.0.11', advertised_ip: '172.16.5.20', success: true },
            { ip: '10.0.0.12', advertised_ip: '172.16.5.21', success: false },
            { ip: '10.0.0.13', advertised_ip: '172.16.5.22', success: true },
          ],
        },
      });

      const error = await dms.modifyCrossVpc(INSTANCE, advertised).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(CrossVpcModifyError);
      expect((error as CrossVpcModifyError).failedListeners).toEqual(['10.0.0.12']);
      expect((error as Error).message).toContain('10.0.0.12');
      expect((error as CrossVpcModifyError).result?.results).toHaveLength(3);
    });

    it('treats success:false without per-IP failures as a failure of the unconfirmed listeners', async () => {
      server.on('POST', MODIFY_PATH, {
        body: { success: false, results: [{ ip: '10.0.0.11', advertised_ip: '172.16.5.20', success: true }] },
      });

      const error = await dms.modifyCrossVpc(INSTANCE, advertised).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(CrossVpcModifyError);
      expect((error as CrossVpcModifyError).failedListeners).toEqual(['10.0.0.12', '10.0.0.13']);
    });

    it('surfaces DMS.00400026 (instance busy) as InstanceBusyError', async () => {
      server.on('POST', MODIFY_PATH, {
        status: 400,
        body: { error_code: 'DMS.00400026', error_msg: 'operation not allowed due to instance status' },
      });

      const error = await dms.modifyCrossVpc(INSTANCE, advertised).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(InstanceBusyError);
    });
  });

  describe('instance tags', () => {
    const TAGS_PATH = `/v2/${PROJECT_ID}/kafka/${INSTANCE}/tags`;

    it('creates tags with the create action (204, no body)', async () => {
      server.on('POST', `${TAGS_PATH}/action`, { status: 204 });

      await dms.createInstanceTags(INSTANCE, [{ key: 'kvl-client-vpc', value: 'vpc-9' }]);

      expect(server.requests[0]?.body.toString()).toBe(
        '{"action":"create","tags":[{"key":"kvl-client-vpc","value":"vpc-9"}]}',
      );
    });

    it('deletes tags by key, sending a value only when given', async () => {
      server.on('POST', `${TAGS_PATH}/action`, { status: 204 });

      await dms.deleteInstanceTags(INSTANCE, [{ key: 'a' }, { key: 'b', value: 'v' }]);

      expect(server.requests[0]?.json()).toEqual({
        action: 'delete',
        tags: [{ key: 'a' }, { key: 'b', value: 'v' }],
      });
    });

    it('sends nothing for an empty tag list', async () => {
      await dms.createInstanceTags(INSTANCE, []);

      expect(server.requests).toHaveLength(0);
    });
  });
});
