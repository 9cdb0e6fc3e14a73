import { createConnection, createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/** A TCP proxy on a free loopback port (see {@link startTcpProxy}). */
export interface TcpProxy {
  /** The proxy's port on 127.0.0.1: give clients this instead of the target's. */
  readonly port: number;
  /**
   * Points new connections at another target, as a DNS name moved to a new server would;
   * connections already open stay where they are.
   */
  moveTo(port: number, host?: string): void;
  /** Drops every connection and refuses new ones (closed as they open): the target unreachable. */
  cut(): void;
  /** Accepts connections again after {@link TcpProxy.cut}. */
  heal(): void;
  /** Drops every connection and stops listening. */
  close(): Promise<void>;
}

/**
 * Starts a TCP proxy on 127.0.0.1 (a free port) in front of `target` (host defaults to 127.0.0.1),
 * for tests of what a client does when its server's address moves (a failover behind a DNS name)
 * or its connections break while the server itself keeps running and keeps its data.
 *
 * @example
 * ```ts
 * const proxy = await startTcpProxy({ port: redis.port });
 * const registry = createRegistry(`redis://127.0.0.1:${proxy.port}`);
 * proxy.cut(); // … the registry sees Redis go away; Redis keeps its data
 * proxy.heal();
 * await proxy.close();
 * ```
 */
export async function startTcpProxy(target: { port: number; host?: string }): Promise<TcpProxy> {
  let to = { host: target.host ?? '127.0.0.1', port: target.port };
  let refusing = false;
  const sockets = new Set<Socket>();
  const dropAll = (): void => {
    for (const socket of sockets) socket.destroy();
  };
  const server = createServer((client) => {
    if (refusing) {
      client.destroy();
      return;
    }
    const upstream = createConnection(to.port, to.host);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      // A reset either side ends both; the test sees it through its own client.
      socket.on('error', () => {});
      socket.on('close', () => {
        sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    moveTo: (port, host = '127.0.0.1') => {
      to = { host, port };
    },
    cut: () => {
      refusing = true;
      dropAll();
    },
    heal: () => {
      refusing = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        dropAll();
        server.close(() => resolve());
      }),
  };
}
