/**
 * Wires the link domain to the real cloud clients for one invocation (functions) or one command
 * (CLI): config and credentials in, `LinkDeps` plus the SMN client out.
 */
import { createCloudClients } from '../cloud/index.js';
import type { SmnPublisher } from '../cloud/smn.js';
import type { CredentialsProvider, Logger } from '../cloud/types.js';
import { type Clock, DEFAULT_SETTINGS, type LinkDeps, systemClock } from '../link/deps.js';
import type { KvlConfig } from './config.js';

export type FunctionDeps = LinkDeps & { smn: SmnPublisher };

export interface LinkDepsInput {
  config: KvlConfig;
  credentials: CredentialsProvider;
  logger: Logger;
  clock?: Clock;
}

export function createLinkDeps({
  config,
  credentials,
  logger,
  clock = systemClock,
}: LinkDepsInput): FunctionDeps {
  const clients = createCloudClients({
    region: config.region,
    projectId: config.projectId,
    credentials,
    env: config.cloudEnv,
    logger,
  });
  return {
    dms: clients.dms,
    vpcep: clients.vpcep,
    vpc: clients.vpc,
    smn: clients.smn,
    clock,
    logger,
    settings: {
      ...DEFAULT_SETTINGS,
      pollIntervalMs: config.pollIntervalMs,
      firstProbeAfterMs: config.firstProbeAfterMs,
      acceptTimeoutMs: config.acceptTimeoutMs,
      redriveAfterMs: config.redriveAfterMs ?? DEFAULT_SETTINGS.redriveAfterMs,
    },
  };
}
