/**
 * Wires the link domain to the real cloud clients for one invocation (functions) or one command
 * (CLI): config and credentials in, `LinkDeps` plus the SMN client out. `overrides` is how tests and
 * harnesses change what they must (the emulator's clock, fast client retries, client-account clients
 * kept across invocations like a warm instance keeps them) while everything else stays the product's.
 */
import { type AccountClients, connectAgency } from '../cloud/agency.js';
import { DMS_OPERATIONS } from '../cloud/dms.js';
import { createCloudHttp, type RetryOptions } from '../cloud/http.js';
import { createIamClient } from '../cloud/iam.js';
import { type Bound, bindOperations, type Operation } from '../cloud/operations.js';
import { createSmnClient, type SmnPublisher } from '../cloud/smn.js';
import type {
  CloudService,
  CredentialsProvider,
  DmsClient,
  Logger,
  VpcClient,
  VpcepClient,
} from '../cloud/types.js';
import { VPC_OPERATIONS } from '../cloud/vpc.js';
import { VPCEP_OPERATIONS } from '../cloud/vpcep.js';
import { type Clock, DEFAULT_SETTINGS, type LinkDeps, type LinkSettings } from '../link/deps.js';
import { systemClock } from './clock.js';
import type { KvlConfig } from './config.js';

export type FunctionDeps = LinkDeps & { smn: SmnPublisher };

/**
 * The DMS, VPCEP and VPC operations a function binds (for the owner's account and client accounts
 * alike), e.g. `{ dms: { showInstance }, vpcep: { listEndpoints }, vpc: {} }`. Its bundle carries
 * only these; the types check that they are all its step calls (`LinkDepsFor` in shared/link/deps.ts).
 */
export interface LinkOperations {
  dms: { [K in keyof DmsClient]?: Operation<DmsClient[K]> };
  vpcep: { [K in keyof VpcepClient]?: Operation<VpcepClient[K]> };
  vpc: { [K in keyof VpcClient]?: Operation<VpcClient[K]> };
}

/** The deps of a function that binds the operations `O`. */
export type FunctionDepsWith<O extends LinkOperations> = Omit<
  FunctionDeps,
  'dms' | 'vpcep' | 'vpc' | 'clientAccount'
> &
  BoundClients<O> & {
    dms: Bound<O['dms']>;
    clientAccount?: (agency: { domainId: string; agencyName: string }) => Promise<BoundClients<O>>;
  };

type BoundClients<O extends LinkOperations> = { vpcep: Bound<O['vpcep']>; vpc: Bound<O['vpc']> };

/** Every operation: the deps of the CLI, of tests and of harnesses. */
const ALL_OPERATIONS = { dms: DMS_OPERATIONS, vpcep: VPCEP_OPERATIONS, vpc: VPC_OPERATIONS };

export interface LinkDepsInput {
  config: KvlConfig;
  credentials: CredentialsProvider;
  logger: Logger;
  /** The runtime's clock (kvlHandler passes it); default the system clock. */
  clock?: Clock;
  /**
   * The invocation (functions): a throttled cloud call may wait for its turn as long as the
   * invocation has time left, instead of giving up after a fixed number of refusals.
   */
  context?: { getRemainingTimeInMillis(): number };
}

export interface LinkDepsOverrides {
  /** Replaces the runtime's clock (e.g. the emulator's, whose `sleep` advances emulated time). */
  clock?: Clock;
  /** Per-attempt timeout of a cloud call, ms. */
  timeoutMs?: number;
  retry?: RetryOptions;
  /**
   * Client-account clients by `domainId/agencyName`. Default: a new map per call; a harness passes
   * one map to every invocation to keep them like a warm function instance does (its clients must
   * offer the operations of every function it serves: `createLinkDeps` binds them all).
   */
  accounts?: Map<string, Promise<AccountClients>>;
  settings?: Partial<LinkSettings>;
}

/** Deps offering every cloud operation. */
export function createLinkDeps(input: LinkDepsInput, overrides: LinkDepsOverrides = {}): FunctionDeps {
  return linkDepsWith(ALL_OPERATIONS)(input, overrides);
}

/** A function's `createDeps`: deps whose clients offer only `operations`. */
export function linkDepsWith<const O extends LinkOperations>(
  operations: O,
): (input: LinkDepsInput, overrides?: LinkDepsOverrides) => FunctionDepsWith<O> {
  return (input, overrides = {}) => createDeps(operations, input, overrides);
}

function createDeps<O extends LinkOperations>(
  operations: O,
  input: LinkDepsInput,
  overrides: LinkDepsOverrides,
): FunctionDepsWith<O> {
  const { config, credentials, logger, context } = input;
  const clock = overrides.clock ?? input.clock ?? systemClock;
  const settings: LinkSettings = {
    ...DEFAULT_SETTINGS,
    pollIntervalMs: config.pollIntervalMs,
    firstProbeAfterMs: config.firstProbeAfterMs,
    acceptTimeoutMs: config.acceptTimeoutMs,
    redriveAfterMs: config.redriveAfterMs,
    ...overrides.settings,
  };
  // Under a burst (many links at once) throttling means "later": wait while the invocation has time,
  // keeping the margin the steps keep for publishing. An override replaces the whole policy.
  const retry: RetryOptions | undefined =
    overrides.retry ??
    (context
      ? { throttleBudgetMs: () => context.getRemainingTimeInMillis() - 2 * settings.safetyMarginMs }
      : undefined);
  const transport = {
    ...(overrides.timeoutMs === undefined ? {} : { timeoutMs: overrides.timeoutMs }),
    ...(retry === undefined ? {} : { retry }),
  };
  const http = (service: CloudService) =>
    createCloudHttp({
      service,
      region: config.region,
      projectId: config.projectId,
      credentials,
      env: config.cloudEnv,
      logger: logger.child({ service }),
      ...transport,
    });
  const iam = createIamClient(http('iam'));
  // One set of client-account clients per agency; their credentials are assumed again whenever they
  // near expiry. A failed set-up is forgotten, so the next call retries it.
  const accounts = (overrides.accounts ?? new Map()) as Map<string, Promise<BoundClients<O>>>;
  const clientAccount = (agency: { domainId: string; agencyName: string }) => {
    const key = `${agency.domainId}/${agency.agencyName}`;
    let pending = accounts.get(key);
    if (!pending) {
      pending = connectAgency({
        region: config.region,
        ownerIam: iam,
        domainId: agency.domainId,
        agencyName: agency.agencyName,
        env: config.cloudEnv,
        logger,
        now: () => clock.now(),
        ...transport,
      }).then(({ http: accountHttp, ...account }) => ({
        ...account,
        vpcep: bindOperations(accountHttp('vpcep'), operations.vpcep),
        vpc: bindOperations(accountHttp('vpc'), operations.vpc),
      }));
      pending.catch(() => accounts.delete(key));
      accounts.set(key, pending);
    }
    return pending;
  };
  let ownerDomain: Promise<string | undefined> | undefined;
  const ownerDomainId = () => {
    ownerDomain ??= iam.getProject(config.region).then((p) => p.domainId);
    ownerDomain.catch(() => {
      ownerDomain = undefined;
    });
    return ownerDomain;
  };
  return {
    dms: bindOperations(http('dms'), operations.dms),
    vpcep: bindOperations(http('vpcep'), operations.vpcep),
    vpc: bindOperations(http('vpc'), operations.vpc),
    clientAccount,
    ownerDomainId,
    smn: createSmnClient(http('smn')),
    clock,
    logger,
    // The link settings' defaults are the domain's (DEFAULT_SETTINGS); config only carries overrides.
    settings,
  };
}
