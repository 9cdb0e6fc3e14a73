import {
  assertInteger,
  assertNumber,
  CancelledError,
  type Event,
  EventEmitter,
  InvalidArgumentError,
} from '@switchyard/core';
import type { CallContext } from './call-context.js';
import { answeringOnThrow, checkBudget, checkFunctions, checkOptions } from './options.js';
import { type Policy, policyFromSteps } from './policy.js';
import { type RetryBudget, retryBudget } from './retry-budget.js';

/** Options for {@link hedge}. */
export interface HedgeOptions {
  /** Fixed delay (ms) before sending a hedge. Give this or `percentile`. @default none (one of the two is required) */
  delayMs?: number;
  /**
   * Hedge after this quantile (0..1) of the last 1,000 successful latencies, e.g. 0.95 (`initialDelayMs`
   * until 20 have been seen). Give this or `delayMs`. @default none (one of the two is required)
   */
  percentile?: number;
  /** Delay used until `percentile` has enough samples. @default 50 */
  initialDelayMs?: number;
  /** Extra attempts at most. @default 1 */
  maxHedges?: number;
  /**
   * Limits hedges to a share of calls; `false` turns it off. May be the budget of a `retry()` too:
   * a call is one request, and each hedge or retry takes one retry from it.
   * @default retryBudget({ ratio: 0.1, minPerSecond: 1 })
   */
  budget?: RetryBudget | false;
  /** Whether a failed attempt lets the next hedge start at once. @default errors with `retryable === true` */
  retryOn?: (error: unknown) => boolean;
}

/** A hedging policy, with its events. */
export interface HedgePolicy extends Policy {
  /** A hedge attempt started. */
  readonly onHedge: Event<{ attempt: number; afterMs: number }>;
}

/** New latency samples between two computations of the percentile. */
const RECOMPUTE_EVERY = 32;
const SAMPLES = 1_000;
const MIN_SAMPLES = 20;

/**
 * Hedged requests (The Tail at Scale): if an attempt has not answered after a delay, send another
 * (to another instance: each attempt gets its own context), take the first success and cancel the
 * others through their signals. Limited by a budget so hedging cannot double the load.
 *
 * @throws InvalidArgumentError naming the option: neither or both of `delayMs` and `percentile`, an
 * unknown option, a number out of its range (`maxHedges` 1 to 10), a `retryOn` that is no function,
 * a `budget` that is not a retryBudget() or `false`.
 * @example
 * ```ts
 * const policy = compose(timeout({ ms: 1_000 }), hedge({ percentile: 0.95, maxHedges: 1 }));
 * ```
 */
export function hedge(options: HedgeOptions): HedgePolicy {
  checkOptions('hedge', options, ['delayMs', 'percentile', 'initialDelayMs', 'maxHedges', 'budget', 'retryOn']);
  if ((options?.delayMs === undefined) === (options?.percentile === undefined)) {
    throw new InvalidArgumentError('hedge', 'give exactly one of delayMs or percentile');
  }
  if (options.delayMs !== undefined) assertInteger('hedge.delayMs', options.delayMs, 0, 3_600_000);
  if (options.percentile !== undefined) assertNumber('hedge.percentile', options.percentile, 0, 1);
  const initialDelayMs = options.initialDelayMs ?? 50;
  assertInteger('hedge.initialDelayMs', initialDelayMs, 0, 3_600_000);
  const maxHedges = options.maxHedges ?? 1;
  assertInteger('hedge.maxHedges', maxHedges, 1, 10);
  checkFunctions('hedge', options, ['retryOn']);
  checkBudget('hedge', options.budget);
  const budget =
    options.budget === false ? undefined : (options.budget ?? retryBudget({ ratio: 0.1, minPerSecond: 1 }));
  // A retryOn that throws says "not retryable": its throw escaped the attempt's handler, and the
  // call never settled (only its deadline, if it had one, ended it).
  const retryOn =
    options.retryOn === undefined
      ? (error: unknown) =>
          typeof error === 'object' && error !== null && (error as { retryable?: unknown }).retryable === true
      : answeringOnThrow(options.retryOn, false);
  const hedged = new EventEmitter<{ attempt: number; afterMs: number }>();
  const latencies = new Float64Array(SAMPLES);
  let sampleCount = 0;
  // The percentile is worked out again only after RECOMPUTE_EVERY new samples: sorting the last
  // 1,000 on every call cost ~36 µs a call, and 32 samples in 1,000 barely move a percentile.
  let cachedDelay = initialDelayMs;
  let cachedAtCount = -1;

  const delay = (): number => {
    if (options.delayMs !== undefined) return options.delayMs;
    const count = Math.min(sampleCount, SAMPLES);
    if (count < MIN_SAMPLES) return initialDelayMs;
    if (cachedAtCount >= 0 && sampleCount - cachedAtCount < RECOMPUTE_EVERY) return cachedDelay;
    const sorted = latencies.slice(0, count).sort();
    cachedDelay = sorted[Math.min(count - 1, Math.floor((options.percentile as number) * count))] as number;
    cachedAtCount = sampleCount;
    return cachedDelay;
  };

  const step = (context: CallContext, next: (context: CallContext) => Promise<unknown>): Promise<unknown> => {
    // Once per call, not per attempt: a retry() around this hedge sends its retries through it.
    if (budget !== undefined && context.firstRequestFor(budget)) budget.recordRequest();
    const started = Date.now();
    const hedgeAfter = delay();
    return new Promise((resolve, reject) => {
      const attempts: CallContext[] = [];
      let inFlight = 0;
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      let lastError: unknown;
      let removeAbort: (() => void) | undefined;

      const finish = (winner: CallContext | undefined): void => {
        settled = true;
        if (timer) clearTimeout(timer);
        removeAbort?.();
        for (const attempt of attempts) {
          if (attempt !== winner) attempt.abort(new CancelledError('hedged attempt lost the race'));
        }
      };
      const launch = (): void => {
        // The first keeps the attempt number it came with (a retry's, when a retry() is outside);
        // each hedge gets a new one for the whole call (see CallContext.nextAttempt).
        const attempt = context.child(attempts.length === 0 ? context.attempt : context.nextAttempt());
        attempts.push(attempt);
        inFlight++;
        next(attempt).then(
          (value) => {
            inFlight--;
            if (settled) return;
            latencies[sampleCount++ % SAMPLES] = Date.now() - started;
            finish(attempt);
            resolve(value);
          },
          (error: unknown) => {
            inFlight--;
            if (settled) return;
            lastError = error;
            if (context.abortReason === undefined && retryOn(error) && tryHedge()) return;
            if (inFlight === 0) {
              finish(undefined);
              reject(lastError);
            }
          },
        );
      };
      const tryHedge = (): boolean => {
        // Not for a call the caller gave up on: it would spend budget and a slot on nobody.
        if (attempts.length > maxHedges || context.abortReason || Date.now() >= context.deadline) return false;
        // Nor for one whose attempts cannot run side by side (its operation said so): the transport
        // would refuse the attempt at once, after it had taken a retry from the budget.
        if (!context.hedgingAllowed) return false;
        if (budget && !budget.tryAcquireRetry()) return false;
        hedged.emit({ attempt: attempts.length + 1, afterMs: Date.now() - started });
        launch();
        return true;
      };
      const schedule = (): void => {
        timer = setTimeout(() => {
          if (!settled && tryHedge() && attempts.length <= maxHedges) schedule();
        }, hedgeAfter);
        timer.unref();
      };
      launch();
      schedule();
      // The caller giving up stops the schedule too (the attempts abort with the call's context).
      removeAbort = context.onAbort(() => {
        if (timer) clearTimeout(timer);
      });
    });
  };

  return {
    ...policyFromSteps(
      [step],
      `hedge(${options.delayMs !== undefined ? `${options.delayMs}ms` : `p${options.percentile}`}, maxHedges=${maxHedges})`,
    ),
    onHedge: hedged.event,
  };
}
