/**
 * The stable string codes carried by every {@link SwitchyardError}. Codes are part of the public
 * contract: match on `error.code`, never on messages or class names.
 */
export const ErrorCode = Object.freeze({
  INVALID_ARGUMENT: 'INVALID_ARGUMENT',
  NO_INSTANCES: 'NO_INSTANCES',
  CIRCUIT_OPEN: 'CIRCUIT_OPEN',
  DEADLINE_EXCEEDED: 'DEADLINE_EXCEEDED',
  CANCELLED: 'CANCELLED',
  BULKHEAD_FULL: 'BULKHEAD_FULL',
  RETRY_BUDGET_EXHAUSTED: 'RETRY_BUDGET_EXHAUSTED',
  RETRY_EXHAUSTED: 'RETRY_EXHAUSTED',
  REGISTRY_UNAVAILABLE: 'REGISTRY_UNAVAILABLE',
  REGISTRATION_LOST: 'REGISTRATION_LOST',
  UNAVAILABLE: 'UNAVAILABLE',
  INTERNAL: 'INTERNAL',
} as const);

/** One of the {@link ErrorCode} values. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];
