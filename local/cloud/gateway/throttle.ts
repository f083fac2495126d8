/** Gateway throttling: a token bucket per AK and API, answered with 429 `APIGW.0308`. */

import { isRecord } from './http.js';
import { EmulatorError, type ThrottleConfig } from './types.js';

const HEX32 = /^[0-9a-f]{32}$/i;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Method + path with ids replaced, the unit a gateway throttles (one "API"). */
export function pathTemplate(path: string): string {
  return path
    .split('/')
    .map((s) => {
      if (HEX32.test(s)) return '{project_id}';
      if (UUID.test(s)) return '{id}';
      if (s.startsWith('urn:')) return '{urn}';
      if (/^\d+$/.test(s)) return '{n}';
      return s;
    })
    .join('/');
}

/** Token bucket per key; refilled on the real clock, since clients back off in real time. */
export class Throttle {
  private readonly buckets = new Map<string, { tokens: number; last: number }>();

  constructor(readonly config: Required<ThrottleConfig>) {}

  /** Returns 0 when allowed, else the seconds to wait. */
  take(key: string): number {
    const now = performance.now();
    const { ratePerSecond, burst } = this.config;
    const bucket = this.buckets.get(key) ?? { tokens: burst, last: now };
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.last) / 1000) * ratePerSecond);
    bucket.last = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / ratePerSecond));
  }
}

export function normalizeThrottle(input: unknown): Required<ThrottleConfig> {
  if (!isRecord(input)) throw new EmulatorError('throttle must be {ratePerSecond, burst?} or {off: true}');
  const rate = Number(input.ratePerSecond);
  if (!Number.isFinite(rate) || rate <= 0) throw new EmulatorError('ratePerSecond must be a number > 0');
  const burst = input.burst === undefined ? Math.max(1, rate) : Number(input.burst);
  if (!Number.isFinite(burst) || burst < 1) throw new EmulatorError('burst must be a number >= 1');
  return { ratePerSecond: rate, burst };
}
