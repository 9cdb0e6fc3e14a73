import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2Session } from 'node:http2';

/**
 * Asks the client of a request served while draining to take its next requests elsewhere (internal):
 * `Connection: close` on HTTP/1.x, after this response; a GOAWAY on HTTP/2, where that header is
 * not allowed (Node dropped it with a warning, and h2 clients kept the connection for good). The
 * GOAWAY lets the streams already open, this one included, finish; it is sent once per connection.
 */
export function closeConnectionAfter(request: IncomingMessage, response: ServerResponse): void {
  if (request.httpVersionMajor < 2) {
    response.setHeader('connection', 'close');
    return;
  }
  const session = (request as { stream?: { session?: Http2Session } }).stream?.session;
  if (session !== undefined && !session.closed && !session.destroyed) session.close();
}

interface InFlight {
  readonly request: IncomingMessage;
  readonly response: ServerResponse;
}

/** Per health state, its requests in flight (see closeConnectionOnDrain). Weak: a state dropped takes them along. */
const inFlightOf = new WeakMap<object, Set<InFlight>>();

/**
 * Asks the client to go elsewhere after this response if `health` is draining now, or starts to
 * before the response's headers go out (internal). Decided once, as the request arrived, a request
 * already being served when drain() was called (a slow query, a long poll: what a drain waits for)
 * was answered keep-alive, and its client stayed on the draining instance. drain() of a state made
 * by createHealthState reaches these; another HealthState implementation gets the check on arrival.
 */
export function closeConnectionOnDrain(
  health: { readonly draining: boolean },
  request: IncomingMessage,
  response: ServerResponse,
): void {
  if (health.draining) {
    closeConnectionAfter(request, response);
    return;
  }
  let inFlight = inFlightOf.get(health);
  if (inFlight === undefined) {
    inFlight = new Set();
    inFlightOf.set(health, inFlight);
  }
  const entry: InFlight = { request, response };
  const open = inFlight;
  open.add(entry);
  response.once('close', () => open.delete(entry));
}

/**
 * Called as `health` starts draining: each response in flight not yet started closes its connection
 * after it (HTTP/1.x), and each HTTP/2 session with a request in flight gets its GOAWAY (its open
 * streams still finish). A response whose headers are out cannot say so: its connection is closed
 * once idle, as the server stops.
 */
export function closeInFlightConnections(health: object): void {
  const inFlight = inFlightOf.get(health);
  if (inFlight === undefined) return;
  inFlightOf.delete(health);
  for (const { request, response } of inFlight) {
    if (request.httpVersionMajor >= 2 || !response.headersSent) closeConnectionAfter(request, response);
  }
}
