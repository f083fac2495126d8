/**
 * The contract between the domain (shared/link) and the Huawei Cloud clients (shared/cloud).
 *
 * The domain only sees these small, typed interfaces and models; the clients turn them into signed
 * HTTP calls and validate every response with zod. Models use camelCase and carry only what the
 * product needs; wire names (snake_case) stay inside the client files.
 */

/** Which API a call goes to; selects the base URL and the error envelope. */
export type CloudService = 'dms' | 'vpcep' | 'vpc' | 'smn' | 'iam' | 'functiongraph';

/** AK/SK credentials, permanent or temporary (then `securityToken` is set). */
export interface Credentials {
  ak: string;
  sk: string;
  securityToken?: string;
}

/** Resolves credentials for each request, so temporary ones can be refreshed. */
export type CredentialsProvider = () => Promise<Credentials>;

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';

/** One API call. `path` may contain `{project_id}`, replaced by the configured project id. */
export interface CloudRequest {
  method: HttpMethod;
  path: string;
  /** Values are sent in this order; arrays repeat the key. Undefined values are dropped. */
  query?: Record<string, string | number | boolean | ReadonlyArray<string | number> | undefined>;
  /** Serialized once with JSON.stringify; those exact bytes are signed and sent. */
  body?: unknown;
  /** Extra headers (never secrets in clear text beyond what the signer adds). */
  headers?: Record<string, string>;
  /** Per-call timeout override in ms. */
  timeoutMs?: number;
  /**
   * False for a create the cloud would carry out twice when sent twice (a VPCEP endpoint: the API
   * takes no client token and accepts a second endpoint on a service). Once such a request may have
   * reached the cloud — no answer, a dropped connection, a 5xx — it is not sent again: the error goes
   * to the caller, which looks for what the request created before trying again. Refusals that did
   * nothing (throttling, a connection that was never made) are still retried. Default true.
   */
  idempotent?: boolean;
}

export interface CloudResponse {
  status: number;
  /** Parsed JSON body, or undefined for an empty body (204). */
  body: unknown;
  requestId?: string;
}

/**
 * A signed, retrying HTTP client for one service. Any non-2xx answer is thrown as a
 * `CloudApiError` (shared/cloud/errors.ts) after retries are exhausted.
 */
export interface CloudHttp {
  readonly service: CloudService;
  readonly projectId: string;
  readonly baseUrl: string;
  send(request: CloudRequest): Promise<CloudResponse>;
}

export interface Tag {
  key: string;
  value: string;
}

/* ------------------------------------------------------------------ DMS for Kafka */

export type KafkaInstanceStatus =
  | 'CREATING'
  | 'RUNNING'
  | 'RESTARTING'
  | 'DELETING'
  | 'ERROR'
  | 'CREATEFAILED'
  | 'FREEZING'
  | 'FROZEN'
  | 'EXTENDING'
  | 'SHRINKING'
  | 'EXTENDEDFAILED'
  | 'CONFIGURING'
  | 'ROLLBACK'
  | 'ROLLBACKFAILED'
  | 'VOLUMETYPECHANGING'
  // Unknown statuses from a newer API are kept as strings rather than rejected.
  | (string & {});

/** One broker's cross-VPC listener, parsed from the `cross_vpc_info` JSON string. */
export interface KafkaListener {
  listenerIp: string;
  advertisedIp: string;
  port: number;
  portId: string;
}

export type KafkaSecurityProtocol = 'PLAINTEXT' | 'SASL_SSL' | 'SASL_PLAINTEXT' | (string & {});

export interface KafkaInstance {
  instanceId: string;
  name: string;
  status: KafkaInstanceStatus;
  vpcId: string;
  subnetId: string;
  securityGroupId: string;
  enterpriseProjectId?: string;
  brokerNum?: number;
  /** Listeners sorted by listener IP (numeric order for IPv4); empty when `cross_vpc_info` is "". */
  listeners: KafkaListener[];
  /** Cross-VPC security protocol: PLAINTEXT when SASL is off. */
  securityProtocol: KafkaSecurityProtocol;
  saslMechanisms: string[];
  tags: Tag[];
}

export interface CrossVpcModifyResult {
  success: boolean;
  results: Array<{ ip: string; advertisedIp: string; success: boolean }>;
}

export interface ListInstancesFilter {
  name?: string;
  status?: string;
  enterpriseProjectId?: string;
}

export interface DmsClient {
  /** Throws `NotFoundError` for an unknown instance. */
  showInstance(instanceId: string): Promise<KafkaInstance>;
  /** Every Kafka instance of the project (all pages). */
  listInstances(filter?: ListInstancesFilter): Promise<KafkaInstance[]>;
  /**
   * Sends the full advertised map. Throws `CrossVpcModifyError` naming the failed listeners when
   * `success` is false or any `results[].success` is false.
   */
  modifyCrossVpc(instanceId: string, advertised: Record<string, string>): Promise<CrossVpcModifyResult>;
  createInstanceTags(instanceId: string, tags: Tag[]): Promise<void>;
  deleteInstanceTags(
    instanceId: string,
    tags: Array<Pick<Tag, 'key'> & Partial<Pick<Tag, 'value'>>>,
  ): Promise<void>;
}

/* ------------------------------------------------------------------ VPC Endpoint */

export type EndpointServiceStatus = 'creating' | 'available' | 'failed' | 'deleting' | (string & {});
export type EndpointStatus =
  | 'creating'
  | 'pendingAcceptance'
  | 'accepted'
  | 'rejected'
  | 'failed'
  | 'deleting'
  | (string & {});

export interface PortMapping {
  clientPort: number;
  serverPort: number;
  protocol: 'TCP' | (string & {});
}

export interface CloudErrorDetail {
  code: string;
  message: string;
}

export interface EndpointService {
  id: string;
  serviceName: string;
  portId: string;
  vpcId: string;
  status: EndpointServiceStatus;
  serverType: string;
  serviceType: string;
  approvalEnabled: boolean;
  ports: PortMapping[];
  tags: Tag[];
  connectionCount?: number;
  createdAt?: string;
  errors?: CloudErrorDetail[];
}

export interface CreateEndpointServiceInput {
  portId: string;
  vpcId: string;
  serverType: 'VM' | 'LB';
  ports: PortMapping[];
  serviceType?: 'interface';
  approvalEnabled: boolean;
  /** ≤16 chars of [A-Za-z0-9_-]. */
  serviceName?: string;
  tcpProxy?: 'close' | 'toa_open' | 'proxy_open' | 'open' | 'proxy_vni';
  description?: string;
  tags?: Tag[];
}

export interface Endpoint {
  id: string;
  status: EndpointStatus;
  /** Private IP in the client subnet; absent until the endpoint is accepted. */
  ip?: string;
  endpointServiceId: string;
  endpointServiceName?: string;
  vpcId: string;
  subnetId?: string;
  markerId?: number;
  tags: Tag[];
  createdAt?: string;
  errors?: CloudErrorDetail[];
}

export interface CreateEndpointInput {
  endpointServiceId: string;
  vpcId: string;
  subnetId: string;
  portIp?: string;
  enableDns?: boolean;
  description?: string;
  tags?: Tag[];
}

export interface ListEndpointsFilter {
  vpcId?: string;
  endpointServiceName?: string;
  id?: string;
}

export interface ListEndpointsOptions {
  /** Stop paging once this holds for the endpoints listed so far (newest first). */
  until?: (listed: readonly Endpoint[]) => boolean;
}

export interface ListEndpointServicesFilter {
  endpointServiceName?: string;
  id?: string;
  status?: string;
}

export interface ServiceConnection {
  id: string;
  markerId?: number;
  status: EndpointStatus;
  domainId?: string;
  errors?: CloudErrorDetail[];
}

export type VpcepResourceType = 'endpoint_service' | 'endpoint';

export interface TagFilter {
  key: string;
  /** OR within values; an empty list matches any value of the key. */
  values: string[];
}

export interface TagQuery {
  /** AND across keys. */
  tags?: TagFilter[];
  tagsAny?: TagFilter[];
  notTags?: TagFilter[];
  notTagsAny?: TagFilter[];
}

export interface TaggedResource {
  resourceId: string;
  resourceName?: string;
  tags: Tag[];
}

export interface Quota {
  type: 'endpoint_service' | 'endpoint' | (string & {});
  used: number;
  quota: number;
}

export interface VpcepClient {
  createEndpointService(input: CreateEndpointServiceInput): Promise<EndpointService>;
  /** Throws `NotFoundError` once the service is gone. */
  getEndpointService(serviceId: string): Promise<EndpointService>;
  /** All pages. */
  listEndpointServices(filter?: ListEndpointServicesFilter): Promise<EndpointService[]>;
  deleteEndpointService(serviceId: string): Promise<void>;
  /** Permissions like `iam:domain::<domain id>`. */
  addServicePermissions(serviceId: string, permissions: string[]): Promise<void>;
  /** All pages. */
  listServicePermissions(serviceId: string): Promise<string[]>;
  /** All pages. */
  listServiceConnections(serviceId: string): Promise<ServiceConnection[]>;
  createEndpoint(input: CreateEndpointInput): Promise<Endpoint>;
  /** Throws `NotFoundError` once the endpoint is gone. */
  getEndpoint(endpointId: string): Promise<Endpoint>;
  /**
   * All pages; with `until`, newest first (`sort_key=create_at`, `sort_dir=desc`) and no further page
   * once `until` holds for the endpoints listed so far.
   */
  listEndpoints(filter?: ListEndpointsFilter, options?: ListEndpointsOptions): Promise<Endpoint[]>;
  deleteEndpoint(endpointId: string): Promise<void>;
  createResourceTags(type: VpcepResourceType, resourceId: string, tags: Tag[]): Promise<void>;
  /** `action: filter`, all pages. */
  queryResourcesByTags(type: VpcepResourceType, query: TagQuery): Promise<TaggedResource[]>;
  getQuotas(type?: 'endpoint_service' | 'endpoint'): Promise<Quota[]>;
}

/* ------------------------------------------------------------------ VPC */

export interface SecurityGroupRule {
  id: string;
  securityGroupId: string;
  direction: 'ingress' | 'egress' | (string & {});
  ethertype?: string;
  protocol?: string | null;
  multiport?: string | null;
  remoteIpPrefix?: string | null;
  action?: string;
  priority?: number;
  description?: string;
}

export interface CreateSecurityGroupRuleInput {
  securityGroupId: string;
  direction: 'ingress' | 'egress';
  ethertype?: 'IPv4' | 'IPv6';
  protocol: string;
  multiport: string;
  remoteIpPrefix: string;
  action?: 'allow' | 'deny';
  priority?: number;
  description?: string;
}

export interface ListSecurityGroupRulesFilter {
  /** Omit to list the rules of every security group of the project (reconcile does). */
  securityGroupId?: string;
  direction?: 'ingress' | 'egress';
  protocol?: string;
  remoteIpPrefix?: string;
}

export interface Subnet {
  id: string;
  vpcId: string;
  cidr: string;
  name?: string;
  status?: string;
}

export interface NetworkAcl {
  id: string;
  name?: string;
  subnetIds: string[];
  ingressRules: Array<{ id: string; name?: string; description?: string }>;
}

export interface NetworkAclRuleInput {
  action: 'allow' | 'deny';
  protocol: 'tcp' | 'udp' | 'icmp' | 'any';
  ipVersion: 4 | 6;
  sourceIpAddress?: string;
  destinationPort?: string;
  name?: string;
  description?: string;
}

export interface VpcClient {
  /**
   * Creates a v3 rule. A 409 `VPC.9902` (already exists) is not an error: the existing rule id is
   * parsed from the message and returned with `created: false`.
   */
  createSecurityGroupRule(input: CreateSecurityGroupRuleInput): Promise<{ ruleId: string; created: boolean }>;
  /** All pages (marker paging). */
  listSecurityGroupRules(filter: ListSecurityGroupRulesFilter): Promise<SecurityGroupRule[]>;
  /** A 404 (already gone) is not an error. */
  deleteSecurityGroupRule(ruleId: string): Promise<void>;
  /** Throws `NotFoundError` for an unknown subnet. */
  getSubnet(subnetId: string): Promise<Subnet>;
  /** All pages. */
  listNetworkAcls(): Promise<NetworkAcl[]>;
  /** Inserts ingress rules; returns the ids of the inserted rules. */
  insertNetworkAclRules(aclId: string, rules: NetworkAclRuleInput[]): Promise<string[]>;
  removeNetworkAclRules(aclId: string, ruleIds: string[]): Promise<void>;
}

/* ------------------------------------------------------------------ SMN, IAM */

export interface SmnClient {
  publish(topicUrn: string, message: { subject?: string; message: string }): Promise<{ messageId: string }>;
}

export interface IamClient {
  /** Project id of a region (IAM `GET /v3/projects?name=`). */
  getProjectId(regionName: string): Promise<string>;
  /** The same project with the account (domain) it belongs to. */
  getProject(regionName: string): Promise<{ id: string; domainId?: string }>;
  /** Temporary credentials of another account's agency delegated to the caller's account. */
  assumeAgency(input: AssumeAgencyInput): Promise<TemporaryCredentials>;
}

export interface AssumeAgencyInput {
  /** The account (domain) id that owns the agency. */
  domainId: string;
  agencyName: string;
  /** 900–86400 (clamped); default 900. */
  durationSeconds?: number;
}

export interface TemporaryCredentials extends Credentials {
  securityToken: string;
  /** Epoch ms at which the cloud stops accepting them. */
  expiresAt: number;
}

/* ------------------------------------------------------------------ logging */

/** Structured logger used everywhere; implementations redact secrets (shared/runtime/logger.ts). */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** A logger that adds `fields` to every line. */
  child(fields: Record<string, unknown>): Logger;
}
