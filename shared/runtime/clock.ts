/**
 * The system clock. It lives in the runtime, not in the domain: shared/link and functions/ only see a
 * `Clock` they are given (the deps' clock), so every time they read (waits, `kvl-since` tags, event
 * `time`) can be driven by a test or the emulator.
 */
import type { Clock } from '../link/deps.js';

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** Whether `value` can serve as a clock (`now()` and `sleep(ms)`). */
export function isClock(value: unknown): value is Clock {
  const clock = value as Partial<Clock> | null | undefined;
  return typeof clock?.now === 'function' && typeof clock.sleep === 'function';
}

/**
 * One clock per invocation: the deps' own when they carry one (the domain measures its waits with it;
 * tests put the emulator's there), else the runtime's.
 */
export function clockOf(deps: unknown, runtime: Clock): Clock {
  const clock = (deps as { clock?: unknown } | null | undefined)?.clock;
  return isClock(clock) ? clock : runtime;
}
