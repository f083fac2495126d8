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
  onInterrupt,
  Progress,
  printJson,
  UsageError,
} from './common.js';
import { planLink, renderPlan } from './plan.js';
import { requireSubscriber, waitForOutcome } from './wait.js';

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
      // Given, even empty, they are validated (an empty --client-domain is refused, not ignored).
      ...(options.clientDomain !== undefined ? { domainId: options.clientDomain } : {}),
      ...(options.clientAgency !== undefined ? { agencyName: options.clientAgency } : {}),
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
    time: finishedAt,
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
  io.out('');
  for (const line of clientConfiguration(d.bootstrapServers, d.securityProtocol, d.saslMechanisms))
    io.out(line);
}

/**
 * Ready-to-paste client settings for the three client families users run (Java clients, librdkafka
 * and its bindings, kafkajs). Credentials are placeholders: the CLI never knows or prints them.
 */
export function clientConfiguration(
  bootstrapServers: string,
  securityProtocol: string,
  saslMechanisms: readonly string[],
): string[] {
  const mechanism = saslMechanisms.includes('SCRAM-SHA-512') ? 'SCRAM-SHA-512' : saslMechanisms[0];
  const sasl = securityProtocol.startsWith('SASL') && mechanism !== undefined;
  const tls = securityProtocol === 'SASL_SSL';
  const javaModule =
    mechanism === 'PLAIN'
      ? 'org.apache.kafka.common.security.plain.PlainLoginModule'
      : 'org.apache.kafka.common.security.scram.ScramLoginModule';
  return [
    'Client configuration (Java clients: client.properties):',
    `  bootstrap.servers=${bootstrapServers}`,
    `  security.protocol=${securityProtocol}`,
    ...(sasl
      ? [
          `  sasl.mechanism=${mechanism}`,
          `  sasl.jaas.config=${javaModule} required username="<user>" password="<password>";`,
        ]
      : []),
    ...(tls ? ['  ssl.truststore.location=<truststore with the instance CA>'] : []),
    'librdkafka (kcat, confluent-kafka):',
    `  bootstrap.servers=${bootstrapServers}`,
    `  security.protocol=${securityProtocol.toLowerCase()}`,
    ...(sasl
      ? [`  sasl.mechanisms=${mechanism}`, '  sasl.username=<user>', '  sasl.password=<password>']
      : []),
    ...(tls ? ['  ssl.ca.location=<instance CA file>'] : []),
    'kafkajs:',
    `  { brokers: ${JSON.stringify(bootstrapServers.split(','))},` +
      (tls ? ' ssl: { ca: [<instance CA>] },' : '') +
      (sasl
        ? ` sasl: { mechanism: '${mechanism?.toLowerCase()}', username: '<user>', password: '<password>' } }`
        : ' }'),
  ];
}

/** What each step of a direct run waits for, in the words of the console procedure. */
const STEP_WAIT: Readonly<Record<DriveProgress['step'], string>> = {
  'create-services': 'creating the endpoint services (1–2 min on Huawei Cloud)',
  'buy-endpoints': 'buying the endpoints and waiting for them to be accepted (1–2 min)',
  'patch-listeners': 'writing the advertised map and opening TCP 9011',
};

/**
 * Ctrl-C (or a SIGTERM) during a direct run loses nothing (every step is idempotent and the link is
 * declared on the instance): say how to resume or undo, then exit 130 / 143 as shells expect.
 */
function resumeHintOnInterrupt(io: Io, progress: Progress, instanceId: string): () => void {
  return onInterrupt(progress, () =>
    io.err(
      `interrupted: nothing is lost. Run the same command again to resume the link of ${instanceId}, ` +
        `or 'kafka-vpcep-link unlink --instance ${instanceId}' to undo it.`,
    ),
  );
}

export async function runLink(
  options: LinkCommandOptions,
  env: Record<string, string | undefined>,
  io: Io,
  context?: CommandContext,
): Promise<number> {
  const request = linkRequestFromOptions(options);
  const deadline = Date.now() + options.timeout * 1000;
  const ctx = context ?? (await commandContext(env, io, options, () => deadline));
  const progress = new Progress(io, options, env);

  if (options.via === 'queue' && !options.dryRun) {
    const topics = requireTopics(ctx.config);
    const event = newCloudEvent('kvl.link.requested', {
      source: 'kvl/cli',
      time: ctx.deps.clock.now(),
      subject: request.instanceId,
      data: request,
    });
    // SMN keeps nothing for later: with no subscriber the request would be lost, waited for or not.
    await requireSubscriber(ctx, topics.linkRequests, progress);
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
    else {
      progress.line(phase === 'start' ? '▶' : '✔', `${step}${detail ? `: ${detail}` : ''}`);
      // Each step may wait on the cloud for minutes: keep saying what it waits for.
      if (phase === 'start' && !request.options?.dryRun) progress.waiting(STEP_WAIT[step]);
    }
  };
  const stopOnInterrupt = resumeHintOnInterrupt(io, progress, request.instanceId);
  let result: Awaited<ReturnType<typeof driveLink>>;
  try {
    result = await driveLink(ctx.deps, request, { deadline }, onProgress);
  } finally {
    stopOnInterrupt();
    progress.stopSpinner();
  }
  if (result.outcome === 'planned') {
    const plan = await planLink(ctx.deps, request, result.actions);
    if (options.json) printJson(io, { dryRun: true, ...plan, actions: result.actions });
    else for (const line of renderPlan(plan, request)) io.out(line);
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
