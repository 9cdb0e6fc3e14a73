import { type ErrorCode, SwitchyardError } from '@switchyard/core';

// Exact statuses first; the rest by class (see httpStatusToCode).
const CODE_BY_STATUS: Readonly<Record<number, ErrorCode>> = Object.freeze({
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  405: 'UNIMPLEMENTED',
  408: 'DEADLINE_EXCEEDED',
  // 409 Conflict is ALREADY_EXISTS, not ABORTED: it is the caller's problem (breakers ignore it),
  // and REST APIs use it mostly for "this resource already exists / is in another state".
  409: 'ALREADY_EXISTS',
  410: 'NOT_FOUND',
  412: 'FAILED_PRECONDITION',
  413: 'INVALID_ARGUMENT',
  414: 'INVALID_ARGUMENT',
  415: 'INVALID_ARGUMENT',
  416: 'OUT_OF_RANGE',
  422: 'INVALID_ARGUMENT',
  429: 'RESOURCE_EXHAUSTED',
  431: 'INVALID_ARGUMENT',
  499: 'CANCELLED',
  500: 'INTERNAL',
  501: 'UNIMPLEMENTED',
  502: 'UNAVAILABLE',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
});

/**
 * The Switchyard code for an HTTP error status: 400 INVALID_ARGUMENT, 401 UNAUTHENTICATED,
 * 403 PERMISSION_DENIED, 404/410 NOT_FOUND, 409 ALREADY_EXISTS, 429 RESOURCE_EXHAUSTED,
 * 499 CANCELLED, 500 INTERNAL, 501 UNIMPLEMENTED, 502/503 UNAVAILABLE, 504 DEADLINE_EXCEEDED;
 * any other 4xx FAILED_PRECONDITION, any other 5xx INTERNAL; a 3xx (a redirect not followed)
 * FAILED_PRECONDITION; anything else UNKNOWN.
 *
 * @example
 * ```ts
 * httpStatusToCode(404); // 'NOT_FOUND'
 * ```
 */
export function httpStatusToCode(status: number): ErrorCode {
  const exact = CODE_BY_STATUS[status];
  if (exact !== undefined) return exact;
  if (status >= 400 && status < 500) return 'FAILED_PRECONDITION';
  // A redirect (the JSON helpers reject one: nothing follows redirects) is the caller's to fix, as a
  // 4xx is: the request goes elsewhere. As UNKNOWN it was a server failure to circuit breakers, and
  // one moved path asked 20 times opened the breaker for every call to a healthy service.
  if (status >= 300 && status < 400) return 'FAILED_PRECONDITION';
  if (status >= 500 && status < 600) return 'INTERNAL';
  return 'UNKNOWN';
}

const STATUS_BY_CODE: Readonly<Partial<Record<ErrorCode, number>>> = Object.freeze({
  INVALID_ARGUMENT: 400,
  FAILED_PRECONDITION: 400,
  OUT_OF_RANGE: 400,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  ABORTED: 409,
  RESOURCE_EXHAUSTED: 429,
  BULKHEAD_FULL: 429,
  CANCELLED: 499,
  UNKNOWN: 500,
  INTERNAL: 500,
  DATA_LOSS: 500,
  UNIMPLEMENTED: 501,
  UNAVAILABLE: 503,
  NO_INSTANCES: 503,
  CIRCUIT_OPEN: 503,
  RETRY_EXHAUSTED: 503,
  RETRY_BUDGET_EXHAUSTED: 503,
  REGISTRY_UNAVAILABLE: 503,
  REGISTRATION_LOST: 503,
  DEADLINE_EXCEEDED: 504,
});

/**
 * The HTTP status a server replies with for an error a handler threw: a Switchyard error by its
 * code (INVALID_ARGUMENT 400, NOT_FOUND 404, ALREADY_EXISTS/ABORTED 409, UNAVAILABLE 503,
 * DEADLINE_EXCEEDED 504, …); anything else 500.
 */
export function codeToHttpStatus(error: unknown): number {
  if (SwitchyardError.isInstance(error)) return STATUS_BY_CODE[error.code] ?? 500;
  return 500;
}
