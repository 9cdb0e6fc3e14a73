/** Exit codes of the `switchyard` command. */
export const ExitCode = Object.freeze({
  /** The command did what was asked (and, for `health`, every instance is SERVING). */
  OK: 0,
  /** A failure: registry unreachable, unknown service, a call that failed, an unhealthy instance. */
  FAILURE: 1,
  /** The command line was wrong: unknown command or flag, missing argument, malformed JSON, invalid value. */
  USAGE: 2,
  /** Interrupted by SIGINT before a one-shot command finished (streaming commands exit 0 on SIGINT). */
  INTERRUPTED: 130,
});

/** One of the {@link ExitCode} values. */
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * An error the CLI reports as one line on stderr and turns into an exit code. Anything else thrown
 * by a command is mapped by `toCliError()` in run-cli.ts (never printed as a stack trace).
 */
export class CliError extends Error {
  readonly exitCode: ExitCode;

  constructor(message: string, exitCode: ExitCode = ExitCode.FAILURE) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

/** A bad command line: exit code 2. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, ExitCode.USAGE);
    this.name = 'UsageError';
  }
}
