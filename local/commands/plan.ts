/**
 * `link --dry-run`: what a link would change, as a plan in the style operators know from Terraform
 * (`+ create`, `~ change`, `- delete`, with counts), from one snapshot of the cloud plus the writes
 * create-services already planned. Nothing is written.
 */
import type { PlannedAction } from '../../shared/link/create-services.js';
import type { LinkDeps } from '../../shared/link/deps.js';
import type { LinkRequest } from '../../shared/link/desired.js';
import { assessLinks, hasVpcepRule, takeSnapshot } from '../../shared/link/status.js';
import { VPCEP_SERVICE_CIDR } from '../../shared/link/vpcep-network.js';

export interface PlanLine {
  change: '+' | '~' | '-';
  what: string;
}

export interface LinkPlan {
  instanceId: string;
  lines: PlanLine[];
  counts: { create: number; change: number; delete: number };
}

const ACTION_LINES: Readonly<Record<string, (a: PlannedAction) => PlanLine>> = {
  'tag-instance': (a) => ({ change: '~', what: `instance ${a.target}: tags ${a.detail ?? ''}` }),
  'create-service': (a) => ({
    change: '+',
    what: `endpoint service for ${a.target} (listener ${a.detail ?? '?'}), TCP 9011→9011`,
  }),
  'adopt-service': (a) => ({ change: '~', what: `endpoint service ${a.target}: tagged as this link's` }),
  whitelist: (a) => ({ change: '~', what: `endpoint service ${a.target}: whitelist ${a.detail ?? ''}` }),
};

export async function planLink(
  deps: Pick<LinkDeps, 'dms' | 'vpcep' | 'vpc' | 'clock'> &
    Partial<Pick<LinkDeps, 'clientAccount' | 'logger'>>,
  request: LinkRequest,
  actions: readonly PlannedAction[],
): Promise<LinkPlan> {
  const lines: PlanLine[] = actions.map(
    (a) => ACTION_LINES[a.action]?.(a) ?? { change: '~', what: `${a.action} ${a.target}` },
  );
  const snapshot = await takeSnapshot(deps);
  const instance = snapshot.instances.find((i) => i.instanceId === request.instanceId);
  const status = assessLinks(snapshot).find((s) => s.instanceId === request.instanceId);
  const { vpcId, subnetId } = request.client;
  for (const listener of instance?.listeners ?? []) {
    const service = status?.services.find((s) => s.portId === listener.portId && s.status !== 'deleting');
    const endpoint = status?.endpoints.find(
      (e) => e.endpointServiceId === service?.id && e.vpcId === vpcId && e.status !== 'deleting',
    );
    if (!endpoint) {
      lines.push({
        change: '+',
        what: `endpoint in VPC ${vpcId} / subnet ${subnetId} for ${service ? `service ${service.id}` : 'the new service'} (listener ${listener.listenerIp})`,
      });
    }
    if (!endpoint?.ip || listener.advertisedIp !== endpoint.ip) {
      lines.push({
        change: '~',
        what: `advertised.listeners ${listener.listenerIp}: ${listener.advertisedIp} → ${endpoint?.ip ?? "(its endpoint's IP, known once accepted)"}`,
      });
    }
  }
  if (
    instance &&
    request.options?.securityGroupRule !== false &&
    !hasVpcepRule(snapshot.rules, instance.securityGroupId)
  ) {
    lines.push({
      change: '+',
      what: `security group rule on ${instance.securityGroupId}: ingress TCP 9011 from ${VPCEP_SERVICE_CIDR}`,
    });
  }
  const count = (c: PlanLine['change']) => lines.filter((l) => l.change === c).length;
  return {
    instanceId: request.instanceId,
    lines,
    counts: { create: count('+'), change: count('~'), delete: count('-') },
  };
}

export function renderPlan(plan: LinkPlan, request: LinkRequest): string[] {
  if (plan.lines.length === 0) {
    return [`No changes. ${plan.instanceId} is linked to VPC ${request.client.vpcId} as requested.`];
  }
  const { create, change, delete: remove } = plan.counts;
  return [
    `Dry run for ${plan.instanceId}: nothing was written. The link would make these changes:`,
    ...plan.lines.map((l) => `  ${l.change} ${l.what}`),
    `Plan: ${create} to create, ${change} to change, ${remove} to delete.`,
  ];
}
