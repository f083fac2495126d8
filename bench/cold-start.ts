/**
 * Section 5: cold start.
 *
 *   - Bundle size of every function in functions/ against its budget (scripts/build.mjs
 *     BUNDLE_BUDGET_BYTES: one for the chain functions, verify its own; no source maps), with the
 *     esbuild metafile's view of what the largest chain bundle is made of.
 *   - Module load + first handler call in a fresh Node.js process (median of N), for the chain's
 *     functions on cheap first events, and for one comparison function built twice — on the
 *     project's clients and on the official `@huaweicloud/huaweicloud-sdk-kafka` client — bundled
 *     with the same esbuild options (scripts/build.mjs `bundleOptions`). The ratio is SDK ÷ project.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BuildOptions, build } from 'esbuild';
import { emulatorEnv } from '../local/commands/env-file.js';
import { timerEvent } from '../local/runtime/index.js';
// @ts-expect-error: plain ESM build script without type declarations
import { BUNDLE_BUDGET_BYTES } from '../scripts/build.mjs';
import { newCloudEvent } from '../shared/events/cloudevents.js';
import { buildBundles, median, REPO_ROOT, startBenchCloud } from './lib/common.js';

/** Per-bundle size budgets (issue #15), the same the build and test/scripts/bundle-budget.test.ts enforce. */
export const BUNDLE_BUDGETS = BUNDLE_BUDGET_BYTES as { default: number; verify: number };
const budgetOf = (name: string): number =>
  (BUNDLE_BUDGETS as Record<string, number>)[name] ?? BUNDLE_BUDGETS.default;
/** The chain functions measured for load + first call (the others are sized only). */
const PROBED = ['create-services', 'buy-endpoints', 'poll-acceptance', 'patch-listeners'] as const;

export interface BundleRow {
  name: string;
  bytes: number;
  withinTarget: boolean;
}

export interface ColdStartRow {
  name: string;
  bytes: number;
  samples: number;
  loadMs: number;
  firstCallMs: number;
  totalMs: number;
  /** Samples whose handler failed (they still count: a cold start is paid either way). */
  errors: number;
  error?: string;
}

export interface ColdStartResult {
  bundles: BundleRow[];
  sourceMapsShipped: boolean;
  /** Largest chain bundle's composition by package, KB. */
  composition: { bundle: string; byPackage: Array<{ name: string; kb: number }> };
  functions: ColdStartRow[];
  comparison: { project: ColdStartRow; sdk: ColdStartRow; ratio: number };
}

function byPackage(metafile: any): Array<{ name: string; kb: number }> {
  const output = Object.values(metafile.outputs)[0] as { inputs: Record<string, { bytesInOutput: number }> };
  const sums = new Map<string, number>();
  for (const [file, info] of Object.entries(output.inputs)) {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
    const name = match ? match[1]! : file.split('/').slice(0, 2).join('/');
    sums.set(name, (sums.get(name) ?? 0) + info.bytesInOutput);
  }
  return [...sums]
    .sort((a, b) => b[1] - a[1])
    .map(([name, bytes]) => ({ name, kb: Math.round((bytes / 1024) * 10) / 10 }));
}

async function buildComparison(): Promise<{ dir: string; project: string; sdk: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'kvl-bench-cold-'));
  const { bundleOptions } = (await import(join(REPO_ROOT, 'scripts', 'build.mjs'))) as {
    bundleOptions: (
      entry: string,
      outfile: string,
      options?: { stubUnusedTransport?: boolean },
    ) => BuildOptions;
  };
  const out = { project: join(dir, 'project', 'index.js'), sdk: join(dir, 'sdk', 'index.js') };
  await build(bundleOptions(join(import.meta.dirname, 'cold-start', 'kvl-read-instance.ts'), out.project));
  // The SDK follows redirects and honours proxies, so the axios stubs the product's bundles use
  // (maxRedirects: 0, proxy: false) do not apply to it: same options otherwise.
  await build(
    bundleOptions(join(import.meta.dirname, 'cold-start', 'sdk-read-instance.ts'), out.sdk, {
      stubUnusedTransport: false,
    }),
  );
  writeFileSync(join(dir, 'package.json'), '{ "type": "commonjs" }\n');
  return { dir, ...out };
}

interface ProbeOutput {
  bootMs: number;
  loadMs: number;
  firstCallMs: number;
  ok: boolean;
  error?: string;
}

function probe(file: string, event: unknown, userData: Record<string, string>): Promise<ProbeOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        join(import.meta.dirname, 'cold-start', 'probe.cjs'),
        file,
        JSON.stringify(event),
        JSON.stringify(userData),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', () => {
      const line = stdout.split('\n').find((l) => l.startsWith('@@kvl-probe '));
      if (!line) {
        reject(new Error(`cold-start probe of ${file} printed no result: ${stderr.slice(0, 500)}`));
        return;
      }
      resolve(JSON.parse(line.slice('@@kvl-probe '.length)) as ProbeOutput);
    });
  });
}

function summarize(name: string, file: string, outputs: ProbeOutput[]): ColdStartRow {
  const failed = outputs.filter((o) => !o.ok);
  return {
    name,
    bytes: statSync(file).size,
    samples: outputs.length,
    loadMs: median(outputs.map((o) => o.loadMs)),
    firstCallMs: median(outputs.map((o) => o.firstCallMs)),
    totalMs: median(outputs.map((o) => o.loadMs + o.firstCallMs)),
    errors: failed.length,
    ...(failed[0]?.error ? { error: failed[0].error } : {}),
  };
}

export async function runColdStart(options: { samples: number }): Promise<ColdStartResult> {
  const { dir, results } = await buildBundles();
  const bundles = results
    .map((r) => ({ name: r.name, bytes: r.bytes, withinTarget: r.bytes <= budgetOf(r.name) }))
    .sort((a, b) => a.name.localeCompare(b.name));
  const shipped = readdirSync(dir, { recursive: true }).map(String);
  const sourceMapsShipped =
    shipped.some((f) => f.endsWith('.map')) ||
    results.some((r) => readFileSync(r.outfile, 'utf8').includes('sourceMappingURL'));
  // verify (kafkajs) has a budget of its own: the composition shown is the largest chain bundle's.
  const chain = results.filter((r) => !Object.hasOwn(BUNDLE_BUDGETS, r.name));
  const largest = [...(chain.length > 0 ? chain : results)].sort((a, b) => b.bytes - a.bytes)[0]!;
  const composition = { bundle: largest.name, byPackage: byPackage(largest.metafile).slice(0, 12) };

  const comparisonFiles = await buildComparison();
  // No throttling: one call per sample, and the emulator answers in the same process as the spawner.
  const cloud = await startBenchCloud({ speed: 0, throttle: false });
  try {
    const config = cloud.emulator.config();
    const instanceId = config.world.instanceId;
    const client = { vpcId: config.world.clientVpcId, subnetId: config.world.clientSubnetId };
    const userData: Record<string, string> = {
      ...emulatorEnv(config, { keys: true }),
      KVL_LOG_LEVEL: 'error',
    };
    const source = 'kvl/bench';
    // Cheap first events that still call the cloud: a dry run, two stale chain messages (the instance
    // declares no link, so the step reads it and stops) and a timer tick with nothing pending.
    const events: Record<(typeof PROBED)[number], unknown> = {
      'create-services': newCloudEvent('kvl.link.requested', {
        source,
        time: Date.now(),
        data: { instanceId, client, options: { dryRun: true } },
      }),
      'buy-endpoints': newCloudEvent('kvl.link.services-ready', {
        source,
        time: Date.now(),
        data: { instanceId, client },
      }),
      'patch-listeners': newCloudEvent('kvl.link.endpoints-accepted', {
        source,
        time: Date.now(),
        data: { instanceId, client },
      }),
      'poll-acceptance': timerEvent({ triggerName: 'kvl-poll-acceptance', userEvent: '', now: Date.now() }),
    };
    const comparisonEvent = newCloudEvent('kvl.link.requested', {
      source,
      time: Date.now(),
      data: { instanceId, client },
    });

    const variants: Array<{ name: string; file: string; event: unknown }> = [
      { name: 'read-instance (project clients)', file: comparisonFiles.project, event: comparisonEvent },
      { name: 'read-instance (official SDK)', file: comparisonFiles.sdk, event: comparisonEvent },
      ...PROBED.filter((name) => existsSync(join(dir, name, 'index.js'))).map((name) => ({
        name,
        file: join(dir, name, 'index.js'),
        event: events[name],
      })),
    ];
    const outputs = new Map<string, ProbeOutput[]>(variants.map((v) => [v.name, []]));
    // Interleaved, so a slow patch of the machine hits every variant alike.
    for (let i = 0; i < options.samples; i++) {
      for (const v of variants) outputs.get(v.name)!.push(await probe(v.file, v.event, userData));
    }
    const rows = variants.map((v) => summarize(v.name, v.file, outputs.get(v.name)!));
    const [project, sdk, ...functions] = rows as [ColdStartRow, ColdStartRow, ...ColdStartRow[]];
    return {
      bundles,
      sourceMapsShipped,
      composition,
      functions,
      comparison: { project, sdk, ratio: sdk.totalMs / project.totalMs },
    };
  } finally {
    await cloud.close();
    rmSync(comparisonFiles.dir, { recursive: true, force: true });
  }
}
