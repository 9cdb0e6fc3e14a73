import { type Logger, silentLogger } from '@switchyard/core';
import { terminalSafe, terminalSafeJson } from './format/table.js';

/** Where a CLI run reads and writes: the process's streams in `bin.ts`, buffers in tests. */
export interface CliIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  /** Read for confirmation prompts (`deregister`). */
  readonly stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  /** Environment variables, read when a command needs them (never at import). */
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** Writes one line. */
export function writeLine(stream: NodeJS.WritableStream, line = ''): void {
  stream.write(`${line}\n`);
}

/**
 * Writes one value as one line of JSON. Registry data and server replies are untrusted, and
 * JSON.stringify leaves C1 controls and bidirectional overrides raw: they are escaped (the text
 * still parses to the same value), as the tables escape them.
 */
export function writeJsonLine(stream: NodeJS.WritableStream, value: unknown): void {
  writeLine(stream, terminalSafeJson(JSON.stringify(value)));
}

/**
 * Writes a warning on stderr, one line in the shape of the failure lines
 * (`switchyard <command>: warning: <text>`): something went wrong that the command works around.
 * The text quotes registry data and errors: escaped for the terminal.
 */
export function writeWarning(io: CliIo, command: string, text: string): void {
  writeLine(io.stderr, `switchyard ${command}: warning: ${terminalSafe(text)}`);
}

/**
 * A logger for library code run by a command (the dashboard's service hub): its warnings and
 * errors become {@link writeWarning} lines, `<message>` followed by the entry's `service` and
 * `error` fields when present; debug and info entries are dropped.
 */
export function warningLogger(io: CliIo, command: string): Logger {
  const warn = (first: Record<string, unknown> | string, message?: string): void => {
    if (typeof first === 'string') {
      writeWarning(io, command, first);
      return;
    }
    const service = typeof first.service === 'string' ? `service ${first.service}: ` : '';
    const error = first.error === undefined ? '' : `: ${String(first.error)}`;
    writeWarning(io, command, `${service}${message ?? 'warning'}${error}`);
  };
  return { ...silentLogger, warn, error: warn };
}
