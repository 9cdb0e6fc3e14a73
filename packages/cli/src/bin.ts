#!/usr/bin/env node
/**
 * The `switchyard` executable. SIGINT / SIGTERM stop a streaming command cleanly (exit 0) and
 * interrupt any other (exit 130); a second signal exits at once.
 */
import { debugEnabled } from './debug-flag.js';
import { OUTPUT_CLOSED, runCli } from './run-cli.js';

const controller = new AbortController();
let signals = 0;
for (const name of ['SIGINT', 'SIGTERM'] as const) {
  process.on(name, () => {
    signals++;
    if (signals > 1) process.exit(130);
    controller.abort();
  });
}
// Node's process warnings (e.g. proto-loader's "not found in any of the include paths" before the
// CLI reports the same problem in one line) would break the one-line-per-failure promise.
process.removeAllListeners('warning');
if (debugEnabled(process.env)) process.on('warning', (warning) => process.stderr.write(`${warning.stack}\n`));

// A closed pipe (`switchyard watch x | head -1`) is not an error worth a stack trace, nor a Ctrl-C
// (exit 0, see OUTPUT_CLOSED). stderr too (`… 2>&1 | head -1`): an 'error' event nobody listens to
// crashes the process.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') controller.abort(OUTPUT_CLOSED);
  });
}

const code = await runCli(process.argv.slice(2), { signal: controller.signal });
// Exit once the output is flushed: gRPC channels or sockets being closed must not keep the CLI alive.
process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
