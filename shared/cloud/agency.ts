/**
 * Acting in another account through its agency: a credentials provider that assumes the agency and
 * keeps the temporary credentials only for their lifetime, and the VPCEP/VPC clients of that account
 * (its project discovered with those credentials, as the SDKs do).
 */
import { AuthError } from './errors.js';
import { createCloudHttp, type RetryOptions } from './http.js';
import { createIamClient } from './iam.js';
import type {
  CloudHttp,
  CloudService,
  CredentialsProvider,
  IamClient,
  Logger,
  TemporaryCredentials,
  VpcClient,
  VpcepClient,
} from './types.js';
import { createVpcClient } from './vpc.js';
import { createVpcepClient } from './vpcep.js';

/** Renew this long before `expires_at`: a request signed just before expiry may arrive after it. */
export const AGENCY_REFRESH_BEFORE_MS = 5 * 60_000;

export interface AgencyCredentialsProvider extends CredentialsProvider {
  /** Forgets the cached credentials (the cloud refused them); true when there were any. */
  invalidate(): boolean;
}

export interface AgencyCredentialsOptions {
  /** IAM client of the account the agency is delegated to (the caller). */
  iam: Pick<IamClient, 'assumeAgency'>;
  domainId: string;
  agencyName: string;
  durationSeconds?: number;
  /** The clock `expires_at` is compared with (default Date.now). */
  now?: () => number;
  refreshBeforeMs?: number;
}

/**
 * Assumes the agency on first use and again when the credentials are about to expire (or were
 * refused). Concurrent callers share one assume call. Nothing secret leaves this closure but the
 * credentials themselves, to the signer.
 */
export function fromAgency(options: AgencyCredentialsOptions): AgencyCredentialsProvider {
  const now = options.now ?? Date.now;
  const margin = options.refreshBeforeMs ?? AGENCY_REFRESH_BEFORE_MS;
  let cached: TemporaryCredentials | undefined;
  let inFlight: Promise<TemporaryCredentials> | undefined;
  const provider = async () => {
    if (cached && now() < cached.expiresAt - margin) return cached;
    inFlight ??= options.iam
      .assumeAgency({
        domainId: options.domainId,
        agencyName: options.agencyName,
        durationSeconds: options.durationSeconds,
      })
      .then((credentials) => {
        cached = Object.freeze({ ...credentials });
        return cached;
      })
      .finally(() => {
        inFlight = undefined;
      });
    const fresh = await inFlight;
    return { ak: fresh.ak, sk: fresh.sk, securityToken: fresh.securityToken };
  };
  return Object.assign(provider, {
    invalidate: () => {
      const had = cached !== undefined;
      cached = undefined;
      return had;
    },
  });
}

/** The clients of one client account, acting through its agency. */
export interface AccountClients {
  domainId: string;
  agencyName: string;
  projectId: string;
  vpcep: VpcepClient;
  vpc: VpcClient;
}

export interface AgencyClientsOptions {
  region: string;
  /** IAM client of the owner's account (the one the agency is delegated to). */
  ownerIam: Pick<IamClient, 'assumeAgency'>;
  domainId: string;
  agencyName: string;
  env?: Record<string, string | undefined>;
  logger?: Logger;
  now?: () => number;
  timeoutMs?: number;
  retry?: RetryOptions;
}

/** The account that owns an agency, reached through it: its project and a signed CloudHttp per service. */
export interface AgencyAccount {
  domainId: string;
  agencyName: string;
  projectId: string;
  http(service: 'vpcep' | 'vpc'): CloudHttp;
}

/**
 * Connects to the account that owns the agency, in its project of `region`. A request refused as
 * unauthenticated (credentials expired earlier than this clock thought, e.g. after a long pause) is
 * sent once more with freshly assumed credentials; a 401 is answered before anything is done, so
 * repeating it is safe.
 */
export async function connectAgency(options: AgencyClientsOptions): Promise<AgencyAccount> {
  const credentials = fromAgency({
    iam: options.ownerIam,
    domainId: options.domainId,
    agencyName: options.agencyName,
    now: options.now,
  });
  const http = (service: CloudService, projectId: string): CloudHttp => {
    const inner = createCloudHttp({
      service,
      region: options.region,
      projectId,
      credentials,
      env: options.env,
      logger: options.logger?.child({ service, account: options.domainId }),
      timeoutMs: options.timeoutMs,
      retry: options.retry,
    });
    return {
      service: inner.service,
      projectId: inner.projectId,
      baseUrl: inner.baseUrl,
      async send(request) {
        try {
          return await inner.send(request);
        } catch (error) {
          if (error instanceof AuthError && error.httpStatus === 401 && credentials.invalidate()) {
            return inner.send(request);
          }
          throw error;
        }
      },
    };
  };
  // IAM paths carry no project: an empty one sends no X-Project-Id.
  const projectId = await createIamClient(http('iam', '')).getProjectId(options.region);
  return {
    domainId: options.domainId,
    agencyName: options.agencyName,
    projectId,
    http: (service) => http(service, projectId),
  };
}

/** The VPCEP and VPC clients (every operation) of the account that owns the agency. */
export async function createAgencyClients(options: AgencyClientsOptions): Promise<AccountClients> {
  const { http, ...account } = await connectAgency(options);
  return { ...account, vpcep: createVpcepClient(http('vpcep')), vpc: createVpcClient(http('vpc')) };
}
