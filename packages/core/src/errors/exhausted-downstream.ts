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

// Symbol.for: two copies of @switchyard/core in one process (a gRPC and an HTTP package resolved
// to different versions) still agree on the mark.
const MARK = Symbol.for('switchyard.exhaustedDownstream');

/**
 * Marks a client error whose server said not to retry it (gRPC `grpc-retry-pushback-ms: -1`, HTTP
 * `x-switchyard-no-retry`: that server's own downstream calls were already retried). A handler
 * that rethrows it then passes the same word on to its own caller, in either protocol, instead of
 * inviting a new round of retries at every hop. Returns the error.
 */
export function markExhaustedDownstream<E extends SwitchyardError>(error: E): E {
  Object.defineProperty(error, MARK, { value: true });
  return error;
}

/**
 * Whether a handler failed because the calls it made on the caller's behalf were already retried
 * (or cannot succeed now): one of the codes the client stack gives up with, or an error a server
 * marked so (see {@link markExhaustedDownstream}). Servers then tell their caller not to retry (gRPC
 * `grpc-retry-pushback-ms: -1`, HTTP `x-switchyard-no-retry: 1`), so retries happen at one layer
 * instead of multiplying at every hop.
 */
export function isExhaustedDownstream(error: unknown): boolean {
  return (
    SwitchyardError.isInstance(error) &&
    (EXHAUSTED_DOWNSTREAM.has(error.code) || (error as unknown as Record<symbol, unknown>)[MARK] === true)
  );
}
