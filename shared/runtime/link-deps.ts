/**
 * Wires the link domain to the real cloud clients for one invocation (functions) or one command
 * (CLI): config and credentials in, `LinkDeps` plus the SMN client out.
 */
import { createAgencyClients } from '../cloud/agency.js';
import { createCloudClients } from '../cloud/index.js';
import type { SmnPublisher } from '../cloud/smn.js';
import type { CredentialsProvider, Logger } from '../cloud/types.js';
import {
  type ClientAccountFactory,
  type Clock,
  DEFAULT_SETTINGS,
  type LinkDeps,
  systemClock,
} from '../link/deps.js';
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
  // One set of client-account clients per agency for this process; their credentials are assumed
  // again whenever they near expiry. A failed set-up is forgotten, so the next call retries it.
  const accounts = new Map<string, ReturnType<ClientAccountFactory>>();
  const clientAccount: ClientAccountFactory = (agency) => {
    const key = `${agency.domainId}/${agency.agencyName}`;
    let pending = accounts.get(key);
    if (!pending) {
      pending = createAgencyClients({
        region: config.region,
        ownerIam: clients.iam,
        domainId: agency.domainId,
        agencyName: agency.agencyName,
        env: config.cloudEnv,
        logger,
        now: () => clock.now(),
      });
      pending.catch(() => accounts.delete(key));
      accounts.set(key, pending);
    }
    return pending;
  };
  let ownerDomain: Promise<string | undefined> | undefined;
  const ownerDomainId = () => {
    ownerDomain ??= clients.iam.getProject(config.region).then((p) => p.domainId);
    ownerDomain.catch(() => {
      ownerDomain = undefined;
    });
    return ownerDomain;
  };
  return {
    dms: clients.dms,
    vpcep: clients.vpcep,
    vpc: clients.vpc,
    clientAccount,
    ownerDomainId,
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
