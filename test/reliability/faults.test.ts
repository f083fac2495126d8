/**
 * ARCHITECTURE §6 "retry only what is retryable; terminal states end the link with a reason":
 *
 * - transient faults (500, 503, timeouts on 20% of all cloud calls, SMN included) and a 429 storm
 *   (the gateway throttling at 5 requests/s per API): every link completes, nothing duplicated;
 * - terminal faults (an endpoint rejected, a quota exceeded, the instance deleted or broken midway,
 *   DMS refusing the map): the link ends in `kvl.link.failed` naming the cause, no completion, and
 *   the advertised map is either untouched or complete — never partial.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';

vi.mock('../../shared/runtime/link-deps.js', () => import('../helpers/link-deps.mock.js'));

import { startKafkaInstance } from '../../local/cloud/world.js';
import type { CloudEvent } from '../../shared/events/cloudevents.js';
import type { FunctionDeps } from '../../shared/runtime/link-deps.js';
import { Chain } from '../helpers/reliability/chain.js';
import { observe } from '../helpers/reliability/crash.js';
import { firstCompletionIds, linkProblems, partialMapProblems } from '../helpers/reliability/invariants.js';
import { recordSize, seedOr, size, timeout } from '../helpers/reliability/report.js';
import { drainConcurrently, prng, runSchedule } from '../helpers/reliability/schedule.js';

let chain: Chain | undefined;
afterEach(async () => {
  await chain?.close();
  chain = undefined;
});

/**
 * The emulated clock is shared and every wait of every invocation moves it: links handled one after
 * another (or fifty at once) age each other far faster than in a real account, where each function
 * waits on its own. The acceptance timeout is lifted so that this artefact cannot fail a link.
 */
const NO_ACCEPT_TIMEOUT = { KVL_ACCEPT_TIMEOUT_MS: String(24 * 3_600_000) };

function brokerCounts(links: number, seed: number): number[] {
  const random = prng(seed);
  return Array.from({ length: links }, () => 1 + Math.floor(random() * 3));
}

/** Every link linked, at least one completion each, at most one first completion, no failure. */
function allComplete(current: Chain): string[] {
  const outcomes = current.outcomes();
  return current.links.flatMap((link) => {
    const mine = outcomes.filter((e) => e.subject === link.instanceId);
    const problems = linkProblems(current.emulator, link).map((p) => `${link.instanceId}: ${p}`);
    if (!mine.some((e) => e.type === 'kvl.link.completed'))
      problems.push(`${link.instanceId}: no completion`);
    if (firstCompletionIds(mine) > 1) problems.push(`${link.instanceId}: two first completions`);
    const failed = mine.filter((e) => e.type === 'kvl.link.failed');
    if (failed.length > 0) problems.push(`${link.instanceId}: failed ${JSON.stringify(failed[0]?.data)}`);
    return problems;
  });
}

describe('transient faults: every link completes', () => {
  it(
    '20% of all cloud calls answer 500, 503 or time out',
    async () => {
      // Arrange
      const links = size(8, 50);
      const seed = seedOr(2_020);
      chain = await Chain.start({
        brokers: brokerCounts(links, seed),
        idSeed: seed,
        faultSeed: seed,
        userData: NO_ACCEPT_TIMEOUT,
        deps: { timeoutMs: 80 },
      });
      // Applied in order, each to the calls the previous ones spared: 1/15 each, 20% in all.
      chain.addFaults([
        { match: {}, kind: 'status', status: 500, rate: 1 / 15 },
        { match: {}, kind: 'status', status: 503, rate: 1 / 14 },
        { match: {}, kind: 'timeout', rate: 1 / 13 },
      ]);

      // Act
      for (const link of chain.links) await chain.publishRequest(link);
      const run = await runSchedule(chain, prng(seed), {
        copies: 1,
        tickRate: 0.05,
        maxSteps: 20_000,
        settleTimers: ['poll-acceptance', 'reconcile'],
      });
      chain.emulator.clearFaults();
      chain.advance(10 * 60_000);

      // Assert
      const log = chain.emulator.requests();
      const injected = log.filter((r) => r.fault === 'timeout' || r.code === 'EMU.FAULT').length;
      recordSize(import.meta.filename, {
        links,
        cloudCalls: log.length,
        faultsInjected: injected,
        faultRate: Number((injected / log.length).toFixed(3)),
        failedInvocations: run.failedInvocations.length,
        seed,
      });
      expect(allComplete(chain)).toEqual([]);
      expect(injected / log.length).toBeGreaterThan(0.15);
      expect(injected / log.length).toBeLessThan(0.25);
    },
    timeout(60_000, 30 * 60_000),
  );

  it(
    'a 429 storm: the gateway throttles at 5 requests/s per API, clients honour Retry-After',
    async () => {
      // Arrange: the product's own retry policy (4 retries, Retry-After up to 120 s), in real time.
      const links = size(4, 50);
      const seed = seedOr(429);
      chain = await Chain.start({
        brokers: brokerCounts(links, seed),
        idSeed: seed,
        userData: NO_ACCEPT_TIMEOUT,
        deps: { timeoutMs: 15_000, retry: { retries: 4 } },
      });
      chain.emulator.setThrottle({ ratePerSecond: 5 });

      // Act: every link's functions run at the same time, round after round.
      for (const link of chain.links) await chain.publishRequest(link);
      const run = await drainConcurrently(chain);
      chain.emulator.setThrottle(false);
      chain.advance(10 * 60_000);

      // Assert
      const log = chain.emulator.requests();
      const throttled = log.filter((r) => r.status === 429).length;
      recordSize(import.meta.filename, {
        links,
        cloudCalls: log.length,
        throttled,
        failedInvocations: run.failedInvocations.length,
        ratePerSecond: 5,
        seed,
      });
      expect(allComplete(chain)).toEqual([]);
      expect(throttled).toBeGreaterThan(0);
    },
    timeout(90_000, 60 * 60_000),
  );
});

interface TerminalCase {
  name: string;
  /** What the link's failure must say. */
  expect: { code: RegExp; reason: RegExp; field?: string };
  userData?: Record<string, string>;
  arrange?: (chain: Chain) => void;
  /** Acts on the cloud right after a client call of a function returned. */
  midway?: (chain: Chain, call: string, args: unknown[], result: unknown) => void | Promise<void>;
}

async function forceEndpointState(current: Chain, endpointId: string, status: string): Promise<void> {
  const response = await fetch(`${current.config.endpoint}/_emulator/endpoints/${endpointId}/state`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ status, errorCode: 'EndPoint.2044', errorMessage: 'rejected by the test' }),
  });
  if (response.status !== 200) throw new Error(`force state: ${response.status}`);
}

function onceAfter(
  match: (call: string, args: unknown[], result: unknown, running: string | undefined) => boolean,
  act: (chain: Chain, result: unknown) => void | Promise<void>,
): TerminalCase['midway'] {
  let done = false;
  return async (current, call, args, result) => {
    if (done || !match(call, args, result, current.running)) return;
    done = true;
    await act(current, result);
  };
}

function deleteInstance(current: Chain, instanceId: string): void {
  const world = current.emulator.world;
  world.kafkaInstances = world.kafkaInstances.filter((i) => i.instanceId !== instanceId);
}

const TERMINAL: TerminalCase[] = [
  {
    name: 'an endpoint is rejected while buy-endpoints waits for acceptance',
    expect: { code: /^ENDPOINT_REJECTED$/, reason: /rejected/ },
    midway: onceAfter(
      (call) => call === 'vpcep.createEndpoint',
      (current, result) => forceEndpointState(current, (result as { id: string }).id, 'rejected'),
    ),
  },
  {
    name: 'an endpoint is rejected, found by the poll-acceptance timer (fast path off)',
    expect: { code: /^ENDPOINT_REJECTED$/, reason: /rejected/ },
    userData: { KVL_FAST_PATH: 'off' },
    midway: onceAfter(
      (call) => call === 'vpcep.createEndpoint',
      (current, result) => forceEndpointState(current, (result as { id: string }).id, 'rejected'),
    ),
  },
  {
    name: 'an endpoint fails to create',
    expect: { code: /^ENDPOINT_FAILED$/, reason: /failed/ },
    midway: onceAfter(
      (call) => call === 'vpcep.createEndpoint',
      (current, result) => forceEndpointState(current, (result as { id: string }).id, 'failed'),
    ),
  },
  {
    name: 'the endpoint quota is too small for the brokers',
    expect: { code: /^Endpoint\.1018$/, reason: /quota/ },
    arrange: (current) => {
      current.emulator.world.quotas.endpoint = 2;
    },
  },
  {
    name: 'the endpoint service quota is too small for the brokers',
    expect: { code: /^Endpoint\.1018$/, reason: /quota/ },
    arrange: (current) => {
      current.emulator.world.quotas.endpointService = 1;
    },
  },
  {
    name: 'the endpoint quota runs out between the check and the second create',
    expect: { code: /^Endpoint\.1018$/, reason: /quota/i },
    midway: onceAfter(
      (call) => call === 'vpcep.createEndpoint',
      (current) => {
        current.emulator.world.quotas.endpoint = current.emulator.world.endpoints.length;
      },
    ),
  },
  {
    name: 'the instance is deleted after its services were created',
    expect: { code: /^DMS\.00404022$/, reason: /does not exist/, field: 'instanceId' },
    midway: onceAfter(
      (call) => call === 'vpcep.createEndpointService',
      (current) => deleteInstance(current, current.links[0]!.instanceId),
    ),
  },
  {
    name: 'the instance is deleted right before the map is sent',
    expect: { code: /^DMS\.00404022$/, reason: /./ },
    // patch-listeners read the inventory; its next call would be the modify.
    midway: onceAfter(
      (call, _args, _result, running) => running === 'patch-listeners' && call === 'vpcep.listEndpoints',
      (current) => deleteInstance(current, current.links[0]!.instanceId),
    ),
  },
  {
    name: 'the instance breaks (ERROR) midway',
    expect: { code: /^INSTANCE_NOT_RUNNING$/, reason: /ERROR/, field: 'instanceId' },
    midway: onceAfter(
      (call) => call === 'vpcep.createEndpoint',
      (current) => {
        current.instance(current.links[0]!.instanceId).status = 'ERROR';
      },
    ),
  },
  {
    name: 'DMS refuses the advertised map (400)',
    expect: { code: /^DMS\.00400005$/, reason: /./ },
    arrange: (current) =>
      current.addFaults([
        {
          match: { method: 'POST', path: '*/crossvpc/modify' },
          kind: 'status',
          status: 400,
          code: 'DMS.00400005',
        },
      ]),
  },
];

describe('an instance being unfrozen (STARTING) when the link is requested', () => {
  it('is waited for and retried, never failed: the link completes once the instance is RUNNING', async () => {
    // Arrange: STARTING for 8 emulated minutes, longer than one invocation's 300 s budget.
    chain = await Chain.start({ brokers: [3], idSeed: 5, userData: NO_ACCEPT_TIMEOUT });
    const [link] = chain.links;
    startKafkaInstance(chain.instance(link!.instanceId), chain.emulator.clock, 8 * 60_000);

    // Act
    await chain.publishRequest(link!);
    const run = await runSchedule(chain, prng(5), { copies: 1 });
    chain.advance(10 * 60_000);

    // Assert: create-services gave up its budget (retryable) and the retry linked the instance.
    expect(run.failedInvocations.map((r) => r.fn)).toContain('create-services');
    expect(run.failedInvocations.map((r) => String(r.error))).toEqual(
      run.failedInvocations.map(() => expect.stringMatching(/still STARTING/)),
    );
    expect(allComplete(chain)).toEqual([]);
  });
});

describe('terminal faults: kvl.link.failed with the cause, never a partial map', () => {
  for (const c of TERMINAL) {
    it(c.name, async () => {
      // Arrange: every message still delivered twice, the timer ticking.
      const seed = seedOr(66);
      chain = await Chain.start({
        brokers: [3],
        idSeed: seed,
        ...(c.userData ? { userData: c.userData } : {}),
      });
      const current = chain;
      const link = current.links[0]!;
      const original = new Map(
        current.instance(link.instanceId).brokers.map((b) => [b.listenerIp, b.advertisedIp]),
      );
      c.arrange?.(current);
      const midway = c.midway;
      if (midway) {
        current.useDeps((deps: FunctionDeps) =>
          observe(deps, (call, args, result) => midway(current, call, args, result)),
        );
      }

      // Act
      await current.publishRequest(link);
      await runSchedule(current, prng(seed), { copies: 2 });
      current.advance(10 * 60_000);

      // Assert: and once failed, the timers leave it alone (no failure loop: no new event, no write).
      const before = current.outcomes(link.instanceId).length;
      current.emulator.clearRequests();
      for (let i = 0; i < 5; i++) {
        current.advance(60_000);
        await current.tick('poll-acceptance');
        for (const delivery of current.takeNew()) await current.deliver(delivery);
      }
      const laterWrites = current.emulator
        .requests()
        .filter(
          (r) =>
            r.method !== 'GET' &&
            !r.path.includes('/notifications/') &&
            !r.path.includes('resource_instances'),
        );
      expect(current.outcomes(link.instanceId).length - before).toBe(0);
      expect(laterWrites).toEqual([]);
      const outcomes = current.outcomes(link.instanceId);
      const failures = outcomes.filter(
        (e): e is Extract<CloudEvent, { type: 'kvl.link.failed' }> => e.type === 'kvl.link.failed',
      );
      recordSize(import.meta.filename, {
        failedEvents: failures.length,
        deliveriesPerMessage: 2,
        code: failures[0]?.data.code ?? '-',
      });
      expect(outcomes.filter((e) => e.type === 'kvl.link.completed')).toEqual([]);
      expect(failures.length).toBeGreaterThanOrEqual(1);
      for (const failure of failures) {
        expect(failure.data.code).toMatch(c.expect.code);
        expect(failure.data.reason).toMatch(c.expect.reason);
        if (c.expect.field) expect(failure.data.field).toBe(c.expect.field);
      }
      const survivor = current.emulator.world.kafkaInstances.some((i) => i.instanceId === link.instanceId);
      if (survivor) expect(partialMapProblems(current.emulator, link.instanceId, original)).toEqual([]);
    });
  }
});
