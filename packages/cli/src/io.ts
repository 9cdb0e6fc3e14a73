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
