import { NO_DEADLINE, toCancelled } from '@switchyard/core';
import { untilAborted } from '@shopping-guide/shared';

/** One caller waiting for a {@link SharedWork}: a served call's signal and deadline (a gRPC handler's context fits). */
export interface WorkCaller {
  /** Aborts when this caller has gone (cancelled, or past its deadline). */
  readonly signal?: AbortSignal;
  /** Absolute deadline (ms, `Date.now()` clock); `Infinity` or absent for none. */
  readonly deadline?: number;
}

/**
 * Work that several calls wait for (concurrent retries of one order), run once. It runs under its
 * own {@link SharedWork.signal}, which aborts only once every caller waiting for it has gone: run
 * under the signal of the call that happened to start it, one cancelled retry failed the others
 * with CANCELLED, while they still had time to get their answer.
 */
export class SharedWork<T> {
  private readonly controller = new AbortController();
  private readonly waiting = new Set<WorkCaller>();
  private result: Promise<T> | undefined;

  /** `work` runs at the first {@link join}, given this SharedWork for its signal and deadline. */
  constructor(private readonly work: (shared: SharedWork<T>) => Promise<T>) {}

  /** Aborts once every caller has gone: nobody will read the result, so the work should stop. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /**
   * The latest deadline of the callers still waiting (`Infinity` when one has none): the work may
   * take as long as the caller with the most time left, not only what the first one had.
   */
  get deadline(): number {
    let latest = Number.NEGATIVE_INFINITY;
    for (const caller of this.waiting) latest = Math.max(latest, caller.deadline ?? NO_DEADLINE);
    return latest === Number.NEGATIVE_INFINITY ? NO_DEADLINE : latest;
  }

  /**
   * Waits for the result as `caller` (starting the work for the first one). Rejects with the
   * caller's signal's reason (CancelledError, DeadlineExceededError) as soon as it aborts, without
   * waiting for the work, which goes on while anyone else still waits and is aborted otherwise.
   */
  join(caller: WorkCaller = {}): Promise<T> {
    const { signal } = caller;
    if (signal?.aborted) return Promise.reject(toCancelled(signal.reason));
    this.waiting.add(caller);
    this.result ??= this.work(this);
    const result = this.result;
    if (signal === undefined) return result;
    return untilAborted(result, signal, (aborted) => {
      this.waiting.delete(caller);
      // The last caller gone: nobody will read the result, so the work stops.
      if (aborted && this.waiting.size === 0) this.controller.abort(signal.reason);
    });
  }
}
