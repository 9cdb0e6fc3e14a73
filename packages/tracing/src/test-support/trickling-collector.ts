import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** A collector (or a proxy in front of one) that answers and then never finishes its answer. */
export interface TricklingCollector {
  /** `http://127.0.0.1:<port>`, for `OTEL_EXPORTER_OTLP_ENDPOINT`. */
  readonly endpoint: string;
  /** The requests it has received so far. */
  readonly requests: number;
  /** Resolves once every connection it accepted is closed (the client gave up and destroyed its socket), or `false` after `ms`. */
  allConnectionsClosed(ms: number): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * Starts a collector on 127.0.0.1 (an ephemeral port) that reads each request, sends `200` and its
 * headers at once, then a byte of body every `dripMillis` for ever: a client's idle timeout (the
 * official OTLP transport's `request.setTimeout()`) never fires. With `silent`, it sends nothing at
 * all instead (the case that idle timeout does cover). The first `unavailableFirst` requests are
 * answered `503` with `Retry-After: retryAfterSeconds` (a retryable answer), completely.
 */
export async function startTricklingCollector(
  options: { dripMillis?: number; silent?: boolean; unavailableFirst?: number; retryAfterSeconds?: number } = {},
): Promise<TricklingCollector> {
  const { dripMillis = 200, silent = false, unavailableFirst = 0, retryAfterSeconds = 1 } = options;
  let requests = 0;
  const sockets = new Set<Socket>();
  const server = createServer((request, response) => {
    const number = ++requests;
    request.resume();
    request.on('end', () => {
      if (number <= unavailableFirst) {
        response.writeHead(503, { 'retry-after': String(retryAfterSeconds) }).end();
        return;
      }
      if (silent) return;
      response.writeHead(200, { 'content-type': request.headers['content-type'] ?? 'application/x-protobuf' });
      response.flushHeaders();
      const drip = setInterval(() => response.write(' '), dripMillis);
      response.on('close', () => clearInterval(drip));
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get requests() {
      return requests;
    },
    allConnectionsClosed: async (ms) => {
      const until = Date.now() + ms;
      while (sockets.size > 0 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 20));
      return sockets.size === 0;
    },
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}
