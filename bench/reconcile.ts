/**
 * Section 4: the cost of the product's periodic reads, as a function of fleet size.
 *
 *   - reconcile: one pass (the domain function the reconcile timer runs, with repair on) over 10, 100
 *     and 1,000 linked instances: calls and time per pass. Calls should grow with pages (DMS lists 50
 *     instances per page, VPCEP and VPC 1,000 resources per page), not with links.
 *   - poll tick: one poll-acceptance invocation (the deployed bundle, through the local runtime)
 *     while 1, 10, 100 and 1,000 links wait for acceptance, and 10 wait among 1,000 linked ones:
 *     calls should grow with pages of pending links only (≤ 2 up to ~333 pending 3-broker links).
 *
 * The emulated clock is frozen (nothing changes state during a pass); throttling stays on.
 */
import { timerEvent } from '../local/runtime/index.js';
import { DEFAULT_SETTINGS, type LinkDeps } from '../shared/link/deps.js';
import { reconcile } from '../shared/link/reconcile.js';
import { silentLogger } from '../shared/runtime/logger.js';
import {
  type BenchCloud,
  type CallCount,
  countCalls,
  median,
  startBenchCloud,
  startBenchRuntime,
} from './lib/common.js';
import { buildFleet } from './lib/fleet.js';

export interface ReconcileRow {
  links: number;
  calls: CallCount;
  /**
   * List pages a pass must read: DMS instances (50 per page), VPCEP services and endpoints and VPC
   * rules (1,000 per page), each at least one page.
   */
  expectedPages: number;
  /** Median of the passes, real ms (throttling included). */
  passMs: number;
  passes: number;
  linked: number;
  problem?: string;
}

export interface PollTickRow {
  pendingLinks: number;
  /** Links already linked around them (their endpoints are older): the tick should not read them. */
  linkedLinks: number;
  /**
   * Pages the tick needs if it reads only what is pending: the pending services' tag query and their
   * endpoints, 1,000 per page each (3 brokers per link).
   */
  pendingPages: number;
  calls: CallCount;
  tickMs: number;
  /** Links the tick judged (all should be `waiting`). */
  published: number;
}

function depsFor(cloud: BenchCloud): LinkDeps {
  return {
    dms: cloud.clients.dms,
    vpcep: cloud.clients.vpcep,
    vpc: cloud.clients.vpc,
    clock: cloud.clock,
    logger: silentLogger,
    settings: DEFAULT_SETTINGS,
  };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runReconcile(options: {
  sizes: readonly number[];
  passes: number;
}): Promise<ReconcileRow[]> {
  const rows: ReconcileRow[] = [];
  for (const size of options.sizes) {
    const cloud = await startBenchCloud({ speed: 0 });
    try {
      buildFleet(cloud, size, 'linked');
      const world = cloud.emulator.world;
      const pages = (items: number, perPage: number) => Math.max(1, Math.ceil(items / perPage));
      const expectedPages =
        pages(world.kafkaInstances.length, 50) +
        pages(world.endpointServices.length, 1000) +
        pages(world.endpoints.length, 1000) +
        pages(
          world.securityGroupRules.filter(
            (r) => r.direction === 'ingress' && r.remoteIpPrefix === '198.19.128.0/17',
          ).length,
          1000,
        );
      const deps = depsFor(cloud);
      const times: number[] = [];
      let calls: CallCount | undefined;
      let linked = 0;
      let problem: string | undefined;
      for (let pass = 0; pass < options.passes; pass++) {
        // A full bucket per pass, as between two timer ticks minutes apart.
        await pause(1_100);
        cloud.emulator.clearRequests();
        const started = performance.now();
        const result = await reconcile(deps, { repair: true });
        times.push(performance.now() - started);
        calls = countCalls(cloud.emulator.requests());
        linked = result.counts.linked;
        if (linked !== size || result.actions.length > 0) {
          const other = result.links.find((l) => l.state !== 'linked');
          problem = `${linked}/${size} linked, ${result.actions.length} repair action(s)${other ? `; e.g. ${other.state}: ${other.reasons.join('; ')}` : ''}`;
        }
      }
      rows.push({
        links: size,
        calls: calls!,
        expectedPages,
        passMs: median(times),
        passes: options.passes,
        linked,
        ...(problem ? { problem } : {}),
      });
    } finally {
      await cloud.close();
    }
  }
  return rows;
}

export async function runPollTicks(options: {
  pending: ReadonlyArray<number | { pending: number; linked: number }>;
}): Promise<PollTickRow[]> {
  const rows: PollTickRow[] = [];
  for (const size of options.pending) {
    const { pending: count, linked } = typeof size === 'number' ? { pending: size, linked: 0 } : size;
    const cloud = await startBenchCloud({ speed: 0 });
    // Frozen clock: the timer never fires by itself; the tick is invoked once, as the timer would.
    const runtime = await startBenchRuntime(cloud, { fastPath: true });
    try {
      // The linked links first: created before the pending ones, as in a running account.
      if (linked > 0) buildFleet(cloud, linked, 'linked');
      buildFleet(cloud, count, 'pending');
      await pause(1_100);
      cloud.emulator.clearRequests();
      const started = performance.now();
      const summary = (await runtime.invoke(
        'poll-acceptance',
        timerEvent({
          triggerName: 'kvl-poll-acceptance',
          userEvent: '{"job":"poll-acceptance"}',
          now: cloud.now(),
        }),
      )) as { published?: number };
      const tickMs = performance.now() - started;
      const pages = Math.max(1, Math.ceil((3 * count) / 1000));
      rows.push({
        pendingLinks: count,
        linkedLinks: linked,
        pendingPages: 2 * pages,
        calls: countCalls(cloud.emulator.requests()),
        tickMs,
        published: summary?.published ?? 0,
      });
    } finally {
      await runtime.close();
      await cloud.close();
    }
  }
  return rows;
}
