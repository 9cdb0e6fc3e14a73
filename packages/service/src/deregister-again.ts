import { isNotSentError, isRegistryClosedError, type Logger } from '@switchyard/core';
import type { Registration } from '@switchyard/registry';

/**
 * A deregistration that failed faster than this sent nothing: the registry was unreachable. Only
 * for errors without the registry's own word on it (isNotSentError): a stalled event loop can make
 * a refusal that sent nothing look slow.
 */
const FAILED_AT_ONCE_MS = 250;
/** How long stop() tries again to deregister after a blip (within the grace, beside the servers closing). */
const DEREGISTER_RETRY_WINDOW_MS = 2_000;

/**
 * The bounded retry of a deregistration that failed (Registration.deregister() sends a failed
 * removal again when called again). It runs while the servers close, within the grace and at most
 * {@link DEREGISTER_RETRY_WINDOW_MS}, so it adds nothing to stop() unless the servers close sooner.
 * Only a removal that failed at once is tried again: nothing was sent (the connection dropped, a
 * failover), so without a retry the entry stayed listed, draining, until its lease ran out. It is
 * tried every 100 ms while the tries fail at once (they send nothing), until one reaches the
 * registry. A removal that failed by waiting (a hung Redis: the command timed out) was sent, and
 * runs when Redis catches up; sending it again would only wait as long again, and stop() with a
 * paused Redis must not take longer. A closed registry is not tried again either.
 */
export async function deregisterAgain(
  registration: Registration,
  first: unknown,
  firstTookMs: number,
  graceEnds: number,
  logger: Logger,
): Promise<void> {
  const deadline = Math.min(graceEnds, Date.now() + DEREGISTER_RETRY_WINDOW_MS);
  if (!unsent(first, firstTookMs) || Date.now() >= deadline) {
    logger.warn({ err: first }, 'could not deregister; the entry expires by its TTL');
    return;
  }
  logger.warn({ err: first }, 'could not deregister; trying again while the servers close');
  let last = first;
  // Timers not unref'd, as in until(): on a signal, with the servers closed, they keep the process
  // alive until the stop is done.
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, Math.min(100, Math.max(0, deadline - Date.now()))));
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      registration.deregister().then(
        () => 'deregistered' as const,
        (error: unknown) => {
          last = error;
          return unsent(error, performance.now() - started) ? 'unsent' : 'sent';
        },
      ),
      // A try that reached a registry which then hangs is not waited for past the window.
      new Promise<'window over'>((resolve) => {
        timer = setTimeout(() => resolve('window over'), Math.max(0, deadline - Date.now()));
      }),
    ]).finally(() => clearTimeout(timer));
    if (outcome === 'deregistered') {
      logger.info({}, 'deregistered on a retry');
      return;
    }
    if (outcome !== 'unsent') break;
  }
  logger.warn({ err: last }, 'could not deregister; the entry expires by its TTL');
}

/**
 * Whether a failed removal sent nothing, so trying again is what gets it applied: the registry says
 * so, or it failed at once. A closed registry is never tried again.
 */
function unsent(error: unknown, tookMs: number): boolean {
  if (isRegistryClosedError(error)) return false;
  return isNotSentError(error) || tookMs < FAILED_AT_ONCE_MS;
}
