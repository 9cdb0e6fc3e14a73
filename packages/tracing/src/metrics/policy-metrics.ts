import type { Attributes } from '@opentelemetry/api';
import type { Disposable, Event } from '@switchyard/core';
import { countEjections, type EjectionSource } from './ejection-count.js';
import { switchyardInstruments } from './instruments.js';

/**
 * What {@link observeCallPolicy} needs of a retry policy; a `RetryPolicy` is one (structural:
 * @switchyard/resilience is not a dependency of tracing). Its retry event is listened to without
 * its value, so any `Event<RetryEvent>` fits.
 */
export interface ObservedRetry {
  /** Each retry, counted in `switchyard.client.retries`. */
  readonly onRetry: (listener: () => void) => Disposable;
  /** Its budget, whose refusals are counted in `switchyard.client.retry_budget.exhausted`; none: not counted. */
  readonly budget?: { readonly onExhausted: Event<void> } | undefined;
}

/** What {@link observeCallPolicy} needs of a circuit breaker; a `CircuitBreakerPolicy` is one. */
export interface ObservedBreaker {
  /** Each state change, counted in `switchyard.circuit_breaker.transitions` with the new `state`. */
  readonly onStateChange: Event<{ readonly to: string }>;
  /** The breaker's refusals (CIRCUIT_OPEN); listened to without its value. Optional for breakers of one's own. */
  readonly onReject?: ((listener: () => void) => Disposable) | undefined;
}

/**
 * Counts what a client's own retry policy and breaker report, with `attributes` naming the client's
 * service: `switchyard.client.retries`, `switchyard.client.retry_budget.exhausted`,
 * `switchyard.circuit_breaker.transitions` (plus `state`, the state entered) and
 * `switchyard.circuit_breaker.rejections` (attempts refused with CIRCUIT_OPEN: they reach no
 * instance, so no duration sample shows them). A policy the caller built is theirs to observe (its
 * events are public); the transports pass their default ones. Returns the unsubscribe function.
 */
export function observeCallPolicy(
  attributes: Attributes,
  retry?: ObservedRetry,
  breaker?: ObservedBreaker,
): () => void {
  const subscriptions = [
    retry?.onRetry(() => switchyardInstruments().clientRetries.add(1, attributes)),
    retry?.budget?.onExhausted(() => switchyardInstruments().retryBudgetExhausted.add(1, attributes)),
    breaker?.onStateChange(({ to }) => switchyardInstruments().breakerTransitions.add(1, { ...attributes, state: to })),
    // Once open, a breaker fails calls without sending them: counted nowhere else, the client's
    // failures vanished from its metrics for as long as every caller got CIRCUIT_OPEN.
    breaker?.onReject?.(() => switchyardInstruments().breakerRejections.add(1, attributes)),
  ];
  return () => {
    for (const subscription of subscriptions) subscription?.dispose();
  };
}

/**
 * What a Switchyard client counts of itself for its lifetime: its discovery's ejections (once per
 * discovery, see countEjections) and its default policy's retries, refusals and breaker changes
 * (observeCallPolicy, with `attributes` naming the service: `rpc.service` for gRPC,
 * `service.peer.name` for HTTP). Returns the function that stops it, for the client's close().
 */
export function observeClientMetrics(
  discovery: EjectionSource,
  attributes: Attributes,
  retry?: ObservedRetry,
  breaker?: ObservedBreaker,
): () => void {
  const releaseEjections = countEjections(discovery);
  const stopObservingPolicy = observeCallPolicy(attributes, retry, breaker);
  return () => {
    releaseEjections();
    stopObservingPolicy();
  };
}
