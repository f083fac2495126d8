/**
 * Simple Message Notification: publish to a topic (functiongraph.md §3.1). No Node SDK is published
 * for SMN; the body follows the API reference (PublishMessageRequestBody).
 */
import * as z from '../zod.js';
import type { CloudHttp, SmnClient } from './types.js';
import { collectOffsetPages, compact, parseBody } from './validate.js';

/** A topic URN that is not `urn:smn:<region>:<project>:<name>` (or would escape its path segment). */
export class InvalidTopicUrnError extends Error {
  override readonly name = 'InvalidTopicUrnError';
  constructor(topicUrn: unknown, options?: { cause?: unknown }) {
    const shown =
      typeof topicUrn === 'string' ? JSON.stringify(topicUrn.slice(0, 120)) : `(${typeof topicUrn})`;
    super(`invalid SMN topic URN ${shown}: expected urn:smn:<region>:<project id>:<topic name>`, options);
  }
}

// Topic names are [A-Za-z0-9_-] (≤255); regions/projects are [a-z0-9-]. Nothing that could alter the URL.
const TOPIC_URN = /^urn:smn:[A-Za-z0-9_-]*:[A-Za-z0-9_-]+:[A-Za-z0-9_-]{1,255}$/;

export function assertTopicUrn(topicUrn: unknown): string {
  if (typeof topicUrn !== 'string' || !TOPIC_URN.test(topicUrn)) throw new InvalidTopicUrnError(topicUrn);
  return topicUrn;
}

export const SmnPublishResponseSchema = z.looseObject({
  message_id: z.string().check(z.minLength(1)),
  request_id: z.nullish(z.string()),
});

/**
 * Everything a publish body may carry. Exactly one of `message`, `messageStructure` or
 * `messageTemplateName` should be set (SMN prefers structure, then template, then message).
 */
export interface SmnPublishInput {
  subject?: string;
  message?: string;
  /** Per-protocol messages; must contain `default`. Sent as a JSON string, as the API expects. */
  messageStructure?: Record<string, string>;
  messageTemplateName?: string;
  /** Template variables. */
  tags?: Record<string, string>;
  /** Seconds; sent as a string, as documented. */
  timeToLive?: number;
}

export interface SmnPublishBody {
  subject?: string;
  message?: string;
  message_structure?: string;
  message_template_name?: string;
  tags?: Record<string, string>;
  time_to_live?: string;
}

export function buildPublishBody(input: SmnPublishInput): SmnPublishBody {
  return compact({
    subject: input.subject,
    message: input.message,
    message_structure: input.messageStructure ? JSON.stringify(input.messageStructure) : undefined,
    message_template_name: input.messageTemplateName,
    tags: input.tags ? { ...input.tags } : undefined,
    time_to_live: input.timeToLive === undefined ? undefined : String(input.timeToLive),
  });
}

export interface SmnSubscription {
  subscriptionUrn: string;
  protocol: string;
  endpoint: string;
  /** 0 unconfirmed, 1 confirmed, 3 confirmation cancelled (ListSubscriptionsItem). */
  status: number;
}

const SubscriptionsPageSchema = z.looseObject({
  subscription_count: z.int().check(z.nonnegative()),
  subscriptions: z.nullish(
    z.array(
      z.looseObject({
        subscription_urn: z.string(),
        protocol: z.string(),
        endpoint: z.string(),
        status: z.int(),
      }),
    ),
  ),
});

// GSDK services/smn/v2/model/model_list_subscriptions_by_topic_request.go: limit 1–100.
const SUBSCRIPTIONS_PAGE_SIZE = 100;

/** `SmnClient`, whose `publish` also takes the structured and template forms. */
export interface SmnPublisher extends SmnClient {
  publish(topicUrn: string, message: SmnPublishInput): Promise<{ messageId: string }>;
  /** Who is subscribed to a topic (the CLI checks that a link request will be heard). */
  listTopicSubscriptions(topicUrn: string): Promise<SmnSubscription[]>;
}

export function createSmnClient(http: CloudHttp): SmnPublisher {
  return {
    async publish(topicUrn, input) {
      // The URN goes into the path as-is (colons are legal there), as in the API reference's example URL.
      const path = `/v2/{project_id}/notifications/topics/${assertTopicUrn(topicUrn)}/publish`;
      const response = await http.send({ method: 'POST', path, body: buildPublishBody(input) });
      return { messageId: parseBody(SmnPublishResponseSchema, response, 'smn', 'publish').message_id };
    },
    async listTopicSubscriptions(topicUrn) {
      const path = `/v2/{project_id}/notifications/topics/${assertTopicUrn(topicUrn)}/subscriptions`;
      const wires = await collectOffsetPages(
        'smn list subscriptions by topic',
        SUBSCRIPTIONS_PAGE_SIZE,
        async (offset, limit) => {
          const response = await http.send({ method: 'GET', path, query: { offset, limit } });
          const page = parseBody(SubscriptionsPageSchema, response, 'smn', 'list subscriptions by topic');
          return { items: page.subscriptions ?? [], total: page.subscription_count };
        },
      );
      return wires.map((w) => ({
        subscriptionUrn: w.subscription_urn,
        protocol: w.protocol,
        endpoint: w.endpoint,
        status: w.status,
      }));
    },
  };
}
