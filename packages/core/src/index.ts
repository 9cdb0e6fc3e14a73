/**
 * @switchyard/core: the contracts every other Switchyard package builds on, with no dependencies.
 *
 * Stance: every failure a caller can act on carries a stable `code`; every public input is
 * validated at the boundary and rejected with an error naming the field and the rule; every
 * operation runs under an absolute deadline and an AbortSignal; a library logs nothing unless
 * handed a logger.
 *
 * @packageDocumentation
 */

// Errors
export { ErrorCode } from './errors/error-code.js';
export { SwitchyardError } from './errors/switchyard-error.js';
export type { SwitchyardErrorOptions } from './errors/switchyard-error.js';
export { InvalidArgumentError } from './errors/invalid-argument-error.js';
export { NoInstancesError } from './errors/no-instances-error.js';
export { ClientClosedError } from './errors/client-closed-error.js';
export { DeadlineExceededError } from './errors/deadline-exceeded-error.js';
export { CancelledError } from './errors/cancelled-error.js';
export { CircuitOpenError } from './errors/circuit-open-error.js';
export { BulkheadFullError } from './errors/bulkhead-full-error.js';
export { RetryBudgetExhaustedError } from './errors/retry-budget-exhausted-error.js';
export { RetryExhaustedError } from './errors/retry-exhausted-error.js';
export {
  isNotSentError,
  isRegistryClosedError,
  RegistryUnavailableError,
} from './errors/registry-unavailable-error.js';
export { RegistrationLostError } from './errors/registration-lost-error.js';
export { isExhaustedDownstream, markExhaustedDownstream } from './errors/exhausted-downstream.js';
export { codeInWords, describesThisSide, markDescribesThisSide } from './errors/describes-this-side.js';
export { boundedDetail, type ErrorResponseFields, errorBodyMessage } from './errors/error-body-message.js';
export { fnv1a } from './hash/fnv1a.js';
export { mulberry32 } from './random/mulberry32.js';
export type { RegistrationLostReason } from './errors/registration-lost-error.js';

// Service instances
export type { ServiceInstance, InstanceInput, InstancePatch, InstanceStatus } from './instance/service-instance.js';
export { INSTANCE_LIMITS } from './instance/instance-limits.js';
export {
  validateInstance,
  validatePatch,
  applyPatch,
  validateServiceName,
  validateInstanceId,
  validateHost,
  validateMetadata,
} from './instance/validate-instance.js';

// Deadlines and cancellation
export {
  NO_DEADLINE,
  deadlineAfter,
  remainingMs,
  earliestDeadline,
  throwIfDeadlinePassed,
} from './deadline/deadline.js';
export { scopedSignal, throwIfAborted, toCancelled, sleep } from './deadline/abort.js';
export type { ScopedSignal } from './deadline/abort.js';
export { runInCallScope, currentCallScope, callSignal } from './deadline/call-scope.js';
export type { CallScope } from './deadline/call-scope.js';

// Cheap clock for hot paths
export { coarseNow } from './clock/coarse-clock.js';
export { MAX_TIMER_MS, setLongTimeout } from './clock/long-timeout.js';
// A timeout that a test suite's change of clocks does not lose
export { ClockBoundTimeout } from './clock/clock-bound-timeout.js';

// Validation helpers for option parsing in other packages
export {
  assertObject,
  assertPlainObject,
  assertKnownKeys,
  assertInteger,
  assertNumber,
  assertString,
  assertOneOf,
  describeValue,
} from './validation/assert.js';
export { withDefaults } from './validation/with-defaults.js';

// Traffic management
export { validateRouteRule, MAX_ROUTE_VERSIONS, bucketOf, assignArm } from './routing/route-rule.js';
export type { RouteRule } from './routing/route-rule.js';
export { TRACK_BAGGAGE_KEY, trackFromBaggage, baggageWithTrack } from './routing/track-baggage.js';

// Load balancing plug-in point
export type { BalancingStrategy, Picker, PickArgs, Endpoint, EndpointStats } from './balancing/balancing-strategy.js';

// Typed events
export { EventEmitter } from './events/event-emitter.js';
export type { Event, Disposable } from './events/event-emitter.js';

// Logging
export type { Logger, LogFn } from './logger/logger.js';
export { silentLogger, consoleLogger, assertLogger } from './logger/logger.js';
export { logAcceptErrors } from './net/accept-errors.js';
export { isListenAddressError } from './net/listen-address-errors.js';
