import { assertInteger, assertKnownKeys, assertNumber, assertObject, withDefaults } from '@switchyard/core';
import { HEALTH_ATTENTION, LoadSlab, WINDOW_CALLS, WINDOW_STARTED_AT } from '../load-slab.js';

/** Options for outlier detection (passive health checking from call outcomes). */
export interface OutlierDetectionOptions {
  /** Consecutive failed calls that eject an instance. @default 5 */
  consecutiveFailures?: number;
  /** Consecutive connection failures (refused, reset before reply) that eject it. @default 1 */
  consecutiveConnectionFailures?: number;
  /** Failure rate over `windowMs` that ejects it (0..1; 1 disables). @default 0.5 */
  failureRateThreshold?: number;
  /** Calls needed in the window before the failure rate counts. @default 20 */
  failureRateMinimumCalls?: number;
  /** Failure-rate window. @default 10_000 */
  windowMs?: number;
  /** First ejection length; it doubles with each ejection in a row. @default 5_000 */
  baseEjectionMs?: number;
  /** Longest ejection. @default 300_000, or `baseEjectionMs` when that is longer */
  maxEjectionMs?: number;
  /** ± fraction of random jitter on ejection lengths. @default 0.15 */
  jitter?: number;
  /**
   * When more than this fraction of instances is ejected or draining, health is ignored and
   * traffic spreads over all of them rather than overloading the few left. @default 0.5
   */
  panicThreshold?: number;
  /**
   * At most this fraction of the instances in rotation is ejected at once (Envoy's and gRPC's
   * `max_ejection_percent`, as a fraction); one instance may always be ejected. In rotation: not
   * filtered out, in the subset, and `up` (draining ones only when none of their track or split
   * version is up); an ejected instance out of rotation does not count. An instance that meets an
   * ejection rule while the cap is reached stays in rotation, and is ejected by its next failure
   * once there is room. 1 (the default) leaves the limit to `panicThreshold`. @default 1
   */
  maxEjectionShare?: number;
}

/** Defaults of {@link OutlierDetectionOptions}. */
export const DEFAULT_OUTLIER_DETECTION = Object.freeze({
  consecutiveFailures: 5,
  consecutiveConnectionFailures: 1,
  failureRateThreshold: 0.5,
  failureRateMinimumCalls: 20,
  windowMs: 10_000,
  baseEjectionMs: 5_000,
  maxEjectionMs: 300_000,
  jitter: 0.15,
  panicThreshold: 0.5,
  maxEjectionShare: 1,
});

/** Validated, complete outlier detection settings. */
export type OutlierDetectionConfig = Readonly<Required<OutlierDetectionOptions>>;

/** Validates options (field names prefixed `outlierDetection.`) and fills defaults. */
export function resolveOutlierDetection(options: OutlierDetectionOptions | undefined): OutlierDetectionConfig {
  if (options === undefined) return DEFAULT_OUTLIER_DETECTION;
  assertObject('outlierDetection', options);
  assertKnownKeys('outlierDetection', options as Record<string, unknown>, Object.keys(DEFAULT_OUTLIER_DETECTION));
  const config = withDefaults(DEFAULT_OUTLIER_DETECTION, options);
  const field = (name: string): string => `outlierDetection.${name}`;
  assertInteger(field('consecutiveFailures'), config.consecutiveFailures, 1, 1_000_000);
  assertInteger(field('consecutiveConnectionFailures'), config.consecutiveConnectionFailures, 1, 1_000_000);
  assertNumber(field('failureRateThreshold'), config.failureRateThreshold, 0, 1);
  assertInteger(field('failureRateMinimumCalls'), config.failureRateMinimumCalls, 1, 1_000_000);
  assertInteger(field('windowMs'), config.windowMs, 1, 86_400_000);
  assertInteger(field('baseEjectionMs'), config.baseEjectionMs, 1, 86_400_000);
  // Not given, the cap is the default or baseEjectionMs, whichever is larger (Envoy's rule for
  // max_ejection_time): `{ baseEjectionMs: 600_000 }` alone was refused as "maxEjectionMs must be
  // from 600000", naming an option the caller had not set.
  if (options.maxEjectionMs === undefined) {
    (config as { maxEjectionMs: number }).maxEjectionMs = Math.max(config.maxEjectionMs, config.baseEjectionMs);
  }
  assertInteger(field('maxEjectionMs'), config.maxEjectionMs, config.baseEjectionMs, 86_400_000);
  assertNumber(field('jitter'), config.jitter, 0, 1);
  assertNumber(field('panicThreshold'), config.panicThreshold, 0, 1);
  assertNumber(field('maxEjectionShare'), config.maxEjectionShare, 0, 1);
  return config;
}

/** The outcome of one call, as far as health is concerned. */
export interface HealthOutcome {
  ok: boolean;
  connectionFailed?: boolean;
}

/** What an instance's health record keeps while the instance is out of the registry (see {@link EndpointHealth.memory}). */
export interface HealthMemory {
  readonly ejections: number;
  readonly ejectedUntil: number;
  readonly lastEjectionEndsAt: number;
}

/**
 * The health record of one instance: counts outcomes and decides ejections. Ejections grow
 * (base × 2^(n-1), capped, jittered); an instance back from ejection is on probation and is ejected
 * again by its first failure; quiet periods of success shrink the multiplier again.
 *
 * What every success touches (the failure-rate window and a "needs attention" flag) lives in the
 * instance's {@link LoadSlab} line, beside its load, so the common case, a success for a healthy
 * instance, is {@link EndpointHealth.countCall} on a line the pick already loaded, without
 * loading this object at all.
 */
export class EndpointHealth {
  private consecutive = 0;
  private consecutiveConnection = 0;
  /** Failures in the window that started at {@link EndpointHealth.failuresWindow}. */
  private failures = 0;
  private failuresWindow = Number.NaN;
  private ejections = 0;
  private lastEjectionEndsAt = 0;
  /** When the current ejection ends (0 when not ejected). */
  ejectedUntil = 0;
  private onProbation = false;
  /** When the latest ejection began: a call started before it is one it already accounted for. */
  private lastEjectedAt = Number.NEGATIVE_INFINITY;

  /**
   * @param slab and `base`: the line holding the window and the flag (discovery passes the
   *   instance's load line). @default a line of its own
   */
  constructor(
    private readonly config: OutlierDetectionConfig,
    private readonly slab: LoadSlab = new LoadSlab(1, 1),
    private readonly base: number = slab.allocate(),
  ) {}

  /**
   * Counts a call (any outcome) in the failure-rate window kept in the line at `base`, rolling the
   * window when it has run out. True when the health object must see the call too
   * ({@link EndpointHealth.afterSuccess} for a success): failures, ejections or probation are on record.
   */
  static countCall(array: Float64Array, base: number, windowMs: number, now: number): boolean {
    if (now - (array[base + WINDOW_STARTED_AT] as number) > windowMs) {
      array[base + WINDOW_STARTED_AT] = now;
      array[base + WINDOW_CALLS] = 0;
    }
    array[base + WINDOW_CALLS] = (array[base + WINDOW_CALLS] as number) + 1;
    return array[base + HEALTH_ATTENTION] !== 0;
  }

  /** Number of ejections in a row (the backoff exponent). */
  get ejectionCount(): number {
    return this.ejections;
  }

  /** Back from an ejection: the next failure ejects again. */
  get probation(): boolean {
    return this.onProbation;
  }

  isEjected(now: number): boolean {
    return this.ejectedUntil > now;
  }

  /**
   * Records an outcome; returns the ejection length in ms when it ejects the instance. With
   * `mayEject` false (the ejection cap is reached) a failure is counted but ejects nothing.
   * `startedAt` (same clock as `now`) is when the call began, when known.
   */
  record(outcome: HealthOutcome, now: number, mayEject = true, startedAt?: number): number | undefined {
    if (outcome.ok) {
      if (EndpointHealth.countCall(this.slab.array, this.base, this.config.windowMs, now)) {
        this.afterSuccess(now, startedAt);
      }
      return undefined;
    }
    const array = this.slab.array;
    const base = this.base;
    EndpointHealth.countCall(array, base, this.config.windowMs, now);
    // Already ejected: these are the calls that were in flight when it happened. They tell nothing
    // new, and counting them would eject again per failure, each time doubling the length (30
    // calls in flight to an instance that dies took the ejection to its 300 s cap at once).
    if (this.isEjected(now)) return undefined;
    // The same for those that fail after the ejection ended (a deadline longer than the ejection):
    // each put the instance, back on probation, out again at twice the length. (One begun in the
    // ejection's millisecond began before it: see afterSuccess.)
    if (startedAt !== undefined && startedAt <= this.lastEjectedAt) return undefined;
    // The failure count belongs to the window the call was counted in.
    const windowStartedAt = array[base + WINDOW_STARTED_AT] as number;
    if (this.failuresWindow !== windowStartedAt) {
      this.failuresWindow = windowStartedAt;
      this.failures = 0;
    }
    const windowCalls = array[base + WINDOW_CALLS] as number;
    this.failures++;
    this.consecutive++;
    this.consecutiveConnection = outcome.connectionFailed ? this.consecutiveConnection + 1 : 0;
    array[base + HEALTH_ATTENTION] = 1;
    const rate =
      windowCalls >= this.config.failureRateMinimumCalls &&
      this.failures / windowCalls >= this.config.failureRateThreshold &&
      this.config.failureRateThreshold < 1;
    if (
      mayEject &&
      (this.onProbation ||
        this.consecutive >= this.config.consecutiveFailures ||
        this.consecutiveConnection >= this.config.consecutiveConnectionFailures ||
        rate)
    ) {
      return this.eject(now);
    }
    return undefined;
  }

  /**
   * The rest of a success, once {@link EndpointHealth.countCall} counted it and asked for it.
   * `startedAt` (same clock as `now`) is when the call began, when known.
   */
  afterSuccess(now: number, startedAt?: number): void {
    // A call that began before the latest ejection (a slow one that succeeds after the release)
    // vouches for the instance as it was then: it neither ends probation nor shrinks the backoff,
    // as its failure would not have ejected it again (see record). One begun in the ejection's
    // millisecond began before it: an ejected instance is picked again only after its release
    // (or in panic, where it is not vouched for either).
    if (startedAt !== undefined && startedAt <= this.lastEjectedAt) return;
    this.consecutive = 0;
    this.consecutiveConnection = 0;
    this.onProbation = false;
    if (this.ejections > 0 && now - this.lastEjectionEndsAt > this.ejectionLength(this.ejections)) {
      this.ejections--;
      this.lastEjectionEndsAt = now;
    }
    // Until the ejection count has shrunk back to 0, successes still have work here.
    this.slab.array[this.base + HEALTH_ATTENTION] = this.ejections > 0 ? 1 : 0;
  }

  /**
   * The ejection history worth keeping when the instance leaves the registry and may come back
   * under the same id (a restarted process, an expiry after a stall, a resync): undefined when it
   * has none. Without it, an instance that fails, restarts and fails again would start over at
   * the shortest ejection every time, and one that left while ejected would return at once.
   */
  memory(): HealthMemory | undefined {
    if (this.ejections === 0) return undefined;
    return { ejections: this.ejections, ejectedUntil: this.ejectedUntil, lastEjectionEndsAt: this.lastEjectionEndsAt };
  }

  /**
   * Takes back what {@link EndpointHealth.memory} kept: the ejection count (the backoff exponent),
   * the ejection itself if it has not ended yet, else probation (as after {@link EndpointHealth.release}).
   * Returns how long the ejection still lasts, in ms (0 when it has ended).
   */
  recall(memory: HealthMemory, now: number): number {
    this.ejections = memory.ejections;
    this.lastEjectionEndsAt = memory.lastEjectionEndsAt;
    this.slab.array[this.base + HEALTH_ATTENTION] = 1;
    if (memory.ejectedUntil > now) {
      this.ejectedUntil = memory.ejectedUntil;
      return memory.ejectedUntil - now;
    }
    this.onProbation = true;
    return 0;
  }

  /** Ends the ejection: the instance returns on probation. */
  release(): void {
    this.ejectedUntil = 0;
    this.onProbation = true;
    this.consecutive = 0;
    this.consecutiveConnection = 0;
    this.failures = 0;
    const array = this.slab.array;
    array[this.base + WINDOW_CALLS] = 0;
    array[this.base + HEALTH_ATTENTION] = 1;
  }

  private eject(now: number): number {
    this.ejections++;
    this.consecutive = 0;
    this.consecutiveConnection = 0;
    const length = Math.round(this.ejectionLength(this.ejections) * (1 + (Math.random() * 2 - 1) * this.config.jitter));
    this.ejectedUntil = now + length;
    this.lastEjectedAt = now;
    this.lastEjectionEndsAt = this.ejectedUntil;
    this.onProbation = false;
    this.slab.array[this.base + HEALTH_ATTENTION] = 1;
    return length;
  }

  private ejectionLength(ejections: number): number {
    return Math.min(this.config.maxEjectionMs, this.config.baseEjectionMs * 2 ** Math.min(ejections - 1, 30));
  }
}
