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
