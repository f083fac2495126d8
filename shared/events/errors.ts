/**
 * The one error type of shared/events: an incoming (or outgoing) message that does not satisfy its
 * contract. It is terminal by nature — redelivering the same bytes can never make them valid — so it
 * carries `retryable = false` / `terminal = true`, the flags shared/runtime's error handling reads.
 */
import { describeValue, printable } from '../input.js';

export interface InvalidEventErrorInit {
  /** Path of the offending field inside the CloudEvent (`data.client.vpcId`), or `(event)` for the whole. */
  field: string;
  /** Human-readable reason; never contains the offending value (it may be huge, hostile or secret). */
  reason: string;
  /** Where the message sat in the trigger envelope (`record[0].smn.message`), when known. */
  location?: string;
  cause?: unknown;
}

export class InvalidEventError extends Error {
  override readonly name = 'InvalidEventError';
  readonly field: string;
  readonly reason: string;
  readonly location?: string;
  readonly code = 'InvalidEvent';
  readonly retryable = false;
  readonly terminal = true;

  constructor(init: InvalidEventErrorInit) {
    super(
      `${init.location ? `${init.location}: ` : ''}${init.field}: ${init.reason}`,
      init.cause === undefined ? undefined : { cause: init.cause },
    );
    this.field = init.field;
    this.reason = init.reason;
    this.location = init.location;
  }
}

/** The field name used when the whole message (not one field of it) is at fault. */
export const WHOLE_EVENT = '(event)';

const MAX_SEGMENT = 64;

/**
 * Renders a zod/issue path as `data.options.whitelist[0]`. Keys come from untrusted input (unknown
 * keys are reported by name), so each segment is cut short and stripped of control characters.
 */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') {
      out += `[${segment}]`;
      continue;
    }
    const text = sanitizeSegment(String(segment));
    out += out === '' ? text : `.${text}`;
  }
  return out === '' ? WHOLE_EVENT : out;
}

function sanitizeSegment(segment: string): string {
  return printable(segment, MAX_SEGMENT);
}

export { describeValue };
