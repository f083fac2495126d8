/**
 * `kafka-vpcep-link verify --instance ID [--json]`: proves from this machine (it must sit in the
 * client VPC) that Kafka traffic flows through the link, broker by broker. Exit 0 healthy, 1
 * unhealthy (the brokers and why), 2 bad input. Credentials come from KVL_KAFKA_USERNAME /
 * KVL_KAFKA_PASSWORD (+ KVL_KAFKA_CA_FILE) and are never printed.
 */
import type { KafkaInstance } from '../../shared/cloud/types.js';
import { IdSchema } from '../../shared/events/cloudevents.js';
import { createKafkajsProbe } from '../../shared/kafka/kafkajs-probe.js';
import { KafkaSettingsError, probeOptionsFor } from '../../shared/kafka/settings.js';
import { InstanceNotFoundError } from '../../shared/link/errors.js';
import { type VerifyResult, verifyLink } from '../../shared/link/verify.js';
import type { KvlConfig } from '../../shared/runtime/config.js';
import { isLoopbackIPv4 } from '../dataplane/loopback.js';
import { commandContext, EXIT, type Io, type OutputOptions, printJson, UsageError } from './common.js';

export interface VerifyOptions extends OutputOptions {
  instance: string;
  json?: boolean;
}

export async function runVerify(
  options: VerifyOptions,
  env: Record<string, string | undefined>,
  io: Io,
): Promise<number> {
  if (!IdSchema.safeParse(options.instance).success)
    throw new UsageError('--instance: must be 1-64 characters of [A-Za-z0-9_-]');
  const topic = env.KVL_VERIFY_TOPIC || undefined;
  if (topic !== undefined && !/^[a-zA-Z0-9._-]{1,249}$/.test(topic))
    throw new UsageError('KVL_VERIFY_TOPIC: must be a Kafka topic name');
  const { deps, config } = await commandContext(env, io, options);
  let result: VerifyResult;
  try {
    result = await verifyLink(
      {
        ...deps,
        openProbe: (instance) => {
          refuseBrokersOffLoopback(config, instance);
          return createKafkajsProbe(probeOptionsFor(instance, env));
        },
      },
      { instanceId: options.instance, ...(topic ? { topic } : {}) },
    );
  } catch (error) {
    if (error instanceof KafkaSettingsError) throw new UsageError(error.message, { cause: error });
    if (error instanceof InstanceNotFoundError)
      throw new UsageError(`--instance: ${options.instance} does not exist`, { cause: error });
    throw error;
  }
  if (options.json) printJson(io, result);
  else printHuman(io, result);
  return result.healthy ? EXIT.ok : EXIT.failed;
}

/**
 * Against the emulator (every cloud endpoint on loopback) brokers are reachable only through its
 * data plane, whose addresses are all in 127.0.0.0/8. An address outside it means the emulator runs
 * without one: a connection there would leave this machine and find nothing, so say what to do.
 */
function refuseBrokersOffLoopback(config: KvlConfig, instance: KafkaInstance): void {
  const hosts = Object.values(config.endpoints).map((url) => (url ? new URL(url).hostname : ''));
  const againstEmulator =
    hosts.length > 0 && hosts.every((host) => host === 'localhost' || isLoopbackIPv4(host));
  if (!againstEmulator) return;
  const outside = instance.listeners.map((l) => l.advertisedIp).filter((ip) => !isLoopbackIPv4(ip));
  if (outside.length === 0) return;
  throw new UsageError(
    `--instance: ${instance.instanceId} advertises ${outside.join(', ')}, outside 127.0.0.0/8: the ` +
      'emulator runs without its Kafka data plane, so there is nothing to verify against; start it ' +
      'with `emulator --data-plane`',
  );
}

function ms(value: number | undefined): string {
  return value === undefined ? '-' : `${value} ms`;
}

function printHuman(io: Io, result: VerifyResult): void {
  io.out(
    `${result.instanceId}  ${result.healthy ? 'healthy' : 'UNHEALTHY'}  (topic ${result.topic}, ${result.durationMs} ms)`,
  );
  for (const problem of result.problems) io.out(`    - ${problem}`);
  for (const b of result.brokers) {
    io.out(
      `  broker ${b.brokerId}  ${b.host}:${b.port}  ${b.healthy ? 'ok' : 'FAILED'}  reachable=${b.reachable} leader=${b.leaderAnswered} produce=${ms(b.produceMs)} consume=${ms(b.consumeMs)}`,
    );
    for (const problem of b.problems) io.out(`    - ${problem}`);
  }
  if (!result.healthy && result.unhealthyBrokers.length > 0)
    io.out(`unhealthy brokers: ${result.unhealthyBrokers.join(', ')}`);
}
