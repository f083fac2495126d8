/**
 * The asynchronous invocation queue, as on FunctionGraph: a queue per function, bounded
 * concurrency, the function timeout, `asyncInvoke` retries (and maximum event age), then the
 * on-failure destination. Synchronous `invoke` goes through the same queue without retries.
 */
import { randomUUID } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import type { SmnPublisher } from '../../shared/cloud/smn.js';
import type { FunctionGraphContext } from '../../shared/runtime/context.js';
import type { EmulatorHandle } from '../cloud/server.js';
import { callHandler } from './bundle.js';
import { errorMessage, FunctionTimeoutError, RuntimeClosedError } from './errors.js';
import type {
  InvocationEvent,
  InvocationFailure,
  InvocationRecord,
  Job,
  LoadedFunction,
  RuntimeEvents,
  TriggerSource,
} from './types.js';

export interface AsyncInvokerOptions {
  emulator: EmulatorHandle;
  /** Concurrent invocations per function. */
  concurrency: number;
  /** Real ms between an async failure and its retry. */
  retryDelayMs: number;
  /** How many finished attempts `invocations` keeps. */
  historyLimit: number;
  /** A fresh context for one attempt (new credentials read, remaining time from now). */
  contextFor(fn: LoadedFunction, requestId: string): FunctionGraphContext;
  /** Where on-failure SMN destinations are published (with the function's agency). */
  destinationSmn: SmnPublisher;
  /** Receives `invocation` and `failure` events. */
  events: EventEmitter<RuntimeEvents>;
  log(message: string): void;
}

export class AsyncInvoker {
  /** Finished attempts, oldest first (capped by `historyLimit`). */
  readonly invocations: InvocationRecord[] = [];
  /** Async events given up after their retries. */
  readonly failures: InvocationFailure[] = [];
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private readonly idleWaiters: Array<() => void> = [];
  /** Jobs queued, running or waiting for a retry, plus failure-destination publishes in flight. */
  private pending = 0;
  private closed = false;

  constructor(private readonly options: AsyncInvokerOptions) {}

  /**
   * Resolves when nothing is queued, running or waiting for a retry. Deliveries from the emulator
   * arrive through setImmediate, so a quiet moment is confirmed over two turns of the event loop
   * before resolving; a chain (A publishes, B is triggered) is thus awaited as a whole.
   */
  async idle(): Promise<void> {
    for (;;) {
      if (this.closed) return;
      if (this.pending > 0) await new Promise<void>((r) => this.idleWaiters.push(r));
      await new Promise<void>((r) => setImmediate(r));
      await new Promise<void>((r) => setImmediate(r));
      if (this.pending === 0 || this.closed) return;
    }
  }

  enqueue(fn: LoadedFunction, event: unknown, trigger: TriggerSource, reply?: Job['reply']): string {
    const requestId = randomUUID();
    if (this.closed) {
      reply?.reject(new RuntimeClosedError());
      return requestId;
    }
    this.pending += 1;
    fn.queue.push({
      fn,
      event,
      requestId,
      attempt: 1,
      trigger,
      receivedAt: this.options.emulator.clock.now(),
      reply,
    });
    this.dispatch(fn);
    return requestId;
  }

  private dispatch(fn: LoadedFunction): void {
    while (!this.closed && fn.running < this.options.concurrency && fn.queue.length > 0) {
      const job = fn.queue.shift() as Job;
      fn.running += 1;
      void this.run(job).finally(() => {
        fn.running -= 1;
        this.dispatch(fn);
      });
    }
  }

  private async run(job: Job): Promise<void> {
    const { fn } = job;
    const startedAt = new Date(this.options.emulator.clock.now()).toISOString();
    const started = performance.now();
    const base = {
      functionName: fn.name,
      requestId: job.requestId,
      attempt: job.attempt,
      trigger: job.trigger,
    };
    this.notify({ ...base, phase: 'start' });
    try {
      const result = await this.execute(job);
      const durationMs = Math.round(performance.now() - started);
      this.record({ ...base, status: 'ok', durationMs, startedAt, result });
      this.notify({ ...base, phase: 'end', durationMs, result });
      job.reply?.resolve(result);
      this.done();
    } catch (error) {
      const durationMs = Math.round(performance.now() - started);
      const message = errorMessage(error);
      const status = error instanceof FunctionTimeoutError ? 'timeout' : 'error';
      this.record({ ...base, status, durationMs, startedAt, error: message });
      this.notify({ ...base, phase: 'error', durationMs, error: message });
      if (job.reply) {
        job.reply.reject(error);
        this.done();
      } else {
        this.afterAsyncFailure(job, message);
      }
    }
  }

  /** One attempt: a fresh context (new credentials read, remaining time from now) and the timeout. */
  private async execute(job: Job): Promise<unknown> {
    const { fn } = job;
    const context = this.options.contextFor(fn, job.requestId);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new FunctionTimeoutError(fn.name, fn.timeoutMs)), fn.timeoutMs);
    });
    try {
      // A handler that outlives its timeout keeps running (it cannot be killed in-process), but its
      // invocation has failed, as on FunctionGraph; its late result is ignored.
      return await Promise.race([callHandler(fn.handler, job.event, context), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private afterAsyncFailure(job: Job, message: string): void {
    const { fn } = job;
    const config = fn.spec.asyncInvoke;
    const ageMs = this.options.emulator.clock.now() - job.receivedAt;
    const tooOld = ageMs >= config.maxAsyncEventAgeInSeconds * 1000;
    if (!this.closed && !tooOld && job.attempt <= config.maxAsyncRetryAttempts) {
      const next = { ...job, attempt: job.attempt + 1 };
      this.notify({
        functionName: fn.name,
        requestId: job.requestId,
        phase: 'retry',
        attempt: next.attempt,
        trigger: job.trigger,
        error: message,
      });
      const timer = setTimeout(() => {
        this.retryTimers.delete(timer);
        if (this.closed) return;
        fn.queue.push(next);
        this.dispatch(fn);
      }, this.options.retryDelayMs);
      this.retryTimers.add(timer);
      return;
    }
    if (this.closed) {
      this.done();
      return;
    }
    const failure: InvocationFailure = {
      functionName: fn.name,
      functionUrn: fn.urn,
      requestId: job.requestId,
      event: job.event,
      error: message,
      attempts: job.attempt,
      condition: tooOld ? 'EventAgeExceeded' : 'RetriesExhausted',
      time: new Date(this.options.emulator.clock.now()).toISOString(),
    };
    this.failures.push(failure);
    this.options.log(
      `function ${fn.name}: request ${job.requestId} given up after ${job.attempt} attempt(s): ${message}`,
    );
    void this.sendToFailureDestination(job, failure).finally(() => {
      try {
        this.options.events.emit('failure', failure);
      } catch (error) {
        this.options.log(`a failure listener threw: ${errorMessage(error)}`);
      }
      this.done();
    });
  }

  /** Publishes the FunctionGraph destination record (reference §1.5) to an SMN on-failure destination. */
  private async sendToFailureDestination(job: Job, failure: InvocationFailure): Promise<void> {
    const onFailure = job.fn.spec.asyncInvoke.onFailure;
    if (!onFailure) return;
    const type = onFailure.destination;
    if (type.toUpperCase() !== 'SMN' || !onFailure.topicUrn) {
      failure.destination = { type, error: `on-failure destination ${type} is not emulated` };
      this.options.log(
        `function ${job.fn.name}: on-failure destination ${type} is not emulated; record kept in failures`,
      );
      return;
    }
    const record = {
      timestamp: failure.time,
      request_context: {
        request_id: job.requestId,
        function_urn: job.fn.urn,
        condition: failure.condition,
        approximate_invoke_count: job.attempt,
      },
      request_payload: JSON.stringify(job.event ?? null),
      // 200: the function ran and failed (a function error); non-200 would be a system error.
      response_context: { status_code: 200, function_error: failure.error },
      response_payload: '',
    };
    failure.destination = { type: 'SMN', topicUrn: onFailure.topicUrn };
    try {
      const { messageId } = await this.options.destinationSmn.publish(onFailure.topicUrn, {
        subject: `FunctionGraph async invocation failed: ${job.fn.name}`,
        message: JSON.stringify(record),
      });
      failure.destination.messageId = messageId;
    } catch (error) {
      failure.destination.error = errorMessage(error);
      this.options.log(
        `function ${job.fn.name}: publishing the failure record failed: ${errorMessage(error)}`,
      );
    }
  }

  private record(entry: InvocationRecord): void {
    this.invocations.push(entry);
    if (this.invocations.length > this.options.historyLimit) {
      this.invocations.splice(0, this.invocations.length - this.options.historyLimit);
    }
  }

  /** Emits an invocation event; a throwing listener must not break the invocation bookkeeping. */
  private notify(event: InvocationEvent): void {
    try {
      this.options.events.emit('invocation', event);
    } catch (error) {
      this.options.log(`an invocation listener threw: ${errorMessage(error)}`);
    }
  }

  private done(): void {
    this.pending -= 1;
    if (this.pending === 0) for (const wake of this.idleWaiters.splice(0)) wake();
  }

  /**
   * Stops pending retries and rejects what is still queued; handlers already running finish on
   * their own but their outcome no longer triggers retries.
   */
  close(functions: Iterable<LoadedFunction>): void {
    this.closed = true;
    for (const timer of this.retryTimers) clearTimeout(timer);
    this.pending -= this.retryTimers.size;
    this.retryTimers.clear();
    for (const fn of functions) {
      for (const job of fn.queue.splice(0)) {
        this.pending -= 1;
        job.reply?.reject(new RuntimeClosedError());
      }
    }
    for (const wake of this.idleWaiters.splice(0)) wake();
  }
}
