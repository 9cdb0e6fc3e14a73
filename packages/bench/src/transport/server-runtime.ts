import type { ServerReply, ServerRequest } from './protocol.js';

/** A benchmark server started in its own process. */
export interface BenchServer {
  port: number;
  close: () => Promise<void>;
  /**
   * A traced server: exports the spans its batch processor still holds. Called before every CPU
   * reading, so a run's last spans are exported inside that run's server CPU window, as the client
   * workers' are inside theirs, and never during another subject's run.
   */
  flush?: () => Promise<void>;
}

/** The IPC channel to the parent: this process's own, or a stand-in in tests. */
export interface ParentChannel {
  on(event: 'message', listener: (request: ServerRequest) => void): unknown;
  send?(message: ServerReply): unknown;
  disconnect?(): void;
}

/**
 * The server-child side of the transport benchmarks: starts the server, reports `listening` with its
 * port, then answers `cpu` (this process's `process.cpuUsage()`, read before and after each run,
 * once a traced server has exported the spans it held: see BenchServer.flush) and `close`.
 */
export function serveServer(start: () => Promise<BenchServer>, parent: ParentChannel = process): void {
  const reply = (message: ServerReply): void => {
    parent.send?.(message);
  };
  const failed = (error: unknown): void =>
    reply({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  start().then((server) => {
    parent.on('message', (request: ServerRequest) => {
      if (request.type === 'cpu') {
        // Without the flush, the instrumented gRPC server's batch processor sent each run's last
        // spans (up to 511) on its own 5 s timer, in the middle of other subjects' runs.
        const flushed = server.flush ? server.flush() : Promise.resolve();
        flushed.then(() => reply({ type: 'cpu', usage: process.cpuUsage() }), failed);
      } else
        server.close().then(() => {
          reply({ type: 'closed' });
          setImmediate(() => parent.disconnect?.());
        }, failed);
    });
    reply({ type: 'listening', port: server.port });
  }, failed);
}
