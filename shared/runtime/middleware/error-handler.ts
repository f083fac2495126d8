/** 7. errorHandler: terminal errors end as `kvl.link.failed` and a normal return. */
import { classifyError } from '../errors.js';
import { failedEventFor } from './failed-event.js';
import type { KvlMiddleware, KvlRequest } from './state.js';

/**
 * Terminal errors end the link: one `kvl.link.failed` per message not yet settled, then a normal
 * return. Retryable and fatal errors are left to propagate (FunctionGraph retries / reports them).
 */
export function errorHandler(): KvlMiddleware {
  return {
    name: 'errorHandler',
    onError: (request: KvlRequest) => {
      const state = request.context.kvl;
      if (!state) return;
      if (classifyError(request.error) !== 'terminal') return;
      // Without a publisher the failure cannot be reported: let FunctionGraph record it instead.
      if (!state.publisher) return;
      const pending = state.work.filter((item) => !item.settled);
      if (pending.length === 0 && state.work.length === 0) {
        state.outputs.push(failedEventFor(state, request.error));
        state.summary.failed++;
      }
      for (const item of pending) {
        state.outputs.push(failedEventFor(state, request.error, item));
        item.settled = true;
        state.summary.failed++;
      }
      request.response = state.summary;
    },
  };
}
