/**
 * Test harness for the local FunctionGraph host: an emulator with a frozen clock (tests move it) and
 * a runtime over the hand-written bundles of test/fixtures/functions.
 */
import { fileURLToPath } from 'node:url';
import { type EmulatorHandle, type EmulatorOptions, startEmulator } from '../../local/cloud/index.js';
import { type LocalRuntime, type RuntimeOptions, startRuntime } from '../../local/runtime/index.js';
import { cloudCall, ownerCredentials } from './emulator-calls.js';

export const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));
export const TEST_SERVERLESS = `${FIXTURES}serverless.test.yml`;
export const TEST_DIST = `${FIXTURES}functions`;

/** 2026-11-25T08:59:00Z: one minute before an hour, so hourly and minutely timers meet at 09:00. */
export const START = Date.UTC(2026, 10, 25, 8, 59, 0);

export interface Harness {
  emulator: EmulatorHandle;
  runtime: LocalRuntime;
  logs: string[];
  close(): Promise<void>;
}

export async function startHarness(
  runtimeOptions: Partial<RuntimeOptions> = {},
  emulatorOptions: EmulatorOptions = {},
): Promise<Harness> {
  const emulator = await startEmulator({ speed: 0, start: START, ...emulatorOptions });
  const logs: string[] = [];
  try {
    const runtime = await startRuntime({
      emulator,
      serverlessPath: TEST_SERVERLESS,
      distDir: TEST_DIST,
      retryDelayMs: 10,
      logSink: (line) => logs.push(line),
      ...runtimeOptions,
    });
    return {
      emulator,
      runtime,
      logs,
      async close() {
        await runtime.close();
        await emulator.close();
      },
    };
  } catch (error) {
    await emulator.close();
    throw error;
  }
}

/** Publishes through the emulator's real SMN API, signed with the owner's permanent AK/SK. */
export async function publish(
  emulator: EmulatorHandle,
  topicUrn: string,
  message: string,
  subject = 'test',
): Promise<string> {
  const projectId = emulator.config().projectId;
  const result = await cloudCall(emulator, {
    method: 'POST',
    path: `/v2/${projectId}/notifications/topics/${topicUrn}/publish`,
    body: { subject, message },
    credentials: ownerCredentials(emulator),
  });
  if (result.status !== 200) throw new Error(`publish failed: ${result.status} ${result.text}`);
  return result.json.message_id as string;
}

/** Results of the successful attempts of one function. */
export function resultsOf(runtime: LocalRuntime, functionName: string): any[] {
  return runtime.invocations
    .filter((r) => r.functionName === functionName && r.status === 'ok')
    .map((r) => r.result);
}

/** Waits (real time) until `predicate` holds; for tests that run the clock by real time. */
export async function waitFor(predicate: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
