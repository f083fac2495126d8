/**
 * The emulator's public types: its options, the first-line config, the gateway's throttle and fault
 * settings, the request log entries, and the runtime that receives deliveries. server.ts re-exports them.
 */
import type { DataPlaneOptions, KafkaConnection } from '../data-plane.js';
import type { ServiceModule } from '../types.js';

export interface ThrottleConfig {
  /** Requests per second per AK and API (method + path template). */
  ratePerSecond: number;
  /** Bucket size; default `max(1, ratePerSecond)`. */
  burst?: number;
}

export type FaultKind = 'status' | 'timeout' | 'drop-after-commit';

export interface FaultSpec {
  match: {
    method?: string;
    /** A glob (`*` matches anything, including `/`) or, when it starts with `^`, a regular expression. */
    path?: string;
    /** Only calls served by this module (`dms`, `vpcep`, …). */
    service?: string;
  };
  kind: FaultKind;
  /** For `status`: the HTTP status (default 500). */
  status?: number;
  /** For `status`: the error code in the service's envelope (default `EMU.FAULT`). */
  code?: string;
  message?: string;
  /** How many matching calls to affect; default unlimited. */
  count?: number;
  /** Probability in [0, 1] that a matching call is affected (seeded PRNG); default 1. */
  rate?: number;
}

export interface ActiveFault extends FaultSpec {
  id: string;
  /** Calls affected so far. */
  hits: number;
}

export interface RequestLogEntry {
  /** Emulated time, ISO-8601. */
  time: string;
  method: string;
  path: string;
  /** HTTP status answered; 0 when no answer was sent (timeout and drop-after-commit faults). */
  status: number;
  /** Error code of a non-2xx answer. */
  code?: string;
  service?: string;
  requestId: string;
  fault?: FaultKind;
  /** Query parameters as sent. */
  query?: Record<string, string | string[]>;
  /** Parsed JSON body, secrets redacted (see exchange-log.ts). */
  body?: unknown;
}

/** The local FunctionGraph runtime: receives SMN deliveries and CTS events. */
export interface FunctionHost {
  deliver(functionUrn: string, event: Record<string, unknown>): void;
  cts(event: Record<string, unknown>): void;
  /** FunctionGraph `invocations`: runs the function synchronously; rejects with the handler's error. */
  invoke?(functionUrn: string, event: unknown): Promise<unknown>;
  /** FunctionGraph `invocations-async`: queues the event (retries, destinations); returns the request id. */
  invokeAsync?(functionUrn: string, event: unknown): string;
  /** Deployed functions, triggers or async configurations changed (FunctionGraph management API). */
  functionsChanged?(): void;
}

/** The emulator's first stdout line (INTERFACES.md); more keys may be added. */
export interface EmulatorConfig {
  endpoint: string;
  region: string;
  projectId: string;
  domainId: string;
  ak: string;
  sk: string;
  world: {
    instanceId: string;
    instanceVpcId: string;
    instanceSubnetId: string;
    securityGroupId: string;
    clientVpcId: string;
    clientSubnetId: string;
    networkAclId: string;
  };
  topics: {
    linkRequests: string;
    servicesReady: string;
    endpointsAccepted: string;
    unlinkRequests: string;
    events: string;
  };
  /** The second account, for cross-account links. */
  partner: {
    domainId: string;
    projectId: string;
    ak: string;
    sk: string;
    vpcId: string;
    subnetId: string;
    /** The partner's agency delegated to the main account, with the endpoint permissions. */
    agencyName: string;
  };
  /** Data-plane mode: how a client reaches the seeded instance's brokers. */
  kafka?: KafkaConnection;
}

export interface EmulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Emulated ms per real ms; default 1, 0 freezes the clock. */
  speed?: number;
  /** Emulated start time (epoch ms); default now. */
  start?: number;
  /** Seed the default world (default true). */
  seed?: boolean;
  /** Gateway throttling; off by default. */
  throttle?: ThrottleConfig | false;
  region?: string;
  /**
   * Service modules besides IAM and SMN (which are always first), asked in order. Default: DMS,
   * VPCEP, VPC, FunctionGraph (`defaultServiceModules()`); tests of the core pass `[]` or their own.
   */
  modules?: ServiceModule[];
  /** Seed of the fault PRNG (rate faults); default 1. */
  faultSeed?: number;
  /** Seed for reproducible resource ids; default crypto-random. */
  idSeed?: number;
  /** Allowed |X-Sdk-Date − real time|; default 15 min (Huawei API gateway). */
  maxSkewMs?: number;
  /** Emulated ms a Kafka instance created through the admin API stays CREATING; default 60 s. */
  kafkaCreateDelayMs?: number;
  /** Serve Kafka on loopback: brokers per instance, listeners per accepted endpoint (data-plane.ts). */
  dataPlane?: boolean | DataPlaneOptions;
}

export class EmulatorError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EmulatorError';
  }
}
