import { Readable } from 'node:stream';
import {
  CancelledError,
  DeadlineExceededError,
  InvalidArgumentError,
  SwitchyardError,
  toCancelled,
} from '@switchyard/core';
import type { CallOutcome } from '@switchyard/discovery';
import { HttpCallError } from '../status/http-call-error.js';

/**
 * How an attempt failed without a response. `body`: the caller's own request body stream failed
 * (its source threw or errored), which says nothing about the instance.
 */
export type FailureKind = 'connect' | 'dropped' | 'timeout' | 'aborted' | 'invalid' | 'body' | 'other';

// The connection was never established: the request surely did not reach the server.
const CONNECT_CODES = new Set([
  'ECONNREFUSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EADDRNOTAVAIL',
  'UND_ERR_CLOSED',
]);
// The connection broke while the request was in flight: the server may have acted on it.
const DROPPED_CODES = new Set([
  'ECONNRESET',
  'EPIPE',
  'ECONNABORTED',
  'ETIMEDOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_DESTROYED',
]);
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);
// The request itself was wrong (a caller's content-length that does not match its body among
// them): the instance did nothing wrong, and must not be ejected for it.
const INVALID_CODES = new Set(['UND_ERR_INVALID_ARG', 'UND_ERR_NOT_SUPPORTED', 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH']);

/** The error's `code`, looking inside an AggregateError (happy-eyeballs connects report one per address). */
export function errorCodeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return code;
  const inner = (error as { errors?: unknown[] } | null)?.errors;
  if (Array.isArray(inner)) {
    for (const item of inner) {
      const innerCode = (item as { code?: unknown } | null)?.code;
      if (typeof innerCode === 'string') return innerCode;
    }
  }
  return undefined;
}

/**
 * Classifies an attempt that failed without a response. `abortReason`: why the attempt was aborted,
 * if it was; `body`: the request's body.
 */
export function classifyFailure(error: unknown, abortReason: Error | undefined, body?: unknown): FailureKind {
  if (abortReason !== undefined) return 'aborted';
  const code = errorCodeOf(error);
  if (code !== undefined) {
    if (CONNECT_CODES.has(code)) return 'connect';
    if (DROPPED_CODES.has(code)) return 'dropped';
    if (TIMEOUT_CODES.has(code)) return 'timeout';
    if (INVALID_CODES.has(code)) return 'invalid';
    if (code === 'UND_ERR_ABORTED' || code === 'ABORT_ERR') return 'aborted';
  }
  // undici fails the request with the very error its body stream was destroyed with. Not a
  // network error (those are classified above, and undici destroys the body with them too): the
  // caller's source failed (a file read error, a generator that threw). As `other` (UNKNOWN) it
  // counted against a healthy instance (outlier ejection) and the service's circuit breaker.
  if (isStream(body) && body.errored === error && error !== undefined && error !== null) return 'body';
  return 'other';
}

function isStream(body: unknown): body is Readable {
  return body instanceof Readable;
}

/**
 * The Switchyard error for a failed attempt. Refused or unreachable connections are UNAVAILABLE and
 * retryable whenever the body can be sent again (nothing reached the server); a connection that
 * broke mid-request is UNAVAILABLE and retryable only for requests that may be sent twice.
 */
export function failureError(
  error: unknown,
  kind: FailureKind,
  abortReason: Error | undefined,
  info: { label: string; origin: string; idempotent: boolean; replayable: boolean },
): Error {
  const code = errorCodeOf(error);
  switch (kind) {
    case 'aborted': {
      const reason = toCancelled(abortReason ?? error);
      return SwitchyardError.hasCode(reason, 'DEADLINE_EXCEEDED')
        ? new DeadlineExceededError(`${info.label}: deadline exceeded`, { cause: reason })
        : new CancelledError(`${info.label}: cancelled`, { cause: reason });
    }
    case 'connect':
      return new SwitchyardError('UNAVAILABLE', `${info.label}: cannot connect to ${info.origin} (${code})`, {
        retryable: info.replayable,
        cause: error,
      });
    case 'dropped':
      return new SwitchyardError('UNAVAILABLE', `${info.label}: connection to ${info.origin} failed (${code})`, {
        retryable: info.replayable && info.idempotent,
        cause: error,
      });
    case 'timeout':
      return new SwitchyardError('DEADLINE_EXCEEDED', `${info.label}: ${info.origin} timed out (${code})`, {
        cause: error,
      });
    case 'invalid':
      return new InvalidArgumentError('request', (error as Error).message, { cause: error });
    case 'body':
      // CANCELLED: the caller's side gave up the request; never retried (the stream is spent).
      return new CancelledError(
        `${info.label}: the request body stream failed: ${(error as Error)?.message ?? String(error)}`,
        {
          cause: error,
        },
      );
    default:
      return new SwitchyardError('UNKNOWN', `${info.label}: ${(error as Error)?.message ?? String(error)}`, {
        cause: error,
      });
  }
}

/**
 * The Switchyard error for a streamed response body that failed after its headers arrived: the
 * connection broke (UNAVAILABLE) or undici's `bodyTimeout` ran out (DEADLINE_EXCEEDED), naming the
 * request, the instance and the status, with undici's error as `cause`. Any other error (the
 * caller's own `destroy(error)`, an abort) is returned unchanged. Never retryable: the response
 * was already handed to the caller.
 */
export function bodyFailureError(error: Error, info: { label: string; origin: string; status: number }): Error {
  const code = errorCodeOf(error);
  if (code === undefined) return error;
  if (DROPPED_CODES.has(code)) {
    return new SwitchyardError(
      'UNAVAILABLE',
      `${info.label}: connection to ${info.origin} failed while reading the HTTP ${info.status} response body (${code})`,
      { retryable: false, cause: error },
    );
  }
  if (TIMEOUT_CODES.has(code)) {
    return new SwitchyardError(
      'DEADLINE_EXCEEDED',
      `${info.label}: ${info.origin} timed out while sending the HTTP ${info.status} response body (${code})`,
      { cause: error },
    );
  }
  return error;
}

/** What a failed attempt tells discovery about the instance. */
export function failureOutcome(kind: FailureKind, error: Error, latencyMs: number): CallOutcome {
  // A caller who gave up says nothing about the instance; a deadline that ran out does (it was slow).
  if (kind === 'aborted') return { ok: !(error instanceof DeadlineExceededError), latencyMs };
  if (kind === 'invalid' || kind === 'body') return { ok: true, latencyMs };
  return { ok: false, latencyMs, connectionFailed: kind === 'connect' || kind === 'dropped' };
}

/** What a response tells discovery: 5xx (but 501) is a failure; 429 and 503 are overload. */
export function responseOutcome(status: number, latencyMs: number): CallOutcome {
  return { ok: status < 500 || status === 501, latencyMs, overloaded: status === 429 || status === 503 };
}

/**
 * The error for an attempt that cannot run because its stream body was already sent once (a
 * custom `retryOn` asked for a retry the client cannot honour): the previous failure, no longer
 * retryable.
 */
export function notReplayable(previous: unknown): Error {
  if (previous instanceof HttpCallError) {
    return new HttpCallError({
      status: previous.status,
      headers: previous.headers,
      body: previous.body,
      bodyTruncated: previous.bodyTruncated,
      retryable: false,
      cause: previous,
    });
  }
  const code = SwitchyardError.isInstance(previous) ? previous.code : 'UNKNOWN';
  return new SwitchyardError(code, 'not retried: the request body is a stream that was already sent', {
    cause: previous,
  });
}
