import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the collector received. */
export interface CollectedRequest {
  method: string | undefined;
  url: string | undefined;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** A local OTLP/HTTP collector for this package's tests. */
export interface LocalCollector {
  /** `http://127.0.0.1:<port>`, for `OTEL_EXPORTER_OTLP_ENDPOINT`. */
  readonly endpoint: string;
  /** Every request so far, in arrival order (clear it with `received.length = 0`). */
  readonly received: CollectedRequest[];
  close(): Promise<void>;
}

/**
 * Starts a tiny collector on 127.0.0.1 (an ephemeral port): it records every request, whatever its
 * path, and answers 200 with an empty response message (`{}` for JSON, nothing for protobuf).
 */
export async function startLocalCollector(): Promise<LocalCollector> {
  const received: CollectedRequest[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({
        method: request.method,
        url: request.url,
        headers: request.headers,
        body: Buffer.concat(chunks),
      });
      const json = request.headers['content-type'] === 'application/json';
      response.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' });
      response.end(json ? '{}' : undefined);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    close: async () => {
      server.close();
      await once(server, 'close');
    },
  };
}
