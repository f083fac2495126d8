/**
 * Timer → one reconcile pass: `kvl.reconcile.report` always; with repair, `kvl.link.requested` for
 * drifted or failed links (the idempotent chain repairs them) and `kvl.link.unlink-requested` for
 * orphans. Duplicates and broken endpoints are deleted by the pass itself.
 *
 * Repair is on unless `KVL_RECONCILE_REPAIR` turns it off (read with the rest of the configuration,
 * shared/runtime/config.ts); a trigger's `user_event` (`{"repair": false}`) wins over it, so a
 * report-only timer can sit next to the repairing one.
 */
import { listInstances } from '../../shared/cloud/dms.js';
import { listSecurityGroupRules } from '../../shared/cloud/vpc.js';
import {
  deleteEndpoint,
  deleteEndpointService,
  listEndpointServices,
  listEndpoints,
} from '../../shared/cloud/vpcep.js';
import type { CloudEvent } from '../../shared/events/cloudevents.js';
import type { TimerInfo } from '../../shared/events/envelopes.js';
import { reconcile, reconcileReportData } from '../../shared/link/reconcile.js';
import { kvlHandler } from '../../shared/runtime/handler.js';
import { linkDepsWith } from '../../shared/runtime/link-deps.js';

function repairWanted(timer: TimerInfo, configured: boolean): boolean {
  const payload = timer.payload;
  if (typeof payload === 'object' && payload !== null && 'repair' in payload) {
    const repair = (payload as { repair: unknown }).repair;
    if (typeof repair === 'boolean') return repair;
  }
  return configured;
}

/** This function's deps: its clients offer only the cloud operations its step calls. */
const createDeps = linkDepsWith({
  dms: { listInstances },
  vpcep: { listEndpointServices, deleteEndpointService, listEndpoints, deleteEndpoint },
  vpc: { listSecurityGroupRules },
});

export const handler = kvlHandler(
  {
    name: 'reconcile',
    accepts: 'timer',
    async handle(timer, deps, tools) {
      const repair = repairWanted(timer, tools.config.reconcileRepair);
      const result = await reconcile(deps, { repair });
      tools.logger.info('reconcile pass', { repair, counts: result.counts, actions: result.actions.length });
      const events: CloudEvent[] = [tools.newEvent('kvl.reconcile.report', reconcileReportData(result))];
      for (const action of result.actions) {
        const subject = action.instanceId;
        if (action.kind === 'request-link') {
          events.push(tools.newEvent('kvl.link.requested', action.request, { subject }));
        } else if (action.kind === 'request-unlink') {
          events.push(tools.newEvent('kvl.link.unlink-requested', { instanceId: subject }, { subject }));
        } else {
          tools.logger.info('reconcile deleted a resource', {
            instanceId: subject,
            kind: action.kind,
            id: action.id,
            why: action.why,
          });
        }
      }
      return events;
    },
  },
  { createDeps },
);
