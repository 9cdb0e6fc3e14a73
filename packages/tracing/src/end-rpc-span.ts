import { type Exception, type Span, SpanStatusCode } from '@opentelemetry/api';
import { describeValue } from '@switchyard/core';
import { ATTR_ERROR_TYPE } from './attribute-names.js';
import { setGrpcStatusAttributes } from './grpc-attributes.js';
import { grpcStatusName, isGrpcError } from './grpc-status.js';
import { isHttpError, setHttpStatusAttributes } from './http-attributes.js';
import type { RpcOutcome } from './rpc-span-options.js';
import { semconvStability } from './semconv-stability.js';
import { type SpanInfo, spanInfoOf } from './span-info.js';

/**
 * A low-cardinality name for an error: its string `code` (Switchyard, Node), else its `name`, else
 * its class name (a subclass that never set `name` still says 'Error' there), else `_OTHER`.
 */
function errorType(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && code !== '') return code;
    const name = (error as { name?: unknown }).name;
    if (typeof name === 'string' && name !== '' && name !== 'Error') return name;
    const className = (error as { constructor?: { name?: unknown } }).constructor?.name;
    if (typeof className === 'string' && className !== '' && className !== 'Error' && className !== 'Object') {
      return className;
    }
  }
  return '_OTHER';
}

/** An error's own text for the span status; undefined (so the status name is used) when it has none. */
function errorMessage(error: unknown): string | undefined {
  const message = error instanceof Error ? error.message : typeof error === 'string' ? error : undefined;
  return message === '' ? undefined : message;
}

function toException(error: unknown): Exception {
  if (error instanceof Error || typeof error === 'string') return error;
  return { name: errorType(error), message: printable(error) };
}

/**
 * `String(value)`, or a description when that throws: a null-prototype object (or one whose
 * toString throws) made String() throw out of endRpcSpan, so the span never ended and the transport
 * got a TypeError in place of its own error.
 */
function printable(value: unknown): string {
  try {
    return String(value);
  } catch {
    return describeValue(value);
  }
}

// A span not started by this package: guess from the outcome, and assume the client side.
function infoFor(span: Span, outcome: RpcOutcome): SpanInfo {
  const known = spanInfoOf(span);
  if (known !== undefined) return known;
  const system = outcome.grpcStatusCode !== undefined ? 'grpc' : 'http';
  const stability = semconvStability();
  return { system, kind: 'client', mode: system === 'grpc' ? stability.rpc : stability.http };
}

/**
 * Records how an RPC ended and ends its span: the status attributes (`rpc.grpc.status_code` /
 * `rpc.status_code`, `http.response.status_code`, per the conventions chosen at start), and for
 * a failure an ERROR status, `error.type` (stable conventions) and the exception as an event.
 *
 * A status decides failure when there is one: any non-OK gRPC code or HTTP ≥ 400 on a client;
 * UNKNOWN, DEADLINE_EXCEEDED, UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS or HTTP ≥ 500 on a
 * server (a NOT_FOUND answered by a server is the caller's problem). Without a status, an `error`
 * is a failure; so is one given with an HTTP status below 400 (a body that broke off or did not
 * parse), as the HTTP conventions require. Costs nothing for a non-recording span beyond ending it.
 */
export function endRpcSpan(span: Span, outcome: RpcOutcome): void {
  if (!span.isRecording()) {
    span.end();
    return;
  }
  const { system, kind, mode } = infoFor(span, outcome);
  const { grpcStatusCode, httpStatusCode, error } = outcome;
  let failed = false;
  let statusMessage: string | undefined;
  if (grpcStatusCode !== undefined) {
    failed = isGrpcError(grpcStatusCode, kind);
    setGrpcStatusAttributes(span, grpcStatusCode, system === 'grpc' ? mode : 'stable', failed);
    if (failed) statusMessage = grpcStatusName(grpcStatusCode);
  }
  if (httpStatusCode !== undefined) {
    const httpMode = system === 'http' ? mode : 'stable';
    const httpFailed = isHttpError(httpStatusCode, kind);
    setHttpStatusAttributes(span, httpStatusCode, httpMode, httpFailed);
    failed ||= httpFailed;
    // Below 400 the status is no error, but the call can still fail after it (a body that broke off
    // or did not parse): the HTTP conventions want ERROR then, and error.type naming the error.
    if (!httpFailed && error !== undefined && httpStatusCode < 400 && grpcStatusCode === undefined) {
      failed = true;
      if (httpMode !== 'old') span.setAttribute(ATTR_ERROR_TYPE, errorType(error));
    }
  }
  if (grpcStatusCode === undefined && httpStatusCode === undefined && error !== undefined) {
    failed = true;
    if (mode !== 'old') span.setAttribute(ATTR_ERROR_TYPE, errorType(error));
  }
  if (failed) {
    if (error !== undefined) span.recordException(toException(error));
    span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(error) ?? statusMessage });
  }
  span.end();
}
