import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * What an incoming call hands down to the outgoing calls made while serving it: its absolute
 * deadline and its experiment track. Servers (gRPC and HTTP) set it; clients read it, so a handler
 * with 300 ms left gives its own calls at most what is left, without passing anything by hand.
 */
export interface CallScope {
  /** Absolute deadline (ms, `Date.now()` clock); `Infinity` for none. */
  readonly deadline: number;
  /**
   * The incoming W3C propagation headers (`traceparent`, `tracestate`, `baggage`), forwarded as
   * they are by clients when no tracer is active, so a trace and its baggage (e.g. the experiment
   * track) survive a hop through a service that does not trace.
   */
  readonly propagation?: Readonly<Record<string, string>>;
  /**
   * The experiment track of the request (baggage `switchyard.track`): discovery prefers instances
   * whose metadata carries the same track, on every hop.
   */
  readonly track?: string;
  /**
   * Aborts when the call being served ends before its handler does: its caller cancelled or went
   * away, or its deadline passed. Clients link the calls made under this scope to it (beside any
   * `signal` given to the call), so a handler's downstream calls stop with the call they serve
   * instead of running on, unread, until their deadline.
   */
  readonly signal?: AbortSignal;
}

/**
 * The signal an outgoing call runs under: the caller's own, the inherited call scope's, or both
 * (whichever aborts first). One of them as it is when the other is absent: no allocation.
 */
export function callSignal(given: AbortSignal | undefined, scope: CallScope | undefined): AbortSignal | undefined {
  const inherited = scope?.signal;
  if (inherited === undefined || inherited === given) return given;
  if (given === undefined) return inherited;
  // Node keeps a small record of each signal made this way on `inherited` until `inherited` itself
  // goes (measured: ~50 bytes per call on Node 20): bounded by the served call's life, which ends
  // with its handler. A handler that lives for hours (a long stream) and makes calls with signals
  // of their own by the million should give them the scope's signal instead (it is then used as is).
  return AbortSignal.any([given, inherited]);
}

const storage = new AsyncLocalStorage<CallScope>();

/** Runs `fn` with `scope` as the inherited call scope of everything it starts. */
export function runInCallScope<T>(scope: CallScope, fn: () => T): T {
  return storage.run(scope, fn);
}

/** The scope of the call being served here, if any. */
export function currentCallScope(): CallScope | undefined {
  return storage.getStore();
}
