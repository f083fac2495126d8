/**
 * A frozen-clock emulator wired to the real cloud clients, for domain tests. The domain's clock IS
 * the emulator clock: every `sleep(ms)` of a polling step advances emulated time by `ms`, so state
 * machines (services 60 s, endpoints 60 s) progress exactly as the step waits, and nothing sleeps.
 */

import { createDmsModule, type DmsModuleOptions } from '../../local/cloud/dms.js';
import { type EmulatorOptions, startEmulator } from '../../local/cloud/index.js';
import { defaultServiceModules, type EmulatorHandle } from '../../local/cloud/server.js';
import { createAgencyClients } from '../../shared/cloud/agency.js';
import { staticCredentials } from '../../shared/cloud/credentials.js';
import { createCloudClients } from '../../shared/cloud/index.js';
import { type Clock, DEFAULT_SETTINGS, type LinkDeps } from '../../shared/link/deps.js';
import type { LinkRequest } from '../../shared/link/desired.js';
import { silentLogger } from '../../shared/runtime/logger.js';

export interface TestCloud {
  emulator: EmulatorHandle;
  deps: LinkDeps & { smn: ReturnType<typeof createCloudClients>['smn'] };
  config: ReturnType<EmulatorHandle['config']>;
  request: LinkRequest;
  /** A deadline `ms` of emulated time from now. */
  budget(ms?: number): { deadline: number };
  /** The emulator's record of a Kafka instance (the seeded one by default). */
  instance(instanceId?: string): EmulatorHandle['world']['kafkaInstances'][number];
  /** Lets every state machine finish what it started (modify commit, deletions): advance and settle. */
  settle(ms?: number): void;
  /** Cloud writes (POST/PUT/DELETE/PATCH) in the request log. */
  writes(): Array<{ method: string; path: string }>;
  close(): Promise<void>;
}

export async function startTestCloud(
  options: {
    settings?: Partial<LinkDeps['settings']>;
    /** DMS module options, e.g. the opt-in CONFIGURING window after a modify. */
    dms?: DmsModuleOptions;
    /** Serve Kafka on loopback (the emulator's data-plane mode). */
    dataPlane?: EmulatorOptions['dataPlane'];
  } = {},
): Promise<TestCloud> {
  const modules = options.dms
    ? [createDmsModule(options.dms), ...defaultServiceModules().filter((m) => m.name !== 'dms')]
    : undefined;
  const emulator = await startEmulator({
    port: 0,
    speed: 0,
    ...(modules ? { modules } : {}),
    ...(options.dataPlane ? { dataPlane: options.dataPlane } : {}),
  });
  const config = emulator.config();
  const clock: Clock = {
    now: () => emulator.clock.now(),
    sleep: async (ms) => {
      emulator.clock.advance(ms);
    },
  };
  const clients = createCloudClients({
    region: config.region,
    projectId: config.projectId,
    credentials: staticCredentials({ ak: config.ak, sk: config.sk }),
    env: { HUAWEICLOUD_ENDPOINT: config.endpoint },
    retry: { retries: 2, baseDelayMs: 5, maxDelayMs: 20 },
  });
  const deps = {
    dms: clients.dms,
    vpcep: clients.vpcep,
    vpc: clients.vpc,
    // Each call assumes the agency anew (no cache across tests that change agencies).
    clientAccount: (agency: { domainId: string; agencyName: string }) =>
      createAgencyClients({
        region: config.region,
        ownerIam: clients.iam,
        ...agency,
        env: { HUAWEICLOUD_ENDPOINT: config.endpoint },
        now: () => emulator.clock.now(),
        retry: { retries: 2, baseDelayMs: 5, maxDelayMs: 20 },
      }),
    ownerDomainId: async () => config.domainId,
    smn: clients.smn,
    clock,
    logger: silentLogger,
    settings: { ...DEFAULT_SETTINGS, safetyMarginMs: 0, ...options.settings },
  };
  return {
    emulator,
    deps,
    config,
    request: {
      instanceId: config.world.instanceId,
      client: { vpcId: config.world.clientVpcId, subnetId: config.world.clientSubnetId },
      options: { securityGroupRule: true },
    },
    budget: (ms = 10 * 60_000) => ({ deadline: emulator.clock.now() + ms }),
    instance: (instanceId = config.world.instanceId) =>
      emulator.world.kafkaInstances.find((i) => i.instanceId === instanceId)!,
    settle: (ms = 120_000) => {
      emulator.clock.advance(ms);
      emulator.settle();
    },
    writes: () =>
      emulator
        .requests()
        .filter((r) => r.method !== 'GET' && !r.path.includes('resource_instances'))
        .map((r) => ({ method: r.method, path: r.path })),
    close: () => emulator.close(),
  };
}
