import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type EmulatorHandle, startEmulator } from '../../../local/cloud/server.js';
import { adminCall, cloudCall, ownerCredentials } from '../../helpers/emulator-calls.js';

let emu: EmulatorHandle;
let topicsPath: string;

beforeAll(async () => {
  emu = await startEmulator({ speed: 0, modules: [] });
  topicsPath = `/v2/${emu.seed!.owner.projectId}/notifications/topics`;
});
afterEach(async () => {
  await adminCall(emu, 'DELETE', 'faults');
  await adminCall(emu, 'POST', 'throttle', { off: true });
});
afterAll(async () => {
  await emu.close();
});

const listTopics = (e: EmulatorHandle = emu) =>
  cloudCall(e, { method: 'GET', path: topicsPath, credentials: ownerCredentials(e) });

describe('fault injection', () => {
  it('answers a status fault in the service error shape for `count` matching calls, without touching state', async () => {
    const added = await adminCall(emu, 'POST', 'faults', {
      match: { method: 'POST', path: '/v2/*/notifications/topics' },
      kind: 'status',
      status: 503,
      code: 'SMN.0503',
      count: 2,
    });
    expect(added.status).toBe(201);
    const create = () =>
      cloudCall(emu, {
        method: 'POST',
        path: topicsPath,
        body: { name: 'kvl-faulty', display_name: 'kvl-faulty' },
        credentials: ownerCredentials(emu),
      });
    const first = await create();
    expect(first.status).toBe(503);
    expect(first.json).toEqual({
      request_id: first.headers['x-request-id'],
      code: 'SMN.0503',
      message: 'Injected fault',
    });
    expect(emu.world.topics.some((t) => t.name === 'kvl-faulty')).toBe(false);
    expect((await listTopics()).status).toBe(200); // GET does not match the fault
    expect((await create()).status).toBe(503);
    expect((await create()).status).toBe(201);
    expect((await adminCall(emu, 'GET', 'faults')).json.faults).toEqual([]);
  });

  it('matches paths by regular expression when the pattern starts with ^', async () => {
    await adminCall(emu, 'POST', 'faults', {
      match: { path: '^/v2/[0-9a-f]{32}/notifications/topics$' },
      kind: 'status',
      status: 500,
    });
    expect((await listTopics()).status).toBe(500);
  });

  it('applies a rate fault reproducibly for a given seed', async () => {
    const run = async () => {
      await adminCall(emu, 'DELETE', 'faults');
      await adminCall(emu, 'POST', 'faults', {
        seed: 42,
        faults: [{ match: { path: '*/notifications/topics' }, kind: 'status', status: 500, rate: 0.5 }],
      });
      const statuses: number[] = [];
      for (let i = 0; i < 20; i++) statuses.push((await listTopics()).status);
      return statuses;
    };
    const a = await run();
    const b = await run();
    expect(a).toEqual(b);
    expect(a).toContain(500);
    expect(a).toContain(200);
  });

  it('holds a request on a timeout fault until the client gives up', async () => {
    await adminCall(emu, 'POST', 'faults', { match: { path: '*/topics' }, kind: 'timeout', count: 1 });
    await expect(
      cloudCall(emu, { method: 'GET', path: topicsPath, credentials: ownerCredentials(emu), timeoutMs: 200 }),
    ).rejects.toThrow(/client timeout/);
    const log = (await adminCall(emu, 'GET', 'requests')).json;
    expect(log.at(-1)).toMatchObject({ status: 0, fault: 'timeout' });
    expect((await listTopics()).status).toBe(200);
  });

  it('commits a drop-after-commit call but hangs up without a reply', async () => {
    await adminCall(emu, 'POST', 'faults', {
      match: { method: 'POST' },
      kind: 'drop-after-commit',
      count: 1,
    });
    await expect(
      cloudCall(emu, {
        method: 'POST',
        path: topicsPath,
        body: { name: 'kvl-committed', display_name: 'kvl-committed' },
        credentials: ownerCredentials(emu),
      }),
    ).rejects.toThrow(/socket hang up/);
    expect(emu.world.topics.some((t) => t.name === 'kvl-committed')).toBe(true);
    const log = (await adminCall(emu, 'GET', 'requests')).json;
    expect(log.at(-1)).toMatchObject({ method: 'POST', status: 0, fault: 'drop-after-commit' });
  });

  it('refuses an invalid fault', async () => {
    const res = await adminCall(emu, 'POST', 'faults', { match: {}, kind: 'explode' });
    expect(res.status).toBe(400);
  });
});

describe('throttling', () => {
  it('is off by default', async () => {
    for (let i = 0; i < 30; i++) expect((await listTopics()).status).toBe(200);
  });

  it('answers 429 APIGW.0308 with Retry-After once the burst is used up', async () => {
    const set = await adminCall(emu, 'POST', 'throttle', { ratePerSecond: 0.01, burst: 3 });
    expect(set.json).toEqual({ throttle: { ratePerSecond: 0.01, burst: 3 } });
    for (let i = 0; i < 3; i++) expect((await listTopics()).status).toBe(200);
    const limited = await listTopics();
    expect(limited.status).toBe(429);
    expect(limited.json).toEqual({
      error_code: 'APIGW.0308',
      error_msg:
        'The throttling threshold has been reached: policy user over ratelimit, limit:0.01, time:1 second',
      request_id: limited.headers['x-request-id'],
    });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);

    // Buckets are per API: another path of the same AK is not limited.
    const other = await cloudCall(emu, {
      method: 'GET',
      path: `/v2/${emu.seed!.owner.projectId}/notifications/subscriptions`,
      credentials: ownerCredentials(emu),
    });
    expect(other.status).toBe(200);
  });

  it('is configured at start and refills over real time', async () => {
    // Only performance.now (the buckets' clock) is faked: sockets and timers stay real.
    vi.useFakeTimers({ toFake: ['performance'] });
    const throttled = await startEmulator({
      speed: 0,
      modules: [],
      throttle: { ratePerSecond: 10, burst: 1 },
    });
    try {
      expect((await listTopics(throttled)).status).toBe(200);
      expect((await listTopics(throttled)).status).toBe(429);
      vi.advanceTimersByTime(90);
      expect((await listTopics(throttled)).status).toBe(429);
      vi.advanceTimersByTime(60);
      expect((await listTopics(throttled)).status).toBe(200);
    } finally {
      await throttled.close();
      vi.useRealTimers();
    }
  });
});
