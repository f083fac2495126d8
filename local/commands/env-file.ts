/**
 * `emulator --write-env FILE`: the whole CLI set-up against a running emulator as `export` lines, so
 * `source FILE` replaces copying values out of the connection JSON by hand.
 */
import { chmod, mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { EmulatorConfig } from '../cloud/server.js';

const TOPIC_VARIABLES: Readonly<Record<keyof EmulatorConfig['topics'], string>> = {
  linkRequests: 'KVL_TOPIC_LINK_REQUESTS',
  servicesReady: 'KVL_TOPIC_SERVICES_READY',
  endpointsAccepted: 'KVL_TOPIC_ENDPOINTS_ACCEPTED',
  unlinkRequests: 'KVL_TOPIC_UNLINK_REQUESTS',
  events: 'KVL_TOPIC_EVENTS',
};

/** `clientSubnetId` → `KVL_DEMO_CLIENT_SUBNET_ID`. */
function demoVariable(prefix: string, key: string): string {
  return `KVL_DEMO_${prefix}${key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()}`;
}

/** POSIX shell single quotes: the value is taken literally, whatever it holds. */
function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/**
 * What points the product at this emulator: endpoint, region, project and the five topics, and with
 * `keys` the owner's access keys (without them the caller supplies credentials, e.g. an agency's).
 */
export function emulatorEnv(
  config: EmulatorConfig,
  options: { keys?: boolean } = {},
): Record<string, string> {
  return {
    HUAWEICLOUD_ENDPOINT: config.endpoint,
    HUAWEICLOUD_REGION: config.region,
    ...(options.keys ? { HUAWEICLOUD_SDK_AK: config.ak, HUAWEICLOUD_SDK_SK: config.sk } : {}),
    HUAWEICLOUD_SDK_PROJECT_ID: config.projectId,
    ...Object.fromEntries(
      Object.entries(TOPIC_VARIABLES).map(([key, name]) => [
        name,
        config.topics[key as keyof EmulatorConfig['topics']],
      ]),
    ),
  };
}

export function envLines(config: EmulatorConfig, waits: Record<string, string> = {}): string[] {
  const variables: Array<[string, string]> = [
    ...Object.entries(emulatorEnv(config, { keys: true })),
    ...Object.entries(waits),
    ['KVL_DEMO_DOMAIN_ID', config.domainId],
    ...Object.entries(config.world).map(([key, value]): [string, string] => [demoVariable('', key), value]),
    // The partner account's ids (not its keys: the CLI acts as the owner and reaches it through IAM).
    ...(['domainId', 'projectId', 'vpcId', 'subnetId'] as const).map((key): [string, string] => [
      demoVariable('PARTNER_', key),
      config.partner[key],
    ]),
    // Data-plane mode: the credentials `verify` reads (the file is the owner's only, like the keys).
    ...(config.kafka?.username
      ? ([['KVL_KAFKA_USERNAME', config.kafka.username]] as Array<[string, string]>)
      : []),
    ...(config.kafka?.password
      ? ([['KVL_KAFKA_PASSWORD', config.kafka.password]] as Array<[string, string]>)
      : []),
    ...(config.kafka?.caFile
      ? ([['KVL_KAFKA_CA_FILE', config.kafka.caFile]] as Array<[string, string]>)
      : []),
  ];
  return [
    '# kafka-vpcep-link: the CLI set-up for the local emulator (source this file)',
    ...variables.map(([name, value]) => `export ${name}=${shellQuote(value)}`),
  ];
}

/**
 * Written whole or not at all (rename), readable by the owner only: it holds the emulator's keys. A
 * missing folder is created (DEPLOY.md writes into `.serverless/`, which a fresh clone lacks).
 */
export async function writeEnvFile(file: string, lines: readonly string[]): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const staging = `${file}.${process.pid}.tmp`;
  await writeFile(staging, `${lines.join('\n')}\n`, { mode: 0o600 });
  await chmod(staging, 0o600);
  await rename(staging, file);
}
