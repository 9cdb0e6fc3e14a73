import {
  findCommand,
  GLOBAL_OPTIONS,
  maskUrlArguments,
  type OptionSpecs,
  parseCommandArgs,
  stringOption,
} from './args.js';
import { type CliError, ExitCode, UsageError } from './cli-error.js';
import type { Command, CommandContext } from './command.js';
import { COMMANDS } from './commands/all-commands.js';
import { debugEnabled } from './debug-flag.js';
import { toCliError } from './describe-error.js';
import { commandHelp, generalHelp } from './help.js';
import { terminalSafe } from './format/table.js';
import { type CliIo, writeLine, writeWarning } from './io.js';
import { type OpenedRegistry, openRegistry, resolveRegistryTarget } from './registry/open-registry.js';
import { STOPPED_CLEAN_UP_MS, settleWithin } from './stop-signal.js';

/** Options of {@link runCli}. */
export interface RunCliOptions {
  /** @default the process's stdin, stdout, stderr and environment */
  readonly io?: CliIo;
  /** Aborting it stops a streaming command (exit 0) or interrupts another one (exit 130). */
  readonly signal?: AbortSignal;
}

/**
 * The abort reason `bin.ts` gives when stdout's reader went away (EPIPE: `switchyard call … | head -1`).
 * The reader chose to stop reading: a command stops as `watch` does, exit 0. Exiting 130 claimed a
 * Ctrl-C, and whether a command that had succeeded got 0 or 130 depended on when the EPIPE arrived.
 */
export const OUTPUT_CLOSED: unique symbol = Symbol('switchyard: the reader of stdout went away');

/** How long closing the registry may take after a command before the CLI gives up on it. */
const CLOSE_TIMEOUT_MS = 2_000;

/**
 * The same once the run was stopped (Ctrl-C, SIGTERM, a closed pipe): the user asked to stop now.
 * Closing a registry whose first connection a hung Redis never answered takes the full timeout
 * (its watches' clean-up waits on that connection), so a Ctrl-C during `watch`'s start exited 0
 * only two seconds later. A close cut short loses nothing a CLI needs: it holds no registration.
 */
const STOPPED_CLOSE_TIMEOUT_MS = STOPPED_CLEAN_UP_MS;

/** The package version (replaced at build time; `dev` when run from source). */
export const CLI_VERSION: string = typeof __SWITCHYARD_VERSION__ === 'string' ? __SWITCHYARD_VERSION__ : 'dev';

/**
 * Runs the `switchyard` command line and resolves with its exit code. Never throws and never prints
 * a stack trace: every failure is one line on stderr (`switchyard <command>: <what went wrong>`).
 * Set `SWITCHYARD_DEBUG=1` to also print the stack of an unexpected error (`0`, `false`, `no`, `off`
 * and empty leave it off).
 *
 * @example
 * ```ts
 * process.exitCode = await runCli(process.argv.slice(2));
 * ```
 */
export async function runCli(argv: readonly string[], options: RunCliOptions = {}): Promise<ExitCode> {
  const io = options.io ?? processIo();
  const signal = options.signal ?? new AbortController().signal;
  let commandName = '';
  let opened: OpenedRegistry | undefined;
  // The stop's clean-up budget runs from the signal: a streaming command spends part of it
  // unsubscribing (see STOPPED_CLEAN_UP_MS), and the registry's close gets what is left. Each given
  // the whole 0.5 s, a Ctrl-C with a hung registry took a second.
  let stoppedAt: number | undefined;
  const onStop = (): void => {
    stoppedAt ??= performance.now();
  };
  if (signal.aborted) onStop();
  else signal.addEventListener('abort', onStop, { once: true });
  try {
    const allOptions: OptionSpecs = Object.assign(
      { version: { type: 'boolean', short: 'V', description: '' } },
      GLOBAL_OPTIONS,
      ...COMMANDS.map((command) => command.options),
    );
    const found = findCommand(argv, allOptions);
    if (!found) {
      if (argv.includes('--version') || argv.includes('-V')) {
        writeLine(io.stdout, CLI_VERSION);
        return ExitCode.OK;
      }
      const askedForHelp = argv.includes('--help') || argv.includes('-h');
      (askedForHelp ? io.stdout : io.stderr).write(generalHelp(COMMANDS));
      return askedForHelp ? ExitCode.OK : ExitCode.USAGE;
    }
    const command = COMMANDS.find((candidate) => candidate.name === found.name);
    if (!command) {
      if (found.name === 'help') {
        const asked = argv[found.index + 1];
        const topic = COMMANDS.find((candidate) => candidate.name === asked);
        // `switchyard help lss` is a typo, not a request for the general help: say so, exit 2.
        if (!topic && asked !== undefined && asked !== 'help' && !asked.startsWith('-')) {
          throw new UsageError(
            `unknown command "${asked}"; commands: ${COMMANDS.map((candidate) => candidate.name).join(', ')}`,
          );
        }
        io.stdout.write(topic ? commandHelp(topic) : generalHelp(COMMANDS));
        return ExitCode.OK;
      }
      throw new UsageError(
        `unknown command "${found.name}"; commands: ${COMMANDS.map((candidate) => candidate.name).join(', ')}`,
      );
    }
    commandName = command.name;
    const rest = [...argv.slice(0, found.index), ...argv.slice(found.index + 1)];
    const args = parseCommandArgs(command.name, rest, { ...GLOBAL_OPTIONS, ...command.options });
    if (args.values.help === true) {
      io.stdout.write(commandHelp(command));
      return ExitCode.OK;
    }
    const context: CommandContext = {
      args,
      io,
      json: args.values.json === true,
      signal,
      registry: () => {
        opened ??= openRegistry(
          resolveRegistryTarget(
            { registry: stringOption(args, 'registry'), namespace: stringOption(args, 'namespace') },
            io.env,
          ),
          {
            onWarning: ({ text, problem }) => {
              // ls <service> and route get show a malformed stored rule themselves, on stdout; the
              // registry's "keeping the previous one" speaks for a watcher (watch, dashboard). canary
              // get shows a malformed canary record itself too (the registry's words name an API call).
              if (!command.streaming && (problem === 'malformed route rule' || problem === 'malformed canary record'))
                return;
              writeWarning(io, command.name, text);
            },
          },
        );
        return opened;
      },
    };
    return await runCommand(command, context);
  } catch (error) {
    const failure: CliError = toCliError(error, opened);
    // Messages quote what servers, the registry and arguments said (a gRPC status's details…): escaped,
    // and never with the password of a URL argument in them.
    const message = terminalSafe(maskUrlArguments(failure.message, argv));
    writeLine(io.stderr, `switchyard${commandName ? ` ${commandName}` : ''}: ${message}`);
    if (debugEnabled(io.env) && error instanceof Error && error.stack) {
      writeLine(io.stderr, maskUrlArguments(error.stack, argv));
    }
    return failure.exitCode;
  } finally {
    signal.removeEventListener('abort', onStop);
    const closeTimeoutMs =
      stoppedAt === undefined
        ? CLOSE_TIMEOUT_MS
        : Math.max(0, stoppedAt + STOPPED_CLOSE_TIMEOUT_MS - performance.now());
    if (opened) await settleWithin(opened.close(), closeTimeoutMs);
  }
}

/** Runs a command; a one-shot command is interrupted by the signal (exit 130; 0 when stdout was closed). */
async function runCommand(command: Command, context: CommandContext): Promise<ExitCode> {
  if (command.streaming) return command.run(context);
  const stoppedWith = (): ExitCode => (context.signal.reason === OUTPUT_CLOSED ? ExitCode.OK : ExitCode.INTERRUPTED);
  if (context.signal.aborted) return stoppedWith();
  let onAbort: (() => void) | undefined;
  const interrupted = new Promise<ExitCode>((resolve) => {
    onAbort = () => resolve(stoppedWith());
    context.signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([command.run(context), interrupted]);
  } finally {
    if (onAbort) context.signal.removeEventListener('abort', onAbort);
  }
}

function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env };
}
