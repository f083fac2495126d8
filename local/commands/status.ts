/** `kafka-vpcep-link status`: desired vs actual per link, from one snapshot of the cloud. */
import { IdSchema } from '../../shared/events/cloudevents.js';
import { assessLinks, type LinkStatus, takeSnapshot } from '../../shared/link/status.js';
import { commandContext, EXIT, type Io, type OutputOptions, printJson, UsageError } from './common.js';

export interface StatusOptions extends OutputOptions {
  instance?: string;
  json?: boolean;
  /**
   * 0 all linked (or none), 1 error, 3 something drifted, failed, in progress or orphaned. Without
   * it: 0 whenever the state could be read, 1 when it could not.
   */
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

/** Age of a link: since its oldest endpoint service was created (`3d`, `5h`, `12m`, `40s`). */
function ageOf(status: LinkStatus, now: number): string {
  const created = status.services
    .map((s) => (s.createdAt ? Date.parse(s.createdAt) : Number.NaN))
    .filter((t) => Number.isFinite(t));
  if (created.length === 0) return '-';
  const seconds = Math.max(0, Math.floor((now - Math.min(...created)) / 1000));
  if (seconds >= 86_400) return `${Math.floor(seconds / 86_400)}d`;
  if (seconds >= 3_600) return `${Math.floor(seconds / 3_600)}h`;
  if (seconds >= 60) return `${Math.floor(seconds / 60)}m`;
  return `${seconds}s`;
}

/** One row per link, columns aligned; reasons and bootstrap servers below their row. */
export function statusTable(
  statuses: readonly LinkStatus[],
  names: ReadonlyMap<string, string>,
  now: number,
): string[] {
  const header = ['INSTANCE', 'NAME', 'STATE', 'CLIENT VPC', 'AGE'];
  const rows = statuses.map((s) => [
    s.instanceId,
    names.get(s.instanceId) ?? '(deleted)',
    s.state,
    s.desired?.client.vpcId ?? '-',
    ageOf(s, now),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const format = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  const lines = [format(header)];
  statuses.forEach((s, i) => {
    lines.push(format(rows[i]!));
    if (s.bootstrapServers) lines.push(`    bootstrap servers: ${s.bootstrapServers}`);
    for (const reason of s.reasons) lines.push(`    - ${reason}`);
  });
  return lines;
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
  const snapshot = await takeSnapshot(deps);
  const statuses = assessLinks(snapshot).filter(
    (s) => options.instance === undefined || s.instanceId === options.instance,
  );
  // Like unlink and verify: an instance that does not exist (and left nothing of a link) is bad input.
  const unknown =
    options.instance !== undefined &&
    statuses.length === 0 &&
    !snapshot.instances.some((i) => i.instanceId === options.instance);
  if (unknown) {
    throw new UsageError(
      `--instance: Kafka instance ${options.instance} does not exist (and nothing of a link to it was found)`,
    );
  }
  if (options.json) {
    printJson(io, statuses.map(statusView));
  } else if (statuses.length === 0) {
    io.out(options.instance ? `${options.instance}: not linked` : 'No links.');
  } else {
    const names = new Map(snapshot.instances.map((i) => [i.instanceId, i.name]));
    for (const line of statusTable(statuses, names, snapshot.takenAt)) io.out(line);
  }
  if (options.detailedExitcode) {
    return statuses.every((s) => s.state === 'linked') ? EXIT.ok : EXIT_NOT_ALL_LINKED;
  }
  // Reading the state succeeded, whatever it is (INTERFACES: 1 means the operation failed); the
  // state is in the exit code only when asked, as with terraform plan.
  return EXIT.ok;
}
