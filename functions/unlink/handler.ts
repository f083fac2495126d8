/** unlink-requests → the reverse of a link (safe on half-linked and deleted instances) → link.removed. */
import { unlink } from '../../shared/link/unlink.js';
import { kvlHandler } from '../../shared/runtime/handler.js';
import { createLinkDeps } from '../../shared/runtime/link-deps.js';

export const handler = kvlHandler(
  {
    name: 'unlink',
    accepts: ['kvl.link.unlink-requested'],
    async handle(event, deps, tools) {
      const { instanceId } = event.data;
      // Endpoints still deleting when the budget ends raise LinkNotReadyError: the redelivery resumes.
      const result = await unlink(deps, instanceId, { deadline: tools.deadline });
      const { endpoints, services, securityGroupRule } = result.deleted;
      tools.logger.info('unlinked', {
        restoredAdvertised: result.restoredAdvertised,
        deleted: result.deleted,
      });
      return [
        tools.newEvent(
          'kvl.link.removed',
          { instanceId, deleted: { endpoints, services, securityGroupRule } },
          { subject: instanceId },
        ),
      ];
    },
  },
  { createDeps: createLinkDeps },
);
