/**
 * Trigger handlers: create (checking each type's event data against the world), list, show,
 * enable/disable, delete. An SMN trigger is a real `functionstage` subscription, as FunctionGraph
 * makes behind its SMN triggers, so a publish reaches the deployed function.
 */
import { randomUUID } from 'node:crypto';
import { fail, isObject, type JsonObject } from '../module-kit.js';
import type { EmuRequest, EmuResponse, ServiceContext, SmnSubscription } from '../types.js';
import {
  DISABLEABLE,
  DISABLED_BY_DEFAULT,
  E,
  MAX_TRIGGERS_PER_FUNCTION,
  TRIGGER_TYPES,
} from './constants.js';
import {
  changed,
  type DeployedFunction,
  type DeployedTrigger,
  deployedTriggers,
  functionGraphState,
  stamp,
} from './models.js';
import { body, integerField, stringField } from './parse.js';
import { triggerView } from './views.js';

/** Checks a trigger's event data and returns its identity (what makes two triggers the same). */
export function triggerIdentity(
  req: EmuRequest,
  ctx: ServiceContext,
  type: string,
  data: JsonObject,
): string {
  switch (type) {
    case 'SMN': {
      const topicUrn = stringField(data, 'topic_urn');
      if (!topicUrn) fail(400, E.invalid, 'SMN trigger: event_data.topic_urn is required.');
      const topic = ctx.world.topics.find(
        (t) => t.topicUrn === topicUrn && t.projectId === req.caller.projectId,
      );
      if (!topic) fail(404, E.notFound, `SMN trigger: topic ${topicUrn} does not exist.`);
      return topicUrn;
    }
    case 'TIMER': {
      const name = stringField(data, 'name');
      if (!name || !/^[A-Za-z][A-Za-z0-9_-]{0,63}$/.test(name))
        fail(400, E.invalid, 'TIMER trigger: invalid name.');
      const scheduleType = data.schedule_type;
      const schedule = stringField(data, 'schedule');
      if (scheduleType !== 'Rate' && scheduleType !== 'Cron') {
        fail(400, E.invalid, 'TIMER trigger: schedule_type must be Rate or Cron.');
      }
      if (!schedule) fail(400, E.invalid, 'TIMER trigger: schedule is required.');
      if (scheduleType === 'Rate') {
        // At most 60 minutes, 24 hours or 30 days [GSDK model_trigger_event_data_request_body.go].
        const rate = /^(\d+)([mhd])$/.exec(schedule);
        const most = { m: 60, h: 24, d: 30 }[rate?.[2] as 'm' | 'h' | 'd'];
        if (!rate || Number(rate[1]) < 1 || Number(rate[1]) > most) {
          fail(400, E.invalid, 'TIMER trigger: a Rate schedule is 1–60m, 1–24h or 1–30d.');
        }
      }
      if (
        scheduleType === 'Cron' &&
        !schedule.startsWith('@every ') &&
        schedule.trim().split(/\s+/).length < 6
      ) {
        fail(400, E.invalid, 'TIMER trigger: a Cron schedule has 6 fields (sec min hour day month weekday).');
      }
      if (data.user_event !== undefined && typeof data.user_event !== 'string') {
        fail(400, E.invalid, 'TIMER trigger: user_event must be a string.');
      }
      return name;
    }
    case 'CTS': {
      const name = stringField(data, 'name');
      if (!name) fail(400, E.invalid, 'CTS trigger: event_data.name is required.');
      const operations = data.operations;
      if (
        !Array.isArray(operations) ||
        operations.length === 0 ||
        !operations.every((o) => typeof o === 'string' && /^[A-Za-z0-9_-]+:[^:]+:[^:]+$/.test(o))
      ) {
        fail(
          400,
          E.invalid,
          'CTS trigger: operations must be ["<service>:<resource types>:<trace names>", …].',
        );
      }
      return name;
    }
    case 'KAFKA': {
      const instanceId = stringField(data, 'instance_id');
      if (!instanceId) fail(400, E.invalid, 'KAFKA trigger: event_data.instance_id is required.');
      if (
        !ctx.world.kafkaInstances.some(
          (i) => i.instanceId === instanceId && i.projectId === req.caller.projectId,
        )
      ) {
        fail(404, E.notFound, `KAFKA trigger: Kafka instance ${instanceId} does not exist.`);
      }
      const topics = data.topic_ids;
      if (
        !Array.isArray(topics) ||
        topics.length === 0 ||
        !topics.every((t) => typeof t === 'string' && t !== '')
      ) {
        fail(400, E.invalid, 'KAFKA trigger: topic_ids must be a non-empty list of topic names.');
      }
      const batch = data.batch_size === undefined ? 100 : integerField(data.batch_size);
      if (batch === undefined || batch < 1 || batch > 1000)
        fail(400, E.invalid, 'KAFKA trigger: batch_size is 1-1000.');
      return `${instanceId}/${[...topics].sort().join(',')}`;
    }
    default:
      // Not emulated beyond being recorded: identical event data is the same trigger.
      return JSON.stringify(data);
  }
}

export function createTrigger(req: EmuRequest, ctx: ServiceContext, fn: DeployedFunction): EmuResponse {
  const input = body(req);
  const type = input.trigger_type_code;
  if (typeof type !== 'string' || !TRIGGER_TYPES.has(type)) {
    fail(400, E.invalid, `Invalid trigger_type_code ${JSON.stringify(type)}.`);
  }
  const status = input.trigger_status ?? (DISABLED_BY_DEFAULT.has(type) ? 'DISABLED' : 'ACTIVE');
  if (status !== 'ACTIVE' && status !== 'DISABLED')
    fail(400, E.invalid, 'trigger_status must be ACTIVE or DISABLED.');
  if (status === 'DISABLED' && !DISABLEABLE.has(type))
    fail(400, E.invalid, `${type} triggers cannot be disabled.`);
  const data = input.event_data;
  if (!isObject(data)) fail(400, E.invalid, 'event_data must be an object.');
  const identity = triggerIdentity(req, ctx, type, data);
  const existing = deployedTriggers(ctx.world, fn.funcUrn);
  if (existing.length >= MAX_TRIGGERS_PER_FUNCTION)
    fail(400, E.invalid, 'A function has at most 10 triggers.');
  if (
    existing.some(
      (t) => t.triggerTypeCode === type && triggerIdentity(req, ctx, type, t.eventData) === identity,
    )
  ) {
    fail(409, E.exists, `The ${type} trigger already exists.`);
  }
  const now = stamp(ctx);
  const trigger: DeployedTrigger = {
    triggerId: ctx.newId(),
    funcUrn: fn.funcUrn,
    triggerTypeCode: type,
    triggerStatus: status,
    eventTypeCode: typeof input.event_type_code === 'string' ? input.event_type_code : '',
    eventData: structuredClone(data),
    createdTime: now,
    lastUpdatedTime: now,
  };
  if (type === 'SMN') trigger.subscriptionUrn = subscribeFunction(ctx, identity, fn);
  functionGraphState(ctx.world).triggers.push(trigger);
  changed(ctx);
  return { status: 201, body: triggerView(trigger) };
}

/** What FunctionGraph does behind an SMN trigger: a `functionstage` subscription to the topic. */
export function subscribeFunction(ctx: ServiceContext, topicUrn: string, fn: DeployedFunction): string {
  const subscription: SmnSubscription = {
    subscriptionUrn: `${topicUrn}:${randomUUID().replace(/-/g, '')}`,
    topicUrn,
    protocol: 'functionstage',
    endpoint: fn.funcUrn,
    remark: `FunctionGraph trigger of ${fn.funcName}`.slice(0, 128),
    projectId: fn.projectId,
  };
  ctx.world.subscriptions.push(subscription);
  return subscription.subscriptionUrn;
}

export function removeTriggerResources(ctx: ServiceContext, trigger: DeployedTrigger): void {
  if (trigger.subscriptionUrn) {
    ctx.world.subscriptions = ctx.world.subscriptions.filter(
      (s) => s.subscriptionUrn !== trigger.subscriptionUrn,
    );
  }
}
export function updateTrigger(req: EmuRequest, ctx: ServiceContext, trigger: DeployedTrigger): EmuResponse {
  const input = body(req);
  const status = input.trigger_status;
  if (status !== 'ACTIVE' && status !== 'DISABLED')
    fail(400, E.invalid, 'trigger_status must be ACTIVE or DISABLED.');
  if (status === 'DISABLED' && !DISABLEABLE.has(trigger.triggerTypeCode)) {
    fail(400, E.invalid, `${trigger.triggerTypeCode} triggers cannot be disabled.`);
  }
  trigger.triggerStatus = status;
  trigger.lastUpdatedTime = stamp(ctx);
  changed(ctx);
  return { status: 200, body: triggerView(trigger) };
}

export function deleteTriggers(ctx: ServiceContext, triggers: DeployedTrigger[]): EmuResponse {
  const state = functionGraphState(ctx.world);
  for (const trigger of triggers) removeTriggerResources(ctx, trigger);
  state.triggers = state.triggers.filter((t) => !triggers.includes(t));
  changed(ctx);
  return { status: 204 };
}
