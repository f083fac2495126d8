/**
 * The runtime on the project's own serverless.yml and the bundles `npm run build` produced (the
 * global setup builds them): default paths, real subscriptions, the poll timer.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultServiceModules, type EmulatorHandle, startEmulator } from '../../../local/cloud/index.js';
import { type LocalRuntime, startRuntime } from '../../../local/runtime/index.js';

const dist = fileURLToPath(new URL('../../../dist/functions/', import.meta.url));
const names = [
  'create-services',
  'buy-endpoints',
  'poll-acceptance',
  'patch-listeners',
  'reconcile',
  'unlink',
  'on-instance-created',
  'verify',
];
const built = names.every((n) => existsSync(`${dist}${n}/index.js`));

let emulator: EmulatorHandle | undefined;
let runtime: LocalRuntime | undefined;

afterEach(async () => {
  await runtime?.close();
  await emulator?.close();
  runtime = undefined;
  emulator = undefined;
});

describe.skipIf(!built)('local runtime on the project serverless.yml', () => {
  it('subscribes the chain to the seeded topics and runs the poll timer on the emulator clock', async () => {
    emulator = await startEmulator({ speed: 0, modules: defaultServiceModules() });
    runtime = await startRuntime({ emulator, logSink: () => {} });
    const config = emulator.config();

    expect(runtime.functions.map((f) => f.name).sort()).toEqual([...names].sort());
    const topicOf = (name: string) =>
      runtime?.functions.find((f) => f.name === name)?.triggers.find((t) => t.type === 'SMN')?.detail;
    expect(topicOf('create-services')).toBe(config.topics.linkRequests);
    expect(topicOf('buy-endpoints')).toBe(config.topics.servicesReady);
    expect(topicOf('patch-listeners')).toBe(config.topics.endpointsAccepted);
    // The Kafka alternative of create-services is DISABLED in serverless.yml.
    expect(runtime.functions.find((f) => f.name === 'create-services')?.triggers.map((t) => t.mode)).toEqual([
      'emulated',
      'disabled',
    ]);

    emulator.clock.advance(60_000);
    await runtime.idle();
    const polls = runtime.invocations.filter((r) => r.functionName === 'poll-acceptance');
    expect(polls.length).toBeGreaterThanOrEqual(1);
    expect(polls[0]?.trigger).toBe('TIMER');
  });
});
