/**
 * A unit harness for one function (functions/<name>/handler.ts): the exported handler itself, middy
 * stack included, invoked the way FunctionGraph invokes it — a FunctionGraph context with the user
 * data serverless.yml sets, and a trigger event (SMN, TIMER or CTS) — against a frozen-clock
 * emulator. Each invocation reports the handler's summary (or its error) and the CloudEvents it
 * published to the emulator's SMN topics.
 *
 * The handler runs rebuilt with `with`: the runtime's and the domain's clock is the emulator's (the
 * function's own `createDeps` takes the runtime's clock), and its dependencies are the function's own,
 * bound to the operations it declares, so no module is replaced.
 */
import { randomUUID } from 'node:crypto';
import { type EmulatorHandle, startEmulator } from '../../local/cloud/index.js';
import { emulatorEnv } from '../../local/commands/env-file.js';
import type { CloudEvent } from '../../shared/events/cloudevents.js';
import type { Clock } from '../../shared/link/deps.js';
import type { LinkRequest } from '../../shared/link/desired.js';
import { createLocalContext } from '../../shared/runtime/context.js';
import type { KvlFunction } from '../../shared/runtime/handler.js';
import type { HandlerSummary } from '../../shared/runtime/middleware/state.js';
import { topicFor } from '../../shared/runtime/publisher.js';

export interface Invocation {
  /** The handler's summary; undefined when it threw (FunctionGraph would retry the event). */
  summary?: HandlerSummary;
  error?: unknown;
  /** The CloudEvents this invocation published, in order. */
  published: CloudEvent[];
}

export interface InvokeOptions {
  /** Added to (or overriding) the user data every function gets. */
  userData?: Record<string, string>;
  /** The function's timeout in emulated ms (default 300 s). */
  timeoutMs?: number;
}

export interface FunctionHarness {
  emulator: EmulatorHandle;
  config: ReturnType<EmulatorHandle['config']>;
  /** The seeded instance linked to the seeded client VPC. */
  request: LinkRequest;
  invoke<D>(handler: KvlFunction<D>, event: unknown, options?: InvokeOptions): Promise<Invocation>;
  /** FunctionGraph's SMN trigger event delivering `event` from the topic its type goes to. */
  smnEvent(event: CloudEvent): Record<string, unknown>;
  /** FunctionGraph's TIMER trigger event; `userEvent` is the trigger's configured text. */
  timerEvent(name: string, userEvent?: string): Record<string, unknown>;
  /** FunctionGraph's CTS trigger event for one trace. */
  ctsEvent(trace: Record<string, unknown>): Record<string, unknown>;
  /** Advances emulated time and lets the state machines catch up. */
  advance(ms: number): void;
  close(): Promise<void>;
}

export async function startFunctionHarness(): Promise<FunctionHarness> {
  const emulator = await startEmulator({ port: 0, speed: 0 });
  const config = emulator.config();
  const clock = emulator.clock;
  const emulatedClock: Clock = {
    now: () => clock.now(),
    sleep: async (ms) => {
      clock.advance(ms);
      emulator.settle();
    },
  };
  // What serverless.yml and the deployment give every function (keys instead of an agency).
  const userData: Record<string, string> = { ...emulatorEnv(config, { keys: true }), KVL_LOG_LEVEL: 'error' };
  const isoNow = () => new Date(clock.now()).toISOString();

  return {
    emulator,
    config,
    request: {
      instanceId: config.world.instanceId,
      client: { vpcId: config.world.clientVpcId, subnetId: config.world.clientSubnetId },
      options: { securityGroupRule: true },
    },
    async invoke(handler, event, options = {}) {
      const before = emulator.world.messages.length;
      const context = createLocalContext({
        functionName: 'under-test',
        timeoutMs: options.timeoutMs ?? 300_000,
        userData: { ...userData, ...options.userData },
        projectId: config.projectId,
        now: () => clock.now(),
      });
      let outcome: Pick<Invocation, 'summary' | 'error'>;
      try {
        const underTest = handler.with({ clock: emulatedClock });
        outcome = { summary: await underTest(event, context) };
      } catch (error) {
        outcome = { error };
      }
      const published = emulator.world.messages.slice(before).map((m) => JSON.parse(m.message) as CloudEvent);
      return { ...outcome, published };
    },
    smnEvent(event) {
      const topicUrn = config.topics[topicFor(event.type)];
      return {
        record: [
          {
            event_version: '1.0',
            event_source: 'smn',
            event_subscription_urn: `${topicUrn}:sub-under-test`,
            smn: {
              topic_urn: topicUrn,
              message_id: randomUUID().replaceAll('-', ''),
              type: 'notification',
              subject: event.type,
              message: JSON.stringify(event),
              message_attributes: null,
              timestamp: isoNow(),
            },
          },
        ],
        functionname: 'under-test',
        requestId: randomUUID(),
        timestamp: new Date(clock.now()).toString(),
      };
    },
    timerEvent(name, userEvent = '') {
      return { trigger_type: 'TIMER', trigger_name: name, user_event: userEvent, time: isoNow() };
    },
    ctsEvent(trace) {
      return { cts: trace };
    },
    advance(ms) {
      clock.advance(ms);
      emulator.settle();
    },
    async close() {
      await emulator.close();
    },
  };
}
