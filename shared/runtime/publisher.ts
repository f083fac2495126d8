/**
 * Where outgoing events go. Handlers only see `EventPublisher`; SMN routing by event type lives here,
 * so the chain's wiring (which topic feeds which function) is in one place.
 */
import type { SmnClient } from '../cloud/types.js';
import { type CloudEvent, type EventType, parseCloudEvent } from '../events/cloudevents.js';

export interface EventPublisher {
  publish(event: CloudEvent): Promise<void>;
}

export interface TopicUrns {
  linkRequests: string;
  servicesReady: string;
  endpointsAccepted: string;
  unlinkRequests: string;
  events: string;
}

/** The chain's topics feed the next function; everything else (outcomes, reports) goes to `events`. */
export function topicFor(type: EventType): keyof TopicUrns {
  switch (type) {
    case 'kvl.link.requested':
      return 'linkRequests';
    case 'kvl.link.services-ready':
      return 'servicesReady';
    case 'kvl.link.endpoints-accepted':
      return 'endpointsAccepted';
    case 'kvl.link.unlink-requested':
      return 'unlinkRequests';
    default:
      return 'events';
  }
}

/** SMN's limit for one message. */
export const MAX_SMN_MESSAGE_BYTES = 256 * 1024;

export class PublisherOptionsError extends Error {
  override readonly name = 'PublisherOptionsError';
}

export class PublishError extends Error {
  override readonly name = 'PublishError';
  readonly eventType: string;
  readonly eventId: string;
  readonly topic?: string;
  /** Mirrors the cause's flag; an unflagged failure (network, bug in a fake) is assumed transient. */
  readonly retryable: boolean;

  constructor(
    event: Pick<CloudEvent, 'type' | 'id'>,
    reason: string,
    options: { topic?: string; retryable?: boolean; cause?: unknown } = {},
  ) {
    super(
      `publishing ${event.type} ${event.id}${options.topic ? ` to ${options.topic}` : ''} failed: ${reason}`,
      {
        cause: options.cause,
      },
    );
    this.eventType = event.type;
    this.eventId = event.id;
    this.topic = options.topic;
    const causeFlag = (options.cause as { retryable?: unknown } | undefined)?.retryable;
    this.retryable = options.retryable ?? (typeof causeFlag === 'boolean' ? causeFlag : true);
  }
}

export interface PublisherOptions {
  /** Re-validate every event against its schema before it leaves (default true). */
  validate?: boolean;
}

function validated(event: CloudEvent, validate: boolean): CloudEvent {
  if (!validate) return event;
  try {
    return parseCloudEvent(event) as CloudEvent;
  } catch (cause) {
    throw new PublishError(event, 'the event breaks its contract', { retryable: false, cause });
  }
}

const TOPIC_KEYS: ReadonlyArray<keyof TopicUrns> = [
  'linkRequests',
  'servicesReady',
  'endpointsAccepted',
  'unlinkRequests',
  'events',
];

/**
 * Publishes through SMN: the topic by event type, `subject` = event type (so SMN subscriptions can
 * filter), `message` = the CloudEvent JSON (what the SMN trigger hands the next function).
 */
export function createSmnPublisher(
  smn: SmnClient,
  topics: TopicUrns,
  options: PublisherOptions = {},
): EventPublisher {
  if (typeof smn?.publish !== 'function')
    throw new PublisherOptionsError('smn must implement SmnClient.publish');
  for (const key of TOPIC_KEYS) {
    const urn = topics?.[key];
    if (typeof urn !== 'string' || !urn.startsWith('urn:smn:')) {
      throw new PublisherOptionsError(`topics.${key} must be an SMN topic URN`);
    }
  }
  const routes: TopicUrns = { ...topics };
  const validate = options.validate ?? true;
  return {
    async publish(input) {
      const event = validated(input, validate);
      const topic = routes[topicFor(event.type)];
      const message = JSON.stringify(event);
      if (Buffer.byteLength(message, 'utf8') > MAX_SMN_MESSAGE_BYTES) {
        throw new PublishError(event, `message exceeds ${MAX_SMN_MESSAGE_BYTES} bytes`, {
          topic,
          retryable: false,
        });
      }
      try {
        await smn.publish(topic, { subject: event.type, message });
      } catch (cause) {
        throw new PublishError(event, cause instanceof Error ? cause.message : 'SMN publish failed', {
          topic,
          cause,
        });
      }
    },
  };
}
