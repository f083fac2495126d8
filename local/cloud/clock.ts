/**
 * The emulator's clock. Every state machine (service creating -> available, endpoint creating ->
 * accepted, instance CREATING -> RUNNING) is scheduled on emulated time, so tests can freeze time
 * (speed 0) and move it with `advance`, while the demo runs it faster than real time (speed > 1).
 */
import type { EmuClock } from './types.js';

export interface ClockOptions {
  /** Emulated ms per real ms; 0 freezes time. */
  speed: number;
  /** Emulated epoch ms at creation; defaults to the real wall clock. */
  start?: number;
}

interface Timer {
  id: number;
  due: number;
  /** Set for `every` timers: the timer is re-armed `periodMs` after its previous due time. */
  periodMs?: number;
  fn: () => void;
}

export class ClockError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClockError';
  }
}

/** setTimeout's delay is a signed 32-bit number; longer delays fire immediately, so cap them. */
const MAX_TIMEOUT_MS = 2_147_483_647;

function checkSpeed(speed: number): void {
  if (!Number.isFinite(speed) || speed < 0)
    throw new ClockError(`clock speed must be a finite number >= 0, got ${speed}`);
}

export function createClock(options: ClockOptions): EmuClock {
  checkSpeed(options.speed);
  // Emulated time is anchored at (anchorReal, anchorEmu) and extrapolated with the current speed;
  // every speed change or advance re-anchors, so a speed change never makes time jump.
  // performance.now() is monotonic, unlike Date.now(), so a wall-clock step cannot move emulated time.
  let anchorReal = performance.now();
  let anchorEmu = options.start ?? Date.now();
  let speed = options.speed;
  let stopped = false;
  let nextId = 1;
  const timers: Timer[] = [];
  let realTimeout: NodeJS.Timeout | undefined;

  const now = (): number => anchorEmu + (performance.now() - anchorReal) * speed;

  const setNow = (emu: number): void => {
    anchorReal = performance.now();
    anchorEmu = emu;
  };

  const earliest = (): Timer | undefined => {
    let best: Timer | undefined;
    for (const t of timers) {
      // Ties fire in creation order, which keeps runs deterministic.
      if (!best || t.due < best.due || (t.due === best.due && t.id < best.id)) best = t;
    }
    return best;
  };

  const remove = (timer: Timer): void => {
    const i = timers.indexOf(timer);
    if (i >= 0) timers.splice(i, 1);
  };

  /**
   * Fires one due timer. While it runs, `now()` reads its due time (never earlier than the
   * current time), so work it schedules relative to `now()` lands where it would in real life,
   * even when `advance` jumped over many timers at once.
   */
  const fire = (timer: Timer): void => {
    if (timer.due > now()) setNow(timer.due);
    if (timer.periodMs === undefined) remove(timer);
    else timer.due += timer.periodMs;
    try {
      timer.fn();
    } catch (error) {
      // A failing callback must not stop the clock or the timers after it.
      queueMicrotask(() => {
        throw error;
      });
    }
  };

  const fireDueUpTo = (limit: number): void => {
    for (;;) {
      const next = earliest();
      if (!next || next.due > limit) return;
      fire(next);
    }
  };

  // One real setTimeout for the next due timer; recomputed whenever timers, speed or time change.
  const reschedule = (): void => {
    if (realTimeout) clearTimeout(realTimeout);
    realTimeout = undefined;
    if (stopped || speed === 0) return;
    const next = earliest();
    if (!next) return;
    const delay = Math.min(MAX_TIMEOUT_MS, Math.max(0, Math.ceil((next.due - now()) / speed)));
    realTimeout = setTimeout(() => {
      realTimeout = undefined;
      fireDueUpTo(now());
      reschedule();
    }, delay);
    // The clock alone must never keep the process alive (the HTTP server does that).
    realTimeout.unref();
  };

  const add = (timer: Omit<Timer, 'id'>): (() => void) => {
    const entry: Timer = { ...timer, id: nextId++ };
    timers.push(entry);
    reschedule();
    return () => {
      remove(entry);
      reschedule();
    };
  };

  return {
    now,
    speed: () => speed,
    setSpeed(next: number): void {
      checkSpeed(next);
      setNow(now());
      speed = next;
      reschedule();
    },
    advance(ms: number): void {
      if (!Number.isFinite(ms) || ms < 0) throw new ClockError(`advance needs a finite ms >= 0, got ${ms}`);
      const target = now() + ms;
      fireDueUpTo(target);
      if (target > now()) setNow(target);
      reschedule();
    },
    at(at: number, fn: () => void): () => void {
      return add({ due: at, fn });
    },
    every(periodMs: number, fn: () => void): () => void {
      if (!Number.isFinite(periodMs) || periodMs <= 0) {
        throw new ClockError(`every needs a period > 0 ms, got ${periodMs}`);
      }
      return add({ due: now() + periodMs, periodMs, fn });
    },
    stop(): void {
      stopped = true;
      if (realTimeout) clearTimeout(realTimeout);
      realTimeout = undefined;
    },
  };
}
