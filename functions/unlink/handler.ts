/** unlink-requests → the reverse of a link (safe on half-linked and deleted instances) → link.removed. */
import {
  createInstanceTags,
  deleteInstanceTags,
  listInstances,
  modifyCrossVpc,
  showInstance,
} from '../../shared/cloud/dms.js';
import {
  deleteSecurityGroupRule,
  listSecurityGroupRules,
  removeNetworkAclRules,
} from '../../shared/cloud/vpc.js';
import {
  deleteEndpoint,
  deleteEndpointService,
  listEndpointServices,
  listEndpoints,
} from '../../shared/cloud/vpcep.js';
import { unlink } from '../../shared/link/unlink.js';
import { kvlHandler } from '../../shared/runtime/handler.js';
import { linkDepsWith } from '../../shared/runtime/link-deps.js';

/** This function's deps: its clients offer only the cloud operations its step calls. */
const createDeps = linkDepsWith({
  dms: { showInstance, listInstances, modifyCrossVpc, createInstanceTags, deleteInstanceTags },
  vpcep: { listEndpointServices, deleteEndpointService, listEndpoints, deleteEndpoint },
  vpc: { listSecurityGroupRules, deleteSecurityGroupRule, removeNetworkAclRules },
});

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
  { createDeps },
);
