/** endpoints-accepted → verified full advertised map, security group rule → link.completed. */
import { createInstanceTags, modifyCrossVpc, showInstance } from '../../shared/cloud/dms.js';
import {
  createSecurityGroupRule,
  insertNetworkAclRules,
  listNetworkAcls,
  listSecurityGroupRules,
} from '../../shared/cloud/vpc.js';
import {
  createResourceTags,
  listEndpointServices,
  listEndpoints,
  queryResourcesByTags,
} from '../../shared/cloud/vpcep.js';
import { patchListeners } from '../../shared/link/patch-listeners.js';
import { kvlHandler } from '../../shared/runtime/handler.js';
import { linkDepsWith } from '../../shared/runtime/link-deps.js';

/** This function's deps: its clients offer only the cloud operations its step calls. */
const createDeps = linkDepsWith({
  dms: { showInstance, modifyCrossVpc, createInstanceTags },
  vpcep: { listEndpointServices, listEndpoints, createResourceTags, queryResourcesByTags },
  vpc: { createSecurityGroupRule, listSecurityGroupRules, listNetworkAcls, insertNetworkAclRules },
});

export const handler = kvlHandler(
  {
    name: 'patch-listeners',
    accepts: ['kvl.link.endpoints-accepted'],
    async handle(event, deps, tools) {
      const { instanceId, client, endpoints, servicePhases, justAccepted } = event.data;
      // The links the message names are verified against the instance (and the cloud) before use.
      const result = await patchListeners(
        deps,
        {
          instanceId,
          client,
          ...(endpoints ? { endpoints } : {}),
          ...(servicePhases ? { servicePhases } : {}),
          ...(justAccepted ? { justAccepted } : {}),
        },
        { deadline: tools.deadline },
      );
      if (result.outcome === 'stale') {
        tools.logger.info('stale message ignored', { reason: result.reason });
        return [];
      }
      const { completion } = result;
      const { requestedAt } = event.data;
      const completedAt = deps.clock.now();
      return [
        tools.newEvent(
          'kvl.link.completed',
          {
            instanceId,
            client: completion.client,
            bootstrapServers: completion.bootstrapServers,
            securityProtocol: completion.securityProtocol,
            saslMechanisms: completion.saslMechanisms,
            mapping: completion.mapping,
            ...(completion.securityGroupRuleId
              ? { securityGroupRuleId: completion.securityGroupRuleId }
              : {}),
            redelivered: completion.redelivered,
            timings: {
              ...(requestedAt ? { requestedAt } : {}),
              completedAt: new Date(completedAt).toISOString(),
              ...(requestedAt ? { durationMs: completedAt - Date.parse(requestedAt) } : {}),
            },
          },
          { subject: instanceId },
        ),
      ];
    },
  },
  { createDeps },
);
