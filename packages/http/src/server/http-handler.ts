import type { IncomingMessage, ServerResponse } from 'node:http';
import { DeadlineExceededError, InvalidArgumentError } from '@switchyard/core';
import { writeErrorReply, writeProbeReply } from './error-reply.js';
import type { HealthState } from './health-state.js';
import { beginIncoming, type HttpHandlerContext, type IncomingCall } from './incoming-call.js';
import { type HttpServerOptions, type ResolvedServerOptions, resolveServerOptions } from './server-options.js';

/** A node:http handler, given the request's {@link HttpHandlerContext} as a third argument. */
export type HttpRequestHandler = (
  request: IncomingMessage,
  response: ServerResponse,
  context: HttpHandlerContext,
) => unknown;

/** What {@link httpHandler} returns: a `(request, response)` listener for `http.createServer`, and its health state. */
export interface SwitchyardHttpListener {
  (request: IncomingMessage, response: ServerResponse): void;
  readonly health: HealthState;
}

/**
 * Wraps a node:http handler (an Express or Koa `callback()` app works too) so that every request:
 * runs with its caller's deadline (header `x-switchyard-deadline-ms`) and trace context, which
 * outgoing Switchyard calls (gRPC or HTTP) inherit; gets a SERVER span when a tracer is active;
 * fails with 504 at once when it arrives with no time left; and, if the handler throws or rejects
 * before replying, gets an error reply mapped from the error's code. `/healthz` answers 200 while
 * the process lives, `/readyz` 200 while `health` is serving and 503 while draining or not ready.
 *
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
  const listener = (request: IncomingMessage, response: ServerResponse): void => {
    if (serveProbe(request, response, settings)) return;
    // Draining: let keep-alive clients move to other instances after this response.
    if (settings.health.draining) response.setHeader('connection', 'close');
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
      writeErrorReply(response, new DeadlineExceededError('the request arrived with no time left'), settings.logger);
      return;
    }
    let result: unknown;
    try {
      result = call.run(() => handler(request, response, call));
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
