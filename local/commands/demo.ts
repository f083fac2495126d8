/**
 * `kafka-vpcep-link demo` (what `npm start` runs): the emulator with its seeded world, the local
 * FunctionGraph runtime running the built functions, one link request published to the chain, live
 * progress on stderr, and the completion event on stdout — then an independent check, in the
 * emulator's own state, that every broker advertises the IP of the endpoint on its own port.
 */

import { staticCredentials } from '../../shared/cloud/credentials.js';
import { createCloudHttp } from '../../shared/cloud/http.js';
import { createCloudClients } from '../../shared/cloud/index.js';
import { createSmnClient } from '../../shared/cloud/smn.js';
import { type CloudEvent, newCloudEvent, parseCloudEvent } from '../../shared/events/cloudevents.js';
import { createKafkajsProbe } from '../../shared/kafka/kafkajs-probe.js';
import { probeOptionsFor } from '../../shared/kafka/settings.js';
import { type VerifyResult, verifyLink } from '../../shared/link/verify.js';
import { systemClock } from '../../shared/runtime/clock.js';
import { silentLogger } from '../../shared/runtime/logger.js';
import { startEmulator } from '../cloud/index.js';
import type { EmulatorHandle } from '../cloud/server.js';
import { firstProbeForSpeed, startRuntime } from '../runtime/index.js';
import { ensureBundles } from './bundles.js';
import { EXIT, type Io, Progress, printJson, UsageError } from './common.js';
import { describeCompletion } from './link.js';

export interface DemoOptions {
  speed: number;
  timeout: number;
  json?: boolean;
  verbose?: boolean;
  /** No progress lines on stderr (errors still show). */
  quiet?: boolean;
}

export async function runDemo(options: DemoOptions, io: Io): Promise<number> {
  if (!Number.isFinite(options.speed) || options.speed <= 0)
    throw new UsageError('--speed: must be a number > 0');
  await ensureBundles(io);
  // The data plane too: after the link, a real Kafka client proves traffic flows (the seed's last step).
  const emulator = await startEmulator({ port: 0, speed: options.speed, dataPlane: true });
  const progress = new Progress(io, { quiet: options.quiet });
  const runtime = await startRuntime({
    emulator,
    logSink: options.verbose ? (line) => io.err(line) : () => {},
    userData: {
      KVL_POLL_INTERVAL_MS: '200',
      KVL_FIRST_PROBE_AFTER_MS: firstProbeForSpeed(options.speed),
      KVL_LOG_LEVEL: options.verbose ? 'debug' : 'warn',
    },
  });
  try {
    const config = emulator.config();
    if (!options.quiet) {
      io.err(`kafka-vpcep-link demo: local Huawei Cloud at ${config.endpoint} (time ×${options.speed})`);
      io.err(
        `  Kafka instance ${config.world.instanceId} in VPC ${config.world.instanceVpcId}\n` +
          `  client VPC ${config.world.clientVpcId}, subnet ${config.world.clientSubnetId}`,
      );
    }
    runtime.on('invocation', (e) => {
      if (e.phase === 'start' && e.trigger !== 'TIMER')
        progress.line('▶', `${e.functionName} (${e.trigger})`);
      if (e.phase === 'end' && (e.trigger !== 'TIMER' || published(e.result))) {
        progress.line(
          '✔',
          `${e.functionName} in ${((e.durationMs ?? 0) / 1000).toFixed(1)}s${summary(e.result)}`,
        );
      }
      if (e.phase === 'error') progress.line('✖', `${e.functionName} attempt ${e.attempt}: ${e.error}`);
      if (e.phase === 'retry') progress.line('↻', `${e.functionName} retry ${e.attempt}`);
    });

    const smn = createSmnClient(
      createCloudHttp({
        service: 'smn',
        region: config.region,
        projectId: config.projectId,
        credentials: staticCredentials({ ak: config.ak, sk: config.sk }),
        baseUrl: config.endpoint,
      }),
    );
    const request = newCloudEvent('kvl.link.requested', {
      source: 'kvl/demo',
      time: systemClock.now(),
      subject: config.world.instanceId,
      data: {
        instanceId: config.world.instanceId,
        client: { vpcId: config.world.clientVpcId, subnetId: config.world.clientSubnetId },
        options: { securityGroupRule: true },
      },
    });
    await smn.publish(config.topics.linkRequests, {
      subject: request.type,
      message: JSON.stringify(request),
    });
    progress.line('→', `link request ${request.id} published to the link-requests topic`);

    const outcome = await waitForOutcome(
      emulator,
      config.topics.events,
      request.id,
      Date.now() + options.timeout * 1000,
      progress,
    );
    await runtime.idle();
    if (outcome.type !== 'kvl.link.completed') {
      if (outcome.type === 'kvl.link.failed')
        io.err(`link failed in ${outcome.data.step}: ${outcome.data.reason}`);
      if (options.json) printJson(io, outcome);
      return EXIT.failed;
    }
    const problems = verifyInEmulator(emulator, outcome);
    if (problems.length > 0) {
      for (const p of problems) io.err(`✖ ${p}`);
      return EXIT.failed;
    }
    progress.line('✔', 'verified in the emulator: each broker advertises the endpoint IP of its own port');
    const verified = await verifyThroughDataPlane(emulator);
    for (const b of verified.brokers) {
      progress.line(
        b.healthy ? '✔' : '✖',
        `verify broker ${b.brokerId} at ${b.host}:${b.port}: ${b.healthy ? `produce ${b.produceMs} ms, consume ${b.consumeMs} ms` : b.problems.join('; ')}`,
      );
    }
    if (!verified.healthy) {
      for (const p of verified.problems) io.err(`✖ ${p}`);
      return EXIT.failed;
    }
    if (options.json) printJson(io, outcome);
    else {
      describeCompletion(io, outcome);
      io.out(JSON.stringify(outcome, null, 2));
    }
    return EXIT.ok;
  } finally {
    await runtime.close();
    await emulator.close();
  }
}

/**
 * The seed's "Verifying Connectivity": a real Kafka client (kafkajs) bootstraps through the advertised
 * addresses on loopback and produces and reads back a canary on a partition each broker leads.
 */
async function verifyThroughDataPlane(emulator: EmulatorHandle): Promise<VerifyResult> {
  const config = emulator.config();
  const kafka = config.kafka;
  const env: Record<string, string | undefined> = {
    KVL_KAFKA_USERNAME: kafka?.username,
    KVL_KAFKA_PASSWORD: kafka?.password,
    KVL_KAFKA_CA_FILE: kafka?.caFile,
  };
  const clients = createCloudClients({
    region: config.region,
    projectId: config.projectId,
    credentials: staticCredentials({ ak: config.ak, sk: config.sk }),
    env: { HUAWEICLOUD_ENDPOINT: config.endpoint },
  });
  return verifyLink(
    {
      dms: clients.dms,
      vpcep: clients.vpcep,
      clock: systemClock,
      logger: silentLogger,
      openProbe: (instance) => createKafkajsProbe(probeOptionsFor(instance, env)),
    },
    { instanceId: config.world.instanceId, ...(kafka?.topic ? { topic: kafka.topic } : {}) },
  );
}

function published(result: unknown): boolean {
  return (
    typeof result === 'object' && result !== null && Number((result as { published?: number }).published) > 0
  );
}

function summary(result: unknown): string {
  if (typeof result !== 'object' || result === null) return '';
  const { published: count, failed } = result as { published?: number; failed?: number };
  return `${count ? `, ${count} event(s) published` : ''}${failed ? `, ${failed} failed` : ''}`;
}

async function waitForOutcome(
  emulator: EmulatorHandle,
  topic: string,
  requestId: string,
  deadline: number,
  progress: Progress,
): Promise<CloudEvent> {
  progress.waiting('linking…');
  try {
    while (Date.now() < deadline) {
      for (const message of emulator.world.messages.filter((m) => m.topicUrn === topic)) {
        let event: CloudEvent;
        try {
          event = parseCloudEvent(JSON.parse(message.message)) as CloudEvent;
        } catch {
          continue;
        }
        if (
          event.correlationid === requestId &&
          (event.type === 'kvl.link.completed' || event.type === 'kvl.link.failed')
        ) {
          return event;
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    progress.stopSpinner();
  }
  throw new Error('the link did not finish within the demo timeout');
}

/** Reads the emulator's own records, not the event: the advertised IP of each broker must be the IP
 * of the endpoint whose service uses that broker's port. */
export function verifyInEmulator(emulator: EmulatorHandle, event: CloudEvent): string[] {
  if (event.type !== 'kvl.link.completed') return ['not a completion event'];
  const instance = emulator.world.kafkaInstances.find((i) => i.instanceId === event.data.instanceId);
  if (!instance) return ['instance not found in the emulator'];
  const problems: string[] = [];
  for (const broker of instance.brokers) {
    const services = emulator.world.endpointServices.filter((s) => s.portId === broker.portId);
    if (services.length !== 1) problems.push(`${broker.listenerIp}: ${services.length} services on its port`);
    const endpoints = emulator.world.endpoints.filter(
      (e) => services.some((s) => s.id === e.endpointServiceId) && e.vpcId === event.data.client.vpcId,
    );
    if (endpoints.length !== 1) problems.push(`${broker.listenerIp}: ${endpoints.length} endpoints`);
    if (endpoints[0] && broker.advertisedIp !== endpoints[0].ip) {
      problems.push(
        `${broker.listenerIp} advertises ${broker.advertisedIp}, endpoint IP is ${endpoints[0].ip}`,
      );
    }
  }
  return problems;
}
