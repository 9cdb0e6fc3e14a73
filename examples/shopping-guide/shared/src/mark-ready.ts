import type { Logger } from '@switchyard/core';

/** What {@link markReadyUntilDone} needs of a started service (a `RunningService`). */
export interface ReadyableService {
  readonly name: string;
  markReady(): Promise<void>;
}

/** Backoff of {@link markReadyUntilDone}'s retries: doubling from `initialMs`, at most `maxMs`. */
export interface MarkReadyBackoff {
  initialMs: number;
  maxMs: number;
}

/** @default backoff of {@link markReadyUntilDone} */
export const DEFAULT_MARK_READY_BACKOFF: Readonly<MarkReadyBackoff> = Object.freeze({ initialMs: 250, maxMs: 5_000 });

/**
 * Marks a service started with `ready: false` ready. `markReady()` rejects when the registry cannot
 * take the update (Redis restarting as the service warms up) and leaves the instance NOT_SERVING;
 * called once, a blip there either kept the instance out of rotation for good or (awaited in a
 * start function) failed the start with the service's servers left listening. This asks again,
 * with backoff, until it succeeds; once `stop()` has begun, `markReady()` resolves at once, so the
 * retries end with the service. Their timers are unref'd.
 *
 * Resolves after the first attempt (`true`: ready; `false`: not yet, retrying in the background),
 * so that a start function that awaits it returns a ready service in the normal case and never
 * fails because of a registry blip.
 */
export async function markReadyUntilDone(
  service: ReadyableService,
  logger: Logger,
  backoff: MarkReadyBackoff = DEFAULT_MARK_READY_BACKOFF,
): Promise<boolean> {
  try {
    await service.markReady();
    return true;
  } catch (error) {
    logger.warn(
      { err: error, retryInMs: backoff.initialMs },
      `could not mark ${service.name} ready; retrying in the background`,
    );
    void retryMarkReady(service, backoff);
    return false;
  }
}

async function retryMarkReady(service: ReadyableService, backoff: MarkReadyBackoff): Promise<void> {
  for (let failures = 1; ; failures++) {
    const delayMs = Math.min(backoff.initialMs * 2 ** (failures - 1), backoff.maxMs);
    await new Promise((resolve) => setTimeout(resolve, delayMs).unref());
    try {
      await service.markReady();
      return;
    } catch {
      // Logged once, at the first failure; the service stays NOT_SERVING meanwhile.
    }
  }
}
