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
