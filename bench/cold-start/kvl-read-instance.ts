/**
 * The cold-start comparison function, on the project's own clients: the first thing every link
 * function does (accept a link request, read the Kafka instance, parse its cross-VPC listeners).
 * bench/cold-start/sdk-read-instance.ts is the same function with the official Kafka SDK client;
 * only the DMS client differs, so the ratio of their cold starts is the cost of the client stack.
 */
import { createCloudHttp } from '../../shared/cloud/http.js';
import { createDmsClient } from '../../shared/cloud/index.js';
import { kvlHandler } from '../../shared/runtime/handler.js';
import { endpointOf, noPublisher } from './common.js';

export const handler = kvlHandler(
  {
    name: 'read-instance',
    accepts: ['kvl.link.requested'],
    async handle(event, deps: { dms: ReturnType<typeof createDmsClient> }, tools) {
      const instance = await deps.dms.showInstance(event.data.instanceId);
      tools.logger.info('instance read', { status: instance.status, listeners: instance.listeners.length });
      return [];
    },
  },
  {
    createDeps: ({ config, credentials }) => ({
      dms: createDmsClient(
        createCloudHttp({
          service: 'dms',
          region: config.region,
          projectId: config.projectId,
          credentials,
          baseUrl: endpointOf(config, 'dms'),
        }),
      ),
    }),
    publisher: noPublisher,
  },
);
