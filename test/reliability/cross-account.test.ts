/**
 * Issue #13: the reliability guarantees of same-account links hold for a client in another account,
 * reached through its agency (the emulator's partner). The real handlers run against the frozen-clock
 * emulator; the test plays the queue. Each case checks the emulator's own state: one service and one
 * endpoint per broker, the endpoints in the partner's project and VPC, each broker advertising its
 * own endpoint's IP, exactly one first completion, no failure.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';

vi.mock('../../shared/runtime/link-deps.js', () => import('../helpers/link-deps.mock.js'));

import { Chain } from '../helpers/reliability/chain.js';
import { type CallCounter, instrument, isCrash } from '../helpers/reliability/crash.js';
import { completionProblems, linkProblems, resourcesOf } from '../helpers/reliability/invariants.js';
import { seedOr, size, timeout } from '../helpers/reliability/report.js';
import { prng, runSchedule, type ScheduleOptions } from '../helpers/reliability/schedule.js';

let chain: Chain | undefined;
afterEach(async () => {
  await chain?.close();
  chain = undefined;
});

const SEED = seedOr(1_313);
const USER_DATA = { KVL_ACCEPT_TIMEOUT_MS: String(24 * 3_600_000) };
const ASSUME = '/v3.0/OS-CREDENTIAL/securitytokens';

/** A chain whose links all go to the partner's VPC through its agency. */
async function partnerChain(options: Parameters<typeof Chain.start>[0] = {}): Promise<Chain> {
  const current = await Chain.start({ userData: USER_DATA, ...options });
  const { vpcId, subnetId, domainId, agencyName } = current.config.partner;
  current.links = current.links.map((l) => ({ ...l, client: { vpcId, subnetId, domainId, agencyName } }));
  return current;
}

/** What a clean single run leaves, plus: every endpoint of the link in the partner's project. */
function problemsOf(current: Chain): string[] {
  const outcomes = current.outcomes();
  return current.links.flatMap((link) => {
    const { endpoints } = resourcesOf(current.emulator, link.instanceId);
    return [
      ...linkProblems(current.emulator, link),
      ...completionProblems(current.emulator, outcomes, link.instanceId),
      ...endpoints
        .filter((e) => e.projectId !== current.config.partner.projectId)
        .map((e) => `endpoint ${e.id} in project ${e.projectId}, not the partner's`),
    ].map((p) => `${link.instanceId}: ${p}`);
  });
}

/** Forgets every credential the partner's agency issued: the next call with them gets a 401. */
function revokePartnerCredentials(current: Chain): number {
  const world = current.emulator.world;
  const before = world.temporaryCredentials.length;
  world.temporaryCredentials = world.temporaryCredentials.filter(
    (c) => c.domainId !== current.config.partner.domainId,
  );
  return before - world.temporaryCredentials.length;
}

describe('cross-account links under faults', () => {
  it(
    'assume-role failing transiently (503, more times than one invocation retries) still completes every link',
    async () => {
      // Arrange
      chain = await partnerChain({ brokers: [3, 2], faultSeed: SEED });
      // The clients retry a 503 four times: the first invocation that assumes the agency fails, its
      // redelivery (FunctionGraph's async retry) gets through.
      chain.addFaults([{ match: { method: 'POST', path: ASSUME }, kind: 'status', status: 503, count: 7 }]);

      // Act
      for (const link of chain.links) await chain.publishRequest(link);
      const run = await runSchedule(chain, prng(SEED), { copies: 1 });

      // Assert
      expect(run.failedInvocations.length).toBeGreaterThan(0);
      const faulted = chain.emulator.requests().filter((r) => r.path === ASSUME && r.status === 503);
      expect(faulted).toHaveLength(7);
      expect(problemsOf(chain)).toEqual([]);
    },
    timeout(30_000, 120_000),
  );

  it(
    "the agency's credentials expire and are revoked mid-chain: re-assumed, every link completes",
    async () => {
      // Arrange: the credentials are kept across invocations (a warm instance); the schedule's clock
      // jumps outlive their 15 minutes, and they are also revoked before each delivery, which the
      // clients only learn from a 401.
      chain = await partnerChain({ brokers: [2] });
      const current = chain;
      let revoked = 0;
      const schedule: Partial<ScheduleOptions> = { copies: 1, maxAdvanceMs: 20 * 60_000, advanceRate: 0.3 };

      // Act
      for (const link of current.links) await current.publishRequest(link);
      current.useDeps((deps) => {
        revoked += revokePartnerCredentials(current);
        return deps;
      });
      const run = await runSchedule(current, prng(SEED), schedule);

      // Assert
      expect(revoked).toBeGreaterThan(0);
      const assumed = current.emulator.requests().filter((r) => r.path === ASSUME && r.status === 201);
      expect(assumed.length).toBeGreaterThan(1);
      expect(problemsOf(current)).toEqual([]);
      expect(run.failedInvocations).toEqual([]);
    },
    timeout(30_000, 120_000),
  );
});

describe('cross-account links under redelivery', () => {
  for (const fastPath of ['on', 'off']) {
    it(
      `every chain message delivered twice, fast path ${fastPath}: one endpoint per broker in the partner account`,
      async () => {
        const schedules = size(4, 40);
        const failures: string[] = [];
        for (let i = 0; i < schedules; i++) {
          chain = await partnerChain({
            brokers: [1 + (i % 3), 2],
            idSeed: SEED + i,
            userData: { ...USER_DATA, KVL_FAST_PATH: fastPath },
          });
          for (const link of chain.links) await chain.publishRequest(link);
          const run = await runSchedule(chain, prng(SEED + i), { copies: 2 });
          for (const p of problemsOf(chain)) failures.push(`seed ${SEED + i}: ${p} (${run.trace.join(' ')})`);
          await chain.close();
          chain = undefined;
        }
        expect(failures).toEqual([]);
      },
      timeout(60_000, 20 * 60_000),
    );
  }
});

describe('cross-account links under crashes', () => {
  it(
    'stopped after each cloud call (either account), redelivered: converges through the timer or reconcile',
    async () => {
      const run = async (at?: number) => {
        const counter: CallCounter = { calls: [] };
        chain = await partnerChain({ brokers: [2], idSeed: SEED });
        const current = chain;
        current.useDeps((deps) =>
          instrument(deps, counter, at === undefined ? undefined : { kind: 'throw-after', at }),
        );
        for (const link of current.links) await current.publishRequest(link);
        const schedule = await runSchedule(current, prng(SEED), {
          copies: 1,
          settleTimers: ['poll-acceptance', 'reconcile'],
          settleTicks: 3,
        });
        current.advance(10 * 60_000);
        const outcome = {
          calls: counter.calls,
          crashed: schedule.failedInvocations.some((f) => isCrash(f.error)),
          problems: problemsOf(current).filter((p) => !p.includes('completions with redelivered=false')),
        };
        await current.close();
        chain = undefined;
        return outcome;
      };
      const baseline = await run();
      expect(baseline.problems).toEqual([]);
      expect(baseline.calls.some((c) => c.startsWith('client-vpcep.createEndpoint'))).toBe(true);

      const failures: string[] = [];
      for (let at = 0; at < baseline.calls.length; at++) {
        const outcome = await run(at);
        if (!outcome.crashed) failures.push(`#${at} ${baseline.calls[at]}: the crash did not happen`);
        for (const p of outcome.problems) failures.push(`#${at} ${baseline.calls[at]}: ${p}`);
      }
      expect(failures).toEqual([]);
    },
    timeout(120_000, 20 * 60_000),
  );
});
