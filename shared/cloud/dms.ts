/**
 * DMS for Kafka (API v2): instances, cross-VPC advertised listeners and instance tags.
 * Reference: huawei-cloud-api.md §A; paths confirmed against @huaweicloud/huaweicloud-sdk-kafka KafkaClient.
 */
import * as z from '../zod.js';
import { CrossVpcModifyError } from './errors.js';
import { bindOperations, type Operation } from './operations.js';
import type {
  CloudHttp,
  CrossVpcModifyResult,
  DmsClient,
  KafkaInstance,
  KafkaListener,
  ListInstancesFilter,
} from './types.js';
import {
  assertId,
  booleanish,
  collectOffsetPages,
  numberish,
  parseBody,
  TagListSchema,
  tagsForBody,
  toTags,
} from './validate.js';

/** `cross_vpc_info` is present but is not the documented JSON document. */
export class CrossVpcInfoError extends Error {
  override readonly name = 'CrossVpcInfoError';
  readonly instanceId: string;

  constructor(instanceId: string, reason: string, options?: { cause?: unknown }) {
    super(`instance ${instanceId}: cross_vpc_info is not valid: ${reason}`, options);
    this.instanceId = instanceId;
  }
}

/* ------------------------------------------------------------------ wire schemas */

// Each schema is built on first use (`z.lazy`, marked pure): a function bundle whose operations never
// parse it drops it (operations.ts).

/** One instance as returned by show-instance and inside list-instances (only what we read is typed). */
export const DmsInstanceSchema = /* @__PURE__ */ z.lazy(() =>
  z.looseObject({
    instance_id: z.string().check(z.minLength(1)),
    name: z.nullish(z.string()),
    status: z.string(),
    vpc_id: z.nullish(z.string()),
    subnet_id: z.nullish(z.string()),
    security_group_id: z.nullish(z.string()),
    enterprise_project_id: z.nullish(z.string()),
    broker_num: z.nullish(numberish),
    ssl_enable: z.nullish(booleanish),
    kafka_security_protocol: z.nullish(z.string()),
    sasl_enabled_mechanisms: z.nullish(z.array(z.string())),
    // A JSON document encoded as a string; "" right after creation.
    cross_vpc_info: z.nullish(z.string()),
    tags: TagListSchema,
    // Not typed: `created_at` and `partition_num` (strings in the SDK model and golangsdk) are read by
    // nothing here, and checking their format would only fail a real account's answer for no use.
  }),
);

export const DmsShowInstanceResponseSchema = DmsInstanceSchema;

export const DmsListInstancesResponseSchema = /* @__PURE__ */ z.lazy(() =>
  z.looseObject({
    instances: z.nullish(z.array(DmsInstanceSchema)),
    instance_num: z.nullish(numberish),
  }),
);

/** The decoded content of `cross_vpc_info`: listener IP -> broker listener. */
export const CrossVpcInfoSchema = /* @__PURE__ */ z.lazy(() =>
  z.record(
    z.string(),
    z.looseObject({
      advertised_ip: z.string(),
      port: numberish,
      port_id: z.string(),
    }),
  ),
);

export const DmsModifyCrossVpcResponseSchema = /* @__PURE__ */ z.lazy(() =>
  z.looseObject({
    success: booleanish,
    results: z.nullish(
      z.array(
        z.looseObject({
          ip: z.string(),
          advertised_ip: z.nullish(z.string()),
          success: booleanish,
        }),
      ),
    ),
  }),
);

/** Tag action (204, no body); tolerate a JSON object from a proxy or a newer API. */
export const DmsTagActionResponseSchema = /* @__PURE__ */ z.lazy(() =>
  z.union([z.undefined(), z.null(), z.looseObject({})]),
);

/* ------------------------------------------------------------------ request bodies */

export interface DmsModifyCrossVpcBody {
  advertised_ip_contents: Record<string, string>;
}

export function buildModifyCrossVpcBody(advertised: Record<string, string>): DmsModifyCrossVpcBody {
  return { advertised_ip_contents: { ...advertised } };
}

export interface DmsTagActionBody {
  action: 'create' | 'delete';
  tags: Array<{ key: string; value?: string }>;
}

export function buildTagActionBody(
  action: 'create' | 'delete',
  tags: ReadonlyArray<{ key: string; value?: string }>,
): DmsTagActionBody {
  return { action, tags: tagsForBody(tags) };
}

/* ------------------------------------------------------------------ mapping */

/** Orders IPv4 addresses numerically ("10.0.0.9" before "10.0.0.11"); anything else after, by text. */
export function compareIp(a: string, b: string): number {
  const ka = ipv4Key(a);
  const kb = ipv4Key(b);
  if (ka !== undefined && kb !== undefined) return ka - kb;
  if (ka !== undefined) return -1;
  if (kb !== undefined) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function ipv4Key(ip: string): number | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4) return undefined;
  let key = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    key = key * 256 + octet;
  }
  return key;
}

/** Decodes `cross_vpc_info` into listeners sorted by listener IP; "" or absent means none yet. */
export function parseCrossVpcInfo(instanceId: string, raw: string | null | undefined): KafkaListener[] {
  if (raw === undefined || raw === null || raw.trim() === '') return [];
  let decoded: unknown;
  try {
    decoded = JSON.parse(raw);
  } catch (error) {
    throw new CrossVpcInfoError(instanceId, 'not a JSON document', { cause: error });
  }
  const parsed = CrossVpcInfoSchema.safeParse(decoded);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
    throw new CrossVpcInfoError(
      instanceId,
      `expected {"<listener ip>": {advertised_ip, port, port_id}}${where}: ${issue?.message ?? 'invalid'}`,
      { cause: parsed.error },
    );
  }
  return Object.entries(parsed.data)
    .map(([listenerIp, entry]) => ({
      listenerIp,
      advertisedIp: entry.advertised_ip,
      port: entry.port,
      portId: entry.port_id,
    }))
    .sort((a, b) => compareIp(a.listenerIp, b.listenerIp));
}

export function toKafkaInstance(wire: z.output<typeof DmsInstanceSchema>): KafkaInstance {
  // ssl_enable is the SASL switch. When it is missing, a stated protocol is the best evidence.
  const saslOn =
    wire.ssl_enable ?? (wire.kafka_security_protocol !== undefined && wire.kafka_security_protocol !== null);
  const instance: KafkaInstance = {
    instanceId: wire.instance_id,
    name: wire.name ?? '',
    status: wire.status,
    vpcId: wire.vpc_id ?? '',
    subnetId: wire.subnet_id ?? '',
    securityGroupId: wire.security_group_id ?? '',
    listeners: parseCrossVpcInfo(wire.instance_id, wire.cross_vpc_info),
    securityProtocol: saslOn ? (wire.kafka_security_protocol ?? 'SASL_SSL') : 'PLAINTEXT',
    // PLAINTEXT listeners take no SASL mechanism even if the field is filled in.
    saslMechanisms: saslOn ? (wire.sasl_enabled_mechanisms ?? ['PLAIN']) : [],
    tags: toTags(wire.tags),
  };
  if (wire.enterprise_project_id) instance.enterpriseProjectId = wire.enterprise_project_id;
  if (wire.broker_num !== undefined && wire.broker_num !== null) instance.brokerNum = wire.broker_num;
  return instance;
}

/* ------------------------------------------------------------------ operations */

type DmsOperation<K extends keyof DmsClient> = Operation<DmsClient[K]>;

const instancePath = (instanceId: string): string =>
  `/v2/{project_id}/instances/${assertId('instanceId', instanceId)}`;
const tagsPath = (instanceId: string): string =>
  `/v2/{project_id}/kafka/${assertId('instanceId', instanceId)}/tags`;

async function tagAction(
  http: CloudHttp,
  instanceId: string,
  action: 'create' | 'delete',
  tags: ReadonlyArray<{ key: string; value?: string }>,
): Promise<void> {
  const path = `${tagsPath(instanceId)}/action`;
  // An empty tag list is rejected by the API; nothing to do is not an error.
  if (tags.length === 0) return;
  const response = await http.send({ method: 'POST', path, body: buildTagActionBody(action, tags) });
  parseBody(DmsTagActionResponseSchema, response, 'dms', `${action} instance tags`);
}

export const showInstance: DmsOperation<'showInstance'> = async (http, instanceId) => {
  const response = await http.send({ method: 'GET', path: instancePath(instanceId) });
  return toKafkaInstance(parseBody(DmsShowInstanceResponseSchema, response, 'dms', 'show instance'));
};

export const listInstances: DmsOperation<'listInstances'> = async (
  http,
  filter: ListInstancesFilter = {},
) => {
  // limit 1–50 (DMS.10240042 above) [GSDK services/kafka/v2/model/model_list_instances_request.go].
  const INSTANCES_PAGE_SIZE = 50;
  const wires = await collectOffsetPages('dms list instances', INSTANCES_PAGE_SIZE, async (offset, limit) => {
    const response = await http.send({
      method: 'GET',
      path: '/v2/{project_id}/instances',
      query: {
        engine: 'kafka',
        name: filter.name,
        status: filter.status,
        enterprise_project_id: filter.enterpriseProjectId,
        offset,
        limit,
      },
    });
    const page = parseBody(DmsListInstancesResponseSchema, response, 'dms', 'list instances');
    return { items: page.instances ?? [], total: page.instance_num ?? undefined };
  });
  return wires.map(toKafkaInstance);
};

export const modifyCrossVpc: DmsOperation<'modifyCrossVpc'> = async (
  http,
  instanceId,
  advertised,
): Promise<CrossVpcModifyResult> => {
  const path = `${instancePath(instanceId)}/crossvpc/modify`;
  const response = await http.send({ method: 'POST', path, body: buildModifyCrossVpcBody(advertised) });
  const wire = parseBody(DmsModifyCrossVpcResponseSchema, response, 'dms', 'modify cross-VPC listeners');
  const result: CrossVpcModifyResult = {
    success: wire.success,
    results: (wire.results ?? []).map((item) => ({
      ip: item.ip,
      advertisedIp: item.advertised_ip ?? '',
      success: item.success,
    })),
  };
  const failed = result.results.filter((item) => !item.success).map((item) => item.ip);
  if (!result.success && failed.length === 0) {
    // Overall failure without a per-IP culprit: every listener we did not see succeed is suspect.
    const succeeded = new Set(result.results.filter((item) => item.success).map((item) => item.ip));
    failed.push(...Object.keys(advertised).filter((ip) => !succeeded.has(ip)));
  }
  if (!result.success || failed.length > 0) {
    throw new CrossVpcModifyError(instanceId, failed.sort(compareIp), result);
  }
  return result;
};

export const createInstanceTags: DmsOperation<'createInstanceTags'> = (http, instanceId, tags) =>
  tagAction(http, instanceId, 'create', tags);

export const deleteInstanceTags: DmsOperation<'deleteInstanceTags'> = (http, instanceId, tags) =>
  tagAction(http, instanceId, 'delete', tags);

/* ------------------------------------------------------------------ client */

/** Every DMS operation (the client's methods). */
export const DMS_OPERATIONS = {
  showInstance,
  listInstances,
  modifyCrossVpc,
  createInstanceTags,
  deleteInstanceTags,
};

export function createDmsClient(http: CloudHttp): DmsClient {
  return bindOperations(http, DMS_OPERATIONS);
}
