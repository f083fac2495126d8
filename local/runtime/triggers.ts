/**
 * Trigger semantics of the local FunctionGraph host, kept free of I/O so they can be tested alone:
 * timer schedules (Rate, `@every`, 6-field Cron), the timer event, and the CTS operation filter
 * (reference functiongraph §2.1, §2.5).
 */

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

export function parseTimerSchedule(scheduleType: unknown, schedule: unknown): TimerSchedule {
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
    return { kind: 'cron', cron: parseCron(schedule), text: schedule };
  }
  throw new TriggerConfigError(`TIMER trigger: scheduleType ${JSON.stringify(type)} is not Rate or Cron`);
}

/* ------------------------------------------------------------------ cron */

/** Allowed values per field, evaluated in UTC (the time zone FunctionGraph uses is unverified). */
export interface CronExpression {
  seconds: Set<number>;
  minutes: Set<number>;
  hours: Set<number>;
  days: Set<number>;
  months: Set<number>;
  weekdays: Set<number>;
  /** Whether day-of-month / day-of-week were restricted (`*` and `?` are not). */
  daysRestricted: boolean;
  weekdaysRestricted: boolean;
}

const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const WEEKDAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

function parseCronValue(text: string, names: string[] | undefined, offset: number): number {
  const index = names?.indexOf(text.toUpperCase()) ?? -1;
  if (index >= 0) return index + offset;
  if (!/^\d+$/.test(text)) return Number.NaN;
  return Number(text);
}

function parseCronField(
  field: string,
  label: string,
  min: number,
  max: number,
  names?: string[],
  nameOffset = 0,
): { values: Set<number>; restricted: boolean } {
  const values = new Set<number>();
  const restricted = field !== '*' && field !== '?';
  for (const part of field.split(',')) {
    const [range = '', stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    let from: number;
    let to: number;
    if (range === '*' || range === '?') {
      from = min;
      to = max;
    } else if (range.includes('-')) {
      const [a = '', b = ''] = range.split('-');
      from = parseCronValue(a, names, nameOffset);
      to = parseCronValue(b, names, nameOffset);
    } else {
      from = parseCronValue(range, names, nameOffset);
      // Quartz `5/15` means "from 5 every 15"; a bare value is just itself.
      to = stepText === undefined ? from : max;
    }
    if (!Number.isInteger(step) || step < 1 || !(from >= min) || !(to <= max) || from > to) {
      throw new TriggerConfigError(
        `Cron ${label} field ${JSON.stringify(field)} is invalid (range ${min}-${max})`,
      );
    }
    for (let v = from; v <= to; v += step) values.add(v);
  }
  return { values, restricted };
}

/** `sec min hour day month [weekday]`; weekdays 0-7 or SUN-SAT (0 and 7 are Sunday). */
export function parseCron(schedule: string): CronExpression {
  const fields = schedule.trim().split(/\s+/);
  if (fields.length !== 5 && fields.length !== 6) {
    throw new TriggerConfigError(
      `Cron schedule ${JSON.stringify(schedule)}: expected 6 fields "sec min hour day month weekday" or @every <duration>`,
    );
  }
  const [sec = '', min = '', hour = '', day = '', month = '', weekday = '?'] = fields;
  const days = parseCronField(day, 'day', 1, 31);
  const weekdays = parseCronField(weekday, 'weekday', 0, 7, WEEKDAY_NAMES);
  if (weekdays.values.delete(7)) weekdays.values.add(0);
  return {
    seconds: parseCronField(sec, 'second', 0, 59).values,
    minutes: parseCronField(min, 'minute', 0, 59).values,
    hours: parseCronField(hour, 'hour', 0, 23).values,
    days: days.values,
    months: parseCronField(month, 'month', 1, 12, MONTH_NAMES, 1).values,
    weekdays: weekdays.values,
    daysRestricted: days.restricted,
    weekdaysRestricted: weekdays.restricted,
  };
}

function dayMatches(cron: CronExpression, date: Date): boolean {
  const dom = cron.days.has(date.getUTCDate());
  const dow = cron.weekdays.has(date.getUTCDay());
  // Classic cron: when both are restricted, either one matching is enough.
  if (cron.daysRestricted && cron.weekdaysRestricted) return dom || dow;
  if (cron.daysRestricted) return dom;
  if (cron.weekdaysRestricted) return dow;
  return true;
}

/**
 * The first time strictly after `after` (epoch ms) matching the expression, or undefined when none
 * exists within five years (e.g. `0 0 0 31 2 ?`). Skips whole months/days/hours/minutes that cannot
 * match, so it never walks second by second across long gaps.
 */
export function nextCronTime(cron: CronExpression, after: number): number | undefined {
  const d = new Date(Math.floor(after / 1000) * 1000 + 1000);
  const limit = after + 5 * 366 * DAY;
  while (d.getTime() <= limit) {
    if (!cron.months.has(d.getUTCMonth() + 1)) {
      d.setUTCMonth(d.getUTCMonth() + 1, 1);
      d.setUTCHours(0, 0, 0, 0);
    } else if (!dayMatches(cron, d)) {
      d.setUTCDate(d.getUTCDate() + 1);
      d.setUTCHours(0, 0, 0, 0);
    } else if (!cron.hours.has(d.getUTCHours())) {
      d.setUTCHours(d.getUTCHours() + 1, 0, 0, 0);
    } else if (!cron.minutes.has(d.getUTCMinutes())) {
      d.setUTCMinutes(d.getUTCMinutes() + 1, 0, 0);
    } else if (!cron.seconds.has(d.getUTCSeconds())) {
      d.setUTCSeconds(d.getUTCSeconds() + 1, 0);
    } else {
      return d.getTime();
    }
  }
  return undefined;
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
