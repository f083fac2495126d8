/**
 * verify: runs inside the client VPC (the deploy plugin attaches it, see docs/DEPLOY.md) and proves
 * that Kafka traffic flows through each link to that VPC, broker by broker. Triggered by
 * `kvl.link.completed` on the events topic (a fresh link) and by a timer (continuous health); publishes
 * `kvl.link.verified` or `kvl.link.unhealthy` with the per-broker results.
 *
 * `KVL_VERIFY_CLIENT_VPC` names the VPC the function sits in; links to other VPCs cannot be reached
 * from here and are left alone, and without it the function does nothing (it must never try brokers
 * it cannot reach, nor anything outside the VPC it was given). Kafka credentials: KVL_KAFKA_USERNAME,
 * KVL_KAFKA_PASSWORD (encrypted user data), KVL_KAFKA_CA_PEM or KVL_KAFKA_CA_FILE.
 *
 * `KVL_VERIFY_ROLLBACK=true`: a fresh link (kvl.link.completed) that fails verify gets its previous
 * advertised map back and ends `kvl.link.failed` (step `verify`), besides `kvl.link.unhealthy`.
 */
import { listInstances, modifyCrossVpc, showInstance } from '../../shared/cloud/dms.js';
import { listEndpointServices, listEndpoints } from '../../shared/cloud/vpcep.js';
import type { CloudEvent } from '../../shared/events/cloudevents.js';
import { EVENT_TYPES } from '../../shared/events/cloudevents.js';
import { unwrapEnvelope } from '../../shared/events/envelopes.js';
import { createKafkajsProbe } from '../../shared/kafka/kafkajs-probe.js';
import { probeOptionsFor } from '../../shared/kafka/settings.js';
import { desiredLinkOf } from '../../shared/link/desired.js';
import { rollbackAdvertised, verificationData, verifyLink } from '../../shared/link/verify.js';
import { ConfigError, createReader } from '../../shared/runtime/config.js';
import { type HandlerTools, kvlHandler } from '../../shared/runtime/handler.js';
import { linkDepsWith } from '../../shared/runtime/link-deps.js';

export const VERIFY_CLIENT_VPC_ENV = 'KVL_VERIFY_CLIENT_VPC';
export const VERIFY_ROLLBACK_ENV = 'KVL_VERIFY_ROLLBACK';

function rollbackWanted(tools: HandlerTools): boolean {
  const raw = createReader({ context: tools.context.fg })(VERIFY_ROLLBACK_ENV)?.toLowerCase();
  if (raw === undefined || ['false', 'off', '0', 'no'].includes(raw)) return false;
  if (['true', 'on', '1', 'yes'].includes(raw)) return true;
  throw new ConfigError(VERIFY_ROLLBACK_ENV, 'must be true or false');
}
const KAFKA_ENV = [
  'KVL_KAFKA_USERNAME',
  'KVL_KAFKA_PASSWORD',
  'KVL_KAFKA_CA_FILE',
  'KVL_KAFKA_CA_PEM',
  'KVL_KAFKA_SASL_MECHANISM',
  'KVL_VERIFY_TOPIC',
] as const;

async function verifyOne(
  instanceId: string,
  trigger: 'link-completed' | 'timer',
  deps: ReturnType<typeof createDeps>,
  tools: HandlerTools,
): Promise<CloudEvent[]> {
  const read = createReader({ context: tools.context.fg });
  const env = Object.fromEntries(KAFKA_ENV.map((key) => [key, read(key)]));
  const result = await verifyLink(
    { ...deps, openProbe: (instance) => createKafkajsProbe(probeOptionsFor(instance, env)) },
    { instanceId, ...(env.KVL_VERIFY_TOPIC ? { topic: env.KVL_VERIFY_TOPIC } : {}) },
  );
  tools.logger.info(result.healthy ? 'link verified' : 'link unhealthy', {
    instanceId,
    unhealthyBrokers: result.unhealthyBrokers,
    durationMs: result.durationMs,
  });
  const data = verificationData(result, trigger, read(VERIFY_CLIENT_VPC_ENV), deps.clock.now());
  if (result.healthy) return [tools.newEvent('kvl.link.verified', data, { subject: instanceId })];
  // Only a fresh link is rolled back: a link that was healthy before and fails later is reported.
  if (trigger !== 'link-completed' || !rollbackWanted(tools))
    return [tools.newEvent('kvl.link.unhealthy', data, { subject: instanceId })];
  const rolledBack = await rollbackAdvertised(deps, instanceId);
  const brokers =
    result.unhealthyBrokers.length > 0 ? `brokers ${result.unhealthyBrokers.join(', ')}` : 'the link';
  return [
    tools.newEvent('kvl.link.unhealthy', { ...data, rolledBack }, { subject: instanceId }),
    tools.newEvent(
      'kvl.link.failed',
      {
        instanceId,
        step: 'verify',
        reason: `verify failed for ${brokers}: ${[...result.problems, ...result.brokers.flatMap((b) => b.problems.map((p) => `broker ${b.brokerId}: ${p}`))].join('; ').slice(0, 3000)}${rolledBack ? '; the previous advertised map was restored' : ''}`,
        code: 'VERIFY_FAILED',
      },
      { subject: instanceId },
    ),
  ];
}

function clientVpcOf(tools: HandlerTools): string | undefined {
  const vpc = createReader({ context: tools.context.fg })(VERIFY_CLIENT_VPC_ENV);
  if (!vpc) tools.logger.warn(`${VERIFY_CLIENT_VPC_ENV} is not set: nothing is verified`);
  return vpc;
}

/** This function's deps: its clients offer only the cloud operations its step calls. */
const createDeps = linkDepsWith({
  dms: { showInstance, listInstances, modifyCrossVpc },
  vpcep: { listEndpointServices, listEndpoints },
  vpc: {},
});

/** Every event of the events topic arrives here; only `kvl.link.completed` is acted on. */
const onEvents = kvlHandler(
  {
    name: 'verify',
    accepts: EVENT_TYPES,
    async handle(event, deps, tools) {
      if (event.type !== 'kvl.link.completed') return [];
      const vpc = clientVpcOf(tools);
      if (!vpc || event.data.client.vpcId !== vpc) return [];
      return verifyOne(event.data.instanceId, 'link-completed', deps, tools);
    },
  },
  { createDeps },
);

/** Continuous health: every instance whose tags link it to this function's VPC. */
const onTimer = kvlHandler(
  {
    name: 'verify',
    accepts: 'timer',
    async handle(_timer, deps, tools) {
      const vpc = clientVpcOf(tools);
      if (!vpc) return [];
      const linked = (await deps.dms.listInstances()).filter((i) => desiredLinkOf(i)?.client.vpcId === vpc);
      const events: CloudEvent[] = [];
      for (const instance of linked)
        events.push(...(await verifyOne(instance.instanceId, 'timer', deps, tools)));
      return events;
    },
  },
  { createDeps },
);

function isTimer(event: unknown): boolean {
  try {
    return unwrapEnvelope(event).timer !== undefined;
  } catch {
    return false;
  }
}

export const handler = (event: unknown, context?: unknown) =>
  isTimer(event) ? onTimer(event, context) : onEvents(event, context);
