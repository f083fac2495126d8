/**
 * Seeded delivery schedules for the chain: the test plays the queue. Every message a function
 * publishes is delivered `copies` times, in a random order interleaved with the other pending
 * messages, timer ticks and clock advances; a failed invocation is delivered again (FunctionGraph's
 * async retry), like a redelivery after a crash.
 */
import type { Chain, Delivery, InvocationResult } from './chain.js';

/** mulberry32: small, fast, seedable; the same seed gives the same schedule. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export interface ScheduleOptions {
  /** Deliveries of each message (2 = every message duplicated). */
  copies: number;
  /** Probability that a step is a poll-acceptance timer tick instead of a delivery. */
  tickRate: number;
  /** Probability that a step advances the emulated clock (by up to `maxAdvanceMs`). */
  advanceRate: number;
  maxAdvanceMs: number;
  /** Give up (and fail) after this many steps. */
  maxSteps: number;
  /** Ticks (each after a 60 s advance) once the queue is empty, to let the timer finish stragglers. */
  settleTicks: number;
  /** Probability that a delivery runs concurrently with a second one (two function instances). */
  pairRate: number;
  /** The timers ticked while settling (reconcile repairs what no message will). */
  settleTimers: Array<'poll-acceptance' | 'reconcile'>;
}

export const DEFAULT_SCHEDULE: ScheduleOptions = {
  copies: 2,
  tickRate: 0.1,
  advanceRate: 0.15,
  maxAdvanceMs: 90_000,
  maxSteps: 2_000,
  settleTicks: 2,
  pairRate: 0,
  settleTimers: ['poll-acceptance'],
};

export interface ScheduleRun {
  steps: number;
  deliveries: number;
  ticks: number;
  failedInvocations: InvocationResult[];
  /** The delivery order, for the failure message (type@instance). */
  trace: string[];
}

function label(d: Delivery): string {
  try {
    const event = JSON.parse(d.text) as { subject?: string };
    return `${d.fn}:${(event.subject ?? '?').slice(0, 8)}`;
  } catch {
    return `${d.fn}:?`;
  }
}

/** Runs the queue until it is empty and the timer has nothing more to say. */
export async function runSchedule(
  chain: Chain,
  random: () => number,
  options: Partial<ScheduleOptions> = {},
): Promise<ScheduleRun> {
  const o = { ...DEFAULT_SCHEDULE, ...options };
  const pool: Delivery[] = [];
  const run: ScheduleRun = { steps: 0, deliveries: 0, ticks: 0, failedInvocations: [], trace: [] };
  const refill = () => {
    for (const delivery of chain.takeNew()) for (let i = 0; i < o.copies; i++) pool.push(delivery);
  };
  const tick = async (fn: 'poll-acceptance' | 'reconcile' = 'poll-acceptance') => {
    run.ticks++;
    run.trace.push(fn === 'reconcile' ? 'reconcile' : 'tick');
    const result = await chain.tick(fn);
    if (!result.ok) run.failedInvocations.push(result);
  };

  refill();
  let quietTicks = 0;
  while (pool.length > 0 || quietTicks < o.settleTicks) {
    if (++run.steps > o.maxSteps) throw new Error(`schedule did not finish in ${o.maxSteps} steps`);
    if (pool.length === 0) {
      chain.advance(60_000);
      for (const timer of o.settleTimers) await tick(timer);
      refill();
      quietTicks = pool.length === 0 ? quietTicks + 1 : 0;
      continue;
    }
    quietTicks = 0;
    const r = random();
    if (r < o.tickRate) {
      await tick();
    } else if (r < o.tickRate + o.advanceRate) {
      const ms = Math.floor(random() * o.maxAdvanceMs);
      run.trace.push(`+${Math.round(ms / 1000)}s`);
      chain.advance(ms);
    } else {
      const batch: Delivery[] = [];
      const width = pool.length > 1 && random() < o.pairRate ? 2 : 1;
      for (let i = 0; i < width; i++) batch.push(...pool.splice(Math.floor(random() * pool.length), 1));
      run.deliveries += batch.length;
      run.trace.push(batch.map(label).join(' || '));
      const results = await Promise.all(batch.map((d) => chain.deliver(d)));
      results.forEach((result, i) => {
        if (result.ok) return;
        run.failedInvocations.push(result);
        run.trace.push('!retry');
        pool.push(batch[i]!);
      });
    }
    refill();
  }
  return run;
}

/**
 * Delivers every pending message at once, round after round (all links' functions running
 * concurrently, as a burst of events would make FunctionGraph do), until the queue is empty and the
 * timer has nothing more to say. Failed invocations are delivered again in the next round.
 */
export async function drainConcurrently(
  chain: Chain,
  options: { maxRounds?: number; settleTicks?: number } = {},
): Promise<ScheduleRun> {
  const run: ScheduleRun = { steps: 0, deliveries: 0, ticks: 0, failedInvocations: [], trace: [] };
  let pool = chain.takeNew();
  let quiet = 0;
  for (let round = 0; round < (options.maxRounds ?? 200); round++) {
    run.steps++;
    if (pool.length === 0) {
      if (quiet >= (options.settleTicks ?? 2)) return run;
      chain.advance(60_000);
      run.ticks++;
      const tick = await chain.tick();
      if (!tick.ok) run.failedInvocations.push(tick);
      pool = chain.takeNew();
      quiet = pool.length === 0 ? quiet + 1 : 0;
      continue;
    }
    quiet = 0;
    run.deliveries += pool.length;
    run.trace.push(`[${pool.map(label).join(' ')}]`);
    const results = await Promise.all(pool.map((d) => chain.deliver(d)));
    const retry = pool.filter((_, i) => !results[i]!.ok);
    run.failedInvocations.push(...results.filter((r) => !r.ok));
    pool = [...retry, ...chain.takeNew()];
  }
  throw new Error(`the queue did not drain in ${options.maxRounds ?? 200} rounds`);
}
