/**
 * The contracts themselves (contracts/*.json, facts from Huawei's Go SDK with their sources), the
 * checker that holds the suite's exchanges to them, and the coverage rule: every call a product
 * client can make has a contract, and conforms to it.
 */
import { describe, expect, it } from 'vitest';
import {
  CONTRACT_SERVICES,
  ContractChecker,
  type ExchangeLike,
  loadContracts,
  loadHosts,
  loadKnownDivergences,
  type Operation,
  partitionKnown,
  type SchemaNode,
} from '../../contracts/check.js';
import { createFunctionGraphClient } from '../../deploy/functiongraph-client.js';
import { createDmsClient } from '../../shared/cloud/dms.js';
import { resolveBaseUrl } from '../../shared/cloud/endpoints.js';
import { buildQueryString } from '../../shared/cloud/http.js';
import { createIamClient } from '../../shared/cloud/iam.js';
import { createSmnClient } from '../../shared/cloud/smn.js';
import type { CloudHttp, CloudRequest, CloudService } from '../../shared/cloud/types.js';
import { createVpcClient } from '../../shared/cloud/vpc.js';
import { createVpcepClient } from '../../shared/cloud/vpcep.js';

const SDK_COMMIT = '1cd70eb6f730ea721771a6ec8d96352bbb801787';
const contracts = loadContracts();
const checker = new ContractChecker(contracts);
const known = loadKnownDivergences();

function op(service: string, id: string): Operation {
  const found = contracts.find((c) => c.service === service)?.operations.find((o) => o.id === id);
  if (!found) throw new Error(`no contract ${service}/${id}`);
  return found;
}

function field(node: SchemaNode | null | undefined, path: string): SchemaNode {
  let at = node ?? undefined;
  for (const part of path.split('.')) {
    if (part === '[]') at = at?.items;
    else at = at?.fields?.[part];
  }
  if (!at) throw new Error(`no field ${path}`);
  return at;
}

describe('the contract files', () => {
  it('load through their schema and cite the Go SDK commit for every operation', () => {
    // Arrange / Act: loadContracts() parses every file with the zod schema.
    const ids = contracts.flatMap((c) => c.operations.map((o) => `${c.service}/${o.id}`));

    // Assert
    expect(contracts.map((c) => c.service)).toEqual([...CONTRACT_SERVICES]);
    expect(new Set(ids).size).toBe(ids.length);
    for (const contract of contracts) {
      for (const operation of contract.operations) {
        expect(operation.source.commit, `${operation.id}`).toBe(SDK_COMMIT);
        expect(operation.source.files[0], `${operation.id}`).toMatch(/^services\/\w+\/v\d+\/\w+_meta\.go$/);
      }
    }
    expect(loadHosts().source.commit).toBe(SDK_COMMIT);
  });

  it('state each list its own page-size range, from its own request model', () => {
    expect(op('vpcep', 'ListServicePermissionsDetails').query.limit).toMatchObject({ min: 0, max: 500 });
    for (const id of ['ListEndpointService', 'ListEndpoints', 'ListServiceConnections']) {
      expect(op('vpcep', id).query.limit, id).toMatchObject({ min: 0, max: 1000 });
    }
    expect(op('dms', 'ListInstances').query.limit).toMatchObject({ numericMin: 1, numericMax: 50 });
    expect(op('vpc', 'ListSecurityGroupRules').query.limit).toMatchObject({ min: 0, max: 2000 });
    expect(op('vpc', 'ListFirewall').query.limit).toMatchObject({ min: 0, max: 2000 });
    expect(op('smn', 'ListTopics').query.limit).toMatchObject({ min: 1, max: 100 });
    // FunctionGraph: 0 or above 400 means the default 400; only negative values are refused.
    const maxitems = op('functiongraph', 'ListFunctions').query.maxitems;
    expect(maxitems).toMatchObject({ type: 'integer', min: 0 });
    expect(maxitems?.max).toBeUndefined();
  });

  it('state the VPCEP tag limits, the create-endpoint ip and the two error-item shapes', () => {
    const filter = op('vpcep', 'ListResourceInstances').body;
    for (const key of ['tags', 'tags_any', 'not_tags', 'not_tags_any']) {
      expect(field(filter, key).maxItems, key).toBe(10);
      expect(field(filter, `${key}.[].values`).maxItems, key).toBe(10);
    }
    expect(field(op('vpcep', 'CreateEndpointService').body, 'tags').maxItems).toBe(20);
    expect(field(op('vpcep', 'CreateEndpointService').body, 'tags.[].key')).toMatchObject({ maxLength: 128 });
    expect(field(op('vpcep', 'CreateEndpoint').response.body, 'ip').type).toBe('string');
    // Services report {code, message}; endpoints and connections {error_code, error_message}.
    expect(
      Object.keys(field(op('vpcep', 'ListServiceDetails').response.body, 'error.[]').fields ?? {}).sort(),
    ).toEqual(['code', 'message']);
    expect(
      Object.keys(
        field(op('vpcep', 'ListEndpointInfoDetails').response.body, 'error.[]').fields ?? {},
      ).sort(),
    ).toEqual(['error_code', 'error_message']);
    expect(
      Object.keys(
        field(op('vpcep', 'ListServiceConnections').response.body, 'connections.[].error.[]').fields ?? {},
      ).sort(),
    ).toEqual(['error_code', 'error_message']);
  });

  it('list every allowlisted divergence against an operation and field the contracts have', () => {
    for (const entry of known) {
      if (entry.operation === 'resolveBaseUrl') continue;
      expect(
        checker.contracts.some((c) => c.operations.some((o) => o.id === entry.operation)),
        entry.operation,
      ).toBe(true);
    }
  });
});

describe('hosts per region', () => {
  it('every service × region of the SDK tables resolves to the SDK host', () => {
    const hosts = loadHosts();
    const mismatches: string[] = [];
    for (const [service, table] of Object.entries(hosts.services)) {
      for (const [region, url] of Object.entries(table.regions)) {
        let resolved: string;
        try {
          resolved = resolveBaseUrl(service as CloudService, region, {});
        } catch (error) {
          resolved = String(error);
        }
        if (resolved !== url) mismatches.push(`${service}:${region} ${resolved} != ${url}`);
      }
    }
    const tolerated = known.filter((k) => k.operation === 'resolveBaseUrl').map((k) => k.field);
    expect(mismatches.filter((m) => !tolerated.includes(m.split(' ')[0] ?? ''))).toEqual([]);
  });
});

/* ------------------------------------------------------------------ client coverage */

class Recorded extends Error {}

/** A CloudHttp that records each request (as the wire would carry it) and stops the call there. */
function recordingHttp(service: CloudService, sink: ExchangeLike[]): CloudHttp {
  return {
    service,
    projectId: '0123456789abcdef0123456789abcdef',
    baseUrl: 'http://127.0.0.1:1',
    async send(request: CloudRequest) {
      const query = Object.fromEntries(new URLSearchParams(buildQueryString(request.query)));
      sink.push({
        method: request.method,
        path: request.path.replaceAll('{project_id}', '0123456789abcdef0123456789abcdef'),
        query,
        body: request.body === undefined ? undefined : JSON.parse(JSON.stringify(request.body)),
        status: 0,
        userAgent: 'kafka-vpcep-link/0.1',
      });
      throw new Recorded();
    },
  };
}

const URN = 'urn:fss:ap-southeast-1:0123456789abcdef0123456789abcdef:function:kvl:kvl-fn:latest';
const TOPIC = 'urn:smn:ap-southeast-1:0123456789abcdef0123456789abcdef:kvl-topic';
const zip = Buffer.from('PK');

/** One call per client method, with the arguments the product passes (a new method must be added). */
const CALLS: Record<string, Record<string, (client: any) => Promise<unknown>>> = {
  'shared/cloud/dms.ts': {
    showInstance: (c) => c.showInstance('inst-1'),
    listInstances: (c) => c.listInstances({ name: 'kafka', status: 'RUNNING' }),
    modifyCrossVpc: (c) => c.modifyCrossVpc('inst-1', { '10.0.0.1': '10.1.0.1' }),
    createInstanceTags: (c) => c.createInstanceTags('inst-1', [{ key: 'kvl-client-vpc', value: 'vpc-1' }]),
    deleteInstanceTags: (c) => c.deleteInstanceTags('inst-1', [{ key: 'kvl-client-vpc' }]),
  },
  'shared/cloud/vpcep.ts': {
    createEndpointService: (c) =>
      c.createEndpointService({
        portId: 'port-1',
        vpcId: 'vpc-1',
        serverType: 'VM',
        ports: [{ clientPort: 9011, serverPort: 9011, protocol: 'TCP' }],
        serviceType: 'interface',
        approvalEnabled: false,
        tcpProxy: 'close',
        tags: [{ key: 'kvl-instance', value: 'inst-1' }],
      }),
    getEndpointService: (c) => c.getEndpointService('svc-1'),
    listEndpointServices: (c) => c.listEndpointServices({ status: 'available' }),
    deleteEndpointService: (c) => c.deleteEndpointService('svc-1'),
    addServicePermissions: (c) =>
      c.addServicePermissions('svc-1', ['iam:domain::0123456789abcdef0123456789abcdef']),
    listServicePermissions: (c) => c.listServicePermissions('svc-1'),
    listServiceConnections: (c) => c.listServiceConnections('svc-1'),
    createEndpoint: (c) =>
      c.createEndpoint({
        endpointServiceId: 'svc-1',
        vpcId: 'vpc-1',
        subnetId: 'subnet-1',
        tags: [{ key: 'kvl-instance', value: 'inst-1' }],
      }),
    getEndpoint: (c) => c.getEndpoint('ep-1'),
    listEndpoints: (c) => c.listEndpoints({ vpcId: 'vpc-1' }),
    deleteEndpoint: (c) => c.deleteEndpoint('ep-1'),
    createResourceTags: (c) =>
      c.createResourceTags('endpoint', 'ep-1', [{ key: 'kvl-phase', value: 'linked' }]),
    queryResourcesByTags: (c) =>
      c.queryResourcesByTags('endpoint_service', { tags: [{ key: 'kvl-instance', values: ['inst-1'] }] }),
    getQuotas: (c) => c.getQuotas('endpoint'),
  },
  'shared/cloud/vpc.ts': {
    createSecurityGroupRule: (c) =>
      c.createSecurityGroupRule({
        securityGroupId: 'sg-1',
        direction: 'ingress',
        protocol: 'tcp',
        multiport: '9011',
        remoteIpPrefix: '198.19.128.0/17',
        description: 'kvl',
      }),
    listSecurityGroupRules: (c) =>
      c.listSecurityGroupRules({ securityGroupId: 'sg-1', direction: 'ingress' }),
    deleteSecurityGroupRule: (c) => c.deleteSecurityGroupRule('rule-1'),
    getSubnet: (c) => c.getSubnet('subnet-1'),
    listNetworkAcls: (c) => c.listNetworkAcls(),
    insertNetworkAclRules: (c) =>
      c.insertNetworkAclRules('acl-1', [
        {
          action: 'allow',
          protocol: 'tcp',
          ipVersion: 4,
          sourceIpAddress: '198.19.128.0/17',
          destinationPort: '9011',
        },
      ]),
    removeNetworkAclRules: (c) => c.removeNetworkAclRules('acl-1', ['rule-1']),
  },
  'shared/cloud/smn.ts': {
    publish: (c) => c.publish(TOPIC, { subject: 'kvl', message: '{}' }),
    listTopicSubscriptions: (c) => c.listTopicSubscriptions(TOPIC),
  },
  'shared/cloud/iam.ts': {
    getProjectId: (c) => c.getProjectId('ap-southeast-1'),
    getProject: (c) => c.getProject('ap-southeast-1'),
    assumeAgency: (c) =>
      c.assumeAgency({ domainId: '0123456789abcdef0123456789abcdef', agencyName: 'kvl-link' }),
  },
  'deploy/functiongraph-client.ts': {
    createFunction: (c) =>
      c.createFunction({
        funcName: 'kvl-fn',
        package: 'kvl',
        runtime: 'Node.js20.15',
        handler: 'index.handler',
        memorySize: 256,
        timeout: 60,
        userData: { A: 'b' },
        zip,
      }),
    listFunctions: (c) => c.listFunctions({ packageName: 'kvl' }),
    getFunctionConfig: (c) => c.getFunctionConfig(URN),
    updateFunctionConfig: (c) =>
      c.updateFunctionConfig(URN, {
        funcName: 'kvl-fn',
        runtime: 'Node.js20.15',
        handler: 'index.handler',
        memorySize: 256,
        timeout: 60,
        userData: {},
      }),
    updateFunctionCode: (c) => c.updateFunctionCode(URN, zip),
    deleteFunction: (c) => c.deleteFunction(URN),
    listTriggers: (c) => c.listTriggers(URN),
    createTrigger: (c) =>
      c.createTrigger(URN, {
        triggerTypeCode: 'SMN',
        triggerStatus: 'ACTIVE',
        eventData: { topic_urn: TOPIC },
      }),
    updateTriggerStatus: (c) => c.updateTriggerStatus(URN, 'TIMER', 'trigger-1', 'DISABLED'),
    deleteTrigger: (c) => c.deleteTrigger(URN, 'TIMER', 'trigger-1'),
    getAsyncInvokeConfig: (c) => c.getAsyncInvokeConfig(URN),
    putAsyncInvokeConfig: (c) =>
      c.putAsyncInvokeConfig(URN, {
        maxAsyncRetryAttempts: 2,
        maxAsyncEventAgeInSeconds: 3600,
        onFailure: { destination: 'SMN', param: { topic_urn: TOPIC } },
      }),
    invoke: (c) => c.invoke(URN, { a: 1 }),
    invokeAsync: (c) => c.invokeAsync(URN, { a: 1 }),
  },
};

const CLIENTS: Record<string, (http: CloudHttp) => object> = {
  'shared/cloud/dms.ts': (http) => createDmsClient(http),
  'shared/cloud/vpcep.ts': (http) => createVpcepClient(http),
  'shared/cloud/vpc.ts': (http) => createVpcClient(http),
  'shared/cloud/smn.ts': (http) => createSmnClient(http),
  'shared/cloud/iam.ts': (http) => createIamClient(http),
  'deploy/functiongraph-client.ts': (http) => createFunctionGraphClient(http),
};

describe('every call of the product clients has a contract', () => {
  for (const [file, create] of Object.entries(CLIENTS)) {
    it(`${file}: each method sends a request its contract knows and accepts`, async () => {
      // Arrange
      const sent: ExchangeLike[] = [];
      const client = create(recordingHttp('dms', sent)) as Record<string, unknown>;
      const calls = CALLS[file] ?? {};
      const problems: string[] = [];

      // Act
      for (const method of Object.keys(client)) {
        const call = calls[method];
        if (!call) {
          problems.push(`${method}: no call in this test, so no contract covers it`);
          continue;
        }
        const before = sent.length;
        await call(client).catch((error: unknown) => {
          if (!(error instanceof Recorded)) problems.push(`${method}: ${String(error)}`);
        });
        if (sent.length === before) problems.push(`${method}: sent nothing`);
      }

      // Assert
      for (const exchange of sent) {
        const { operation, contract, violations } = checker.checkRequest(exchange);
        if (!operation || !contract) {
          problems.push(`${exchange.method} ${exchange.path}: no contract`);
          continue;
        }
        if (!operation.calledBy.includes(file))
          problems.push(`${operation.id}: calledBy does not name ${file}`);
        for (const v of partitionKnown(violations, known).unknown) {
          problems.push(`${operation.id} ${v.field}: ${v.message}`);
        }
      }
      expect(problems).toEqual([]);
    });
  }

  it('each operation a contract says a client calls is one it does call', async () => {
    // Arrange
    const sent: ExchangeLike[] = [];
    for (const [file, create] of Object.entries(CLIENTS)) {
      const client = create(recordingHttp('dms', sent));
      for (const call of Object.values(CALLS[file] ?? {})) await call(client).catch(() => undefined);
    }
    // listNetworkAcls reads each ACL after the list: ShowFirewall is called on the second request.
    const called = new Set([...sent.map((e) => checker.operation(e.method, e.path)?.id), 'ShowFirewall']);

    // Act
    const claimed = contracts.flatMap((c) =>
      c.operations.filter((o) => o.calledBy.some((f) => f in CLIENTS)).map((o) => o.id),
    );

    // Assert
    expect(claimed.filter((id) => !called.has(id))).toEqual([]);
  });
});

/* ------------------------------------------------------------------ the checker */

const PID = '0123456789abcdef0123456789abcdef';
const product = 'kafka-vpcep-link/0.1';

describe('the contract checker', () => {
  it('fails a call with no contract, naming method and path', () => {
    const result = checker.checkExchange({
      method: 'GET',
      path: `/v1/${PID}/vpc-endpoint-things`,
      status: 200,
      responseBody: {},
      userAgent: product,
    });
    expect(result.violations).toEqual([
      expect.objectContaining({
        field: 'operation',
        message: `no contract for GET /v1/${PID}/vpc-endpoint-things`,
      }),
    ]);
  });

  it('names the operation and field of a query out of range, even when the emulator refuses it', () => {
    const result = checker.checkExchange({
      method: 'GET',
      path: `/v1/${PID}/vpc-endpoint-services/svc-1/permissions`,
      query: { limit: '1000', offset: '0' },
      status: 400,
      responseBody: { error_code: 'EndPoint.0006', error_msg: 'Invalid limit' },
      userAgent: product,
    });
    expect(result.operation).toBe('ListServicePermissionsDetails');
    expect(result.violations).toEqual([
      expect.objectContaining({
        side: 'request',
        field: 'query.limit',
        message: '1000 is above the maximum 500',
      }),
    ]);
  });

  it('lets a test probe a refusal: a nonconforming request from a test, answered by a documented error, passes', () => {
    const probe: ExchangeLike = {
      method: 'GET',
      path: `/v1/${PID}/vpc-endpoint-services/svc-1/permissions`,
      query: { limit: '501' },
      status: 400,
      responseBody: { error_code: 'EndPoint.0006', error_msg: 'Invalid limit' },
      userAgent: 'node-test',
    };
    expect(checker.checkExchange(probe).violations).toEqual([]);
    // Accepting it is the emulator's divergence.
    expect(
      checker.checkExchange({ ...probe, status: 200, responseBody: { permissions: [] } }).violations,
    ).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'status' })]));
    // A refusal in an undocumented shape is one too.
    expect(checker.checkExchange({ ...probe, responseBody: { error: 'no' } }).violations).toEqual(
      expect.arrayContaining([expect.objectContaining({ side: 'response', field: 'error' })]),
    );
  });

  it('checks body fields, enums and required fields of a request', () => {
    const result = checker.checkRequest({
      method: 'POST',
      path: `/v1/${PID}/vpc-endpoint-services`,
      body: {
        vpc_id: 'v',
        server_type: 'VMX',
        ports: [{ client_port: 70000, server_port: 9011 }],
        colour: 'red',
      },
      status: 0,
    });
    expect(result.violations.map((v) => v.field).sort()).toEqual([
      'body.colour',
      'body.port_id',
      'body.ports[].client_port',
      'body.server_type',
    ]);
  });

  it('checks the answer: the fields the product reads, their types and enums, and the status', () => {
    const base = { method: 'GET', path: `/v1/${PID}/vpc-endpoints/ep-1`, userAgent: product };
    expect(
      checker.checkExchange({ ...base, status: 200, responseBody: { id: 'ep-1', status: 'accepted' } })
        .violations,
    ).toEqual([]);
    const bad = checker.checkExchange({ ...base, status: 201, responseBody: { id: 'ep-1', marker_id: 'x' } });
    expect(bad.violations.map((v) => v.field).sort()).toEqual([
      'response.marker_id',
      'response.status',
      'status',
    ]);
  });

  it('ignores emulator modules that are not Huawei services (test doubles)', () => {
    expect(
      checker.checkExchange({ method: 'GET', path: '/v1/x/echo', status: 200, service: 'echo' }).violations,
    ).toEqual([]);
  });

  it('tolerates exactly the allowlisted divergences', () => {
    const exchange: ExchangeLike = {
      method: 'GET',
      path: `/v1/${PID}/vpc-endpoint-services/svc-1/permissions`,
      query: { limit: '1000' },
      status: 200,
      responseBody: { permissions: [] },
      userAgent: product,
    };
    const allow = [
      {
        operation: 'ListServicePermissionsDetails',
        side: 'request' as const,
        field: 'query.limit',
        issue: '#12 item 1',
        note: 'n',
      },
    ];
    expect(checker.checkExchange(exchange, { known: allow })).toMatchObject({
      violations: [],
      known: [{ field: 'query.limit' }],
    });
    expect(
      checker.checkExchange({ ...exchange, query: { limit: '1000', sort_dir: 'up' } }, { known: allow })
        .violations,
    ).toEqual([expect.objectContaining({ field: 'query.sort_dir' })]);
  });
});
