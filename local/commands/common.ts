/**
 * What every command shares: configuration and credentials from the environment (INTERFACES.md
 * names), a logger on stderr, the link deps, the exit codes, and progress output that never touches
 * stdout (stdout is for `--json` results only).
 */

import { fromEnv } from '../../shared/cloud/credentials.js';
import { createCloudHttp } from '../../shared/cloud/http.js';
import { createIamClient } from '../../shared/cloud/iam.js';
import type { CredentialsProvider } from '../../shared/cloud/types.js';
import { type KvlConfig, loadConfig } from '../../shared/runtime/config.js';
import { createLinkDeps, type FunctionDeps } from '../../shared/runtime/link-deps.js';
import { createLogger, type KvlLogger, LOG_LEVELS, type LogLevel } from '../../shared/runtime/logger.js';
import { registering } from '../../shared/runtime/middleware/index.js';

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** CLI flag for each request field, so errors name what the user typed, not the event's field. */
const FLAG_OF: Readonly<Record<string, string>> = {
  instanceId: '--instance',
  'client.vpcId': '--client-vpc',
  'client.subnetId': '--client-subnet',
  'client.domainId': '--client-domain',
  'client.agencyName': '--client-agency',
};

export function flagOf(field: string): string {
  return FLAG_OF[field] ?? (field.startsWith('options.whitelist') ? '--whitelist' : field);
}

/** Bad usage or input: the command was never attempted (exit 2). */
export class UsageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UsageError';
  }
}

export interface Io {
  out(text: string): void;
  err(text: string): void;
  isTty: boolean;
}

export const processIo: Io = {
  out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
  isTty: Boolean(process.stderr.isTTY),
};

export interface CommandContext {
  config: KvlConfig;
  credentials: CredentialsProvider;
  logger: KvlLogger;
  deps: FunctionDeps;
}

/** What a command prints besides its result: `--verbose` adds log lines, `--quiet` drops progress. */
export interface OutputOptions {
  verbose?: boolean;
  quiet?: boolean;
}

/**
 * Log lines are for whoever asks for them (`--verbose`, or `KVL_LOG_LEVEL`): human output stays
 * human, so a harmless 409 or a retry does not print raw JSON between progress lines.
 */
export function logLevelOf(
  env: Record<string, string | undefined>,
  output: OutputOptions,
): LogLevel | undefined {
  if (output.verbose) return 'info';
  // Case-insensitive, as the functions read it (shared/runtime/config.ts).
  const level = env.KVL_LOG_LEVEL?.trim().toLowerCase();
  if (!level) return undefined;
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new UsageError(`KVL_LOG_LEVEL: must be one of ${LOG_LEVELS.join(', ')}`);
  }
  return level as LogLevel;
}

/** What every command against the cloud needs: all missing names in one message, not one per run. */
const REQUIRED_ENV = ['HUAWEICLOUD_SDK_AK', 'HUAWEICLOUD_SDK_SK', 'HUAWEICLOUD_REGION'] as const;

export function requireEnvironment(env: Record<string, string | undefined>): void {
  const missing = REQUIRED_ENV.filter((name) => !env[name]?.trim());
  if (missing.length === 0) return;
  throw new UsageError(
    `missing environment variable${missing.length > 1 ? 's' : ''}: ${missing.join(', ')} ` +
      "(README 'Configuration'; against the emulator, `source` the file of `emulator --write-env`)",
  );
}

/**
 * Builds config, credentials and deps from the environment; fills in the project id through IAM.
 * `deadline` (ms since the epoch, read at each call) is when a command with `--timeout` gives up: a
 * throttled cloud call then waits for its turn as long as that allows, as a function's calls do within
 * their invocation, instead of a fixed number of refusals that could end the command early or late.
 */
export async function commandContext(
  env: Record<string, string | undefined>,
  io: Io,
  output: OutputOptions = {},
  deadline?: () => number,
): Promise<CommandContext> {
  requireEnvironment(env);
  const credentials = registering(fromEnv(env));
  const level = logLevelOf(env, output);
  const logger = createLogger({
    level: level ?? 'error',
    sink: { write: level ? (_level, line) => io.err(line) : () => {} },
  });
  let effective = env;
  if (!env.HUAWEICLOUD_SDK_PROJECT_ID && env.HUAWEICLOUD_REGION) {
    const iam = createIamClient(
      createCloudHttp({
        service: 'iam',
        region: env.HUAWEICLOUD_REGION,
        projectId: '',
        credentials,
        env,
        logger,
      }),
    );
    effective = { ...env, HUAWEICLOUD_SDK_PROJECT_ID: await iam.getProjectId(env.HUAWEICLOUD_REGION) };
  }
  const config = loadConfig({ env: effective });
  const deps = createLinkDeps(
    { config, credentials, logger },
    deadline ? { retry: { throttleBudgetMs: () => deadline() - Date.now() } } : {},
  );
  return { config, credentials, logger, deps };
}

/** ANSI colours for the progress symbols, on a terminal only and never with `NO_COLOR` set. */
const COLOURS: Readonly<Record<string, number>> = { '✔': 32, '✖': 31, '!': 33, '→': 36, '▶': 36, '…': 90 };

/**
 * One line per step on stderr. While a step waits: a spinner with the elapsed time on a terminal,
 * and everywhere a "still …" line every `heartbeatMs`, so a log or CI never looks hung.
 */
export class Progress {
  private spinner: NodeJS.Timeout | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private waitingFor: { text: string; since: number } | undefined;
  private frame = 0;
  private readonly started = Date.now();
  private readonly colour: boolean;
  private readonly heartbeatMs: number;

  constructor(
    private readonly io: Io,
    private readonly output: OutputOptions = {},
    env: Record<string, string | undefined> = process.env,
  ) {
    this.colour = io.isTty && !env.NO_COLOR;
    const every = Number(env.KVL_PROGRESS_INTERVAL_MS);
    this.heartbeatMs = Number.isFinite(every) && every > 0 ? every : 15_000;
  }

  line(symbol: string, text: string): void {
    this.stopSpinner();
    this.print(symbol, text);
  }

  private print(symbol: string, text: string): void {
    if (this.output.quiet) return;
    const seconds = ((Date.now() - this.started) / 1000).toFixed(1).padStart(5);
    const code = this.colour ? COLOURS[symbol] : undefined;
    this.io.err(`${seconds}s ${code ? `\x1b[${code}m${symbol}\x1b[0m` : symbol} ${text}`);
  }

  /** Waiting for `text`; the same text again keeps counting from when the wait began. */
  waiting(text: string): void {
    if (this.output.quiet) return;
    if (this.waitingFor?.text === text) return;
    this.stopSpinner();
    const wait = { text, since: Date.now() };
    this.waitingFor = wait;
    const elapsed = () => `${Math.round((Date.now() - wait.since) / 1000)} s`;
    this.heartbeat = setInterval(() => {
      if (this.io.isTty) process.stderr.write(`\r${' '.repeat(80)}\r`);
      this.print('…', `still ${text} (${elapsed()})`);
    }, this.heartbeatMs);
    this.heartbeat.unref();
    if (!this.io.isTty) return;
    const frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
    this.spinner = setInterval(() => {
      this.frame = (this.frame + 1) % frames.length;
      process.stderr.write(`\r${frames[this.frame]} ${text} ${elapsed()}`.slice(0, 79).padEnd(80));
    }, 100);
    this.spinner.unref();
  }

  stopSpinner(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    this.waitingFor = undefined;
    if (!this.spinner) return;
    clearInterval(this.spinner);
    this.spinner = undefined;
    process.stderr.write(`\r${' '.repeat(80)}\r`);
  }
}

/** Exit codes shells give a process ended by a signal (128 + its number). */
const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143 } as const;

/**
 * Until the returned function is called, SIGINT and SIGTERM stop the spinner, `say` what the user
 * can do next, and exit with the shell's code for that signal.
 */
export function onInterrupt(progress: Progress, say: () => void): () => void {
  const handlers = Object.entries(SIGNAL_EXIT_CODES).map(([signal, code]) => {
    const handler = () => {
      progress.stopSpinner();
      say();
      process.exit(code);
    };
    process.once(signal, handler);
    return () => process.off(signal, handler);
  });
  return () => {
    for (const off of handlers) off();
  };
}

export function printJson(io: Io, value: unknown): void {
  io.out(JSON.stringify(value, null, 2));
}
