import {
  assertInteger,
  coarseNow,
  DeadlineExceededError,
  type Event,
  EventEmitter,
  RetryBudgetExhaustedError,
  RetryExhaustedError,
} from '@switchyard/core';
import { type BackoffOptions, exponentialBackoff } from './backoff.js';
import type { CallContext } from './call-context.js';
import { answeringOnThrow, checkBudget, checkFunctions, checkOptions, withDefaults } from './options.js';
import { type Policy, policyFromSteps } from './policy.js';
import { type RetryBudget, retryBudget } from './retry-budget.js';
import { sleepInContext } from './sleep-in-context.js';

/** Options for {@link retry}. */
export interface RetryOptions {
  /** Attempts in all, the first included. @default 3 */
  maxAttempts?: number;
  /** Exponential backoff with full jitter. @default { initialMs: 25, maxMs: 1_000, multiplier: 2 } */
  backoff?: BackoffOptions;
  /**
   * Decides *what* is retried (separately from how). @default errors with `retryable === true`
   * (every Switchyard error says; the transports map UNAVAILABLE, connection failures, 502/503/504…).
   * One that throws means "not retryable" (the caller gets the operation's error).
   */
  retryOn?: (error: unknown, attempt: number) => boolean;
  /**
   * Limits retries to a share of recent requests; `false` turns it off (not recommended). A retry
   * is taken from it before its backoff wait and given back if the deadline or an abort cuts the
   * wait short. May be shared with a `hedge()`: a call is one request, each retry or hedge one retry.
   * @default a retryBudget() of its own (20 % of requests, at least 10/s, over 10 s)
   */
  budget?: RetryBudget | false;
  /**
   * Server pushback: the delay the server asked for (ms), e.g. from `Retry-After` or
   * `grpc-retry-pushback-ms`; a negative or infinite value means "do not retry", NaN (or anything
   * not a number, such as the header's raw string) none given.
   * Waits of any length are honoured (within the deadline), including past Node's 24.8-day timer
   * limit. One that throws means none given. @default `error.retryAfterMs`
   */
  pushbackOf?: (error: unknown) => number | undefined;
}

/** Defaults of {@link RetryOptions}. */
export const DEFAULT_RETRY = Object.freeze({ maxAttempts: 3 });

/** A retry is about to happen. */
export interface RetryEvent {
  /** The attempt about to start (2 for the first retry). */
  attempt: number;
  /** The wait before it (ms): the backoff's, or the server's pushback. */
  delayMs: number;
  /** The failed attempt's error. */
  error: unknown;
}

/** Retrying stopped without success. */
export interface GiveUpEvent {
  /** Attempts made, the first included. */
  attempts: number;
  /**
   * `deadline`: the call's deadline passed (during an attempt or a wait) or left no time for
   * another attempt; `aborted`: the caller (or a policy, e.g. a hedge that lost) cancelled the call.
   */
  reason: 'not-retryable' | 'attempts' | 'budget' | 'deadline' | 'pushback' | 'aborted';
  /** The last attempt's error. */
  error: unknown;
}

/** A retry policy, with its events. */
export interface RetryPolicy extends Policy {
  /** A retry is about to wait its delay (told before the wait). */
  readonly onRetry: Event<RetryEvent>;
  /** Retrying stopped without success; not told for a call whose first attempt succeeded. */
  readonly onGiveUp: Event<GiveUpEvent>;
  /** The budget in use (the given one or its own); `undefined` with `budget: false`. */
  readonly budget: RetryBudget | undefined;
}

const isRetryable = (error: unknown): boolean =>
  typeof error === 'object' && error !== null && (error as { retryable?: unknown }).retryable === true;
const retryAfterOf = (error: unknown): number | undefined => {
  const value =
    typeof error === 'object' && error !== null ? (error as { retryAfterMs?: unknown }).retryAfterMs : undefined;
  // Infinity passes: it means "do not retry" (see RetryOptions.pushbackOf); NaN means nothing.
  return typeof value === 'number' && !Number.isNaN(value) ? value : undefined;
};

/**
 * Why an aborted call stopped retrying: its deadline passed, or its caller (or a policy) cancelled
 * it. The deadline ending an attempt, the commonest case, used to be reported as 'aborted'.
 */
const abortedWhy = (reason: unknown): 'deadline' | 'aborted' =>
  (reason as { code?: unknown } | undefined)?.code === 'DEADLINE_EXCEEDED' ? 'deadline' : 'aborted';

/**
 * Retries failed attempts with exponential backoff and full jitter, within a retry budget, never
 * sleeping past the deadline and never starting an attempt after it. Each retry gets a fresh
 * attempt context (attempt number, signal), so the transports pick a new instance per attempt.
 *
 * Errors: the error itself when it is not retryable or the call was aborted; RETRY_EXHAUSTED
 * (`errors[]`, cause = last) after the last attempt; RETRY_BUDGET_EXHAUSTED or DEADLINE_EXCEEDED
 * (cause = last error) when the budget or the deadline leaves no room for another attempt.
 *
 * @throws InvalidArgumentError naming the option (`retry.maxAttempts`, `retry.backoff.initialMs`…):
 * an unknown one, a number out of range (`maxAttempts` 1 to 100), a classifier that is no function,
 * a `budget` that is not a retryBudget() or `false`.
 * @example
 * ```ts
 * const policy = retry({ maxAttempts: 3, backoff: { initialMs: 25, maxMs: 1_000 } });
 * policy.onGiveUp(({ reason, attempts }) => log.warn({ reason, attempts }, 'gave up'));
 * ```
 */
export function retry(options: RetryOptions = {}): RetryPolicy {
  checkOptions('retry', options, ['maxAttempts', 'backoff', 'retryOn', 'budget', 'pushbackOf']);
  const { maxAttempts } = withDefaults(DEFAULT_RETRY, options);
  assertInteger('retry.maxAttempts', maxAttempts, 1, 100);
  const delayFor = exponentialBackoff(options.backoff);
  checkFunctions('retry', options, ['retryOn', 'pushbackOf']);
  // A classifier that throws (a retryOn reading a field the error lacks) says "not retryable", and
  // a pushbackOf that throws says "no pushback", as hedge() and circuitBreaker() treat theirs: the
  // throw used to replace the operation's error for the caller, and no give-up was reported.
  const retryOn = options.retryOn === undefined ? isRetryable : answeringOnThrow(options.retryOn, false);
  const pushbackOf = options.pushbackOf === undefined ? retryAfterOf : answeringOnThrow(options.pushbackOf, undefined);
  checkBudget('retry', options.budget);
  const budget = options.budget === false ? undefined : (options.budget ?? retryBudget());
  const retried = new EventEmitter<RetryEvent>();
  const gaveUp = new EventEmitter<GiveUpEvent>();

  const giveUp = (attempts: number, reason: GiveUpEvent['reason'], error: unknown, thrown: unknown): never => {
    gaveUp.emit({ attempts, reason, error });
    throw thrown;
  };

  /** Retries after a failed first attempt (the happy path never enters here). */
  const retryAfter = async (
    context: CallContext,
    next: (context: CallContext) => Promise<unknown>,
    firstError: unknown,
  ): Promise<unknown> => {
    const errors: unknown[] = [];
    let error = firstError;
    for (let attempt = 1; ; attempt++) {
      errors.push(error);
      const abortReason = context.abortReason;
      if (abortReason) giveUp(attempt, abortedWhy(abortReason), error, error);
      if (!retryOn(error, attempt)) giveUp(attempt, 'not-retryable', error, error);
      // The operation said it must not run again (see refuseFurtherAttempts): said now, before a
      // backoff wait and a budget token spent on an attempt the transport would refuse.
      const refused = context.furtherAttemptsRefused;
      if (refused) giveUp(attempt, 'not-retryable', error, refused);
      if (attempt >= maxAttempts) giveUp(attempt, 'attempts', error, new RetryExhaustedError(errors));
      const asked: unknown = pushbackOf(error);
      // NaN is no answer (the backoff decides); a negative or infinite wait means "do not retry".
      // So is anything but a number: a raw header string ('100', as gRPC metadata and HTTP
      // headers hold it) was added to Date.now() as text, and failed the call with an error
      // about a `delayMs` nobody gave, or gave up at once on a deadline.
      const pushback = typeof asked === 'number' && !Number.isNaN(asked) ? asked : undefined;
      if (pushback !== undefined && (pushback < 0 || pushback === Number.POSITIVE_INFINITY))
        giveUp(attempt, 'pushback', error, error);
      const delayMs = pushback ?? delayFor(attempt);
      if (Date.now() + delayMs >= context.deadline) {
        giveUp(
          attempt,
          'deadline',
          error,
          new DeadlineExceededError('no time left for another attempt', { cause: error }),
        );
      }
      // Taken before the wait, so a spent budget fails the call now rather than after a wait, and
      // calls waiting at once cannot overbook it; given back below if the wait is cut short. It was
      // kept then: a retry never made was charged (an outage's deadlines drained the budget).
      let grantedAt = 0;
      if (budget) {
        grantedAt = coarseNow(); // the clock retryBudget() buckets by, so the give-back is exact
        if (!budget.tryAcquireRetry()) {
          giveUp(attempt, 'budget', error, new RetryBudgetExhaustedError('retry budget exhausted', { cause: error }));
        }
      }
      retried.emit({ attempt: attempt + 1, delayMs, error });
      if (delayMs > 0) {
        try {
          await sleepInContext(context, delayMs);
        } catch (reason) {
          // The deadline or the caller's signal ended the wait: a give-up like any other (its
          // listeners, the metrics among them, used to miss it).
          budget?.releaseRetry?.(grantedAt);
          giveUp(attempt, abortedWhy(reason), error, reason);
        }
        // The call aborted after the wait's timer resolved it but before this continuation ran
        // (the caller's abort or a deadline due in the same tick, run before any promise job):
        // the attempt started anyway, for a caller who already had CANCELLED.
        const abortedMeanwhile = context.abortReason;
        if (abortedMeanwhile) {
          budget?.releaseRetry?.(grantedAt);
          giveUp(attempt, abortedWhy(abortedMeanwhile), error, abortedMeanwhile);
        }
        // The wait's timer can run after the deadline when the event loop lagged: both timers were
        // due and the deadline's had not run yet. Starting the attempt then would send a request
        // nobody waits for (and that the transports would give no time at all).
        if (Date.now() >= context.deadline) {
          budget?.releaseRetry?.(grantedAt);
          giveUp(
            attempt,
            'deadline',
            error,
            new DeadlineExceededError('no time left for another attempt', { cause: error }),
          );
        }
      }
      try {
        // Numbered for the whole call, not by this policy's count (see CallContext.nextAttempt).
        return await next(context.child(context.nextAttempt()));
      } catch (next) {
        error = next;
      }
    }
  };

  const step = (context: CallContext, next: (context: CallContext) => Promise<unknown>): Promise<unknown> => {
    // Once per call: a hedge() around this retry, sharing its budget, may have recorded it already,
    // and sends each of its hedges through here.
    if (budget !== undefined && context.firstRequestFor(budget)) budget.recordRequest();
    // The first attempt runs in the call's own context: no allocation, no async frame.
    return next(context).catch((error: unknown) => retryAfter(context, next, error));
  };

  return {
    ...policyFromSteps([step], `retry(maxAttempts=${maxAttempts}${budget ? `, ${budget.toString()}` : ', no budget'})`),
    onRetry: retried.event,
    onGiveUp: gaveUp.event,
    budget,
  };
}
