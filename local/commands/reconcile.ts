/**
 * `kafka-vpcep-link reconcile [--repair]`: one pass. Repairs run in-process (`--via direct`, the
 * default: the CLI then drives each re-requested link to completion) or are published to the chain.
 */
import { type CloudEvent, newCloudEvent } from '../../shared/events/cloudevents.js';
import { driveLink } from '../../shared/link/drive.js';
import {
  type ReconcileResult,
  reconcile,
  reconcileReportData,
  repairActsOn,
} from '../../shared/link/reconcile.js';
import { assessLinks, takeSnapshot } from '../../shared/link/status.js';
import { unlink } from '../../shared/link/unlink.js';
import { requireTopics } from '../../shared/runtime/config.js';
import { redactString } from '../../shared/runtime/logger.js';
import { createSmnPublisher } from '../../shared/runtime/publisher.js';
import {
  type CommandContext,
  commandContext,
  EXIT,
  type Io,
  type OutputOptions,
  Progress,
  printJson,
} from './common.js';
import { statusView } from './status.js';

export interface ReconcileOptions extends OutputOptions {
  repair?: boolean;
  via: 'direct' | 'queue';
  json?: boolean;
  timeout: number;
}

/** The same report the reconcile function publishes (shared/link/reconcile.ts builds both). */
export function reportEvent(result: ReconcileResult, source: string): CloudEvent {
  return newCloudEvent('kvl.reconcile.report', {
    source,
    time: result.checkedAt,
    data: reconcileReportData(result),
  });
}

export async function runReconcile(
  options: ReconcileOptions,
  env: Record<string, string | undefined>,
  io: Io,
): Promise<number> {
  // `--timeout` bounds the scan and then each repair: a throttled call waits while that allows.
  const deadline = { at: Date.now() + options.timeout * 1000 };
  const ctx = await commandContext(env, io, options, () => deadline.at);
  const progress = new Progress(io, options, env);
  const result = await reconcile(ctx.deps, { repair: Boolean(options.repair) });
  let failures = 0;
  for (const action of result.actions) {
    progress.line(
      '↻',
      `${action.instanceId}: ${action.kind}${'id' in action ? ` ${action.id} (${action.why})` : ''}`,
    );
    if (action.kind === 'request-link' || action.kind === 'request-unlink') {
      deadline.at = Date.now() + options.timeout * 1000;
      failures += (await carryOut(ctx, action, options, io, deadline.at)) ? 0 : 1;
    }
  }
  // After repairs carried out here, say where each link ended and what clients must know.
  const after =
    options.repair && options.via !== 'queue' && result.actions.length > 0
      ? assessLinks(await takeSnapshot(ctx.deps))
      : undefined;
  if (options.json) {
    const report = reportEvent(result, 'kvl/cli');
    printJson(io, after ? { ...report, after: after.map(statusView) } : report);
  } else if (after) {
    io.out(`Reconcile: ${result.actions.length} repair(s); state after the repairs:`);
    for (const link of after) {
      io.out(`  ${link.instanceId}  ${link.state}`);
      for (const reason of link.reasons) io.out(`    - ${reason}`);
      // Before the repair, clients had what the instance advertised then (a drifted link has no
      // bootstrap servers of its own).
      const before = result.links.find((l) => l.instanceId === link.instanceId)?.advertisedServers;
      if (link.bootstrapServers && before !== link.bootstrapServers) {
        io.out(
          `    bootstrap servers changed: ${before ?? '(none)'} → ${link.bootstrapServers}; update the clients`,
        );
      }
    }
    for (const link of result.links.filter((l) => !after.some((a) => a.instanceId === l.instanceId))) {
      io.out(`  ${link.instanceId}  removed (was ${link.state})`);
    }
  } else {
    const counts = Object.entries(result.counts)
      .map(([k, v]) => `${v} ${k}`)
      .join(', ');
    io.out(`Reconcile: ${result.links.length} link(s): ${counts}`);
    for (const link of result.links) {
      io.out(`  ${link.instanceId}  ${link.state}`);
      for (const reason of link.reasons) io.out(`    - ${reason}`);
    }
    if (!options.repair && result.links.some(repairActsOn)) {
      io.out('Run with --repair to fix the drift.');
    }
  }
  return failures > 0 ? EXIT.failed : EXIT.ok;
}

async function carryOut(
  ctx: CommandContext,
  action: Extract<ReconcileResult['actions'][number], { kind: 'request-link' | 'request-unlink' }>,
  options: ReconcileOptions,
  io: Io,
  deadline: number,
): Promise<boolean> {
  if (options.via === 'queue') {
    const publisher = createSmnPublisher(ctx.deps.smn, requireTopics(ctx.config));
    await publisher.publish(
      action.kind === 'request-link'
        ? newCloudEvent('kvl.link.requested', {
            source: 'kvl/cli',
            time: ctx.deps.clock.now(),
            subject: action.instanceId,
            data: action.request,
          })
        : newCloudEvent('kvl.link.unlink-requested', {
            source: 'kvl/cli',
            time: ctx.deps.clock.now(),
            subject: action.instanceId,
            data: { instanceId: action.instanceId },
          }),
    );
    return true;
  }
  try {
    if (action.kind === 'request-link') await driveLink(ctx.deps, action.request, { deadline });
    else await unlink(ctx.deps, action.instanceId, { deadline });
    return true;
  } catch (error) {
    ctx.logger.error('repair failed', { instanceId: action.instanceId, error });
    // Log lines are opt-in: the operator must still hear of it.
    io.err(
      `repair of ${action.instanceId} failed: ${redactString((error as Error).message ?? String(error))}`,
    );
    return false;
  }
}
