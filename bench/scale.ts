/**
 * Section 3: many concurrent link requests against a throttled gateway (10 requests/s per API).
 * All must complete with zero failures; the total time is compared with the lower bound the
 * throttle imposes on the calls the product made (per API: calls ÷ rate, the busiest API wins) and
 * with the cloud's own critical path (service then endpoint creation), whichever is larger.
 */
import { newCloudEvent } from '../shared/events/cloudevents.js';
import { TAG } from '../shared/link/tags.js';
import {
  addInstance,
  type CallCount,
  countCalls,
  EventFeed,
  LogCollector,
  startBenchCloud,
  startBenchRuntime,
  THROTTLE,
  waitFor,
} from './lib/common.js';

/** VPCEP service creation then endpoint creation (local/cloud/vpcep.ts delays), emulated ms. */
const CLOUD_CRITICAL_PATH_MS = 120_000;
/** The API every link passes first, three times: its last call starts the last link's cloud path. */
const SERVICE_CREATE_API = 'POST vpcep /vpc-endpoint-services';

export interface ScaleResult {
  links: number;
  fastPath: boolean;
  /** Async retry delay given to the local host, emulated s (undefined: its default, 200 real ms). */
  retryDelayS?: number;
  brokersPerLink: number;
  ratePerSecond: number;
  completed: number;
  failed: number;
  /**
   * Failed links whose desired state (instance tags) was written before the failure: the reconcile
   * timer (not run here) can still converge them. The rest were lost before anything was recorded;
   * only FunctionGraph's dead-letter record (on the events topic) remains of them.
   */
  recoverableByReconcile: number;
  /** Invocations that failed and were retried by FunctionGraph's async retry. */
  invocationErrors: number;
  /** Async events given up after their retries. */
  givenUp: number;
  totalRealS: number;
  totalEmulatedS: number;
  /** max(busiest API calls ÷ rate, cloud critical path), real s. */
  lowerBoundS: number;
  bottleneckApi: string;
  bottleneckCalls: number;
  /** The same bound counting only calls other than the inline polls (GET list of services/endpoints). */
  lowerBoundWithoutPollsS: number;
  /**
   * A bound that also counts what must follow the last service create: no link's services can all
   * exist before the service-create API has passed every create at `rate`, and the link owning the
   * last one still needs the cloud's own critical path after it (service available, endpoint
   * accepted). Information only: the target is judged on `lowerBoundWithoutPollsS`.
   */
  pipelineBoundS: number;
  ratio: number;
  ratioWithoutPolls: number;
  ratioToPipeline: number;
  calls: CallCount;
  callsPerLink: number;
  /**
   * Steps FunctionGraph gave up after its async retries (a link may still recover through the
   * timer), and `kvl.link.failed` reasons, grouped; then why invocations failed (and were retried).
   */
  failureCauses: Record<string, number>;
  invocationErrorCauses: Record<string, number>;
}

/** `create-services: ThrottledError: dms GET /v2/<project>/instances/<id>: HTTP 429 …` → one bucket. */
function causeOf(text: string): string {
  return text
    .replace(/[0-9a-f]{32}/gi, '{project}')
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, '{id}')
    .replace(/ \(request id [^)]*\)/g, '')
    .replace(/: The throttling threshold.*$/, '')
    .slice(0, 200);
}

function group(texts: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of texts) out[causeOf(t)] = (out[causeOf(t)] ?? 0) + 1;
  return Object.fromEntries(Object.entries(out).sort((a, b) => b[1] - a[1]));
}

/** The instance a (bare or SMN-wrapped) CloudEvent is about. */
function subjectOf(event: unknown): string | undefined {
  const e = event as { subject?: unknown; record?: Array<{ smn?: { message?: unknown } }> } | null;
  if (typeof e?.subject === 'string') return e.subject;
  const message = e?.record?.[0]?.smn?.message;
  if (typeof message !== 'string') return undefined;
  try {
    const inner = JSON.parse(message) as { subject?: unknown };
    return typeof inner.subject === 'string' ? inner.subject : undefined;
  } catch {
    return undefined;
  }
}

/** The inline waits' polls: list calls re-issued every poll interval until a state is reached. */
function isPoll(api: string): boolean {
  return api === 'GET vpcep /vpc-endpoint-services' || api === 'GET vpcep /vpc-endpoints';
}

function bound(byApi: Record<string, number>, rate: number, burst: number, skip: (api: string) => boolean) {
  let api = '';
  let calls = 0;
  for (const [name, n] of Object.entries(byApi)) {
    if (!skip(name) && n > calls) {
      api = name;
      calls = n;
    }
  }
  // The bucket starts full: the first `burst` calls pass at once, the rest at `rate` per second.
  return { api, calls, seconds: Math.max(0, calls - burst) / rate };
}

export async function runScale(options: {
  links: number;
  speed: number;
  fastPath: boolean;
  /** Delay before FunctionGraph's async retry of a failed invocation, emulated s. */
  retryDelayS?: number;
}): Promise<ScaleResult> {
  const { links, speed, fastPath, retryDelayS } = options;
  const brokers = 3;
  const cloud = await startBenchCloud({ speed });
  // FunctionGraph allows 100 concurrent instances per account by default; the local host limits per
  // function, so every link may run each step at once.
  const runtime = await startBenchRuntime(cloud, {
    fastPath,
    concurrency: links,
    // FunctionGraph does not publish its async retry delay; the local host's default is 200 real ms.
    ...(retryDelayS !== undefined ? { retryDelayMs: (retryDelayS * 1000) / speed } : {}),
  });
  const instances = Array.from({ length: links }, (_, i) => addInstance(cloud, `scale-${i}`, brokers));
  const log = new LogCollector(cloud.emulator);
  const startEmu = cloud.now();
  try {
    for (const instance of instances) {
      runtime.invokeAsync(
        'create-services',
        newCloudEvent('kvl.link.requested', {
          source: 'kvl/bench',
          time: Date.now(),
          subject: instance.instanceId,
          data: {
            instanceId: instance.instanceId,
            client: { vpcId: cloud.clientNet.vpcId, subnetId: cloud.clientNet.subnetId },
            options: { securityGroupRule: true },
          },
        }),
      );
    }
    const ids = new Set(instances.map((i) => i.instanceId));
    // Each link's first outcome, kept up to date from the events published since the last look.
    const feed = new EventFeed(cloud);
    const done = new Map<string, { type: string; time: number; reason?: string }>();
    let read = 0;
    const outcomes = () => {
      const events = feed.all();
      for (; read < events.length; read++) {
        const { event, time } = events[read]!;
        if (!event.subject || !ids.has(event.subject) || done.has(event.subject)) continue;
        if (event.type === 'kvl.link.completed' || event.type === 'kvl.link.failed') {
          const reason = (event.data as { reason?: unknown }).reason;
          done.set(event.subject, { type: event.type, time, ...(reason ? { reason: String(reason) } : {}) });
        }
      }
      return done;
    };
    // Links whose step was given up after FunctionGraph's retries: they report nothing by themselves.
    const stuck = () => {
      const out = new Set<string>();
      for (const f of runtime.failures) {
        const subject = subjectOf(f.event);
        if (subject && ids.has(subject)) out.add(subject);
      }
      return out;
    };
    await waitFor(
      () => {
        const done = outcomes();
        if (done.size === links) return true;
        const lost = [...stuck()].filter((id) => !done.has(id)).length;
        return done.size + lost >= links;
      },
      (30 * 60_000) / speed + 10 * 60_000,
      `${links} links`,
    ).catch(() => undefined);
    // The timer re-drives a link stuck between services and endpoints after 5 emulated minutes and
    // re-sends endpoints-accepted for pending links every minute: give the product that chance. Keep
    // waiting while links still complete; stop after 5 emulated minutes (5 ticks) without one.
    for (;;) {
      const before = outcomes().size;
      if (before === links) break;
      const progressed = await waitFor(
        () => outcomes().size > before,
        (5 * 60_000) / speed,
        'late links',
      ).then(
        () => true,
        () => false,
      );
      if (!progressed) break;
    }
    const finalOutcomes = outcomes();
    const entries = log.stop();
    const calls = countCalls(entries);
    const completedTimes = [...finalOutcomes.values()]
      .filter((o) => o.type === 'kvl.link.completed')
      .map((o) => o.time);
    const lastEmu = completedTimes.length > 0 ? Math.max(...completedTimes) : cloud.now();
    // Real time to the last completion: the emulated span divided by the speed (the clock is linear).
    const totalRealS = (lastEmu - startEmu) / speed / 1000;
    const rate = THROTTLE.ratePerSecond;
    const burst = THROTTLE.burst;
    const cloudPathS = CLOUD_CRITICAL_PATH_MS / speed / 1000;
    // The bound covers the calls made until the last completion, the span it is compared with (the
    // waiting for late links goes on polling afterwards).
    const inRun = countCalls(entries.filter((e) => Date.parse(e.time) <= lastEmu)).byApi;
    const all = bound(inRun, rate, burst, () => false);
    const writes = bound(inRun, rate, burst, isPoll);
    const lowerBoundS = Math.max(all.seconds, cloudPathS);
    const lowerBoundWithoutPollsS = Math.max(writes.seconds, cloudPathS);
    const serviceCreates = inRun[SERVICE_CREATE_API] ?? 0;
    const pipelineBoundS = Math.max(
      lowerBoundWithoutPollsS,
      Math.max(0, serviceCreates - burst) / rate + cloudPathS,
    );
    const failedLinks = [...finalOutcomes.values()]
      .filter((o) => o.type === 'kvl.link.failed')
      .map((o) => `kvl.link.failed: ${o.reason ?? ''}`);
    const givenUp = runtime.failures.map((f) => `${f.functionName} given up: ${f.error}`);
    const invocationErrors = runtime.invocations.filter((i) => i.status !== 'ok');
    const declared = (i: (typeof instances)[number]) => i.tags.some((t) => t.key === TAG.clientVpc);
    const recoverableByReconcile = instances.filter(
      (i) => finalOutcomes.get(i.instanceId)?.type !== 'kvl.link.completed' && declared(i),
    ).length;
    return {
      links,
      fastPath,
      ...(retryDelayS !== undefined ? { retryDelayS } : {}),
      brokersPerLink: brokers,
      ratePerSecond: rate,
      completed: completedTimes.length,
      failed: links - completedTimes.length,
      recoverableByReconcile,
      invocationErrors: invocationErrors.length,
      givenUp: runtime.failures.length,
      totalRealS,
      totalEmulatedS: (lastEmu - startEmu) / 1000,
      lowerBoundS,
      bottleneckApi: all.api,
      bottleneckCalls: all.calls,
      lowerBoundWithoutPollsS,
      ratio: totalRealS / lowerBoundS,
      ratioWithoutPolls: totalRealS / lowerBoundWithoutPollsS,
      pipelineBoundS,
      ratioToPipeline: totalRealS / pipelineBoundS,
      calls,
      callsPerLink: calls.calls / links,
      failureCauses: group([...failedLinks, ...givenUp]),
      invocationErrorCauses: group(invocationErrors.map((i) => `${i.functionName}: ${i.error ?? i.status}`)),
    };
  } finally {
    log.stop();
    await runtime.close();
    await cloud.close();
  }
}
