import type { Discovery } from '@switchyard/discovery';
import type { CircuitBreakerPolicy, RetryPolicy } from '@switchyard/resilience';
import { countEjections, metricsActive, observeCallPolicy, switchyardInstruments } from '@switchyard/tracing';

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
 * Counts what the client's own policy and discovery report: retries, budget refusals and breaker
 * transitions (observeCallPolicy, under `rpc.service`), and ejections (once per discovery, see
 * countEjections). Returns the unsubscribe function.
 */
export function observeClient(
  service: string,
  discovery: Discovery,
  retry?: RetryPolicy,
  breaker?: CircuitBreakerPolicy,
): () => void {
  const releaseEjections = countEjections(discovery);
  const stopObservingPolicy = observeCallPolicy({ 'rpc.service': service }, retry, breaker);
  return () => {
    releaseEjections();
    stopObservingPolicy();
  };
}
