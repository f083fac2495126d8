/** 6. eventPublisher: the outputs published, on the success and the error path. */
import type { CloudEvent } from '../../events/cloudevents.js';
import {
  type HandlerSummary,
  type InvocationState,
  type KvlMiddleware,
  type KvlRequest,
  stateOf,
} from './state.js';

async function flush(state: InvocationState): Promise<void> {
  const publisher = state.publisher;
  if (!publisher) return;
  while (state.outputs.length > 0) {
    const event = state.outputs[0] as CloudEvent;
    await publisher.publish(event);
    state.outputs.shift();
    state.summary.published++;
    state.logger.info('event published', {
      type: event.type,
      id: event.id,
      instanceId: event.subject,
      correlationid: event.correlationid,
    });
  }
}

/**
 * Publishes the outputs (handler results and `kvl.link.failed`) after the handler, and also on the
 * error path so work already done is not lost before a retry. A publish failure replaces the error
 * and makes the invocation fail, so the message is redelivered rather than silently dropped.
 */
export function eventPublisher(): KvlMiddleware {
  return {
    name: 'eventPublisher',
    after: async (request: KvlRequest) => {
      const state = stateOf(request.context);
      await flush(state);
      request.response = state.summary;
    },
    onError: async (request: KvlRequest) => {
      const state = request.context.kvl;
      if (!state?.publisher || state.outputs.length === 0) return;
      try {
        await flush(state);
      } catch (error) {
        // Returning or throwing here would skip the logger's onError; replace the error instead.
        if (error instanceof Error && request.error) Object.assign(error, { originalError: request.error });
        request.error = error instanceof Error ? error : new Error(String(error));
        request.response = undefined as unknown as HandlerSummary;
      }
    },
  };
}
