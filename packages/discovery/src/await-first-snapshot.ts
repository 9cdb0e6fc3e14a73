import { CancelledError, NoInstancesError } from '@switchyard/core';
import type { Discovery } from './discovery.js';

/**
 * What a client call made before discovery's first snapshot (a service that just started) waits
 * for: the snapshot, within the call's deadline, or the caller's signal. Resolves once the
 * snapshot is in; rejects with NO_INSTANCES when the deadline comes first or ready() fails (its
 * error as the cause, its message in the detail), and with CANCELLED, at
 * once, when the signal aborts (the transports used to wait out the whole deadline and then
 * report NO_INSTANCES for a call the caller had already given up).
 */
export function awaitFirstSnapshot(discovery: Discovery, deadline: number, signal?: AbortSignal): Promise<void> {
  const cancelled = () =>
    new CancelledError(`${discovery.service}: cancelled while waiting for the registry`, { cause: signal?.reason });
  if (signal?.aborted) return Promise.reject(cancelled());
  // The signal goes to ready() too, so an abandoned wait is dropped there rather than held until
  // the deadline; the race below still covers a Discovery that ignores it.
  const ready = discovery
    .ready({ timeoutMs: Math.max(0, deadline - Date.now()), ...(signal ? { signal } : {}) })
    .catch((error: unknown) => {
      if ((error as { code?: unknown })?.code === 'CANCELLED') throw cancelled();
      // Why there is no snapshot (the wait timed out, the registry is closed, the watch was refused)
      // is in ready()'s error: every one used to read "before the deadline", and a closed registry
      // looked like a slow one.
      throw new NoInstancesError(discovery.service, `no snapshot from the registry: ${(error as Error)?.message}`, {
        cause: error,
      });
    });
  if (signal === undefined) return ready;
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => reject(cancelled());
    signal.addEventListener('abort', onAbort, { once: true });
    ready.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
