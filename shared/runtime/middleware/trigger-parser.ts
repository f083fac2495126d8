/** 4. triggerParser: the trigger envelope unwrapped, each message validated. */

import { correlationOf, EVENT_TYPES, IdSchema, salvageEventContext } from '../../events/cloudevents.js';
import { type Envelope, parseMessages, unwrapEnvelope } from '../../events/envelopes.js';
import { InvalidEventError, WHOLE_EVENT } from '../../events/errors.js';
import * as z from '../../zod.js';
import { failedEventFor } from './failed-event.js';
import { validateOptions } from './options.js';
import { type Accepts, type InvocationState, type KvlMiddleware, type KvlRequest, stateOf } from './state.js';

export interface TriggerParserOptions {
  accepts: Accepts;
}

const AcceptsSchema = z.union(
  [
    z.literal('timer'),
    z.literal('cts'),
    z
      .array(z.enum(EVENT_TYPES, { error: `accepts entries must be one of ${EVENT_TYPES.join(', ')}` }))
      .check(z.minLength(1, 'accepts must list at least one event type')),
  ],
  { error: "accepts must be 'timer', 'cts' or a list of event types" },
);

function describeTransport(envelope: Envelope): string {
  return envelope.transport === 'direct' ? 'a direct invocation' : `a ${envelope.transport} trigger`;
}

/**
 * Unwraps the trigger envelope and validates each message. Invalid ones become `kvl.link.failed`
 * outputs (named field and reason) and never reach the handler; valid ones become work items.
 */
export function triggerParser(options: TriggerParserOptions): KvlMiddleware {
  const { accepts } = validateOptions('triggerParser', z.strictObject({ accepts: AcceptsSchema }), options);
  const reject = (state: InvocationState, error: InvalidEventError, raw?: unknown) => {
    state.summary.rejected++;
    const context = raw === undefined ? {} : salvageEventContext(raw);
    state.logger.warn('message rejected', {
      field: error.field,
      reason: error.reason,
      location: error.location,
      instanceId: context.instanceId,
    });
    state.outputs.push(failedEventFor(state, error, context));
  };

  return {
    name: 'triggerParser',
    before: (request: KvlRequest) => {
      const state = stateOf(request.context);
      let envelope: Envelope;
      try {
        envelope = unwrapEnvelope(request.event);
      } catch (error) {
        if (!(error instanceof InvalidEventError)) throw error;
        reject(state, error);
        return;
      }
      state.envelope = envelope;

      if (accepts === 'timer' || accepts === 'cts') {
        const info = accepts === 'timer' ? envelope.timer : envelope.cts;
        if (!info) {
          reject(
            state,
            new InvalidEventError({
              field: WHOLE_EVENT,
              reason: `this function is triggered by ${accepts === 'timer' ? 'a timer' : 'CTS'}, got ${describeTransport(envelope)}`,
            }),
          );
          return;
        }
        const instanceId = accepts === 'cts' ? IdSchema.safeParse(envelope.cts?.resource_id) : undefined;
        state.work.push({
          input: info,
          settled: false,
          ...(instanceId?.success ? { instanceId: instanceId.data } : {}),
        });
        return;
      }

      if (envelope.messages.length === 0) {
        reject(
          state,
          new InvalidEventError({
            field: WHOLE_EVENT,
            reason: `this function takes ${accepts.join(' or ')} messages, got ${describeTransport(envelope)} without any`,
          }),
        );
        return;
      }
      for (const result of parseMessages(envelope, accepts)) {
        if (!result.ok) {
          reject(state, result.error, result.raw);
          continue;
        }
        const { event } = result;
        const instanceId = (event.data as { instanceId?: string }).instanceId;
        const correlationid = correlationOf(event);
        state.work.push({
          input: event,
          message: result.message,
          settled: false,
          ...(instanceId ? { instanceId } : {}),
          ...(correlationid ? { correlationid } : {}),
        });
      }
    },
  };
}
