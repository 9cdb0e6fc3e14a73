import { PassThrough, Readable } from 'node:stream';
import type { CliIo } from '../io.js';
import { runCli } from '../run-cli.js';

/** What an in-process CLI run printed, and its exit code. */
export interface InProcessRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the CLI in-process (for tests) with captured output, an empty stdin and `env` as its whole
 * environment. `until`, given, stops a streaming command (watch, dashboard) once what it printed
 * satisfies it; `abortAfterMs`, given, stops the command that long after its start (Ctrl-C).
 */
export async function runCliInProcess(
  argv: string[],
  env: Record<string, string> = {},
  until?: (stdout: string) => boolean,
  abortAfterMs?: number,
): Promise<InProcessRun> {
  let stdout = '';
  let stderr = '';
  const controller = new AbortController();
  const out = new PassThrough().setEncoding('utf8');
  const err = new PassThrough().setEncoding('utf8');
  out.on('data', (chunk: string) => {
    stdout += chunk;
    if (until?.(stdout)) controller.abort();
  });
  err.on('data', (chunk: string) => {
    stderr += chunk;
  });
  const io: CliIo = { stdout: out, stderr: err, stdin: Readable.from([]), env };
  const timer = abortAfterMs === undefined ? undefined : setTimeout(() => controller.abort(), abortAfterMs);
  try {
    const code = await runCli(argv, { io, signal: controller.signal });
    return { code, stdout, stderr };
  } finally {
    clearTimeout(timer);
  }
}
