/**
 * CTS `DMS:kafka:createDMSInstanceTaskSuccess` → link the new instance when its tags declare a client
 * or the auto-link policy (`KVL_AUTOLINK_POLICY`) names one for it → link.requested; else a log line.
 */
import { showInstance } from '../../shared/cloud/dms.js';
import { checkInstanceCreatedTrace, decideAutoLink } from '../../shared/link/auto-link.js';
import { InstanceNotFoundError } from '../../shared/link/errors.js';
import { loadInstance } from '../../shared/link/instance.js';
import { matchAutoLinkRule } from '../../shared/runtime/config.js';
import { kvlHandler } from '../../shared/runtime/handler.js';
import { linkDepsWith } from '../../shared/runtime/link-deps.js';

/** This function's deps: its clients offer only the cloud operations its step calls. */
const createDeps = linkDepsWith({ dms: { showInstance }, vpcep: {}, vpc: {} });

export const handler = kvlHandler(
  {
    name: 'on-instance-created',
    accepts: 'cts',
    async handle(trace, deps, tools) {
      const check = checkInstanceCreatedTrace(trace);
      if (!check.relevant) {
        tools.logger.info('CTS event ignored', { reason: check.reason, traceName: trace.trace_name });
        return [];
      }
      const { instanceId } = check;
      let instance: Awaited<ReturnType<typeof loadInstance>>;
      try {
        instance = await loadInstance(deps, instanceId, 'on-instance-created');
      } catch (error) {
        // Deleted again before we looked: nothing to link, and nothing a retry could change.
        if (error instanceof InstanceNotFoundError) {
          tools.logger.info('new Kafka instance is already gone; nothing to link', { instanceId });
          return [];
        }
        throw error;
      }
      const decision = decideAutoLink(instance, (i) => matchAutoLinkRule(tools.config.autoLinkPolicy, i));
      if (!decision.link) {
        tools.logger.info('new Kafka instance not linked', {
          instanceId,
          name: instance.name,
          reason: decision.reason,
        });
        return [];
      }
      tools.logger.info('linking new Kafka instance', {
        instanceId,
        name: instance.name,
        source: decision.source,
        clientVpcId: decision.request.client.vpcId,
      });
      return [tools.newEvent('kvl.link.requested', decision.request, { subject: instanceId })];
    },
  },
  { createDeps },
);
