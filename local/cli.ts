/**
 * The `kafka-vpcep-link` command line (INTERFACES.md). Progress goes to stderr, `--json` results to
 * stdout; exit 0 on success, 1 when the operation failed, 2 for bad usage or input.
 */
import { createRequire } from 'node:module';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { CredentialsError } from '../shared/cloud/credentials.js';
import { AuthError, ThrottledError } from '../shared/cloud/errors.js';
import { LinkNotReadyError, LinkRejectedError, LinkSupersededError } from '../shared/link/errors.js';
import { ConfigError } from '../shared/runtime/config.js';
import { redactString } from '../shared/runtime/logger.js';
import { EXIT, flagOf, type Io, printJson, processIo, UsageError } from './commands/common.js';
import { runDemo } from './commands/demo.js';
import { RUNTIME_SOURCES, runEmulator } from './commands/emulator.js';
import { runLink } from './commands/link.js';
import { runReconcile } from './commands/reconcile.js';
import { runStatus } from './commands/status.js';
import { runUnlink } from './commands/unlink.js';
import { runVerify } from './commands/verify.js';

const VERSION: string = (createRequire(import.meta.url)('../package.json') as { version: string }).version;

function integer(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n)) throw new InvalidArgumentError(`${name} must be an integer`);
    return n;
  };
}

/** A plain decimal number (no hex, exponent or empty string, which Number() also reads). */
const DECIMAL = /^\d+(\.\d+)?$/;

/** ≥ 0 (`min: 'positive'`: > 0), at most `max`. */
function positiveNumber(name: string, { max = 1_000_000, min = 'zero' as 'zero' | 'positive' } = {}) {
  return (value: string): number => {
    const n = Number(value);
    const low = min === 'positive' ? n <= 0 : n < 0;
    if (!DECIMAL.test(value.trim()) || !Number.isFinite(n) || low || n > max) {
      throw new InvalidArgumentError(
        `${name} must be a number ${min === 'positive' ? '> 0' : '≥ 0'} and at most ${max}`,
      );
    }
    return n;
  };
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/**
 * An option that names one thing: given twice, it is refused instead of the last value silently
 * winning (`unlink --instance a --instance b` must not unlink b by accident).
 */
const once = (value: string, previous: string | undefined): string => {
  if (previous !== undefined)
    throw new InvalidArgumentError(`given twice (${previous} and ${value}); give it once`);
  return value;
};

function viaOption() {
  return new Option('--via <mode>', 'direct: run the steps in this process; queue: publish to the chain')
    .choices(['direct', 'queue'])
    .default('direct');
}

function timeoutOption(defaultSeconds: number) {
  return new Option('--timeout <seconds>', 'give up after this long')
    .argParser(positiveNumber('--timeout', { min: 'positive', max: 7 * 24 * 3600 }))
    .default(defaultSeconds);
}

export function buildProgram(
  io: Io,
  env: Record<string, string | undefined>,
  exit: (code: number) => void,
): Command {
  const program = new Command('kafka-vpcep-link')
    .description('Private access to Huawei Cloud DMS for Kafka from other VPCs through VPC endpoints')
    .showHelpAfterError()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) })
    .exitOverride()
    .version(VERSION, '--version', 'print the version');

  program
    .command('demo')
    .description(
      'emulator + local runtime + seeded world + one link, with live progress (what npm start runs)',
    )
    .addOption(
      new Option('--speed <x>', 'emulated time runs this many times faster')
        .argParser(positiveNumber('--speed', { min: 'positive' }))
        .default(20),
    )
    .addOption(timeoutOption(120))
    .option('--json', 'print only the completion event, as JSON, on stdout')
    .option('--verbose', 'show the functions’ log lines on stderr')
    .option('--quiet', 'no progress lines on stderr (errors still show)')
    .action(async (o) => exit(await runDemo(o, io)));

  program
    .command('emulator')
    .description('serve the local Huawei Cloud emulator and run functions on it')
    .addOption(new Option('--port <n>', 'port; 0 picks a free one').argParser(integer('--port')).default(0))
    .option('--host <host>', 'loopback address to listen on', '127.0.0.1')
    .addOption(
      new Option('--speed <x>', 'emulated time runs this many times faster (1 = real 1–2 min delays)')
        .argParser(positiveNumber('--speed'))
        .default(1),
    )
    .addOption(
      new Option(
        '--runtime <source>',
        'which functions run: serverless (those of serverless.yml) or deployed (what `serverless deploy` puts into its FunctionGraph)',
      )
        .choices(RUNTIME_SOURCES)
        .default('serverless'),
    )
    .option('--no-runtime', 'serve the cloud APIs only, without running the functions')
    .option('--write-env <file>', 'also write `export` lines for the CLI (source the file in another shell)')
    .option(
      '--data-plane',
      'serve Kafka too: every address in 127.0.0.0/8, brokers per instance, a listener per accepted endpoint',
    )
    .option('--verbose', 'show the functions’ log lines on stderr')
    .option('--quiet', 'no status lines on stderr (function failures still show)')
    .action(async (o) => exit(await runEmulator(o, io)));

  program
    .command('link')
    .description('link one Kafka instance to a client VPC/subnet')
    .requiredOption('--instance <id>', 'Kafka instance id', once)
    .requiredOption('--client-vpc <id>', 'VPC of the Kafka clients', once)
    .requiredOption(
      '--client-subnet <id>',
      'subnet of the Kafka clients (the endpoints get their IPs here)',
      once,
    )
    .option('--client-domain <id>', 'account (domain) id of the client, when it is another account', once)
    .option(
      '--client-agency <name>',
      'agency the client account delegated to this account (needed with --client-domain of another account)',
      once,
    )
    .option('--whitelist <domainId>', 'also allow this account to connect (repeatable)', collect)
    .option(
      '--no-security-group-rule',
      'do not open TCP 9011 from 198.19.128.0/17 on the instance’s security group',
    )
    .option('--network-acl-rule', 'also allow 198.19.128.0/17 in the network ACL of the instance subnet')
    .option('--dry-run', 'print the plan; write nothing')
    .addOption(viaOption())
    .option('--wait', 'with --via queue: wait for the completion event')
    .option('--json', 'print the completion event as JSON on stdout')
    .addOption(timeoutOption(900))
    .option('--verbose', 'also print log lines on stderr (or set KVL_LOG_LEVEL)')
    .option('--quiet', 'no progress lines on stderr (errors still show)')
    .action(async (o) => exit(await runLink(o, env, io)));

  program
    .command('unlink')
    .description(
      'reverse a link: restore advertised IPs, delete endpoints and services, drop our rules and tags',
    )
    .requiredOption('--instance <id>', 'Kafka instance id', once)
    .addOption(viaOption())
    .option('--wait', 'with --via queue: wait for the removal event')
    .option('--json', 'print the removal event as JSON on stdout')
    .addOption(timeoutOption(900))
    .option('--verbose', 'also print log lines on stderr (or set KVL_LOG_LEVEL)')
    .option('--quiet', 'no progress lines on stderr (errors still show)')
    .action(async (o) => exit(await runUnlink(o, env, io)));

  program
    .command('status')
    .description('desired vs actual per link: linked, in-progress, drifted (with reasons), failed, orphan')
    .option('--instance <id>', 'only this instance', once)
    .option('--json', 'print JSON on stdout')
    .option(
      '--detailed-exitcode',
      'exit 0 when every link is linked (or there is none), 3 when one drifted, failed, is in progress or orphaned, 1 on error',
    )
    .option('--verbose', 'also print log lines on stderr (or set KVL_LOG_LEVEL)')
    .option('--quiet', 'no progress lines on stderr (errors still show)')
    .action(async (o) => exit(await runStatus(o, env, io)));

  program
    .command('verify')
    .description(
      'prove Kafka traffic flows through the link, per broker (run in the client VPC); 0 healthy, 1 unhealthy, 2 bad input',
    )
    .requiredOption('--instance <id>', 'Kafka instance id', once)
    .option('--json', 'print the per-broker result as JSON on stdout')
    .option('--verbose', 'also print log lines on stderr (or set KVL_LOG_LEVEL)')
    .option('--quiet', 'nothing on stderr but errors (verify prints no progress lines)')
    .action(async (o) => exit(await runVerify(o, env, io)));

  program
    .command('reconcile')
    .description('one reconcile pass; --repair fixes drift')
    .option(
      '--repair',
      'fix drift: remove duplicates and broken endpoints, re-link drifted links, unlink orphans',
    )
    .addOption(viaOption())
    .option('--json', 'print the kvl.reconcile.report event on stdout')
    .addOption(timeoutOption(900))
    .option('--verbose', 'also print log lines on stderr (or set KVL_LOG_LEVEL)')
    .option('--quiet', 'no progress lines on stderr (errors still show)')
    .action(async (o) => exit(await runReconcile(o, env, io)));

  // INTERFACES.md: every command also takes --version.
  for (const command of program.commands) command.version(VERSION, '--version', 'print the version');
  return program;
}

/** Runs the CLI; returns the exit code instead of exiting (tests call it in-process). */
export async function main(argv: string[], io: Io = processIo, env = process.env): Promise<number> {
  let code: number = EXIT.ok;
  const program = buildProgram(io, env, (c) => {
    code = c;
  });
  try {
    await program.parseAsync(argv);
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) return EXIT.ok;
      // The parser already said why on stderr; `--json` still gets its one shape on stdout.
      if (argv.includes('--json')) {
        const message = error.message.replace(/^error: /, '');
        printJson(io, { error: { message, exitCode: EXIT.usage, name: 'UsageError', code: error.code } });
      }
      return EXIT.usage;
    }
    const failure = describeFailure(error);
    io.err(`error: ${failure.message}`);
    // `--json` promises JSON on stdout on failure too: scripts parse one shape either way.
    if (argv.includes('--json')) printJson(io, { error: failure });
    return failure.exitCode;
  }
}

interface Failure {
  message: string;
  exitCode: number;
  name?: string;
  code?: string;
  flag?: string;
}

function describeFailure(error: unknown): Failure {
  // Refused because of what the request names (before any cloud write): bad input, exit 2.
  if (error instanceof LinkRejectedError && error.field) {
    const flag = flagOf(error.field);
    return {
      message: `${flag}: ${redactString(error.reason)}`,
      exitCode: EXIT.usage,
      name: error.name,
      flag,
      ...(error.code ? { code: error.code } : {}),
    };
  }
  if (error instanceof UsageError || error instanceof ConfigError || error instanceof CredentialsError) {
    return { message: redactString(error.message), exitCode: EXIT.usage, name: error.name };
  }
  // The cloud refused the signature: the configured keys (or this machine's clock) are wrong, which
  // running again cannot fix.
  if (error instanceof AuthError) {
    return {
      message: `${redactString(error.message)} (check HUAWEICLOUD_SDK_AK, HUAWEICLOUD_SDK_SK and this machine's clock)`,
      exitCode: EXIT.usage,
      name: error.name,
      ...(error.code ? { code: error.code } : {}),
    };
  }
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    // Throttling means "later": the call waited for its turn as long as the command's time allowed.
    const hint =
      error instanceof ThrottledError
        ? ' (the cloud kept throttling this call; nothing is lost: run the same command again later. link, unlink and reconcile wait for a throttled call up to their --timeout)'
        : error instanceof LinkNotReadyError
          ? ' (nothing is lost: the same command resumes where this one stopped; --timeout gives it longer)'
          : error instanceof LinkSupersededError
            ? " (another request changed this instance's link while this one ran: `status` shows what is in place)"
            : '';
    return {
      message: redactString(error.message) + hint,
      exitCode: EXIT.failed,
      name: error.name,
      ...(typeof code === 'string' ? { code } : {}),
    };
  }
  return { message: redactString(String(error)), exitCode: EXIT.failed };
}
