/**
 * `kafka-vpcep-link reconcile [--repair]`: one pass. Repairs run in-process (`--via direct`, the
 * default: the CLI then drives each re-requested link to completion) or are published to the chain.
 */
import { type CloudEvent, newCloudEvent } from '../../shared/events/cloudevents.js';
import { driveLink } from '../../shared/link/drive.js';
import { type ReconcileResult, reconcile, reconcileReportData } from '../../shared/link/reconcile.js';
import { unlink } from '../../shared/link/unlink.js';
import { requireTopics } from '../../shared/runtime/config.js';
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

export interface ReconcileOptions extends OutputOptions {
  repair?: boolean;
  via: 'direct' | 'queue';
  json?: boolean;
  timeout: number;
}

/** The same report the reconcile function publishes (shared/link/reconcile.ts builds both). */
export function reportEvent(result: ReconcileResult, source: string): CloudEvent {
  return newCloudEvent('kvl.reconcile.report', { source, data: reconcileReportData(result) });
}

export async function runReconcile(
  options: ReconcileOptions,
  env: Record<string, string | undefined>,
  io: Io,
): Promise<number> {
  const ctx = await commandContext(env, io, options);
  const progress = new Progress(io, options, env);
  const result = await reconcile(ctx.deps, { repair: Boolean(options.repair) });
  let failures = 0;
  for (const action of result.actions) {
    progress.line(
      '↻',
      `${action.instanceId}: ${action.kind}${'id' in action ? ` ${action.id} (${action.why})` : ''}`,
    );
    if (action.kind === 'request-link' || action.kind === 'request-unlink') {
      failures += (await carryOut(ctx, action, options)) ? 0 : 1;
    }
  }
  if (options.json) printJson(io, reportEvent(result, 'kvl/cli'));
  else {
    const counts = Object.entries(result.counts)
      .map(([k, v]) => `${v} ${k}`)
      .join(', ');
    io.out(`Reconcile: ${result.links.length} link(s): ${counts}`);
    for (const link of result.links) {
      io.out(`  ${link.instanceId}  ${link.state}`);
      for (const reason of link.reasons) io.out(`    - ${reason}`);
    }
    if (!options.repair && result.links.some((l) => l.state === 'drifted' || l.state === 'orphan')) {
      io.out('Run with --repair to fix the drift.');
    }
  }
  return failures > 0 ? EXIT.failed : EXIT.ok;
}

async function carryOut(
  ctx: CommandContext,
  action: Extract<ReconcileResult['actions'][number], { kind: 'request-link' | 'request-unlink' }>,
  options: ReconcileOptions,
): Promise<boolean> {
  if (options.via === 'queue') {
    const publisher = createSmnPublisher(ctx.deps.smn, requireTopics(ctx.config));
    await publisher.publish(
      action.kind === 'request-link'
        ? newCloudEvent('kvl.link.requested', {
            source: 'kvl/cli',
            subject: action.instanceId,
            data: action.request,
          })
        : newCloudEvent('kvl.link.unlink-requested', {
            source: 'kvl/cli',
            subject: action.instanceId,
            data: { instanceId: action.instanceId },
          }),
    );
    return true;
  }
  const deadline = Date.now() + options.timeout * 1000;
  try {
    if (action.kind === 'request-link') await driveLink(ctx.deps, action.request, { deadline });
    else await unlink(ctx.deps, action.instanceId, { deadline });
    return true;
  } catch (error) {
    ctx.logger.error('repair failed', { instanceId: action.instanceId, error });
    return false;
  }
}
