/** `kafka-vpcep-link unlink`: the reverse of a link, in-process or through the chain. */
import { IdSchema, newCloudEvent } from '../../shared/events/cloudevents.js';
import { nothingUnlinked, type UnlinkResult, unlink } from '../../shared/link/unlink.js';
import { requireTopics } from '../../shared/runtime/config.js';
import { createSmnPublisher } from '../../shared/runtime/publisher.js';
import {
  commandContext,
  EXIT,
  type Io,
  type OutputOptions,
  onInterrupt,
  Progress,
  printJson,
  UsageError,
} from './common.js';
import { requireSubscriber, waitForOutcome } from './wait.js';

export interface UnlinkOptions extends OutputOptions {
  instance: string;
  via: 'direct' | 'queue';
  wait?: boolean;
  json?: boolean;
  timeout: number;
}

export async function runUnlink(
  options: UnlinkOptions,
  env: Record<string, string | undefined>,
  io: Io,
): Promise<number> {
  if (!IdSchema.safeParse(options.instance).success) {
    throw new UsageError('--instance: must be 1-64 characters of [A-Za-z0-9_-]');
  }
  const deadline = Date.now() + options.timeout * 1000;
  const ctx = await commandContext(env, io, options, () => deadline);
  const progress = new Progress(io, options, env);
  if (options.via === 'queue') {
    const event = newCloudEvent('kvl.link.unlink-requested', {
      source: 'kvl/cli',
      time: ctx.deps.clock.now(),
      subject: options.instance,
      data: { instanceId: options.instance },
    });
    const topics = requireTopics(ctx.config);
    await requireSubscriber(ctx, topics.unlinkRequests, progress);
    await createSmnPublisher(ctx.deps.smn, topics).publish(event);
    progress.line('→', `unlink request ${event.id} published`);
    const outcome = options.wait ? await waitForOutcome(ctx, event, { deadline, progress, env }) : event;
    if (options.json) printJson(io, outcome);
    return outcome.type === 'kvl.link.failed' ? EXIT.failed : EXIT.ok;
  }
  // Every step of unlink is idempotent: an interrupted one is finished by running it again.
  const stopHint = onInterrupt(progress, () =>
    io.err(
      `interrupted: nothing is lost. Run the same command again to finish unlinking ${options.instance}.`,
    ),
  );
  progress.line('▶', `unlinking ${options.instance}`);
  let result: UnlinkResult;
  try {
    result = await unlink(ctx.deps, options.instance, { deadline });
  } finally {
    stopHint();
  }
  if (!result.instanceFound && nothingUnlinked(result)) {
    throw new UsageError(
      `--instance: Kafka instance ${options.instance} does not exist (and nothing of a link to it was found)`,
    );
  }
  const event = newCloudEvent('kvl.link.removed', {
    source: 'kvl/cli',
    time: ctx.deps.clock.now(),
    subject: options.instance,
    data: {
      instanceId: options.instance,
      deleted: {
        endpoints: result.deleted.endpoints,
        services: result.deleted.services,
        securityGroupRule: result.deleted.securityGroupRule,
      },
    },
  });
  if (nothingUnlinked(result)) {
    progress.line('✔', 'nothing to unlink');
    if (options.json) printJson(io, event);
    else io.out(`Nothing to unlink: ${options.instance} has no link`);
    return EXIT.ok;
  }
  progress.line('✔', describeDeletions(result));
  if (options.json) printJson(io, event);
  else {
    const what = result.instanceFound ? '' : ' (the instance no longer exists; its leftovers were removed)';
    io.out(
      `Unlinked ${options.instance}${result.restoredAdvertised ? ' (advertised IPs restored)' : ''}${what}`,
    );
    io.out(`  ${describeDeletions(result)}`);
    if (result.deleted.securityGroupRule) io.out('  removed the security group rule this project had added');
    if (result.deleted.networkAclRule) io.out('  removed the network ACL rule this project had added');
  }
  return EXIT.ok;
}

/** Says only what this run did, and separately what was already on its way out. */
function describeDeletions(result: UnlinkResult): string {
  const parts = [`deleted ${result.deleted.endpoints} endpoint(s), ${result.deleted.services} service(s)`];
  const { endpoints, services } = result.alreadyDeleting;
  if (endpoints + services > 0) {
    parts.push(`${endpoints} endpoint(s) and ${services} service(s) were already being deleted`);
  }
  return parts.join('; ');
}
