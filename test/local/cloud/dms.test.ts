import { beforeEach, describe, expect, it } from 'vitest';
import { createDmsModule, DMS_LIST_MAX_LIMIT, isValidAdvertisedAddress } from '../../../local/cloud/dms.js';
import type { KafkaInstance } from '../../../local/cloud/types.js';
import {
  addKafkaInstance,
  createIdFactory,
  DEFAULT_KAFKA_CREATE_DELAY_MS,
  startKafkaInstance,
} from '../../../local/cloud/world.js';
import {
  createModuleHarness,
  fixtureBody,
  type ModuleHarness,
  shapeMismatches,
} from '../../helpers/emulator-modules.js';

let h: ModuleHarness;
let instance: KafkaInstance;

beforeEach(() => {
  h = createModuleHarness();
  instance = h.world.kafkaInstances[0]!;
});

const show = (id = instance.instanceId) => h.call({ method: 'GET', path: `/v2/{pid}/instances/${id}` });
const modify = (contents: unknown, id = instance.instanceId) =>
  h.call({
    method: 'POST',
    path: `/v2/{pid}/instances/${id}/crossvpc/modify`,
    body: { advertised_ip_contents: contents },
  });
const crossVpc = (body: any): Record<string, { advertised_ip: string; port: number; port_id: string }> =>
  JSON.parse(body.cross_vpc_info);
const listenerIps = () => instance.brokers.map((b) => b.listenerIp);

function addInstance(
  name: string,
  extra: Partial<Parameters<typeof addKafkaInstance>[3]> = {},
): KafkaInstance {
  return addKafkaInstance(h.world, h.clock, createIdFactory(name.length * 1000 + 1), {
    name,
    projectId: h.owner.projectId,
    vpcId: h.seed.instanceVpcId,
    subnetId: h.seed.instanceSubnetId,
    securityGroupId: h.seed.securityGroupId,
    ...extra,
  });
}

describe('DMS show instance', () => {
  it('answers in the documented shape, with cross_vpc_info as a JSON string keyed by listener IP', async () => {
    const res = show();
    expect(res.status).toBe(200);
    expect(shapeMismatches(await fixtureBody('dms-show-instance.response.json'), res.body)).toEqual([]);
    expect(typeof res.body.cross_vpc_info).toBe('string');
    expect(typeof res.body.created_at).toBe('string');
    expect(res.body.created_at).toBe(String(instance.createdAt));
    expect(res.body.partition_num).toBe('300');
    const info = crossVpc(res.body);
    expect(Object.keys(info)).toEqual(listenerIps());
    for (const broker of instance.brokers) {
      expect(info[broker.listenerIp]).toEqual({
        advertised_ip: broker.listenerIp,
        port: 9011,
        port_id: broker.portId,
      });
      // port_id is a real NIC of the instance's VPC: what a VPCEP service is created on.
      expect(h.world.ports.find((p) => p.id === broker.portId)?.vpcId).toBe(res.body.vpc_id);
    }
    expect(res.body).toMatchObject({
      instance_id: instance.instanceId,
      status: 'RUNNING',
      vpc_id: h.seed.instanceVpcId,
      subnet_id: h.seed.instanceSubnetId,
      security_group_id: h.seed.securityGroupId,
      broker_num: 3,
      ssl_enable: true,
      kafka_security_protocol: 'SASL_SSL',
      sasl_enabled_mechanisms: ['PLAIN', 'SCRAM-SHA-512'],
      connect_address: listenerIps().join(','),
      enterprise_project_id: '0',
      tags: [],
    });
  });

  it('omits the SASL fields when security is off, like the documented example', () => {
    instance.sslEnable = false;
    const res = show();
    expect(res.body.ssl_enable).toBe(false);
    expect(res.body).not.toHaveProperty('kafka_security_protocol');
    expect(res.body).not.toHaveProperty('sasl_enabled_mechanisms');
  });

  it('answers 404 DMS.00404022 for an unknown instance and for another project’s instance', () => {
    expect(show('00000000-0000-4000-8000-000000000000')).toEqual({
      status: 404,
      body: { error_code: 'DMS.00404022', error_msg: 'This instance does not exist.' },
    });
    expect(
      h.call({ method: 'GET', path: `/v2/{pid}/instances/${instance.instanceId}`, caller: h.partner }).status,
    ).toBe(404);
  });

  it('answers 404 DMS.00404001 for an unknown route and 401 for a foreign project id in the path', () => {
    const unknown = h.call({ method: 'GET', path: `/v2/{pid}/instances/${instance.instanceId}/nothing` });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error_code).toBe('DMS.00404001');
    expect(
      h.call({ method: 'DELETE', path: `/v2/{pid}/kafka/${instance.instanceId}/tags` }).body.error_code,
    ).toBe('DMS.00404001');
    const foreign = h.call({
      method: 'GET',
      path: `/v2/${h.partner.projectId}/instances/${instance.instanceId}`,
    });
    expect(foreign.status).toBe(401);
    expect(foreign.body.error_code).toBe('DMS.10240104');
  });
});

describe('DMS instance creation (CREATING -> RUNNING)', () => {
  it('reports CREATING with an empty cross_vpc_info until the creation delay has passed', () => {
    const created = addInstance('kafka-new', { status: 'CREATING' });
    const first = show(created.instanceId);
    expect(first.body.status).toBe('CREATING');
    expect(first.body.cross_vpc_info).toBe('');
    expect(modify({}, created.instanceId).status).toBe(400);

    h.advance(DEFAULT_KAFKA_CREATE_DELAY_MS - 1);
    expect(show(created.instanceId).body.status).toBe('CREATING');
    h.advance(1);
    const ready = show(created.instanceId);
    expect(ready.body.status).toBe('RUNNING');
    expect(Object.keys(crossVpc(ready.body))).toHaveLength(3);
  });

  it('adds a STARTING instance (frozen -> running) that becomes RUNNING after its start delay', () => {
    const starting = addInstance('kafka-thawing', { status: 'STARTING', startDelayMs: 20_000 });
    const first = show(starting.instanceId);
    expect(first.body.status).toBe('STARTING');
    expect(Object.keys(crossVpc(first.body))).toHaveLength(3);

    h.advance(20_000);

    expect(show(starting.instanceId).body.status).toBe('RUNNING');
  });
});

describe('DMS list instances', () => {
  it('needs engine=kafka', () => {
    const res = h.call({ method: 'GET', path: '/v2/{pid}/instances' });
    expect(res.status).toBe(400);
    expect(res.body.error_code).toBe('DMS.00400005');
  });

  it('lists the documented shape with instance_num, newest first, with offset/limit paging', async () => {
    h.clock.advance(1000);
    const second = addInstance('kafka-second');
    h.clock.advance(1000);
    const third = addInstance('kafka-third');
    const all = h.call({ method: 'GET', path: '/v2/{pid}/instances?engine=kafka' });
    expect(all.status).toBe(200);
    expect(shapeMismatches(await fixtureBody('dms-list-instances.response.json'), all.body)).toEqual([]);
    expect(all.body.instance_num).toBe(3);
    expect(all.body.instances.map((i: any) => i.instance_id)).toEqual([
      third.instanceId,
      second.instanceId,
      instance.instanceId,
    ]);
    const page = h.call({ method: 'GET', path: '/v2/{pid}/instances?engine=kafka&offset=1&limit=1' });
    expect(page.body.instance_num).toBe(3);
    expect(page.body.instances.map((i: any) => i.instance_id)).toEqual([second.instanceId]);
    // Another account sees none of them.
    expect(
      h.call({ method: 'GET', path: '/v2/{pid}/instances?engine=kafka', caller: h.partner }).body,
    ).toEqual({
      instances: [],
      instance_num: 0,
    });
  });

  it('filters by name (fuzzy or exact), status and instance_id', () => {
    const other = addInstance('other-cluster', { status: 'CREATING' });
    const names = (query: string) =>
      h
        .call({ method: 'GET', path: `/v2/{pid}/instances?engine=kafka&${query}` })
        .body.instances.map((i: any) => i.name);
    expect(names('name=demo')).toEqual([instance.name]);
    expect(names('name=demo&exact_match_name=true')).toEqual([]);
    expect(names(`name=${instance.name}&exact_match_name=true`)).toEqual([instance.name]);
    expect(names('status=CREATING')).toEqual(['other-cluster']);
    expect(names(`instance_id=${other.instanceId}`)).toEqual(['other-cluster']);
  });

  it.each([
    ['limit=0', 'DMS.10240042'],
    [`limit=${DMS_LIST_MAX_LIMIT + 1}`, 'DMS.10240042'],
    ['limit=ten', 'DMS.10240042'],
    ['offset=-1', 'DMS.10240043'],
  ])('rejects %s with %s', (query, code) => {
    const res = h.call({ method: 'GET', path: `/v2/{pid}/instances?engine=kafka&${query}` });
    expect(res.status).toBe(400);
    expect(res.body.error_code).toBe(code);
  });

  it(`accepts limit=${DMS_LIST_MAX_LIMIT}`, () => {
    expect(
      h.call({ method: 'GET', path: `/v2/{pid}/instances?engine=kafka&limit=${DMS_LIST_MAX_LIMIT}` }).status,
    ).toBe(200);
  });
});

describe('DMS cross-VPC modify', () => {
  const endpointIps = ['172.16.5.20', '172.16.5.21', '172.16.5.22'];
  const fullMap = () => Object.fromEntries(listenerIps().map((ip, i) => [ip, endpointIps[i]!]));

  it('accepts the full map and shows the new advertised IPs at once, the instance staying RUNNING', async () => {
    // Act
    const res = modify(fullMap());

    // Assert: no CONFIGURING window (Terraform reads the map straight after the call).
    expect(res.status).toBe(200);
    expect(shapeMismatches(await fixtureBody('dms-modify-crossvpc.response.json'), res.body)).toEqual([]);
    expect(res.body).toEqual({
      success: true,
      results: listenerIps().map((ip, i) => ({ ip, advertised_ip: endpointIps[i], success: true })),
    });
    const after = show();
    expect(after.body.status).toBe('RUNNING');
    const info = crossVpc(after.body);
    expect(Object.keys(info)).toEqual(listenerIps());
    expect(Object.values(info).map((v) => v.advertised_ip)).toEqual(endpointIps);
    expect(Object.values(info).map((v) => v.port_id)).toEqual(instance.brokers.map((b) => b.portId));
    expect(instance.transitions).toEqual([]);
  });

  it('accepts a second modification straight after the first', () => {
    expect(modify(fullMap()).status).toBe(200);

    const again = modify(Object.fromEntries(listenerIps().map((ip) => [ip, ip])));

    expect(again.status).toBe(200);
    expect(Object.values(crossVpc(show().body)).map((v) => v.advertised_ip)).toEqual(listenerIps());
  });

  for (const status of ['RESTARTING', 'EXTENDING', 'STARTING', 'FROZEN']) {
    it(`refuses a modification while the instance is ${status} with 400 DMS.00400026, changing nothing`, () => {
      // Arrange
      instance.status = status;

      // Act
      const busy = modify(fullMap());

      // Assert
      expect(busy.status).toBe(400);
      expect(busy.body.error_code).toBe('DMS.00400026');
      expect(instance.brokers.map((b) => b.advertisedIp)).toEqual(listenerIps());
    });
  }

  it('takes modifications again once a STARTING instance is RUNNING', () => {
    // Arrange
    startKafkaInstance(instance, h.clock, 30_000);
    expect(show().body.status).toBe('STARTING');
    expect(modify(fullMap()).body.error_code).toBe('DMS.00400026');

    // Act
    h.advance(30_000);

    // Assert
    expect(show().body.status).toBe('RUNNING');
    expect(modify(fullMap()).status).toBe(200);
  });

  describe('opt-in fault: a CONFIGURING window after the modify', () => {
    const windowMs = 10_000;
    beforeEach(() => {
      h = createModuleHarness({ dms: { crossVpcConfiguringMs: windowMs } });
      instance = h.world.kafkaInstances[0]!;
    });

    it('keeps the instance CONFIGURING with the old map, then shows the new one when RUNNING', () => {
      expect(modify(fullMap()).status).toBe(200);

      const during = show();
      expect(during.body.status).toBe('CONFIGURING');
      expect(Object.values(crossVpc(during.body)).map((v) => v.advertised_ip)).toEqual(listenerIps());
      expect(modify(fullMap()).body.error_code).toBe('DMS.00400026');
      h.advance(windowMs - 1);
      expect(show().body.status).toBe('CONFIGURING');
      h.advance(1);

      const after = show();
      expect(after.body.status).toBe('RUNNING');
      expect(Object.values(crossVpc(after.body)).map((v) => v.advertised_ip)).toEqual(endpointIps);
    });
  });

  it('rejects a negative window', () => {
    expect(() => createDmsModule({ crossVpcConfiguringMs: -1 })).toThrow(/crossVpcConfiguringMs/);
  });

  it('refuses a partial map and a map with foreign IPs, changing nothing', () => {
    const [first, second] = listenerIps();
    const partial = modify({ [first!]: '172.16.5.20', [second!]: '172.16.5.21' });
    expect(partial.status).toBe(400);
    expect(partial.body.error_code).toBe('DMS.00400005');
    expect(partial.body.error_msg).toContain('missing');

    const extra = modify({ ...fullMap(), '10.9.9.9': '172.16.5.30' });
    expect(extra.status).toBe(400);
    expect(extra.body.error_msg).toContain('10.9.9.9');
    expect(show().body.status).toBe('RUNNING');
  });

  it('answers 400 for an empty body or empty contents', () => {
    const empty = h.call({
      method: 'POST',
      path: `/v2/{pid}/instances/${instance.instanceId}/crossvpc/modify`,
    });
    expect(empty.body.error_code).toBe('DMS.00400004');
    expect(modify({}).body.error_code).toBe('DMS.00400005');
  });

  it('reports invalid advertised addresses per IP with success:false and applies nothing', () => {
    const map = fullMap();
    const bad = listenerIps()[1]!;
    map[bad] = '300.1.1.1';
    const res = modify(map);
    expect(res.status).toBe(200);
    expect(res.body.success).toBe(false);
    expect(res.body.results.find((r: any) => r.ip === bad)).toEqual({
      ip: bad,
      advertised_ip: '300.1.1.1',
      success: false,
    });
    expect(res.body.results.filter((r: any) => r.success)).toHaveLength(2);
    const after = show();
    expect(after.body.status).toBe('RUNNING');
    expect(Object.values(crossVpc(after.body)).map((v) => v.advertised_ip)).toEqual(listenerIps());
  });

  it('accepts domain names as advertised addresses', () => {
    expect(isValidAdvertisedAddress('broker-1.kafka.example.com')).toBe(true);
    expect(isValidAdvertisedAddress('10.0.0.256')).toBe(false);
    expect(isValidAdvertisedAddress('not a host')).toBe(false);
    const res = modify(Object.fromEntries(listenerIps().map((ip, i) => [ip, `b${i}.kafka.example.com`])));
    expect(res.body.success).toBe(true);
  });

  it('answers 404 for an unknown instance', () => {
    expect(modify(fullMap(), '00000000-0000-4000-8000-000000000000').body.error_code).toBe('DMS.00404022');
  });
});

describe('DMS instance tags', () => {
  const action = (body: unknown) =>
    h.call({ method: 'POST', path: `/v2/{pid}/kafka/${instance.instanceId}/tags/action`, body });
  const tags = () => h.call({ method: 'GET', path: `/v2/{pid}/kafka/${instance.instanceId}/tags` });

  it('creates (204, overwriting existing keys), lists in the documented shape and deletes', async () => {
    const created = action({ action: 'create', tags: [{ key: 'key1', value: 'value1' }] });
    expect(created).toEqual({ status: 204 });
    expect(
      action({
        action: 'create',
        tags: [
          { key: 'key1', value: 'changed' },
          { key: 'key2', value: 'value2' },
        ],
      }).status,
    ).toBe(204);
    const listed = tags();
    expect(shapeMismatches(await fixtureBody('dms-show-instance-tags.response.json'), listed.body)).toEqual(
      [],
    );
    expect(listed.body).toEqual({
      tags: [
        { key: 'key1', value: 'changed' },
        { key: 'key2', value: 'value2' },
      ],
    });
    // The instance itself carries them too.
    expect(show().body.tags).toEqual(listed.body.tags);

    // A delete naming another value keeps the tag; a key-only delete removes it.
    expect(action({ action: 'delete', tags: [{ key: 'key1', value: 'value1' }] }).status).toBe(204);
    expect(tags().body.tags).toHaveLength(2);
    expect(action({ action: 'delete', tags: [{ key: 'key1' }] }).status).toBe(204);
    expect(tags().body.tags).toEqual([{ key: 'key2', value: 'value2' }]);
  });

  it('accepts the documented request example', async () => {
    expect(action(await fixtureBody('dms-batch-instance-tags.request.json')).status).toBe(204);
    expect(tags().body.tags.map((t: any) => t.key)).toEqual(['key1', 'key2']);
  });

  it.each([
    ['a key over 36 characters', { action: 'create', tags: [{ key: 'k'.repeat(37), value: 'v' }] }],
    ['a value over 43 characters', { action: 'create', tags: [{ key: 'k', value: 'v'.repeat(44) }] }],
    ['a key with a dot', { action: 'create', tags: [{ key: 'a.b', value: 'v' }] }],
    [
      'a value with a dot (encode IPs as 10-0-0-11)',
      { action: 'create', tags: [{ key: 'k', value: '10.0.0.11' }] },
    ],
    [
      'a duplicate key',
      {
        action: 'create',
        tags: [
          { key: 'k', value: 'a' },
          { key: 'k', value: 'b' },
        ],
      },
    ],
    ['an empty list', { action: 'create', tags: [] }],
    ['a create without value', { action: 'create', tags: [{ key: 'k' }] }],
  ])('rejects %s with 400 DMS.10240004', (_name, body) => {
    const res = action(body);
    expect(res.status).toBe(400);
    expect(res.body.error_code).toBe('DMS.10240004');
  });

  it('accepts the longest allowed key and value', () => {
    expect(
      action({ action: 'create', tags: [{ key: 'k'.repeat(36), value: `@_-${'v'.repeat(40)}` }] }).status,
    ).toBe(204);
  });

  it('rejects more than 20 tags on an instance', () => {
    const twenty = Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: 'v' }));
    expect(action({ action: 'create', tags: twenty }).status).toBe(204);
    expect(action({ action: 'create', tags: [{ key: 'one-more', value: 'v' }] }).body.error_code).toBe(
      'DMS.10240004',
    );
  });

  it('rejects an unknown action and an unknown instance', () => {
    expect(action({ action: 'update', tags: [{ key: 'k', value: 'v' }] }).status).toBe(400);
    expect(
      h.call({ method: 'GET', path: '/v2/{pid}/kafka/00000000-0000-4000-8000-000000000000/tags' }).body
        .error_code,
    ).toBe('DMS.00404022');
  });

  it('lists the project’s tag keys with their values', () => {
    action({ action: 'create', tags: [{ key: 'kvl-client-vpc', value: 'vpc-1' }] });
    expect(h.call({ method: 'GET', path: '/v2/{pid}/kafka/tags' }).body).toEqual({
      tags: [{ key: 'kvl-client-vpc', values: ['vpc-1'] }],
    });
  });
});
