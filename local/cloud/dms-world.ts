/**
 * DMS's part of the World outside its API: the admin call that creates a Kafka instance (as the
 * console would), and the CREATING -> RUNNING transition with its CTS event, settled even when a
 * test mounts no DMS module (the seeded instance exists in every world). Registered with the core
 * as WorldHooks; the admin API only dispatches to them.
 */
import { kafkaCreatedTrace } from './dms.js';
import { isRecord } from './gateway/http.js';
import { EmulatorError } from './gateway/types.js';
import type { AdminContext, WorldHooks } from './module-kit.js';
import { applyDueTransitions } from './transitions.js';
import type { KafkaInstance } from './types.js';
import { addKafkaInstance } from './world.js';

export interface DmsWorldOptions {
  /** Emulated ms an admin-created Kafka instance stays CREATING, unless the call says otherwise. */
  kafkaCreateDelayMs?: number;
}

/** Admin `POST /_emulator/kafka-instances`: a CREATING instance that becomes RUNNING later. */
export function createKafkaInstance(
  ctx: AdminContext,
  input: unknown,
  options: DmsWorldOptions = {},
): KafkaInstance {
  if (!isRecord(input)) throw new EmulatorError('kafka-instances: expected a JSON object');
  const name = input.name;
  if (typeof name !== 'string' || !/^[A-Za-z][A-Za-z0-9_-]{3,63}$/.test(name)) {
    throw new EmulatorError('name must be 4-64 chars of letters, digits, _ or -, starting with a letter');
  }
  const { world, seed } = ctx;
  let subnetId = typeof input.subnetId === 'string' ? input.subnetId : undefined;
  let vpcId = typeof input.vpcId === 'string' ? input.vpcId : undefined;
  if (subnetId && !vpcId) vpcId = world.subnets.find((s) => s.id === subnetId)?.vpcId;
  if (vpcId && !subnetId) subnetId = world.subnets.find((s) => s.vpcId === vpcId)?.id;
  vpcId ??= seed?.instanceVpcId;
  subnetId ??= seed?.instanceSubnetId;
  if (!vpcId || !subnetId)
    throw new EmulatorError('vpcId/subnetId are required when the world is not seeded');
  const vpc = world.vpcs.find((v) => v.id === vpcId);
  if (!vpc) throw new EmulatorError(`unknown VPC ${vpcId}`);
  const securityGroupId =
    (typeof input.securityGroupId === 'string' ? input.securityGroupId : undefined) ??
    (seed && world.securityGroups.some((g) => g.id === seed.securityGroupId && g.projectId === vpc.projectId)
      ? seed.securityGroupId
      : world.securityGroups.find((g) => g.projectId === vpc.projectId)?.id);
  if (!securityGroupId) throw new EmulatorError(`no security group in project ${vpc.projectId}`);
  const tags = parseAdminTags(input.tags);
  const brokers = input.brokers === undefined ? 3 : Number(input.brokers);
  const createDelayMs =
    input.createDelayMs === undefined ? options.kafkaCreateDelayMs : Number(input.createDelayMs);
  if (createDelayMs !== undefined && (!Number.isFinite(createDelayMs) || createDelayMs < 0)) {
    throw new EmulatorError('createDelayMs must be a number >= 0');
  }
  ctx.settle();
  const instance = addKafkaInstance(world, ctx.clock, () => ctx.newId(), {
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
  ctx.settle();
  return instance;
}

/** Tags as `[{key, value}]` or `{key: value}` (the admin call's convenience, not DMS's API). */
function parseAdminTags(input: unknown): Array<{ key: string; value: string }> {
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

export function dmsWorldHooks(options: DmsWorldOptions = {}): WorldHooks {
  return {
    name: 'dms',
    admin: [
      {
        method: 'POST',
        pattern: /^kafka-instances$/,
        handle: (ctx, call) => ({ status: 201, body: createKafkaInstance(ctx, call.body(), options) }),
      },
    ],
    settle(ctx) {
      const now = ctx.clock.now();
      for (const instance of ctx.world.kafkaInstances) {
        // Idempotent with a DMS module that applies the same transitions first.
        applyDueTransitions(instance, now);
        if (instance.status === 'RUNNING' && instance.ctsEmitted === false) {
          instance.ctsEmitted = true;
          ctx.emitCts(kafkaCreatedTrace(ctx.world, instance, now, () => ctx.newId()));
        }
      }
    },
    scheduled: (world) => world.kafkaInstances,
  };
}
