/**
 * A service whose registration fails (an unreachable registry, say) just after the process got
 * SIGTERM: prints "registering" once register() is under way, waits for the signal, then fails it.
 * START_FAILURE picks how the main module meets the failure: `exit-code` (the usual
 * `main().catch(...)` that reports and sets process.exitCode = 1), `top-level` (an `await` at the
 * top level, left unhandled) or `run-service` (runService's one line on stderr). Used to check that
 * the process then exits non-zero, not 0.
 */
import { MemoryRegistry } from '@switchyard/registry';
import { runService, startService } from '@switchyard/service';

const registry = new MemoryRegistry();
registry.register = async () => {
  process.stdout.write('registering\n');
  // Added after the service's own handler (installed as the start began), so it runs second.
  await new Promise((resolve) => process.once('SIGTERM', resolve));
  throw new Error('registry unreachable');
};
const noop = (): void => {};
// Errors only, on stdout with the rest, so the test sees whether the cause was reported.
const logger = {
  debug: noop,
  info: noop,
  warn: noop,
  error: (fields: { err?: { message?: string } }, message?: string) =>
    process.stdout.write(`logged: ${message}: ${fields.err?.message}\n`),
};
const start = () =>
  startService({
    name: 'fails-late',
    registry,
    http: { port: 0, host: '127.0.0.1' },
    tracing: false,
    drainDelayMs: 0,
    logger: logger as never,
  });

if (process.env.START_FAILURE === 'top-level') {
  await start();
} else if (process.env.START_FAILURE === 'run-service') {
  await runService(start, 'fails-late');
} else {
  start().catch((error: unknown) => {
    process.stdout.write(`start failed: ${(error as Error).message}\n`);
    process.exitCode = 1;
  });
}
