import type { OptionSpecs, ParsedArgs } from './args.js';
import type { ExitCode } from './cli-error.js';
import type { CliIo } from './io.js';
import type { OpenedRegistry } from './registry/open-registry.js';

/** What a command gets to run. */
export interface CommandContext {
  readonly args: ParsedArgs;
  readonly io: CliIo;
  /** `--json`: machine-readable output. */
  readonly json: boolean;
  /** Opens the registry on first use; run-cli closes it when the command ends. */
  registry(): OpenedRegistry;
  /** Aborted on SIGINT / SIGTERM. */
  readonly signal: AbortSignal;
}

/** One `switchyard` sub-command. */
export interface Command {
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  /** Arguments after the name, e.g. `[service]`. */
  readonly usage: string;
  /** Extra help: examples, output, exit codes. */
  readonly details: string;
  readonly options: OptionSpecs;
  /**
   * The command runs until SIGINT/SIGTERM and then exits 0 by itself (watch, dashboard). Other
   * commands are interrupted by a signal with exit code 130.
   */
  readonly streaming?: boolean;
  run(context: CommandContext): Promise<ExitCode>;
}
