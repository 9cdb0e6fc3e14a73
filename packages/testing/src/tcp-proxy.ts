import { createConnection, createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { requireInteger, requireKnownOptions } from './internal/validate.js';
import { SwitchyardTestingError } from './testing-error.js';

/** A TCP proxy on a free loopback port (see {@link startTcpProxy}). */
export interface TcpProxy {
  /** The proxy's port on 127.0.0.1: give clients this instead of the target's. */
  readonly port: number;
  /**
   * Points new connections at another target, as a DNS name moved to a new server would;
   * connections already open stay where they are. Throws `INVALID_ARGUMENT` for a port that is not
   * an integer from 1 to 65535 or an empty host (the target is then left as it was).
   */
  moveTo(port: number, host?: string): void;
  /** Drops every connection and refuses new ones (closed as they open): the target unreachable. */
  cut(): void;
  /** Accepts connections again after {@link TcpProxy.cut}. */
  heal(): void;
  /**
   * Resets every open connection (RST: its client reads `ECONNRESET`, as when a server's host
   * dies mid-call) and keeps accepting new ones. `cut()` then `heal()` closes them cleanly instead.
   */
  reset(): void;
  /** Drops every connection and stops listening. */
  close(): Promise<void>;
}

/**
 * Starts a TCP proxy on 127.0.0.1 (a free port) in front of `target` (host defaults to 127.0.0.1),
 * for tests of what a client does when its server's address moves (a failover behind a DNS name)
 * or its connections break while the server itself keeps running and keeps its data. A `port` that is
 * not an integer from 1 to 65535, or an empty `host`, is refused (`INVALID_ARGUMENT`).
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
  requireKnownOptions('startTcpProxy', target, ['port', 'host']);
  let to = checkedTarget(target?.port, target?.host ?? '127.0.0.1');
  let refusing = false;
  const sockets = new Set<Socket>();
  /** The connections clients opened to the proxy (the other half of `sockets` goes to the target). */
  const clients = new Set<Socket>();
  const dropAll = (): void => {
    for (const socket of sockets) socket.destroy();
  };
  const server = createServer((client) => {
    if (refusing) {
      client.destroy();
      return;
    }
    let upstream: Socket;
    try {
      upstream = createConnection(to.port, to.host);
    } catch {
      // The target is validated, so this is not expected; but a throw here would be an uncaught
      // exception in the test process, so it drops this one connection instead.
      client.destroy();
      return;
    }
    clients.add(client);
    client.on('close', () => clients.delete(client));
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
      to = checkedTarget(port, host);
    },
    cut: () => {
      refusing = true;
      dropAll();
    },
    heal: () => {
      refusing = false;
    },
    // The client's half only: its close ends the target's half cleanly (the target process is fine).
    reset: () => {
      for (const client of clients) client.resetAndDestroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        dropAll();
        server.close(() => resolve());
      }),
  };
}

/**
 * The target, checked when it is given: an out-of-range port used to be accepted, and the first
 * connection then threw a RangeError out of the proxy's connection handler, crashing the test process.
 */
function checkedTarget(port: number, host: string): { host: string; port: number } {
  requireInteger('port', port, 1, 65_535);
  if (typeof host !== 'string' || host === '') {
    throw new SwitchyardTestingError(
      'INVALID_ARGUMENT',
      `host must be a non-empty string (got ${JSON.stringify(host)})`,
    );
  }
  return { host, port };
}
