/**
 * Fidelity of the emulator, with the official Huawei Cloud clients as oracles: the unmodified Kafka
 * and VPC SDKs sign with their own code, call the emulator and must get back what their models
 * describe. VPCEP has no Node.js SDK; it is covered with raw requests signed by the project's signer.
 *
 * The SDKs hand back the raw JSON body (snake_case). Loading it into the SDK's model class and
 * reading the camelCase accessors is exactly what an SDK user does, so "every field we send is a
 * field of the official model" is checked by mapping the model's accessors to their wire names.
 */
import { BasicCredentials } from '@huaweicloud/huaweicloud-sdk-core/auth/BasicCredentials.js';
import {
  BatchCreateOrDeleteKafkaTagRequest,
  BatchCreateOrDeleteTagReq,
  KafkaClient,
  ListInstancesRequest,
  ListInstancesResponse,
  ShowInstanceRequest,
  ShowInstanceResp,
  ShowInstanceResponse,
  ShowKafkaTagsRequest,
  TagEntity,
  UpdateInstanceCrossVpcIpReq,
  UpdateInstanceCrossVpcIpRequest,
  UpdateInstanceCrossVpcIpResponse,
  UpdateInstanceCrossVpcIpRespResults,
} from '@huaweicloud/huaweicloud-sdk-kafka';
import { v2 as vpcV2, v3 as vpcV3 } from '@huaweicloud/huaweicloud-sdk-vpc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmulatorHandle, startEmulator } from '../../../local/cloud/server.js';
import { VPCEP_ENDPOINT_CREATE_DELAY_MS, VPCEP_SERVICE_CREATE_DELAY_MS } from '../../../local/cloud/vpcep.js';
import { cloudCall, ownerCredentials } from '../../helpers/emulator-calls.js';

let emu: EmulatorHandle;

beforeAll(async () => {
  // Frozen clock: the tests move time explicitly.
  emu = await startEmulator({ speed: 0 });
});
afterAll(async () => {
  await emu.close();
});

function credentials(sk?: string): BasicCredentials {
  const owner = emu.seed!.owner;
  return new BasicCredentials()
    .withAk(owner.ak)
    .withSk(sk ?? owner.sk)
    .withProjectId(owner.projectId);
}

const kafkaClient = (sk?: string) =>
  KafkaClient.newBuilder().withCredential(credentials(sk)).withEndpoint(emu.endpoint).build();
const vpcClient = () =>
  vpcV3.VpcClient.newBuilder().withCredential(credentials()).withEndpoint(emu.endpoint).build();
const vpcV2Client = () =>
  vpcV2.VpcClient.newBuilder().withCredential(credentials()).withEndpoint(emu.endpoint).build();

/**
 * Wire names of a model class: what each `withX` builder writes (every field has one; only
 * multi-word fields also get camelCase accessors).
 */
function wireKeys(Model: new () => object): Set<string> {
  const keys = new Set<string>();
  for (
    let proto = Model.prototype;
    proto && proto !== Object.prototype;
    proto = Object.getPrototypeOf(proto)
  ) {
    for (const [name, descriptor] of Object.entries(Object.getOwnPropertyDescriptors(proto))) {
      if (!name.startsWith('with') || typeof descriptor.value !== 'function') continue;
      const probe = new Model() as Record<string, unknown>;
      (descriptor.value as (value: unknown) => unknown).call(probe, '__probe__');
      // Constructors pre-declare every field as undefined: the written one holds the probe.
      for (const [key, value] of Object.entries(probe)) if (value === '__probe__') keys.add(key);
    }
  }
  return keys;
}

/**
 * Fields in the documented examples that this SDK release does not model; they stay because the
 * published responses carry them.
 */
const DOCUMENTED_EXTRAS = new Set(['kafka_manager_user']);

/** Keys of a response body the official model does not know (the SDK's own `httpStatusCode` aside). */
function unknownKeys(Model: new () => object, body: object): string[] {
  const known = wireKeys(Model);
  return Object.keys(body).filter(
    (k) => k !== 'httpStatusCode' && !DOCUMENTED_EXTRAS.has(k) && !known.has(k),
  );
}

/** Loads a raw SDK response into its model class, as SDK users do to get camelCase accessors. */
function asModel<T extends object>(Model: new () => T, body: object): T {
  return Object.assign(new Model(), body);
}

interface SdkFailure {
  httpStatusCode?: number;
  errorCode?: string;
  errorMsg?: string;
  requestId?: string;
}

async function sdkError(promise: Promise<unknown>): Promise<SdkFailure> {
  try {
    await promise;
  } catch (error) {
    return error as SdkFailure;
  }
  throw new Error('expected the SDK call to fail');
}

describe('official Kafka SDK against the emulator', () => {
  it('showInstance: a populated ShowInstanceResponse with crossVpcInfo, and no field unknown to the model', async () => {
    const { instanceId, instanceVpcId, securityGroupId } = emu.seed!;
    const raw = await kafkaClient().showInstance(new ShowInstanceRequest().withInstanceId(instanceId));
    expect(raw.httpStatusCode).toBe(200);
    expect(unknownKeys(ShowInstanceResponse, raw)).toEqual([]);
    const model = asModel(ShowInstanceResponse, raw);
    expect(model.instanceId).toBe(instanceId);
    expect(model.status).toBe('RUNNING');
    expect(model.vpcId).toBe(instanceVpcId);
    expect(model.securityGroupId).toBe(securityGroupId);
    expect(model.brokerNum).toBe(3);
    expect(model.kafkaSecurityProtocol).toBe('SASL_SSL');
    expect(model.saslEnabledMechanisms).toEqual(['PLAIN', 'SCRAM-SHA-512']);
    expect(typeof model.crossVpcInfo).toBe('string');
    const info = JSON.parse(model.crossVpcInfo!);
    expect(Object.keys(info)).toHaveLength(3);
    for (const listener of Object.values<any>(info))
      expect(listener).toMatchObject({ port: 9011, port_id: expect.any(String) });
  });

  it('listInstances: instances and instanceNum, each instance known to ShowInstanceResp', async () => {
    const raw = await kafkaClient().listInstances(
      new ListInstancesRequest().withEngine('kafka').withLimit('10').withOffset('0'),
    );
    expect(unknownKeys(ListInstancesResponse, raw)).toEqual([]);
    const model = asModel(ListInstancesResponse, raw);
    expect(model.instanceNum).toBe(1);
    expect(model.instances).toHaveLength(1);
    expect(unknownKeys(ShowInstanceResp, model.instances![0]!)).toEqual([]);
    expect(asModel(ShowInstanceResp, model.instances![0]!).instanceId).toBe(emu.seed!.instanceId);
  });

  it('updateInstanceCrossVpcIp: success with per-IP results, applied at once; busy (DMS.00400026) while RESTARTING', async () => {
    const client = kafkaClient();
    const { instanceId } = emu.seed!;
    const before = asModel(
      ShowInstanceResponse,
      await client.showInstance(new ShowInstanceRequest().withInstanceId(instanceId)),
    );
    const listeners = Object.keys(JSON.parse(before.crossVpcInfo!));
    const advertised = Object.fromEntries(listeners.map((ip, i) => [ip, `172.16.5.${20 + i}`]));
    const request = () =>
      new UpdateInstanceCrossVpcIpRequest()
        .withInstanceId(instanceId)
        .withBody(new UpdateInstanceCrossVpcIpReq().withAdvertisedIpContents(advertised));

    const raw = await client.updateInstanceCrossVpcIp(request());
    expect(unknownKeys(UpdateInstanceCrossVpcIpResponse, raw)).toEqual([]);
    const model = asModel(UpdateInstanceCrossVpcIpResponse, raw);
    expect(model.success).toBe(true);
    expect(model.results).toHaveLength(3);
    for (const result of model.results!) {
      expect(unknownKeys(UpdateInstanceCrossVpcIpRespResults, result)).toEqual([]);
      const r = asModel(UpdateInstanceCrossVpcIpRespResults, result);
      expect(r.success).toBe(true);
      expect(r.advertisedIp).toBe(advertised[r.ip!]);
    }

    const after = asModel(
      ShowInstanceResponse,
      await client.showInstance(new ShowInstanceRequest().withInstanceId(instanceId)),
    );
    expect(after.status).toBe('RUNNING');
    const info = JSON.parse(after.crossVpcInfo!);
    expect(Object.fromEntries(Object.entries<any>(info).map(([ip, v]) => [ip, v.advertised_ip]))).toEqual(
      advertised,
    );

    // A modify while the instance is not RUNNING (here restarting) is refused.
    const seeded = emu.world.kafkaInstances.find((i) => i.instanceId === instanceId)!;
    seeded.status = 'RESTARTING';
    const busy = await sdkError(client.updateInstanceCrossVpcIp(request()));
    seeded.status = 'RUNNING';
    expect(busy).toMatchObject({ httpStatusCode: 400, errorCode: 'DMS.00400026' });

    // Restore the identity map so other tests see the seeded instance.
    await client.updateInstanceCrossVpcIp(
      new UpdateInstanceCrossVpcIpRequest()
        .withInstanceId(instanceId)
        .withBody(
          new UpdateInstanceCrossVpcIpReq().withAdvertisedIpContents(
            Object.fromEntries(listeners.map((ip) => [ip, ip])),
          ),
        ),
    );
  });

  it('parses the DMS error envelope: unknown instance is 404 DMS.00404022', async () => {
    const error = await sdkError(
      kafkaClient().showInstance(
        new ShowInstanceRequest().withInstanceId('00000000-0000-4000-8000-000000000000'),
      ),
    );
    expect(error).toMatchObject({
      httpStatusCode: 404,
      errorCode: 'DMS.00404022',
      errorMsg: 'This instance does not exist.',
    });
  });

  it('instance tags: batchCreateOrDeleteKafkaTag (204) and showKafkaTags', async () => {
    const client = kafkaClient();
    const { instanceId } = emu.seed!;
    const created = await client.batchCreateOrDeleteKafkaTag(
      new BatchCreateOrDeleteKafkaTagRequest()
        .withInstanceId(instanceId)
        .withBody(
          new BatchCreateOrDeleteTagReq()
            .withAction('create')
            .withTags([new TagEntity().withKey('kvl-client-vpc').withValue('vpc-1')]),
        ),
    );
    expect(created.httpStatusCode).toBe(204);
    const tags = await client.showKafkaTags(new ShowKafkaTagsRequest().withInstanceId(instanceId));
    expect(tags.tags).toEqual([{ key: 'kvl-client-vpc', value: 'vpc-1' }]);
  });

  it('a wrong secret key is refused with 401', async () => {
    const error = await sdkError(
      kafkaClient('W'.repeat(40)).showInstance(
        new ShowInstanceRequest().withInstanceId(emu.seed!.instanceId),
      ),
    );
    expect(error.httpStatusCode).toBe(401);
  });
});

describe('official VPC SDK (v3, and v2 for the v1 paths) against the emulator', () => {
  const ruleOption = () =>
    new vpcV3.CreateSecurityGroupRuleOption()
      .withSecurityGroupId(emu.seed!.securityGroupId)
      .withDirection('ingress')
      .withEthertype('IPv4')
      .withProtocol('tcp')
      .withMultiport('9011')
      .withRemoteIpPrefix('198.19.128.0/17')
      .withAction('allow')
      // The SDK types priority as a string (the API reference does too); the emulator answers a number.
      .withPriority('1')
      .withDescription('VPCEP to Kafka cross-VPC listener');

  let ruleId = '';

  it('createSecurityGroupRule: 201 with a populated SecurityGroupRule', async () => {
    const raw = await vpcClient().createSecurityGroupRule(
      new vpcV3.CreateSecurityGroupRuleRequest().withBody(
        new vpcV3.CreateSecurityGroupRuleRequestBody().withSecurityGroupRule(ruleOption()),
      ),
    );
    expect(raw.httpStatusCode).toBe(201);
    expect(unknownKeys(vpcV3.CreateSecurityGroupRuleResponse, raw)).toEqual([]);
    const model = asModel(vpcV3.CreateSecurityGroupRuleResponse, raw);
    expect(model.requestId).toMatch(/^[0-9a-f]{32}$/);
    expect(unknownKeys(vpcV3.SecurityGroupRule, model.securityGroupRule!)).toEqual([]);
    const rule = asModel(vpcV3.SecurityGroupRule, model.securityGroupRule!);
    expect(rule).toMatchObject({
      securityGroupId: emu.seed!.securityGroupId,
      direction: 'ingress',
      remoteIpPrefix: '198.19.128.0/17',
    });
    expect(rule.id).toEqual(expect.any(String));
    ruleId = rule.id!;
  });

  /*
   * The SDK core reads error codes from `{error_code, error_msg}` or `{error: {code, message}}` only;
   * the VPC envelope is `{code, message}` (+ request_id on v3), so the SDK surfaces the status and
   * request id but no code. The body itself is checked with a raw signed call.
   */
  it('a duplicate rule is 409 VPC.9902 naming the existing rule', async () => {
    const error = await sdkError(
      vpcClient().createSecurityGroupRule(
        new vpcV3.CreateSecurityGroupRuleRequest().withBody(
          new vpcV3.CreateSecurityGroupRuleRequestBody().withSecurityGroupRule(ruleOption()),
        ),
      ),
    );
    expect(error).toMatchObject({ httpStatusCode: 409, requestId: expect.stringMatching(/^[0-9a-f]{32}$/) });

    const creds = ownerCredentials(emu);
    const raw = await cloudCall(emu, {
      method: 'POST',
      path: `/v3/${creds.projectId}/vpc/security-group-rules`,
      credentials: creds,
      body: {
        security_group_rule: {
          security_group_id: emu.seed!.securityGroupId,
          direction: 'ingress',
          ethertype: 'IPv4',
          protocol: 'tcp',
          multiport: '9011',
          remote_ip_prefix: '198.19.128.0/17',
          action: 'allow',
          priority: 1,
        },
      },
    });
    expect(raw.status).toBe(409);
    expect(raw.json).toEqual({
      request_id: raw.headers['x-request-id'],
      code: 'VPC.9902',
      message: `Security group rule already exists. Rule id is ${ruleId}.`,
    });
  });

  it('listSecurityGroupRules: filtered rules with page_info', async () => {
    const raw = await vpcClient().listSecurityGroupRules(
      new vpcV3.ListSecurityGroupRulesRequest()
        .withSecurityGroupId([emu.seed!.securityGroupId])
        .withDirection('ingress')
        .withProtocol(['tcp', 'udp'])
        .withRemoteIpPrefix('198.19.128.0/17')
        .withLimit(10),
    );
    expect(unknownKeys(vpcV3.ListSecurityGroupRulesResponse, raw)).toEqual([]);
    const model = asModel(vpcV3.ListSecurityGroupRulesResponse, raw);
    expect(model.securityGroupRules!.map((r) => asModel(vpcV3.SecurityGroupRule, r).id)).toEqual([ruleId]);
    expect(unknownKeys(vpcV3.PageInfo, model.pageInfo!)).toEqual([]);
    expect(asModel(vpcV3.PageInfo, model.pageInfo!).currentCount).toBe(1);
  });

  it('network ACLs: listFirewall / showFirewall / addFirewallRules', async () => {
    const client = vpcClient();
    const { networkAclId, instanceSubnetId } = emu.seed!;
    const listed = asModel(
      vpcV3.ListFirewallResponse,
      await client.listFirewall(new vpcV3.ListFirewallRequest().withLimit(10)),
    );
    const acl = asModel(vpcV3.ListFirewallDetail, listed.firewalls![0]!);
    expect(acl.id).toBe(networkAclId);
    expect(acl.associations!.map((a) => asModel(vpcV3.FirewallAssociation, a).virsubnetId)).toEqual([
      instanceSubnetId,
    ]);

    const added = await client.addFirewallRules(
      new vpcV3.AddFirewallRulesRequest()
        .withFirewallId(networkAclId)
        .withBody(
          new vpcV3.AddFirewallRulesRequestBody().withFirewall(
            new vpcV3.FirewallInsertRuleOption().withIngressRules([
              new vpcV3.FirewallInsertRuleItemOption()
                .withAction('allow')
                .withProtocol('tcp')
                .withIpVersion(4)
                .withSourceIpAddress('198.19.128.0/17')
                .withDestinationPort('9011')
                .withName('kvl-vpcep-9011'),
            ]),
          ),
        ),
    );
    const firewall = asModel(vpcV3.FirewallDetail, asModel(vpcV3.AddFirewallRulesResponse, added).firewall!);
    expect(unknownKeys(vpcV3.FirewallDetail, firewall)).toEqual([]);
    const rule = asModel(vpcV3.FirewallRuleDetail, firewall.ingressRules![0]!);
    expect(unknownKeys(vpcV3.FirewallRuleDetail, rule)).toEqual([]);
    expect(rule).toMatchObject({ action: 'allow', destinationPort: '9011', ipVersion: 4 });

    const shown = asModel(
      vpcV3.ShowFirewallResponse,
      await client.showFirewall(new vpcV3.ShowFirewallRequest().withFirewallId(networkAclId)),
    );
    expect(asModel(vpcV3.FirewallDetail, shown.firewall!).ingressRules).toHaveLength(1);
  });

  it('deleteSecurityGroupRule: 204, then 404 VPC.9904', async () => {
    const client = vpcClient();
    const deleted = await client.deleteSecurityGroupRule(
      new vpcV3.DeleteSecurityGroupRuleRequest().withSecurityGroupRuleId(ruleId),
    );
    expect(deleted.httpStatusCode).toBe(204);
    const error = await sdkError(
      client.deleteSecurityGroupRule(
        new vpcV3.DeleteSecurityGroupRuleRequest().withSecurityGroupRuleId(ruleId),
      ),
    );
    expect(error.httpStatusCode).toBe(404);
    const creds = ownerCredentials(emu);
    const raw = await cloudCall(emu, {
      method: 'DELETE',
      path: `/v3/${creds.projectId}/vpc/security-group-rules/${ruleId}`,
      credentials: creds,
    });
    expect(raw.json).toMatchObject({ code: 'VPC.9904', request_id: raw.headers['x-request-id'] });
  });

  it('v1 showSubnet (SDK v2 client): a populated subnet; unknown is 404 VPC.0202', async () => {
    const { clientSubnetId, clientVpcId } = emu.seed!;
    const shown = await vpcV2Client().showSubnet(new vpcV2.ShowSubnetRequest().withSubnetId(clientSubnetId));
    const subnet = asModel(vpcV2.Subnet, asModel(vpcV2.ShowSubnetResponse, shown).subnet!);
    expect(unknownKeys(vpcV2.Subnet, subnet)).toEqual([]);
    expect(subnet).toMatchObject({
      id: clientSubnetId,
      vpcId: clientVpcId,
      cidr: '172.16.5.0/24',
      status: 'ACTIVE',
    });
    const vpc = asModel(
      vpcV2.Vpc,
      asModel(
        vpcV2.ShowVpcResponse,
        await vpcV2Client().showVpc(new vpcV2.ShowVpcRequest().withVpcId(clientVpcId)),
      ).vpc!,
    );
    expect(unknownKeys(vpcV2.Vpc, vpc)).toEqual([]);
    expect(vpc).toMatchObject({ id: clientVpcId, cidr: '172.16.0.0/16' });
    const unknown = '00000000-0000-4000-8000-000000000000';
    const error = await sdkError(
      vpcV2Client().showSubnet(new vpcV2.ShowSubnetRequest().withSubnetId(unknown)),
    );
    expect(error.httpStatusCode).toBe(404);
    const creds = ownerCredentials(emu);
    const raw = await cloudCall(emu, {
      method: 'GET',
      path: `/v1/${creds.projectId}/subnets/${unknown}`,
      credentials: creds,
    });
    // v1: the plain documented envelope, without request_id.
    expect(raw.json).toEqual({
      code: 'VPC.0202',
      message: `Query resource by id ${unknown} fail.the subnet could not be found.`,
    });
  });
});

describe('VPCEP with raw signed requests (no official Node.js SDK)', () => {
  it('walks a broker link: service -> whitelist -> endpoint -> accepted IP -> delete', async () => {
    const creds = ownerCredentials(emu);
    const pid = creds.projectId!;
    const seed = emu.seed!;
    const broker = emu.world.kafkaInstances[0]!.brokers[1]!;
    const call = (method: string, path: string, body?: unknown) =>
      cloudCall(emu, { method, path: `/v1/${pid}${path}`, credentials: creds, body });

    const service = await call('POST', '/vpc-endpoint-services', {
      port_id: broker.portId,
      vpc_id: seed.instanceVpcId,
      server_type: 'VM',
      service_type: 'interface',
      approval_enabled: false,
      service_name: 'kafka-b1',
      ports: [{ client_port: 9011, server_port: 9011, protocol: 'TCP' }],
      tags: [{ key: 'kvl-listener', value: broker.listenerIp.replaceAll('.', '-') }],
    });
    expect(service.status).toBe(200);
    expect(service.headers['x-request-id']).toEqual(expect.any(String));
    emu.clock.advance(VPCEP_SERVICE_CREATE_DELAY_MS);
    expect((await call('GET', `/vpc-endpoint-services/${service.json.id}`)).json.status).toBe('available');

    const whitelist = await call('POST', `/vpc-endpoint-services/${service.json.id}/permissions/action`, {
      permissions: [`iam:domain::${seed.partner.domainId}`],
      action: 'add',
    });
    expect(whitelist.json).toEqual({ permissions: [`iam:domain::${seed.partner.domainId}`] });

    const endpoint = await call('POST', '/vpc-endpoints', {
      endpoint_service_id: service.json.id,
      vpc_id: seed.clientVpcId,
      subnet_id: seed.clientSubnetId,
    });
    expect(endpoint.json.status).toBe('creating');
    expect(endpoint.json).not.toHaveProperty('ip');
    emu.clock.advance(VPCEP_ENDPOINT_CREATE_DELAY_MS);
    const accepted = await call('GET', `/vpc-endpoints/${endpoint.json.id}`);
    expect(accepted.json).toMatchObject({
      status: 'accepted',
      ip: expect.stringMatching(/^172\.16\.5\.\d+$/),
    });

    const byTag = await call('POST', '/endpoint_service/resource_instances/action', {
      action: 'filter',
      tags: [{ key: 'kvl-listener', values: [broker.listenerIp.replaceAll('.', '-')] }],
    });
    expect(byTag.json.resources.map((r: any) => r.resource_id)).toEqual([service.json.id]);

    expect((await call('DELETE', `/vpc-endpoints/${endpoint.json.id}`)).status).toBe(204);
    const inUse = await call('DELETE', `/vpc-endpoint-services/${service.json.id}`);
    expect(inUse.status).toBe(400);
    expect(inUse.json.error_code).toBe('EndPoint.3006');
  });

  it('the request log records VPCEP error codes', async () => {
    const creds = ownerCredentials(emu);
    await cloudCall(emu, {
      method: 'GET',
      path: `/v1/${creds.projectId}/vpc-endpoints/nope`,
      credentials: creds,
    });
    expect(emu.requests().at(-1)).toMatchObject({ status: 404, code: 'EndPoint.2006', service: 'vpcep' });
  });
});
