/**
 * The whole product running locally: the emulator (fast clock) plus the local FunctionGraph runtime
 * running the built bundles of serverless.yml, and a signed SMN client to publish requests with.
 */
import { randomUUID } from 'node:crypto';
import { startEmulator } from '../../local/cloud/index.js';
import type { EmulatorHandle } from '../../local/cloud/server.js';
import { firstProbeForSpeed, type LocalRuntime, startRuntime } from '../../local/runtime/index.js';
import { staticCredentials } from '../../shared/cloud/credentials.js';
import { createCloudHttp } from '../../shared/cloud/http.js';
import { createSmnClient } from '../../shared/cloud/smn.js';
import { type CloudEvent, newCloudEvent, parseCloudEvent } from '../../shared/events/cloudevents.js';

export interface RuntimeCloud {
  emulator: EmulatorHandle;
  runtime: LocalRuntime;
  config: ReturnType<EmulatorHandle['config']>;
  /** Publishes a link request (data as given, unvalidated) to the link-requests topic; returns its id. */
  publishLinkRequest(data: unknown): Promise<string>;
  /** Publishes an unlink request to the unlink-requests topic; returns its id. */
  publishUnlinkRequest(instanceId: string): Promise<string>;
  /** Events on the events topic, parsed. */
  events(): CloudEvent[];
  /** Waits for a completion or failure correlated with `requestId`. */
  outcome(requestId: string, timeoutMs?: number): Promise<CloudEvent>;
  close(): Promise<void>;
}

export async function startRuntimeCloud(
  options: {
    speed?: number;
    userData?: Record<string, string>;
    functionTimeoutMs?: Record<string, number>;
  } = {},
): Promise<RuntimeCloud> {
  const speed = options.speed ?? 200;
  const emulator = await startEmulator({ port: 0, speed });
  const runtime = await startRuntime({
    emulator,
    logSink: () => {},
    retryDelayMs: 20,
    ...(options.functionTimeoutMs ? { functionTimeoutMs: options.functionTimeoutMs } : {}),
    userData: {
      KVL_POLL_INTERVAL_MS: '100',
      KVL_FIRST_PROBE_AFTER_MS: firstProbeForSpeed(speed),
      KVL_LOG_LEVEL: 'error',
      ...options.userData,
    },
  });
  const config = emulator.config();
  const smn = createSmnClient(
    createCloudHttp({
      service: 'smn',
      region: config.region,
      projectId: config.projectId,
      credentials: staticCredentials({ ak: config.ak, sk: config.sk }),
      baseUrl: config.endpoint,
    }),
  );
  const events = () =>
    emulator.world.messages
      .filter((m) => m.topicUrn === config.topics.events)
      .flatMap((m) => {
        try {
          return [parseCloudEvent(JSON.parse(m.message)) as CloudEvent];
        } catch {
          return [];
        }
      });
  return {
    emulator,
    runtime,
    config,
    async publishLinkRequest(data) {
      // Built by hand (not newCloudEvent) so tests can send invalid data through the real transport.
      const event = {
        specversion: '1.0',
        id: randomUUID(),
        source: 'kvl/test',
        type: 'kvl.link.requested',
        ...(typeof data === 'object' && data !== null && 'instanceId' in data
          ? { subject: data.instanceId }
          : {}),
        time: new Date().toISOString(),
        datacontenttype: 'application/json',
        data,
      };
      await smn.publish(config.topics.linkRequests, { subject: event.type, message: JSON.stringify(event) });
      return event.id;
    },
    async publishUnlinkRequest(instanceId) {
      const event = newCloudEvent('kvl.link.unlink-requested', {
        source: 'kvl/test',
        time: Date.now(),
        data: { instanceId },
      });
      await smn.publish(config.topics.unlinkRequests, {
        subject: event.type,
        message: JSON.stringify(event),
      });
      return event.id;
    },
    events,
    async outcome(requestId, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const found = events().find(
          (e) =>
            e.correlationid === requestId &&
            (e.type === 'kvl.link.completed' || e.type === 'kvl.link.failed'),
        );
        if (found) return found;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      throw new Error(`no outcome for ${requestId} within ${timeoutMs} ms`);
    },
    async close() {
      await runtime.close();
      await emulator.close();
    },
  };
}
