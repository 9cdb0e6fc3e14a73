import { SwitchyardError } from '@switchyard/core';

/**
 * Response header by which a Switchyard server tells its caller not to retry: the request failed
 * because the server's own downstream calls already failed after their retries. Retries then
 * happen at one layer, the hop nearest the failure, instead of multiplying at every hop
 * (3 × 3 × 3 …). The HTTP twin of gRPC's `grpc-retry-pushback-ms: -1`.
 */
export const NO_RETRY_HEADER = 'x-switchyard-no-retry';

// Errors that mean "the calls I made on your behalf were already retried, or cannot succeed now".
const EXHAUSTED_DOWNSTREAM = new Set([
  'NO_INSTANCES',
  'CIRCUIT_OPEN',
  'RETRY_EXHAUSTED',
  'RETRY_BUDGET_EXHAUSTED',
  'REGISTRY_UNAVAILABLE',
]);

/** Whether a handler's error should be answered with {@link NO_RETRY_HEADER}. */
export function isExhaustedDownstream(error: unknown): boolean {
  return SwitchyardError.isInstance(error) && EXHAUSTED_DOWNSTREAM.has(error.code);
}
