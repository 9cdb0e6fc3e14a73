import { setTimeout as sleep } from 'node:timers/promises';
import { SwitchyardTestingError } from '../testing-error.js';

/** Rejects with a `TIMEOUT` error naming `what` if `promise` has not settled within `timeoutMs`. */
export async function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  promise.catch(() => undefined); // a rejection after the timeout must not become an unhandled rejection
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new SwitchyardTestingError('TIMEOUT', `${what} did not finish within ${timeoutMs} ms`)),
      timeoutMs,
    );
    timer.unref();
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Options of {@link waitUntil}. */
export interface WaitUntilOptions {
  /** What is awaited, for the error message: "sentinels to agree on the master". */
  what: string;
  timeoutMs: number;
  /** @default 100 */
  intervalMs?: number;
  /** Checked before every probe; a returned error ends the wait at once (e.g. "the process exited"). */
  abort?: () => Error | undefined;
}

/**
 * Calls `probe` until it returns something other than `undefined`, and returns that. Errors thrown by the probe
 * count as "not yet"; the last one is quoted in the `TIMEOUT` error.
 */
export async function waitUntil<T>(probe: () => Promise<T | undefined>, options: WaitUntilOptions): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let lastProblem = 'no answer yet';
  for (;;) {
    const aborted = options.abort?.();
    if (aborted) throw aborted;
    try {
      const result = await probe();
      if (result !== undefined) return result;
      lastProblem = 'not ready yet';
    } catch (error) {
      lastProblem = error instanceof Error ? error.message : String(error);
    }
    if (Date.now() >= deadline) {
      throw new SwitchyardTestingError(
        'TIMEOUT',
        `timed out after ${options.timeoutMs} ms waiting for ${options.what} (last: ${lastProblem})`,
      );
    }
    await sleep(options.intervalMs ?? 100);
  }
}
