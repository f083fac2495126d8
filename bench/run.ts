/**
 * `npm run bench` (and `npm run bench:quick`): every benchmark of issue 7 in one run, side by side,
 * against emulators with throttling (10 requests/s per API) and the cloud's documented delays scaled
 * by the emulator's speed. Prints the tables and writes bench/results.json; docs/BENCHMARKS.md says
 * what each figure means.
 *
 *   npx tsx bench/run.ts [--quick] [--only latency,scale,reconcile,cold-start,verify] [--scale-links N]
 *                        [--scale-fast-path on|off] [--scale-retry-delay-s S]
 *
 * Benchmarks never fail a build: missed targets are reported (exit code 0) so the numbers are read,
 * not hidden. Exit code 1 means the benchmark itself could not run.
 */

import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { DENSE_FACTOR, probeWindow } from '../shared/link/schedule.js';
import { DEFAULTS, MIN_POLL_INTERVAL_MS } from '../shared/runtime/config.js';
import { type CallsRow, callGoal, REPEAT_GOAL, runDirectCalls } from './calls.js';
import { BUNDLE_BUDGETS, type ColdStartResult, runColdStart } from './cold-start.js';
import { FAST_POLL_INTERVAL_MS, LATENCY_CONFIGS, type LatencyRow, runLatency } from './latency.js';
import {
  buildBundles,
  median,
  PRODUCT_POLL_INTERVAL_MS,
  REPO_ROOT,
  removeBundles,
  round,
  THROTTLE,
} from './lib/common.js';
import { type Cell, table } from './lib/table.js';
import { type PollTickRow, type ReconcileRow, runPollTicks, runReconcile } from './reconcile.js';
import { runScale, type ScaleResult } from './scale.js';
import { runVerifyBench, type VerifyBenchRow } from './verify.js';

type Section = 'latency' | 'scale' | 'reconcile' | 'cold-start' | 'verify';
const SECTIONS: Section[] = ['cold-start', 'reconcile', 'latency', 'scale', 'verify'];

interface Plan {
  mode: 'full' | 'quick';
  latency: { speed: number; brokerCounts: number[] };
  scale: { links: number; speed: number; fastPath: boolean; retryDelayS?: number };
  reconcile: {
    sizes: number[];
    passes: number;
    pending: Array<number | { pending: number; linked: number }>;
  };
  coldStart: { samples: number };
}

function parseArgs(argv: readonly string[]): { plan: Plan; only: Section[] } {
  const quick = argv.includes('--quick');
  const value = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : argv.find((a) => a.startsWith(`${flag}=`))?.slice(flag.length + 1);
  };
  const only = (value('--only')?.split(',') ?? SECTIONS) as Section[];
  for (const s of only) if (!SECTIONS.includes(s)) throw new Error(`--only: unknown section ${s}`);
  const plan: Plan = quick
    ? {
        mode: 'quick',
        latency: { speed: 30, brokerCounts: [1, 3] },
        scale: { links: 30, speed: 30, fastPath: true },
        reconcile: { sizes: [10, 100], passes: 2, pending: [1, 10, 100, { pending: 10, linked: 500 }] },
        coldStart: { samples: 5 },
      }
    : {
        mode: 'full',
        // Speed 10: the product's own work (real time) weighs 10× on the emulated clock, so the
        // overhead figures stay close to what the cloud would see; the slowest part (the sequential
        // terraform-like baseline, ~19 emulated minutes for 9 brokers) still fits in two real minutes.
        latency: { speed: 10, brokerCounts: [1, 3, 6, 9] },
        scale: { links: 100, speed: 10, fastPath: true },
        reconcile: {
          sizes: [10, 100, 1000],
          passes: 3,
          pending: [1, 10, 100, 1000, { pending: 10, linked: 1000 }],
        },
        coldStart: { samples: 20 },
      };
  const links = value('--scale-links');
  if (links !== undefined) plan.scale.links = Number(links);
  const retryDelay = value('--scale-retry-delay-s');
  if (retryDelay !== undefined) plan.scale.retryDelayS = Number(retryDelay);
  const fastPath = value('--scale-fast-path');
  if (fastPath !== undefined) plan.scale.fastPath = fastPath !== 'off';
  return { plan, only: SECTIONS.filter((s) => only.includes(s)) };
}

interface Target {
  section: string;
  target: string;
  measured: string;
  /** 'n/a': this run's speed cannot express what the target is about (said in `measured`). */
  met: boolean | 'n/a';
}

/**
 * The dense acceptance probe interval the product runs at `speed`, in emulated ms: its settings are
 * scaled down by the speed, and the dense interval has a floor in real ms (MIN_DENSE_MS). At the quick
 * run's speed 30 the 1.5 s of the defaults becomes 3 s, so a ≤ 1 s overhead is luck there, not design.
 */
function denseProbeEmulatedMs(speed: number): number {
  const pollIntervalMs = Math.max(MIN_POLL_INTERVAL_MS, Math.round(PRODUCT_POLL_INTERVAL_MS / speed));
  return probeWindow({ pollIntervalMs, firstProbeAfterMs: DEFAULTS.firstProbeAfterMs }).denseMs * speed;
}

const s1 = (n: number) => round(n, 1);

function latencyTables(rows: LatencyRow[]): string {
  const out = [
    table(
      '1–2. Latency overhead and API calls per link (emulated seconds; overhead = completed − last endpoint accepted; ' +
        `fast-poll = fast path with ${FAST_POLL_INTERVAL_MS / 1000} s polls, also outside the acceptance window; ` +
        'wait probes = the acceptance wait’s own listings, flat 3 s probes = what 3 s polls from 60 s would have spent)',
      [
        'config',
        'brokers',
        'total s',
        'overhead s',
        '= detect s',
        '+ patch s',
        'usable s',
        'overhead real ms',
        'calls',
        'DMS/VPCEP/VPC',
        'SMN hops',
        '429s',
        'goal',
        'wait probes',
        'flat 3 s probes',
      ],
      rows.map((r) => [
        r.config,
        r.brokers,
        s1(r.totalS),
        s1(r.overheadS),
        r.detectS === undefined ? undefined : s1(r.detectS),
        r.patchS === undefined ? undefined : s1(r.patchS),
        s1(r.usableOverheadS),
        Math.round(r.overheadRealMs),
        r.calls.calls,
        r.calls.controlPlane,
        r.calls.hops,
        r.calls.throttled,
        r.callTarget,
        r.waitProbes,
        r.flatProbes,
      ]),
    ),
  ];
  const summary = LATENCY_CONFIGS.map((config) => {
    const shares = rows.filter((r) => r.config === config && !r.failed).map((r) => r.overheadS);
    return shares.length > 0
      ? `${config}: median ${round(median(shares), 2)} s, max ${round(Math.max(...shares), 2)} s`
      : undefined;
  }).filter((line) => line !== undefined);
  out.push(`   product's share of the overhead over all broker counts — ${summary.join('; ')}`);
  out.push(ratioTable(rows));
  // Where the calls go, for the 3-broker link (or the largest measured), each configuration side by side.
  const n = rows.some((r) => r.brokers === 3) ? 3 : Math.max(...rows.map((r) => r.brokers));
  const pick = (config: LatencyRow['config']) => rows.find((r) => r.config === config && r.brokers === n);
  const configs = LATENCY_CONFIGS.filter((c) => pick(c));
  const apis = [...new Set(configs.flatMap((c) => Object.keys(pick(c)!.calls.byApi)))].sort();
  out.push(
    table(
      `   Where the calls of one ${n}-broker link go (per API)`,
      ['API', ...configs],
      [
        ...apis.map((api) => [api, ...configs.map((c) => pick(c)!.calls.byApi[api] ?? 0)] as Cell[]),
        ['total', ...configs.map((c) => pick(c)!.calls.calls)],
      ],
    ),
  );
  return out.join('\n');
}

/** The same-run comparisons as ratios, per broker count (the issue asks for ratios, not wall-clock). */
function ratioTable(rows: LatencyRow[]): string {
  const find = (config: LatencyRow['config'], brokers: number) =>
    rows.find((r) => r.config === config && r.brokers === brokers && !r.failed);
  const ratio = (a: number | undefined, b: number | undefined) =>
    a === undefined || b === undefined || b === 0 ? undefined : round(a / b, 2);
  const brokerCounts = [...new Set(rows.map((r) => r.brokers))].sort((a, b) => a - b);
  return table(
    '   Ratios in this run (fast-path ÷ the other configuration, per broker count)',
    [
      'brokers',
      'calls ÷ terraform-like',
      'total ÷ terraform-like',
      'calls ÷ timer-only',
      'overhead ÷ timer-only',
      'calls ÷ fast-poll',
      'overhead ÷ fast-poll',
    ],
    brokerCounts.map((n) => {
      const fast = find('fast-path', n);
      const tf = find('terraform-like', n);
      const timer = find('timer-only', n);
      const poll = find('fast-poll', n);
      return [
        n,
        ratio(fast?.calls.calls, tf?.calls.calls),
        ratio(fast?.totalS, tf?.totalS),
        ratio(fast?.calls.calls, timer?.calls.calls),
        ratio(fast?.overheadS, timer?.overheadS),
        ratio(fast?.calls.calls, poll?.calls.calls),
        ratio(fast?.overheadS, poll?.overheadS),
      ];
    }),
  );
}

function scaleTable(r: ScaleResult): string {
  const lines = [
    table(
      `3. Scale: ${r.links} concurrent ${r.brokersPerLink}-broker links, ${r.ratePerSecond} req/s per API (fast path ${r.fastPath ? 'on' : 'off'}${r.retryDelayS !== undefined ? `, async retry after ${r.retryDelayS} s` : ''})`,
      ['figure', 'value'],
      [
        ['completed', `${r.completed}/${r.links}`],
        ['failed (given up or kvl.link.failed)', r.failed],
        ['  of which the desired state was recorded (reconcile can converge)', r.recoverableByReconcile],
        ['invocations failed then retried', r.invocationErrors],
        ['total time, real s (to the last completion)', s1(r.totalRealS)],
        [
          'lower bound, real s: busiest API calls ÷ rate',
          `${s1(r.lowerBoundS)} (${r.bottleneckApi}: ${r.bottleneckCalls})`,
        ],
        ['  ratio', round(r.ratio, 2)],
        ['lower bound without the inline polls, real s', s1(r.lowerBoundWithoutPollsS)],
        ['  ratio (target ≤ 1.3)', round(r.ratioWithoutPolls, 2)],
        [
          "lower bound with the pipeline: last service create, then the cloud's path, real s",
          s1(r.pipelineBoundS),
        ],
        ['  ratio (information)', round(r.ratioToPipeline, 2)],
        ['calls answered (429s excluded) / per link', `${r.calls.calls} / ${s1(r.callsPerLink)}`],
        ['calls refused with 429', r.calls.throttled],
      ],
    ),
  ];
  const causes = Object.entries(r.failureCauses);
  if (causes.length > 0) {
    lines.push(
      table(
        '   Steps given up after FunctionGraph retries, and kvl.link.failed reasons',
        ['cause', 'count'],
        causes.slice(0, 8).map(([c, k]) => [c, k]),
      ),
    );
  }
  return lines.join('\n');
}

function reconcileTables(rows: ReconcileRow[], ticks: PollTickRow[]): string {
  return [
    table(
      '4. Reconcile: one pass over N linked instances (throttled; median of passes)',
      ['links', 'calls', 'list pages expected', 'DMS', 'VPCEP', 'VPC', '429s', 'ms/pass', 'all linked'],
      rows.map((r) => [
        r.links,
        r.calls.calls,
        r.expectedPages,
        sumService(r, 'dms'),
        sumService(r, 'vpcep'),
        sumService(r, 'vpc'),
        r.calls.throttled,
        Math.round(r.passMs),
        r.problem ? r.problem : true,
      ]),
    ),
    table(
      '   Poll tick: one poll-acceptance run while N links wait for acceptance (target: calls = pages of pending links)',
      ['pending links', 'linked links', 'calls', 'pending pages', 'tag queries', 'endpoint lists', 'ms'],
      ticks.map((t) => [
        t.pendingLinks,
        t.linkedLinks,
        t.calls.calls,
        t.pendingPages,
        t.calls.byApi['POST vpcep /endpoint_service/resource_instances/action'] ?? 0,
        t.calls.byApi['GET vpcep /vpc-endpoints'] ?? 0,
        Math.round(t.tickMs),
      ]),
    ),
  ].join('\n');
}

function sumService(r: ReconcileRow, service: string): number {
  return Object.entries(r.calls.byApi)
    .filter(([api]) => api.split(' ')[1] === service)
    .reduce((sum, [, n]) => sum + n, 0);
}

function coldStartTables(c: ColdStartResult): string {
  return [
    table(
      `5. Bundle size per function (budget ≤ ${BUNDLE_BUDGETS.default / 1024} KB, verify ≤ ${BUNDLE_BUDGETS.verify / 1024} KB; source maps shipped: ${c.sourceMapsShipped ? 'YES' : 'no'})`,
      ['function', 'KB', '≤ target'],
      c.bundles.map((b) => [b.name, round(b.bytes / 1024, 1), b.withinTarget]),
    ),
    table(
      `   What ${c.composition.bundle} is made of (KB in the minified bundle)`,
      ['package', 'KB'],
      c.composition.byPackage.map((p) => [p.name, p.kb]),
    ),
    table(
      `   Cold start in a fresh Node.js process (median of ${c.comparison.project.samples}): module load + first handler call`,
      ['function', 'KB', 'load ms', 'first call ms', 'total ms', 'errors'],
      [c.comparison.project, c.comparison.sdk, ...c.functions].map((r) => [
        r.name,
        round(r.bytes / 1024, 0),
        s1(r.loadMs),
        s1(r.firstCallMs),
        s1(r.totalMs),
        r.errors,
      ]),
    ),
    `   official SDK ÷ project clients (total): ${round(c.comparison.ratio, 2)}×`,
  ].join('\n');
}

/** Calls per link by mode, first link and repeat, with where they go. */
function callsTable(rows: CallsRow[]): string {
  const apis = [...new Set(rows.flatMap((r) => Object.keys(r.calls.byApi)))].sort();
  const three = rows.filter((r) => r.brokers === 3);
  return [
    table(
      '2b. Cloud calls per link by mode (direct = `link --via direct`, in-process; chain = the fast path; repeat = the same request again for a complete link)',
      ['mode', 'scenario', 'brokers', 'calls', 'DMS/VPCEP/VPC', 'SMN hops', 'writes', 'goal'],
      rows.map((r) => [
        r.mode,
        r.scenario,
        r.brokers,
        r.calls.calls,
        r.calls.controlPlane,
        r.calls.hops,
        r.writes,
        r.scenario === 'link' ? callGoal(r.mode, r.brokers) : `0 w, ≤ ${REPEAT_GOAL.calls}`,
      ]),
    ),
    table(
      '   Where the calls of a 3-broker link go (per API)',
      ['API', ...three.map((r) => `${r.mode} ${r.scenario}`)],
      apis
        .filter((api) => three.some((r) => r.calls.byApi[api]))
        .map((api) => [api, ...three.map((r) => r.calls.byApi[api] ?? 0)]),
    ),
  ].join('\n');
}

function targetsOf(
  results: {
    calls?: CallsRow[];
    latency?: LatencyRow[];
    scale?: ScaleResult;
    reconcile?: ReconcileRow[];
    pollTicks?: PollTickRow[];
    coldStart?: ColdStartResult;
  },
  latencySpeed: number,
): Target[] {
  const targets: Target[] = [];
  // The overhead targets judge the dense probe schedule; a speed that coarsens it cannot judge them.
  const denseMs = denseProbeEmulatedMs(latencySpeed);
  const intendedDenseMs = Math.round(PRODUCT_POLL_INTERVAL_MS / DENSE_FACTOR);
  const overheadJudgeable = denseMs <= intendedDenseMs;
  const overheadVerdict = (met: boolean): boolean | 'n/a' => (overheadJudgeable ? met : 'n/a');
  const coarse = overheadJudgeable
    ? ''
    : ` (n/a at speed ${latencySpeed}: dense probes every ${denseMs / 1000} s, not ${intendedDenseMs / 1000} s; judge on a full run)`;
  const fast = results.latency?.filter((r) => r.config === 'fast-path' || r.config === 'fast-poll') ?? [];
  const timer = results.latency?.filter((r) => r.config === 'timer-only') ?? [];
  const tf = results.latency?.filter((r) => r.config === 'terraform-like') ?? [];
  for (const r of fast) {
    targets.push({
      section: '1 latency',
      target: `${r.config} overhead ≤ 1 s (${r.brokers} brokers)`,
      measured: `${round(r.overheadS, 2)} s${r.failed ? ` (link failed: ${r.failed})` : coarse}`,
      met: r.failed ? false : overheadVerdict(r.overheadS <= 1),
    });
  }
  // Issue #15: the median at the defaults, for at most 2 more probes than the flat 3 s polls the
  // acceptance wait used before the dense window (same acceptance times, see flatScheduleProbes).
  const defaults = fast.filter((r) => r.config === 'fast-path');
  if (defaults.length > 0) {
    const overheads = defaults.map((r) => (r.failed ? Number.POSITIVE_INFINITY : r.overheadS));
    targets.push({
      section: '1 latency',
      target: 'fast-path median overhead ≤ 1 s (over broker counts)',
      measured: `${round(median(overheads), 2)} s${coarse}`,
      met: overheadVerdict(median(overheads) <= 1),
    });
    // Per link the extra probes depend on where in the spread acceptance lands (0–6 s: up to +4);
    // the goal is on average.
    const probed = defaults.filter((r) => r.waitProbes !== undefined && r.flatProbes !== undefined);
    if (probed.length > 0) {
      const extra = probed.map((r) => r.waitProbes! - r.flatProbes!);
      const mean = extra.reduce((a, b) => a + b, 0) / extra.length;
      targets.push({
        section: '1 latency',
        target: 'fast-path acceptance wait ≤ 2 probes more than flat 3 s polls (mean over broker counts)',
        measured: `${round(mean, 2)} more (${probed.map((r) => `${r.waitProbes} vs ${r.flatProbes}`).join(', ')})`,
        met: mean <= 2,
      });
    }
  }
  // The timer's own lag (until it hands the link on) is what one timer period bounds; the patch
  // that follows is the same as on the fast path.
  for (const r of timer) {
    targets.push({
      section: '1 latency',
      target: `timer-only: noticed within one timer period, 60 s (${r.brokers} brokers)`,
      measured: `${s1(r.detectS ?? Number.NaN)} s (overhead ${s1(r.overheadS)} s)`,
      met: !r.failed && r.detectS !== undefined && r.detectS <= 60,
    });
  }
  for (const r of results.calls ?? []) {
    const baseline = tf.find((t) => t.brokers === r.brokers);
    // Direct mode: DMS/VPCEP/VPC calls. Chain: the same (the timer's tag queries at its ticks
    // included) plus the SMN hops between the functions. The publish of the link's outcome to the
    // events topic is left out of both: direct mode makes it too, and it is not a hop.
    const measured = r.mode === 'direct' ? r.calls.controlPlane : r.calls.controlPlane + r.calls.hops;
    if (r.scenario === 'link') {
      const goal = callGoal(r.mode, r.brokers);
      targets.push({
        section: '2 API calls',
        target: `${r.mode} link ≤ ${goal} calls (${r.brokers} brokers; ≤ ${r.mode === 'direct' ? 16 : 20} for 3, ≤ 3 per extra broker)`,
        measured: `${measured} (${r.calls.controlPlane} DMS/VPCEP/VPC${r.mode === 'chain' ? ` + ${r.calls.hops} SMN hops` : ''}, ${r.writes} writes)${baseline && r.mode === 'chain' ? `; terraform-like ${baseline.calls.calls}` : ''}`,
        met: measured <= goal,
      });
    } else {
      targets.push({
        section: '2 API calls',
        target: `${r.mode}: repeat a complete link: ${REPEAT_GOAL.writes} writes, ≤ ${REPEAT_GOAL.calls} DMS/VPCEP/VPC calls (${r.brokers} brokers)`,
        measured: `${r.writes} writes, ${r.calls.controlPlane} calls (${r.calls.calls} with every SMN publish)`,
        met: r.writes === REPEAT_GOAL.writes && r.calls.controlPlane <= REPEAT_GOAL.calls,
      });
    }
  }
  for (const t of results.pollTicks ?? []) {
    targets.push({
      section: '2 API calls',
      target: `poll tick calls grow with pages of pending links only (${t.pendingLinks} pending, ${t.linkedLinks} linked)`,
      measured: `${t.calls.calls} calls, ${t.pendingPages} pending pages`,
      met: t.calls.calls <= t.pendingPages,
    });
  }
  const sc = results.scale;
  if (sc) {
    // Issue #15's soak (1,000 links) is held to 1.2×; the 100-link run keeps its 1.3×.
    const bound = sc.links >= 1000 ? 1.2 : 1.3;
    targets.push({
      section: '3 scale',
      target: `${sc.links} concurrent links all complete, zero failures`,
      measured: `${sc.completed}/${sc.links} completed, ${sc.failed} failed`,
      met: sc.completed === sc.links && sc.failed === 0,
    });
    targets.push({
      section: '3 scale',
      // Judged against the bound without the inline polls: polls are issued for as long as the run
      // lasts, so counting them makes calls ÷ rate track the elapsed time and the ratio ≈ 1 by itself.
      target: `total time ≤ ${bound} × (calls ÷ rate), inline polls excluded`,
      measured: `${round(sc.ratioWithoutPolls, 2)}× (${s1(sc.totalRealS)} s vs ${s1(sc.lowerBoundWithoutPollsS)} s; with polls ${round(sc.ratio, 2)}×; ${round(sc.ratioToPipeline, 2)}× the pipeline bound)${sc.completed < sc.links ? ', not meaningful: links failed' : ''}`,
      met: sc.completed === sc.links && sc.ratioWithoutPolls <= bound,
    });
  }
  for (const r of results.reconcile ?? []) {
    targets.push({
      section: '4 reconcile',
      target: `calls grow with pages, not links (${r.links} links)`,
      measured: `${r.calls.calls} calls, ${r.expectedPages} pages${r.problem ? `; ${r.problem}` : ''}`,
      met: r.calls.calls <= r.expectedPages && !r.problem,
    });
  }
  const cs = results.coldStart;
  if (cs) {
    const largest = Math.max(...cs.bundles.map((b) => b.bytes));
    targets.push({
      section: '5 cold start',
      target: `every bundle ≤ ${BUNDLE_BUDGETS.default / 1024} KB (verify ≤ ${BUNDLE_BUDGETS.verify / 1024} KB), no source maps`,
      measured: `largest ${round(largest / 1024, 1)} KB; source maps ${cs.sourceMapsShipped ? 'shipped' : 'none'}`,
      met: cs.bundles.every((b) => b.withinTarget) && !cs.sourceMapsShipped,
    });
    // Issue #15's goal, apart from the budget CI enforces: chain bundles ≤ 150 KB (verify has its own).
    const chain = cs.bundles.filter((b) => !Object.hasOwn(BUNDLE_BUDGETS, b.name));
    const largestChain = Math.max(...chain.map((b) => b.bytes));
    targets.push({
      section: '5 cold start',
      target: 'issue #15: every chain bundle ≤ 150 KB',
      measured: `largest ${round(largestChain / 1024, 1)} KB`,
      met: largestChain <= 150 * 1024,
    });
    targets.push({
      section: '5 cold start',
      target: 'issue #15: load + first call ≥ 3× faster than the same function on the official SDK',
      measured: `SDK ÷ project = ${round(cs.comparison.ratio, 2)}× (${s1(cs.comparison.sdk.totalMs)} vs ${s1(cs.comparison.project.totalMs)} ms)`,
      met: cs.comparison.ratio >= 3 && cs.comparison.project.errors === 0 && cs.comparison.sdk.errors === 0,
    });
  }
  return targets;
}

async function main(): Promise<void> {
  const { plan, only } = parseArgs(process.argv.slice(2));
  const started = performance.now();
  const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);
  log(`mode ${plan.mode}; sections ${only.join(', ')}; ${cpus().length} CPU(s), Node ${process.version}`);
  await buildBundles();
  const results: Record<string, unknown> & {
    verify?: VerifyBenchRow;
    latency?: LatencyRow[];
    calls?: CallsRow[];
    scale?: ScaleResult;
    reconcile?: ReconcileRow[];
    pollTicks?: PollTickRow[];
    coldStart?: ColdStartResult;
  } = {};
  const output: string[] = [];
  for (const section of only) {
    const t0 = performance.now();
    log(`${section}…`);
    if (section === 'cold-start') {
      results.coldStart = await runColdStart(plan.coldStart);
      output.push(coldStartTables(results.coldStart));
    } else if (section === 'reconcile') {
      results.reconcile = await runReconcile(plan.reconcile);
      results.pollTicks = await runPollTicks({ pending: plan.reconcile.pending });
      output.push(reconcileTables(results.reconcile, results.pollTicks));
    } else if (section === 'verify') {
      const row = await runVerifyBench({ runs: plan.mode === 'quick' ? 3 : 10 });
      results.verify = row;
      output.push(
        table(
          `   Verify on the emulator's data plane (${row.brokers} brokers, SASL_SSL, median of ${row.runs}; whole run ${s1(row.wholeMs)} ms${row.healthy ? '' : ', NOT healthy'})`,
          ['broker', 'total ms', 'produce ms', 'read back ms'],
          row.perBroker.map((b) => [b.brokerId, s1(b.totalMs), s1(b.produceMs), s1(b.consumeMs)]),
        ),
      );
    } else if (section === 'latency') {
      const chainCalls: CallsRow[] = [];
      results.latency = await runLatency({ ...plan.latency, chainCalls });
      // Direct mode for 1, 3 and 6 brokers: the issue's goals are stated for them.
      const directCalls = await runDirectCalls({ speed: plan.latency.speed, brokerCounts: [1, 3, 6] });
      results.calls = [...directCalls, ...chainCalls];
      output.push(latencyTables(results.latency));
      output.push(callsTable(results.calls));
    } else {
      results.scale = await runScale(plan.scale);
      output.push(scaleTable(results.scale));
    }
    log(`${section} done in ${Math.round((performance.now() - t0) / 1000)} s`);
  }
  const targets = targetsOf(results, plan.latency.speed);
  output.push(
    table(
      'Targets',
      ['section', 'target', 'measured', 'met'],
      targets.map((t) => [t.section, t.target, t.measured, t.met]),
    ),
  );
  process.stdout.write(`${output.join('\n')}\n`);
  const file = join(REPO_ROOT, 'bench', 'results.json');
  writeFileSync(
    file,
    `${JSON.stringify(
      {
        meta: {
          date: new Date().toISOString(),
          node: process.version,
          cpus: cpus().length,
          mode: plan.mode,
          plan,
          throttle: THROTTLE,
          productPollIntervalMs: PRODUCT_POLL_INTERVAL_MS,
          realSeconds: Math.round((performance.now() - started) / 1000),
        },
        targets,
        ...results,
      },
      null,
      2,
    )}\n`,
  );
  log(`wrote ${file} in ${Math.round((performance.now() - started) / 1000)} s`);
}

main().then(
  () => {
    removeBundles();
    process.exit(0);
  },
  (error: unknown) => {
    removeBundles();
    process.stderr.write(
      `[bench] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
