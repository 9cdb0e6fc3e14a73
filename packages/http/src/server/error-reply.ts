import { type ServerResponse, STATUS_CODES } from 'node:http';
import {
  boundedDetail,
  codeInWords,
  describesThisSide,
  errorBodyMessage,
  isExhaustedDownstream,
  type Logger,
  SwitchyardError,
} from '@switchyard/core';
import { HttpCallError } from '../status/http-call-error.js';
import { NO_RETRY_HEADER } from '../status/no-retry.js';
import { codeToHttpStatus, httpStatusToCode } from '../status/status-mapping.js';
import { clientLeft, noteServerFailure } from './response-outcome.js';

/**
 * Replies to a request whose handler failed: a Switchyard error by its code (NOT_FOUND 404,
 * INVALID_ARGUMENT 400, UNAVAILABLE 503…) with `{ error: { code, message } }`. The message of a
 * 4xx is about the request (what was not found, which field was wrong): the error's own, or for a
 * downstream's failure passed on, the downstream's own detail (see {@link publicClientErrorMessage});
 * a 5xx says only what kind of failure it was, because its message describes this side (downstream
 * addresses, a downstream's body, an internal error's text), and is logged instead. Another error
 * that carries a 4xx `status` or `statusCode` (http-errors, as body-parser raises for a malformed
 * or oversized body) replies with that status, and its own message if it says it may be exposed
 * (`expose: true`), else the status's reason phrase, and the headers it carries (`headers`: a 429's
 * `Retry-After`); it is the client's fault, logged at debug only.
 * Any other error is 500 `internal error`. If the response had already started, the connection is
 * destroyed so the client sees a failure, not a short body; if it had already ended, it is left to
 * finish. A failure of the handler's own downstream calls after their retries carries
 * `x-switchyard-no-retry: 1`. The error is noted for the request's SERVER span (its exception, and
 * 500 for a cut response; see noteServerFailure). A failure after the client closed the connection
 * gets no reply and is logged at debug only (see {@link logIfClientLeft}).
 */
export function writeErrorReply(response: ServerResponse, error: unknown, logger: Logger): void {
  // Nobody is left to read a reply, and the failure is the client's doing, not the server's.
  if (logIfClientLeft(response, error, logger)) return;
  const status = replyStatusOf(error);
  logHandlerFailure(error, status, logger);
  // The reply was already complete (a failure after response.end(), say an after-reply audit
  // call): it stands, and the body still flushing must not be cut off. Logging above says enough.
  if (response.writableEnded) return;
  noteServerFailure(response, error);
  if (response.headersSent) {
    // Without the error: given it, Node emits it on the server's 'clientError', as if the client
    // had sent a malformed request. It is logged above already.
    response.destroy();
    return;
  }
  // Headers the handler set for the reply it meant to send describe a body and caching that this
  // reply does not have: kept, a JSON error went out labelled `content-encoding: gzip` (undecodable),
  // or as a 404/503 with `cache-control: public, max-age=3600` that shared caches served for an hour.
  for (const name of REPRESENTATION_HEADERS) response.removeHeader(name);
  if (status < 500 && !SwitchyardError.isInstance(error)) setErrorOwnHeaders(response, error);
  const body = JSON.stringify({ error: errorReplyBody(error, status, logger) });
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    ...(isExhaustedDownstream(error) ? { [NO_RETRY_HEADER]: '1' } : {}),
  });
  response.end(body);
}

/**
 * The headers a 4xx error carries for its reply (http-errors' `headers`: a 429's `Retry-After`, a
 * 405's `Allow`, a 401's `WWW-Authenticate`), as Express's final handler and Fastify send them:
 * dropped, a Switchyard client got a 429 without the pushback its retry policy waits by. Not those
 * about a representation or the connection (the reply's own body and framing win), and not one Node
 * refuses (a bad name or value is skipped, not thrown out of the error reply).
 */
function setErrorOwnHeaders(response: ServerResponse, error: unknown): void {
  const headers = (error as { headers?: unknown }).headers;
  if (typeof headers !== 'object' || headers === null) return;
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value !== 'string' && typeof value !== 'number' && !Array.isArray(value)) continue;
    if (NOT_FROM_ERRORS.has(name.toLowerCase())) continue;
    try {
      response.setHeader(name, Array.isArray(value) ? value.map(String) : String(value));
    } catch {
      // An invalid header name or value: the reply goes out without it.
    }
  }
}

/**
 * The status of the error reply to `error`, for a client still there: a Switchyard error's by its
 * code, another's own 4xx, else 500. A CANCELLED one is 503 (see {@link cancelledElsewhere}).
 */
function replyStatusOf(error: unknown): number {
  if (SwitchyardError.isInstance(error)) return cancelledElsewhere(error) ? 503 : codeToHttpStatus(error);
  return ownClientErrorStatus(error) ?? 500;
}

/**
 * Whether a handler failed with CANCELLED while its client is still there (internal; only asked
 * then): the cancellation was not the client's, but a downstream's (a gRPC server cancelling the
 * calls it still had at the end of its grace, a downstream's own 499). It was answered 499 "client
 * closed request" to a client that had closed nothing, unlogged, its message naming the downstream
 * (`shop.catalog.v1.CatalogService/GetProduct: cancelled`), and a Switchyard client took it for
 * its own cancellation. It is this side's failure: 503 `service unavailable`, logged at warn.
 */
export function cancelledElsewhere(error: SwitchyardError): boolean {
  return error.code === 'CANCELLED';
}

/**
 * The 4xx status a non-Switchyard error carries as `status` or `statusCode`, read as Express's final
 * handler reads it (http-errors sets both). A 5xx one is not taken: its message and status are the
 * server's business, and it replies 500 `internal error` like any failure.
 */
function ownClientErrorStatus(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { status, statusCode } = error as { status?: unknown; statusCode?: unknown };
  if (isClientErrorStatus(status)) return status;
  if (isClientErrorStatus(statusCode)) return statusCode;
  return undefined;
}

function isClientErrorStatus(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 400 && value < 500;
}

/** The `{ code, message }` of an error reply with `status` (see {@link writeErrorReply}). */
function errorReplyBody(error: unknown, status: number, logger: Logger): { code: string; message: string } {
  if (SwitchyardError.isInstance(error)) {
    return {
      code: cancelledElsewhere(error) ? 'UNAVAILABLE' : error.code,
      message: status < 500 ? publicClientErrorMessage(error, logger) : publicMessage(status),
    };
  }
  if (status < 500) return { code: httpStatusToCode(status), message: exposedMessage(error) ?? reasonPhrase(status) };
  return { code: 'INTERNAL', message: 'internal error' };
}

/** The message of an error that says it may be shown to the client (http-errors' `expose: true`). */
function exposedMessage(error: unknown): string | undefined {
  const { expose, message } = error as { expose?: unknown; message?: unknown };
  return expose === true && typeof message === 'string' ? boundedDetail(message) : undefined;
}

/** The status's reason phrase in the words of the other generic messages (`payload too large`). */
function reasonPhrase(status: number): string {
  return (STATUS_CODES[status] ?? 'client error').toLowerCase();
}

/**
 * Headers about the representation a handler meant to send, or its caching, removed before an error
 * reply. Others (a request id, CORS, `www-authenticate` for a 401, `retry-after`, `vary`) stay.
 */
const REPRESENTATION_HEADERS = [
  'content-encoding',
  'content-language',
  'content-location',
  'content-disposition',
  'content-range',
  'accept-ranges',
  'etag',
  'last-modified',
  'cache-control',
  'expires',
  'age',
  'location',
  'transfer-encoding',
  'trailer',
];

/** Headers an error's own `headers` do not set: the reply's representation, framing and connection are its own. */
const NOT_FROM_ERRORS = new Set([
  ...REPRESENTATION_HEADERS,
  'content-type',
  'content-length',
  'connection',
  'keep-alive',
  'upgrade',
]);

/**
 * Logs a handler's failure at debug and returns true if the client had closed the connection
 * before the response went out (internal): a client going away mid-body makes the handler's body
 * read fail (`aborted`), which was logged at error as a handler failure, while the span and the
 * metric read 499, the client's, not a server failure. As the gRPC server logs a handler that failed
 * after its call was cancelled. False, and nothing logged, while the client is there.
 */
export function logIfClientLeft(response: ServerResponse, error: unknown, logger: Logger): boolean {
  if (!clientLeft(response)) return false;
  logger.debug({ err: error }, 'switchyard http: handler failed after the client closed the connection');
  return true;
}

/**
 * Logs what a reply will not say: a 500 and any unknown error replied 5xx at error, other 5xx at
 * warn. A 4xx is the client's fault, not the server's: an unknown error carrying one (a malformed
 * body) is logged at debug, a Switchyard one not at all (its reply says it).
 */
export function logHandlerFailure(error: unknown, status: number, logger: Logger): void {
  const known = SwitchyardError.isInstance(error);
  if (status < 500) {
    if (!known) logger.debug({ err: error }, 'switchyard http: request refused');
  } else if (!known || status === 500) logger.error({ err: error }, 'switchyard http: handler failed');
  else logger.warn({ err: error }, 'switchyard http: handler failed');
}

/**
 * What a 5xx reply says instead of the error's own message (which describes the server's side:
 * downstream names and addresses, internal text): `service unavailable` (503), `deadline exceeded`
 * (504), else `internal error`. httpHandler and the Fastify plugin reply with it; a server that
 * writes its own error bodies can too.
 */
export function publicMessage(status: number): string {
  if (status === 503) return 'service unavailable';
  if (status === 504) return 'deadline exceeded';
  return 'internal error';
}

/**
 * What a 4xx reply says for a Switchyard error. A downstream call's failure passed on by the
 * handler carries the transport's context in its message, internal names a public client must not
 * see: `shop.catalog.v1.CatalogService/GetProduct: NOT_FOUND: no product nope` (gRPC), `catalog GET
 * /internal/products/nope: HTTP 404 NOT_FOUND: {…}` (HTTP). The reply says what the downstream said
 * instead, from the error's fields: a gRPC status's `details`; an HTTP error body's message (a
 * Switchyard server's `{ error: { message } }`, a `message`, `detail` or `error` field, or a short
 * plain-text body). When there is nothing to repeat (an empty body, an HTML page, a body cut at
 * `maxErrorBodyBytes`), the code in words (`not found`). An error a client marked as describing
 * its own side (see describesThisSide: a response over its limits, naming the downstream's address)
 * also says only its code in words, and is logged at warn. Any other error keeps its own message.
 * The full message is logged at debug (and stays on the downstream call's CLIENT span).
 */
export function publicClientErrorMessage(error: SwitchyardError, logger?: Logger): string {
  if (describesThisSide(error)) {
    logger?.warn({ err: error }, 'switchyard http: handler failed');
    return codeInWords(error);
  }
  const detail = downstreamDetail(error);
  if (detail === undefined) return error.message;
  logger?.debug({ err: error }, 'switchyard http: handler failed with a downstream error; replying with its detail');
  return detail;
}

/** The downstream's own words in a gRPC or HTTP call error (undefined: not a call error). */
function downstreamDetail(error: SwitchyardError): string | undefined {
  const fields = error as unknown as { grpcCode?: unknown; details?: unknown; status?: unknown; body?: unknown };
  // GrpcCallError (structurally: @switchyard/grpc is not a dependency of this package).
  if (typeof fields.grpcCode === 'number' && typeof fields.details === 'string') {
    return boundedDetail(fields.details) ?? codeInWords(error);
  }
  if (error instanceof HttpCallError) return errorBodyMessage(error) ?? codeInWords(error);
  return undefined;
}

/** Writes a small plain-text probe reply (never cached). */
export function writeProbeReply(response: ServerResponse, status: number, text: string, head: boolean): void {
  response.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  response.end(head ? undefined : text);
}
