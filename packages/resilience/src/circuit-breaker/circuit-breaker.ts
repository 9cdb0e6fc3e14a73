import {
  assertInteger,
  CircuitOpenError,
  coarseNow,
  describesThisSide,
  describeValue,
  type Event,
  EventEmitter,
  InvalidArgumentError,
} from '@switchyard/core';
import type { CallContext } from '../call-context.js';
import { cancelDeadline, scheduleDeadline } from '../deadline-scheduler.js';
import { answeringOnThrow, checkOptions, withDefaults } from '../options.js';
import { type Policy, policyFromSteps } from '../policy.js';
import { type BreakerConfig, BreakerState, type CircuitState, REJECTED } from './breaker-state.js';
import { countWindow, type SlidingWindow, timeWindow } from './sliding-window.js';

/** Options for {@link circuitBreaker}. */
export interface CircuitBreakerOptions {
  /** The sliding window: the last `size` calls, or the calls of the last `windowMs` (one or the other). @default { windowMs: 10_000 } */
  window?: { size: number; windowMs?: never } | { windowMs: number; size?: never };
  /** Shorthand for `window: { windowMs }` (give one or the other). @default unset (`window` decides) */
  windowMs?: number;
  /** Failure rate (0..1] that opens the circuit. @default 0.5 */
  failureRateThreshold?: number;
  /**
   * Calls at least this long count as slow: timed from admission, less any wait for an inner
   * bulkhead's slot (the caller's own congestion, not the dependency's latency). @default Infinity (off)
   */
  slowCallMs?: number;
  /** Slow-call rate (0..1] that opens the circuit. @default 1 */
  slowCallRateThreshold?: number;
  /**
   * Calls needed in the window before rates count; with a count window, at most its `size`.
   * @default 20, or `window.size` when that is smaller
   */
  minimumCalls?: number;
  /** How long the circuit stays open before probing. @default 5_000 */
  openMs?: number;
  /** Probes admitted in half-open; all must succeed to close. @default 3 */
  halfOpenCalls?: number;
  /**
   * Longest wait (ms) for a half-open probe's outcome. A probe still unsettled then counts as a
   * failure and the circuit opens again for `openMs` (a dependency that cannot answer one call in
   * that time is not healthy); one that has not reached the operation yet (still waiting for an
   * inner bulkhead's slot) only gives its probe slot back. Without it, a probe with no deadline whose
   * operation hangs held the circuit half-open, rejecting every other call, for good. The probe's
   * call itself is not cancelled: give it a deadline for that. A deadline that comes first decides
   * the probe as before.
   * @default openMs
   */
  probeTimeoutMs?: number;
  /**
   * What counts as a failure. @default every error except caller mistakes and cancellations (see
   * isServerFailure). Never asked about rejections made before the dependency was reached
   * (CIRCUIT_OPEN, BULKHEAD_FULL, NO_INSTANCES, and a DEADLINE_EXCEEDED that came before the
   * operation was called, e.g. while waiting for an inner bulkhead's slot), nor about an inner
   * retry()'s give-up when none of its attempts reached the operation: those are not counted at all.
   */
  isFailure?: (error: unknown) => boolean;
  /** One breaker per `execute({ key })` (per method, per instance…) instead of one for all. @default false */
  keyed?: boolean;
  /**
   * Most keys kept. A new key past it drops the least recently created closed breaker; an open one
   * only when the oldest 32 are all open or isolated, an isolated one only when they are all isolated.
   * @default 10_000
   */
  maxKeys?: number;
}

/** Defaults of {@link CircuitBreakerOptions}. */
export const DEFAULT_CIRCUIT_BREAKER = Object.freeze({
  failureRateThreshold: 0.5,
  slowCallMs: Number.POSITIVE_INFINITY,
  slowCallRateThreshold: 1,
  minimumCalls: 20,
  openMs: 5_000,
  halfOpenCalls: 3,
  keyed: false,
  maxKeys: 10_000,
});

/** Oldest keyed breakers looked at for a closed one to drop when `maxKeys` is reached. */
const EVICTION_SCAN = 32;

/** A state change of one breaker. */
export interface CircuitStateChange {
  /** The state left. */
  from: CircuitState;
  /** The state entered. */
  to: CircuitState;
  /** The breaker's key (`undefined` for an unkeyed breaker). */
  key: string | undefined;
}

/** A circuit breaker policy, with its controls and events. */
export interface CircuitBreakerPolicy extends Policy {
  /** State of the breaker for `key` (unkeyed: omit). */
  state(key?: string): CircuitState;
  /** Opens the circuit until `reset()` (manual isolation, e.g. during an incident). */
  isolate(key?: string): void;
  /** Closes the circuit and clears its window. */
  reset(key?: string): void;
  /** The breaker (of any key) changed state: opened, half-opened, closed, isolated. */
  readonly onStateChange: Event<CircuitStateChange>;
  /** A call was rejected because the circuit was open. */
  readonly onReject: Event<{ key: string | undefined }>;
}

// Errors that say the caller did something wrong (or gave up), not that the dependency is sick.
// UNIMPLEMENTED (gRPC's, or HTTP 405 / 501) is a method the service does not have, not a failing
// service: counted, a gateway calling a method the fleet's older instances lack (a rolling deploy),
// or one misspelt path, opened the breaker for every method of the service.
const CLIENT_CODES = new Set([
  'INVALID_ARGUMENT',
  'CANCELLED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'UNAUTHENTICATED',
  'FAILED_PRECONDITION',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'CIRCUIT_OPEN',
  'BULKHEAD_FULL',
]);

// Rejections made on this side (an inner breaker or bulkhead, or discovery with nothing to pick)
// before the dependency was reached: they say nothing about it either way. Counted as successes,
// they used to dilute the failure rate (a hung dependency behind a full bulkhead: 200 timeouts and
// 800 instant BULKHEAD_FULL a second read as 20 % and never opened), and closed a half-open circuit
// on probes that never reached it. NO_INSTANCES counted as a failure: about 20 calls to a service
// with no instances opened the breaker, which then refused calls for `openMs` after they came back.
const LOCAL_REJECTIONS = new Set(['CIRCUIT_OPEN', 'BULKHEAD_FULL', 'NO_INSTANCES']);

function isLocalRejection(error: unknown): boolean {
  const code = codeOf(error);
  return code !== undefined && LOCAL_REJECTIONS.has(code);
}

/**
 * The call never reached the operation, and failed on this side: its deadline (or an inner
 * timeout) passed while it waited for an inner bulkhead's slot, or a retry() inside the breaker
 * gave up on attempts each refused by an inner bulkhead or breaker (RETRY_EXHAUSTED over such
 * errors, or RETRY_BUDGET_EXHAUSTED / DEADLINE_EXCEEDED after one). The caller's own congestion,
 * not the dependency's: counted as a failure, it opened the breaker (20 queued calls timing out
 * behind a few slow ones; a full bulkhead the caller retries; an inner per-instance breaker's
 * CIRCUIT_OPEN, which the default retryOn retries), or re-opened a half-open one on a probe that
 * never left this process. The caller still gets its error; only the breaker looks past it. A call
 * one of whose attempts reached the operation counts as before. Read on the error path only.
 */
function refusedEveryAttempt(context: CallContext, error: unknown): boolean {
  return !context.operationReached && refusedBeforeReaching(error, 0);
}

/** Whether `error` is a refusal made on this side, looking through retry()'s give-ups (bounded depth). */
function refusedBeforeReaching(error: unknown, depth: number): boolean {
  if (depth > 4) return false;
  const code = codeOf(error);
  if (code === undefined) return false;
  if (LOCAL_REJECTIONS.has(code) || code === 'DEADLINE_EXCEEDED') return true;
  if (code === 'RETRY_EXHAUSTED') {
    const errors = (error as { errors?: unknown }).errors;
    return Array.isArray(errors) && errors.length > 0 && errors.every((each) => refusedBeforeReaching(each, depth + 1));
  }
  if (code === 'RETRY_BUDGET_EXHAUSTED') return refusedBeforeReaching((error as { cause?: unknown }).cause, depth + 1);
  return false;
}

/**
 * The default failure test: everything but caller errors (codes such as INVALID_ARGUMENT, NOT_FOUND,
 * CANCELLED) and what a client reports about its own side of the call (see describesThisSide: a
 * response over its own size limits). The latter is as much a property of the request as a 4xx:
 * counted, 20 oversized replies from one endpoint opened the breaker for every call to the service.
 */
export function isServerFailure(error: unknown): boolean {
  const code = codeOf(error);
  return !(code !== undefined && CLIENT_CODES.has(code)) && !describesThisSide(error);
}

/** An error's string `code` (Switchyard errors and anything shaped like them), if it has one. */
function codeOf(error: unknown): string | undefined {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}

/**
 * A circuit breaker: when the failure (or slow-call) rate over a sliding window crosses its
 * threshold, calls are rejected at once with CIRCUIT_OPEN for `openMs`; then exactly
 * `halfOpenCalls` probes are admitted, and the circuit closes only if all succeed. Outcomes of calls
 * admitted in an earlier state never count in a later one (see BreakerState).
 *
 * @throws InvalidArgumentError naming the option (`circuitBreaker.openMs`…): an unknown one, a rate
 * outside (0, 1], a number out of its range, both `window.size` and `window.windowMs`, an
 * `isFailure` that is no function.
 * @example
 * ```ts
 * const breaker = circuitBreaker({ failureRateThreshold: 0.5, minimumCalls: 20, openMs: 5_000 });
 * breaker.onStateChange(({ from, to }) => log.warn({ from, to }, 'breaker'));
 * ```
 */
export function circuitBreaker(options: CircuitBreakerOptions = {}): CircuitBreakerPolicy {
  checkOptions('circuitBreaker', options, [
    'window',
    'windowMs',
    'failureRateThreshold',
    'slowCallMs',
    'slowCallRateThreshold',
    'minimumCalls',
    'openMs',
    'halfOpenCalls',
    'probeTimeoutMs',
    'isFailure',
    'keyed',
    'maxKeys',
  ]);
  const resolved = withDefaults(DEFAULT_CIRCUIT_BREAKER, options);
  const config: BreakerConfig = {
    failureRateThreshold: resolved.failureRateThreshold,
    slowCallRateThreshold: resolved.slowCallRateThreshold,
    slowCallMs: resolved.slowCallMs,
    minimumCalls: resolved.minimumCalls,
    openMs: resolved.openMs,
    halfOpenCalls: resolved.halfOpenCalls,
  };
  assertRate('circuitBreaker.failureRateThreshold', config.failureRateThreshold);
  assertRate('circuitBreaker.slowCallRateThreshold', config.slowCallRateThreshold);
  if (config.slowCallMs !== Number.POSITIVE_INFINITY)
    assertInteger('circuitBreaker.slowCallMs', config.slowCallMs, 0, 3_600_000);
  assertInteger('circuitBreaker.minimumCalls', config.minimumCalls, 1, 1_000_000);
  assertInteger('circuitBreaker.openMs', config.openMs, 1, 86_400_000);
  assertInteger('circuitBreaker.halfOpenCalls', config.halfOpenCalls, 1, 10_000);
  // Tied to openMs by default: a probe silent for as long as the circuit stayed open is no sign of
  // health. Not in DEFAULT_CIRCUIT_BREAKER (no fixed default), nor in the name (kept as it was).
  const probeTimeoutMs = resolved.probeTimeoutMs ?? config.openMs;
  assertInteger('circuitBreaker.probeTimeoutMs', probeTimeoutMs, 1, 86_400_000);
  assertInteger('circuitBreaker.maxKeys', resolved.maxKeys, 1, 10_000_000);
  // Read as truthy, a `keyed: 'false'` from configuration made one breaker per key.
  if (typeof resolved.keyed !== 'boolean') {
    throw new InvalidArgumentError(
      'circuitBreaker.keyed',
      `must be true or false, got ${describeValue(resolved.keyed)}`,
    );
  }
  if (options.windowMs !== undefined && options.window !== undefined) {
    throw new InvalidArgumentError('circuitBreaker.windowMs', 'give windowMs or window, not both');
  }
  const makeWindow = windowFactory(
    options.windowMs !== undefined ? { windowMs: options.windowMs } : options.window,
    options.windowMs !== undefined ? 'circuitBreaker.windowMs' : 'circuitBreaker.window.windowMs',
  );
  // A count window never holds more than `size` calls: a larger minimumCalls could never be met,
  // and the breaker would never open. A default gives way to the size; an explicit one is an error.
  const windowSize = options.window?.size;
  if (windowSize !== undefined && config.minimumCalls > windowSize) {
    if (options.minimumCalls !== undefined) {
      throw new InvalidArgumentError(
        'circuitBreaker.minimumCalls',
        `is ${config.minimumCalls}, more than window.size ${windowSize}: the window never holds that many calls, so the circuit could never open`,
      );
    }
    config.minimumCalls = windowSize;
  }
  if (options.isFailure !== undefined && typeof options.isFailure !== 'function') {
    throw new InvalidArgumentError('circuitBreaker.isFailure', 'must be a function');
  }
  const userIsFailure = options.isFailure;
  // A classifier that throws (a user's isFailure reading a field the error lacks) counts the call
  // as a failure, and the caller still gets the operation's error. Its throw used to skip the
  // recording: a half-open probe kept its slot for good, and the circuit rejected every call.
  const isFailure = userIsFailure === undefined ? isServerFailure : answeringOnThrow(userIsFailure, true);
  const changed = new EventEmitter<CircuitStateChange>();
  const rejected = new EventEmitter<{ key: string | undefined }>();
  const breakers = new Map<string | undefined, BreakerState>();

  const makeBreaker = (key: string | undefined): BreakerState =>
    new BreakerState(config, makeWindow(), (from, to) => changed.emit({ from, to, key }));
  // Unkeyed (the common case): one breaker, no map lookup per call.
  const single = resolved.keyed ? undefined : makeBreaker(undefined);
  /**
   * Makes room for a new key. The oldest closed breaker goes first: dropping the oldest whatever
   * its state let a churn of new keys (instances coming and going) silently end an isolate() that
   * only reset() may end, and close an open circuit, sending calls to a failing dependency again.
   * Only the oldest EVICTION_SCAN entries are looked at, so a new key costs O(1) however many are
   * open; among them, an open or half-open one goes before an isolated one. Runs when a key is
   * created only, never for a call to a known key.
   */
  const evictOne = (): void => {
    // Keys may be undefined (calls without one share a breaker), hence the entries, not the keys.
    let open: [string | undefined, BreakerState] | undefined;
    let scanned = 0;
    for (const entry of breakers) {
      const state = entry[1].state;
      if (state === 'closed') {
        breakers.delete(entry[0]);
        return;
      }
      if (open === undefined && state !== 'isolated') open = entry;
      if (++scanned >= EVICTION_SCAN) break;
    }
    breakers.delete(open !== undefined ? open[0] : breakers.keys().next().value);
  };
  const breakerFor = (key: string | undefined): BreakerState => {
    if (single) return single;
    let breaker = breakers.get(key);
    if (!breaker) {
      if (breakers.size >= resolved.maxKeys) evictOne();
      breaker = makeBreaker(key);
      breakers.set(key, breaker);
    }
    return breaker;
  };
  if (single) breakers.set(undefined, single);
  const timed = config.slowCallMs !== Number.POSITIVE_INFINITY;

  const step = (context: CallContext, next: (context: CallContext) => Promise<unknown>): Promise<unknown> => {
    const breaker = breakerFor(context.key);
    const permit = breaker.admit();
    if (permit === REJECTED) {
      rejected.emit({ key: resolved.keyed ? context.key : undefined });
      return Promise.reject(
        new CircuitOpenError(`circuit open${resolved.keyed && context.key ? ` for ${context.key}` : ''}`),
      );
    }
    // Timed from here, less what the call then waits in an inner bulkhead's queue (see durationOf).
    const startedAt = timed ? performance.now() - context.queueWaitMs : 0;
    if (breaker.state === 'half-open') return probe(breaker, permit, context, next, startedAt);
    return next(context).then(
      (result) => {
        // A coarse clock is precise enough to pick a window bucket.
        breaker.record(permit, 'success', coarseNow(), durationOf(context, startedAt));
        return result;
      },
      (error: unknown) => {
        breaker.record(permit, outcomeOf(context, error), coarseNow(), durationOf(context, startedAt));
        throw error;
      },
    );
  };

  /**
   * How long a call took at the dependency, for slow-call detection (0 when it is off): since its
   * admission (`startedAt` is offset by the queue wait the context had then), less the time it waited
   * for an inner bulkhead's slot. That wait is the caller's own congestion: counted, a dependency
   * answering every call well under `slowCallMs` opened the breaker once calls queued for a slot.
   */
  const durationOf = (context: CallContext, startedAt: number): number =>
    timed ? performance.now() - context.queueWaitMs - startedAt : 0;

  /** How a failed call counts (see isLocalRejection, refusedEveryAttempt). */
  const outcomeOf = (context: CallContext, error: unknown): 'success' | 'failure' | 'ignored' => {
    const cancelled = (context.abortReason as { code?: string } | undefined)?.code === 'CANCELLED';
    if (cancelled || isLocalRejection(error) || refusedEveryAttempt(context, error)) return 'ignored';
    return isFailure(error) ? 'failure' : 'success';
  };

  /**
   * A half-open trial call. Its outcome also settles when its context aborts, or after
   * `probeTimeoutMs`: an operation that ignores its signal (a black-holed dependency), or one with
   * no deadline at all, never settles, and its probe slot would keep the circuit half-open,
   * rejecting every call, for good. A passed deadline or probeTimeoutMs counts as a failure once the
   * operation was called; before that (the probe waited for a bulkhead slot), and on a
   * cancellation, it frees the slot. Whichever comes first is the one recorded. The timer is one
   * entry in the shared deadline scheduler, per probe only: closed-state calls arm nothing.
   *
   * Closed-state calls are counted when they settle only: watching each one's abort too cost
   * ~0.6 µs a call (an in-process loop of retry + breaker), and the transports' operations honour
   * their signal, so a call its deadline ended settles DEADLINE_EXCEEDED and is counted then.
   */
  const probe = (
    breaker: BreakerState,
    permit: number,
    context: CallContext,
    next: (context: CallContext) => Promise<unknown>,
    startedAt: number,
  ): Promise<unknown> => {
    let recorded = false;
    const recordOnce = (outcome: 'success' | 'failure' | 'ignored'): void => {
      if (recorded) return;
      recorded = true;
      removeAbort();
      cancelDeadline(unanswered);
      breaker.record(permit, outcome, coarseNow(), durationOf(context, startedAt));
    };
    // Neither runs before this function returns (onAbort defers even on an aborted context).
    const removeAbort = context.onAbort((reason) =>
      recordOnce(
        (reason as { code?: string }).code === 'CANCELLED' || !context.operationReached ? 'ignored' : 'failure',
      ),
    );
    const unanswered = scheduleDeadline(Date.now() + probeTimeoutMs, () =>
      recordOnce(context.operationReached ? 'failure' : 'ignored'),
    );
    return next(context).then(
      (result) => {
        recordOnce('success');
        return result;
      },
      (error: unknown) => {
        recordOnce(outcomeOf(context, error));
        throw error;
      },
    );
  };

  return {
    ...policyFromSteps(
      [step],
      `circuitBreaker(failureRate>=${config.failureRateThreshold}, minimumCalls=${config.minimumCalls}, openMs=${config.openMs}, halfOpenCalls=${config.halfOpenCalls}${resolved.keyed ? ', keyed' : ''})`,
    ),
    state: (key) => (single ?? breakers.get(key))?.state ?? 'closed',
    isolate: (key) => breakerFor(key).isolate(),
    reset: (key) => breakerFor(key).reset(),
    onStateChange: changed.event,
    onReject: rejected.event,
  };
}

/**
 * Asserts a rate in (0, 1]. Said in words: assertNumber's bounds read "from 5e-324 to 1" (the
 * smallest double, standing for "above 0"), which told someone passing a percentage (50, as
 * opossum's errorThresholdPercentage takes it) nothing useful.
 */
function assertRate(field: string, value: unknown): void {
  if (typeof value !== 'number' || !(value > 0 && value <= 1)) {
    throw new InvalidArgumentError(
      field,
      `must be a rate above 0 and at most 1 (0.5 for 50 %), got ${describeValue(value)}`,
    );
  }
}

function windowFactory(window: CircuitBreakerOptions['window'], windowMsField: string): () => SlidingWindow {
  if (window === undefined) return () => timeWindow(10_000);
  checkOptions('circuitBreaker.window', window, ['size', 'windowMs']);
  // One kind of window: with both, windowMs used to be ignored without a word (a count window).
  // A member given as undefined is not given, as for every other option (a `{ size, windowMs:
  // undefined }` built from configuration was refused as "both").
  const { size, windowMs } = window;
  if (size !== undefined && windowMs !== undefined) {
    throw new InvalidArgumentError(
      'circuitBreaker.window',
      'give size (a count window) or windowMs (a time window), not both',
    );
  }
  if (size !== undefined) {
    assertInteger('circuitBreaker.window.size', size, 1, 1_000_000);
    return () => countWindow(size);
  }
  assertInteger(windowMsField, windowMs, 10, 86_400_000);
  return () => timeWindow(windowMs);
}
