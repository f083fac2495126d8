/** The `kvl.link.failed` event built for a rejected message or a terminal error. */
import { type CloudEvent, newCloudEvent } from '../../events/cloudevents.js';
import { InvalidEventError } from '../../events/errors.js';
import { errorDetails } from '../errors.js';
import { redactString } from '../logger.js';
import type { InvocationState, WorkItem } from './state.js';

const MAX_REASON = 1024;

/** A `kvl.link.failed` for `error` (redacted; carries step, field, code and the correlation). */
export function failedEventFor(
  state: Pick<InvocationState, 'step' | 'source' | 'clock'>,
  error: unknown,
  item?: Pick<WorkItem, 'instanceId' | 'correlationid'>,
): CloudEvent {
  const details = errorDetails(error);
  const rawReason =
    error instanceof InvalidEventError
      ? error.reason
      : error instanceof Error
        ? error.message || error.name
        : 'unknown error';
  let reason = redactString(rawReason);
  if (reason.length > MAX_REASON) reason = `${reason.slice(0, MAX_REASON - 1)}…`;
  const field = details.field ? details.field.slice(0, 256) : undefined;
  const code = (details.code ?? details.name).slice(0, 128);
  const step = details.step && /^[A-Za-z0-9_.:-]{1,64}$/.test(details.step) ? details.step : state.step;
  return newCloudEvent('kvl.link.failed', {
    source: state.source,
    time: state.clock.now(),
    data: {
      ...(item?.instanceId ? { instanceId: item.instanceId } : {}),
      step,
      reason: reason || 'unknown error',
      ...(field ? { field } : {}),
      code: code || 'Error',
    },
    ...(item?.correlationid ? { correlationid: item.correlationid } : {}),
  });
}
