/**
 * Server child of `pnpm bench:http`: a plain `node:http` JSON echo server (no Switchyard code) on
 * 127.0.0.1, an ephemeral port. `POST /echo` with `{ message }` answers `{ message, servedBy }`. Every
 * subject calls this one process, so only the client differs.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serveServer } from '../transport/server-runtime.js';
import { ECHO_PATH, type EchoReply } from './echo.js';

const SERVED_BY = `bench-http-server-${process.pid}`;

serveServer(async () => {
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (request.method !== 'POST' || request.url !== ECHO_PATH) {
        response.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
        return;
      }
      let message: string;
      try {
        message = String((JSON.parse(Buffer.concat(chunks).toString('utf8')) as { message?: unknown }).message);
      } catch {
        response.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"bad json"}');
        return;
      }
      const reply: EchoReply = { message, servedBy: SERVED_BY };
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(reply));
    });
  });
  // Idle connections survive while the other subjects run (undici follows the Keep-Alive hint).
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeIdleConnections();
        server.close(() => resolve());
      }),
  };
});
