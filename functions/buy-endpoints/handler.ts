/** services-ready → one endpoint per service in the client VPC; fast path → endpoints-accepted. */
import { showInstance } from '../../shared/cloud/dms.js';
import {
  createEndpoint,
  createResourceTags,
  deleteEndpoint,
  listEndpointServices,
  listEndpoints,
  queryResourcesByTags,
} from '../../shared/cloud/vpcep.js';
import { correlationOf } from '../../shared/events/cloudevents.js';
import { buyEndpoints } from '../../shared/link/buy-endpoints.js';
import { kvlHandler } from '../../shared/runtime/handler.js';
import { linkDepsWith } from '../../shared/runtime/link-deps.js';

/** This function's deps: its clients offer only the cloud operations its step calls. */
const createDeps = linkDepsWith({
  dms: { showInstance },
  vpcep: {
    listEndpointServices,
    createEndpoint,
    listEndpoints,
    deleteEndpoint,
    createResourceTags,
    queryResourcesByTags,
  },
  vpc: {},
});

export const handler = kvlHandler(
  {
    name: 'buy-endpoints',
    accepts: ['kvl.link.services-ready'],
    async handle(event, deps, tools) {
      const { instanceId, client, options, services } = event.data;
      const correlationId = correlationOf(event);
      // KVL_FAST_PATH=off: a zero budget (deadline now) checks once and leaves the wait to the timer.
      const deadline = tools.config.fastPath ? tools.deadline : deps.clock.now();
      // The services the message names spare re-reading them (buy-endpoints verifies them by use).
      const result = await buyEndpoints(
        deps,
        {
          instanceId,
          client,
          ...(services ? { services } : {}),
          ...(correlationId ? { correlationId } : {}),
        },
        { deadline },
      );
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
          {
            instanceId,
            client,
            options,
            endpoints: result.links,
            ...(Object.keys(result.servicePhases).length > 0 ? { servicePhases: result.servicePhases } : {}),
            ...(result.justAccepted ? { justAccepted: true } : {}),
          },
          { subject: instanceId },
        ),
      ];
    },
  },
  { createDeps },
);
