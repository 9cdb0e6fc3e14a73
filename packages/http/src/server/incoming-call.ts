import type { IncomingMessage, ServerResponse } from 'node:http';
import { context as otelContext, trace } from '@opentelemetry/api';
import {
  CancelledError,
  type CallScope,
  DeadlineExceededError,
  runInCallScope,
  trackFromBaggage,
} from '@switchyard/core';
import {
  endRpcSpan,
  extractTraceContext,
  startServerSpan,
  tracingActive,
  metricsActive,
  switchyardInstruments,
} from '@switchyard/tracing';
import { parseDeadlineHeader } from '../deadline-header.js';
import { responseClosed, responseCompleted, serverFailureOf, statusOnClose } from './response-outcome.js';
import { serverHost } from './server-host.js';
import type { ResolvedServerOptions } from './server-options.js';

/** What a handler can learn about the request it serves, beside the request itself. */
export interface HttpHandlerContext {
  /** The caller's absolute deadline (ms, `Date.now()` clock; `Infinity` for none). Outgoing Switchyard calls inherit it. */
  readonly deadline: number;
  /** Aborts when the deadline passes (DEADLINE_EXCEEDED) or the client goes away (CANCELLED). Created on first use. */
  readonly signal: AbortSignal;
}

/** One incoming request being served. */
export interface IncomingCall extends HttpHandlerContext {
  /** Runs `fn` with the request's trace context and call scope (deadline, propagation headers) active. */
  run<T>(fn: () => T): T;
}

const PROPAGATION_HEADERS = ['traceparent', 'tracestate', 'baggage'];
const calls = new WeakMap<IncomingMessage, IncomingCall>();

/**
 * The context of a request served by httpHandler() or switchyardFastify (pass the Node request,
 * or Fastify's request); `undefined` for other requests.
 *
 * @example
 * ```ts
 * app.get('/slow', async (request) => { const { signal } = requestContext(request)!; … });
 * ```
 */
export function requestContext(request: IncomingMessage | { raw: IncomingMessage }): HttpHandlerContext | undefined {
  return calls.get('raw' in request ? request.raw : request);
}

/** The call begun for `request` by {@link beginIncoming} (internal). */
export function incomingCallOf(request: IncomingMessage): IncomingCall | undefined {
  return calls.get(request);
}

/**
 * Starts serving a request: reads the deadline header (so outgoing calls inherit what is left),
 * extracts the trace context into a SERVER span when a tracer is active (or keeps the raw
 * propagation headers to forward when none is), and ends the span when the response closes: with
 * the response's status, or 499 when the client left first, or 500 and the error when the server
 * cut its own started response (see noteServerFailure).
 */
export function beginIncoming(
  request: IncomingMessage,
  response: ServerResponse,
  settings: ResolvedServerOptions,
  route?: string,
): IncomingCall {
  const receivedAt = Date.now();
  const deadline = parseDeadlineHeader(request.headers[settings.deadlineHeader], receivedAt);
  // One property read: `https` for url.scheme (span and metric) and the default server.port.
  const tls = (request.socket as { encrypted?: boolean } | null)?.encrypted === true;
  recordServed(request, response, tls, route);
  let scope: CallScope;
  let run: <T>(fn: () => T) => T;
  const track = trackFromBaggage(request.headers.baggage);
  const withTrack = track === undefined ? {} : { track };
  if (settings.tracing && tracingActive()) {
    scope = {
      deadline,
      ...withTrack,
      // The request's signal, made only when a call under the scope reads it: the handler's
      // downstream calls stop when the client leaves (see CallScope.signal).
      get signal() {
        return call.signal;
      },
    };
    const parent = extractTraceContext(request.headers);
    // server.address/server.port: the host and port the client called (Host or :authority), as
    // the conventions define them; neither when the request names none (the listening port alone
    // would be a server.port without its server.address).
    const host = serverHost(request.headers, tls);
    const span = startServerSpan({
      system: 'http',
      service: '',
      method: request.method ?? 'GET',
      url: request.url ?? '/',
      route,
      serverAddress: host.address,
      serverPort: host.port,
      parent,
      // The target names no scheme: the connection tells.
      scheme: tls ? 'https' : 'http',
    });
    const active = trace.setSpan(parent, span);
    run = (fn) => otelContext.with(active, () => runInCallScope(scope, fn));
    response.once('close', () => {
      // The error the reply was made for (see noteServerFailure): the exception on the span.
      endRpcSpan(span, { httpStatusCode: statusOnClose(response), error: serverFailureOf(response) });
    });
  } else {
    // No tracer here: forward the caller's headers as they are, so the trace survives this hop.
    let propagation: Record<string, string> | undefined;
    for (const name of PROPAGATION_HEADERS) {
      const value = request.headers[name];
      if (typeof value !== 'string') continue;
      propagation ??= {};
      propagation[name] = value;
    }
    scope = {
      deadline,
      ...(propagation ? { propagation } : {}),
      ...withTrack,
      get signal() {
        return call.signal;
      },
    };
    run = (fn) => runInCallScope(scope, fn);
  }
  let controller: AbortController | undefined;
  const call: IncomingCall = {
    deadline,
    run,
    get signal() {
      if (!controller) controller = abortOnEnd(response, deadline);
      return controller.signal;
    },
  };
  calls.set(request, call);
  return call;
}

/** An AbortController that aborts at the deadline or when the client leaves before the response ends. */
function abortOnEnd(response: ServerResponse, deadline: number): AbortController {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  if (Number.isFinite(deadline)) {
    const delay = deadline - Date.now();
    if (delay <= 0) controller.abort(new DeadlineExceededError("the caller's deadline passed"));
    else {
      timer = setTimeout(() => controller.abort(new DeadlineExceededError("the caller's deadline passed")), delay);
      timer.unref();
    }
  }
  const onClose = (): void => {
    if (timer) clearTimeout(timer);
    if (!responseCompleted(response)) controller.abort(new CancelledError('the client closed the connection'));
  };
  // Read after the response closed (the client left while the handler was busy): its 'close' is past.
  if (responseClosed(response)) onClose();
  else response.once('close', onClose);
  return controller;
}

/** The label set HTTP requests are counted under in `switchyard.server.inflight_requests`. */
const HTTP_INFLIGHT_ATTRIBUTES = Object.freeze({ 'rpc.system': 'http' });

/**
 * Publishes the HTTP series of the in-flight gauge at 0 (when a MeterProvider is set up), for a
 * handler made before its first request: with no series until a request came, an idle pod had
 * none, prometheus-adapter had nothing to serve for it, and an HPA scaling on the gauge (deploy/)
 * could not scale down. Adding 0 creates the series and changes no count.
 */
export function publishServedInflight(): void {
  if (metricsActive()) switchyardInstruments().serverInflight.add(0, HTTP_INFLIGHT_ATTRIBUTES);
}

/** In-flight count and duration of each request, for the metrics (no-ops without a MeterProvider). */
function recordServed(
  request: IncomingMessage,
  response: ServerResponse,
  tls: boolean,
  route: string | undefined,
): void {
  if (!metricsActive()) return;
  const instruments = switchyardInstruments();
  const started = performance.now();
  instruments.serverInflight.add(1, HTTP_INFLIGHT_ATTRIBUTES);
  response.once('close', () => {
    instruments.serverInflight.add(-1, HTTP_INFLIGHT_ATTRIBUTES);
    // The same method, status, scheme and route as the request's SERVER span.
    instruments.recordHttpServerRequest((performance.now() - started) / 1_000, {
      method: request.method ?? 'GET',
      status: statusOnClose(response),
      scheme: tls ? 'https' : 'http',
      route,
    });
  });
}
