/**
 * Timer → moves pending links on: accepted → endpoints-accepted, broken or timed out → link.failed,
 * services without endpoints for too long (a lost message) → services-ready again.
 */

import type { CloudEvent } from '../../shared/events/cloudevents.js';
import { desiredLinkOf } from '../../shared/link/desired.js';
import { markFailed, pollAcceptance, STEP_POLL_ACCEPTANCE } from '../../shared/link/poll-acceptance.js';
import { kvlHandler } from '../../shared/runtime/handler.js';
import { createLinkDeps } from '../../shared/runtime/link-deps.js';

export const handler = kvlHandler(
  {
    name: 'poll-acceptance',
    accepts: 'timer',
    async handle(_timer, deps, tools) {
      const events: CloudEvent[] = [];
      for (const pending of await pollAcceptance(deps)) {
        const subject = pending.instanceId;
        // Timer-driven events carry the id of the request that asked for the link.
        const correlationId = pending.outcome === 'waiting' ? undefined : pending.correlationId;
        const init = { subject, ...(correlationId ? { correlationid: correlationId } : {}) };
        switch (pending.outcome) {
          case 'accepted':
            events.push(
              tools.newEvent(
                'kvl.link.endpoints-accepted',
                { instanceId: subject, client: pending.client },
                init,
              ),
            );
            break;
          case 'failed':
            await markFailed(deps, subject);
            events.push(
              tools.newEvent(
                'kvl.link.failed',
                {
                  instanceId: subject,
                  step: STEP_POLL_ACCEPTANCE,
                  reason: pending.reason,
                  code: pending.code,
                },
                init,
              ),
            );
            break;
          case 'redrive': {
            const desired = desiredLinkOf(await deps.dms.showInstance(subject));
            if (!desired) break;
            // From the start of the chain: create-services is idempotent, finishes services that were
            // only partly created, and hands on to buy-endpoints when they are all available.
            tools.logger.warn('re-driving a link whose endpoints never came', { instanceId: subject });
            events.push(
              tools.newEvent(
                'kvl.link.requested',
                {
                  instanceId: subject,
                  client: desired.client,
                  options: {
                    securityGroupRule: desired.securityGroupRule,
                    networkAclRule: desired.networkAclRule,
                  },
                },
                init,
              ),
            );
            break;
          }
          case 'waiting':
            tools.logger.debug('still waiting', { instanceId: subject, detail: pending.detail });
            break;
        }
      }
      return events;
    },
  },
  { createDeps: createLinkDeps },
);
