/** Resolves when `signal` aborts (at once if it already has): Ctrl-C or SIGTERM for a command. */
export function whenAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

const STOPPED: unique symbol = Symbol('stopped before the start completed');

/**
 * What `starting` resolves to, or `undefined` when `stopped` resolves first. A long-running command
 * (watch, dashboard) waits on the registry to start; Ctrl-C meanwhile was ignored until the
 * registry timed out, and then the command failed (exit 1) instead of stopping (exit 0). A start
 * the command no longer waits for is undone as soon as it completes (`undo`), and its failure is
 * ignored: nobody is left to report it to.
 * @throws whatever `starting` rejects with before `stopped` resolves.
 */
export async function startUnlessStopped<T>(
  starting: Promise<T>,
  stopped: Promise<void>,
  undo: (started: T) => Promise<unknown>,
): Promise<T | undefined> {
  const first = await Promise.race([starting, stopped.then(() => STOPPED)]);
  if (first !== STOPPED) return first as T;
  starting.then(undo).catch(() => undefined);
  return undefined;
}

/**
 * How long the clean-up of a command stopped by the user (Ctrl-C, SIGTERM, a closed pipe) may wait
 * on the registry: unsubscribing and closing connections wait for its replies, a hung registry's
 * for its command timeout (2 s and more), and the user asked to stop now. What is cut short is
 * finished by the registry's close, or by the process's exit: a CLI holds no registration.
 */
export const STOPPED_CLEAN_UP_MS = 500;

/** Waits until `promise` settles (its failure ignored), or `ms` at most. */
export async function settleWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    promise.catch(() => undefined),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
      timer.unref();
    }),
  ]);
  clearTimeout(timer);
}
