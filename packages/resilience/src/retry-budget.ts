import { assertInteger, assertNumber, coarseNow, type Event, EventEmitter } from '@switchyard/core';
import { checkOptions, withDefaults } from './options.js';

/** Options for {@link retryBudget}. */
export interface RetryBudgetOptions {
  /** Retries allowed as a fraction of requests in the window. @default 0.2 */
  ratio?: number;
  /** Retries always allowed per second, so low-traffic clients can still retry. @default 10 */
  minPerSecond?: number;
  /** Sliding window. @default 10_000 */
  windowMs?: number;
}

/** Defaults of {@link RetryBudgetOptions} (Finagle's and Linkerd's: 20 % and 10/s over 10 s). */
export const DEFAULT_RETRY_BUDGET = Object.freeze({ ratio: 0.2, minPerSecond: 10, windowMs: 10_000 });

/**
 * A budget shared by the calls of a client: limits retries to a fraction of recent requests.
 *
 * One budget may be given to several policies, `retry()` and `hedge()` among them (as gRPC's retry
 * throttle covers retries and hedges alike): each call is then recorded as one request however many
 * of them it passes through, and every extra attempt, retry or hedge, takes one retry.
 */
export interface RetryBudget {
  /** Records one new call (not a retry). Policies record a call once per budget (see above). */
  recordRequest(): void;
  /** Takes permission for one retry; false when the budget is spent. */
  tryAcquireRetry(): boolean;
  /**
   * Gives back a retry that {@link RetryBudget.tryAcquireRetry} granted but that was never made:
   * `retry()` takes its retry before the backoff wait (so a spent budget fails the call at once,
   * and calls waiting together cannot overbook it) and gives it back when the deadline or an
   * abort cuts the wait short. `grantedAt` is when the retry was granted (ms; `retry()` reads
   * `coarseNow()` from @switchyard/core, the clock `retryBudget()` counts by, just before
   * `tryAcquireRetry()`). Optional: a budget without it keeps such retries until they leave its
   * window.
   */
  releaseRetry?(grantedAt: number): void;
  /** A retry was refused because the budget was spent. */
  readonly onExhausted: Event<void>;
  /** Its settings, e.g. `retryBudget(ratio=0.2, minPerSecond=10, windowMs=10000)`, for logs. */
  toString(): string;
}

const BUCKETS = 10;

/**
 * A retry budget over a sliding window: within any window, retries ≤ max(ratio × requests,
 * minPerSecond × window seconds). Unlike Linkerd's additive reserve, the floor does not stack on
 * top of the ratio, so under load attempts never exceed (1 + ratio) × requests — an outage cannot
 * multiply load by more than 1.2× with the defaults — while a quiet client can still retry.
 *
 * @throws InvalidArgumentError naming the option: an unknown one, `ratio` outside 0..1,
 * `minPerSecond` outside 0..1,000,000, `windowMs` not an integer from 10 to 3,600,000.
 * @example
 * ```ts
 * const budget = retryBudget({ ratio: 0.2 });
 * const policy = compose(retry({ budget }), hedge({ percentile: 0.95, budget }));
 * ```
 */
export function retryBudget(options: RetryBudgetOptions = {}): RetryBudget {
  checkOptions('retryBudget', options, ['ratio', 'minPerSecond', 'windowMs']);
  const { ratio, minPerSecond, windowMs } = withDefaults(DEFAULT_RETRY_BUDGET, options);
  assertNumber('retryBudget.ratio', ratio, 0, 1);
  assertNumber('retryBudget.minPerSecond', minPerSecond, 0, 1_000_000);
  assertInteger('retryBudget.windowMs', windowMs, BUCKETS, 3_600_000);
  const bucketMs = windowMs / BUCKETS;
  const floor = (minPerSecond * windowMs) / 1_000;
  const requests = new Float64Array(BUCKETS);
  const retries = new Float64Array(BUCKETS);
  let totalRequests = 0;
  let totalRetries = 0;
  let currentSlot = Math.floor(coarseNow() / bucketMs);
  const exhausted = new EventEmitter<void>();

  /** Moves the window forward, dropping buckets that fell out of it. */
  const advance = (): number => {
    // Buckets are a tenth of the window: a clock a few ms stale changes nothing.
    const slot = Math.floor(coarseNow() / bucketMs);
    if (slot !== currentSlot) {
      const steps = Math.min(slot - currentSlot, BUCKETS);
      for (let step = 1; step <= steps; step++) {
        const index = (currentSlot + step) % BUCKETS;
        totalRequests -= requests[index] as number;
        totalRetries -= retries[index] as number;
        requests[index] = 0;
        retries[index] = 0;
      }
      currentSlot = slot;
    }
    return slot % BUCKETS;
  };

  return {
    recordRequest() {
      const index = advance();
      requests[index] = (requests[index] as number) + 1;
      totalRequests++;
    },
    tryAcquireRetry() {
      const index = advance();
      if (totalRetries + 1 > Math.max(ratio * totalRequests, floor)) {
        exhausted.emit();
        return false;
      }
      retries[index] = (retries[index] as number) + 1;
      totalRetries++;
      return true;
    },
    releaseRetry(grantedAt) {
      advance();
      // The grant sits in the bucket of its time until that bucket leaves the window (then there
      // is nothing to give back). Should that bucket hold no retry (the clock caught up between
      // the caller's reading and the grant), an older one gives one back instead: that can only
      // overcount for a while (the older retry leaves early, the grant stays), never let retries
      // pass the cap.
      for (let slot = Math.min(Math.floor(grantedAt / bucketMs), currentSlot); slot > currentSlot - BUCKETS; slot--) {
        const index = slot % BUCKETS;
        if ((retries[index] as number) > 0) {
          retries[index] = (retries[index] as number) - 1;
          totalRetries--;
          return;
        }
      }
    },
    onExhausted: exhausted.event,
    toString: () => `retryBudget(ratio=${ratio}, minPerSecond=${minPerSecond}, windowMs=${windowMs})`,
  };
}
