import { type Exception, type Span, SpanStatusCode } from '@opentelemetry/api';
import { ATTR_ERROR_TYPE } from './attribute-names.js';
import { setGrpcStatusAttributes } from './grpc-attributes.js';
import { grpcStatusName, isGrpcError } from './grpc-status.js';
import { isHttpError, setHttpStatusAttributes } from './http-attributes.js';
import type { RpcOutcome } from './rpc-span-options.js';
import { semconvStability } from './semconv-stability.js';
import { type SpanInfo, spanInfoOf } from './span-info.js';

/** A low-cardinality name for an error: its string `code` (Switchyard, Node), else its class name. */
function errorType(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && code !== '') return code;
    const name = (error as { name?: unknown }).name;
    if (typeof name === 'string' && name !== '' && name !== 'Error') return name;
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
  return { name: errorType(error), message: String(error) };
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
 * is a failure. Costs nothing for a non-recording span beyond ending it.
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
    const httpFailed = isHttpError(httpStatusCode, kind);
    setHttpStatusAttributes(span, httpStatusCode, system === 'http' ? mode : 'stable', httpFailed);
    failed ||= httpFailed;
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
