import { SwitchyardError } from './switchyard-error.js';

// Failures the client stack itself produced after trying (and retrying) a dependency, or that
// cannot succeed now: NO_INSTANCES, an open breaker, retries or the retry budget spent, no registry.
const EXHAUSTED_DOWNSTREAM: ReadonlySet<string> = new Set([
  'NO_INSTANCES',
  'CIRCUIT_OPEN',
  'RETRY_EXHAUSTED',
  'RETRY_BUDGET_EXHAUSTED',
  'REGISTRY_UNAVAILABLE',
]);

/**
 * Whether a handler failed because the calls it made on the caller's behalf were already retried
 * (or cannot succeed now). Servers then tell their caller not to retry (gRPC
 * `grpc-retry-pushback-ms: -1`, HTTP `x-switchyard-no-retry: 1`), so retries happen at one layer
 * instead of multiplying at every hop.
 */
export function isExhaustedDownstream(error: unknown): boolean {
  return SwitchyardError.isInstance(error) && EXHAUSTED_DOWNSTREAM.has(error.code);
}
