import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../../../shared/link/deps.js';
import { nextProbeAt, probeInterval, probeWindow } from '../../../shared/link/schedule.js';

const window = probeWindow(DEFAULT_SETTINGS);

/** Every probe the schedule makes for a resource created at 0, until `acceptedAt` or the deadline. */
function probesUntil(acceptedAt: number, deadline: number): number[] {
  const probes: number[] = [];
  let now = 0;
  for (let probed = false; ; probed = true) {
    const at = nextProbeAt(window, { now, deadline, createdAt: 0, probed });
    if (at === undefined) return probes;
    probes.push(at);
    if (at >= acceptedAt) return probes;
    now = at;
  }
}

describe('the probe schedule', () => {
  it('follows the documented 1–2 minute window at the defaults: none before, 1.5 s inside, 3 s after', () => {
    // Arrange / Act
    const w = probeWindow(DEFAULT_SETTINGS);

    // Assert
    expect(w).toEqual({ startMs: 60_000, endMs: 120_000, denseMs: 1_500, sparseMs: 3_000 });
    expect(probeInterval(w, 30_000)).toBe(3_000);
    expect(probeInterval(w, 60_000)).toBe(1_500);
    expect(probeInterval(w, 119_999)).toBe(1_500);
    expect(probeInterval(w, 120_000)).toBe(3_000);
  });

  it('spends one probe per 1.5 s of the window, then one per 3 s', () => {
    // Act: accepted at the window's start, 2 s into it, half-way, and 30 s after it.
    const counts = [60_000, 62_000, 90_000, 150_000].map((a) => probesUntil(a, 15 * 60_000).length);

    // Assert: 60 s → 1; 62 s → probes at 60, 61.5, 63; 90 s → 60, 61.5, …, 90; 150 s → 60…118.5, then
    // 120…150 by 3.
    expect(counts).toEqual([1, 3, 21, 40 + 11]);
  });

  it('probes nothing when the window opens after the deadline', () => {
    expect(nextProbeAt(window, { now: 0, deadline: 59_999, createdAt: 0, probed: false })).toBeUndefined();
  });

  it('looks once at once when the age of the resources is unknown, then every poll interval', () => {
    expect(nextProbeAt(window, { now: 5, deadline: 0, probed: false })).toBe(5);
    expect(nextProbeAt(window, { now: 5, deadline: 60_000, probed: true })).toBe(3_005);
    expect(nextProbeAt(window, { now: 5, deadline: 1_000, probed: true })).toBe(1_000);
  });

  const settingsArb = fc.record({
    pollIntervalMs: fc.integer({ min: 1, max: 600_000 }),
    firstProbeAfterMs: fc.integer({ min: 0, max: 600_000 }),
  });
  const stateArb = fc.record({
    createdAt: fc.integer({ min: 0, max: 1e9 }),
    age: fc.integer({ min: -1e6, max: 1e7 }),
    budget: fc.integer({ min: -1e6, max: 1e7 }),
    probed: fc.boolean(),
  });

  it('never schedules a probe in the past or beyond the deadline', () => {
    fc.assert(
      fc.property(settingsArb, stateArb, (settings, { createdAt, age, budget, probed }) => {
        const w = probeWindow(settings);
        // Reachable states only: a probe has happened only once the window was open.
        const now = createdAt + (probed ? Math.max(age, w.startMs) : age);
        const deadline = now + budget;
        const at = nextProbeAt(w, { now, deadline, createdAt, probed });
        if (at === undefined) return;
        expect(at).toBeGreaterThanOrEqual(now);
        expect(at).toBeLessThanOrEqual(deadline);
        // Never before the window opens.
        expect(at - createdAt).toBeGreaterThanOrEqual(w.startMs);
      }),
    );
  });

  it('is monotonic: a later moment never gets an earlier next probe', () => {
    fc.assert(
      fc.property(
        settingsArb,
        stateArb,
        fc.integer({ min: 0, max: 1e6 }),
        (settings, { createdAt, age, probed }, later) => {
          const w = probeWindow(settings);
          const deadline = Number.MAX_SAFE_INTEGER;
          const now = createdAt + (probed ? Math.max(age, w.startMs) : age);
          const a = nextProbeAt(w, { now, deadline, createdAt, probed })!;
          const b = nextProbeAt(w, { now: now + later, deadline, createdAt, probed })!;
          expect(b).toBeGreaterThanOrEqual(a);
        },
      ),
    );
  });

  it('uses the dense interval only inside the window', () => {
    fc.assert(
      fc.property(settingsArb, stateArb, (settings, { createdAt, age }) => {
        const w = probeWindow(settings);
        const now = createdAt + Math.max(age, w.startMs);
        const at = nextProbeAt(w, { now, deadline: Number.MAX_SAFE_INTEGER, createdAt, probed: true })!;
        const inside = now - createdAt >= w.startMs && now - createdAt < w.endMs;
        expect(at - now).toBe(inside ? w.denseMs : w.sparseMs);
        expect(w.denseMs).toBeLessThanOrEqual(w.sparseMs);
      }),
    );
  });
});
