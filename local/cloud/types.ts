/**
 * Contracts inside the emulator (local/cloud): the world it keeps, the clock that drives every
 * state machine, and the shape of one service module. The server (server.ts) owns HTTP, auth,
 * faults, throttling and the request log; each service module (dms.ts, vpcep.ts, vpc.ts, smn.ts,
 * iam.ts) owns its paths, bodies, error codes and state machines, and nothing else.
 */

/* ------------------------------------------------------------------ clock */

/**
 * Emulated time. `now()` = start + real elapsed × speed + manual advances. Speed 0 freezes time
 * (tests then move it with `advance`). Timers fire when emulated time passes their due time,
 * whether it passed by real time or by `advance`.
 */
export interface EmuClock {
  now(): number;
  speed(): number;
  setSpeed(speed: number): void;
  /** Moves time forward and fires every timer that became due, in due order. */
  advance(ms: number): void;
  /** Runs `fn` once at emulated time `at` (ms). Returns a cancel function. */
  at(at: number, fn: () => void): () => void;
  /** Runs `fn` every `periodMs` of emulated time. Returns a cancel function. */
  every(periodMs: number, fn: () => void): () => void;
  /** Stops the real-time driver. */
  stop(): void;
}

/* ------------------------------------------------------------------ world */

/** A state machine step: at emulated time `at` the resource moves to `to`. */
export interface ScheduledTransition<S extends string> {
  at: number;
  to: S;
}

export interface Account {
  domainId: string;
  domainName: string;
  projectId: string;
  /** Permanent AK/SK of this account. */
  ak: string;
  sk: string;
}

/** Temporary credentials issued by the emulator's IAM (agency credentials of functions). */
export interface TemporaryCredential {
  ak: string;
  sk: string;
  securityToken: string;
  domainId: string;
  projectId: string;
  expiresAt: number;
  /**
   * Added by the IAM module: credentials of an assumed agency carry the agency's name and may do only
   * what its policies allow (IAM actions, `*` wildcards per segment). Absent: the account's full rights.
   */
  agencyName?: string;
  allowedActions?: string[];
}

/**
 * Added by the IAM module: an agency of account `domainId` delegated to account `trustDomainId`
 * (IAM v3 `CreateAgency`: `name` ≤ 64 chars, `domain_id`, `trust_domain_id` [GSDK iam/v3
 * model_create_agency_option.go]), with the IAM actions of the policies granted to it.
 */
export interface Agency {
  id: string;
  name: string;
  domainId: string;
  trustDomainId: string;
  actions: string[];
}

/**
 * An IAM token issued by the emulator (`POST /v3/auth/tokens`, answered in `X-Subject-Token`),
 * accepted as `X-Auth-Token` instead of a signature. Added by the emulator core.
 */
export interface IamToken {
  token: string;
  domainId: string;
  projectId: string;
  userName: string;
  /** Emulated epoch ms. */
  expiresAt: number;
}

export interface Vpc {
  id: string;
  name: string;
  cidr: string;
  projectId: string;
}

export interface Subnet {
  id: string;
  name: string;
  vpcId: string;
  cidr: string;
  gatewayIp: string;
  projectId: string;
}

/** A NIC (Neutron port) with a fixed IP in a subnet. */
export interface Port {
  id: string;
  subnetId: string;
  vpcId: string;
  ip: string;
  projectId: string;
  /** What uses it: a Kafka broker, a VPC endpoint, … */
  deviceOwner: string;
}

export interface SecurityGroup {
  id: string;
  name: string;
  projectId: string;
}

export interface SecurityGroupRule {
  id: string;
  securityGroupId: string;
  direction: 'ingress' | 'egress';
  ethertype: 'IPv4' | 'IPv6';
  protocol: string | null;
  multiport: string | null;
  remoteIpPrefix: string | null;
  remoteGroupId: string | null;
  action: 'allow' | 'deny';
  priority: number;
  description: string;
  projectId: string;
  createdAt: string;
  updatedAt: string;
}

export interface NetworkAclRule {
  id: string;
  name: string;
  description: string;
  action: 'allow' | 'deny';
  protocol: string;
  ipVersion: 4 | 6;
  sourceIpAddress?: string;
  destinationPort?: string;
  /** Added by the VPC module: the other ACL rule fields of the v3 API. */
  destinationIpAddress?: string;
  sourcePort?: string;
  enabled: boolean;
}

export interface NetworkAcl {
  id: string;
  name: string;
  projectId: string;
  subnetIds: string[];
  ingressRules: NetworkAclRule[];
  egressRules: NetworkAclRule[];
  /** Added by the VPC module: v3 timestamps (`2020-08-13T07:12:36.000+00:00`); rendered as epoch 0 when absent. */
  createdAt?: string;
  updatedAt?: string;
}

export interface KafkaBroker {
  listenerIp: string;
  advertisedIp: string;
  portId: string;
}

export type KafkaStatus = 'CREATING' | 'RUNNING' | 'CONFIGURING' | 'DELETING' | 'ERROR' | (string & {});

export interface KafkaInstance {
  instanceId: string;
  name: string;
  projectId: string;
  status: KafkaStatus;
  transitions: ScheduledTransition<KafkaStatus>[];
  vpcId: string;
  subnetId: string;
  securityGroupId: string;
  enterpriseProjectId: string;
  brokers: KafkaBroker[];
  sslEnable: boolean;
  securityProtocol: string;
  saslMechanisms: string[];
  tags: Array<{ key: string; value: string }>;
  createdAt: number;
  /** Set once the CTS event for a finished creation was emitted. */
  ctsEmitted?: boolean;
  /**
   * Added by the DMS module under its opt-in CONFIGURING fault only: the advertised map of an accepted
   * `crossvpc/modify`, applied to the brokers when the instance leaves CONFIGURING.
   */
  pendingAdvertisedIps?: Record<string, string>;
}

export type ServiceStatus = 'creating' | 'available' | 'failed' | 'deleting';

export interface EndpointServiceRecord {
  id: string;
  projectId: string;
  domainId: string;
  serviceName: string;
  portId: string;
  vpcId: string;
  serverType: string;
  serviceType: string;
  approvalEnabled: boolean;
  tcpProxy: string;
  ports: Array<{ client_port: number; server_port: number; protocol: string }>;
  description: string;
  tags: Array<{ key: string; value: string }>;
  /** Whitelist: `iam:domain::<id>` strings with their record ids. */
  permissions: Array<{ id: string; permission: string; createdAt: string }>;
  status: ServiceStatus;
  /**
   * Reported in `error[]` of a failed service. A service's items are `{code, message}` (GSDK
   * vpcep/v1 model_service_list.go, model_error.go), unlike an endpoint's `{error_code, error_message}`.
   */
  errors?: Array<{ code: string; message: string }>;
  transitions: ScheduledTransition<ServiceStatus | 'deleted'>[];
  createdAt: string;
  updatedAt: string;
}

export type EndpointStatus =
  | 'creating'
  | 'pendingAcceptance'
  | 'accepted'
  | 'rejected'
  | 'failed'
  | 'deleting';

export interface EndpointRecord {
  id: string;
  projectId: string;
  domainId: string;
  endpointServiceId: string;
  endpointServiceName: string;
  vpcId: string;
  subnetId: string;
  /** Assigned at creation (or `port_ip`), reported once accepted. */
  ip: string;
  portId: string;
  markerId: number;
  enableDns: boolean;
  /** Added by the VPCEP module: the endpoint-side ACL (`enable_whitelist`, `whitelist`). */
  enableWhitelist?: boolean;
  whitelist?: string[];
  description: string;
  tags: Array<{ key: string; value: string }>;
  status: EndpointStatus;
  transitions: ScheduledTransition<EndpointStatus | 'deleted'>[];
  errors: Array<{ error_code: string; error_message: string }>;
  createdAt: string;
  updatedAt: string;
}

export interface SmnTopic {
  topicUrn: string;
  name: string;
  displayName: string;
  projectId: string;
}

export interface SmnSubscription {
  subscriptionUrn: string;
  topicUrn: string;
  /** `functionstage` (endpoint = function URN) or `http`/`https` (endpoint = URL). */
  protocol: string;
  endpoint: string;
  /** Added by the emulator core: free text given at subscription time. */
  remark?: string;
  /** Added by the emulator core: the project that subscribed. */
  projectId?: string;
}

export interface SmnMessage {
  messageId: string;
  topicUrn: string;
  subject?: string;
  message: string;
  time: string;
  /** Added by the emulator core: the raw `message_structure` JSON string, when one was published. */
  messageStructure?: string;
}

/** Everything the emulator knows. Plain data: `GET /_emulator/state` serializes it as is. */
export interface World {
  region: string;
  accounts: Account[];
  temporaryCredentials: TemporaryCredential[];
  vpcs: Vpc[];
  subnets: Subnet[];
  ports: Port[];
  securityGroups: SecurityGroup[];
  securityGroupRules: SecurityGroupRule[];
  networkAcls: NetworkAcl[];
  kafkaInstances: KafkaInstance[];
  endpointServices: EndpointServiceRecord[];
  endpoints: EndpointRecord[];
  topics: SmnTopic[];
  subscriptions: SmnSubscription[];
  messages: SmnMessage[];
  quotas: { endpointService: number; endpoint: number };
  /** IAM tokens issued by the emulator (optional so hand-built test worlds need not list them). */
  tokens?: IamToken[];
  /** Added by the IAM module: agencies of every account (optional like `tokens`). */
  agencies?: Agency[];
}

/* ------------------------------------------------------------------ service modules */

/** Who made the call, from the verified signature (or token). */
export interface Caller {
  domainId: string;
  /** The project of the signing account (a path's `{project_id}` must equal it). */
  projectId: string;
  ak: string;
  temporary: boolean;
  /** Added by the emulator core: how the caller authenticated (`none` for anonymous IAM calls). */
  authMethod?: 'aksk' | 'token' | 'none';
  /** Added by the IAM module: what an assumed agency may do (absent: everything). */
  allowedActions?: string[];
}

export interface EmuRequest {
  method: string;
  /** Path without the query string, percent-decoded per segment. */
  path: string;
  query: URLSearchParams;
  headers: Record<string, string>;
  rawBody: Buffer;
  /** Parsed JSON body; undefined for an empty body. Invalid JSON is answered by the server. */
  body: unknown;
  caller: Caller;
  /** Added by the emulator core: the id sent back in `X-Request-Id` (always set by the server). */
  requestId?: string;
}

export interface EmuResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** What a module can reach besides its own request. */
export interface ServiceContext {
  world: World;
  clock: EmuClock;
  /** Deterministic-looking ids: UUID v4 strings. */
  newId(): string;
  /** Records a CTS trace and hands it to CTS-triggered functions (runtime). */
  emitCts(trace: Record<string, unknown>): void;
  /** Hands an SMN message to a `functionstage` subscriber (runtime). */
  deliverToFunction(functionUrn: string, event: Record<string, unknown>): void;
  /** Applies every state transition that is due at the current emulated time. */
  settle(): void;
}

export type ServiceName = 'iam' | 'dms' | 'vpcep' | 'vpc' | 'smn' | 'functiongraph';

/** Thrown by a module to answer with that service's error envelope. */
export class EmuError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'EmuError';
  }
}

export interface ServiceModule {
  readonly name: ServiceName;
  /** True when this module serves the path (the server asks modules in order). */
  matches(method: string, path: string): boolean;
  /** Whether the call needs a signature (IAM token issuance may use X-Auth-Token instead). */
  handle(req: EmuRequest, ctx: ServiceContext): EmuResponse | Promise<EmuResponse>;
  /** The service's own error envelope, e.g. VPCEP `{error_code, error_msg}`, VPC `{code, message}`. */
  errorBody(code: string, message: string, requestId: string): unknown;
  /** Applies due transitions of this module's resources (called by `settle`). */
  settle?(ctx: ServiceContext): void;
  /**
   * Added by the emulator core. True when the call needs no credentials at all (IAM password
   * login). Default: every call needs a signature or an emulator-issued X-Auth-Token.
   */
  allowsAnonymous?(method: string, path: string): boolean;
  /**
   * Added by the emulator core. When defined, the server refuses a call whose path project (the
   * returned id) is not the caller's, with 403 `APIGW.0302`. Modules that answer a project mismatch
   * with their own service error (DMS, VPCEP, VPC) leave it undefined.
   */
  projectIdInPath?(path: string): string | undefined;
  /** Added by the emulator core. Error code for a body that is not valid JSON (default `APIGW.0201`). */
  readonly invalidBodyCode?: string;
}
