/**
 * `kafka-vpcep-link verify --instance ID [--json]`: proves from this machine (it must sit in the
 * client VPC) that Kafka traffic flows through the link, broker by broker. Exit 0 healthy, 1
 * unhealthy (the brokers and why), 2 bad input. Credentials come from KVL_KAFKA_USERNAME /
 * KVL_KAFKA_PASSWORD (+ KVL_KAFKA_CA_FILE) and are never printed.
 */
import { IdSchema } from '../../shared/events/cloudevents.js';
import { createKafkajsProbe } from '../../shared/kafka/kafkajs-probe.js';
import { KafkaSettingsError, probeOptionsFor } from '../../shared/kafka/settings.js';
import { InstanceNotFoundError } from '../../shared/link/errors.js';
import { type VerifyResult, verifyLink } from '../../shared/link/verify.js';
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
  const { deps } = await commandContext(env, io, options);
  let result: VerifyResult;
  try {
    result = await verifyLink(
      { ...deps, openProbe: (instance) => createKafkajsProbe(probeOptionsFor(instance, env)) },
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
