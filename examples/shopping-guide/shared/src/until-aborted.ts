import { toCancelled } from '@switchyard/core';

/**
 * `work`'s result, or a rejection with `signal`'s reason (CancelledError, DeadlineExceededError) as
 * soon as it aborts, whichever comes first. `work` itself goes on: it is shared with other callers,
 * and this one only stops waiting. Its abort listener goes either way. `onLeave` runs once as this
 * caller stops waiting, told whether its signal aborted (a waiting set's bookkeeping). A failure
 * of `work` is never reported as unhandled on this caller's account, whenever its signal aborts.
 */
export function untilAborted<T>(
  work: Promise<T>,
  signal: AbortSignal | undefined,
  onLeave?: (aborted: boolean) => void,
): Promise<T> {
  if (signal === undefined) return work;
  if (signal.aborted) {
    onLeave?.(true);
    // Marked handled, as it is below when the signal aborts later: this caller never waits for
    // it, and a work nobody else waits for (a refresh this very call started) failing later was
    // an unhandled rejection, which ends the process.
    work.catch(() => undefined);
    return Promise.reject(toCancelled(signal.reason));
  }
  return new Promise<T>((resolve, reject) => {
    let left = false;
    const leave = (aborted: boolean): void => {
      if (left) return;
      left = true;
      onLeave?.(aborted);
    };
    const onAbort = (): void => {
      leave(true);
      reject(toCancelled(signal.reason));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    const settled = (): void => {
      signal.removeEventListener('abort', onAbort);
      leave(false);
    };
    work.then(
      (value) => {
        settled();
        resolve(value);
      },
      (error: unknown) => {
        settled();
        reject(error);
      },
    );
  });
}
