/**
 * DMS for Kafka (API v2) of the emulator: show/list instances, cross-VPC advertised listeners and
 * instance tags (reference §A, fixtures `dms-*.json`).
 *
 * A successful `crossvpc/modify` takes effect at once: the next show returns the new `advertised_ip`
 * values and the instance stays RUNNING. No source documents a CONFIGURING window after it
 * (terraform-provider-huaweicloud a0345b8, huaweicloud/services/kafka/resource_huaweicloud_dms_kafka_instance.go
 * `UpdateCrossVpcAccess`, reads the map straight after the call; it waits for RUNNING only to retry a
 * DMS.00400026 refusal). A modify on an instance that is not RUNNING is refused with DMS.00400026.
 *
 * Opt-in fault `crossVpcConfiguringMs` (module option, `createDmsModule({crossVpcConfiguringMs})`):
 * the instance is CONFIGURING for that long after a modify and the new map only shows when it is
 * RUNNING again (kept aside in `pendingAdvertisedIps`), for testing that the product still converges
 * if a real account showed such a window.
 */

import { dispatch, fail, isObject, type JsonObject, type Route, type RouteHandler } from './module-kit.js';
import {
  addTags,
  parseTags,
  projectTagValues,
  removeTags,
  type Tag,
  type TagEdit,
  type TagRules,
} from './tags.js';
import { applyDueTransitions } from './transitions.js';
import type { KafkaInstance, ServiceModule, World } from './types.js';
import { CROSS_VPC_PORT, type IdFactory } from './world.js';

/* ------------------------------------------------------------------ timing and limits */

export interface DmsModuleOptions {
  /**
   * Opt-in fault: emulated ms a cross-VPC modify keeps the instance CONFIGURING before its map shows
   * (RUNNING -> CONFIGURING -> RUNNING). Default 0: the modify takes effect at once, as documented.
   */
  crossVpcConfiguringMs?: number;
}
export const DMS_LIST_DEFAULT_LIMIT = 10;
export const DMS_LIST_MAX_LIMIT = 50;
/**
 * The strict set the reference chose for DMS (reference §A.6b, §13: OTC's DMS docs say 20 tags, key
 * ≤36, value ≤43, `[A-Za-z0-9_@-]`), kept so tags that pass here pass on every Huawei-based cloud.
 * The Huawei GSDK documents a looser set (services/kafka/v2/model/model_tag_entity.go, commit
 * 1cd70eb: key 1–128, value 0–255, any-language letters, digits, spaces and `_ . : = + - @`).
 */
export const DMS_TAG_LIMITS = { maxTags: 20, keyMaxLength: 36, valueMaxLength: 43 } as const;
/** Intra-VPC plaintext port the instance reports in `port` and the private connect address. */
export const DMS_PRIVATE_PORT = 9092;

/* ------------------------------------------------------------------ error codes (§A.7) */

const E = {
  /** Emulator's choice for a malformed request (the reference lists no DMS "invalid parameter" code). */
  invalidRequest: 'DMS.00400005',
  emptyBody: 'DMS.00400004',
  instanceStatus: 'DMS.00400026',
  instanceNotFound: 'DMS.00404022',
  unknownUrl: 'DMS.00404001',
  invalidLimit: 'DMS.10240042',
  invalidOffset: 'DMS.10240043',
  invalidTag: 'DMS.10240004',
  projectMismatch: 'DMS.10240104',
} as const;

/**
 * DMS's parameters of the shared tag engine (tags.ts): one code for every tag refusal
 * (DMS.10240004), and a create item must carry its value.
 */
export const DMS_TAG_RULES: TagRules = {
  ...DMS_TAG_LIMITS,
  charset: /^[A-Za-z0-9_@-]*$/,
  valueRequired: true,
  codes: {
    notAList: E.invalidTag,
    empty: E.invalidTag,
    duplicate: E.invalidTag,
    charset: E.invalidTag,
    tooMany: E.invalidTag,
    keyLength: E.invalidTag,
    valueLength: E.invalidTag,
  },
};

/* ------------------------------------------------------------------ helpers */

type Handler = RouteHandler;

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
/** RFC 1123 host name with at least one dot and one letter somewhere (so `300.1.1.1` is not a name). */
const DOMAIN_NAME =
  /^(?=.{1,253}$)(?=.*[A-Za-z])([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

/** An advertised address may be an IPv4 address or a domain name (API doc of crossvpc/modify). */
export function isValidAdvertisedAddress(value: string): boolean {
  if (/^[\d.]+$/.test(value)) return IPV4.test(value);
  return DOMAIN_NAME.test(value);
}

function ownInstance(world: World, projectId: string, id: string): KafkaInstance {
  const instance = world.kafkaInstances.find((i) => i.instanceId === id && i.projectId === projectId);
  if (!instance) fail(404, E.instanceNotFound, 'This instance does not exist.');
  return instance;
}

function parseLimit(
  raw: string | null,
  fallback: number,
  min: number,
  max: number,
  code: string,
  name: string,
): number {
  if (raw === null || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) fail(400, code, `The ${name} ${raw} is invalid.`);
  const value = Number(raw);
  if (value < min || value > max) fail(400, code, `The ${name} ${raw} is out of range [${min}, ${max}].`);
  return value;
}

/* ------------------------------------------------------------------ rendering */

/** `cross_vpc_info`: a JSON document in a string, keyed by listener IP; "" until the instance is created. */
function crossVpcInfo(instance: KafkaInstance): string {
  if (instance.status === 'CREATING' || instance.brokers.length === 0) return '';
  const info: Record<string, { advertised_ip: string; port: number; port_id: string }> = {};
  for (const broker of instance.brokers) {
    info[broker.listenerIp] = {
      advertised_ip: broker.advertisedIp,
      port: CROSS_VPC_PORT,
      port_id: broker.portId,
    };
  }
  return JSON.stringify(info);
}

function renderInstance(world: World, instance: KafkaInstance): JsonObject {
  const ips = instance.brokers.map((b) => b.listenerIp);
  const vpc = world.vpcs.find((v) => v.id === instance.vpcId);
  const subnet = world.subnets.find((s) => s.id === instance.subnetId);
  const securityGroup = world.securityGroups.find((g) => g.id === instance.securityGroupId);
  const owner = world.accounts.find((a) => a.projectId === instance.projectId);
  const body: JsonObject = {
    name: instance.name,
    engine: 'kafka',
    port: DMS_PRIVATE_PORT,
    status: instance.status,
    type: 'cluster',
    specification: '100MB',
    engine_version: '2.7',
    connect_address: ips.join(','),
    instance_id: instance.instanceId,
    resource_spec_code: 'dms.instance.kafka.cluster.c3.mini',
    charging_mode: 1,
    vpc_id: instance.vpcId,
    vpc_name: vpc?.name ?? '',
    created_at: String(instance.createdAt),
    product_id: '00300-30308-0--0',
    security_group_id: instance.securityGroupId,
    security_group_name: securityGroup?.name ?? '',
    subnet_id: instance.subnetId,
    subnet_name: subnet?.name ?? '',
    subnet_cidr: subnet?.cidr ?? '',
    available_zones: ['38b0f7a602344246bcb0da47b5d548e7'],
    user_id: owner?.domainId ?? '',
    user_name: owner?.domainName ?? '',
    kafka_manager_user: 'root',
    maintain_begin: '02:00:00',
    maintain_end: '06:00:00',
    enable_log_collection: false,
    storage_space: 492,
    total_storage_space: 600,
    used_storage_space: 25,
    partition_num: '300',
    broker_num: instance.brokers.length,
    enable_publicip: false,
    ssl_enable: instance.sslEnable,
    management_connect_address: ips.length > 0 ? `https://${ips[0]}:9999` : '',
    cross_vpc_info: crossVpcInfo(instance),
    storage_resource_id: instance.instanceId,
    storage_spec_code: 'dms.physical.storage.ultra',
    service_type: 'advanced',
    storage_type: 'hec',
    enterprise_project_id: instance.enterpriseProjectId,
    is_logical_volume: true,
    extend_times: 0,
    retention_policy: 'produce_reject',
    ipv6_enable: false,
    ipv6_connect_addresses: [],
    connector_enable: false,
    connector_id: '',
    rest_enable: false,
    rest_connect_address: '',
    kafka_public_status: 'closed',
    public_boundwidth: 0,
    message_query_inst_enable: true,
    vpc_client_plain: false,
    support_features: 'kafka.new.pod.port,feature.physerver.kafka.user.manager',
    trace_enable: false,
    agent_enable: false,
    pod_connect_address: '',
    disk_encrypted: false,
    kafka_private_connect_address: ips.map((ip) => `${ip}:${DMS_PRIVATE_PORT}`).join(','),
    enable_auto_topic: false,
    ces_version: 'linux',
    tags: instance.tags.map((t) => ({ ...t })),
  };
  // Like the documented example (ssl_enable false), SASL fields only appear when security is on.
  if (instance.sslEnable) {
    body.kafka_security_protocol = instance.securityProtocol;
    body.sasl_enabled_mechanisms = [...instance.saslMechanisms];
  }
  return body;
}

/* ------------------------------------------------------------------ instances */

const showInstance: Handler = (_req, ctx, { projectId, id }) => ({
  status: 200,
  body: renderInstance(ctx.world, ownInstance(ctx.world, projectId, id)),
});

const listInstances: Handler = (req, ctx, { projectId }) => {
  const engine = req.query.get('engine');
  if (engine !== 'kafka')
    fail(400, E.invalidRequest, `The engine ${engine ?? '(missing)'} is invalid; use kafka.`);
  const limit = parseLimit(
    req.query.get('limit'),
    DMS_LIST_DEFAULT_LIMIT,
    1,
    DMS_LIST_MAX_LIMIT,
    E.invalidLimit,
    'limit',
  );
  const offset = parseLimit(
    req.query.get('offset'),
    0,
    0,
    Number.MAX_SAFE_INTEGER,
    E.invalidOffset,
    'offset',
  );
  const name = req.query.get('name');
  const exactName = req.query.get('exact_match_name') === 'true';
  const instanceId = req.query.get('instance_id');
  const status = req.query.get('status');
  const enterpriseProjectId = req.query.get('enterprise_project_id');
  const includeFailure = req.query.get('include_failure') !== 'false';
  const matching = ctx.world.kafkaInstances
    .map((instance, index) => ({ instance, index }))
    .filter(
      ({ instance: i }) =>
        i.projectId === projectId &&
        (!name || (exactName ? i.name === name : i.name.includes(name))) &&
        (!instanceId || i.instanceId === instanceId) &&
        (!status || i.status === status) &&
        (!enterpriseProjectId || i.enterpriseProjectId === enterpriseProjectId) &&
        (includeFailure || (i.status !== 'CREATEFAILED' && i.status !== 'ERROR')),
    )
    // Newest first, as the console and API list them; insertion order breaks ties.
    .sort((a, b) => b.instance.createdAt - a.instance.createdAt || b.index - a.index)
    .map(({ instance }) => instance);
  return {
    status: 200,
    body: {
      instances: matching.slice(offset, offset + limit).map((i) => renderInstance(ctx.world, i)),
      instance_num: matching.length,
    },
  };
};

const modifyCrossVpc =
  (configuringMs: number): Handler =>
  (req, ctx, { projectId, id }) => {
    const instance = ownInstance(ctx.world, projectId, id);
    if (req.body === undefined) fail(400, E.emptyBody, 'The request body is empty.');
    const contents = isObject(req.body) ? req.body.advertised_ip_contents : undefined;
    if (!isObject(contents) || Object.keys(contents).length === 0) {
      fail(
        400,
        E.invalidRequest,
        'advertised_ip_contents is required and must map listener IPs to advertised addresses.',
      );
    }
    if (instance.status !== 'RUNNING') {
      fail(400, E.instanceStatus, 'This operation is not allowed due to the instance status.');
    }
    const listeners = instance.brokers.map((b) => b.listenerIp);
    const unknown = Object.keys(contents).filter((ip) => !listeners.includes(ip));
    const missing = listeners.filter((ip) => !(ip in contents));
    // A partial map would leave brokers advertising addresses no client can reach: refuse it whole.
    if (unknown.length > 0 || missing.length > 0) {
      const parts = [
        unknown.length > 0 ? `not listener IPs of the instance: ${unknown.join(', ')}` : '',
        missing.length > 0 ? `listener IPs missing: ${missing.join(', ')}` : '',
      ].filter(Boolean);
      fail(400, E.invalidRequest, `Invalid advertised_ip_contents (${parts.join('; ')}).`);
    }
    const results = listeners.map((ip) => {
      const value = contents[ip];
      const advertised = typeof value === 'string' ? value : String(value);
      return {
        ip,
        advertised_ip: advertised,
        success: typeof value === 'string' && isValidAdvertisedAddress(value),
      };
    });
    const success = results.every((r) => r.success);
    // Per-address failures come back as HTTP 200 with success:false, and nothing is changed.
    if (success) {
      const map = Object.fromEntries(results.map((r) => [r.ip, r.advertised_ip]));
      if (configuringMs > 0) {
        instance.pendingAdvertisedIps = map;
        instance.status = 'CONFIGURING';
        instance.transitions.push({ at: ctx.clock.now() + configuringMs, to: 'RUNNING' });
      } else applyAdvertised(instance, map);
    }
    return { status: 200, body: { success, results } };
  };

/* ------------------------------------------------------------------ tags */

function parseTagAction(
  body: unknown,
): { action: 'create'; tags: Tag[] } | { action: 'delete'; tags: TagEdit[] } {
  if (body === undefined) fail(400, E.emptyBody, 'The request body is empty.');
  if (!isObject(body)) fail(400, E.invalidRequest, 'The request body must be a JSON object.');
  const action = body.action;
  if (action === 'create')
    return { action, tags: parseTags(DMS_TAG_RULES, body.tags, { allowEmpty: false }) };
  if (action === 'delete') {
    return { action, tags: parseTags(DMS_TAG_RULES, body.tags, { allowEmpty: false, keyOnly: true }) };
  }
  return fail(400, E.invalidRequest, 'action must be create or delete.');
}

const showTags: Handler = (_req, ctx, { projectId, id }) => ({
  status: 200,
  body: { tags: ownInstance(ctx.world, projectId, id).tags.map((t) => ({ ...t })) },
});

const tagsAction: Handler = (req, ctx, { projectId, id }) => {
  const instance = ownInstance(ctx.world, projectId, id);
  const edit = parseTagAction(req.body);
  instance.tags =
    edit.action === 'create'
      ? addTags(DMS_TAG_RULES, instance.tags, edit.tags, 'instance')
      : removeTags(instance.tags, edit.tags);
  return { status: 204 };
};

const projectTags: Handler = (_req, ctx, { projectId }) => ({
  status: 200,
  body: {
    tags: projectTagValues(
      ctx.world.kafkaInstances.filter((i) => i.projectId === projectId).map((i) => i.tags),
    ),
  },
});

/* ------------------------------------------------------------------ state machine */

function applyAdvertised(instance: KafkaInstance, map: Record<string, string>): void {
  for (const broker of instance.brokers) {
    const advertised = map[broker.listenerIp];
    if (advertised !== undefined) broker.advertisedIp = advertised;
  }
}

function settleInstance(instance: KafkaInstance, now: number): void {
  applyDueTransitions(instance, now);
  // With the CONFIGURING fault, the modification commits when its window ends.
  if (instance.pendingAdvertisedIps && instance.status !== 'CONFIGURING') {
    applyAdvertised(instance, instance.pendingAdvertisedIps);
    delete instance.pendingAdvertisedIps;
  }
}

/* ------------------------------------------------------------------ routing */

const P = '^/v2/([^/]+)';
const ID = '([^/]+)';

const routes = (options: DmsModuleOptions): Route[] => [
  { method: 'GET', pattern: new RegExp(`${P}/instances$`), handler: listInstances },
  { method: 'GET', pattern: new RegExp(`${P}/instances/${ID}$`), handler: showInstance },
  {
    method: 'POST',
    pattern: new RegExp(`${P}/instances/${ID}/crossvpc/modify$`),
    handler: modifyCrossVpc(options.crossVpcConfiguringMs ?? 0),
  },
  { method: 'GET', pattern: new RegExp(`${P}/kafka/tags$`), handler: projectTags },
  { method: 'GET', pattern: new RegExp(`${P}/kafka/${ID}/tags$`), handler: showTags },
  { method: 'POST', pattern: new RegExp(`${P}/kafka/${ID}/tags/action$`), handler: tagsAction },
];

const SERVICE_PATH = /^\/v2\/[^/]+\/(instances|kafka)(\/|$)/;

export function createDmsModule(options: DmsModuleOptions = {}): ServiceModule {
  const configuringMs = options.crossVpcConfiguringMs ?? 0;
  if (!Number.isFinite(configuringMs) || configuringMs < 0) {
    throw new RangeError(`crossVpcConfiguringMs must be a number >= 0, got ${configuringMs}`);
  }
  const ROUTES = routes({ crossVpcConfiguringMs: configuringMs });
  return {
    name: 'dms',
    invalidBodyCode: E.invalidRequest,
    matches: (_method, path) => SERVICE_PATH.test(path),
    errorBody: (code, message) => ({ error_code: code, error_msg: message }),
    handle(req, ctx) {
      return dispatch(ROUTES, req, ctx, {
        projectMismatch: () => fail(401, E.projectMismatch, 'The project ID does not match the token.'),
        unknownRoute: () => fail(404, E.unknownUrl, `The URL ${req.method} ${req.path} does not exist.`),
      });
    },
    settle(ctx) {
      const now = ctx.clock.now();
      for (const instance of ctx.world.kafkaInstances) settleInstance(instance, now);
    },
  };
}

/** The CTS trace of a finished Kafka instance creation (reference functiongraph §2.5). */
export function kafkaCreatedTrace(
  world: World,
  instance: KafkaInstance,
  now: number,
  ids: IdFactory,
): Record<string, unknown> {
  const account = world.accounts.find((a) => a.projectId === instance.projectId);
  const domainId = account?.domainId ?? '';
  return {
    trace_id: ids(),
    trace_name: 'createDMSInstanceTaskSuccess',
    trace_type: 'SystemAction',
    trace_status: 'normal',
    trace_rating: 'normal',
    event_type: 'system',
    service_type: 'DMS',
    resource_type: 'kafka',
    resource_id: instance.instanceId,
    resource_name: instance.name,
    resource_account_id: domainId,
    code: 200,
    api_version: 'v2',
    time: now,
    record_time: now,
    project_id: instance.projectId,
    domain_id: domainId,
    enterprise_project_id: instance.enterpriseProjectId,
    tracker_name: 'system',
    user: { name: 'op_svc_dms', id: '', domain: { name: account?.domainName ?? '', id: domainId } },
    request: {},
    response: {},
    message: '',
  };
}
