/** Link request → validate, record the desired state, one endpoint service per broker → services-ready. */
import { correlationOf } from '../../shared/events/cloudevents.js';
import { createServices } from '../../shared/link/create-services.js';
import { kvlHandler } from '../../shared/runtime/handler.js';
import { createLinkDeps } from '../../shared/runtime/link-deps.js';

export const handler = kvlHandler(
  {
    name: 'create-services',
    accepts: ['kvl.link.requested'],
    async handle(event, deps, tools) {
      const request = event.data;
      const result = await createServices(
        deps,
        request,
        { deadline: tools.deadline },
        { correlationId: correlationOf(event) },
      );
      if (request.options.dryRun) {
        tools.logger.info('dry run: nothing written', { actions: result.actions });
        return [];
      }
      if (!result.ready) {
        // Not an error: the poll-acceptance timer re-drives links whose services appear later.
        tools.logger.info('endpoint services not available yet; the timer takes over');
        return [];
      }
      return [
        tools.newEvent(
          'kvl.link.services-ready',
          { ...request, services: result.services },
          { subject: request.instanceId },
        ),
      ];
    },
  },
  { createDeps: createLinkDeps },
);
