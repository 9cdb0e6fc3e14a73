import { terminalSafeJson } from './format/table.js';

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
