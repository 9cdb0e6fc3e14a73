import type { ServerResponse } from 'node:http';

/**
 * The HTTP server's responses not closed yet: stop() waits for them (their spans end as their
 * sockets close), and once the server is closing they tell the client not to reuse the connection.
 *
 * Why: a response sent while the server closes said `Connection: keep-alive`, and the server then
 * closed the connection as soon as it was idle. A client that sent its next call on it meanwhile (a
 * proxy or an undici pool reuses a connection at once) got a reset: a 502, or a failed POST that is
 * not safe to retry. With `Connection: close` the client opens a new connection (to another
 * instance) instead, and Node closes this one right after the response.
 */
export class OpenResponses {
  private readonly open = new Set<ServerResponse>();
  private closing = false;

  /** How many responses are still open. */
  get size(): number {
    return this.open.size;
  }

  /** Follows `response` until it closes. */
  add(response: ServerResponse): void {
    this.open.add(response);
    response.once('close', () => this.open.delete(response));
    if (this.closing) closeAfter(response);
  }

  /** From now on, every response whose headers are not sent yet ends its connection. */
  closeConnectionsAfterResponses(): void {
    this.closing = true;
    for (const response of this.open) closeAfter(response);
  }
}

/** Headers already sent (a streamed response) cannot change: such a connection is closed when idle. */
function closeAfter(response: ServerResponse): void {
  if (!response.headersSent) response.setHeader('connection', 'close');
}
