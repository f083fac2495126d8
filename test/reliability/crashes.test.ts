/**
 * ARCHITECTURE §6 "safe under crashes between any two API calls": the chain is run once to enumerate its
 * cloud calls, then once per call with the invocation stopped right there, and redelivered (what
 * FunctionGraph's async retry does with a function that died). Three ways to stop:
 *
 * - `throw-after`: the call returned, then the function dies (every client call, reads included);
 * - `drop-after-commit`, client gives up: the emulator commits the write and drops the reply, and the
 *   client does not retry (the invocation fails on the network error);
 * - `drop-after-commit`, client retries: the same, but the HTTP client re-sends the write itself (a
 *   create runs twice in the cloud), except the creates it must not send twice (`idempotent: false`:
 *   endpoints, network ACL rules), whose step looks for their result first.
 *
 * Every run must converge — through the redelivery, the poll-acceptance timer or reconcile — to the
 * single-run result: one service and one endpoint per broker, the right map, one rule, no failure.
 */
import { afterEach, describe, expect, it } from 'vitest';

import { Chain } from '../helpers/reliability/chain.js';
import {
  type CallCounter,
  type CrashMode,
  instrument,
  isCrash,
  isWrite,
} from '../helpers/reliability/crash.js';
import {
  firstCompletionIds,
  linkProblems,
  resourcesOf,
  securityGroupRules,
} from '../helpers/reliability/invariants.js';
import { recordSize, seedOr, size, timeout } from '../helpers/reliability/report.js';
import { prng, runSchedule, type ScheduleOptions } from '../helpers/reliability/schedule.js';

let chain: Chain | undefined;
afterEach(async () => {
  await chain?.close();
  chain = undefined;
});

const SEED = seedOr(31_337);
const SCHEDULE: Partial<ScheduleOptions> = {
  copies: 1,
  settleTimers: ['poll-acceptance', 'reconcile'],
  settleTicks: 3,
};

type Kind = 'throw-after' | 'drop-giving-up' | 'drop-retrying';

interface Outcome {
  problems: string[];
  crashed: boolean;
  firstCompletions: number;
  droppedOn?: string;
}

function modeFor(kind: Kind, at: number, current: Chain): CrashMode {
  return kind === 'throw-after'
    ? { kind, at }
    : { kind: 'drop-after-commit', at, emulator: current.emulator };
}

/** One link run with the invocation stopped at call `at` (undefined: no crash, just count). */
async function linkRun(kind: Kind, brokers: number, at?: number): Promise<Outcome & { calls: string[] }> {
  const counter: CallCounter = { calls: [] };
  chain = await Chain.start({
    brokers: [brokers],
    idSeed: SEED,
    ...(kind === 'drop-giving-up' ? { deps: { retry: { retries: 0 } } } : {}),
  });
  const current = chain;
  const filter = kind === 'throw-after' ? () => true : isWrite;
  current.useDeps((deps) =>
    instrument(deps, counter, at === undefined ? undefined : modeFor(kind, at, current), filter),
  );
  for (const link of current.links) await current.publishRequest(link);
  const run = await runSchedule(current, prng(SEED), SCHEDULE);
  current.advance(10 * 60_000);

  const link = current.links[0]!;
  const outcomes = current.outcomes(link.instanceId);
  const completions = outcomes.filter((e) => e.type === 'kvl.link.completed');
  const firsts = firstCompletionIds(completions);
  const problems = [...linkProblems(current.emulator, link)];
  if (completions.length === 0) problems.push('no completion');
  if (firsts > 1) problems.push(`${firsts} completions with redelivered=false`);
  const failed = outcomes.filter((e) => e.type === 'kvl.link.failed');
  if (failed.length > 0) problems.push(`failed: ${JSON.stringify(failed.map((f) => f.data))}`);
  // No endpoint is ever bought twice: a lost reply is looked for, a redelivery lists first.
  const endpointCreates = current.emulator
    .requests()
    .filter(
      (r) =>
        r.method === 'POST' &&
        r.path.endsWith('/vpc-endpoints') &&
        (r.status === 200 || r.fault === 'drop-after-commit'),
    ).length;
  if (endpointCreates !== brokers) {
    problems.push(`${endpointCreates} endpoint creates carried out for ${brokers} brokers`);
  }
  const dropped = current.emulator.requests().find((r) => r.fault === 'drop-after-commit');
  const crashed =
    kind === 'throw-after' ? run.failedInvocations.some((f) => isCrash(f.error)) : dropped !== undefined;
  const result = {
    problems,
    crashed,
    firstCompletions: firsts,
    calls: counter.calls,
    ...(dropped ? { droppedOn: `${dropped.method} ${dropped.path}` } : {}),
  };
  await current.close();
  chain = undefined;
  return result;
}

describe('crashes during a link: stopped after each cloud call, then redelivered', () => {
  for (const kind of ['throw-after', 'drop-giving-up', 'drop-retrying'] as const) {
    it(
      `${kind}: every crash point converges to one service and one endpoint per broker and the right map`,
      async () => {
        // Arrange: enumerate the calls of a clean run.
        const brokers = size(3, 5);
        const baseline = await linkRun(kind, brokers);
        expect(baseline.problems).toEqual([]);
        const points = baseline.calls.length;
        expect(points).toBeGreaterThan(kind === 'throw-after' ? 30 : 10);

        // Act: one run per crash point.
        const failures: string[] = [];
        let zeroFirst = 0;
        for (let at = 0; at < points; at++) {
          const outcome = await linkRun(kind, brokers, at);
          if (outcome.firstCompletions === 0) zeroFirst++;
          if (!outcome.crashed) failures.push(`#${at} ${baseline.calls[at]}: the crash did not happen`);
          if (outcome.droppedOn?.startsWith('GET')) {
            failures.push(`#${at} ${baseline.calls[at]}: the reply of a read was dropped`);
          }
          for (const problem of outcome.problems) {
            failures.push(`#${at} ${baseline.calls[at]} (seed ${SEED}): ${problem}`);
          }
        }

        // Assert
        recordSize(import.meta.filename, {
          crashPoints: points,
          brokers,
          completionsAllRedelivered: zeroFirst,
          seed: SEED,
        });
        expect(failures).toEqual([]);
      },
      timeout(60_000, 20 * 60_000),
    );
  }
});

describe('crashes during an unlink', () => {
  it(
    'throw-after each client call of unlink: nothing left behind, the original map restored',
    async () => {
      // Arrange
      const brokers = size(3, 5);
      const runUnlink = async (at?: number) => {
        const counter: CallCounter = { calls: [] };
        chain = await Chain.start({ brokers: [brokers], idSeed: SEED });
        const current = chain;
        const link = current.links[0]!;
        const original = current.instance(link.instanceId).brokers.map((b) => ({ ...b }));
        await current.publishRequest(link);
        await runSchedule(current, prng(SEED), SCHEDULE);
        const linked = linkProblems(current.emulator, link);
        current.useDeps((deps) =>
          instrument(deps, counter, at === undefined ? undefined : { kind: 'throw-after', at }),
        );
        const event = {
          specversion: '1.0',
          id: `unlink-${link.instanceId}`,
          source: 'kvl/reliability-test',
          type: 'kvl.link.unlink-requested',
          subject: link.instanceId,
          time: new Date().toISOString(),
          data: { instanceId: link.instanceId },
        };
        await current.publishRaw(current.config.topics.unlinkRequests, event.type, JSON.stringify(event));
        const run = await runSchedule(current, prng(SEED + 1), SCHEDULE);
        current.advance(10 * 60_000);
        const { instance, services, endpoints } = resourcesOf(current.emulator, link.instanceId);
        const problems = linked.map((p) => `before unlink: ${p}`);
        if (services.length > 0) problems.push(`${services.length} services left`);
        if (endpoints.length > 0) problems.push(`${endpoints.length} endpoints left`);
        if (JSON.stringify(instance.brokers) !== JSON.stringify(original)) problems.push('map not restored');
        const tags = instance.tags.filter((t) => t.key.startsWith('kvl-')).map((t) => t.key);
        if (tags.length > 0) problems.push(`tags left: ${tags.join(',')}`);
        if (securityGroupRules(current.emulator, instance.securityGroupId).length > 0)
          problems.push('security group rule left');
        const outcomes = current.outcomes(link.instanceId);
        if (!outcomes.some((e) => e.type === 'kvl.link.removed')) problems.push('no kvl.link.removed');
        const failed = outcomes.filter((e) => e.type === 'kvl.link.failed');
        if (failed.length > 0) problems.push(`failed: ${JSON.stringify(failed.map((f) => f.data))}`);
        const crashed = run.failedInvocations.some((f) => isCrash(f.error));
        await current.close();
        chain = undefined;
        return { problems, calls: counter.calls, crashed };
      };
      const baseline = await runUnlink();
      expect(baseline.problems).toEqual([]);

      // Act
      const failures: string[] = [];
      for (let at = 0; at < baseline.calls.length; at++) {
        const outcome = await runUnlink(at);
        if (!outcome.crashed) failures.push(`#${at} ${baseline.calls[at]}: the crash did not happen`);
        for (const problem of outcome.problems) failures.push(`#${at} ${baseline.calls[at]}: ${problem}`);
      }

      // Assert
      recordSize(import.meta.filename, { crashPoints: baseline.calls.length, brokers, seed: SEED });
      expect(failures).toEqual([]);
    },
    timeout(60_000, 20 * 60_000),
  );
});
