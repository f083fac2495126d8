/**
 * An `EventPublisher` that keeps what it publishes, for tests. It is the SMN publisher on a recording
 * SMN client, so it validates, routes and limits sizes exactly as the functions' publisher does.
 */
import type { SmnClient } from '../../shared/cloud/types.js';
import type { CloudEvent, CloudEventOf, EventType } from '../../shared/events/cloudevents.js';
import {
  createSmnPublisher,
  type EventPublisher,
  type PublisherOptions,
  type TopicUrns,
} from '../../shared/runtime/publisher.js';

export interface MemoryPublisher extends EventPublisher {
  /** Every published event, in order (copies: later mutation by the producer does not show). */
  readonly events: CloudEvent[];
  ofType<T extends EventType>(type: T): Array<CloudEventOf<T>>;
  clear(): void;
}

const TOPICS: TopicUrns = {
  linkRequests: 'urn:smn:eu-west-101:0123456789abcdef0123456789abcdef:kvl-link-requests',
  servicesReady: 'urn:smn:eu-west-101:0123456789abcdef0123456789abcdef:kvl-services-ready',
  endpointsAccepted: 'urn:smn:eu-west-101:0123456789abcdef0123456789abcdef:kvl-endpoints-accepted',
  unlinkRequests: 'urn:smn:eu-west-101:0123456789abcdef0123456789abcdef:kvl-unlink-requests',
  events: 'urn:smn:eu-west-101:0123456789abcdef0123456789abcdef:kvl-events',
};

export function createMemoryPublisher(options: PublisherOptions = {}): MemoryPublisher {
  const events: CloudEvent[] = [];
  const smn: SmnClient = {
    async publish(_topic, { message }) {
      // The message is the event's JSON: parsing it back is the copy.
      events.push(JSON.parse(message) as CloudEvent);
      return { messageId: `m-${events.length}` };
    },
  };
  const publisher = createSmnPublisher(smn, TOPICS, options);
  return {
    events,
    publish: (event) => publisher.publish(event),
    ofType<T extends EventType>(type: T) {
      return events.filter((e): e is CloudEventOf<T> & CloudEvent => e.type === type);
    },
    clear() {
      events.length = 0;
    },
  };
}
