/**
 * The emulator's SMN (Simple Message Notification): topics, subscriptions and publish. It is the
 * message queue of the link chain: a publish is recorded (admin `GET /_emulator/messages`) and
 * fanned out to subscribers — `functionstage` subscribers get the exact FunctionGraph SMN trigger
 * event (reference functiongraph §2.2) through the runtime, `http`/`https` subscribers get a POST.
 *
 * Error envelope `{request_id, code, message}` and codes from the SMN API reference (SMN.0006 topic
 * not found, SMN.0002 name invalid, SMN.0021 message structure invalid, …).
 */
import { randomUUID } from 'node:crypto';
import type { WorldHooks } from './module-kit.js';
import type {
  EmuRequest,
  EmuResponse,
  ServiceContext,
  ServiceModule,
  SmnMessage,
  SmnSubscription,
  SmnTopic,
} from './types.js';
import { EmuError } from './types.js';
import { topicUrn as makeTopicUrn } from './world.js';

/** Whole message at most 256 KB (SMN limit). */
export const MAX_MESSAGE_BYTES = 256 * 1024;
/** Subject under 512 bytes. */
export const MAX_SUBJECT_BYTES = 512;

const TOPIC_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,255}$/;
const PROTOCOLS = new Set([
  'email',
  'sms',
  'http',
  'https',
  'functionstage',
  'functiongraph',
  'callnotify',
  'dms',
]);

const PREFIX = /^\/v2\/([^/]+)\/notifications(\/.*)?$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function hex32(): string {
  return randomUUID().replace(/-/g, '');
}

function requestIdOf(req: EmuRequest): string {
  return req.requestId ?? hex32();
}

/** `2026-11-25T07:11:40Z`: the trigger event's `smn.timestamp` (seconds precision). */
function smnTimestamp(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

/** `urn:fss:{region}:{project}:function:{package}:{name}:{version}` → `{name}`. */
export function functionNameFromUrn(functionUrn: string): string {
  const parts = functionUrn.split(':');
  return parts[6] ?? parts[parts.length - 1] ?? functionUrn;
}

function parseOffsetLimit(req: EmuRequest): { offset: number; limit: number } {
  const offset = Number(req.query.get('offset') ?? '0');
  const limit = Number(req.query.get('limit') ?? '100');
  if (!Number.isInteger(offset) || offset < 0 || !Number.isInteger(limit) || limit < 1 || limit > 100) {
    throw new EmuError(400, 'SMN.0015', 'Parameter: Offset or limit is invalid.');
  }
  return { offset, limit };
}

function findTopic(ctx: ServiceContext, req: EmuRequest, urn: string): SmnTopic {
  // A topic of another project is as invisible as a missing one (no topic policies are emulated).
  const topic = ctx.world.topics.find((t) => t.topicUrn === urn && t.projectId === req.caller.projectId);
  if (!topic) throw new EmuError(404, 'SMN.0006', 'Topic not found.');
  return topic;
}

function topicView(topic: SmnTopic) {
  return {
    topic_urn: topic.topicUrn,
    topic_id: topic.topicUrn.split(':').pop() ?? topic.name,
    name: topic.name,
    display_name: topic.displayName,
    push_policy: 0,
    enterprise_project_id: '0',
  };
}

function subscriptionView(sub: SmnSubscription) {
  return {
    topic_urn: sub.topicUrn,
    protocol: sub.protocol,
    subscription_urn: sub.subscriptionUrn,
    owner: sub.projectId ?? '',
    endpoint: sub.endpoint,
    remark: sub.remark ?? '',
    // 1 = confirmed: the emulator skips the confirmation round trip of http(s) and email subscribers.
    status: 1,
  };
}

function createTopic(req: EmuRequest, ctx: ServiceContext): EmuResponse {
  const body = isRecord(req.body) ? req.body : {};
  const name = body.name;
  if (typeof name !== 'string' || !TOPIC_NAME.test(name))
    throw new EmuError(400, 'SMN.0002', 'Parameter: Name is invalid.');
  // Up to 192 bytes, empty or absent allowed: the SDK model says "default: empty" and always sends it
  // (no omitempty), and Terraform's acceptance tests create topics without it (golangsdk `omitempty`),
  // although API reference smn_api_51001 marks it mandatory.
  const displayName = body.display_name ?? '';
  if (typeof displayName !== 'string' || Buffer.byteLength(displayName) > 192) {
    throw new EmuError(400, 'SMN.0003', 'Parameter: DisplayName is invalid.');
  }
  const urn = makeTopicUrn(ctx.world.region, req.caller.projectId, name);
  // Creating an existing topic answers with that topic, so set-up scripts can be re-run.
  const existing = ctx.world.topics.find((t) => t.topicUrn === urn);
  if (!existing) {
    ctx.world.topics.push({ topicUrn: urn, name, displayName, projectId: req.caller.projectId });
  }
  return { status: existing ? 200 : 201, body: { request_id: requestIdOf(req), topic_urn: urn } };
}

function listTopics(req: EmuRequest, ctx: ServiceContext): EmuResponse {
  const { offset, limit } = parseOffsetLimit(req);
  const name = req.query.get('name');
  const fuzzy = req.query.get('fuzzy_name');
  const topics = ctx.world.topics.filter(
    (t) =>
      t.projectId === req.caller.projectId &&
      (name === null || t.name === name) &&
      (fuzzy === null || t.name.includes(fuzzy)),
  );
  return {
    status: 200,
    body: {
      request_id: requestIdOf(req),
      topic_count: topics.length,
      topics: topics.slice(offset, offset + limit).map(topicView),
    },
  };
}

function deleteTopic(req: EmuRequest, ctx: ServiceContext, urn: string): EmuResponse {
  const topic = findTopic(ctx, req, urn);
  ctx.world.topics = ctx.world.topics.filter((t) => t !== topic);
  ctx.world.subscriptions = ctx.world.subscriptions.filter((s) => s.topicUrn !== topic.topicUrn);
  return { status: 200, body: { request_id: requestIdOf(req) } };
}

function validEndpoint(protocol: string, endpoint: string): boolean {
  switch (protocol) {
    case 'http':
      return /^http:\/\/\S+$/.test(endpoint);
    case 'https':
      return /^https:\/\/\S+$/.test(endpoint);
    case 'functionstage':
    case 'functiongraph':
      return /^urn:fss:[^:]+:[^:]+:function:/.test(endpoint);
    case 'email':
      return /^[^@\s]+@[^@\s]+$/.test(endpoint);
    default:
      return endpoint.length > 0;
  }
}

function subscribe(req: EmuRequest, ctx: ServiceContext, urn: string): EmuResponse {
  const topic = findTopic(ctx, req, urn);
  const body = isRecord(req.body) ? req.body : {};
  const { protocol, endpoint } = body;
  const remark = body.remark ?? '';
  if (typeof protocol !== 'string' || !PROTOCOLS.has(protocol)) {
    throw new EmuError(400, 'SMN.0011', 'Parameter: Protocol is invalid.');
  }
  if (typeof endpoint !== 'string' || !validEndpoint(protocol, endpoint)) {
    throw new EmuError(400, 'SMN.0012', 'Parameter: Endpoint is invalid.');
  }
  if (typeof remark !== 'string' || Buffer.byteLength(remark) > 128) {
    throw new EmuError(400, 'SMN.0017', 'Parameter: Remark is invalid.');
  }
  // Idempotent like SMN: subscribing an existing endpoint answers 200 with the existing URN.
  const existing = ctx.world.subscriptions.find(
    (s) => s.topicUrn === topic.topicUrn && s.protocol === protocol && s.endpoint === endpoint,
  );
  if (existing)
    return {
      status: 200,
      body: { request_id: requestIdOf(req), subscription_urn: existing.subscriptionUrn },
    };
  const subscription: SmnSubscription = {
    subscriptionUrn: `${topic.topicUrn}:${hex32()}`,
    topicUrn: topic.topicUrn,
    protocol,
    endpoint,
    remark,
    projectId: req.caller.projectId,
  };
  ctx.world.subscriptions.push(subscription);
  return {
    status: 201,
    body: { request_id: requestIdOf(req), subscription_urn: subscription.subscriptionUrn },
  };
}

function listSubscriptions(req: EmuRequest, ctx: ServiceContext, urn?: string): EmuResponse {
  const { offset, limit } = parseOffsetLimit(req);
  if (urn !== undefined) findTopic(ctx, req, urn);
  const visibleTopics = new Set(
    ctx.world.topics.filter((t) => t.projectId === req.caller.projectId).map((t) => t.topicUrn),
  );
  const subscriptions = ctx.world.subscriptions.filter(
    (s) => visibleTopics.has(s.topicUrn) && (urn === undefined || s.topicUrn === urn),
  );
  return {
    status: 200,
    body: {
      request_id: requestIdOf(req),
      subscription_count: subscriptions.length,
      subscriptions: subscriptions.slice(offset, offset + limit).map(subscriptionView),
    },
  };
}

function unsubscribe(req: EmuRequest, ctx: ServiceContext, subscriptionUrn: string): EmuResponse {
  const sub = ctx.world.subscriptions.find((s) => s.subscriptionUrn === subscriptionUrn);
  const topic = sub && ctx.world.topics.find((t) => t.topicUrn === sub.topicUrn);
  if (!sub || !topic || topic.projectId !== req.caller.projectId) {
    throw new EmuError(404, 'SMN.0014', 'Parameter: SubscriptionUrn is invalid.');
  }
  ctx.world.subscriptions = ctx.world.subscriptions.filter((s) => s !== sub);
  return { status: 200, body: { request_id: requestIdOf(req) } };
}

interface PublishContent {
  subject?: string;
  /** The `default` text: what is recorded and what subscribers without their own key get. */
  message: string;
  /** Per-protocol texts from `message_structure`. */
  perProtocol: Record<string, string>;
  messageStructure?: string;
}

function parsePublishBody(body: unknown): PublishContent {
  if (!isRecord(body)) throw new EmuError(400, 'SMN.0024', 'Parameter: content is invalid.');
  const { subject, message, message_structure: structure, message_template_name: template } = body;
  if (
    subject !== undefined &&
    (typeof subject !== 'string' || Buffer.byteLength(subject) >= MAX_SUBJECT_BYTES)
  ) {
    throw new EmuError(400, 'SMN.0024', 'Parameter: subject is invalid.');
  }
  const ttl = body.time_to_live;
  if (ttl !== undefined) {
    const seconds = Number(ttl);
    if (
      (typeof ttl !== 'string' && typeof ttl !== 'number') ||
      !Number.isInteger(seconds) ||
      seconds < 0 ||
      seconds > 86_400
    ) {
      throw new EmuError(400, 'SMN.0024', 'Parameter: time_to_live is invalid.');
    }
  }
  // Precedence documented by SMN: message_structure > message_template_name > message.
  let content: PublishContent;
  if (structure !== undefined) {
    if (typeof structure !== 'string') throw new EmuError(400, 'SMN.0021', 'MessageStructure is invalid.');
    let parsed: unknown;
    try {
      parsed = JSON.parse(structure);
    } catch {
      throw new EmuError(400, 'SMN.0021', 'MessageStructure is invalid.');
    }
    if (!isRecord(parsed) || typeof parsed.default !== 'string' || parsed.default === '') {
      throw new EmuError(400, 'SMN.0021', 'MessageStructure is invalid: the default key is required.');
    }
    const perProtocol: Record<string, string> = {};
    for (const [key, value] of Object.entries(parsed))
      if (typeof value === 'string') perProtocol[key] = value;
    content = { subject, message: parsed.default, perProtocol, messageStructure: structure };
  } else if (template !== undefined) {
    // No message templates exist in the emulator; naming one is an invalid template.
    throw new EmuError(400, 'SMN.0031', 'Parameter: template_id is invalid.');
  } else {
    if (typeof message !== 'string' || message === '') {
      throw new EmuError(400, 'SMN.0024', 'Parameter: content is invalid.');
    }
    content = { subject, message, perProtocol: {} };
  }
  const size = Buffer.byteLength(content.messageStructure ?? content.message);
  if (size > MAX_MESSAGE_BYTES)
    throw new EmuError(400, 'SMN.0024', 'Parameter: content is invalid (over 256 KB).');
  return content;
}

/** The FunctionGraph SMN trigger event for one subscriber (reference functiongraph §2.2). */
export function smnTriggerEvent(input: {
  subscription: SmnSubscription;
  message: SmnMessage;
  text: string;
  now: number;
}): Record<string, unknown> {
  return {
    record: [
      {
        event_version: '1.0',
        event_source: 'smn',
        event_subscription_urn: input.subscription.subscriptionUrn,
        smn: {
          topic_urn: input.message.topicUrn,
          message_id: input.message.messageId,
          type: 'notification',
          subject: input.message.subject ?? '',
          message: input.text,
          message_attributes: null,
          timestamp: smnTimestamp(input.now),
        },
      },
    ],
    functionname: functionNameFromUrn(input.subscription.endpoint),
    requestId: randomUUID(),
    timestamp: new Date(input.now).toString(),
  };
}

/** HTTP(S) notification body, as SMN posts it to URL subscribers. Delivery is best effort. */
function postToUrl(subscription: SmnSubscription, message: SmnMessage, text: string): void {
  const body = JSON.stringify({
    type: 'Notification',
    signature_version: 'v1',
    topic_urn: message.topicUrn,
    message_id: message.messageId,
    subject: message.subject ?? '',
    message: text,
    timestamp: message.time,
    signature: '',
    signing_cert_url: '',
    unsubscribe_url: '',
  });
  fetch(subscription.endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json; charset=UTF-8', 'x-smn-message-id': message.messageId },
    body,
    signal: AbortSignal.timeout(10_000),
  }).then(
    (res) => res.body?.cancel().catch(() => undefined),
    // A subscriber that is down loses the message, as with real SMN after its retries.
    () => undefined,
  );
}

function publish(req: EmuRequest, ctx: ServiceContext, urn: string): EmuResponse {
  const topic = findTopic(ctx, req, urn);
  const content = parsePublishBody(req.body);
  const now = ctx.clock.now();
  const record: SmnMessage = {
    messageId: hex32(),
    topicUrn: topic.topicUrn,
    subject: content.subject,
    message: content.message,
    time: new Date(now).toISOString(),
  };
  if (content.messageStructure !== undefined) record.messageStructure = content.messageStructure;
  ctx.world.messages.push(record);

  for (const subscription of ctx.world.subscriptions) {
    if (subscription.topicUrn !== topic.topicUrn) continue;
    const protocol = subscription.protocol;
    if (protocol === 'functionstage' || protocol === 'functiongraph') {
      const text = content.perProtocol.functionstage ?? content.message;
      ctx.deliverToFunction(
        subscription.endpoint,
        smnTriggerEvent({ subscription, message: record, text, now }),
      );
    } else if (protocol === 'http' || protocol === 'https') {
      postToUrl(subscription, record, content.perProtocol[protocol] ?? content.message);
    }
    // email, sms, … have nowhere to go locally; the message log shows what they would have received.
  }
  return { status: 200, body: { request_id: requestIdOf(req), message_id: record.messageId } };
}

export function createSmnModule(): ServiceModule {
  return {
    name: 'smn',
    matches(_method: string, path: string): boolean {
      return PREFIX.test(path);
    },
    invalidBodyCode: 'SMN.0024',
    projectIdInPath: (path) => PREFIX.exec(path)?.[1],
    handle(req: EmuRequest, ctx: ServiceContext): EmuResponse {
      const match = PREFIX.exec(req.path);
      const rest = (match?.[2] ?? '').replace(/\/$/, '');
      const segments = rest.split('/').filter((s) => s !== '');
      const m = req.method;
      // segments: ['topics'] | ['topics', urn] | ['topics', urn, 'subscriptions'|'publish'] |
      //           ['subscriptions'] | ['subscriptions', subscriptionUrn]
      if (segments[0] === 'topics') {
        const urn = segments[1];
        if (segments.length === 1) {
          if (m === 'POST') return createTopic(req, ctx);
          if (m === 'GET') return listTopics(req, ctx);
        } else if (urn !== undefined && segments.length === 2) {
          if (m === 'GET') {
            const topic = findTopic(ctx, req, urn);
            return { status: 200, body: { request_id: requestIdOf(req), ...topicView(topic) } };
          }
          if (m === 'DELETE') return deleteTopic(req, ctx, urn);
        } else if (urn !== undefined && segments.length === 3) {
          if (segments[2] === 'publish' && m === 'POST') return publish(req, ctx, urn);
          if (segments[2] === 'subscriptions' && m === 'POST') return subscribe(req, ctx, urn);
          if (segments[2] === 'subscriptions' && m === 'GET') return listSubscriptions(req, ctx, urn);
        }
      } else if (segments[0] === 'subscriptions') {
        if (segments.length === 1 && m === 'GET') return listSubscriptions(req, ctx);
        const subscriptionUrn = segments[1];
        if (segments.length === 2 && subscriptionUrn !== undefined && m === 'DELETE') {
          return unsubscribe(req, ctx, subscriptionUrn);
        }
      }
      throw new EmuError(404, 'SMN.0404', `The API ${m} ${req.path} does not exist.`);
    },
    errorBody(code: string, message: string, requestId: string): unknown {
      return { request_id: requestId, code, message };
    },
  };
}

export const smnModule: ServiceModule = createSmnModule();

/** SMN's admin call: `GET /_emulator/messages?topic=URN`, the recorded publishes (all topics without `topic`). */
export const smnWorldHooks: WorldHooks = {
  name: 'smn',
  admin: [
    {
      method: 'GET',
      pattern: /^messages$/,
      handle(ctx, { query }) {
        ctx.settle();
        const topic = query.get('topic');
        return {
          status: 200,
          body: ctx.world.messages.filter((m) => topic === null || m.topicUrn === topic),
        };
      },
    },
  ],
};
