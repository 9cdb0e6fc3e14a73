import type { ServerResponse } from 'node:http';

/**
 * How a served request ended, as the SERVER span and the request metric record it once the
 * response closes. The response alone cannot tell a server that cut its own started response (a
 * handler that failed after writing the headers, a reply stream that broke mid-body) from a client
 * that went away: both close unfinished. So the error replies note the failure here first.
 */
interface ServerFailure {
  readonly error: unknown;
  /** The headers had gone out: the reply is cut short, not replaced by an error reply. */
  readonly cut: boolean;
}

// Keyed by the response: error replies have it (not always the request), and so does the close listener.
const failures = new WeakMap<object, ServerFailure>();

/**
 * Notes that the request answered by `response` failed with `error` (internal): its span ends with
 * the error, and if the response was already started, it reads as the server's failure (500), not as
 * the client leaving (499). A failure after the response ended (an after-reply audit call) is left
 * out: the reply stands, and it is only logged. So is one after the client left: it stays a 499.
 */
export function noteServerFailure(response: ServerResponse, error: unknown): void {
  // After the client left, the failure is the client's 499 (see clientLeft), even on a started response.
  if (response.writableEnded || clientLeft(response)) return;
  failures.set(response, { error, cut: response.headersSent });
}

/** The error noted by {@link noteServerFailure} for `response` (internal); undefined when none was. */
export function serverFailureOf(response: ServerResponse): unknown {
  return failures.get(response)?.error;
}

/**
 * The HTTP status a closed response stands for (internal): its own once it went out whole; 500 if the
 * server cut it after a failure; else 499, the client closed the connection first.
 */
export function statusOnClose(response: ServerResponse): number {
  if (responseCompleted(response)) return response.statusCode;
  return failures.get(response)?.cut === true ? 500 : 499;
}

/**
 * Whether the whole response went out (internal). An HTTP/2 response reports `writableFinished`
 * after the client reset its stream too, before the handler ended it: `writableEnded` tells those apart.
 * An ended response whose connection is still whole went out too, though not `writableFinished`:
 * Fastify's `inject()` (light-my-request) closes its responses before its stand-in socket reports
 * the write done, and every injected request read as a client that left (499). A client that
 * really left destroyed the connection (node:http), or has none left (HTTP/2, `writableFinished`).
 */
export function responseCompleted(response: ServerResponse): boolean {
  if (!response.writableEnded) return false;
  if (response.writableFinished) return true;
  const socket = response.socket;
  return socket !== null && socket !== undefined && !socket.destroyed;
}

/**
 * Whether the client went away before the response went out whole (internal): its connection is
 * destroyed (node:http), or the response closed unfinished (an HTTP/2 stream it reset), and the
 * server had not cut it itself. A handler failing then most likely failed for that (a body read
 * that broke off with `aborted`); the span and the metric say 499 (see statusOnClose).
 */
export function clientLeft(response: ServerResponse): boolean {
  if (responseCompleted(response) || failures.get(response)?.cut === true) return false;
  return responseClosed(response) || response.socket?.destroyed === true;
}

/**
 * Whether the response has closed already (internal), its 'close' event emitted or about to be. An
 * HTTP/2 response has no `closed`: its stream's says.
 */
export function responseClosed(response: ServerResponse): boolean {
  return response.closed ?? (response as { stream?: { closed?: boolean } }).stream?.closed === true;
}
