import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  type CloudEvent,
  InvalidEventError,
  type ParsedMessage,
  parseMessages,
  unwrapEnvelope,
} from '../../../shared/events/index.js';

/** The valid events of an envelope, in order. */
function validEvents(results: ReadonlyArray<ParsedMessage>): CloudEvent[] {
  return results.flatMap((r) => (r.ok ? [r.event as CloudEvent] : []));
}

function fixture(name: string): Record<string, unknown> {
  return JSON.parse(
    readFileSync(new URL(`../../fixtures/events/${name}.json`, import.meta.url), 'utf8'),
  ) as Record<string, unknown>;
}

function unwrapError(event: unknown): InvalidEventError {
  try {
    unwrapEnvelope(event);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidEventError);
    return error as InvalidEventError;
  }
  throw new Error('expected an InvalidEventError');
}

const INSTANCE = '2a9b6c1d-3e4f-5a6b-7c8d-9e0f1a2b3c4d';

describe('unwrapEnvelope: every trigger shape (fixtures)', () => {
  it('SMN: record[].smn.message strings, with the topic as origin', () => {
    const envelope = unwrapEnvelope(fixture('smn'));
    expect(envelope.transport).toBe('smn');
    expect(envelope.messages).toHaveLength(1);
    expect(envelope.messages[0]).toMatchObject({
      index: 0,
      location: 'record[0].smn.message',
      origin: 'urn:smn:eu-west-101:0a1b2c3d4e5f:kvl-link-requests',
    });
    const [result] = parseMessages(envelope, ['kvl.link.requested']);
    expect(result?.ok).toBe(true);
    if (result?.ok) {
      expect(result.event.data.options.whitelist).toEqual(['f5e4d3c2b1a04f5e9d8c7b6a5f4e3d2c']);
    }
  });

  it('Kafka: records[].messages[] as strings and as {message}', () => {
    const envelope = unwrapEnvelope(fixture('kafka'));
    expect(envelope.transport).toBe('kafka');
    expect(envelope.messages.map((m) => m.location)).toEqual([
      'records[0].messages[0]',
      'records[0].messages[1]',
    ]);
    expect(
      envelope.messages.every((m) => typeof m.raw === 'string' && m.origin === 'kvl-link-requests'),
    ).toBe(true);
    const events = validEvents(parseMessages(envelope, ['kvl.link.requested']));
    expect(events.map((e) => e.id)).toEqual([
      '0f1e2d3c-4b5a-4697-8877-665544332211',
      '1a2b3c4d-5e6f-4071-8293-a4b5c6d7e8f9',
    ]);
  });

  it('Timer: name and user_event, parsed when JSON', () => {
    const envelope = unwrapEnvelope(fixture('timer'));
    expect(envelope).toMatchObject({
      transport: 'timer',
      messages: [],
      timer: {
        name: 'reconcile_every_10m',
        userEvent: '{"job":"reconcile","repair":true}',
        payload: { job: 'reconcile', repair: true },
        time: '2026-11-25T08:30:00+08:00',
      },
    });
  });

  it('CTS: the trace, validated loosely', () => {
    const envelope = unwrapEnvelope(fixture('cts'));
    expect(envelope.transport).toBe('cts');
    expect(envelope.cts).toMatchObject({
      service_type: 'DMS',
      resource_type: 'kafka',
      trace_name: 'createDMSInstanceTaskSuccess',
      resource_id: INSTANCE,
      time: 1764050000123,
      trace_id: '8c7b6a59-0000-11f1-8000-0242ac120002',
    });
  });

  it('direct: a bare CloudEvent object', () => {
    const event = fixture('direct');
    const envelope = unwrapEnvelope(event);
    expect(envelope).toEqual({
      transport: 'direct',
      messages: [{ raw: event, index: 0, location: '(event)' }],
    });
    expect(validEvents(parseMessages(envelope, ['kvl.link.requested']))).toHaveLength(1);
  });

  it('direct: a list of CloudEvents, or JSON text of one', () => {
    const event = fixture('direct');
    expect(unwrapEnvelope([event, event]).messages).toHaveLength(2);
    const text = unwrapEnvelope(JSON.stringify(event));
    expect(text.transport).toBe('direct');
    expect(validEvents(parseMessages(text, ['kvl.link.requested']))).toHaveLength(1);
  });

  it('a trigger envelope given as JSON text or bytes is unwrapped as that trigger', () => {
    expect(unwrapEnvelope(JSON.stringify(fixture('smn'))).transport).toBe('smn');
    expect(unwrapEnvelope(Buffer.from(JSON.stringify(fixture('timer')))).transport).toBe('timer');
  });
});

describe('unwrapEnvelope: timer edge cases', () => {
  it('an empty, absent or non-JSON user_event is kept as text, without payload', () => {
    expect(unwrapEnvelope({ trigger_type: 'TIMER', trigger_name: 't', user_event: '' }).timer).toEqual({
      name: 't',
      userEvent: '',
    });
    expect(unwrapEnvelope({ trigger_type: 'TIMER' }).timer).toEqual({ name: '', userEvent: '' });
    expect(unwrapEnvelope({ trigger_type: 'TIMER', trigger_name: 't', user_event: 'run now' }).timer).toEqual(
      {
        name: 't',
        userEvent: 'run now',
      },
    );
  });

  it('accepts version v2.0 and lowercase trigger types', () => {
    expect(
      unwrapEnvelope({ version: 'v2.0', trigger_type: 'timer', user_event: '{}' }).timer?.payload,
    ).toEqual({});
  });
});

describe('unwrapEnvelope: malformed envelopes become InvalidEventError, never anything else', () => {
  const cases: Array<[string, unknown, string]> = [
    ['null', null, '(event)'],
    ['a number', 42, '(event)'],
    ['an unknown object', { hello: 'world' }, '(event)'],
    ['an empty list', [], '(event)'],
    ['SMN record not a list', { record: {} }, 'record'],
    ['SMN without records', { record: [] }, 'record'],
    ['SMN record without smn', { record: [{}] }, 'record[0].smn'],
    ['SMN message not a string', { record: [{ smn: { message: { a: 1 } } }] }, 'record[0].smn.message'],
    ['Kafka records not a list', { trigger_type: 'KAFKA', records: 'x' }, 'records'],
    [
      'Kafka messages missing',
      { trigger_type: 'KAFKA', records: [{ topic_id: 't' }] },
      'records[0].messages',
    ],
    ['Kafka message a number', { records: [{ messages: ['{}', 7] }] }, 'records[0].messages[1]'],
    [
      'Kafka {message} not a string',
      { records: [{ messages: [{ message: 1 }] }] },
      'records[0].messages[0].message',
    ],
    ['RabbitMQ (not supported)', { trigger_type: 'RABBITMQ', records: [] }, 'trigger_type'],
    ['timer user_event a number', { trigger_type: 'TIMER', user_event: 5 }, 'user_event'],
    ['timer name a number', { trigger_type: 'TIMER', trigger_name: 5 }, 'trigger_name'],
    ['CTS not an object', { cts: 'x' }, 'cts'],
    [
      'CTS without trace_name',
      { cts: { service_type: 'DMS', resource_type: 'kafka', time: 1 } },
      'cts.trace_name',
    ],
    [
      'CTS time a boolean',
      { cts: { service_type: 'DMS', resource_type: 'kafka', trace_name: 'x', time: true } },
      'cts.time',
    ],
  ];
  for (const [name, event, field] of cases) {
    it(`${name} → ${field}`, () => {
      const error = unwrapError(event);
      expect(error.field).toBe(field);
      expect(error.name).toBe('InvalidEventError');
    });
  }

  it('accepts CTS string times and null optional fields', () => {
    const envelope = unwrapEnvelope({
      cts: {
        service_type: 'DMS',
        resource_type: 'kafka',
        trace_name: 'createDMSInstanceTaskSuccess',
        time: '2016/12/08 11:07:28 GMT+08:00',
        resource_name: null,
        extra_field: { kept: true },
      },
    });
    expect(envelope.cts?.time).toBe('2016/12/08 11:07:28 GMT+08:00');
    expect((envelope.cts as Record<string, unknown>).extra_field).toEqual({ kept: true });
  });
});

describe('parseMessages: per-message rejections name the field', () => {
  const smnWith = (...messages: string[]) => ({
    record: messages.map((message) => ({ smn: { topic_urn: 'urn:smn:r:p:t', message } })),
  });
  const good = JSON.stringify(fixture('direct'));

  it('invalid JSON, an unknown type and bad data are each rejected; the good one passes', () => {
    const bad = JSON.parse(good) as { data: { client: { vpcId: string } } };
    bad.data.client.vpcId = '../x';
    const results = parseMessages(
      unwrapEnvelope(
        smnWith(
          good,
          '{not json',
          JSON.stringify({ ...JSON.parse(good), type: 'kvl.link.wat' }),
          JSON.stringify(bad),
          JSON.stringify({
            ...JSON.parse(good),
            type: 'kvl.link.unlink-requested',
            data: { instanceId: 'x' },
          }),
        ),
      ),
      ['kvl.link.requested'],
    );
    expect(results.map((r) => r.ok)).toEqual([true, false, false, false, false]);
    const errors = results.flatMap((r) => (r.ok ? [] : [r.error]));
    expect(errors.map((e) => e.field)).toEqual(['(event)', 'type', 'data.client.vpcId', 'type']);
    expect(errors[0]?.location).toBe('record[1].smn.message');
    expect(errors[0]?.reason).toBe('message is not valid JSON');
    expect(errors[2]?.message).toBe(
      'record[3].smn.message: data.client.vpcId: may only contain [A-Za-z0-9_-]',
    );
  });

  it('keeps the raw message of a rejection', () => {
    const results = parseMessages(unwrapEnvelope(smnWith('nope')), ['kvl.link.requested']);
    expect(results[0]).toMatchObject({ ok: false, raw: 'nope' });
  });
});
