import { afterEach, describe, expect, it } from 'vitest';
import { ClockError, createClock } from '../../../local/cloud/clock.js';
import type { EmuClock } from '../../../local/cloud/types.js';

const START = Date.UTC(2026, 10, 25, 8, 0, 0);
const clocks: EmuClock[] = [];
function clock(speed: number, start = START): EmuClock {
  const c = createClock({ speed, start });
  clocks.push(c);
  return c;
}

afterEach(() => {
  for (const c of clocks.splice(0)) c.stop();
});

describe('emulator clock', () => {
  it('is frozen at speed 0 and moves only by advance', () => {
    const c = clock(0);
    expect(c.now()).toBe(START);
    c.advance(1500);
    expect(c.now()).toBe(START + 1500);
  });

  it('fires timers on advance in due order, each seeing its own due time', () => {
    const c = clock(0);
    const fired: Array<[string, number]> = [];
    c.at(START + 300, () => fired.push(['c', c.now()]));
    c.at(START + 100, () => fired.push(['a', c.now()]));
    c.at(START + 200, () => fired.push(['b', c.now()]));
    c.at(START + 5_000, () => fired.push(['late', c.now()]));
    c.advance(1_000);
    expect(fired).toEqual([
      ['a', START + 100],
      ['b', START + 200],
      ['c', START + 300],
    ]);
    expect(c.now()).toBe(START + 1_000);
  });

  it('fires timers scheduled by a timer within the same advance', () => {
    const c = clock(0);
    const fired: number[] = [];
    c.at(START + 100, () => {
      fired.push(c.now());
      c.at(c.now() + 50, () => fired.push(c.now()));
    });
    c.advance(200);
    expect(fired).toEqual([START + 100, START + 150]);
  });

  it('repeats every() timers and cancels them', () => {
    const c = clock(0);
    let n = 0;
    const cancel = c.every(1_000, () => n++);
    c.advance(3_500);
    expect(n).toBe(3);
    cancel();
    c.advance(5_000);
    expect(n).toBe(3);
  });

  it('cancels one-shot timers', () => {
    const c = clock(0);
    let fired = false;
    const cancel = c.at(START + 10, () => {
      fired = true;
    });
    cancel();
    c.advance(100);
    expect(fired).toBe(false);
  });

  it('runs at speed and keeps time continuous across a speed change', async () => {
    const c = clock(1000);
    await new Promise((r) => setTimeout(r, 20));
    const fast = c.now() - START;
    expect(fast).toBeGreaterThanOrEqual(15_000);
    c.setSpeed(0);
    const frozenAt = c.now();
    await new Promise((r) => setTimeout(r, 10));
    expect(c.now()).toBe(frozenAt);
    expect(frozenAt - START).toBeGreaterThanOrEqual(fast);
  });

  it('fires timers on real time, rescheduled when the speed changes', async () => {
    const c = clock(0);
    const fired = new Promise<number>((resolve) => c.at(START + 60_000, () => resolve(c.now())));
    // Frozen: a minute of emulated time would never pass; at 100000x it passes in under a ms.
    c.setSpeed(100_000);
    const at = await fired;
    expect(at).toBeGreaterThanOrEqual(START + 60_000);
  });

  it('rejects a negative speed or advance', () => {
    const c = clock(0);
    expect(() => c.setSpeed(-1)).toThrow(ClockError);
    expect(() => c.advance(-5)).toThrow(ClockError);
  });
});
