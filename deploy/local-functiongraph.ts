/**
 * A local FunctionGraph to deploy to: the emulator, plus the local runtime running whatever
 * `serverless deploy` puts into it (from the deployed zips, following every redeploy), instead of
 * the functions of serverless.yml that `kafka-vpcep-link emulator` runs. This is how docs/DEPLOY.md
 * tries the deployment without an account:
 *
 *   npm run emulator:functiongraph -- --write-env .serverless/emulator.env   (terminal 1)
 *   source .serverless/emulator.env && npx serverless deploy --stage demo   (terminal 2)
 *
 * The first stdout line is the same connection JSON as `kafka-vpcep-link emulator`'s (INTERFACES.md),
 * plus `env`: the variables to export. `--write-env` writes them as a shell script (with the seeded
 * instance and client VPC as KVL_DEMO_*). Runs until SIGINT/SIGTERM.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { startEmulator } from '../local/cloud/index.js';
import { startRuntime, waitsForSpeed } from '../local/runtime/index.js';

function number(name: string, integer: boolean) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < 0 || (integer && !Number.isInteger(n))) {
      throw new InvalidArgumentError(`${name} must be a${integer ? 'n integer' : ' number'} ≥ 0`);
    }
    return n;
  };
}

const program = new Command('local-functiongraph')
  .description('the emulator, running the functions deployed to its FunctionGraph')
  .option('--port <n>', 'port; 0 picks a free one', number('--port', true), 0)
  .option('--speed <x>', 'emulated time runs this many times faster', number('--speed', false), 20)
  .option('--write-env <path>', 'also write the variables to export to this file, as a shell script')
  .option('--verbose', "show the functions' log lines on stderr")
  .parse();

const options = program.opts<{ port: number; speed: number; writeEnv?: string; verbose?: boolean }>();
const emulator = await startEmulator({ port: options.port, host: '127.0.0.1', speed: options.speed });
const runtime = await startRuntime({
  emulator,
  source: 'deployed',
  logSink: options.verbose ? (line) => process.stderr.write(`${line}\n`) : () => {},
  // Polls inside a function keep pace with the faster clock, as with `kafka-vpcep-link emulator`.
  userData: {
    ...waitsForSpeed(options.speed),
    // The functions' own JSON log lines: only problems, unless asked for everything.
    KVL_LOG_LEVEL: options.verbose ? 'info' : 'warn',
  },
});
runtime.on('invocation', (event) => {
  // Timers fire every few seconds on a fast clock: shown with --verbose only.
  const shown = event.trigger !== 'TIMER' || options.verbose;
  if (shown && event.phase === 'start' && event.attempt === 1) {
    process.stderr.write(`▶ ${event.functionName} (${event.trigger})\n`);
  }
  if (event.phase === 'error') {
    process.stderr.write(`✖ ${event.functionName} failed (attempt ${event.attempt}): ${event.error}\n`);
  }
});
const config = emulator.config();
const env = {
  HUAWEICLOUD_ENDPOINT: config.endpoint,
  HUAWEICLOUD_REGION: config.region,
  HUAWEICLOUD_SDK_PROJECT_ID: config.projectId,
  HUAWEICLOUD_SDK_AK: config.ak,
  HUAWEICLOUD_SDK_SK: config.sk,
  KVL_TOPIC_LINK_REQUESTS: config.topics.linkRequests,
  KVL_TOPIC_SERVICES_READY: config.topics.servicesReady,
  KVL_TOPIC_ENDPOINTS_ACCEPTED: config.topics.endpointsAccepted,
  KVL_TOPIC_UNLINK_REQUESTS: config.topics.unlinkRequests,
  KVL_TOPIC_EVENTS: config.topics.events,
};
// The emulator's own, throw-away keys: printing them is what makes the local cloud usable.
process.stdout.write(`${JSON.stringify({ ...config, env })}\n`);
if (options.writeEnv) {
  mkdirSync(dirname(options.writeEnv), { recursive: true });
  const demo = {
    KVL_DEMO_INSTANCE_ID: config.world.instanceId,
    KVL_DEMO_CLIENT_VPC_ID: config.world.clientVpcId,
    KVL_DEMO_CLIENT_SUBNET_ID: config.world.clientSubnetId,
  };
  const lines = Object.entries({ ...env, ...demo }).map(([key, value]) => `export ${key}='${value}'`);
  writeFileSync(
    options.writeEnv,
    `# local FunctionGraph (emulator) on ${config.endpoint}\n${lines.join('\n')}\n`,
  );
}
process.stderr.write(
  `local FunctionGraph on ${config.endpoint} (speed ×${options.speed}); deploy with HUAWEICLOUD_ENDPOINT=${config.endpoint}; Ctrl-C to stop\n`,
);
await new Promise<void>((resolve) => {
  process.once('SIGINT', () => resolve());
  process.once('SIGTERM', () => resolve());
});
await runtime.close();
await emulator.close();
