#!/usr/bin/env node
/**
 * Regenerates contracts/*.json from the official Go SDK snapshot plus the facts below that the SDK
 * models do not state (success status from the API reference, error bodies, the response fields our
 * clients require, limits stated in prose). Run: node scripts/contracts/generate.mjs [sdk-git-dir].
 * The output is data with its sources; review the diff like any other change of facts.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Sdk, schemaOf, structSchema } from './sdk.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SDK_DIR = process.argv[2] ?? '/work/.mirror/huaweicloud+huaweicloud-sdk-go-v3/repo';
const SDK_REPO = 'huaweicloud/huaweicloud-sdk-go-v3';
const TF_REPO = 'huaweicloud/terraform-provider-huaweicloud';
const TF_COMMIT = 'a0345b8dcc818aa80d932ec0802891222b0a22af';

const APIGW_ERROR = {
  name: 'apigw',
  fields: { error_code: { type: 'string' }, error_msg: { type: 'string' } },
  source: 'https://support.huaweicloud.com/intl/en-us/devg-apisign/api-sign-errorcode.html',
};
// Error codes are not pinned by pattern: DMS, VPCEP (`EndPoint.` and `Endpoint.`) and the gateway mix
// prefixes, and tests inject their own codes; the shape (field names and types) is the contract.
const CODE_MSG = (_prefix, source) => ({
  name: 'error_code/error_msg',
  fields: { error_code: { type: 'string' }, error_msg: { type: 'string' } },
  source,
});

/**
 * Per service: SDK directory, host prefix, error bodies, and the operations with what the SDK does not
 * say. `calledBy` lists the product files that send it; an empty list marks an operation only the
 * emulator's tests or the official SDK oracles call (it still needs a contract to be called at all).
 */
const SERVICES = [
  {
    service: 'dms',
    sdkDir: 'services/kafka/v2',
    meta: 'kafka_meta.go',
    errors: [
      CODE_MSG('^DMS\\.', 'https://support.huaweicloud.com/intl/en-us/api-kafka/ErrorCode.html'),
      APIGW_ERROR,
    ],
    operations: [
      {
        id: 'ShowInstance',
        calledBy: ['shared/cloud/dms.ts'],
        success: [200],
        required: ['instance_id', 'status'],
        doc: 'https://support.huaweicloud.com/intl/en-us/api-kafka/ShowInstance.html',
      },
      {
        id: 'ListInstances',
        calledBy: ['shared/cloud/dms.ts'],
        success: [200],
        required: ['instances[].instance_id', 'instances[].status'],
        doc: 'https://support.huaweicloud.com/intl/en-us/api-kafka/ListInstances.html',
      },
      {
        id: 'UpdateInstanceCrossVpcIp',
        calledBy: ['shared/cloud/dms.ts'],
        success: [200],
        required: ['success', 'results[].ip', 'results[].success'],
        notes: [
          'Terraform (huaweicloud/services/dms resource_huaweicloud_dms_kafka_instance.go) reads the new advertised_ip straight after the call: no CONFIGURING window is documented.',
        ],
        doc: 'https://support.huaweicloud.com/intl/en-us/api-kafka/UpdateInstanceCrossVpcIp.html',
      },
      {
        id: 'ShowKafkaTags',
        calledBy: [],
        success: [200],
        doc: 'https://support.huaweicloud.com/intl/en-us/api-kafka/ShowKafkaTags.html',
      },
      {
        id: 'BatchCreateOrDeleteKafkaTag',
        calledBy: ['shared/cloud/dms.ts'],
        success: [204],
        doc: 'https://support.huaweicloud.com/intl/en-us/api-kafka/BatchCreateOrDeleteKafkaTag.html',
      },
      { id: 'ShowKafkaProjectTags', calledBy: [], success: [200] },
    ],
  },
  {
    service: 'vpcep',
    sdkDir: 'services/vpcep/v1',
    meta: 'vpcep_meta.go',
    errors: [
      CODE_MSG('^EndPoint\\.', 'https://support.huaweicloud.com/intl/en-us/api-vpcep/ErrorCode.html'),
      APIGW_ERROR,
    ],
    operations: [
      {
        id: 'CreateEndpointService',
        calledBy: ['shared/cloud/vpcep.ts'],
        success: [200],
        required: ['id', 'status'],
        doc: 'https://support.huaweicloud.com/intl/en-us/api-vpcep/CreateEndpointService.html',
      },
      {
        id: 'ListServiceDetails',
        calledBy: ['shared/cloud/vpcep.ts'],
        success: [200],
        required: ['id', 'status'],
      },
      {
        id: 'ListEndpointService',
        calledBy: ['shared/cloud/vpcep.ts'],
        success: [200],
        required: ['endpoint_services[].id', 'endpoint_services[].status'],
      },
      { id: 'DeleteEndpointService', calledBy: ['shared/cloud/vpcep.ts'], success: [204] },
      {
        id: 'AddOrRemoveServicePermissions',
        calledBy: ['shared/cloud/vpcep.ts'],
        success: [200],
      },
      {
        id: 'ListServicePermissionsDetails',
        calledBy: ['shared/cloud/vpcep.ts'],
        success: [200],
        required: ['permissions[].permission'],
        doc: 'https://support.huaweicloud.com/intl/en-us/api-vpcep/ListServicePermissionsDetails.html',
      },
      {
        id: 'ListServiceConnections',
        calledBy: ['shared/cloud/vpcep.ts'],
        success: [200],
        required: ['connections[].id', 'connections[].status'],
      },
      {
        id: 'CreateEndpoint',
        calledBy: ['shared/cloud/vpcep.ts'],
        success: [200],
        required: ['id', 'status'],
      },
      {
        id: 'ListEndpointInfoDetails',
        calledBy: ['shared/cloud/vpcep.ts'],
        success: [200],
        required: ['id', 'status'],
      },
      {
        id: 'ListEndpoints',
        calledBy: ['shared/cloud/vpcep.ts'],
        success: [200],
        required: ['endpoints[].id', 'endpoints[].status'],
      },
      { id: 'DeleteEndpoint', calledBy: ['shared/cloud/vpcep.ts'], success: [204] },
      {
        id: 'BatchAddOrRemoveResourceInstance',
        calledBy: ['shared/cloud/vpcep.ts'],
        success: [204],
      },
      {
        id: 'ListResourceInstances',
        calledBy: ['shared/cloud/vpcep.ts'],
        success: [200],
        required: ['resources[].resource_id'],
        // "每个key下面的value最多10个" is stated on the filter arrays, it bounds each filter's values.
        patch: {
          'body.tags[].values': { maxItems: 10 },
          'body.tags_any[].values': { maxItems: 10 },
          'body.not_tags[].values': { maxItems: 10 },
          'body.not_tags_any[].values': { maxItems: 10 },
          'body.limit': { pattern: '^\\d+$', numericMin: 1, numericMax: 1000 },
          'body.offset': { pattern: '^\\d+$' },
        },
      },
      {
        id: 'ListQuotaDetails',
        calledBy: ['shared/cloud/vpcep.ts'],
        success: [200],
        required: [
          'quotas',
          'quotas.resources[].type',
          'quotas.resources[].used',
          'quotas.resources[].quota',
        ],
      },
      { id: 'ListServiceDescribeDetails', calledBy: [], success: [200] },
      { id: 'UpdateEndpointService', calledBy: [], success: [200] },
      { id: 'ListQueryProjectResourceTags', calledBy: [], success: [200] },
    ],
  },
  {
    service: 'vpc',
    sdkDir: 'services/vpc/v3',
    meta: 'vpc_meta.go',
    errors: [
      {
        name: 'code/message (VPC v1)',
        fields: { code: { type: 'string' }, message: { type: 'string' } },
        source: 'https://support.huaweicloud.com/intl/en-us/api-vpc/ErrorCode.html',
      },
      CODE_MSG('^VPC\\.', 'https://support.huaweicloud.com/intl/en-us/api-vpc/ErrorCode.html'),
      APIGW_ERROR,
    ],
    operations: [
      {
        id: 'CreateSecurityGroupRule',
        calledBy: ['shared/cloud/vpc.ts'],
        success: [201],
        required: [
          'security_group_rule',
          'security_group_rule.id',
          'security_group_rule.security_group_id',
          'security_group_rule.direction',
        ],
        doc: 'https://support.huaweicloud.com/intl/en-us/api-vpc/vpc_apiv3_0008.html',
      },
      {
        id: 'ListSecurityGroupRules',
        calledBy: ['shared/cloud/vpc.ts'],
        success: [200],
        required: [
          'security_group_rules[].id',
          'security_group_rules[].security_group_id',
          'security_group_rules[].direction',
        ],
      },
      { id: 'DeleteSecurityGroupRule', calledBy: ['shared/cloud/vpc.ts'], success: [204] },
      { id: 'ShowSecurityGroupRule', calledBy: [], success: [200] },
      {
        id: 'ListFirewall',
        calledBy: ['shared/cloud/vpc.ts'],
        success: [200],
        required: ['firewalls[].id'],
      },
      {
        id: 'ShowFirewall',
        calledBy: ['shared/cloud/vpc.ts'],
        success: [200],
        required: ['firewall', 'firewall.id', 'firewall.ingress_rules[].id'],
      },
      {
        id: 'AddFirewallRules',
        calledBy: ['shared/cloud/vpc.ts'],
        success: [200],
        required: ['firewall', 'firewall.id', 'firewall.ingress_rules[].id'],
      },
      {
        id: 'RemoveFirewallRules',
        calledBy: ['shared/cloud/vpc.ts'],
        success: [200],
        required: ['firewall', 'firewall.id'],
      },
    ],
  },
  {
    service: 'vpc',
    sdkDir: 'services/vpc/v2',
    meta: 'vpc_meta.go',
    merge: true,
    operations: [
      {
        id: 'ShowSubnet',
        calledBy: ['shared/cloud/vpc.ts'],
        success: [200],
        required: ['subnet', 'subnet.id', 'subnet.vpc_id', 'subnet.cidr'],
      },
      { id: 'ListSubnets', calledBy: [], success: [200] },
      { id: 'ListVpcs', calledBy: [], success: [200] },
      { id: 'ShowVpc', calledBy: [], success: [200] },
    ],
  },
  {
    service: 'smn',
    sdkDir: 'services/smn/v2',
    meta: 'smn_meta.go',
    errors: [
      {
        name: 'request_id/code/message',
        fields: { code: { type: 'string' }, message: { type: 'string' } },
        source: 'https://support.huaweicloud.com/intl/en-us/eu-west-0-api-smn/smn_api_52003.html',
      },
      CODE_MSG('^SMN\\.', 'https://support.huaweicloud.com/intl/en-us/api-smn/ErrorCode.html'),
      APIGW_ERROR,
    ],
    operations: [
      {
        id: 'PublishMessage',
        calledBy: ['shared/cloud/smn.ts'],
        success: [200],
        required: ['message_id'],
      },
      {
        id: 'ListTopics',
        calledBy: ['deploy/serverless-plugin/provider.ts'],
        success: [200],
      },
      {
        id: 'CreateTopic',
        calledBy: ['deploy/serverless-plugin/provider.ts'],
        // 201 created, 200 when a topic of that name exists (idempotent).
        success: [200, 201],
        doc: 'https://support.huaweicloud.com/intl/en-us/api-smn/smn_api_51001.html',
      },
      { id: 'DeleteTopic', calledBy: ['deploy/serverless-plugin/provider.ts'], success: [200] },
      { id: 'ListTopicDetails', calledBy: [], success: [200] },
      {
        id: 'AddSubscription',
        calledBy: [],
        success: [200, 201],
        doc: 'https://support.huaweicloud.com/intl/en-us/eu-west-0-api-smn/smn_api_52003.html',
      },
      {
        id: 'ListSubscriptionsByTopic',
        // The CLI's --via queue --wait checks that something will handle its request.
        calledBy: ['shared/cloud/smn.ts'],
        success: [200],
        required: ['subscription_count'],
      },
      { id: 'ListSubscriptions', calledBy: [], success: [200] },
      { id: 'CancelSubscription', calledBy: [], success: [200] },
    ],
  },
  {
    service: 'iam',
    sdkDir: 'services/iam/v3',
    meta: 'iam_meta.go',
    errors: [
      {
        name: 'keystone error',
        fields: {
          error: {
            type: 'object',
            required: true,
            fields: { code: { type: 'any', required: true }, message: { type: 'string', required: true } },
          },
        },
        source: 'https://support.huaweicloud.com/intl/en-us/api-iam/iam_02_0005.html',
      },
      CODE_MSG('^(IAM|APIGW)\\.', 'https://support.huaweicloud.com/intl/en-us/api-iam/iam_02_0005.html'),
      APIGW_ERROR,
    ],
    operations: [
      {
        id: 'KeystoneListProjects',
        calledBy: ['shared/cloud/iam.ts', 'deploy/serverless-plugin/provider.ts'],
        success: [200],
        required: ['projects[].id', 'projects[].name'],
      },
      // These share one path; a request conforms when it matches any of them.
      { id: 'KeystoneCreateUserTokenByPassword', calledBy: [], success: [201], redact: true },
      { id: 'KeystoneCreateAgencyToken', calledBy: [], success: [201], redact: true },
      {
        id: 'CreateTemporaryAccessKeyByAgency',
        // Cross-account links: the owner assumes the agency the client account granted it.
        calledBy: ['shared/cloud/iam.ts'],
        success: [201],
        redact: true,
      },
      { id: 'CreateTemporaryAccessKeyByToken', calledBy: [], success: [201], redact: true },
    ],
  },
  {
    service: 'functiongraph',
    sdkDir: 'services/functiongraph/v2',
    meta: 'functionGraph_meta.go',
    errors: [
      CODE_MSG(
        '^(FSS|FuncGraph|FUNCGRAPH)\\.',
        'https://support.huaweicloud.com/intl/en-us/api-functiongraph/ErrorCode.html',
      ),
      APIGW_ERROR,
    ],
    operations: [
      {
        id: 'CreateFunction',
        calledBy: ['deploy/functiongraph-client.ts'],
        success: [200],
        required: ['func_urn', 'func_name'],
      },
      {
        id: 'ListFunctions',
        calledBy: ['deploy/functiongraph-client.ts'],
        success: [200],
        required: ['functions[].func_urn', 'functions[].func_name'],
        patch: {
          // "最大值：400 如果不提供该值或者提供的值大于400或等于0，则使用默认值：400 如果该值小于0，则返回参数错误"
          'query.maxitems': {
            type: 'integer',
            min: 0,
            max: undefined,
            note: '0 or above 400 means the default 400; below 0 is refused',
          },
          'query.marker': { type: 'integer', min: 0 },
        },
      },
      {
        id: 'ShowFunctionConfig',
        calledBy: ['deploy/functiongraph-client.ts'],
        success: [200],
        required: ['func_urn', 'func_name'],
      },
      {
        id: 'UpdateFunctionConfig',
        calledBy: ['deploy/functiongraph-client.ts'],
        success: [200],
        required: ['func_urn', 'func_name'],
      },
      { id: 'UpdateFunctionCode', calledBy: ['deploy/functiongraph-client.ts'], success: [200] },
      { id: 'ShowFunctionCode', calledBy: [], success: [200] },
      { id: 'DeleteFunction', calledBy: ['deploy/functiongraph-client.ts'], success: [204] },
      {
        id: 'ListFunctionTriggers',
        calledBy: ['deploy/functiongraph-client.ts'],
        success: [200],
        required: ['[].trigger_id', '[].trigger_type_code', '[].trigger_status'],
      },
      {
        id: 'CreateFunctionTrigger',
        calledBy: ['deploy/functiongraph-client.ts'],
        success: [201],
        required: ['trigger_id', 'trigger_type_code', 'trigger_status'],
      },
      { id: 'ShowFunctionTrigger', calledBy: [], success: [200] },
      { id: 'UpdateTrigger', calledBy: ['deploy/functiongraph-client.ts'], success: [200] },
      { id: 'DeleteFunctionTrigger', calledBy: ['deploy/functiongraph-client.ts'], success: [204] },
      { id: 'BatchDeleteFunctionTriggers', calledBy: [], success: [204] },
      {
        id: 'ShowFunctionAsyncInvokeConfig',
        calledBy: ['deploy/functiongraph-client.ts'],
        success: [200],
      },
      {
        id: 'UpdateFunctionAsyncInvokeConfig',
        calledBy: ['deploy/functiongraph-client.ts'],
        success: [200],
      },
      { id: 'DeleteFunctionAsyncInvokeConfig', calledBy: [], success: [204] },
      { id: 'InvokeFunction', calledBy: ['deploy/functiongraph-client.ts'], success: [200] },
      { id: 'AsyncInvokeFunction', calledBy: ['deploy/functiongraph-client.ts'], success: [202] },
    ],
  },
];

function applyPatch(op, dotted, patch) {
  const [root, ...rest] = dotted.split('.');
  let node;
  if (root === 'query') node = op.query[rest[0]];
  else if (root === 'body') {
    node = op.body;
    for (const part of rest) {
      if (!node) break;
      const key = part.replace(/\[\]$/, '');
      node = node.fields?.[key];
      if (part.endsWith('[]')) node = node?.items;
    }
  }
  if (!node) throw new Error(`${op.id}: patch target ${dotted} not found`);
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined) delete node[k];
    else node[k] = v;
  }
}

function markRequired(op, paths) {
  for (const path of paths) {
    let node = op.response.body;
    const parts = path.split('.');
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i];
      if (part === '[]') {
        node = node.items;
        continue;
      }
      const isArray = part.endsWith('[]');
      const key = part.replace(/\[\]$/, '');
      if (key === '') {
        node = node.items;
        continue;
      }
      const field = node?.fields?.[key];
      if (!field) throw new Error(`${op.id}: response field ${path} not in the SDK model`);
      if (i === parts.length - 1 && !isArray) field.required = true;
      node = isArray ? field.items : field;
    }
    if (parts.at(-1)?.endsWith('[]') === false && node) node.required = true;
  }
}

function stripRequired(node) {
  if (!node || typeof node !== 'object') return;
  delete node.required;
  for (const child of Object.values(node.fields ?? {})) stripRequired(child);
  stripRequired(node.items);
  stripRequired(node.values);
}

function buildOperation(sdk, svc, spec) {
  const models = sdk.models(svc.sdkDir);
  const metaPath = `${svc.sdkDir}/${svc.meta}`;
  const meta = sdk.meta(metaPath).get(spec.id);
  if (!meta) throw new Error(`${spec.id}: not in ${metaPath}`);
  const request = models.structs.get(`${spec.id}Request`);
  const response = models.structs.get(meta.response);
  const goField = (goName) => request?.fields.find((f) => f.goName === goName);
  const query = {};
  const pathParams = {};
  let body = null;
  for (const field of meta.fields.filter((f) => f.side === 'request')) {
    const declared = goField(field.goName);
    if (field.location === 'query') {
      const schema = schemaOf(models, declared.goType, declared.comment);
      if (!declared.goType.startsWith('*')) schema.required = true;
      query[field.json] = schema;
    } else if (field.location === 'path') {
      pathParams[field.json] = schemaOf(models, declared.goType, declared.comment);
    } else if (field.location === 'body') {
      body = schemaOf(models, declared.goType, declared.comment);
      body.required = !declared.goType.startsWith('*') && !declared.omitempty;
    }
  }
  const bodyField = meta.fields.find((f) => f.side === 'response' && f.location === 'body');
  let responseBody;
  if (bodyField) {
    const declared = response.fields.find((f) => f.goName === bodyField.goName);
    responseBody = schemaOf(models, declared.goType, declared.comment);
  } else {
    responseBody = structSchema(models, {
      fields: response.fields.filter((f) => f.goName !== 'HttpStatusCode'),
    });
  }
  // The SDK's non-pointer response fields are not a promise of the API; what must be there is what
  // the product reads (`required` below).
  stripRequired(responseBody);
  const op = {
    id: spec.id,
    calledBy: spec.calledBy,
    method: meta.method,
    path: meta.path,
    pathParams,
    query,
    body,
    response: { status: spec.success, body: responseBody },
    ...(spec.redact ? { redactBody: true } : {}),
    source: {
      repo: SDK_REPO,
      commit: sdk.commit,
      files: [metaPath, request?.path, response?.path].filter(Boolean),
      ...(spec.doc ? { doc: spec.doc } : {}),
    },
    ...(spec.notes ? { notes: spec.notes } : {}),
  };
  for (const [dotted, patch] of Object.entries(spec.patch ?? {})) applyPatch(op, dotted, patch);
  markRequired(op, spec.required ?? []);
  return op;
}

function main() {
  const sdk = new Sdk(SDK_DIR);
  const files = new Map();
  for (const svc of SERVICES) {
    let contract = files.get(svc.service);
    if (!contract) {
      contract = {
        $comment: 'Generated by scripts/contracts/generate.mjs from the official Go SDK; facts, not code.',
        service: svc.service,
        sources: [],
        errors: svc.errors,
        operations: [],
      };
      files.set(svc.service, contract);
    }
    contract.sources.push({ repo: SDK_REPO, commit: sdk.commit, dir: svc.sdkDir });
    for (const spec of svc.operations) {
      const id = spec.id;
      contract.operations.push(buildOperation(sdk, svc, { ...spec, id }));
    }
  }
  for (const [service, contract] of files) {
    writeFileSync(join(ROOT, 'contracts', `${service}.json`), `${JSON.stringify(contract, null, 2)}\n`);
  }
  // Hosts per region, as the SDK's region tables list them.
  const hostDirs = {
    dms: 'services/kafka/v2',
    vpcep: 'services/vpcep/v1',
    vpc: 'services/vpc/v3',
    smn: 'services/smn/v2',
    iam: 'services/iam/v3',
    functiongraph: 'services/functiongraph/v2',
  };
  const hosts = {
    $comment: 'region → base URL per service, from services/<svc>/region/region.go of the Go SDK.',
    source: { repo: SDK_REPO, commit: sdk.commit },
    services: {},
  };
  for (const [service, dir] of Object.entries(hostDirs)) {
    hosts.services[service] = { file: `${dir}/region/region.go`, regions: sdk.regions(dir) };
  }
  writeFileSync(join(ROOT, 'contracts', 'hosts.json'), `${JSON.stringify(hosts, null, 2)}\n`);
  process.stdout.write(
    `contracts written from ${SDK_REPO}@${sdk.commit} (terraform cross-checks: ${TF_REPO}@${TF_COMMIT})\n`,
  );
}

main();
