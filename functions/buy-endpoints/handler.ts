/** services-ready → one endpoint per service in the client VPC; fast path → endpoints-accepted. */
import { buyEndpoints } from '../../shared/link/buy-endpoints.js';
import { kvlHandler } from '../../shared/runtime/handler.js';
import { createLinkDeps } from '../../shared/runtime/link-deps.js';

export const handler = kvlHandler(
  {
    name: 'buy-endpoints',
    accepts: ['kvl.link.services-ready'],
    async handle(event, deps, tools) {
      const { instanceId, client, options } = event.data;
      // KVL_FAST_PATH=off: a zero budget (deadline now) checks once and leaves the wait to the timer.
      const deadline = tools.config.fastPath ? tools.deadline : deps.clock.now();
      const result = await buyEndpoints(deps, { instanceId, client }, { deadline });
      if (result.outcome === 'stale') {
        tools.logger.info('stale message ignored', { reason: result.reason });
        return [];
      }
      if (result.outcome === 'pending') {
        tools.logger.info('endpoints not accepted yet; the timer takes over', { pending: result.pending });
        return [];
      }
      return [
        tools.newEvent(
          'kvl.link.endpoints-accepted',
          { instanceId, client, options, endpoints: result.links },
          { subject: instanceId },
        ),
      ];
    },
  },
  { createDeps: createLinkDeps },
);
