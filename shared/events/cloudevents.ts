/**
 * CloudEvents 1.0 contracts of the link chain: one zod schema per `type`, a parser that turns any
 * violation into an `InvalidEventError` naming the field, and a factory for outgoing events.
 *
 * Every id that can end up in a URL path (instance, VPC, subnet, domain, port, service, endpoint) is
 * checked here against `[A-Za-z0-9_-]{1,64}`, so a hostile message is refused at the edge, before any
 * cloud client sees it (the clients check again; this is the first line, not the only one).
 */
import { randomUUID } from 'node:crypto';
import { ID_CHARACTERS, ID_PATTERN, IPV4_PATTERN, MAX_ID_LENGTH } from '../input.js';
import * as z from '../zod.js';
import { describeValue, formatPath, InvalidEventError, WHOLE_EVENT } from './errors.js';

/* ------------------------------------------------------------------ building blocks */

/** The one id rule (shared/input.ts), re-exported for the event contracts' users. */
export { ID_PATTERN };

// `.max` before `.regex` so an oversized value is reported as too long (the first issue wins).
export const IdSchema = z
  .string()
  .check(z.minLength(1, 'must not be empty'))
  .check(z.maxLength(MAX_ID_LENGTH, `must be at most ${MAX_ID_LENGTH} characters`))
  .check(z.regex(ID_PATTERN, `may only contain ${ID_CHARACTERS}`));

export const TimestampSchema = z.iso.datetime({
  offset: true,
  error: 'must be an RFC 3339 timestamp (e.g. 2026-11-25T10:00:00Z)',
});

/** The one IPv4 rule (shared/input.ts), which the tags encoding and the emulator use too. */
export const Ipv4Schema = z.string().check(z.regex(IPV4_PATTERN, 'must be an IPv4 address'));

/** Short free text (steps, codes): bounded so a message cannot flood logs or topics. */
const text = (max: number) =>
  z
    .string()
    .check(z.minLength(1, 'must not be empty'))
    .check(z.maxLength(max, `must be at most ${max} characters`));

/** The client side of a link: where the endpoints go, and whose account it is. */
/**
 * An IAM agency name (≤ 64 chars [GSDK iam/v3 model_create_agency_option.go]). It is kept in a tag
 * of the instance (`kvl-client-agency`), so only names a tag value can hold are accepted.
 */
export const AgencyNameSchema = z
  .string()
  .check(z.minLength(1, 'must not be empty'))
  .check(z.maxLength(43, 'must be at most 43 characters (it is kept in an instance tag)'))
  .check(z.regex(/^[A-Za-z0-9_-]+$/, 'may only contain [A-Za-z0-9_-] (it is kept in an instance tag)'));

export const LinkClientSchema = z
  .strictObject({
    vpcId: IdSchema,
    subnetId: IdSchema,
    /** The client's account, when it is not the instance owner's. */
    domainId: z.optional(IdSchema),
    /** The agency that account delegated to the owner's account (needed to act there). */
    agencyName: z.optional(AgencyNameSchema),
  })
  .check(
    z.refine((c) => c.agencyName === undefined || c.domainId !== undefined, {
      message: 'is required with an agency: the account that granted it',
      path: ['domainId'],
    }),
  );

export const LinkOptionsSchema = z.prefault(
  z.strictObject({
    /** Domain (account) ids allowed to connect to the endpoint services. */
    whitelist: z.optional(z.array(IdSchema).check(z.maxLength(100, 'must have at most 100 entries'))),
    /** Add the inbound 9011 rule to the instance's security group (default on). */
    securityGroupRule: z._default(z.boolean(), true),
    networkAclRule: z.optional(z.boolean()),
    dryRun: z.optional(z.boolean()),
  }),
  {},
);

export const LinkRequestedDataSchema = z.object({
  instanceId: IdSchema,
  client: LinkClientSchema,
  options: LinkOptionsSchema,
});

const ServiceNameSchema = z
  .string()
  .check(z.minLength(1, 'must not be empty'))
  .check(z.maxLength(128, 'must be at most 128 characters'))
  .check(z.regex(/^[A-Za-z0-9_.-]+$/, 'may only contain [A-Za-z0-9_.-]'));

export const ServiceRefSchema = z.object({
  listenerIp: Ipv4Schema,
  portId: IdSchema,
  serviceId: IdSchema,
  serviceName: ServiceNameSchema,
  /** The service's `kvl-phase` tag when it carries one: the step that completes the link clears it. */
  phase: z.optional(z.enum(['pending', 'linked', 'failed'])),
});

export const EndpointRefSchema = z.object({
  listenerIp: Ipv4Schema,
  portId: IdSchema,
  serviceId: IdSchema,
  endpointId: IdSchema,
  endpointIp: Ipv4Schema,
});

/**
 * A schema built on its first use instead of at module load. Building zod schemas is most of what
 * loading this module costs (~13 ms of a function's cold start for every event type's schema), and a
 * function parses one or two event types and publishes two or three: the others are never built.
 */
const onFirstUse = <S extends z.ZodMiniType>(build: () => S) => /* @__PURE__ */ z.lazy(build);

/**
 * A broker list where two entries share a listener IP or a port id is a mismatched map in the making
 * (ARCHITECTURE §6): refuse it at the contract, not only when the map is finally sent.
 */
function brokerList<S extends z.ZodMiniType<{ listenerIp: string; portId: string }>>(item: S) {
  return z
    .array(item)
    .check(z.minLength(1, 'must have at least 1 entry'))
    .check(z.maxLength(64, 'must have at most 64 entries'))
    .check(
      z.superRefine((items, ctx) => {
        for (const key of ['listenerIp', 'portId'] as const) {
          const seen = new Set<string>();
          items.forEach((entry, i) => {
            if (seen.has(entry[key])) {
              ctx.addIssue({ code: 'custom', path: [i, key], message: `duplicate ${key} in the list` });
            }
            seen.add(entry[key]);
          });
        }
      }),
    );
}

/**
 * Data carried along the chain after the request. The broker lists are hints, not the state: the
 * consumer re-reads services/endpoints from their tags in the cloud (ARCHITECTURE §2, "messages only
 * accelerate"), which is why a timer re-drive may send the event without them. When present they
 * must be complete and consistent.
 */
const ChainDataSchema = z.extend(LinkRequestedDataSchema, {
  /** When the original link request was made (for `kvl.link.completed` timings). */
  requestedAt: z.optional(TimestampSchema),
});

export const ServicesReadyDataSchema = onFirstUse(() =>
  z.extend(ChainDataSchema, {
    services: z.optional(brokerList(ServiceRefSchema)),
  }),
);

export const EndpointsAcceptedDataSchema = onFirstUse(() =>
  z.extend(ChainDataSchema, {
    endpoints: z.optional(brokerList(EndpointRefSchema)),
    /**
     * Services (by id) of `endpoints` that carry a `kvl-phase` tag, with its value: patch-listeners
     * marks them linked (only those among the services of `endpoints`; other names are ignored).
     */
    servicePhases: z.optional(z.record(IdSchema, z.enum(['pending', 'linked', 'failed']))),
    /**
     * Some of `endpoints` were bought or still pending when buy-endpoints first looked: no earlier run
     * can have advertised them, so patch-listeners lists them while it reads the instance instead of
     * after. Only the order of its reads depends on it; nothing is trusted from it.
     */
    justAccepted: z.optional(z.boolean()),
  }),
);

const BOOTSTRAP_PATTERN = /^\d{1,3}(\.\d{1,3}){3}:\d{1,5}(,\d{1,3}(\.\d{1,3}){3}:\d{1,5})*$/;

export const LinkCompletedDataSchema = onFirstUse(() =>
  z.object({
    instanceId: IdSchema,
    client: LinkClientSchema,
    bootstrapServers: z
      .string()
      .check(z.maxLength(2048, 'must be at most 2048 characters'))
      .check(z.regex(BOOTSTRAP_PATTERN, 'must look like "ip:port,ip:port"')),
    securityProtocol: z
      .string()
      .check(z.regex(/^[A-Z_]{1,32}$/, 'must be a Kafka security protocol (e.g. SASL_SSL)')),
    saslMechanisms: z
      .array(
        z
          .string()
          .check(z.regex(/^[A-Za-z0-9_-]{1,32}$/, 'must be a SASL mechanism name (e.g. SCRAM-SHA-512)')),
      )
      .check(z.maxLength(8, 'must have at most 8 entries')),
    mapping: brokerList(EndpointRefSchema),
    securityGroupRuleId: z.optional(IdSchema),
    redelivered: z.optional(z.boolean()),
    timings: z.object({
      requestedAt: z.optional(TimestampSchema),
      completedAt: TimestampSchema,
      durationMs: z.optional(z.int().check(z.nonnegative())),
    }),
  }),
);

export const LinkFailedDataSchema = onFirstUse(() =>
  z.object({
    instanceId: z.optional(IdSchema),
    step: text(64),
    reason: text(4096),
    field: z.optional(text(256)),
    code: z.optional(text(128)),
  }),
);

export const UnlinkRequestedDataSchema = z.object({ instanceId: IdSchema });

export const LinkRemovedDataSchema = onFirstUse(() =>
  z.object({
    instanceId: IdSchema,
    deleted: z.object({
      endpoints: z.int().check(z.nonnegative()),
      services: z.int().check(z.nonnegative()),
      securityGroupRule: z.boolean(),
    }),
  }),
);

export const LINK_STATES = ['linked', 'in-progress', 'drifted', 'failed', 'orphan'] as const;
export type LinkState = (typeof LINK_STATES)[number];

export const ReconcileReportDataSchema = onFirstUse(() =>
  z.object({
    checkedAt: TimestampSchema,
    links: z
      .array(
        z.object({
          instanceId: IdSchema,
          state: z.enum(LINK_STATES),
          reasons: z.array(text(512)).check(z.maxLength(64)),
        }),
      )
      .check(z.maxLength(1000)),
    counts: z.record(text(64), z.int().check(z.nonnegative())),
    repaired: z.array(IdSchema).check(z.maxLength(1000)),
  }),
);

const brokerVerificationSchema = () =>
  z.object({
    brokerId: z.int().check(z.nonnegative()),
    host: text(256),
    port: z.int().check(z.gte(0)).check(z.lte(65_535)),
    expectedHost: z.optional(text(256)),
    reachable: z.boolean(),
    leaderAnswered: z.boolean(),
    partition: z.optional(z.int().check(z.nonnegative())),
    produceMs: z.optional(z.number().check(z.nonnegative())),
    consumeMs: z.optional(z.number().check(z.nonnegative())),
    totalMs: z.number().check(z.nonnegative()),
    healthy: z.boolean(),
    problems: z.array(text(1024)).check(z.maxLength(32)),
  });

/** `kvl.link.verified` / `kvl.link.unhealthy`: what the verify function found, per broker. */
export const LinkVerificationDataSchema = onFirstUse(() =>
  z.object({
    instanceId: IdSchema,
    client: z.optional(z.object({ vpcId: IdSchema })),
    trigger: z.enum(['link-completed', 'timer']),
    checkedAt: TimestampSchema,
    topic: text(249),
    healthy: z.boolean(),
    problems: z.array(text(1024)).check(z.maxLength(64)),
    brokers: z.array(brokerVerificationSchema()).check(z.maxLength(100)),
    unhealthyBrokers: z.array(z.int().check(z.nonnegative())).check(z.maxLength(100)),
    durationMs: z.number().check(z.nonnegative()),
    /** Set when a fresh link failed and its previous advertised map was put back (KVL_VERIFY_ROLLBACK). */
    rolledBack: z.optional(z.boolean()),
  }),
);

/* ------------------------------------------------------------------ types */

export const EVENT_TYPES = [
  'kvl.link.requested',
  'kvl.link.services-ready',
  'kvl.link.endpoints-accepted',
  'kvl.link.completed',
  'kvl.link.failed',
  'kvl.link.unlink-requested',
  'kvl.link.removed',
  'kvl.reconcile.report',
  'kvl.link.verified',
  'kvl.link.unhealthy',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

export const EventDataSchemas = {
  'kvl.link.requested': LinkRequestedDataSchema,
  'kvl.link.services-ready': ServicesReadyDataSchema,
  'kvl.link.endpoints-accepted': EndpointsAcceptedDataSchema,
  'kvl.link.completed': LinkCompletedDataSchema,
  'kvl.link.failed': LinkFailedDataSchema,
  'kvl.link.unlink-requested': UnlinkRequestedDataSchema,
  'kvl.link.removed': LinkRemovedDataSchema,
  'kvl.reconcile.report': ReconcileReportDataSchema,
  'kvl.link.verified': LinkVerificationDataSchema,
  'kvl.link.unhealthy': LinkVerificationDataSchema,
} as const satisfies Record<EventType, z.ZodMiniType>;

/** `data` after parsing (defaults applied). */
export type EventDataByType = { [T in EventType]: z.output<(typeof EventDataSchemas)[T]> };
/** `data` as a producer may write it (defaults optional). */
export type EventDataInputByType = { [T in EventType]: z.input<(typeof EventDataSchemas)[T]> };

export type LinkRequestData = EventDataByType['kvl.link.requested'];
export type LinkClient = z.output<typeof LinkClientSchema>;
export type ServiceRef = z.output<typeof ServiceRefSchema>;
export type EndpointRef = z.output<typeof EndpointRefSchema>;

export interface CloudEventOf<T extends EventType> {
  specversion: '1.0';
  id: string;
  source: string;
  type: T;
  /** The Kafka instance id (always equal to `data.instanceId` when the data has one). */
  subject?: string;
  /** RFC 3339. */
  time: string;
  datacontenttype?: string;
  /** Extension: id of the original `kvl.link.requested` event this one descends from. */
  correlationid?: string;
  data: EventDataByType[T];
}

export type CloudEvent = { [T in EventType]: CloudEventOf<T> }[EventType];

/** A discriminated union over several types (`CloudEventOf<'a' | 'b'>` would lose the type↔data link). */
export type EventOf<T extends EventType> = T extends EventType ? CloudEventOf<T> : never;

export function isEventType(value: unknown): value is EventType {
  return typeof value === 'string' && (EVENT_TYPES as readonly string[]).includes(value);
}

/* ------------------------------------------------------------------ envelope schema */

export const CloudEventBaseSchema = z.object({
  specversion: z.literal('1.0', { error: 'must be "1.0"' }),
  id: text(256),
  source: text(256),
  type: text(128),
  subject: z.optional(text(256)),
  time: TimestampSchema,
  datacontenttype: z.optional(
    z
      .string()
      .check(z.regex(/^application\/([a-z0-9.+-]+\+)?json(\s*;.{0,64})?$/i, 'must be a JSON media type')),
  ),
  correlationid: z.optional(
    z
      .string()
      .check(z.maxLength(256, 'must be at most 256 characters'))
      .check(z.regex(/^[A-Za-z0-9_.:-]+$/, 'may only contain [A-Za-z0-9_.:-]')),
  ),
  data: z.unknown(),
});

function eventSchema<T extends EventType, S extends z.ZodMiniType>(type: T, data: S) {
  return z.extend(CloudEventBaseSchema, { type: z.literal(type), data }).check(
    z.superRefine((event, ctx) => {
      // The subject is what routes and logs key on; a subject that disagrees with the data would let one
      // instance's event act on another.
      const data = (event as { data?: unknown }).data;
      const instanceId =
        typeof data === 'object' && data !== null ? (data as { instanceId?: unknown }).instanceId : undefined;
      if (instanceId !== undefined && event.subject !== instanceId) {
        ctx.addIssue({
          code: 'custom',
          path: ['subject'],
          message: 'must equal data.instanceId (the Kafka instance id)',
        });
      }
    }),
  );
}

/** Each event type's full schema, built the first time that type is parsed or published. */
const EVENT_SCHEMAS: { [T in EventType]?: z.ZodMiniType<CloudEventOf<T>> } = {};

/** The full schema (envelope + data) of one event type. */
export function cloudEventSchema<T extends EventType>(type: T): z.ZodMiniType<CloudEventOf<T>> {
  const cached = EVENT_SCHEMAS[type];
  if (cached) return cached as z.ZodMiniType<CloudEventOf<T>>;
  const built = eventSchema(type, EventDataSchemas[type] as z.ZodMiniType) as unknown as z.ZodMiniType<
    CloudEventOf<T>
  >;
  EVENT_SCHEMAS[type] = built as (typeof EVENT_SCHEMAS)[T];
  return built;
}

/* ------------------------------------------------------------------ parsing */

/** SMN and async invocations cap a message at 256 KB; anything larger is refused before JSON.parse. */
export const MAX_MESSAGE_BYTES = 256 * 1024;

/** The first issue of a failed parse, as field + reason (never the offending value). */
export function issueToError(issues: ReadonlyArray<z.core.$ZodIssue>, location?: string): InvalidEventError {
  const issue = issues[0];
  if (!issue) return new InvalidEventError({ field: WHOLE_EVENT, reason: 'invalid', location });
  if (issue.code === 'unrecognized_keys') {
    // zod's message quotes the keys; report the first one as the field instead.
    const key = issue.keys[0] ?? '?';
    return new InvalidEventError({
      field: formatPath([...issue.path, key]),
      reason: 'unknown field',
      location,
    });
  }
  return new InvalidEventError({ field: formatPath(issue.path), reason: issue.message, location });
}

export interface ParseOptions {
  /** Where the message sat in its trigger envelope, for error messages. */
  location?: string;
}

/**
 * Validates `value` (a CloudEvent object, or its JSON text) and narrows it to one of `acceptedTypes`
 * (all types when omitted). Throws `InvalidEventError` naming the first offending field.
 */
export function parseCloudEvent<const T extends EventType = EventType>(
  value: unknown,
  acceptedTypes?: readonly T[],
  options: ParseOptions = {},
): EventOf<T> {
  const { location } = options;
  let candidate = value;
  if (typeof candidate === 'string') candidate = parseJsonText(candidate, location);
  if (typeof candidate !== 'object' || candidate === null || Array.isArray(candidate)) {
    throw new InvalidEventError({
      field: WHOLE_EVENT,
      reason: `must be a JSON object (got ${describeValue(candidate)})`,
      location,
    });
  }

  const base = CloudEventBaseSchema.safeParse(candidate);
  if (!base.success) throw issueToError(base.error.issues, location);

  const type = base.data.type;
  if (!isEventType(type)) {
    throw new InvalidEventError({
      field: 'type',
      reason: `unknown event type ${describeValue(type)}`,
      location,
    });
  }
  if (acceptedTypes && acceptedTypes.length > 0 && !(acceptedTypes as readonly string[]).includes(type)) {
    throw new InvalidEventError({
      field: 'type',
      reason: `${type} is not accepted here (expected ${acceptedTypes.join(' or ')})`,
      location,
    });
  }

  const parsed = cloudEventSchema(type).safeParse(candidate);
  if (!parsed.success) throw issueToError(parsed.error.issues, location);
  return parsed.data as EventOf<T>;
}

function parseJsonText(textValue: string, location?: string): unknown {
  if (Buffer.byteLength(textValue, 'utf8') > MAX_MESSAGE_BYTES) {
    throw new InvalidEventError({
      field: WHOLE_EVENT,
      reason: `message exceeds ${MAX_MESSAGE_BYTES} bytes`,
      location,
    });
  }
  try {
    return JSON.parse(textValue) as unknown;
  } catch (cause) {
    throw new InvalidEventError({ field: WHOLE_EVENT, reason: 'message is not valid JSON', location, cause });
  }
}

/* ------------------------------------------------------------------ creating */

export interface NewCloudEventInit<T extends EventType> {
  /** URI-reference of the producer, e.g. `kvl/create-services`. */
  source: string;
  /** Defaults to `data.instanceId`. */
  subject?: string;
  data: EventDataInputByType[T];
  correlationid?: string;
  id?: string;
  /**
   * When it happened, on the producer's clock (epoch ms, a Date or RFC 3339 text). Required: this
   * module reads no clock, so a test or the emulator's clock decides every event's `time`.
   */
  time: number | string | Date;
}

/**
 * Builds and validates an outgoing event (defaults applied, subject = instance id). Throws
 * `InvalidEventError` when the data breaks its contract, so a bad event never leaves the function.
 * The event comes back frozen and counts as validated (`outgoingEvent` does not check it again).
 */
export function newCloudEvent<const T extends EventType>(
  type: T,
  init: NewCloudEventInit<T>,
): CloudEventOf<T> {
  const data = init.data as { instanceId?: unknown };
  const subject = init.subject ?? (typeof data.instanceId === 'string' ? data.instanceId : undefined);
  const time =
    typeof init.time === 'number'
      ? new Date(init.time).toISOString()
      : init.time instanceof Date
        ? init.time.toISOString()
        : init.time;
  const candidate = {
    specversion: '1.0',
    id: init.id ?? randomUUID(),
    source: init.source,
    type,
    ...(subject === undefined ? {} : { subject }),
    time,
    datacontenttype: 'application/json',
    ...(init.correlationid === undefined ? {} : { correlationid: init.correlationid }),
    data: init.data,
  };
  const parsed = cloudEventSchema(type).safeParse(candidate);
  if (!parsed.success) throw issueToError(parsed.error.issues);
  return seal(parsed.data);
}

/* ------------------------------------------------------------------ outgoing */

// Events that passed the outgoing validation; frozen then, so none can change after its check.
const VALIDATED = new WeakSet<object>();

function deepFreeze(value: unknown): void {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const inner of Object.values(value)) deepFreeze(inner);
}

function seal<E extends object>(event: E): E {
  deepFreeze(event);
  VALIDATED.add(event);
  return event;
}

/**
 * The one validation of an outgoing event. An event built by `newCloudEvent` was validated (and
 * frozen) there and passes as it is; anything else (a hand-built object, JSON text) is validated now,
 * throwing `InvalidEventError`. A handler's outputs and the publishers both go through here, so every
 * event is checked exactly once however many hands it passes through.
 */
export function outgoingEvent(value: unknown): CloudEvent {
  if (typeof value === 'object' && value !== null && VALIDATED.has(value)) return value as CloudEvent;
  return seal(parseCloudEvent(value) as CloudEvent);
}

/** The requests that open a chain: their own id is the chain's correlation id when they carry none. */
const CHAIN_OPENERS: ReadonlySet<string> = new Set(['kvl.link.requested', 'kvl.link.unlink-requested']);

/**
 * The one correlation rule: an event's `correlationid`, else, for a request that opens a chain
 * (link or unlink), its own `id`; else none.
 */
export function correlationOf(event: {
  type?: unknown;
  id?: unknown;
  correlationid?: unknown;
}): string | undefined {
  if (typeof event.correlationid === 'string') return event.correlationid;
  return CHAIN_OPENERS.has(event.type as string) && typeof event.id === 'string' ? event.id : undefined;
}

/**
 * Best-effort context from a message that failed validation, so its `kvl.link.failed` can still be
 * correlated: only values that pass their own checks are returned.
 */
export function salvageEventContext(raw: unknown): { instanceId?: string; correlationid?: string } {
  let value = raw;
  if (typeof value === 'string') {
    if (Buffer.byteLength(value, 'utf8') > MAX_MESSAGE_BYTES) return {};
    try {
      value = JSON.parse(value) as unknown;
    } catch {
      return {};
    }
  }
  if (typeof value !== 'object' || value === null) return {};
  const record = value as Record<string, unknown>;
  const data = (typeof record.data === 'object' && record.data !== null ? record.data : {}) as Record<
    string,
    unknown
  >;
  const out: { instanceId?: string; correlationid?: string } = {};
  const instanceId = IdSchema.safeParse(data.instanceId);
  if (instanceId.success) out.instanceId = instanceId.data;
  // Only values that pass the correlation id's own check take part in the rule.
  const valid = (v: unknown) => {
    const r = CloudEventBaseSchema.shape.correlationid.safeParse(v);
    return r.success ? r.data : undefined;
  };
  const correlationid = correlationOf({
    type: record.type,
    id: valid(record.id),
    correlationid: valid(record.correlationid),
  });
  if (correlationid !== undefined) out.correlationid = correlationid;
  return out;
}
