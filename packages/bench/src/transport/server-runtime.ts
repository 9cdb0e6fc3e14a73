import type { ServerReply, ServerRequest } from './protocol.js';

/** A benchmark server started in its own process. */
export interface BenchServer {
  port: number;
  close: () => Promise<void>;
}

/**
 * The server-child side of the transport benchmarks: starts the server, reports `listening` with its
 * port, then answers `cpu` (this process's `process.cpuUsage()`, read before and after each run) and
 * `close`.
 */
export function serveServer(start: () => Promise<BenchServer>): void {
  const reply = (message: ServerReply): void => {
    process.send?.(message);
  };
  const failed = (error: unknown): void =>
    reply({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  start().then((server) => {
    process.on('message', (request: ServerRequest) => {
      if (request.type === 'cpu') reply({ type: 'cpu', usage: process.cpuUsage() });
      else
        server.close().then(() => {
          reply({ type: 'closed' });
          setImmediate(() => process.disconnect());
        }, failed);
    });
    reply({ type: 'listening', port: server.port });
  }, failed);
}
