import { assertInteger, BulkheadFullError, type Event, EventEmitter } from '@switchyard/core';
import type { CallContext } from './call-context.js';
import { checkOptions } from './options.js';
import { type Policy, policyFromSteps } from './policy.js';
import { type Waiter, WaiterQueue } from './waiter-queue.js';

/** Options for {@link bulkhead}. */
export interface BulkheadOptions {
  /** Calls running at once. */
  maxConcurrent: number;
  /** Calls waiting for a slot; beyond it calls are rejected at once. @default 0 */
  maxQueue?: number;
  /** Longest wait in the queue (the deadline bounds it too). @default Infinity */
  queueTimeoutMs?: number;
}

/** A bulkhead policy, with its live figures and events. */
export interface BulkheadPolicy extends Policy {
  /** Calls running now (at most `maxConcurrent`). */
  readonly running: number;
  /** Calls waiting for a slot now (at most `maxQueue`). */
  readonly queued: number;
  /** A call was rejected (queue full, or waited too long). */
  readonly onReject: Event<{ reason: 'full' | 'queue-timeout' }>;
}

/**
 * Limits concurrency so one slow dependency cannot take every socket, timer and byte of memory:
 * at most `maxConcurrent` calls run, at most `maxQueue` wait (FIFO), and a waiter leaves the queue
 * with BULKHEAD_FULL after `queueTimeoutMs`, or with the call's own error when its deadline passes
 * or its caller aborts.
 *
 * @throws InvalidArgumentError naming the option: an unknown one, a `maxConcurrent` that is missing
 * or not an integer from 1 to 1,000,000, a `maxQueue` or `queueTimeoutMs` out of range.
 * @example
 * ```ts
 * const policy = bulkhead({ maxConcurrent: 100, maxQueue: 100, queueTimeoutMs: 500 });
 * ```
 */
export function bulkhead(options: BulkheadOptions): BulkheadPolicy {
  checkOptions('bulkhead', options, ['maxConcurrent', 'maxQueue', 'queueTimeoutMs']);
  const maxConcurrent = options?.maxConcurrent;
  assertInteger('bulkhead.maxConcurrent', maxConcurrent, 1, 1_000_000);
  const maxQueue = options.maxQueue ?? 0;
  assertInteger('bulkhead.maxQueue', maxQueue, 0, 10_000_000);
  const queueTimeoutMs = options.queueTimeoutMs ?? Number.POSITIVE_INFINITY;
  if (queueTimeoutMs !== Number.POSITIVE_INFINITY)
    assertInteger('bulkhead.queueTimeoutMs', queueTimeoutMs, 0, 86_400_000);
  const rejected = new EventEmitter<{ reason: 'full' | 'queue-timeout' }>();
  let running = 0;
  const queue = new WaiterQueue();
  /**
   * Waiters still waiting. A waiter that left (timed out, aborted) may stay in `queue` a while
   * (see WaiterQueue), so the queue's length overcounts: measured by that, leavers kept the
   * queue "full" and newcomers were refused while it was empty.
   */
  let waiting = 0;

  const release = (): void => {
    running--;
    const waiter = queue.shiftLive();
    if (waiter) {
      running++;
      waiter.admit();
    }
  };

  const waitForSlot = (context: CallContext): Promise<void> =>
    new Promise((resolve, reject) => {
      // How long it waited goes to the context: a breaker around does not count the wait as
      // the dependency's slowness (see CallContext.leaveQueue).
      const queuedAt = performance.now();
      let timer: NodeJS.Timeout | undefined;
      const waiter: Waiter = {
        settled: false,
        admit() {
          waiter.settled = true;
          waiting--;
          context.leaveQueue(performance.now() - queuedAt);
          if (timer) clearTimeout(timer);
          removeAbort();
          resolve();
        },
      };
      const leave = (error: Error): void => {
        if (waiter.settled) return;
        waiter.settled = true;
        waiting--;
        context.leaveQueue(performance.now() - queuedAt);
        if (timer) clearTimeout(timer);
        removeAbort();
        reject(error);
      };
      const removeAbort = context.onAbort(leave);
      if (queueTimeoutMs !== Number.POSITIVE_INFINITY) {
        timer = setTimeout(() => {
          rejected.emit({ reason: 'queue-timeout' });
          leave(new BulkheadFullError(`waited ${queueTimeoutMs} ms for a bulkhead slot`));
        }, queueTimeoutMs);
        timer.unref();
      }
      queue.push(waiter, waiting);
      waiting++;
    });

  const runHolding = (context: CallContext, next: (context: CallContext) => Promise<unknown>): Promise<unknown> =>
    next(context).then(
      (result) => {
        release();
        return result;
      },
      (error: unknown) => {
        release();
        throw error;
      },
    );

  const step = (context: CallContext, next: (context: CallContext) => Promise<unknown>): Promise<unknown> => {
    if (running < maxConcurrent) {
      running++;
      return runHolding(context, next);
    }
    if (waiting < maxQueue) {
      return waitForSlot(context).then(() => {
        // Admitted, but the call may have been cancelled (or run out of time) between its
        // admission and this continuation: hand the slot on instead of running it for nobody.
        const aborted = context.abortReason;
        if (aborted) {
          // Never ran: a breaker around does not count it (see CallContext.operationReached).
          release();
          throw aborted;
        }
        return runHolding(context, next);
      });
    }
    rejected.emit({ reason: 'full' });
    return Promise.reject(new BulkheadFullError(`bulkhead full: ${maxConcurrent} running, ${maxQueue} queued`));
  };

  const policy = policyFromSteps([step], `bulkhead(maxConcurrent=${maxConcurrent}, maxQueue=${maxQueue})`);
  return {
    ...policy,
    get running() {
      return running;
    },
    get queued() {
      return waiting;
    },
    onReject: rejected.event,
  };
}
