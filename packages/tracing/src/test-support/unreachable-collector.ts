import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { Worker } from 'node:worker_threads';

/** A collector address that never completes a TCP connection (a blackholed host). */
export interface UnreachableCollector {
  /** `http://127.0.0.1:<port>`, for `OTEL_EXPORTER_OTLP_ENDPOINT`. */
  readonly endpoint: string;
  close(): Promise<void>;
}

/**
 * A collector whose connections never complete, as when its host is gone and a firewall drops the
 * packets (no RST, no answer): a port on 127.0.0.1 listened to by a thread that then blocks, so
 * nothing is ever accepted, with a backlog of 1 filled at once. The kernel then drops every further
 * SYN, and a client's `connect()` waits through its SYN retries (about two minutes on Linux).
 *
 * Why not a server that accepts and never answers: Node's `request.setTimeout()` (what the official
 * OTLP transport uses for `OTEL_EXPORTER_OTLP_TIMEOUT`) starts only once the socket is connected.
 */
export async function startUnreachableCollector(): Promise<UnreachableCollector> {
  const blocker = new SharedArrayBuffer(4);
  const listener = new Worker(
    `const { createServer } = require('node:net');
     const { parentPort, workerData } = require('node:worker_threads');
     const server = createServer().listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => {
       parentPort.postMessage(server.address().port);
       // Blocked until close(): the port stays open, and nothing accepts.
       setImmediate(() => Atomics.wait(new Int32Array(workerData), 0, 0));
     });`,
    { eval: true, workerData: blocker },
  );
  const [port] = (await once(listener, 'message')) as [number];
  // Fill the accept queue (backlog + 1 connections complete their handshake); later SYNs are dropped.
  const fillers: Socket[] = [];
  for (let i = 0; i < 2; i++) {
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => {});
    fillers.push(socket);
    await once(socket, 'connect');
  }
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: async () => {
      for (const socket of fillers) socket.destroy();
      Atomics.store(new Int32Array(blocker), 0, 1);
      Atomics.notify(new Int32Array(blocker), 0);
      await listener.terminate();
    },
  };
}
