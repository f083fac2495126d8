/**
 * Timer → moves pending links on: accepted → endpoints-accepted, broken or timed out → link.failed,
 * services without endpoints for too long (a lost message) → link.requested again. The decisions,
 * the marking of failed links and the re-drive are the domain's (pollAcceptanceTick); this only
 * publishes them.
 */

import { showInstance } from '../../shared/cloud/dms.js';
import { createResourceTags, listEndpoints, queryResourcesByTags } from '../../shared/cloud/vpcep.js';
import type { CloudEvent } from '../../shared/events/cloudevents.js';
import { pollAcceptanceTick, STEP_POLL_ACCEPTANCE } from '../../shared/link/poll-acceptance.js';
import { kvlHandler } from '../../shared/runtime/handler.js';
import { linkDepsWith } from '../../shared/runtime/link-deps.js';

/** This function's deps: its clients offer only the cloud operations its step calls. */
const createDeps = linkDepsWith({
  dms: { showInstance },
  vpcep: { listEndpoints, createResourceTags, queryResourcesByTags },
  vpc: {},
});

export const handler = kvlHandler(
  {
    name: 'poll-acceptance',
    accepts: 'timer',
    async handle(_timer, deps, tools) {
      const events: CloudEvent[] = [];
      for (const outcome of await pollAcceptanceTick(deps)) {
        const subject = outcome.instanceId;
        if (outcome.outcome === 'waiting') {
          tools.logger.debug('still waiting', { instanceId: subject, detail: outcome.detail });
          continue;
        }
        // Timer-driven events carry the id of the request that asked for the link.
        const init = { subject, ...(outcome.correlationId ? { correlationid: outcome.correlationId } : {}) };
        switch (outcome.outcome) {
          case 'accepted':
            events.push(
              tools.newEvent(
                'kvl.link.endpoints-accepted',
                { instanceId: subject, client: outcome.client },
                init,
              ),
            );
            break;
          case 'failed':
            events.push(
              tools.newEvent(
                'kvl.link.failed',
                {
                  instanceId: subject,
                  step: STEP_POLL_ACCEPTANCE,
                  reason: outcome.reason,
                  code: outcome.code,
                },
                init,
              ),
            );
            break;
          case 'redrive':
            events.push(
              tools.newEvent(
                'kvl.link.requested',
                { instanceId: subject, client: outcome.client, options: outcome.options },
                init,
              ),
            );
            break;
        }
      }
      return events;
    },
  },
  { createDeps },
);
