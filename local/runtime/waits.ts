import { DEFAULTS, MIN_POLL_INTERVAL_MS } from '../../shared/runtime/config.js';

/**
 * The functions sleep on the real clock while the emulator's state machines run `speed`× faster.
 * These user-data values keep the functions' own waits in step with the emulated cloud, so a link
 * takes the same emulated time as in the cloud (3 s polls, first check after the documented minute).
 */
export function waitsForSpeed(speed: number): {
  KVL_POLL_INTERVAL_MS: string;
  KVL_FIRST_PROBE_AFTER_MS: string;
} {
  const factor = Math.max(1, speed);
  return {
    KVL_POLL_INTERVAL_MS: String(
      Math.max(MIN_POLL_INTERVAL_MS, Math.round(DEFAULTS.pollIntervalMs / factor)),
    ),
    KVL_FIRST_PROBE_AFTER_MS: firstProbeForSpeed(speed),
  };
}

/** `KVL_FIRST_PROBE_AFTER_MS` for an emulator at `speed`: its 60 s creation delays, in real ms. */
export function firstProbeForSpeed(speed: number): string {
  return String(Math.round(DEFAULTS.firstProbeAfterMs / Math.max(1, speed)));
}
