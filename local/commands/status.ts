/** `kafka-vpcep-link status`: desired vs actual per link, from one snapshot of the cloud. */
import { IdSchema } from '../../shared/events/cloudevents.js';
import { assessLinks, type LinkStatus, takeSnapshot } from '../../shared/link/status.js';
import { commandContext, EXIT, type Io, type OutputOptions, printJson, UsageError } from './common.js';

export interface StatusOptions extends OutputOptions {
  instance?: string;
  json?: boolean;
  /** 0 all linked (or none), 1 error, 3 something drifted, failed, in progress or orphaned. */
  detailedExitcode?: boolean;
}

/** `--detailed-exitcode`'s "something needs attention" (as terraform plan uses 2, we use 3). */
export const EXIT_NOT_ALL_LINKED = 3;

export function statusView(status: LinkStatus) {
  return {
    instanceId: status.instanceId,
    state: status.state,
    reasons: status.reasons,
    ...(status.desired ? { client: status.desired.client } : {}),
    ...(status.bootstrapServers ? { bootstrapServers: status.bootstrapServers } : {}),
    services: status.services.map((s) => ({ id: s.id, portId: s.portId, status: s.status })),
    endpoints: status.endpoints.map((e) => ({
      id: e.id,
      serviceId: e.endpointServiceId,
      status: e.status,
      ip: e.ip,
    })),
  };
}

export async function runStatus(
  options: StatusOptions,
  env: Record<string, string | undefined>,
  io: Io,
): Promise<number> {
  if (options.instance !== undefined && !IdSchema.safeParse(options.instance).success) {
    throw new UsageError('--instance: must be 1-64 characters of [A-Za-z0-9_-]');
  }
  const { deps } = await commandContext(env, io, options);
  const statuses = assessLinks(await takeSnapshot(deps)).filter(
    (s) => options.instance === undefined || s.instanceId === options.instance,
  );
  if (options.json) {
    printJson(io, statuses.map(statusView));
  } else if (statuses.length === 0) {
    io.out(options.instance ? `${options.instance}: not linked` : 'No links.');
  } else {
    for (const s of statuses) {
      io.out(`${s.instanceId}  ${s.state}${s.desired ? `  → VPC ${s.desired.client.vpcId}` : ''}`);
      if (s.bootstrapServers) io.out(`    bootstrap servers: ${s.bootstrapServers}`);
      for (const reason of s.reasons) io.out(`    - ${reason}`);
    }
  }
  if (options.detailedExitcode) {
    return statuses.every((s) => s.state === 'linked') ? EXIT.ok : EXIT_NOT_ALL_LINKED;
  }
  return statuses.some((s) => s.state === 'failed') ? EXIT.failed : EXIT.ok;
}
