import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmulatorHandle, startEmulator } from '../../../local/cloud/server.js';
import type { ServiceModule } from '../../../local/cloud/types.js';
import { EmuError } from '../../../local/cloud/types.js';
import { contractChecks } from '../../helpers/contract-marks.js';
import { adminCall, cloudCall, ownerCredentials, rawCall } from '../../helpers/emulator-calls.js';

/** A minimal service that echoes what the server handed it, in a `{code, message}` error shape. */
// The echo double is not a Huawei API: the suite's contract checks leave its paths alone.
contractChecks.ignorePaths(/^\/v9\/[^/]+\/echo/);

const echoModule: ServiceModule = {
  name: 'vpc',
  matches: (_method, path) => /^\/v9\/[^/]+\/echo/.test(path),
  invalidBodyCode: 'ECHO.0400',
  projectIdInPath: (path) => path.split('/')[2],
  handle(req) {
    if (req.path.endsWith('/missing')) throw new EmuError(404, 'ECHO.0404', 'no such thing');
    return {
      status: 200,
      body: { path: req.path, query: req.query.get('q'), body: req.body, caller: req.caller },
    };
  },
  errorBody: (code, message) => ({ code, message }),
};

let emu: EmulatorHandle;

beforeAll(async () => {
  emu = await startEmulator({ speed: 0, modules: [echoModule] });
});
afterAll(async () => {
  await emu.close();
});

describe('emulator server', () => {
  it('starts in milliseconds on a free loopback port', async () => {
    const started = performance.now();
    const other = await startEmulator({ speed: 0, modules: [] });
    const elapsed = performance.now() - started;
    await other.close();
    expect(other.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(elapsed).toBeLessThan(500);
  });

  it('describes itself with the INTERFACES first-line object', () => {
    const config = emu.config();
    expect(config.endpoint).toBe(emu.endpoint);
    expect(config.projectId).toMatch(/^[0-9a-f]{32}$/);
    expect(config.domainId).toMatch(/^[0-9a-f]{32}$/);
    expect(config.ak).toBe('KVLEMUAK000000000001');
    expect(config.sk).toHaveLength(40);
    expect(Object.keys(config.world)).toEqual(
      expect.arrayContaining([
        'instanceId',
        'instanceVpcId',
        'instanceSubnetId',
        'securityGroupId',
        'clientVpcId',
        'clientSubnetId',
      ]),
    );
    expect(config.topics.linkRequests).toBe(`urn:smn:${config.region}:${config.projectId}:kvl-link-requests`);
    expect(Object.keys(config.topics).sort()).toEqual(
      ['endpointsAccepted', 'events', 'linkRequests', 'servicesReady', 'unlinkRequests'].sort(),
    );
  });

  it('seeds a running 3-broker instance with one NIC per broker in the Kafka subnet', () => {
    const { world, seed } = emu;
    const instance = world.kafkaInstances.find((i) => i.instanceId === seed!.instanceId)!;
    expect(instance.status).toBe('RUNNING');
    expect(instance.brokers.map((b) => b.listenerIp)).toEqual(['10.0.0.11', '10.0.0.12', '10.0.0.13']);
    for (const broker of instance.brokers) {
      expect(broker.advertisedIp).toBe(broker.listenerIp);
      expect(world.ports.find((p) => p.id === broker.portId)?.subnetId).toBe(seed!.instanceSubnetId);
    }
    expect(instance.saslMechanisms).toEqual(['PLAIN', 'SCRAM-SHA-512']);
    expect(world.subnets.find((s) => s.id === seed!.clientSubnetId)?.cidr).toBe('172.16.5.0/24');
    expect(world.networkAcls[0]?.subnetIds).toEqual([seed!.instanceSubnetId]);
    expect(world.vpcs.find((v) => v.id === seed!.partnerVpcId)?.projectId).toBe(seed!.partner.projectId);
  });

  it('routes to the matching module and hands it the caller, query and parsed body', async () => {
    const pid = emu.seed!.owner.projectId;
    const res = await cloudCall(emu, {
      method: 'POST',
      path: `/v9/${pid}/echo?q=1`,
      body: { hello: 'world' },
      credentials: ownerCredentials(emu),
    });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ path: `/v9/${pid}/echo`, query: '1', body: { hello: 'world' } });
    expect(res.json.caller).toMatchObject({
      projectId: pid,
      domainId: emu.seed!.owner.domainId,
      temporary: false,
    });
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f]{32}$/);
  });

  it('answers an unknown route with the API gateway 404', async () => {
    const res = await cloudCall(emu, {
      method: 'GET',
      path: '/v1/nothing/here',
      credentials: ownerCredentials(emu),
    });
    expect(res.status).toBe(404);
    expect(res.json).toEqual({
      error_code: 'APIGW.0101',
      error_msg: 'The API does not exist or has not been published in the environment',
      request_id: res.headers['x-request-id'],
    });
  });

  it('answers module errors in the module shape', async () => {
    const pid = emu.seed!.owner.projectId;
    const res = await cloudCall(emu, {
      method: 'GET',
      path: `/v9/${pid}/echo/missing`,
      credentials: ownerCredentials(emu),
    });
    expect(res.status).toBe(404);
    expect(res.json).toEqual({ code: 'ECHO.0404', message: 'no such thing' });
  });

  it('answers invalid JSON with 400 in the service shape', async () => {
    const pid = emu.seed!.owner.projectId;
    const path = `/v9/${pid}/echo`;
    const body = '{"broken":';
    const { signRequest } = await import('../../../shared/cloud/signer.js');
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    Object.assign(
      headers,
      signRequest({ method: 'POST', url: `${emu.endpoint}${path}`, headers, body }, ownerCredentials(emu)),
    );
    const res = await rawCall(emu.endpoint, { method: 'POST', path, headers, body });
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ code: 'ECHO.0400' });
  });

  it('refuses a path whose project is not the caller’s', async () => {
    const other = emu.seed!.partner.projectId;
    const res = await cloudCall(emu, {
      method: 'GET',
      path: `/v9/${other}/echo`,
      credentials: ownerCredentials(emu),
    });
    expect(res.status).toBe(403);
    expect(res.json.error_code).toBe('APIGW.0302');
  });

  it('serves DMS, VPCEP and VPC by default, on the seeded world', async () => {
    const full = await startEmulator({ speed: 0 });
    try {
      const { seed } = full;
      const pid = seed!.owner.projectId;
      const credentials = ownerCredentials(full);
      const instance = await cloudCall(full, {
        method: 'GET',
        path: `/v2/${pid}/instances/${seed!.instanceId}`,
        credentials,
      });
      expect(instance.status).toBe(200);
      const crossVpc = JSON.parse(instance.json.cross_vpc_info);
      expect(Object.keys(crossVpc)).toEqual(['10.0.0.11', '10.0.0.12', '10.0.0.13']);
      const services = await cloudCall(full, {
        method: 'GET',
        path: `/v1/${pid}/vpc-endpoint-services`,
        credentials,
      });
      expect(services.status).toBe(200);
      const subnet = await cloudCall(full, {
        method: 'GET',
        path: `/v1/${pid}/subnets/${seed!.clientSubnetId}`,
        credentials,
      });
      expect(subnet.json.subnet.cidr).toBe('172.16.5.0/24');
    } finally {
      await full.close();
    }
  });

  it('keeps a request log of cloud calls only', async () => {
    await adminCall(emu, 'DELETE', 'requests');
    const pid = emu.seed!.owner.projectId;
    await cloudCall(emu, { method: 'GET', path: `/v9/${pid}/echo?x=1`, credentials: ownerCredentials(emu) });
    await adminCall(emu, 'GET', 'state');
    const log = (await adminCall(emu, 'GET', 'requests')).json;
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({ method: 'GET', path: `/v9/${pid}/echo`, status: 200, service: 'vpc' });
    expect(typeof log[0].time).toBe('string');
  });
});
