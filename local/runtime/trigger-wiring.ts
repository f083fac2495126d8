/**
 * Wiring of triggers to the local host: SMN deliveries routed to the function (and, from
 * serverless.yml, subscribed through the SMN API as a deploy would), TIMER schedules armed on the
 * emulator clock, CTS filters registered. Their semantics (schedules, events, filters) are in
 * triggers.ts.
 */
import type { CloudHttp } from '../../shared/cloud/types.js';
import type { EmulatorConfig, EmulatorHandle } from '../cloud/server.js';
import { errorMessage, RuntimeStartError } from './errors.js';
import type { TriggerSpec } from './serverless.js';
import {
  eventDataField,
  nextCronTime,
  parseCtsOperations,
  parseTimerSchedule,
  TriggerConfigError,
  timerEvent,
} from './triggers.js';
import type { LoadedFunction, RuntimeTriggerInfo, TriggerSource } from './types.js';

/** SMN `remark` is at most 128 bytes. */
const MAX_REMARK = 120;

/** What trigger wiring needs from the runtime. */
export interface TriggerHost {
  readonly emulator: EmulatorHandle;
  readonly config: EmulatorConfig;
  enqueue(fn: LoadedFunction, event: unknown, trigger: TriggerSource): void;
  isClosed(): boolean;
  log(message: string): void;
}

/**
 * On-failure SMN destinations must exist for the failure record to be published. `serverless
 * deploy` creates them; running serverless.yml directly, this runtime stands in for the deploy and
 * creates the ones of this project that are missing (SMN topic creation is idempotent).
 */
export async function ensureFailureTopics(
  host: TriggerHost,
  functions: Iterable<LoadedFunction>,
  subscriber: CloudHttp,
): Promise<void> {
  const wanted = new Set<string>();
  for (const fn of functions) {
    const onFailure = fn.spec.asyncInvoke.onFailure;
    if (onFailure?.destination.toUpperCase() === 'SMN' && onFailure.topicUrn) wanted.add(onFailure.topicUrn);
  }
  for (const topicUrn of wanted) {
    const [, , region, projectId, name] = topicUrn.split(':');
    if (region !== host.config.region || projectId !== host.config.projectId || !name) continue;
    if (host.emulator.world.topics.some((t) => t.topicUrn === topicUrn)) continue;
    await subscriber.send({
      method: 'POST',
      path: '/v2/{project_id}/notifications/topics',
      // display_name is mandatory (SMN CreateTopic); the deploy plugin sends the name too.
      body: { name, display_name: name },
    });
    host.log(`created the on-failure topic ${topicUrn} (serverless deploy creates it in a real account)`);
  }
}

/**
 * Arms one trigger here: SMN deliveries routed to the function, timers on the emulated clock, CTS
 * filters. Throws on a malformed trigger. `info` says how the trigger runs locally.
 */
export function wireTrigger(host: TriggerHost, fn: LoadedFunction, trigger: TriggerSpec): RuntimeTriggerInfo {
  const type = trigger.triggerTypeCode;
  const data = trigger.eventData;
  const info = (mode: RuntimeTriggerInfo['mode'], detail: string): RuntimeTriggerInfo => ({
    type,
    status: trigger.status,
    mode,
    detail,
  });
  if (trigger.status !== 'ACTIVE') return info('disabled', 'status DISABLED');
  switch (type) {
    case 'SMN': {
      const topicUrn = eventDataField(data, 'topicUrn');
      if (typeof topicUrn !== 'string' || !/^urn:smn:[^:]+:[^:]+:[^:]+$/.test(topicUrn)) {
        throw new TriggerConfigError(
          `SMN trigger: eventData.topicUrn ${JSON.stringify(topicUrn)} is not a topic URN`,
        );
      }
      fn.smnTopics.add(topicUrn);
      return info('emulated', topicUrn);
    }
    case 'TIMER':
      return info('emulated', armTimer(host, fn, data));
    case 'CTS': {
      const operations = eventDataField(data, 'operations');
      fn.ctsOperations.push(...parseCtsOperations(operations));
      return info('emulated', (operations as string[]).join(', '));
    }
    default:
      // KAFKA (and APIG, OBS, …) need a real broker or gateway; say so instead of pretending.
      host.log(`function ${fn.name}: ${type} trigger is ACTIVE but not emulated locally; it will not fire`);
      return info('not-emulated', `${type} triggers are not emulated`);
  }
}

/** Deployed triggers: FunctionGraph already subscribed SMN; a bad trigger is reported, not fatal. */
export function setUpDeployedTrigger(
  host: TriggerHost,
  fn: LoadedFunction,
  trigger: TriggerSpec,
): RuntimeTriggerInfo {
  try {
    return wireTrigger(host, fn, trigger);
  } catch (error) {
    const type = trigger.triggerTypeCode;
    host.log(`function ${fn.name}: ${type} trigger not wired: ${errorMessage(error)}`);
    return { type, status: trigger.status, mode: 'not-emulated', detail: errorMessage(error) };
  }
}

/** Triggers from serverless.yml: SMN ones are subscribed through the SMN API, as a deploy would. */
export async function setUpTrigger(
  host: TriggerHost,
  fn: LoadedFunction,
  trigger: TriggerSpec,
  subscriber: CloudHttp,
): Promise<RuntimeTriggerInfo> {
  try {
    const info = wireTrigger(host, fn, trigger);
    if (trigger.triggerTypeCode === 'SMN' && info.mode === 'emulated') {
      await subscriber.send({
        method: 'POST',
        path: `/v2/{project_id}/notifications/topics/${info.detail}/subscriptions`,
        body: {
          protocol: 'functionstage',
          endpoint: fn.urn,
          remark: `kafka-vpcep-link local runtime: ${fn.name}`.slice(0, MAX_REMARK),
        },
      });
    }
    return info;
  } catch (error) {
    throw new RuntimeStartError(
      `function ${fn.name}: ${trigger.triggerTypeCode} trigger: ${errorMessage(error)}`,
      { cause: error },
    );
  }
}

function armTimer(host: TriggerHost, fn: LoadedFunction, data: Record<string, unknown>): string {
  const triggerName = String(eventDataField(data, 'name') ?? `${fn.name}-timer`);
  const schedule = parseTimerSchedule(
    eventDataField(data, 'scheduleType'),
    eventDataField(data, 'schedule'),
    triggerName,
  );
  const userEvent = eventDataField(data, 'userEvent');
  const clock = host.emulator.clock;
  // Inside a clock callback now() reads the due time, so the event's `time` is the scheduled one.
  const fire = () => host.enqueue(fn, timerEvent({ triggerName, userEvent, now: clock.now() }), 'TIMER');
  if (schedule.kind === 'interval') {
    fn.cancel.push(clock.every(schedule.periodMs, fire));
    return `${triggerName} every ${schedule.periodMs} ms (${schedule.text})`;
  }
  // Cron: one `at` timer, re-armed at the next matching time after each firing.
  let cancel: (() => void) | undefined;
  const arm = (after: number) => {
    const next = nextCronTime(schedule.cron, after);
    if (next === undefined || host.isClosed()) return;
    cancel = clock.at(next, () => {
      fire();
      arm(next);
    });
  };
  arm(clock.now());
  fn.cancel.push(() => cancel?.());
  return `${triggerName} cron ${schedule.text} (UTC)`;
}
