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

/** A permission to run one call, tied to the state epoch in which it was granted. */
export interface Permit {
  readonly epoch: number;
  readonly startedAt: number;
}

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
  private openUntil = 0;
  private probesAdmitted = 0;
  private probesSucceeded = 0;

  constructor(
    private readonly config: BreakerConfig,
    private readonly window: SlidingWindow,
    private readonly onTransition: (from: CircuitState, to: CircuitState) => void,
  ) {}

  /** A permit for one call, or undefined when the call must be rejected. */
  admit(now: number): Permit | undefined {
    switch (this.state) {
      case 'closed':
        return { epoch: this.epoch, startedAt: now };
      case 'open':
        if (now < this.openUntil) return undefined;
        this.transition('half-open');
        return this.admitProbe(now);
      case 'half-open':
        return this.admitProbe(now);
      case 'isolated':
        return undefined;
    }
  }

  /** Records the outcome of a permitted call; `ignored` outcomes (e.g. cancelled) only free a probe. */
  record(permit: Permit, outcome: 'success' | 'failure' | 'ignored', now: number): void {
    if (permit.epoch !== this.epoch) return; // admitted in an earlier state: says nothing about this one
    const slow = now - permit.startedAt >= this.config.slowCallMs;
    if (this.state === 'half-open') {
      if (outcome === 'ignored') {
        this.probesAdmitted--;
        return;
      }
      if (outcome === 'failure' || slow) {
        this.trip(now);
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
      this.trip(now);
    }
  }

  isolate(): void {
    this.transition('isolated');
  }

  reset(): void {
    this.transition('closed');
  }

  private admitProbe(now: number): Permit | undefined {
    if (this.probesAdmitted >= this.config.halfOpenCalls) return undefined;
    this.probesAdmitted++;
    return { epoch: this.epoch, startedAt: now };
  }

  private trip(now: number): void {
    this.openUntil = now + this.config.openMs;
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
