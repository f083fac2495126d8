/**
 * Trigger semantics of the local FunctionGraph host, kept free of I/O so they can be tested alone:
 * timer schedules (Rate, `@every`, 6-field Cron), the timer event, and the CTS operation filter
 * (reference functiongraph §2.1, §2.5).
 */
import { Cron } from 'croner';

export class TriggerConfigError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TriggerConfigError';
  }
}

/**
 * Reads an `eventData` field under its camelCase name (serverless-huawei-functions) or its
 * snake_case name (the trigger API / Terraform `event_data`), so either spelling works.
 */
export function eventDataField(data: Record<string, unknown>, camel: string): unknown {
  if (data[camel] !== undefined) return data[camel];
  const snake = camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  return data[snake];
}

/* ------------------------------------------------------------------ timer schedules */

export type TimerSchedule =
  | { kind: 'interval'; periodMs: number; text: string }
  | { kind: 'cron'; cron: CronExpression; text: string };

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** FunctionGraph's documented Rate bounds: minutes 1–60, hours 1–24, days 1–30. */
const RATE_UNITS: Record<string, { ms: number; max: number }> = {
  m: { ms: MINUTE, max: 60 },
  h: { ms: HOUR, max: 24 },
  d: { ms: DAY, max: 30 },
};

export function parseRate(schedule: string): number {
  const match = /^(\d+)\s*([mhd])$/.exec(schedule.trim());
  const unit = match?.[2] ? RATE_UNITS[match[2]] : undefined;
  const count = Number(match?.[1]);
  if (!unit || !Number.isInteger(count) || count < 1 || count > unit.max) {
    throw new TriggerConfigError(
      `Rate schedule ${JSON.stringify(schedule)}: expected Nm (1-60), Nh (1-24) or Nd (1-30)`,
    );
  }
  return count * unit.ms;
}

const DURATION_UNITS: Record<string, number> = { h: HOUR, m: MINUTE, s: 1000, ms: 1 };

/** `@every 1h30m`, `@every 30s` (Go duration syntax, as FunctionGraph's Cron form accepts). */
export function parseEvery(schedule: string): number {
  const body = /^@every\s+(\S+)$/.exec(schedule.trim())?.[1];
  const parts = body ? [...body.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)] : [];
  // The pieces must cover the whole text, so `@every 5x` or `@every 1h junk` are rejected.
  const covered = parts.map((p) => p[0]).join('');
  const total = parts.reduce((sum, p) => sum + Number(p[1]) * (DURATION_UNITS[p[2] ?? ''] ?? 0), 0);
  if (!body || covered !== body || !(total >= 1000)) {
    throw new TriggerConfigError(
      `Cron schedule ${JSON.stringify(schedule)}: expected @every <duration> of at least 1s`,
    );
  }
  return total;
}

export function parseTimerSchedule(
  scheduleType: unknown,
  schedule: unknown,
  triggerName?: string,
): TimerSchedule {
  if (typeof schedule !== 'string' || schedule.trim() === '') {
    throw new TriggerConfigError('TIMER trigger: eventData.schedule is required');
  }
  const type = typeof scheduleType === 'string' ? scheduleType : 'Rate';
  if (type.toLowerCase() === 'rate')
    return { kind: 'interval', periodMs: parseRate(schedule), text: schedule };
  if (type.toLowerCase() === 'cron') {
    if (schedule.trim().startsWith('@every')) {
      return { kind: 'interval', periodMs: parseEvery(schedule), text: schedule };
    }
    return { kind: 'cron', cron: parseCron(schedule, triggerName), text: schedule };
  }
  throw new TriggerConfigError(`TIMER trigger: scheduleType ${JSON.stringify(type)} is not Rate or Cron`);
}

/* ------------------------------------------------------------------ cron */

/**
 * A parsed Cron schedule, evaluated in UTC (the time zone FunctionGraph uses is unverified).
 * Parsing and matching are croner's; this module only pins the format FunctionGraph documents.
 */
export interface CronExpression {
  readonly text: string;
  readonly pattern: Cron;
}

/**
 * FunctionGraph's Cron form (reference functiongraph §2.1): exactly 6 fields
 * `sec min hour day month weekday`, Quartz-style (`?`, names, `5/15` = from 5 every 15), weekday
 * 0-7 or SUN-SAT. A 5-field crontab line is refused rather than guessed: read seconds-first it would
 * fire every minute where its author meant every hour.
 */
export function parseCron(schedule: string, triggerName?: string): CronExpression {
  const text = schedule.trim();
  const where = triggerName ? `TIMER trigger ${JSON.stringify(triggerName)}: ` : '';
  const fields = text.split(/\s+/).length;
  if (fields !== 6) {
    throw new TriggerConfigError(
      `${where}Cron schedule ${JSON.stringify(schedule)} has ${fields} fields; FunctionGraph expects 6 ` +
        '"sec min hour day month weekday" (e.g. "0 0 * * * ?" for hourly) or @every <duration>',
    );
  }
  try {
    // `paused` and no callback: croner only evaluates, it never schedules (the emulator clock does).
    const pattern = new Cron(text, { mode: '6-part', timezone: 'UTC', sloppyRanges: true, paused: true });
    return { text, pattern };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new TriggerConfigError(`${where}Cron schedule ${JSON.stringify(schedule)} is invalid: ${reason}`, {
      cause: error,
    });
  }
}

/**
 * The first time strictly after `after` (epoch ms) matching the expression, or undefined when none
 * exists (e.g. `0 0 0 31 2 ?`).
 */
export function nextCronTime(cron: CronExpression, after: number): number | undefined {
  return cron.pattern.nextRun(new Date(after))?.getTime();
}

/* ------------------------------------------------------------------ events */

/** `2026-11-25T08:30:00+00:00`: the samples' format (seconds, numeric offset), in UTC. */
export function timerTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}+00:00`;
}

/** The exact TIMER trigger event (reference §2.1); `user_event` is always a string. */
export function timerEvent(input: {
  triggerName: string;
  userEvent: unknown;
  now: number;
}): Record<string, unknown> {
  const userEvent =
    typeof input.userEvent === 'string'
      ? input.userEvent
      : input.userEvent === undefined || input.userEvent === null
        ? ''
        : JSON.stringify(input.userEvent);
  return {
    version: 'v1.0',
    time: timerTime(input.now),
    trigger_type: 'TIMER',
    trigger_name: input.triggerName,
    user_event: userEvent,
  };
}

/* ------------------------------------------------------------------ CTS */

export interface CtsOperation {
  service: string;
  resourceTypes: Set<string>;
  traceNames: Set<string>;
}

/** `service:resourceType[;resourceType…]:traceName[;traceName…]`, e.g. `DMS:kafka:createDMSInstanceTaskSuccess`. */
export function parseCtsOperations(operations: unknown): CtsOperation[] {
  if (!Array.isArray(operations) || operations.length === 0) {
    throw new TriggerConfigError('CTS trigger: eventData.operations must be a non-empty list');
  }
  return operations.map((operation) => {
    const parts = typeof operation === 'string' ? operation.split(':') : [];
    const split = (text: string | undefined) =>
      new Set(
        (text ?? '')
          .split(';')
          .map((s) => s.trim())
          .filter(Boolean),
      );
    const [service = '', resources, traces] = parts;
    const parsed = { service: service.trim(), resourceTypes: split(resources), traceNames: split(traces) };
    if (
      parts.length !== 3 ||
      !parsed.service ||
      parsed.resourceTypes.size === 0 ||
      parsed.traceNames.size === 0
    ) {
      throw new TriggerConfigError(
        `CTS trigger: operation ${JSON.stringify(operation)} is not "service:resourceType[;…]:traceName[;…]"`,
      );
    }
    return parsed;
  });
}

/**
 * Whether a CTS event (`{cts: {...}}`) passes one of the operations. Service and resource type
 * compare case-insensitively (`DMS`/`dms`, `kafka`/`Kafka` appear both ways in Huawei's docs); trace
 * names are exact, as they are identifiers.
 */
export function ctsMatches(operations: CtsOperation[], event: Record<string, unknown>): boolean {
  const cts = event.cts;
  if (typeof cts !== 'object' || cts === null) return false;
  const trace = cts as Record<string, unknown>;
  const service = String(trace.service_type ?? '').toLowerCase();
  const resource = String(trace.resource_type ?? '').toLowerCase();
  const name = String(trace.trace_name ?? '');
  return operations.some(
    (op) =>
      op.service.toLowerCase() === service &&
      [...op.resourceTypes].some((r) => r.toLowerCase() === resource) &&
      op.traceNames.has(name),
  );
}
