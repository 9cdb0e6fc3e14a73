import type { IncomingMessage, ServerResponse } from 'node:http';
import { NO_RETRY_HEADER } from '../status/no-retry.js';
import { codeToHttpStatus } from '../status/status-mapping.js';
import { type Logger, SwitchyardError, isExhaustedDownstream } from '@switchyard/core';
import { closeConnectionOnDrain } from './drain-connection.js';
import {
  cancelledElsewhere,
  logHandlerFailure,
  logIfClientLeft,
  publicClientErrorMessage,
  publicMessage,
  writeErrorReply,
} from './error-reply.js';
import { ARRIVED_EXPIRED } from './http-handler.js';
import { beginIncoming, incomingCallOf, publishServedInflight } from './incoming-call.js';
import { clientLeft, noteServerFailure } from './response-outcome.js';
import { type HttpServerOptions, resolveServerOptions } from './server-options.js';

/** Options of {@link switchyardFastify}: the same as httpHandler's. */
export type SwitchyardFastifyOptions = HttpServerOptions;

// The few Fastify shapes used here, structurally (fastify is an optional peer: no type import).
interface FastifyRequestLike {
  raw: IncomingMessage;
  routeOptions?: { url?: string; config?: Record<string, unknown> };
}
interface FastifyReplyLike {
  raw: ServerResponse;
  /** True once the reply was hijacked or its response ended (Fastify 4 and 5). */
  readonly sent?: boolean;
  code(status: number): FastifyReplyLike;
  header(name: string, value: string): FastifyReplyLike;
  send(payload?: unknown): FastifyReplyLike;
}
type RouteHandler = (this: unknown, request: FastifyRequestLike, reply: FastifyReplyLike) => unknown;
type ErrorHandler = (this: unknown, error: unknown, request: FastifyRequestLike, reply: FastifyReplyLike) => unknown;
interface RouteDefinition {
  method: string;
  url: string;
  logLevel?: string;
  config?: Record<string, unknown>;
  handler: RouteHandler;
}
interface FastifyLike {
  route(definition: RouteDefinition): unknown;
  addHook(
    name: 'onRequest',
    hook: (request: FastifyRequestLike, reply: FastifyReplyLike, done: () => void) => void,
  ): unknown;
  addHook(
    name: 'onSend',
    hook: (request: FastifyRequestLike, reply: FastifyReplyLike, payload: unknown, done: () => void) => void,
  ): unknown;
  addHook(
    name: 'onRoute',
    hook: (route: { handler: RouteHandler; errorHandler?: ErrorHandler; config?: Record<string, unknown> }) => void,
  ): unknown;
}

// Route config of the probe routes, holding their answer: no span, no scope, no deadline.
const PROBE = 'switchyardProbe';
/** Writes a probe's reply. */
type ProbeAnswer = (reply: FastifyReplyLike) => FastifyReplyLike;

/**
 * The Fastify plugin (Fastify 4 and 5): for every route registered after it, the handler runs with
 * the caller's deadline and trace context (which outgoing Switchyard calls inherit), a SERVER span
 * named after the route template is made when a tracer is active, a request arriving with no time
 * left gets 504 at once, and a thrown Switchyard error replies with its status (NOT_FOUND 404, …).
 * `/healthz` and `/readyz` are added as GET and HEAD routes (untraced, logged at `warn` only).
 * Register it first, on the root instance (it is not encapsulated).
 *
 * @example
 * ```ts
 * const health = createHealthState();
 * const app = Fastify();
 * await app.register(switchyardFastify, { health });
 * app.get('/products/:id', async (request) => catalog.getJson(`/products/${request.params.id}`));
 * ```
 */
// biome-ignore lint/suspicious/noExplicitAny: typed structurally inside; `any` lets it fit both Fastify 4 and 5's register()
function switchyardFastifyPlugin(fastify: any, options: SwitchyardFastifyOptions, done: (error?: Error) => void): void {
  let settings: ReturnType<typeof resolveServerOptions>;
  try {
    settings = resolveServerOptions(stripFastifyOptions(options as Record<string, unknown>), 'switchyardFastify');
  } catch (error) {
    done(error as Error);
    return;
  }
  const app = fastify as FastifyLike;
  // The in-flight gauge's series exists from now, at 0, not from the first request (see there).
  publishServedInflight();
  app.addHook('onRequest', (request, reply, next) => {
    const probe = request.routeOptions?.config?.[PROBE];
    if (typeof probe === 'function') {
      // Answered here, before the hooks the application adds after the plugin: an app-wide auth or
      // rate-limit onRequest hook answered kubelet's probes 401 or 429, and the pod never became
      // ready. (No `next()`: the rest of the chain and the route's handler do not run.)
      (probe as ProbeAnswer)(reply);
      return;
    }
    closeConnectionOnDrain(settings.health, request.raw, reply.raw);
    const call = beginIncoming(request.raw, reply.raw, settings, request.routeOptions?.url);
    if (call.deadline <= Date.now()) {
      // Answered here (no `next()`): the handler never runs.
      // The body httpHandler replies with (its 5xx messages are the generic ones), so a client
      // sees the same answer from either server; and the same debug line.
      settings.logger.debug({}, ARRIVED_EXPIRED);
      reply.code(504).send({ error: { code: 'DEADLINE_EXCEEDED', message: publicMessage(504) } });
      return;
    }
    // The hooks after this one (an auth preHandler calling its service, say) run in the call's
    // scope too, not only the route handler: their outgoing calls get the deadline and the trace.
    // (Fastify carries the async context on across reading the body.)
    call.run(next);
  });
  // A stream payload that fails after the headers went out makes Fastify cut the response: noted,
  // so the span and metric say 500 and the error, not a 499 of a client that left.
  app.addHook('onSend', (_request, reply, payload, next) => {
    if (isNodeStream(payload)) payload.once('error', (error: unknown) => noteServerFailure(reply.raw, error));
    next();
  });
  app.addHook('onRoute', (route) => {
    if (typeof route.config?.[PROBE] === 'function') return;
    const original = route.handler;
    route.handler = function switchyardRoute(this: unknown, request, reply) {
      const call = incomingCallOf(request.raw);
      const failed = (error: unknown): undefined => {
        // A hijacked reply (`reply.hijack()`, the route writing `reply.raw` itself) is left alone by
        // Fastify: the error was only logged, and the request hung until the client gave up, its
        // span, in-flight count and deadline timer open all along. The route is a node:http handler
        // now, so it is answered as httpHandler answers one: an error reply, or the connection cut
        // if the response had started. Returned, not thrown: Fastify would only log it again.
        if (reply.sent === true && !reply.raw.writableEnded) {
          writeErrorReply(reply.raw, error, settings.logger);
          return undefined;
        }
        throw withStatus(error, reply, settings.logger);
      };
      const invoke = (): unknown => {
        try {
          const result = original.call(this, request, reply);
          // The reply itself (`return reply.send(…)`, Fastify's documented style) is a thenable too,
          // but its then() calls its first callback: given none, it threw out of the event loop.
          // Fastify waits on it as it is; a later error reaches the route's error handler below.
          if (result === reply) return result;
          return typeof (result as Promise<unknown>)?.then === 'function'
            ? (result as Promise<unknown>).then(undefined, failed)
            : result;
        } catch (error) {
          return failed(error);
        }
      };
      return call ? call.run(invoke) : invoke();
    };
    // An error from the application's hooks (an auth preHandler whose own call failed) never passes
    // through the handler above: it reached Fastify's error handling as it was, a 500 carrying its
    // message (a downstream's address, a plain Error's internals) even for a NOT_FOUND or
    // UNAUTHENTICATED. This route-level error handler maps it the same way as a route's (an error
    // with its own status below 500, such as Fastify's validation errors, stays as it is), then
    // hands it on: to the route's own error handler, or, by throwing, to the application's
    // setErrorHandler (or Fastify's). It runs only for failed requests.
    const ownErrorHandler = route.errorHandler;
    route.errorHandler = function switchyardErrors(this: unknown, error, request, reply) {
      const mapped = handed.has(error as object) ? error : withStatus(error, reply, settings.logger);
      if (ownErrorHandler) return ownErrorHandler.call(this, mapped, request, reply);
      throw mapped;
    };
  });
  const { health, livePath, readyPath } = settings;
  // A route Fastify refuses (an application's own `/healthz` registered before the plugin) throws
  // here: handed to done(), it fails the registration at once, instead of after avvio's timeout as
  // "Plugin did not start in time".
  try {
    addProbes();
  } catch (error) {
    done(error as Error);
    return;
  }
  done();

  function addProbes(): void {
    if (livePath === undefined || readyPath === undefined) return;
    const probe = (path: string, answer: () => [number, string]) => {
      const reply: ProbeAnswer = (to) => {
        const [status, text] = answer();
        return to
          .code(status)
          .header('cache-control', 'no-store')
          .header('content-type', 'text/plain; charset=utf-8')
          .send(text);
      };
      // HEAD registered too, as httpHandler answers it: left to Fastify's automatic HEAD routes, an
      // application made with `exposeHeadRoutes: false` answered a HEAD probe 404 (or 401 from its
      // auth hook). HEAD first: Fastify then makes no automatic one for the GET. (One route with
      // both methods made Fastify 4 report a taken path without its FST_ERR_DUPLICATED_ROUTE code.)
      // Fastify sends a HEAD reply's headers without the body.
      for (const method of ['HEAD', 'GET']) {
        app.route({
          method,
          url: path,
          logLevel: 'warn',
          // The onRequest hook above answers with it; the handler only if that hook was bypassed.
          config: { [PROBE]: reply },
          handler: (_request, to) => reply(to),
        });
      }
    };
    probe(livePath, () => [200, 'ok']);
    probe(readyPath, () => (health.serving ? [200, 'ready'] : [503, health.draining ? 'draining' : 'not ready']));
  }
}

/**
 * The error to hand to Fastify's error handling for a route's (or hook's) error, as httpHandler
 * would reply to it: a Switchyard error gets the `statusCode` of its code; a failure of the route's own downstream calls (after
 * their retries) is marked as not to be retried. What Fastify replies carries the error's message,
 * so a downstream's 4xx passed on is replaced by one with the same code and the downstream's own
 * detail (its message named internal services and paths), its `cause` the original; an error that would reply 5xx (a Switchyard one, or any error without a `statusCode`) is
 * replaced by one with the same code and a generic message (`service unavailable`, `internal
 * error`…), its `cause` the original, which is logged: its message describes this side
 * (downstream addresses, a downstream's body, an internal error's text). The original is noted for
 * the request's SERVER span (see noteServerFailure).
 */
function withStatus(error: unknown, reply: FastifyReplyLike, logger: Logger): unknown {
  noteServerFailure(reply.raw, error);
  if (isExhaustedDownstream(error)) reply.header(NO_RETRY_HEADER, '1');
  const ownStatus = (error as { statusCode?: unknown } | undefined)?.statusCode;
  const known = SwitchyardError.isInstance(error);
  // Fastify's own errors and the application's carry their status; keep those below 500 as they are.
  if (typeof ownStatus === 'number' && ownStatus < 500) return handedOn(error);
  if (!known && typeof ownStatus === 'number') return handedOn(error); // an application's own 5xx: its business
  // CANCELLED while the client is still there is a downstream's, not the client's: 503 (see cancelledElsewhere).
  const cancelled = known && cancelledElsewhere(error) && !clientLeft(reply.raw);
  const status = cancelled ? 503 : known ? codeToHttpStatus(error) : 500;
  if (status < 500) {
    // A downstream's failure passed on names internal services and paths: the downstream's own
    // detail instead, the original as `cause` (see publicClientErrorMessage).
    const message = publicClientErrorMessage(error as SwitchyardError, logger);
    if (message === (error as SwitchyardError).message)
      return handedOn(withStatusCode(error as SwitchyardError, status));
    const detailed = new SwitchyardError((error as SwitchyardError).code, message, {
      retryable: (error as SwitchyardError).retryable,
      cause: error,
    });
    return handedOn(withStatusCode(detailed, status));
  }
  // A client that left mid-request (its body read broke off) is not a server failure: debug only.
  if (!logIfClientLeft(reply.raw, error, logger)) logHandlerFailure(error, status, logger);
  const masked = new SwitchyardError(
    cancelled ? 'UNAVAILABLE' : known ? error.code : 'INTERNAL',
    publicMessage(status),
    {
      retryable: known ? error.retryable : false,
      cause: error,
    },
  );
  return handedOn(withStatusCode(masked, status));
}

/** A Node stream (a payload Fastify pipes to the response), which reports its failure as an 'error' event. */
function isNodeStream(payload: unknown): payload is NodeJS.ReadableStream {
  return (
    typeof (payload as { pipe?: unknown } | null)?.pipe === 'function' &&
    typeof (payload as { once?: unknown }).once === 'function'
  );
}

/** Errors {@link withStatus} handed on already: the route's error handler leaves them as they are. */
const handed = new WeakSet<object>();

function handedOn(error: unknown): unknown {
  if (typeof error === 'object' && error !== null) handed.add(error);
  return error;
}

/** Sets the (non-enumerable) `statusCode` Fastify replies with. */
function withStatusCode<E extends object>(error: E, status: number): E {
  Object.defineProperty(error, 'statusCode', { value: status, enumerable: false, configurable: true });
  return error;
}

// Fastify passes its own register options (prefix, logLevel) alongside the plugin's.
function stripFastifyOptions(options: Record<string, unknown> | undefined): SwitchyardFastifyOptions {
  const { prefix: _prefix, logLevel: _logLevel, logSerializers: _serializers, ...rest } = options ?? {};
  return rest;
}

/** The Fastify plugin; see {@link switchyardFastifyPlugin}. Not encapsulated (`skip-override`). */
export const switchyardFastify = Object.assign(switchyardFastifyPlugin, {
  [Symbol.for('skip-override')]: true,
  [Symbol.for('fastify.display-name')]: '@switchyard/http',
  [Symbol.for('plugin-meta')]: { name: '@switchyard/http', fastify: '4.x || 5.x' },
});
