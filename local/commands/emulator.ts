/**
 * `kafka-vpcep-link emulator`: serve the local cloud (and, unless `--no-runtime`, run the functions
 * of serverless.yml on it). The first stdout line is the connection JSON of INTERFACES.md.
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
  runtime: boolean;
  verbose?: boolean;
  /** Also write `export` lines for the CLI to this file. */
  writeEnv?: string;
  /** Serve Kafka on loopback (brokers, endpoint listeners); see local/cloud/data-plane.ts. */
  dataPlane?: boolean;
}

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
      await ensureBundles(io);
      runtime = await startRuntime({
        emulator,
        logSink: options.verbose ? (line) => io.err(line) : () => {},
        userData: waitsForSpeed(options.speed),
      });
      runtime.on('invocation', (e) => {
        if (e.phase === 'error')
          io.err(`function ${e.functionName} failed (attempt ${e.attempt}): ${e.error}`);
      });
    }
    // `waits`: the variables that keep a CLI run in direct mode in step with the faster clock (the
    // functions of the local runtime get them already). A frozen clock (speed 0) has none.
    const waits = options.speed > 0 ? waitsForSpeed(options.speed) : undefined;
    if (options.writeEnv) await writeEnvFile(options.writeEnv, envLines(emulator.config(), waits));
    io.out(JSON.stringify({ ...emulator.config(), ...(waits ? { waits } : {}) }));
    if (options.writeEnv) io.err(`CLI set-up written to ${options.writeEnv}: source it in another shell`);
    io.err(
      `emulator listening on ${emulator.endpoint} (speed ×${options.speed}${runtime ? `, ${runtime.functions.length} functions` : ', no runtime'}); Ctrl-C to stop`,
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
