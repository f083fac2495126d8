/**
 * `kafka-vpcep-link emulator`: serve the local cloud and run functions on it. The first stdout line
 * is the connection JSON of INTERFACES.md.
 *
 *   --runtime serverless (default)  the functions of serverless.yml, from the built bundles
 *   --runtime deployed              whatever `serverless deploy` puts into the emulator's FunctionGraph,
 *                                   from the deployed zips, following every redeploy (docs/DEPLOY.md)
 *   --no-runtime                    the cloud APIs only
 */
import { startEmulator } from '../cloud/index.js';
import { startRuntime, waitsForSpeed } from '../runtime/index.js';
import { ensureBundles } from './bundles.js';
import { EXIT, type Io, UsageError } from './common.js';
import { envLines, writeEnvFile } from './env-file.js';

export interface EmulatorCommandOptions {
  port: number;
  host: string;
  speed: number;
  /** Which functions run on the emulator; `false`: none (`--no-runtime`). */
  runtime: RuntimeChoice;
  verbose?: boolean;
  /** Also write `export` lines for the CLI to this file. */
  writeEnv?: string;
  /** Serve Kafka on loopback (brokers, endpoint listeners); see local/cloud/data-plane.ts. */
  dataPlane?: boolean;
  /** No status lines on stderr (function failures still show). */
  quiet?: boolean;
}

export const RUNTIME_SOURCES = ['serverless', 'deployed'] as const;
export type RuntimeChoice = (typeof RUNTIME_SOURCES)[number] | false;

export async function runEmulator(
  options: EmulatorCommandOptions,
  io: Io,
  signal?: AbortSignal,
): Promise<number> {
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65_535) {
    throw new UsageError('--port: must be an integer from 0 to 65535');
  }
  if (!Number.isFinite(options.speed) || options.speed < 0)
    throw new UsageError('--speed: must be a number ≥ 0');
  if (!['127.0.0.1', 'localhost', '::1'].includes(options.host)) {
    throw new UsageError('--host: the emulator only listens on loopback (127.0.0.1, localhost, ::1)');
  }
  const emulator = await startEmulator({
    port: options.port,
    host: options.host,
    speed: options.speed,
    ...(options.dataPlane ? { dataPlane: true } : {}),
  });
  let runtime: Awaited<ReturnType<typeof startRuntime>> | undefined;
  try {
    if (options.runtime) {
      const deployed = options.runtime === 'deployed';
      // Deployed functions bring their own code (the zips `serverless deploy` uploads).
      if (!deployed) await ensureBundles(io);
      runtime = await startRuntime({
        emulator,
        source: options.runtime,
        logSink: options.verbose ? (line) => io.err(line) : () => {},
        userData: waitsForSpeed(options.speed),
      });
      runtime.on('invocation', (e) => {
        // Deploying by hand, one wants to see what runs; timers fire every few seconds on a fast
        // clock, so they show with --verbose only.
        const shown = !options.quiet && (e.trigger !== 'TIMER' || options.verbose);
        if (deployed && e.phase === 'start' && e.attempt === 1 && shown)
          io.err(`▶ ${e.functionName} (${e.trigger})`);
        if (e.phase === 'error')
          io.err(`function ${e.functionName} failed (attempt ${e.attempt}): ${e.error}`);
      });
    }
    // `waits`: the variables that keep a CLI run in direct mode in step with the faster clock (the
    // functions of the local runtime get them already). A frozen clock (speed 0) has none.
    const waits = options.speed > 0 ? waitsForSpeed(options.speed) : undefined;
    if (options.writeEnv) await writeEnvFile(options.writeEnv, envLines(emulator.config(), waits));
    io.out(JSON.stringify({ ...emulator.config(), ...(waits ? { waits } : {}) }));
    if (options.writeEnv && !options.quiet)
      io.err(`CLI set-up written to ${options.writeEnv}: source it in another shell`);
    if (!options.quiet)
      io.err(
        `emulator listening on ${emulator.endpoint} (speed ×${options.speed}${runtime ? (options.runtime === 'deployed' ? ', running what gets deployed' : `, ${runtime.functions.length} functions`) : ', no runtime'}); Ctrl-C to stop`,
      );
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      signal?.addEventListener('abort', stop, { once: true });
    });
  } finally {
    await runtime?.close();
    await emulator.close();
  }
  return EXIT.ok;
}
