/**
 * Waiting for the outcome of a request published to the chain (`--via queue --wait`). On the
 * emulator the events topic can be read back (admin API), so the real completion event is returned.
 * Against a real account SMN cannot be read, so the cloud is polled until the link is linked or
 * failed, and the completion is rebuilt from what the cloud reports.
 */
import { type CloudEvent, newCloudEvent, parseCloudEvent } from '../../shared/events/cloudevents.js';
import { pairBrokers } from '../../shared/link/mapping.js';
import { assessLinks, takeSnapshot } from '../../shared/link/status.js';
import type { CommandContext, Progress } from './common.js';

const FINAL_TYPES = new Set(['kvl.link.completed', 'kvl.link.failed', 'kvl.link.removed']);

/** Nobody would handle a request published to this topic: waiting for its outcome would hang. */
export class NoSubscriberError extends Error {
  constructor(readonly topicUrn: string) {
    super(
      `nothing is subscribed to ${topicUrn}: no function would handle this request. Deploy the functions ` +
        '(docs/DEPLOY.md), run the emulator with its runtime, or use --via direct',
    );
    this.name = 'NoSubscriberError';
  }
}

/**
 * Before `--via queue` publishes: a topic with no confirmed subscriber means the request would be
 * lost (SMN delivers to the subscribers it has, and keeps nothing), and a `--wait` would run to its
 * timeout, so say so at once. If the subscriptions cannot be read (say the caller lacks the SMN
 * permission), the request is published anyway.
 */
export async function requireSubscriber(
  ctx: CommandContext,
  topicUrn: string,
  progress: Progress,
): Promise<void> {
  let confirmed: number;
  try {
    confirmed = (await ctx.deps.smn.listTopicSubscriptions(topicUrn)).filter((s) => s.status === 1).length;
  } catch (error) {
    progress.line(
      '!',
      `could not read the subscriptions of ${topicUrn} (${(error as Error).message}); publishing anyway`,
    );
    return;
  }
  if (confirmed === 0) throw new NoSubscriberError(topicUrn);
}

/**
 * `--wait` ran out of time. The request is not lost: it stays with the chain, which goes on without
 * the command, so the message says how to follow it rather than suggesting a failure.
 */
export class OutcomeTimeoutError extends Error {
  constructor(
    readonly requestId: string,
    readonly instanceId: string | undefined,
  ) {
    super(
      `no outcome for request ${requestId} within the timeout; the request was published and the ` +
        `functions go on with it: ${instanceId ? `\`status --instance ${instanceId}\`` : '`status`'} ` +
        'shows where it stands (or wait longer with --timeout)',
    );
    this.name = 'OutcomeTimeoutError';
  }
}

export async function waitForOutcome(
  ctx: CommandContext,
  request: CloudEvent,
  options: {
    deadline: number;
    progress: Progress;
    env: Record<string, string | undefined>;
    intervalMs?: number;
  },
): Promise<CloudEvent> {
  const interval = options.intervalMs ?? 500;
  const eventsTopic = ctx.config.topics.events;
  const admin = ctx.config.endpoints.all;
  options.progress.waiting(`waiting for the outcome of ${request.id}`);
  try {
    while (Date.now() < options.deadline) {
      const found =
        admin && eventsTopic
          ? await fromEmulator(admin, eventsTopic, request)
          : await fromCloud(ctx, request.subject ?? '');
      if (found) return found;
      await new Promise((resolve) => setTimeout(resolve, interval));
    }
  } finally {
    options.progress.stopSpinner();
  }
  throw new OutcomeTimeoutError(request.id, request.subject);
}

async function fromEmulator(
  endpoint: string,
  topic: string,
  request: CloudEvent,
): Promise<CloudEvent | undefined> {
  const response = await fetch(`${endpoint}/_emulator/messages?topic=${encodeURIComponent(topic)}`);
  if (!response.ok) return undefined;
  const messages = (await response.json()) as Array<{ message: string }>;
  for (const { message } of messages) {
    let event: CloudEvent;
    try {
      event = parseCloudEvent(JSON.parse(message)) as CloudEvent;
    } catch {
      continue;
    }
    if (FINAL_TYPES.has(event.type) && event.correlationid === request.id) return event;
  }
  return undefined;
}

async function fromCloud(ctx: CommandContext, instanceId: string): Promise<CloudEvent | undefined> {
  const snapshot = await takeSnapshot(ctx.deps);
  const status = assessLinks(snapshot).find((s) => s.instanceId === instanceId);
  if (!status || (status.state !== 'linked' && status.state !== 'failed')) return undefined;
  if (status.state === 'failed' || !status.desired) {
    return newCloudEvent('kvl.link.failed', {
      source: 'kvl/cli',
      time: ctx.deps.clock.now(),
      subject: instanceId,
      data: { instanceId, step: 'wait', reason: status.reasons.join('; ') || 'the link failed' },
    });
  }
  const instance = snapshot.instances.find((i) => i.instanceId === instanceId)!;
  const { links } = pairBrokers(
    instance.listeners,
    status.services,
    status.endpoints,
    status.desired.client.vpcId,
  );
  return newCloudEvent('kvl.link.completed', {
    source: 'kvl/cli',
    time: ctx.deps.clock.now(),
    subject: instanceId,
    data: {
      instanceId,
      client: status.desired.client,
      bootstrapServers: status.bootstrapServers ?? '',
      securityProtocol: instance.securityProtocol,
      saslMechanisms: instance.saslMechanisms,
      mapping: links,
      timings: { completedAt: new Date().toISOString() },
    },
  });
}
