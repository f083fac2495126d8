/**
 * Re-derives shared/cloud/regions.ts (the host of each service in each region) from a checkout of the
 * official Go SDK, huaweicloud-sdk-go-v3, so the table can be refreshed when Huawei adds a region:
 *
 *   npx tsx scripts/sdk-regions.ts <sdk work tree or git dir> [commit]   writes shared/cloud/regions.ts
 *   npx tsx scripts/sdk-regions.ts <sdk …> [commit] --check              exits 1 if the committed table differs
 *
 * It reads facts from the SDK files (region ids and hosts); it copies no SDK code. A bare git dir is read
 * with `git show <commit>:<path>`, a work tree from disk.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RegionEntry, RegionTable } from '../shared/cloud/regions.js';
import type { CloudService } from '../shared/cloud/types.js';

/** Region file(s) per service; several files for one service must agree (we call VPC v1 and v3 paths). */
export const SDK_REGION_FILES: Readonly<Record<CloudService, readonly string[]>> = {
  dms: ['services/kafka/v2/region/region.go'],
  vpcep: ['services/vpcep/v1/region/region.go'],
  vpc: ['services/vpc/v2/region/region.go', 'services/vpc/v3/region/region.go'],
  smn: ['services/smn/v2/region/region.go'],
  iam: ['services/iam/v3/region/region.go'],
  functiongraph: ['services/functiongraph/v2/region/region.go'],
};

/** Where the SDK core picks the IAM host for project-id discovery (`GET /v3/projects`, what we call). */
export const SDK_IAM_CORE_FILES = {
  endpoints: 'core/auth/internal/iam_endpoint.go',
  helper: 'core/auth/internal/iam_helper.go',
} as const;

/** Host prefix per service: the Kafka API lives on `dms.`. */
export const HOST_PREFIX: Readonly<Record<CloudService, string>> = {
  dms: 'dms',
  vpcep: 'vpcep',
  vpc: 'vpc',
  smn: 'smn',
  iam: 'iam',
  functiongraph: 'functiongraph',
};

export const defaultHost = (service: CloudService, region: string): string =>
  `${HOST_PREFIX[service]}.${region}.myhuaweicloud.com`;

export type ReadSdkFile = (path: string) => string;

/** Reads from a work tree (has services/) or a git dir (`git show commit:path`). */
export function sdkReader(location: string, commit = 'HEAD'): { read: ReadSdkFile; commit: string } {
  if (existsSync(join(location, 'services'))) {
    return { read: (path) => readFileSync(join(location, path), 'utf8'), commit: 'work tree' };
  }
  const git = (...args: string[]) =>
    execFileSync('git', [`--git-dir=${location}`, ...args], { encoding: 'utf8', maxBuffer: 16 << 20 });
  const resolved = git('rev-parse', `${commit}^{commit}`).trim();
  return { read: (path) => git('show', `${resolved}:${path}`), commit: resolved };
}

/** `region.NewRegion("id", "https://host"[, more endpoints])`: region id → first endpoint's host. */
export function parseRegionFile(text: string, file: string): Map<string, string> {
  const hosts = new Map<string, string>();
  for (const match of text.matchAll(/NewRegion\(\s*"([^"]+)"\s*,\s*"https:\/\/([^"/]+)\/?"/g)) {
    const [, region, host] = match as unknown as [string, string, string];
    if (hosts.has(region)) throw new Error(`${file}: region ${region} is defined twice`);
    hosts.set(region, host);
  }
  if (hosts.size === 0)
    throw new Error(`${file}: no region.NewRegion(...) found; has the SDK layout changed?`);
  return hosts;
}

/** Every service × region → host, as the SDK files say (no compaction). */
export function deriveSdkHosts(read: ReadSdkFile): Map<CloudService, Map<string, string>> {
  const result = new Map<CloudService, Map<string, string>>();
  for (const [service, files] of Object.entries(SDK_REGION_FILES) as [CloudService, string[]][]) {
    const [first, ...others] = files.map((file) => ({ file, hosts: parseRegionFile(read(file), file) }));
    for (const other of others) {
      const a = JSON.stringify([...first!.hosts].sort());
      const b = JSON.stringify([...other.hosts].sort());
      if (a !== b) throw new Error(`${first!.file} and ${other.file} disagree; pick one for ${service}`);
    }
    result.set(service, first!.hosts);
  }
  return result;
}

/** The SDK core's IAM host for project-id discovery: its per-region map, else its global default. */
export function deriveIamCore(read: ReadSdkFile): { regional: Map<string, string>; global: string } {
  const regional = new Map<string, string>();
  for (const match of read(SDK_IAM_CORE_FILES.endpoints).matchAll(
    /"([a-z0-9-]+)"\s*:\s*"https:\/\/([^"/]+)"/g,
  )) {
    regional.set(match[1]!, match[2]!);
  }
  const global = /DefaultIamEndpoint\s*=\s*"https:\/\/([^"/]+)"/.exec(read(SDK_IAM_CORE_FILES.helper))?.[1];
  if (!global || regional.size === 0)
    throw new Error(`${SDK_IAM_CORE_FILES.helper}: IAM endpoints not found`);
  return { regional, global };
}

/** The compact table shared/cloud/regions.ts holds: known regions, plus only hosts off the default. */
export function deriveRegionTable(read: ReadSdkFile): RegionTable {
  const sdk = deriveSdkHosts(read);
  const core = deriveIamCore(read);
  const iamRegional = sdk.get('iam')!;
  for (const [region, host] of core.regional) {
    const listed = iamRegional.get(region);
    if (listed !== undefined && listed !== host) {
      throw new Error(`IAM host for ${region}: region.go says ${listed}, the core map says ${host}`);
    }
  }
  const table = {} as Record<CloudService, RegionEntry>;
  for (const [service, hosts] of sdk) {
    const regions = [...hosts.keys()].sort();
    const exceptions = Object.fromEntries(
      regions.filter((r) => hosts.get(r) !== defaultHost(service, r)).map((r) => [r, hosts.get(r)!]),
    );
    table[service] = { regions: regions.join(' '), hosts: exceptions };
  }
  table.iam = { ...table.iam, global: core.global };
  return table;
}

/**
 * The table as module source. Most services list the same regions, so the module holds their union
 * once and, per service, the regions it lacks (`except`): ~1.7 KB less in every function bundle than
 * six full lists. `SDK_REGIONS` is the same table either way.
 */
export function renderModule(table: RegionTable, commit: string): string {
  const all = [...new Set(Object.values(table).flatMap((entry) => entry.regions.split(' ')))].sort();
  const entries = (Object.entries(table) as [CloudService, RegionEntry][])
    .map(([service, entry]) => {
      const listed = new Set(entry.regions.split(' '));
      const absent = all.filter((region) => !listed.has(region)).join(' ');
      const fields = [
        `regions: except(${JSON.stringify(absent)})`,
        `hosts: ${JSON.stringify(entry.hosts)}`,
        ...(entry.global === undefined ? [] : [`global: ${JSON.stringify(entry.global)}`]),
      ];
      return `  ${service}: { ${fields.join(', ')} },`;
    })
    .join('\n');
  const files = (Object.entries(SDK_REGION_FILES) as [CloudService, readonly string[]][])
    .map(([service, paths]) => ` *   ${service}: ${paths.join(', ')}`)
    .join('\n');
  return `/**
 * GENERATED by scripts/sdk-regions.ts from huaweicloud-sdk-go-v3 at commit ${commit}; do not edit:
 * run \`npx tsx scripts/sdk-regions.ts <sdk checkout>\` to refresh. Facts (region ids, hosts) from:
${files}
 *   iam global host: ${SDK_IAM_CORE_FILES.helper} (DefaultIamEndpoint), per-region map ${SDK_IAM_CORE_FILES.endpoints}
 * \`regions\`: the region ids the SDK lists for the service, space-separated (small bundles): every
 *   region some service lists (\`ALL_REGIONS\`) except those given to \`except\`.
 * \`hosts\`: only the hosts that differ from \`{service}.{region}.myhuaweicloud.com\`.
 */
import type { CloudService } from './types.js';

export interface RegionEntry {
  readonly regions: string;
  readonly hosts: Readonly<Record<string, string>>;
  /** IAM only: the host the SDK core uses for a region it has no regional IAM host for. */
  readonly global?: string;
}

export type RegionTable = Readonly<Record<CloudService, RegionEntry>>;

export const SDK_COMMIT = ${JSON.stringify(commit)};

const ALL_REGIONS = ${JSON.stringify(all.join(' '))};

/** \`ALL_REGIONS\` without the space-separated \`absent\` ones. */
function except(absent: string): string {
  const skip = new Set(absent.split(' '));
  return ALL_REGIONS.split(' ')
    .filter((region) => !skip.has(region))
    .join(' ');
}

export const SDK_REGIONS: RegionTable = {
${entries}
};
`;
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const REGIONS_MODULE = join(root, 'shared', 'cloud', 'regions.ts');

async function main(argv: string[]): Promise<number> {
  const check = argv.includes('--check');
  const [location, commitArg] = argv.filter((a) => a !== '--check');
  if (!location) {
    process.stderr.write(
      'usage: tsx scripts/sdk-regions.ts <huaweicloud-sdk-go-v3 checkout> [commit] [--check]\n',
    );
    return 2;
  }
  const { read, commit } = sdkReader(location, commitArg);
  const table = deriveRegionTable(read);
  if (check) {
    const { SDK_REGIONS } = await import('../shared/cloud/regions.js');
    const same = JSON.stringify(SDK_REGIONS) === JSON.stringify(table);
    process.stdout.write(
      same ? 'shared/cloud/regions.ts matches the SDK\n' : 'shared/cloud/regions.ts is stale\n',
    );
    return same ? 0 : 1;
  }
  writeFileSync(REGIONS_MODULE, renderModule(table, commit));
  // Lay it out as the repository's formatter does, so `npm run check` passes on a fresh table.
  execFileSync(join(root, 'node_modules', '.bin', 'biome'), ['format', '--write', REGIONS_MODULE], {
    stdio: 'inherit',
  });
  process.stdout.write(`wrote ${REGIONS_MODULE} (${commit})\n`);
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
