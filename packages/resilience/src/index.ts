/**
 * @switchyard/resilience: transport-neutral call policies with safe defaults.
 *
 * Stance: every call has a deadline, and nothing outlives it; retries are jittered, budgeted and
 * decided by what failed, not by hope; a breaker's half-open state admits exactly its probes, under
 * any concurrency; and a policy that does nothing costs (almost) nothing.
 *
 * @packageDocumentation
 */

// The policy shape
export type { Policy, ExecuteOptions, Operation, Middleware } from './policy.js';
export type { AttemptContext, CallContext } from './call-context.js';
export { policyFromSteps as createPolicy } from './policy.js';
export { compose } from './compose.js';

// Policies
export { timeout } from './timeout.js';
export type { TimeoutOptions } from './timeout.js';
export { retry, DEFAULT_RETRY } from './retry.js';
export type { RetryOptions, RetryPolicy, RetryEvent, GiveUpEvent } from './retry.js';
export { exponentialBackoff, DEFAULT_BACKOFF } from './backoff.js';
export type { BackoffOptions } from './backoff.js';
export { retryBudget, DEFAULT_RETRY_BUDGET } from './retry-budget.js';
export type { RetryBudget, RetryBudgetOptions } from './retry-budget.js';
export { circuitBreaker, isServerFailure, DEFAULT_CIRCUIT_BREAKER } from './circuit-breaker/circuit-breaker.js';
export type {
  CircuitBreakerOptions,
  CircuitBreakerPolicy,
  CircuitStateChange,
} from './circuit-breaker/circuit-breaker.js';
export type { CircuitState } from './circuit-breaker/breaker-state.js';
export { bulkhead } from './bulkhead.js';
export type { BulkheadOptions, BulkheadPolicy } from './bulkhead.js';
export { hedge } from './hedge.js';
export type { HedgeOptions, HedgePolicy } from './hedge.js';
export { fallback } from './fallback.js';
export type { FallbackOptions } from './fallback.js';

// Leak checks
export { pendingDeadlineTimers } from './deadline-scheduler.js';
