import { Readable } from 'node:stream';
import {
  CancelledError,
  DeadlineExceededError,
  InvalidArgumentError,
  isExhaustedDownstream,
  markDescribesThisSide,
  markExhaustedDownstream,
  SwitchyardError,
  toCancelled,
} from '@switchyard/core';
import type { CallOutcome } from '@switchyard/discovery';
import { HttpCallError } from '../status/http-call-error.js';

/**
 * How an attempt failed without a response. `body`: the caller's own request body stream failed
 * (its source threw or errored), which says nothing about the instance.
 */
export type FailureKind =
  | 'connect'
  | 'dropped'
  | 'timeout'
  | 'aborted'
  | 'invalid'
  | 'body'
  | 'too-large'
  | 'pool-options'
  | 'protocol'
  | 'other';

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
// Node's own argument checks. The request is validated before it is sent and a failing body stream
// is recognised before these, so here they come from pool options Node checks only when connecting
// (`autoSelectFamily`, TLS options such as `connect.ca`): UNKNOWN and blamed on the instance before.
const NODE_ARGUMENT_CODES = new Set([
  'ERR_INVALID_ARG_TYPE',
  'ERR_INVALID_ARG_VALUE',
  'ERR_OUT_OF_RANGE',
  'ERR_INVALID_IP_ADDRESS',
  'ERR_MISSING_ARGS',
]);
// Certificate checks OpenSSL reports by name (Node's X.509 verification codes).
const CERTIFICATE_CODES = new Set([
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'CERT_SIGNATURE_FAILURE',
  'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_CHAIN_TOO_LONG',
  'INVALID_CA',
  'INVALID_PURPOSE',
  'PATH_LENGTH_EXCEEDED',
  'HOSTNAME_MISMATCH',
]);

/**
 * TLS failed: an untrusted certificate, a refused handshake, a plaintext server behind `scheme:
 * 'https'`. UNAVAILABLE, as gRPC reports it (these were UNKNOWN); classified as a dropped
 * connection, since an error of a TLS connection already in use looks the same.
 */
function isTlsFailure(code: string): boolean {
  return code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_') || CERTIFICATE_CODES.has(code);
}
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);
// The request itself was wrong (a caller's content-length that does not match its body among
// them): the instance did nothing wrong, and must not be ejected for it.
const INVALID_CODES = new Set(['UND_ERR_INVALID_ARG', 'UND_ERR_NOT_SUPPORTED', 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH']);
// The response is larger than the client's own limits (poolOptions maxResponseSize, maxHeaderSize):
// RESOURCE_EXHAUSTED, as gRPC reports a message over its size limit. Unclassified, they were
// UNKNOWN and counted against the instance, which only answered.
const TOO_LARGE_CODES = new Set(['UND_ERR_RES_EXCEEDED_MAX_SIZE', 'UND_ERR_HEADERS_OVERFLOW']);

/**
 * The messages of undici's SocketError for a response it refuses to read, rather than a connection
 * that broke: `bad response`, an interim `100 Continue` the request did not ask for (undici 6 and 7
 * refuse it, though RFC 9110 §15.2 says a client must parse unexpected 1xx responses; this client
 * never sends `Expect: 100-continue`), or bytes from the server with no request in flight; `bad
 * upgrade`, a 101 to a request that asked for none. The server answered, so nothing is wrong with
 * the connection: see {@link classifyFailure}.
 */
const PROTOCOL_SOCKET_MESSAGES = new Set(['bad response', 'bad upgrade']);

/**
 * undici's HTTPParserError (llhttp's `HPE_…` codes): the bytes the server sent are not an HTTP/1.1
 * response (`HPE_INVALID_CONSTANT`: not even a status line, as from a port that speaks only HTTP/2,
 * such as a gRPC server's registered as `http`), or its framing breaks (`HPE_INVALID_CHUNK_SIZE`, a
 * bad `content-length`).
 */
function isParserFailure(code: string): boolean {
  return code.startsWith('HPE_');
}

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

/** The failed system call an error names (`connect`…), looking inside an AggregateError as {@link errorCodeOf} does. */
function syscallOf(error: unknown): unknown {
  const syscall = (error as { syscall?: unknown } | null)?.syscall;
  if (syscall !== undefined) return syscall;
  const inner = (error as { errors?: unknown[] } | null)?.errors;
  return Array.isArray(inner) ? (inner[0] as { syscall?: unknown } | null)?.syscall : undefined;
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
    // connect(2) itself failed, whatever its code (ENOENT or EACCES for a `socketPath`, which was
    // UNKNOWN and blamed on the instance as an unclassified failure): nothing reached the server.
    if (syscallOf(error) === 'connect' && !DROPPED_CODES.has(code)) return 'connect';
    // The server answered with something undici cannot read (see PROTOCOL_SOCKET_MESSAGES). As a
    // dropped connection it was reported as `connection … failed (UND_ERR_SOCKET)`, an idempotent
    // request was sent again (and failed the same way each time, the handler run on every one),
    // and the instance, up and answering, was ejected at once as for a failed connection.
    if (code === 'UND_ERR_SOCKET' && PROTOCOL_SOCKET_MESSAGES.has((error as Error).message)) return 'protocol';
    // Bytes undici's parser refuses (see isParserFailure): the server answered, and not in HTTP/1.1.
    // Unclassified, it was UNKNOWN with undici's words alone, naming no instance.
    if (isParserFailure(code)) return 'protocol';
    if (DROPPED_CODES.has(code) || isTlsFailure(code)) return 'dropped';
    if (TIMEOUT_CODES.has(code)) return 'timeout';
    if (INVALID_CODES.has(code)) return 'invalid';
    if (TOO_LARGE_CODES.has(code)) return 'too-large';
    if (code === 'UND_ERR_ABORTED' || code === 'ABORT_ERR') return 'aborted';
  }
  // undici fails the request with the very error its body stream was destroyed with. Not a
  // network error (those are classified above, and undici destroys the body with them too): the
  // caller's source failed (a file read error, a generator that threw). As `other` (UNKNOWN) it
  // counted against a healthy instance (outlier ejection) and the service's circuit breaker.
  if (isStream(body) && body.errored === error && error !== undefined && error !== null) return 'body';
  if (code !== undefined && NODE_ARGUMENT_CODES.has(code)) return 'pool-options';
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
    case 'pool-options':
      return new InvalidArgumentError(
        'options.poolOptions',
        `refused when connecting to ${info.origin}: ${(error as Error).message}`,
        { cause: error },
      );
    case 'too-large':
      return tooLargeError(error, info.label, info.origin);
    case 'protocol':
      // INTERNAL, as gRPC reports a response that breaks its protocol: the server's fault, counted
      // against it (not as a failed connection), and not retried, since it answers the same way again.
      return new SwitchyardError(
        'INTERNAL',
        `${info.label}: ${info.origin} sent a response the client cannot read (${code}: ${(error as Error).message}): ${
          code === 'HPE_INVALID_CONSTANT'
            ? 'it is not an HTTP/1.1 response (a port that speaks only HTTP/2, such as a gRPC server, answers so)'
            : code !== undefined && isParserFailure(code)
              ? 'it is not valid HTTP/1.1'
              : 'undici refuses an interim 100 Continue the request did not ask for (a server should call writeContinue() only for Expect: 100-continue), a 101 it did not ask for, and a response with no request in flight'
        }`,
        { retryable: false, cause: error },
      );
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
 * connection broke (UNAVAILABLE), undici's `bodyTimeout` ran out (DEADLINE_EXCEEDED) or its framing
 * cannot be parsed (INTERNAL), naming the request, the instance and the status, with undici's error
 * as `cause`. Any other error (the caller's own `destroy(error)`, an abort) is returned unchanged.
 * Never retryable: the response was already handed to the caller.
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
  if (TOO_LARGE_CODES.has(code)) return tooLargeError(error, info.label, info.origin);
  // A body whose framing breaks (a chunk size that is not hex): undici's raw HTTPParserError, naming
  // no instance, reached the caller. INTERNAL, as the same failure before the headers is.
  if (isParserFailure(code)) {
    return new SwitchyardError(
      'INTERNAL',
      `${info.label}: ${info.origin} sent an HTTP ${info.status} response body the client cannot read (${code}: ${error.message})`,
      { retryable: false, cause: error },
    );
  }
  return error;
}

/** RESOURCE_EXHAUSTED for a response over the client's size limits (never retryable: it would be as large again). */
function tooLargeError(error: unknown, label: string, origin: string): SwitchyardError {
  // Marked: a handler relaying it must not tell its caller the downstream's address (see describesThisSide).
  return markDescribesThisSide(
    new SwitchyardError(
      'RESOURCE_EXHAUSTED',
      `${label}: the response from ${origin} exceeds the client's poolOptions limits (${errorCodeOf(error)})`,
      { cause: error },
    ),
  );
}

/** What a failed attempt tells discovery about the instance. */
export function failureOutcome(kind: FailureKind, error: Error, latencyMs: number): CallOutcome {
  // A caller who gave up says nothing about the instance; a deadline that ran out does (it was slow).
  if (kind === 'aborted') return { ok: !(error instanceof DeadlineExceededError), latencyMs };
  if (kind === 'invalid' || kind === 'body' || kind === 'too-large' || kind === 'pool-options') {
    return { ok: true, latencyMs };
  }
  return { ok: false, latencyMs, connectionFailed: kind === 'connect' || kind === 'dropped' };
}

/** What a response tells discovery: 5xx (but 501) is a failure; 429 and 503 are overload. */
export function responseOutcome(status: number, latencyMs: number): CallOutcome {
  return { ok: status < 500 || status === 501, latencyMs, overloaded: status === 429 || status === 503 };
}

/**
 * Why a second attempt of a request that is not idempotent may not start while the first is still
 * out (a hedge): it would send the request twice. Not retryable, and coded CANCELLED, so the policy
 * waits for the attempt in flight and blames no instance.
 */
export function notHedged(label: string): CancelledError {
  return new CancelledError(
    `${label}: not hedged: the request is not idempotent, and an attempt of it is still out or has succeeded`,
  );
}

/**
 * The error for an attempt that cannot run because the request is not idempotent and an earlier
 * attempt may have reached a server (it timed out, its connection broke, a server answered): the
 * previous failure, no longer retryable, saying why.
 */
export function notResent(previous: unknown, label: string): Error {
  if (previous instanceof HttpCallError) return notReplayable(previous, label);
  const code = SwitchyardError.isInstance(previous) ? previous.code : 'UNKNOWN';
  return keepingNoRetry(
    previous,
    new SwitchyardError(
      code,
      `${label}: not sent again: an attempt may have reached the server and run there, and the request is not idempotent (mark it with an Idempotency-Key header to allow that)`,
      { cause: previous },
    ),
  );
}

/**
 * The error for an attempt that cannot run because its stream body was already sent once (a
 * custom `retryOn` asked for a retry the client cannot honour): the previous failure, no longer
 * retryable.
 */
export function notReplayable(previous: unknown, label: string): Error {
  if (previous instanceof HttpCallError) {
    return keepingNoRetry(
      previous,
      new HttpCallError({
        status: previous.status,
        headers: previous.headers,
        body: previous.body,
        bodyTruncated: previous.bodyTruncated,
        // Its message names the request, as every HttpCallError's does (it read `HTTP 503 …` alone).
        request: label,
        retryable: false,
        cause: previous,
      }),
    );
  }
  const code = SwitchyardError.isInstance(previous) ? previous.code : 'UNKNOWN';
  return keepingNoRetry(
    previous,
    new SwitchyardError(code, `${label}: not retried: the request body is a stream that was already sent`, {
      cause: previous,
    }),
  );
}

/**
 * `error`, which replaces `previous` as the call's failure, marked as a downstream that already
 * retried when `previous` was (its server sent NO_RETRY_HEADER; see markExhaustedDownstream).
 * Unmarked, a handler relaying the failure of a POST whose policy's retryOn would have retried it
 * answered a plain 503, and its caller retried the whole chain: 3 × 3 calls at the bottom, not 3.
 */
function keepingNoRetry<E extends SwitchyardError>(previous: unknown, error: E): E {
  return isExhaustedDownstream(previous) ? markExhaustedDownstream(error) : error;
}
