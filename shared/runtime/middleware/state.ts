/**
 * The invocation state the middlewares share, kept on the (per-invocation) adapted context as
 * `context.kvl`, because middy hands the base handler only `(event, context)`, not the request.
 */
import type { MiddlewareObj, Request } from '@middy/core';
import type { CredentialsProvider } from '../../cloud/types.js';
import type { CloudEvent, EventType } from '../../events/cloudevents.js';
import type { Envelope, EnvelopeMessage } from '../../events/envelopes.js';
import type { Clock } from '../../link/deps.js';
import type { KvlConfig } from '../config.js';
import type { KvlLambdaContext } from '../context.js';
import { MiddlewareOptionsError } from '../errors.js';
import type { KvlLogger } from '../logger.js';
import type { EventPublisher } from '../publisher.js';

/** What an invocation returns: small, so an async result never nears FunctionGraph's 256 KB cap. */
export interface HandlerSummary {
  /** Messages (or timer/CTS events) the handler completed. */
  processed: number;
  /** Events published (outputs and `kvl.link.failed`). */
  published: number;
  /** Messages refused before the handler saw them (invalid envelope, JSON, type or data). */
  rejected: number;
  /** Messages whose handling ended with a terminal error (each produced a `kvl.link.failed`). */
  failed: number;
}

export type Accepts = readonly EventType[] | 'timer' | 'cts';

/** One unit of work for the handler: a validated event, the timer tick, or the CTS trace. */
export interface WorkItem {
  input: unknown;
  message?: EnvelopeMessage;
  instanceId?: string;
  correlationid?: string;
  /** True once it produced its outputs or its `kvl.link.failed`. */
  settled: boolean;
}

export interface InvocationState {
  readonly step: string;
  /** Producer id of every event this function emits. */
  readonly source: string;
  logger: KvlLogger;
  /** The invocation's clock: the runtime's, then the deps' own once they exist (event `time`, deadline). */
  clock: Clock;
  config?: KvlConfig;
  credentials?: CredentialsProvider;
  deps?: unknown;
  publisher?: EventPublisher;
  envelope?: Envelope;
  work: WorkItem[];
  /** Events waiting to be published, in order. */
  outputs: CloudEvent[];
  summary: HandlerSummary;
}

export type KvlInvocationContext = KvlLambdaContext & { kvl?: InvocationState };
export type KvlRequest = Request<unknown, HandlerSummary, Error, KvlInvocationContext>;
export type KvlMiddleware = MiddlewareObj<unknown, HandlerSummary, Error, KvlInvocationContext>;

/** The invocation state; throws when `functionGraphContext` did not run first. */
export function stateOf(context: KvlInvocationContext): InvocationState {
  const state = context.kvl;
  if (!state) {
    throw new MiddlewareOptionsError('kvl', 'functionGraphContext() must be the first middleware');
  }
  return state;
}
