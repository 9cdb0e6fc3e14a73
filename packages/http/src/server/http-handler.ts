import type { IncomingMessage, ServerResponse } from 'node:http';
import { DeadlineExceededError, InvalidArgumentError, SwitchyardError, silentLogger } from '@switchyard/core';
import { closeConnectionOnDrain } from './drain-connection.js';
import { writeErrorReply, writeProbeReply } from './error-reply.js';
import type { HealthState } from './health-state.js';
import { beginIncoming, type HttpHandlerContext, type IncomingCall, publishServedInflight } from './incoming-call.js';
import { emitRequestEventsInCurrentContext } from './request-event-context.js';
import { type HttpServerOptions, type ResolvedServerOptions, resolveServerOptions } from './server-options.js';

/** What httpHandler and the Fastify plugin log (at debug) for a request answered 504 on arrival (internal). */
export const ARRIVED_EXPIRED = 'switchyard http: the request arrived with no time left; answered 504';

/** A node:http handler, given the request's {@link HttpHandlerContext} as a third argument. */
export type HttpRequestHandler = (
  request: IncomingMessage,
  response: ServerResponse,
  context: HttpHandlerContext,
) => unknown;

/** What {@link httpHandler} returns: a `(request, response)` listener for `http.createServer`, and its health state. */
export interface SwitchyardHttpListener {
  (request: IncomingMessage, response: ServerResponse): void;
  /** What `/readyz` reports: the `health` option's state, or the one made for it. Call `drain()` on SIGTERM. */
  readonly health: HealthState;
}

/**
 * Wraps a node:http handler (an Express or Connect app, or Koa's `callback()`, works too) so that every request:
 * runs with its caller's deadline (header `x-switchyard-deadline-ms`) and trace context, which
 * outgoing Switchyard calls (gRPC or HTTP) inherit, in the handler and in the request's event
 * listeners (a body read with 'data'/'end'); gets a SERVER span when a tracer is active;
 * fails with 504 at once when it arrives with no time left; and, if the handler throws or rejects
 * before replying, gets an error reply mapped from the error's code (or the 4xx an error such as
 * body-parser's carries); one that fails after its reply started has the connection cut. `/healthz` answers 200 while
 * the process lives, `/readyz` 200 while `health` is serving and 503 while draining or not ready.
 *
 * An Express or Connect app takes a third argument of its own, the function it calls with an error
 * or for a route it does not have: it gets one that replies as above (the error mapped, or 404),
 * not the context, which such handlers read with `requestContext()`.
 *
 * @throws InvalidArgumentError naming `handler` when it is no function, or the option (`options.healthPaths`…)
 * that is unknown or malformed.
 * @example
 * ```ts
 * const listener = httpHandler((request, response) => response.end('hi'));
 * createServer(listener).listen(8080);
 * process.once('SIGTERM', () => listener.health.drain());
 * ```
 */
export function httpHandler(handler: HttpRequestHandler, options: HttpServerOptions = {}): SwitchyardHttpListener {
  if (typeof handler !== 'function') {
    throw new InvalidArgumentError('handler', 'must be a function (request, response, context) => …');
  }
  const settings = resolveServerOptions(options, 'options');
  // Handing Express its `next` as the context made its final handler call a plain object (an
  // uncaught TypeError) for every unmatched route or next(error).
  const connectApp = isConnectApp(handler);
  // The in-flight gauge's series exists from now, at 0, not from the first request (see there).
  publishServedInflight();
  const listener = (request: IncomingMessage, response: ServerResponse): void => {
    if (serveProbe(request, response, settings)) return;
    // Draining, now or before this response starts: keep-alive clients move to other instances after it.
    closeConnectionOnDrain(settings.health, request, response);
    let call: IncomingCall;
    try {
      call = beginIncoming(request, response, settings);
    } catch (error) {
      // Reading what a request carries must never throw out of the 'request' listener: that
      // would take the whole process down for one bad request.
      writeErrorReply(response, error, settings.logger);
      return;
    }
    if (call.deadline <= Date.now()) {
      // The handler never ran: not its failure, so debug, not the warn of a failed handler (one
      // per request, under the very overload that runs callers' budgets out in queues), as the
      // Fastify plugin logs it.
      settings.logger.debug({}, ARRIVED_EXPIRED);
      writeErrorReply(response, new DeadlineExceededError('the request arrived with no time left'), silentLogger);
      return;
    }
    let result: unknown;
    try {
      result = call.run(() => {
        // The handler's 'data'/'end' listeners run when the body arrives, after it returned.
        emitRequestEventsInCurrentContext(request);
        return connectApp
          ? handler(request, response, finalHandler(request, response, settings) as never)
          : handler(request, response, call);
      });
    } catch (error) {
      writeErrorReply(response, error, settings.logger);
      return;
    }
    if (typeof (result as Promise<unknown> | undefined)?.then === 'function') {
      (result as Promise<unknown>).then(undefined, (error: unknown) =>
        writeErrorReply(response, error, settings.logger),
      );
    }
  };
  return Object.assign(listener, { health: settings.health });
}

/** An Express or Connect app: a function with its own `use` and `handle` (httpHandler hands it a final `next`). */
export function isConnectApp(handler: HttpRequestHandler): boolean {
  const app = handler as unknown as { use?: unknown; handle?: unknown };
  return typeof app.use === 'function' && typeof app.handle === 'function';
}

/**
 * The `next` a Connect-style app calls last: with an error, the error reply; with nothing (no route
 * matched), 404. A response already started is left to end as it was (or cut, on an error).
 */
function finalHandler(
  request: IncomingMessage,
  response: ServerResponse,
  settings: ResolvedServerOptions,
): (error?: unknown) => void {
  return (error) => {
    if (error !== undefined && error !== null && error !== 'route' && error !== 'router') {
      writeErrorReply(response, error, settings.logger);
      return;
    }
    if (response.headersSent) return;
    const path = (request.url ?? '/').split('?')[0];
    writeErrorReply(
      response,
      new SwitchyardError('NOT_FOUND', `no route for ${request.method} ${path}`),
      settings.logger,
    );
  };
}

/** Answers `/healthz` and `/readyz` (GET or HEAD); false for any other request. */
export function serveProbe(
  request: IncomingMessage,
  response: ServerResponse,
  settings: ResolvedServerOptions,
): boolean {
  if (settings.livePath === undefined || (request.method !== 'GET' && request.method !== 'HEAD')) return false;
  const url = request.url ?? '/';
  const query = url.indexOf('?');
  const path = query < 0 ? url : url.slice(0, query);
  const head = request.method === 'HEAD';
  if (path === settings.livePath) {
    writeProbeReply(response, 200, 'ok', head);
    return true;
  }
  if (path === settings.readyPath) {
    const { health } = settings;
    if (health.serving) writeProbeReply(response, 200, 'ready', head);
    else writeProbeReply(response, 503, health.draining ? 'draining' : 'not ready', head);
    return true;
  }
  return false;
}
