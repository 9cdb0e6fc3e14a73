import { execFile } from 'node:child_process';

/** What a finished command printed and how it exited. */
export interface CommandOutcome {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface CommandOptions {
  cwd: string;
  /** Killed (and reported as such) after this long. @default 120_000 */
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

/** Runs a command to its end and reports how it exited; never rejects for a non-zero exit. */
export function runCommand(file: string, args: readonly string[], options: CommandOptions): Promise<CommandOutcome> {
  const timeoutMs = options.timeoutMs ?? 120_000;
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      { cwd: options.cwd, env: options.env ?? process.env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') {
          // Not an exit code: the command could not start, or was killed by the timeout.
          const why = error.killed ? `was killed after ${timeoutMs} ms` : `could not run (${error.message})`;
          reject(new Error(`${commandLine(file, args)} ${why}\n${stdout}\n${stderr}`.trim()));
          return;
        }
        resolve({ exitCode: error ? (error.code as number) : 0, stdout, stderr });
      },
    );
  });
}

/** Runs a command that must succeed; a failure rejects with the command line, its exit code and its output. */
export async function runCommandOrThrow(
  file: string,
  args: readonly string[],
  options: CommandOptions,
): Promise<CommandOutcome> {
  const outcome = await runCommand(file, args, options);
  if (outcome.exitCode !== 0) {
    throw new Error(
      `${commandLine(file, args)} (in ${options.cwd}) exited with ${outcome.exitCode}\n${outcome.stdout}\n${outcome.stderr}`.trim(),
    );
  }
  return outcome;
}

function commandLine(file: string, args: readonly string[]): string {
  return [file, ...args].map((part) => (/\s/.test(part) ? JSON.stringify(part) : part)).join(' ');
}
