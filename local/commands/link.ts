/**
 * `kafka-vpcep-link link`: link one instance, either in-process (`--via direct`, the same steps the
 * functions run) or by publishing a link request to the chain (`--via queue`).
 */
import {
  type CloudEvent,
  issueToError,
  LinkRequestedDataSchema,
  newCloudEvent,
} from '../../shared/events/cloudevents.js';
import type { LinkRequest } from '../../shared/link/desired.js';
import { type DriveProgress, driveLink } from '../../shared/link/drive.js';
import type { LinkCompletion } from '../../shared/link/patch-listeners.js';
import { requireTopics } from '../../shared/runtime/config.js';
import { createSmnPublisher } from '../../shared/runtime/publisher.js';
import {
  type CommandContext,
  commandContext,
  EXIT,
  flagOf,
  type Io,
  type OutputOptions,
  Progress,
  printJson,
  UsageError,
} from './common.js';
import { waitForOutcome } from './wait.js';

export interface LinkCommandOptions extends OutputOptions {
  instance: string;
  clientVpc: string;
  clientSubnet: string;
  clientDomain?: string;
  clientAgency?: string;
  whitelist?: string[];
  securityGroupRule: boolean;
  networkAclRule?: boolean;
  dryRun?: boolean;
  via: 'direct' | 'queue';
  wait?: boolean;
  json?: boolean;
  timeout: number;
}

export function linkRequestFromOptions(options: LinkCommandOptions): LinkRequest {
  const data = {
    instanceId: options.instance,
    client: {
      vpcId: options.clientVpc,
      subnetId: options.clientSubnet,
      ...(options.clientDomain ? { domainId: options.clientDomain } : {}),
      ...(options.clientAgency ? { agencyName: options.clientAgency } : {}),
    },
    options: {
      securityGroupRule: options.securityGroupRule,
      ...(options.whitelist?.length ? { whitelist: options.whitelist } : {}),
      ...(options.networkAclRule ? { networkAclRule: true } : {}),
      ...(options.dryRun ? { dryRun: true } : {}),
    },
  };
  const parsed = LinkRequestedDataSchema.safeParse(data);
  if (!parsed.success) {
    const error = issueToError(parsed.error.issues);
    const field = error.field.replace(/^data\./, '');
    throw new UsageError(`${flagOf(field)}: ${error.reason}`, { cause: error });
  }
  return parsed.data;
}

export function completionEvent(completion: LinkCompletion, startedAt: number, finishedAt: number) {
  return newCloudEvent('kvl.link.completed', {
    source: 'kvl/cli',
    subject: completion.instanceId,
    data: {
      instanceId: completion.instanceId,
      client: completion.client,
      bootstrapServers: completion.bootstrapServers,
      securityProtocol: completion.securityProtocol,
      saslMechanisms: completion.saslMechanisms,
      mapping: completion.mapping,
      ...(completion.securityGroupRuleId ? { securityGroupRuleId: completion.securityGroupRuleId } : {}),
      redelivered: completion.redelivered,
      timings: {
        requestedAt: new Date(startedAt).toISOString(),
        completedAt: new Date(finishedAt).toISOString(),
        durationMs: finishedAt - startedAt,
      },
    },
  });
}

export function describeCompletion(io: Io, event: CloudEvent): void {
  if (event.type !== 'kvl.link.completed') return;
  const d = event.data;
  io.out(`Linked ${d.instanceId} to VPC ${d.client.vpcId}${d.redelivered ? ' (already linked)' : ''}`);
  io.out(`  bootstrap servers: ${d.bootstrapServers}`);
  io.out(
    `  security protocol: ${d.securityProtocol}${d.saslMechanisms.length ? ` (${d.saslMechanisms.join(', ')})` : ''}`,
  );
  for (const m of d.mapping) {
    io.out(
      `  ${m.listenerIp.padEnd(15)} → ${m.endpointIp.padEnd(15)} via ${m.endpointId} (service ${m.serviceId}, port ${m.portId})`,
    );
  }
}

export async function runLink(
  options: LinkCommandOptions,
  env: Record<string, string | undefined>,
  io: Io,
  context?: CommandContext,
): Promise<number> {
  const request = linkRequestFromOptions(options);
  const ctx = context ?? (await commandContext(env, io, options));
  const progress = new Progress(io, options);
  const deadline = Date.now() + options.timeout * 1000;

  if (options.via === 'queue' && !options.dryRun) {
    const topics = requireTopics(ctx.config);
    const event = newCloudEvent('kvl.link.requested', {
      source: 'kvl/cli',
      subject: request.instanceId,
      data: request,
    });
    await createSmnPublisher(ctx.deps.smn, topics).publish(event);
    progress.line('→', `link request ${event.id} published to ${topics.linkRequests}`);
    if (!options.wait) {
      if (options.json) printJson(io, event);
      return EXIT.ok;
    }
    const outcome = await waitForOutcome(ctx, event, { deadline, progress, env });
    if (options.json) printJson(io, outcome);
    else if (outcome.type === 'kvl.link.completed') describeCompletion(io, outcome);
    else if (outcome.type === 'kvl.link.failed') {
      const { field, reason, step } = outcome.data;
      io.err(field ? `error: ${flagOf(field)}: ${reason}` : `link failed in ${step}: ${reason}`);
    }
    if (outcome.type === 'kvl.link.completed') return EXIT.ok;
    // Refused because of what the request names: the same exit code as a refusal in direct mode.
    return outcome.type === 'kvl.link.failed' && outcome.data.field ? EXIT.usage : EXIT.failed;
  }

  const onProgress = ({ step, phase, detail }: DriveProgress) => {
    if (phase === 'waiting') progress.waiting(`${step}: ${detail ?? 'waiting'}`);
    else progress.line(phase === 'start' ? '▶' : '✔', `${step}${detail ? `: ${detail}` : ''}`);
  };
  const result = await driveLink(ctx.deps, request, { deadline }, onProgress);
  progress.stopSpinner();
  if (result.outcome === 'planned') {
    if (options.json)
      printJson(io, { dryRun: true, instanceId: request.instanceId, actions: result.actions });
    else {
      io.out(`Dry run for ${request.instanceId}: nothing was written. Planned actions:`);
      for (const a of result.actions)
        io.out(`  ${a.action.padEnd(15)} ${a.target}${a.detail ? ` (${a.detail})` : ''}`);
      io.out(
        '  then: buy one endpoint per service, write the advertised map, open TCP 9011 from 198.19.128.0/17',
      );
    }
    return EXIT.ok;
  }
  const event = completionEvent(result.completion, result.startedAt, result.finishedAt);
  // Subscribers of the events topic hear of CLI links too, when it is configured.
  if (ctx.config.topics.events) {
    await ctx.deps.smn.publish(ctx.config.topics.events, {
      subject: event.type,
      message: JSON.stringify(event),
    });
  }
  if (options.json) printJson(io, event);
  else describeCompletion(io, event);
  return EXIT.ok;
}
