import type { Discovery } from '@switchyard/discovery';
import type { CircuitBreakerPolicy, RetryPolicy } from '@switchyard/resilience';
import { countEjections, metricsActive, switchyardInstruments } from '@switchyard/tracing';

/** One `rpc.client.duration` sample per attempt (a no-op without a MeterProvider). */
export function recordAttempt(service: string, method: string, grpcStatus: number, latencyMs: number): void {
  if (!metricsActive()) return;
  switchyardInstruments().rpcClientDuration.record(latencyMs, {
    'rpc.system': 'grpc',
    'rpc.service': service,
    'rpc.method': method,
    'rpc.grpc.status_code': grpcStatus,
  });
}

/**
 * Counts what the client's own policy and discovery report: retries, budget refusals, breaker
 * transitions, and (once per discovery, see countEjections) ejections. Returns the unsubscribe
 * function.
 */
export function observeClient(
  service: string,
  discovery: Discovery,
  retry?: RetryPolicy,
  breaker?: CircuitBreakerPolicy,
): () => void {
  const attributes = { 'rpc.service': service };
  const releaseEjections = countEjections(discovery);
  const subscriptions = [
    retry?.onRetry(() => switchyardInstruments().clientRetries.add(1, attributes)),
    retry?.budget?.onExhausted(() => switchyardInstruments().retryBudgetExhausted.add(1, attributes)),
    breaker?.onStateChange(({ to }) => switchyardInstruments().breakerTransitions.add(1, { ...attributes, state: to })),
  ];
  return () => {
    releaseEjections();
    for (const subscription of subscriptions) subscription?.dispose();
  };
}
