/**
 * Section 2b: cloud calls per link by mode (issue #15). `link --via direct` (drive.ts, in-process)
 * for a first link and for repeating a complete one, against an emulator with the same acceptance
 * spread as the latency section. The chain's figures come from the latency section's fast-path run
 * (its repeat is measured there too). Only the product's own calls are in each request log.
 */
import { DEFAULT_SETTINGS, type LinkDeps } from '../shared/link/deps.js';
import { driveLink } from '../shared/link/drive.js';
import { silentLogger } from '../shared/runtime/logger.js';
import {
  ACCEPTANCE_SPREAD_MS,
  addInstance,
  type CallCount,
  countCalls,
  countWrites,
  SPREAD_SEED,
  spreadAcceptance,
  startBenchCloud,
} from './lib/common.js';

export interface CallsRow {
  mode: 'direct' | 'chain';
  scenario: 'link' | 'repeat';
  brokers: number;
  calls: CallCount;
  /** Writes to DMS/VPCEP/VPC (creates, tags, modify, rules); SMN publishes and tag queries excluded. */
  writes: number;
}

/** The goals: ≤ 16 direct / ≤ 20 chain for 3 brokers, ≤ 3 more per extra broker. */
export function callGoal(mode: CallsRow['mode'], brokers: number): number {
  return (mode === 'direct' ? 16 : 20) + 3 * Math.max(0, brokers - 3);
}
/** Repeating a complete link: reads only. */
export const REPEAT_GOAL = { writes: 0, calls: 6 };

export async function runDirectCalls(options: {
  speed: number;
  brokerCounts: readonly number[];
}): Promise<CallsRow[]> {
  const cloud = await startBenchCloud({ speed: options.speed });
  const stopSpread = spreadAcceptance(cloud, ACCEPTANCE_SPREAD_MS, SPREAD_SEED);
  const deps: LinkDeps = {
    dms: cloud.clients.dms,
    vpcep: cloud.clients.vpcep,
    vpc: cloud.clients.vpc,
    clock: cloud.clock,
    logger: silentLogger,
    settings: DEFAULT_SETTINGS,
  };
  const rows: CallsRow[] = [];
  try {
    for (const brokers of options.brokerCounts) {
      const instance = addInstance(cloud, `calls-direct-${brokers}`, brokers);
      const request = {
        instanceId: instance.instanceId,
        client: { vpcId: cloud.clientNet.vpcId, subnetId: cloud.clientNet.subnetId },
        options: { securityGroupRule: true },
      };
      for (const scenario of ['link', 'repeat'] as const) {
        cloud.emulator.clearRequests();
        const result = await driveLink(deps, request, { deadline: cloud.now() + 15 * 60_000 });
        if (result.outcome !== 'completed') throw new Error(`direct ${scenario} did not complete`);
        const log = cloud.emulator.requests();
        rows.push({ mode: 'direct', scenario, brokers, calls: countCalls(log), writes: countWrites(log) });
      }
    }
  } finally {
    stopSpread();
    await cloud.close();
  }
  return rows;
}
