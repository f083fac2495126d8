import { describe, expect, it } from 'vitest';
import {
  ctsMatches,
  nextCronTime,
  parseCron,
  parseCtsOperations,
  parseEvery,
  parseRate,
  parseTimerSchedule,
  TriggerConfigError,
  timerEvent,
} from '../../../local/runtime/index.js';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

describe('timer schedules', () => {
  it('parses Rate within FunctionGraph bounds', () => {
    expect(parseRate('1m')).toBe(60_000);
    expect(parseRate('60m')).toBe(3_600_000);
    expect(parseRate('24h')).toBe(86_400_000);
    expect(parseRate('30d')).toBe(30 * 86_400_000);
    for (const bad of ['0m', '61m', '25h', '31d', '5s', 'm', '1.5h', '']) {
      expect(() => parseRate(bad), bad).toThrow(TriggerConfigError);
    }
  });

  it('parses @every durations', () => {
    expect(parseEvery('@every 30s')).toBe(30_000);
    expect(parseEvery('@every 1h30m')).toBe(5_400_000);
    expect(parseEvery('@every 1m500ms')).toBe(60_500);
    for (const bad of ['@every', '@every 500ms', '@every 5x', '@every 1h junk', 'every 1h']) {
      expect(() => parseEvery(bad), bad).toThrow(TriggerConfigError);
    }
  });

  it('picks the schedule kind from scheduleType', () => {
    expect(parseTimerSchedule('Rate', '5m')).toEqual({ kind: 'interval', periodMs: 300_000, text: '5m' });
    expect(parseTimerSchedule('Cron', '@every 10s')).toMatchObject({ kind: 'interval', periodMs: 10_000 });
    expect(parseTimerSchedule('Cron', '0 15 2 * * ?')).toMatchObject({ kind: 'cron' });
    expect(() => parseTimerSchedule('Daily', '1d')).toThrow(TriggerConfigError);
    expect(() => parseTimerSchedule('Rate', undefined)).toThrow(/schedule is required/);
  });
});

describe('cron', () => {
  it('finds the next matching second in UTC', () => {
    const daily = parseCron('0 15 2 * * ?');
    expect(iso(nextCronTime(daily, at('2026-11-25T01:00:00Z')))).toBe('2026-11-25T02:15:00.000Z');
    expect(iso(nextCronTime(daily, at('2026-11-25T02:15:00Z')))).toBe('2026-11-26T02:15:00.000Z');
    const steps = parseCron('*/20 5-6 * * * *');
    expect(iso(nextCronTime(steps, at('2026-11-25T01:04:59Z')))).toBe('2026-11-25T01:05:00.000Z');
    expect(iso(nextCronTime(steps, at('2026-11-25T01:05:40Z')))).toBe('2026-11-25T01:06:00.000Z');
    expect(iso(nextCronTime(steps, at('2026-11-25T01:06:40Z')))).toBe('2026-11-25T02:05:00.000Z');
  });

  it('handles weekdays, month names, Quartz start/step and impossible dates', () => {
    // 2026-11-25 is a Wednesday.
    const mondays = parseCron('0 0 9 ? * MON');
    expect(iso(nextCronTime(mondays, at('2026-11-25T00:00:00Z')))).toBe('2026-11-30T09:00:00.000Z');
    const sundays = parseCron('0 0 0 ? * 7');
    expect(iso(nextCronTime(sundays, at('2026-11-25T00:00:00Z')))).toBe('2026-11-29T00:00:00.000Z');
    const newYear = parseCron('0 0 0 1 JAN ?');
    expect(iso(nextCronTime(newYear, at('2026-11-25T00:00:00Z')))).toBe('2027-01-01T00:00:00.000Z');
    const fromFive = parseCron('5/15 * * * * ?');
    expect(iso(nextCronTime(fromFive, at('2026-11-25T00:00:21Z')))).toBe('2026-11-25T00:00:35.000Z');
    expect(nextCronTime(parseCron('0 0 0 31 2 ?'), at('2026-11-25T00:00:00Z'))).toBeUndefined();
  });

  it('rejects malformed expressions', () => {
    for (const bad of [
      '* * * *',
      '60 * * * * ?',
      '0 0 24 * * ?',
      '0 0 0 0 * ?',
      '0 0 0 * 13 ?',
      '0 0 0 * * 8',
      'a b c d e f',
      '0 0 0 * * ? 2027',
    ]) {
      expect(() => parseCron(bad), bad).toThrow(TriggerConfigError);
    }
  });

  it('refuses a 5-field crontab line instead of reading it seconds-first, naming the trigger', () => {
    // `0 * * * *` means hourly in crontab; read as `sec min hour day month` it would fire every minute.
    expect(() => parseTimerSchedule('Cron', '0 * * * *', 'nightly')).toThrow(TriggerConfigError);
    expect(() => parseTimerSchedule('Cron', '0 * * * *', 'nightly')).toThrow(
      /TIMER trigger "nightly": Cron schedule "0 \* \* \* \*" has 5 fields; FunctionGraph expects 6/,
    );
    const hourly = parseCron('0 0 * * * ?');
    expect(iso(nextCronTime(hourly, at('2026-11-25T08:59:00Z')))).toBe('2026-11-25T09:00:00.000Z');
    expect(iso(nextCronTime(hourly, at('2026-11-25T09:00:00Z')))).toBe('2026-11-25T10:00:00.000Z');
  });
});

describe('timer event', () => {
  it('has the exact FunctionGraph shape, user_event always a string', () => {
    const now = at('2026-11-25T08:30:00.250Z');
    expect(timerEvent({ triggerName: 't', userEvent: '{"a":1}', now })).toEqual({
      version: 'v1.0',
      time: '2026-11-25T08:30:00+00:00',
      trigger_type: 'TIMER',
      trigger_name: 't',
      user_event: '{"a":1}',
    });
    expect(timerEvent({ triggerName: 't', userEvent: { a: 1 }, now }).user_event).toBe('{"a":1}');
    expect(timerEvent({ triggerName: 't', userEvent: undefined, now }).user_event).toBe('');
  });
});

describe('CTS operations', () => {
  const trace = (fields: Record<string, unknown>) => ({
    cts: {
      service_type: 'DMS',
      resource_type: 'kafka',
      trace_name: 'createDMSInstanceTaskSuccess',
      ...fields,
    },
  });

  it('matches service, resource type and trace name', () => {
    const ops = parseCtsOperations(['DMS:kafka:createDMSInstanceTaskSuccess']);
    expect(ctsMatches(ops, trace({}))).toBe(true);
    expect(ctsMatches(ops, trace({ service_type: 'dms', resource_type: 'Kafka' }))).toBe(true);
    expect(ctsMatches(ops, trace({ trace_name: 'createDMSInstanceTaskFailure' }))).toBe(false);
    expect(ctsMatches(ops, trace({ resource_type: 'rabbitmq' }))).toBe(false);
    expect(ctsMatches(ops, trace({ service_type: 'VPC' }))).toBe(false);
    expect(ctsMatches(ops, { notCts: true })).toBe(false);
  });

  it('accepts lists of resource types and trace names, and several operations', () => {
    const ops = parseCtsOperations([
      'DMS:kafka;rabbitmq:deleteDMSInstanceTaskSuccess;restartDMSInstanceTaskSuccess',
      'VPCEP:endpoint:createEndpoint',
    ]);
    expect(
      ctsMatches(ops, trace({ resource_type: 'rabbitmq', trace_name: 'restartDMSInstanceTaskSuccess' })),
    ).toBe(true);
    expect(
      ctsMatches(
        ops,
        trace({ service_type: 'VPCEP', resource_type: 'endpoint', trace_name: 'createEndpoint' }),
      ),
    ).toBe(true);
    expect(ctsMatches(ops, trace({}))).toBe(false);
  });

  it('rejects malformed operations', () => {
    for (const bad of [[], 'DMS:kafka:x', ['DMS:kafka'], ['DMS::x'], ['DMS:kafka:'], [42], ['a:b:c:d']]) {
      expect(() => parseCtsOperations(bad), JSON.stringify(bad)).toThrow(TriggerConfigError);
    }
  });
});
