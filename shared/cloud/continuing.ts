/**
 * Work in progress goes first under throttling: a flow-control hint from the steps to the HTTP client.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

const CONTINUING = new AsyncLocalStorage<true>();

/**
 * Runs `work` as the continuation of work already begun when `begun` (the link already holds one of the
 * resources it is creating), else as new work. As a continuation, a throttled call made inside it backs off
 * with a short cap (`continuingMaxDelayMs`, 2 s) instead of the usual 20 s. A link needs three service
 * creates and three endpoint creates in a row; under a burst, callers that all back off alike share the
 * throttle among every link, so most links hold one or two of three and few finish, and the next
 * step's API idles until the end (the pipeline's tail). A link that has begun comes back sooner and
 * finishes first, so links flow to the next step at the throttle's rate: a 1,000-link soak went from
 * 1.27x to 1.17x its lower bound (docs/BENCHMARKS.md §3). It is a flow-control hint: every call is
 * still signed, retried and bounded exactly as outside it.
 */
export function continuingWork<T>(begun: boolean, work: () => Promise<T>): Promise<T> {
  return begun ? CONTINUING.run(true, work) : work();
}

/** Whether the current call runs inside `continuingWork` (read by shared/cloud/http.ts). */
export function isContinuingWork(): boolean {
  return CONTINUING.getStore() === true;
}
