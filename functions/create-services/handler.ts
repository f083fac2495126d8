/** Link request → validate, record the desired state, one endpoint service per broker → services-ready. */
import { createInstanceTags, showInstance } from '../../shared/cloud/dms.js';
import { getSubnet } from '../../shared/cloud/vpc.js';
import {
  addServicePermissions,
  createEndpointService,
  createResourceTags,
  getQuotas,
  listEndpointServices,
  listEndpoints,
  listServicePermissions,
} from '../../shared/cloud/vpcep.js';
import { correlationOf } from '../../shared/events/cloudevents.js';
import { createServices } from '../../shared/link/create-services.js';
import { kvlHandler } from '../../shared/runtime/handler.js';
import { linkDepsWith } from '../../shared/runtime/link-deps.js';

/** This function's deps: its clients offer only the cloud operations its step calls. */
const createDeps = linkDepsWith({
  dms: { showInstance, createInstanceTags },
  vpcep: {
    createEndpointService,
    listEndpointServices,
    addServicePermissions,
    listServicePermissions,
    listEndpoints,
    createResourceTags,
    getQuotas,
  },
  vpc: { getSubnet },
});

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
  { createDeps },
);
