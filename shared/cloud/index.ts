/**
 * The public surface of shared/cloud: one factory that wires a signed HTTP client per service
 * (base URL from the env overrides or the region, see endpoints.ts) into the typed clients, plus the
 * types and errors callers branch on.
 */
import { createDmsClient } from './dms.js';
import { createCloudHttp, type RetryOptions } from './http.js';
import { createIamClient } from './iam.js';
import { createSmnClient, type SmnPublisher } from './smn.js';
import type {
  CloudHttp,
  CloudService,
  CredentialsProvider,
  DmsClient,
  IamClient,
  Logger,
  VpcClient,
  VpcepClient,
} from './types.js';
import { createVpcClient } from './vpc.js';
import { createVpcepClient } from './vpcep.js';

export interface CloudClientsOptions {
  region: string;
  projectId: string;
  credentials: CredentialsProvider;
  /** Endpoint overrides (`HUAWEICLOUD_ENDPOINT`, `HUAWEICLOUD_ENDPOINT_<SERVICE>`); default process.env. */
  env?: Record<string, string | undefined>;
  logger?: Logger;
  /** Per-attempt timeout in ms. */
  timeoutMs?: number;
  retry?: RetryOptions;
}

export interface CloudClients {
  dms: DmsClient;
  vpcep: VpcepClient;
  vpc: VpcClient;
  smn: SmnPublisher;
  iam: IamClient;
}

export function createCloudClients(options: CloudClientsOptions): CloudClients {
  const http = (service: CloudService): CloudHttp =>
    createCloudHttp({
      service,
      region: options.region,
      projectId: options.projectId,
      credentials: options.credentials,
      env: options.env,
      logger: options.logger?.child({ service }),
      timeoutMs: options.timeoutMs,
      retry: options.retry,
    });
  return {
    dms: createDmsClient(http('dms')),
    vpcep: createVpcepClient(http('vpcep')),
    vpc: createVpcClient(http('vpc')),
    smn: createSmnClient(http('smn')),
    iam: createIamClient(http('iam')),
  };
}

export { fromEnv, fromFunctionGraphContext, projectIdFromEnv, staticCredentials } from './credentials.js';
export { CrossVpcInfoError, createDmsClient } from './dms.js';
export { resolveBaseUrl } from './endpoints.js';
export {
  AuthError,
  CloudApiError,
  CloudNetworkError,
  ConflictError,
  CrossVpcModifyError,
  EndpointBusyError,
  InstanceBusyError,
  InvalidSubnetError,
  isRetryable,
  NotFoundError,
  NotWhitelistedError,
  PortAlreadyServedError,
  QuotaExceededError,
  ServiceInUseError,
  ServiceNotReadyError,
  ThrottledError,
  VpcNotFoundError,
} from './errors.js';
export { type CloudHttpOptions, createCloudHttp, type RetryOptions } from './http.js';
export { createIamClient, ProjectNotFoundError } from './iam.js';
export { createSmnClient, InvalidTopicUrnError, type SmnPublisher, type SmnPublishInput } from './smn.js';
export type * from './types.js';
export { InvalidIdError, PaginationError, UnexpectedResponseError } from './validate.js';
export { createVpcClient } from './vpc.js';
export { createVpcepClient, type VpcepTagQuery } from './vpcep.js';
