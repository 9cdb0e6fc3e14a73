import type { Attributes } from '@opentelemetry/api';
import { switchyardInstruments } from './instruments.js';

/** An event to subscribe to, as `@switchyard/core`'s `Event` (tracing does not depend on core). */
type Subscribe<T> = (listener: (value: T) => void) => { dispose(): void };

/** What {@link observeCallPolicy} needs of a retry policy; a `RetryPolicy` is one. */
export interface ObservedRetry {
  readonly onRetry: (listener: () => void) => { dispose(): void };
  readonly budget?: { readonly onExhausted: Subscribe<void> } | undefined;
}

/** What {@link observeCallPolicy} needs of a circuit breaker; a `CircuitBreakerPolicy` is one. */
export interface ObservedBreaker {
  readonly onStateChange: Subscribe<{ readonly to: string }>;
}

/**
 * Counts what a client's own retry policy and breaker report, with `attributes` naming the client's
 * service: `switchyard.client.retries`, `switchyard.client.retry_budget.exhausted` and
 * `switchyard.circuit_breaker.transitions` (plus `state`, the state entered). A policy the caller
 * built is theirs to observe (its events are public); the transports pass their default ones.
 * Returns the unsubscribe function.
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
  ];
  return () => {
    for (const subscription of subscriptions) subscription?.dispose();
  };
}
