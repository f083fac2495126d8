/**
 * The admin API's changes to the world: Kafka instances created outside DMS's API (as the console
 * would), and endpoint or endpoint-service states forced by a test. They act on the World the DMS
 * and VPCEP modules serve, through world.ts, so neither module needs an admin entry point.
 */

import { isRecord } from '../gateway/http.js';
import { EmulatorError } from '../gateway/types.js';
import type { EmuClock, EndpointStatus, KafkaInstance, ServiceStatus, World } from '../types.js';
import { addKafkaInstance, type IdFactory, type SeedIds } from '../world.js';

export interface AdminReply {
  status: number;
  body?: unknown;
}

/** What the admin changes need of the emulator. */
export interface AdminWorld {
  world: World;
  clock: EmuClock;
  ids: IdFactory;
  seed: SeedIds | undefined;
  /** Emulated ms an admin-created Kafka instance stays CREATING, unless the call says otherwise. */
  kafkaCreateDelayMs: number | undefined;
  settle(): void;
}

const ENDPOINT_STATUSES: ReadonlySet<string> = new Set<EndpointStatus>([
  'creating',
  'pendingAcceptance',
  'accepted',
  'rejected',
  'failed',
  'deleting',
]);
const SERVICE_STATUSES: ReadonlySet<string> = new Set<ServiceStatus>([
  'creating',
  'available',
  'failed',
  'deleting',
]);

/** Admin `POST /_emulator/kafka-instances`: a CREATING instance that becomes RUNNING later. */
export function createKafkaInstance(emu: AdminWorld, input: unknown): KafkaInstance {
  if (!isRecord(input)) throw new EmulatorError('kafka-instances: expected a JSON object');
  const name = input.name;
  if (typeof name !== 'string' || !/^[A-Za-z][A-Za-z0-9_-]{3,63}$/.test(name)) {
    throw new EmulatorError('name must be 4-64 chars of letters, digits, _ or -, starting with a letter');
  }
  let subnetId = typeof input.subnetId === 'string' ? input.subnetId : undefined;
  let vpcId = typeof input.vpcId === 'string' ? input.vpcId : undefined;
  if (subnetId && !vpcId) vpcId = emu.world.subnets.find((s) => s.id === subnetId)?.vpcId;
  if (vpcId && !subnetId) subnetId = emu.world.subnets.find((s) => s.vpcId === vpcId)?.id;
  vpcId ??= emu.seed?.instanceVpcId;
  subnetId ??= emu.seed?.instanceSubnetId;
  if (!vpcId || !subnetId)
    throw new EmulatorError('vpcId/subnetId are required when the world is not seeded');
  const vpc = emu.world.vpcs.find((v) => v.id === vpcId);
  if (!vpc) throw new EmulatorError(`unknown VPC ${vpcId}`);
  const securityGroupId =
    (typeof input.securityGroupId === 'string' ? input.securityGroupId : undefined) ??
    (emu.seed &&
    emu.world.securityGroups.some((g) => g.id === emu.seed?.securityGroupId && g.projectId === vpc.projectId)
      ? emu.seed.securityGroupId
      : emu.world.securityGroups.find((g) => g.projectId === vpc.projectId)?.id);
  if (!securityGroupId) throw new EmulatorError(`no security group in project ${vpc.projectId}`);
  const tags = parseTags(input.tags);
  const brokers = input.brokers === undefined ? 3 : Number(input.brokers);
  const createDelayMs =
    input.createDelayMs === undefined ? emu.kafkaCreateDelayMs : Number(input.createDelayMs);
  if (createDelayMs !== undefined && (!Number.isFinite(createDelayMs) || createDelayMs < 0)) {
    throw new EmulatorError('createDelayMs must be a number >= 0');
  }
  emu.settle();
  const instance = addKafkaInstance(emu.world, emu.clock, emu.ids, {
    name,
    projectId: vpc.projectId,
    brokers,
    tags,
    vpcId,
    subnetId,
    securityGroupId,
    status: 'CREATING',
    createDelayMs,
  });
  emu.settle();
  return instance;
}

/** Admin `POST /_emulator/endpoints/{id}/state`: force a state, dropping pending transitions. */
export function forceState(
  emu: Pick<AdminWorld, 'world' | 'clock' | 'settle'>,
  kind: 'endpoints' | 'endpoint-services',
  id: string,
  input: unknown,
): AdminReply {
  if (!isRecord(input) || typeof input.status !== 'string')
    throw new EmulatorError('state: expected {status}');
  const status = input.status;
  emu.settle();
  const stamp = new Date(emu.clock.now()).toISOString();
  if (kind === 'endpoints') {
    if (!ENDPOINT_STATUSES.has(status)) throw new EmulatorError(`unknown endpoint status ${status}`);
    const endpoint = emu.world.endpoints.find((e) => e.id === id);
    if (!endpoint) return { status: 404, body: { error: `no endpoint ${id}` } };
    endpoint.status = status as EndpointStatus;
    endpoint.transitions = [];
    endpoint.updatedAt = stamp;
    if ((status === 'failed' || status === 'rejected') && typeof input.errorCode === 'string') {
      endpoint.errors = [{ error_code: input.errorCode, error_message: String(input.errorMessage ?? '') }];
    }
    emu.settle();
    return { status: 200, body: endpoint };
  }
  if (!SERVICE_STATUSES.has(status)) throw new EmulatorError(`unknown endpoint service status ${status}`);
  const service = emu.world.endpointServices.find((s) => s.id === id);
  if (!service) return { status: 404, body: { error: `no endpoint service ${id}` } };
  service.status = status as ServiceStatus;
  service.transitions = [];
  service.updatedAt = stamp;
  emu.settle();
  return { status: 200, body: service };
}

/** Tags as `[{key, value}]` or `{key: value}`. */
function parseTags(input: unknown): Array<{ key: string; value: string }> {
  if (input === undefined) return [];
  if (Array.isArray(input)) {
    return input.map((t) => {
      if (!isRecord(t) || typeof t.key !== 'string') throw new EmulatorError('tags: expected [{key, value}]');
      return { key: t.key, value: t.value === undefined ? '' : String(t.value) };
    });
  }
  if (isRecord(input)) return Object.entries(input).map(([key, value]) => ({ key, value: String(value) }));
  throw new EmulatorError('tags: expected [{key, value}] or {key: value}');
}
