import type { SlidingWindow } from './sliding-window.js';

/** The states of a circuit breaker. `isolated` is a manual open that only `reset()` ends. */
export type CircuitState = 'closed' | 'open' | 'half-open' | 'isolated';

/** Validated breaker settings. */
export interface BreakerConfig {
  failureRateThreshold: number;
  slowCallRateThreshold: number;
  slowCallMs: number;
  minimumCalls: number;
  openMs: number;
  halfOpenCalls: number;
}

/** No permit: the call must be rejected. Permits are the epoch that admitted the call (≥ 0). */
export const REJECTED = -1;

/**
 * One breaker's state machine: closed → open → half-open → closed (or back to open). Every
 * transition starts a new epoch, and an outcome is counted only in the epoch that admitted its
 * call, so a slow call admitted while closed can never decide a half-open trial; half-open admits
 * exactly `halfOpenCalls` probes, however many callers race for them. Transitions out of `open`
 * happen lazily on the next admission: no timers.
 */
export class BreakerState {
  state: CircuitState = 'closed';
  epoch = 0;
  /**
   * When the circuit last opened (Date.now); it stays open until openMs after. An absolute "open
   * until" kept a circuit open for as long as the wall clock stepped back (an NTP step, a test's
   * fake clock set back to another date): years for a clock set back years.
   */
  private openedAt = 0;
  private probesAdmitted = 0;
  private probesSucceeded = 0;

  constructor(
    private readonly config: BreakerConfig,
    private readonly window: SlidingWindow,
    private readonly onTransition: (from: CircuitState, to: CircuitState) => void,
  ) {}

  /**
   * A permit (the admitting epoch) for one call, or REJECTED. The closed path reads no clock and
   * allocates nothing; the others read the exact clock.
   */
  admit(): number {
    if (this.state === 'closed') return this.epoch;
    switch (this.state) {
      case 'open':
        {
          const now = Date.now();
          const openFor = now - this.openedAt;
          // Stepped back: how long it has been open is unknown; openMs from now, at most.
          if (openFor < 0) this.openedAt = now;
          if (openFor < this.config.openMs) return REJECTED;
        }
        this.transition('half-open');
        return this.admitProbe();
      case 'half-open':
        return this.admitProbe();
      default:
        return REJECTED;
    }
  }

  /**
   * Records the outcome of a permitted call; `ignored` outcomes (e.g. cancelled) only free a probe.
   * `durationMs` is only looked at when slow-call detection is on.
   */
  record(permit: number, outcome: 'success' | 'failure' | 'ignored', now: number, durationMs: number): void {
    if (permit !== this.epoch) return; // admitted in an earlier state: says nothing about this one
    const slow = durationMs >= this.config.slowCallMs;
    if (this.state === 'half-open') {
      if (outcome === 'ignored') {
        this.probesAdmitted--;
        return;
      }
      if (outcome === 'failure' || slow) {
        this.trip();
        return;
      }
      if (++this.probesSucceeded >= this.config.halfOpenCalls) this.transition('closed');
      return;
    }
    if (this.state !== 'closed' || outcome === 'ignored') return;
    this.window.record(outcome === 'failure', slow, now);
    const { calls, failures, slow: slowCalls } = this.window.totals(now);
    if (calls < this.config.minimumCalls) return;
    if (
      failures / calls >= this.config.failureRateThreshold ||
      slowCalls / calls >= this.config.slowCallRateThreshold
    ) {
      this.trip();
    }
  }

  isolate(): void {
    this.transition('isolated');
  }

  reset(): void {
    // Already closed, transition() does nothing: the window must still start over, as documented
    // (19 failures of minimumCalls 20 would otherwise trip it on the next failure after a reset).
    if (this.state === 'closed') this.window.reset();
    this.transition('closed');
  }

  private admitProbe(): number {
    if (this.probesAdmitted >= this.config.halfOpenCalls) return REJECTED;
    this.probesAdmitted++;
    return this.epoch;
  }

  private trip(): void {
    this.openedAt = Date.now();
    this.transition('open');
  }

  private transition(to: CircuitState): void {
    const from = this.state;
    if (from === to) return;
    this.state = to;
    this.epoch++;
    this.probesAdmitted = 0;
    this.probesSucceeded = 0;
    if (to === 'closed' || to === 'open') this.window.reset();
    this.onTransition(from, to);
  }
}
