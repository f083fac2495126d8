/**
 * Function configuration: zod over the environment and the function's user data. FunctionGraph only
 * promises user data through `context.getUserData(key)` (some hosts also copy it into process.env),
 * so every variable is read as `context.getUserData(k) ?? env[k]` (reference §1.3).
 *
 * A `ConfigError` names the variable and the rule it breaks, never the value: encrypted user data and
 * endpoint URLs with embedded credentials go through here too.
 */

import { IdSchema, LinkClientSchema } from '../events/cloudevents.js';
import { formatPath } from '../events/errors.js';
import { DEFAULT_SETTINGS } from '../link/deps.js';
import * as z from '../zod.js';
import type { FunctionGraphContext } from './context.js';
import { isLogLevel, LOG_LEVELS, type LogLevel } from './logger.js';
import type { TopicUrns } from './publisher.js';

export type Env = Record<string, string | undefined>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly variable: string;
  readonly reason: string;
  /** A deployment problem: redelivering the same message cannot fix it. */
  readonly retryable = false;

  constructor(variable: string, reason: string, options?: { cause?: unknown }) {
    super(`configuration ${variable}: ${reason}`, options);
    this.variable = variable;
    this.reason = reason;
  }
}

/* ------------------------------------------------------------------ names */

export const ENV = {
  region: 'HUAWEICLOUD_REGION',
  projectId: 'HUAWEICLOUD_SDK_PROJECT_ID',
  endpoint: 'HUAWEICLOUD_ENDPOINT',
  pollIntervalMs: 'KVL_POLL_INTERVAL_MS',
  firstProbeAfterMs: 'KVL_FIRST_PROBE_AFTER_MS',
  acceptTimeoutMs: 'KVL_ACCEPT_TIMEOUT_MS',
  redriveAfterMs: 'KVL_REDRIVE_AFTER_MS',
  logLevel: 'KVL_LOG_LEVEL',
  autoLinkPolicy: 'KVL_AUTOLINK_POLICY',
  fastPath: 'KVL_FAST_PATH',
  reconcileRepair: 'KVL_RECONCILE_REPAIR',
} as const;

export const TOPIC_ENV: { readonly [K in keyof TopicUrns]: string } = {
  linkRequests: 'KVL_TOPIC_LINK_REQUESTS',
  servicesReady: 'KVL_TOPIC_SERVICES_READY',
  endpointsAccepted: 'KVL_TOPIC_ENDPOINTS_ACCEPTED',
  unlinkRequests: 'KVL_TOPIC_UNLINK_REQUESTS',
  events: 'KVL_TOPIC_EVENTS',
};

export const ENDPOINT_SERVICES = ['dms', 'vpcep', 'vpc', 'smn', 'iam', 'functiongraph'] as const;
export type EndpointService = (typeof ENDPOINT_SERVICES)[number];

const endpointVar = (service: EndpointService) => `${ENV.endpoint}_${service.toUpperCase()}`;

/* ------------------------------------------------------------------ schemas */

const RegionSchema = z
  .string()
  .check(z.regex(/^[a-z0-9-]{2,32}$/, 'must look like a region name (e.g. eu-west-101)'));

const UrlSchema = z.string().check(
  z.superRefine((value, ctx) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be an absolute http(s) URL' });
      return;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      ctx.addIssue({ code: 'custom', message: 'must be an http(s) URL' });
    }
    // Credentials in a URL would end up in logs of every request; refuse rather than redact.
    if (url.username || url.password)
      ctx.addIssue({ code: 'custom', message: 'must not contain credentials' });
  }),
);

const TopicUrnSchema = z
  .string()
  .check(z.maxLength(256, 'must be at most 256 characters'))
  .check(
    z.regex(
      /^urn:smn:[a-z0-9-]*:[A-Za-z0-9_-]+:[A-Za-z0-9_-]{1,255}$/,
      'must be an SMN topic URN (urn:smn:region:project:name)',
    ),
  );

const intVar = (min: number, max: number) =>
  z.pipe(
    z.pipe(z.string().check(z.regex(/^\d+$/, 'must be a whole number of milliseconds')), z.transform(Number)),
    z
      .number()
      .check(z.gte(min, `must be at least ${min}`))
      .check(z.lte(max, `must be at most ${max}`)),
  );

/** Glob over instance names: `*` any run, `?` one character. Not a regex (no ReDoS from config). */
const NamePatternSchema = z
  .string()
  .check(z.minLength(1))
  .check(z.maxLength(128))
  .check(z.regex(/^[A-Za-z0-9_.*?-]+$/, 'may only contain [A-Za-z0-9_.-] and the wildcards * and ?'));

export const AutoLinkRuleSchema = z.strictObject({
  namePattern: z.optional(NamePatternSchema),
  enterpriseProjectId: z.optional(IdSchema),
  client: LinkClientSchema,
});

export type AutoLinkRule = z.output<typeof AutoLinkRuleSchema>;

export const AutoLinkPolicySchema = z
  .array(AutoLinkRuleSchema)
  .check(z.maxLength(50, 'must have at most 50 rules'));

/* ------------------------------------------------------------------ config */

export interface KvlConfig {
  region: string;
  projectId: string;
  /** `all` = HUAWEICLOUD_ENDPOINT; per-service overrides win over it. */
  endpoints: Partial<Record<EndpointService | 'all', string>>;
  /** Topic URNs that are set; `requireTopics` checks them all. */
  topics: Partial<TopicUrns>;
  /**
   * `KVL_POLL_INTERVAL_MS` (3000): the interval of the inline waits; inside the documented 1–2 minute
   * creation window of services and endpoints they just created, a third of it (shared/link/schedule.ts).
   */
  pollIntervalMs: number;
  /**
   * `KVL_FIRST_PROBE_AFTER_MS` (60000): how long after creating services or endpoints the inline waits
   * first check them; the dense window runs from there to twice this.
   */
  firstProbeAfterMs: number;
  acceptTimeoutMs: number;
  /** How long a link may sit with services but no endpoints before the timer re-drives it. */
  redriveAfterMs: number;
  logLevel: LogLevel;
  autoLinkPolicy: AutoLinkRule[];
  /**
   * `KVL_FAST_PATH` (`on` | `off`, default on): whether buy-endpoints waits inline for acceptance.
   * Off leaves every link to the poll-acceptance timer: fewer calls per link, up to one timer period
   * more latency (the timer-only configuration the benchmarks compare against).
   */
  fastPath: boolean;
  /**
   * `KVL_RECONCILE_REPAIR` (`true` | `false`, also on/off, 1/0, yes/no; default true): whether the
   * reconcile function repairs drift or only reports it. A timer's `{"repair": …}` wins over it.
   */
  reconcileRepair: boolean;
  /**
   * The resolved, non-secret variables the cloud clients read (region, project, endpoint overrides),
   * for `createCloudClients({env})`: user data is merged in, credentials are not.
   */
  cloudEnv: Env;
}

export interface LoadConfigOptions {
  env?: Env;
  context?: Pick<FunctionGraphContext, 'getUserData'> & Partial<Pick<FunctionGraphContext, 'getProjectID'>>;
  /** Fail unless every `KVL_TOPIC_*` is set (functions that publish through SMN). */
  requireTopics?: boolean;
}

/** The smallest `KVL_POLL_INTERVAL_MS`: polls faster than this only spend the API rate. */
export const MIN_POLL_INTERVAL_MS = 100;

/** The link settings' defaults are the domain's own (DEFAULT_SETTINGS); config only reads overrides. */
export const DEFAULTS = {
  pollIntervalMs: DEFAULT_SETTINGS.pollIntervalMs,
  firstProbeAfterMs: DEFAULT_SETTINGS.firstProbeAfterMs,
  acceptTimeoutMs: DEFAULT_SETTINGS.acceptTimeoutMs,
  redriveAfterMs: DEFAULT_SETTINGS.redriveAfterMs,
  logLevel: 'info' as LogLevel,
  fastPath: true,
  reconcileRepair: true,
};

const BOOLEAN_WORDS: Readonly<Record<string, boolean>> = {
  true: true,
  on: true,
  '1': true,
  yes: true,
  false: false,
  off: false,
  '0': false,
  no: false,
};

/** `context.getUserData(k) ?? env[k]`, with empty strings treated as unset. */
export function createReader(
  options: Pick<LoadConfigOptions, 'env' | 'context'> = {},
): (key: string) => string | undefined {
  const env = options.env ?? process.env;
  const context = options.context;
  return (key) => {
    let fromContext: string | undefined;
    try {
      fromContext = context?.getUserData(key);
    } catch {
      fromContext = undefined;
    }
    const value = nonEmpty(fromContext) ?? nonEmpty(env[key]);
    return value;
  };
}

function nonEmpty(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

function check<T>(variable: string, schema: z.ZodMiniType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const inner = issue && issue.path.length > 0 ? formatPath(issue.path) : '';
  const name = inner ? `${variable}${inner.startsWith('[') ? '' : '.'}${inner}` : variable;
  const reason = issue?.code === 'unrecognized_keys' ? 'unknown field' : (issue?.message ?? 'invalid value');
  throw new ConfigError(name, reason);
}

/** Reads and validates the configuration; throws `ConfigError` on the first bad variable. */
export function loadConfig(options: LoadConfigOptions = {}): KvlConfig {
  const read = createReader(options);

  const regionRaw = read(ENV.region);
  if (!regionRaw) throw new ConfigError(ENV.region, 'is not set');
  const region = check(ENV.region, RegionSchema, regionRaw);

  let projectRaw = read(ENV.projectId);
  if (!projectRaw) {
    try {
      projectRaw = nonEmpty(options.context?.getProjectID?.());
    } catch {
      projectRaw = undefined;
    }
  }
  if (!projectRaw)
    throw new ConfigError(ENV.projectId, 'is not set (nor does the function context give a project id)');
  const projectId = check(ENV.projectId, IdSchema, projectRaw);

  const endpoints: KvlConfig['endpoints'] = {};
  const cloudEnv: Env = { [ENV.region]: region, [ENV.projectId]: projectId };
  const all = read(ENV.endpoint);
  if (all) {
    endpoints.all = check(ENV.endpoint, UrlSchema, all);
    cloudEnv[ENV.endpoint] = endpoints.all;
  }
  for (const service of ENDPOINT_SERVICES) {
    const variable = endpointVar(service);
    const value = read(variable);
    if (value) {
      endpoints[service] = check(variable, UrlSchema, value);
      cloudEnv[variable] = endpoints[service];
    }
  }

  const topics: Partial<TopicUrns> = {};
  for (const key of Object.keys(TOPIC_ENV) as Array<keyof TopicUrns>) {
    const value = read(TOPIC_ENV[key]);
    if (value) topics[key] = check(TOPIC_ENV[key], TopicUrnSchema, value);
  }

  const pollRaw = read(ENV.pollIntervalMs);
  const pollIntervalMs = pollRaw
    ? check(ENV.pollIntervalMs, intVar(MIN_POLL_INTERVAL_MS, 600_000), pollRaw)
    : DEFAULTS.pollIntervalMs;
  const firstProbeRaw = read(ENV.firstProbeAfterMs);
  const firstProbeAfterMs = firstProbeRaw
    ? check(ENV.firstProbeAfterMs, intVar(0, 600_000), firstProbeRaw)
    : DEFAULTS.firstProbeAfterMs;
  const acceptRaw = read(ENV.acceptTimeoutMs);
  const acceptTimeoutMs = acceptRaw
    ? check(ENV.acceptTimeoutMs, intVar(1_000, 72 * 3_600_000), acceptRaw)
    : DEFAULTS.acceptTimeoutMs;
  const redriveRaw = read(ENV.redriveAfterMs);
  const redriveAfterMs = redriveRaw
    ? check(ENV.redriveAfterMs, intVar(1_000, 72 * 3_600_000), redriveRaw)
    : DEFAULTS.redriveAfterMs;

  const levelRaw = read(ENV.logLevel)?.toLowerCase();
  if (levelRaw !== undefined && !isLogLevel(levelRaw)) {
    throw new ConfigError(ENV.logLevel, `must be one of ${LOG_LEVELS.join(', ')}`);
  }
  const logLevel = levelRaw ?? DEFAULTS.logLevel;

  const fastPathRaw = read(ENV.fastPath)?.toLowerCase();
  if (fastPathRaw !== undefined && fastPathRaw !== 'on' && fastPathRaw !== 'off') {
    throw new ConfigError(ENV.fastPath, 'must be on or off');
  }
  const fastPath = fastPathRaw === undefined ? DEFAULTS.fastPath : fastPathRaw === 'on';

  const repairRaw = read(ENV.reconcileRepair)?.toLowerCase();
  if (repairRaw !== undefined && !Object.hasOwn(BOOLEAN_WORDS, repairRaw)) {
    throw new ConfigError(ENV.reconcileRepair, 'must be true or false');
  }
  const reconcileRepair = repairRaw === undefined ? DEFAULTS.reconcileRepair : BOOLEAN_WORDS[repairRaw]!;

  const policyRaw = read(ENV.autoLinkPolicy);
  let autoLinkPolicy: AutoLinkRule[] = [];
  if (policyRaw) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(policyRaw);
    } catch (cause) {
      throw new ConfigError(ENV.autoLinkPolicy, 'must be a JSON array of rules', {
        cause: stripCause(cause),
      });
    }
    autoLinkPolicy = check(ENV.autoLinkPolicy, AutoLinkPolicySchema, parsed);
  }

  const config: KvlConfig = {
    region,
    projectId,
    endpoints,
    topics,
    pollIntervalMs,
    firstProbeAfterMs,
    acceptTimeoutMs,
    redriveAfterMs,
    logLevel,
    autoLinkPolicy,
    fastPath,
    reconcileRepair,
    cloudEnv,
  };
  if (options.requireTopics) requireTopics(config);
  return config;
}

// JSON.parse errors quote the input ("Unexpected token … in '{secret…'"): keep only the error name.
function stripCause(cause: unknown): Error {
  return new Error(cause instanceof Error ? cause.name : 'parse error');
}

/** All five topic URNs, or a `ConfigError` naming every missing variable at once. */
export function requireTopics(config: Pick<KvlConfig, 'topics'>): TopicUrns {
  const missing = (Object.keys(TOPIC_ENV) as Array<keyof TopicUrns>)
    .filter((key) => !config.topics[key])
    .map((key) => TOPIC_ENV[key]);
  if (missing.length > 0) {
    throw new ConfigError(
      missing.join(', '),
      `${missing.length > 1 ? 'are' : 'is'} not set (needed to publish events)`,
    );
  }
  return config.topics as TopicUrns;
}

/* ------------------------------------------------------------------ auto-link policy */

/**
 * `*`/`?` wildcard match in O(n·m): the classic two-pointer walk that only ever backtracks to the
 * last `*`, so no pattern from configuration can make matching explode the way a regex could.
 */
export function globMatch(pattern: string, name: string): boolean {
  let p = 0;
  let n = 0;
  let star = -1;
  let mark = 0;
  while (n < name.length) {
    if (p < pattern.length && (pattern[p] === '?' || pattern[p] === name[n])) {
      p++;
      n++;
    } else if (p < pattern.length && pattern[p] === '*') {
      star = p++;
      mark = n;
    } else if (star !== -1) {
      p = star + 1;
      n = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === '*') p++;
  return p === pattern.length;
}

/**
 * The first rule of `policy` matching the instance (all given criteria must match; a rule without
 * criteria matches every instance), or undefined.
 */
export function matchAutoLinkRule(
  policy: readonly AutoLinkRule[],
  instance: { name: string; enterpriseProjectId?: string },
): AutoLinkRule | undefined {
  return policy.find((rule) => {
    if (rule.namePattern !== undefined && !globMatch(rule.namePattern, instance.name)) return false;
    if (rule.enterpriseProjectId !== undefined && rule.enterpriseProjectId !== instance.enterpriseProjectId) {
      return false;
    }
    return true;
  });
}
