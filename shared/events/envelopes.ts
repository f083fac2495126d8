/**
 * Trigger envelopes: every shape a FunctionGraph handler can be invoked with, unwrapped into a flat
 * list of raw messages (reference functiongraph.md §2). Like Powertools' envelopes, unwrapping is
 * separate from validation: `unwrapEnvelope` only understands the transport, `parseMessages` then
 * checks each message against the CloudEvents contracts, so one bad message in a Kafka batch is
 * rejected on its own instead of failing its neighbours.
 */
import * as z from '../zod.js';
import { type EventOf, type EventType, issueToError, parseCloudEvent } from './cloudevents.js';
import { describeValue, InvalidEventError, WHOLE_EVENT } from './errors.js';

export type Transport = 'smn' | 'kafka' | 'timer' | 'cts' | 'direct';

export interface EnvelopeMessage {
  /** The message as delivered: JSON text (SMN, Kafka) or an object (direct invoke). */
  raw: string | object;
  /** Position in the whole envelope (across Kafka records). */
  index: number;
  /** Where it sat, for error messages: `record[0].smn.message`, `records[1].messages[3]`, … */
  location: string;
  /** SMN topic URN or Kafka topic id it arrived on, when the envelope says. */
  origin?: string;
}

export interface TimerInfo {
  name: string;
  /** `user_event` exactly as configured on the trigger ('' when absent). */
  userEvent: string;
  /** `user_event` parsed as JSON, when it is JSON. */
  payload?: unknown;
  /** Trigger time as sent (RFC 3339 with offset in the samples). */
  time?: string;
}

/** A CTS trace (reference §2.5). Loose: the field list varies by service and over time. */
export const CtsTraceSchema = z.looseObject({
  service_type: z.string().check(z.minLength(1)).check(z.maxLength(64)),
  resource_type: z.string().check(z.minLength(1)).check(z.maxLength(64)),
  resource_id: z.nullish(z.string().check(z.maxLength(256))),
  resource_name: z.nullish(z.string().check(z.maxLength(256))),
  trace_name: z.string().check(z.minLength(1)).check(z.maxLength(128)),
  trace_status: z.nullish(z.string().check(z.maxLength(32))),
  trace_type: z.nullish(z.string().check(z.maxLength(64))),
  trace_id: z.nullish(z.string().check(z.maxLength(128))),
  trace_rating: z.nullish(z.string().check(z.maxLength(32))),
  // Epoch milliseconds in newer traces, "2016/12/08 11:07:28 GMT+08:00" in older ones.
  time: z.union([z.number(), z.string().check(z.maxLength(64))]),
  record_time: z.nullish(z.union([z.number(), z.string().check(z.maxLength(64))])),
  code: z.nullish(z.union([z.number(), z.string().check(z.maxLength(32))])),
  project_id: z.nullish(z.string().check(z.maxLength(64))),
  domain_id: z.nullish(z.string().check(z.maxLength(64))),
  enterprise_project_id: z.nullish(z.string().check(z.maxLength(64))),
  user: z.optional(z.unknown()),
  request: z.optional(z.unknown()),
  response: z.optional(z.unknown()),
});

export type CtsTrace = z.output<typeof CtsTraceSchema>;

export interface Envelope {
  transport: Transport;
  messages: EnvelopeMessage[];
  timer?: TimerInfo;
  cts?: CtsTrace;
}

/* ------------------------------------------------------------------ unwrap */

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalid(field: string, reason: string, cause?: unknown): InvalidEventError {
  return new InvalidEventError({ field, reason, cause });
}

const UNRECOGNISED =
  'unrecognised trigger event: expected an SMN, Kafka, timer or CTS trigger event, or a CloudEvent';

/**
 * Recognises the trigger shape of `event` and lists its messages. Throws `InvalidEventError` (naming
 * the envelope field) when the shape is broken; never anything else.
 */
export function unwrapEnvelope(event: unknown): Envelope {
  let value = event;
  // A local host or a test may hand over the event as JSON text or bytes.
  if (value instanceof Uint8Array) value = Buffer.from(value).toString('utf8');
  if (typeof value === 'string') {
    const parsed = tryJson(value);
    if (isObject(parsed) && !('specversion' in parsed)) value = parsed;
    else return { transport: 'direct', messages: [{ raw: value, index: 0, location: WHOLE_EVENT }] };
  }

  if (Array.isArray(value)) return unwrapDirectList(value);
  if (!isObject(value)) throw invalid(WHOLE_EVENT, `${UNRECOGNISED} (got ${describeValue(value)})`);

  if ('record' in value) return unwrapSmn(value);
  if ('records' in value) return unwrapKafka(value);
  if (typeof value.trigger_type === 'string' && value.trigger_type.toUpperCase() === 'TIMER')
    return unwrapTimer(value);
  if ('cts' in value) return unwrapCts(value);
  if ('specversion' in value)
    return { transport: 'direct', messages: [{ raw: value, index: 0, location: WHOLE_EVENT }] };
  throw invalid(WHOLE_EVENT, UNRECOGNISED);
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function unwrapSmn(value: Json): Envelope {
  const records = value.record;
  if (!Array.isArray(records)) throw invalid('record', 'must be an array of SMN records');
  if (records.length === 0) throw invalid('record', 'must not be empty');
  const messages = records.map((record: unknown, i): EnvelopeMessage => {
    const location = `record[${i}].smn.message`;
    if (!isObject(record) || !isObject(record.smn)) throw invalid(`record[${i}].smn`, 'must be an object');
    const message = record.smn.message;
    if (typeof message !== 'string') throw invalid(location, 'must be a string');
    const topic = record.smn.topic_urn;
    return { raw: message, index: i, location, ...(typeof topic === 'string' ? { origin: topic } : {}) };
  });
  return { transport: 'smn', messages };
}

function unwrapKafka(value: Json): Envelope {
  if (typeof value.trigger_type === 'string' && value.trigger_type.toUpperCase() !== 'KAFKA') {
    throw invalid('trigger_type', `unsupported trigger type ${describeValue(value.trigger_type)}`);
  }
  const records = value.records;
  if (!Array.isArray(records)) throw invalid('records', 'must be an array of Kafka records');
  if (records.length === 0) throw invalid('records', 'must not be empty');
  const messages: EnvelopeMessage[] = [];
  records.forEach((record: unknown, r) => {
    if (!isObject(record)) throw invalid(`records[${r}]`, 'must be an object');
    if (!Array.isArray(record.messages)) throw invalid(`records[${r}].messages`, 'must be an array');
    const origin = typeof record.topic_id === 'string' ? record.topic_id : undefined;
    record.messages.forEach((message: unknown, m) => {
      // Published samples carry plain strings; the OTC typed wrapper also allows {message: string}.
      const location = `records[${r}].messages[${m}]`;
      let raw: unknown = message;
      if (isObject(message)) raw = message.message;
      if (typeof raw !== 'string') {
        throw invalid(isObject(message) ? `${location}.message` : location, 'must be a string');
      }
      messages.push({ raw, index: messages.length, location, ...(origin ? { origin } : {}) });
    });
  });
  return { transport: 'kafka', messages };
}

function unwrapTimer(value: Json): Envelope {
  const name = value.trigger_name;
  if (name !== undefined && typeof name !== 'string') throw invalid('trigger_name', 'must be a string');
  const raw = value.user_event;
  let userEvent: string;
  if (raw === undefined || raw === null) userEvent = '';
  else if (typeof raw === 'string') userEvent = raw;
  // Documented as always a string; an object (seen in hand-written tests/hosts) is kept as its JSON.
  else if (isObject(raw)) userEvent = JSON.stringify(raw);
  else throw invalid('user_event', 'must be a string');
  const timer: TimerInfo = { name: name ?? '', userEvent };
  if (userEvent.trim() !== '') {
    const payload = tryJson(userEvent);
    if (payload !== undefined) timer.payload = payload;
  }
  if (typeof value.time === 'string') timer.time = value.time;
  return { transport: 'timer', messages: [], timer };
}

function unwrapCts(value: Json): Envelope {
  if (!isObject(value.cts)) throw invalid('cts', 'must be an object');
  const parsed = CtsTraceSchema.safeParse(value.cts);
  if (!parsed.success) {
    const err = issueToError(parsed.error.issues);
    throw invalid(`cts.${err.field}`, err.reason, parsed.error);
  }
  return { transport: 'cts', messages: [], cts: parsed.data };
}

function unwrapDirectList(values: unknown[]): Envelope {
  if (values.length === 0) throw invalid(WHOLE_EVENT, 'must not be an empty list');
  const messages = values.map((raw, i): EnvelopeMessage => {
    if (typeof raw !== 'string' && !isObject(raw)) throw invalid(`[${i}]`, 'must be a CloudEvent object');
    return { raw, index: i, location: `[${i}]` };
  });
  return { transport: 'direct', messages };
}

/* ------------------------------------------------------------------ parse */

export type ParsedMessage<T extends EventType = EventType> =
  | { ok: true; event: EventOf<T>; message: EnvelopeMessage }
  | { ok: false; error: InvalidEventError; raw: string | object; message: EnvelopeMessage };

/**
 * Validates every message of `envelope` against the accepted event types. Each message becomes either
 * `{ok: true, event}` or `{ok: false, error}`; nothing throws.
 */
export function parseMessages<const T extends EventType>(
  envelope: Envelope,
  acceptedTypes: readonly T[],
): Array<ParsedMessage<T>> {
  return envelope.messages.map((message) => {
    try {
      const event = parseCloudEvent(message.raw, acceptedTypes, { location: message.location });
      return { ok: true as const, event, message };
    } catch (cause) {
      const error =
        cause instanceof InvalidEventError
          ? cause
          : new InvalidEventError({
              field: WHOLE_EVENT,
              reason: 'could not be parsed',
              location: message.location,
              cause,
            });
      return { ok: false as const, error, raw: message.raw, message };
    }
  });
}
