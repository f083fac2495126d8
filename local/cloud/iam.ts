/**
 * The emulator's IAM: project lookup (what the SDKs call to discover a project id), IAM tokens
 * (`POST /v3/auth/tokens`, password identity) and temporary AK/SK with a security token
 * (`POST /v3.0/OS-CREDENTIAL/securitytokens`), which is what the local runtime hands to functions as
 * their agency credentials. Authentication itself (signature / token checks) is done by the server.
 */
import { randomBytes } from 'node:crypto';
import type {
  Account,
  Agency,
  EmuClock,
  EmuRequest,
  EmuResponse,
  IamToken,
  ServiceContext,
  ServiceModule,
  TemporaryCredential,
  World,
} from './types.js';
import { EmuError } from './types.js';

/** Huawei's documented bounds for `duration_seconds` of temporary credentials. */
export const MIN_TEMPORARY_SECONDS = 900;
export const MAX_TEMPORARY_SECONDS = 86_400;
/** IAM tokens are valid for 24 hours. */
export const TOKEN_LIFETIME_MS = 24 * 3_600_000;

const UPPER_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function randomString(alphabet: string, length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const b of bytes) out += alphabet[b % alphabet.length];
  return out;
}

/** ISO-8601 with microseconds, as IAM writes `expires_at` (`2026-11-25T08:30:00.000000Z`). */
function iamTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/**
 * Issues temporary AK/SK + security token for an account (valid for `durationSeconds` of
 * emulated time, like everything else the emulator schedules). Secrets are random, never derived.
 */
export function issueTemporaryCredentials(
  world: World,
  clock: EmuClock,
  account: Pick<Account, 'domainId' | 'projectId'>,
  durationSeconds: number = MIN_TEMPORARY_SECONDS,
): TemporaryCredential {
  const credential: TemporaryCredential = {
    // Real temporary AKs are 20 upper-case alphanumerics, like permanent ones.
    ak: `KVLTMP${randomString(UPPER_ALNUM, 14)}`,
    sk: randomString(ALNUM, 40),
    securityToken: `gQpjbi1ub3J0aC00${randomBytes(96).toString('base64url')}`,
    domainId: account.domainId,
    projectId: account.projectId,
    expiresAt: clock.now() + durationSeconds * 1000,
  };
  // Expired credentials are dropped on each issue, so a long-running emulator does not grow forever.
  const now = clock.now();
  world.temporaryCredentials = world.temporaryCredentials.filter((c) => c.expiresAt > now);
  world.temporaryCredentials.push(credential);
  return credential;
}

/** Issues an IAM token for an account (what `X-Auth-Token` / `context.getToken()` carry). */
export function issueToken(world: World, clock: EmuClock, account: Account): IamToken {
  const now = clock.now();
  const token: IamToken = {
    token: `MIIemu${randomBytes(120).toString('base64url')}`,
    domainId: account.domainId,
    projectId: account.projectId,
    userName: account.domainName,
    expiresAt: now + TOKEN_LIFETIME_MS,
  };
  world.tokens = (world.tokens ?? []).filter((t) => t.expiresAt > now);
  world.tokens.push(token);
  return token;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function field(value: unknown, ...path: string[]): unknown {
  let current = value;
  for (const key of path) {
    if (!isRecord(current)) return undefined;
    current = current[key];
  }
  return current;
}

const PATHS = {
  projects: '/v3/projects',
  securityTokens: '/v3.0/OS-CREDENTIAL/securitytokens',
  tokens: '/v3/auth/tokens',
} as const;

function stripTrailingSlash(path: string): string {
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}

function listProjects(req: EmuRequest, ctx: ServiceContext): EmuResponse {
  const name = req.query.get('name');
  const projects = ctx.world.accounts
    .filter((a) => a.domainId === req.caller.domainId)
    // One project per account, named after the emulated region (as the SDK's project discovery expects).
    .map((a) => ({
      id: a.projectId,
      name: ctx.world.region,
      domain_id: a.domainId,
      parent_id: a.domainId,
      enabled: true,
      is_domain: false,
      description: '',
      links: { self: `/v3/projects/${a.projectId}` },
    }))
    .filter((p) => name === null || p.name === name);
  return {
    status: 200,
    body: { projects, links: { self: '/v3/projects', previous: null, next: null } },
  };
}

/**
 * `token` issues credentials of the caller's own account; `assume_role` (IAM v3
 * CreateTemporaryAccessKeyByAgency: `assume_role.{agency_name, domain_id | domain_name,
 * duration_seconds}` [GSDK iam/v3 model_identity_assumerole.go, iam_meta.go]) issues credentials of
 * another account's agency, limited to what the agency's policies allow. The caller needs
 * `iam:agencies:assume` [GSDK iam/v3 model_agency_policy_statement.go] and the agency must trust
 * the caller's account.
 */
function createSecurityToken(req: EmuRequest, ctx: ServiceContext): EmuResponse {
  const methods = field(req.body, 'auth', 'identity', 'methods');
  if (!Array.isArray(methods) || !methods.every((m) => typeof m === 'string') || methods.length === 0) {
    throw new EmuError(400, 'IAM.0010', 'The request body is invalid: auth.identity.methods is required.');
  }
  const method = methods[0] as string;
  if (method !== 'token' && method !== 'assume_role') {
    throw new EmuError(400, 'IAM.0010', `The request body is invalid: unsupported method ${method}.`);
  }
  const rawDuration = field(req.body, 'auth', 'identity', method, 'duration_seconds');
  const duration = rawDuration === undefined ? MIN_TEMPORARY_SECONDS : Number(rawDuration);
  if (!Number.isInteger(duration) || duration < MIN_TEMPORARY_SECONDS || duration > MAX_TEMPORARY_SECONDS) {
    throw new EmuError(
      400,
      'IAM.0010',
      `The request body is invalid: duration_seconds must be between ${MIN_TEMPORARY_SECONDS} and ${MAX_TEMPORARY_SECONDS}.`,
    );
  }
  const credential =
    method === 'assume_role'
      ? assumeRole(req, ctx, duration)
      : issueTemporaryCredentials(ctx.world, ctx.clock, callerAccount(req, ctx), duration);
  return {
    status: 201,
    body: {
      credential: {
        access: credential.ak,
        secret: credential.sk,
        securitytoken: credential.securityToken,
        expires_at: iamTime(credential.expiresAt),
      },
    },
  };
}

function callerAccount(req: EmuRequest, ctx: ServiceContext): Account {
  const account = ctx.world.accounts.find((a) => a.domainId === req.caller.domainId);
  if (!account) throw new EmuError(401, 'IAM.0001', 'The caller has no account.');
  return account;
}

function assumeRole(req: EmuRequest, ctx: ServiceContext, duration: number): TemporaryCredential {
  callerAccount(req, ctx);
  const role = field(req.body, 'auth', 'identity', 'assume_role');
  const agencyName = field(role, 'agency_name');
  const domainId = field(role, 'domain_id');
  const domainName = field(role, 'domain_name');
  if (typeof agencyName !== 'string' || agencyName === '') {
    throw new EmuError(400, 'IAM.0010', 'The request body is invalid: assume_role.agency_name is required.');
  }
  if (typeof domainId !== 'string' && typeof domainName !== 'string') {
    throw new EmuError(
      400,
      'IAM.0010',
      'The request body is invalid: assume_role.domain_id or assume_role.domain_name is required.',
    );
  }
  if (!actionAllowed(req.caller.allowedActions, 'iam:agencies:assume')) {
    throw new EmuError(403, 'IAM.0002', "Policy doesn't allow iam:agencies:assume to be performed.");
  }
  const account = ctx.world.accounts.find((a) =>
    typeof domainId === 'string' ? a.domainId === domainId : a.domainName === domainName,
  );
  const agency = (ctx.world.agencies ?? []).find(
    (a) => a.domainId === account?.domainId && a.name === agencyName,
  );
  if (!account || !agency) {
    throw new EmuError(
      404,
      'IAM.0003',
      `The agency ${agencyName} of domain ${String(domainId ?? domainName)} does not exist.`,
    );
  }
  if (agency.trustDomainId !== req.caller.domainId) {
    throw new EmuError(
      403,
      'IAM.0002',
      `The agency ${agencyName} is not delegated to the caller's account ${req.caller.domainId}.`,
    );
  }
  const credential = issueTemporaryCredentials(ctx.world, ctx.clock, account, duration);
  credential.agencyName = agency.name;
  credential.allowedActions = [...agency.actions];
  return credential;
}

/* ------------------------------------------------------------------ permissions of agencies */

/**
 * The IAM action of each API the emulator serves, as the services' permission tables name them
 * (the same table test/helpers/iam-actions.ts cites). Only checked for agency credentials.
 */
const ACTIONS: ReadonlyArray<{ method: string; path: RegExp; action: string }> = [
  { method: 'GET', path: /^\/v3\/projects\/?$/, action: 'iam:projects:list' },
  { method: 'POST', path: /^\/v3\.0\/OS-CREDENTIAL\/securitytokens\/?$/, action: 'iam:agencies:assume' },
  { method: 'POST', path: /^\/v1\/[^/]+\/vpc-endpoints$/, action: 'vpcep:endpoints:create' },
  { method: 'GET', path: /^\/v1\/[^/]+\/vpc-endpoints$/, action: 'vpcep:endpoints:list' },
  { method: 'GET', path: /^\/v1\/[^/]+\/vpc-endpoints\/[^/]+$/, action: 'vpcep:endpoints:get' },
  { method: 'DELETE', path: /^\/v1\/[^/]+\/vpc-endpoints\/[^/]+$/, action: 'vpcep:endpoints:delete' },
  { method: 'POST', path: /^\/v1\/[^/]+\/vpc-endpoint-services$/, action: 'vpcep:epservices:create' },
  { method: 'GET', path: /^\/v1\/[^/]+\/vpc-endpoint-services$/, action: 'vpcep:epservices:list' },
  { method: 'GET', path: /^\/v1\/[^/]+\/vpc-endpoint-services\/[^/]+$/, action: 'vpcep:epservices:get' },
  {
    method: 'DELETE',
    path: /^\/v1\/[^/]+\/vpc-endpoint-services\/[^/]+$/,
    action: 'vpcep:epservices:delete',
  },
  {
    method: 'GET',
    path: /^\/v1\/[^/]+\/vpc-endpoint-services\/[^/]+\/permissions$/,
    action: 'vpcep:permissions:list',
  },
  {
    method: 'POST',
    path: /^\/v1\/[^/]+\/vpc-endpoint-services\/[^/]+\/permissions\/action$/,
    action: 'vpcep:permissions:update',
  },
  {
    method: 'GET',
    path: /^\/v1\/[^/]+\/vpc-endpoint-services\/[^/]+\/connections$/,
    action: 'vpcep:connections:list',
  },
  {
    method: 'POST',
    path: /^\/v1\/[^/]+\/(endpoint_service|endpoint)\/[^/]+\/tags\/action$/,
    action: 'vpcep:tags:update',
  },
  {
    method: 'POST',
    path: /^\/v1\/[^/]+\/(endpoint_service|endpoint)\/resource_instances\/action$/,
    action: 'vpcep:resource:list',
  },
  { method: 'GET', path: /^\/v1\/[^/]+\/quotas$/, action: 'vpcep:quotas:get' },
  { method: 'GET', path: /^\/v1\/[^/]+\/subnets\/[^/]+$/, action: 'vpc:subnets:get' },
  { method: 'GET', path: /^\/v1\/[^/]+\/subnets$/, action: 'vpc:subnets:get' },
  { method: 'GET', path: /^\/v1\/[^/]+\/vpcs(\/[^/]+)?$/, action: 'vpc:vpcs:get' },
];

/** The IAM action an API call needs, when the emulator knows it. */
export function iamActionFor(method: string, path: string): string | undefined {
  return ACTIONS.find((a) => a.method === method && a.path.test(path))?.action;
}

/** Whether an action is allowed by a list of patterns (`*` matches within one segment). */
export function actionAllowed(allowed: readonly string[] | undefined, action: string): boolean {
  if (allowed === undefined) return true;
  const parts = action.split(':');
  return allowed.some((pattern) => {
    const wanted = pattern.split(':');
    return (
      wanted.length === parts.length &&
      wanted.every((w, i) =>
        new RegExp(`^${w.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*')}$`, 'i').test(
          parts[i] ?? '',
        ),
      )
    );
  });
}

/**
 * The action an agency-limited caller may not perform on this call, if any (an unknown API is
 * refused too: an agency holds only what its policies name).
 */
export function deniedAction(
  caller: { allowedActions?: string[] },
  method: string,
  path: string,
): string | undefined {
  if (caller.allowedActions === undefined) return undefined;
  const action = iamActionFor(method, path) ?? `${method} ${path}`;
  return actionAllowed(caller.allowedActions, action) ? undefined : action;
}

/** Creates (or replaces) an agency of `owner` delegated to `trustDomainId`. */
export function putAgency(
  world: World,
  newId: () => string,
  agency: Omit<Agency, 'id'> & { id?: string },
): Agency {
  world.agencies = (world.agencies ?? []).filter(
    (a) => !(a.domainId === agency.domainId && a.name === agency.name),
  );
  const created: Agency = { ...agency, id: agency.id ?? newId().replaceAll('-', '') };
  world.agencies.push(created);
  return created;
}

/**
 * Password login. The emulator's accounts have no console passwords, so the password is the
 * account's SK; user and domain names are the account's domain name.
 */
function createToken(req: EmuRequest, ctx: ServiceContext): EmuResponse {
  const methods = field(req.body, 'auth', 'identity', 'methods');
  if (!Array.isArray(methods) || !methods.includes('password')) {
    throw new EmuError(
      400,
      'IAM.0010',
      'The request body is invalid: only the password method is supported.',
    );
  }
  const user = field(req.body, 'auth', 'identity', 'password', 'user');
  const userName = field(user, 'name');
  const password = field(user, 'password');
  const domainName = field(user, 'domain', 'name') ?? field(user, 'domain', 'id');
  if (typeof userName !== 'string' || typeof password !== 'string') {
    throw new EmuError(400, 'IAM.0010', 'The request body is invalid: user name and password are required.');
  }
  const account = ctx.world.accounts.find(
    (a) =>
      (a.domainName === domainName || a.domainId === domainName || domainName === undefined) &&
      a.domainName === userName,
  );
  // Compare without revealing which part was wrong, as IAM does.
  if (!account || account.sk !== password) {
    throw new EmuError(401, 'IAM.0004', 'The username or password is wrong.');
  }
  const scopeProject = field(req.body, 'auth', 'scope', 'project');
  const scopeName = field(scopeProject, 'name');
  const scopeId = field(scopeProject, 'id');
  if (
    (typeof scopeName === 'string' && scopeName !== ctx.world.region) ||
    (typeof scopeId === 'string' && scopeId !== account.projectId)
  ) {
    throw new EmuError(404, 'IAM.0003', 'The project in the scope does not exist.');
  }
  const token = issueToken(ctx.world, ctx.clock, account);
  const domain = { id: account.domainId, name: account.domainName };
  return {
    status: 201,
    headers: { 'X-Subject-Token': token.token },
    body: {
      token: {
        methods: ['password'],
        issued_at: iamTime(ctx.clock.now()),
        expires_at: iamTime(token.expiresAt),
        user: { id: account.domainId, name: account.domainName, domain, password_expires_at: '' },
        project: { id: account.projectId, name: ctx.world.region, domain },
        roles: [{ id: '0', name: 'te_admin' }],
        catalog: [],
      },
    },
  };
}

export function createIamModule(): ServiceModule {
  return {
    name: 'iam',
    matches(_method: string, path: string): boolean {
      const p = stripTrailingSlash(path);
      return p === PATHS.projects || p === PATHS.securityTokens || p === PATHS.tokens;
    },
    allowsAnonymous(method: string, path: string): boolean {
      return method === 'POST' && stripTrailingSlash(path) === PATHS.tokens;
    },
    // IAM paths carry no project id.
    projectIdInPath: () => undefined,
    invalidBodyCode: 'IAM.0010',
    handle(req: EmuRequest, ctx: ServiceContext): EmuResponse {
      const p = stripTrailingSlash(req.path);
      if (p === PATHS.projects && req.method === 'GET') return listProjects(req, ctx);
      if (p === PATHS.securityTokens && req.method === 'POST') return createSecurityToken(req, ctx);
      if (p === PATHS.tokens && req.method === 'POST') return createToken(req, ctx);
      throw new EmuError(405, 'IAM.0002', `Method ${req.method} is not allowed on ${p}.`);
    },
    errorBody(code: string, message: string, requestId: string): unknown {
      return { error_code: code, error_msg: message, request_id: requestId };
    },
  };
}

export const iamModule: ServiceModule = createIamModule();
