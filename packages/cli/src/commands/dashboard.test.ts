import { describe, expect, it } from 'vitest';
import { ExitCode } from '../cli-error.js';
import { toCliError } from '../describe-error.js';
import { bindFailure } from './dashboard.js';

/** What `server.listen` rejects with. */
const listenError = (code: string, address: string): NodeJS.ErrnoException =>
  Object.assign(new Error(`listen ${code}: ${address}`), { code, syscall: 'listen' });

describe('dashboard: a port or host that cannot be bound', () => {
  it.each([
    ['EADDRINUSE', 7070, /^--port 7070: address 127\.0\.0\.1:7070 is already in use$/],
    // A port below 1024 without root (or CAP_NET_BIND_SERVICE): the README's exit code 2 (usage, as
    // for a port in use); it came out as "unexpected error: listen EACCES …", exit 1.
    [
      'EACCES',
      80,
      /^--port 80: not allowed to bind 127\.0\.0\.1:80 \(EACCES: a port below 1024 needs root or CAP_NET_BIND_SERVICE; --port 0 picks a free one\)$/,
    ],
  ])('%s is a usage error (exit 2) naming the flag', (code, port, message) => {
    const failure = toCliError(bindFailure(listenError(code, `127.0.0.1:${port}`), port, '127.0.0.1'));
    expect({ exitCode: failure.exitCode, message: failure.message }).toEqual({
      exitCode: ExitCode.USAGE,
      message: expect.stringMatching(message),
    });
  });
});
