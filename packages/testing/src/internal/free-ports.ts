import { createServer, type Server } from 'node:net';
import { SwitchyardTestingError } from '../testing-error.js';

/** Redis Cluster listens on `port + 10_000` for its node-to-node bus. */
export const CLUSTER_BUS_OFFSET = 10_000;

/**
 * Finds `count` distinct free ports on 127.0.0.1 by binding port 0. All probes stay bound until every port is
 * chosen, so one call never returns the same port twice. With `withBusPort`, `port + 10_000` must be free too
 * (and below 65536), as Redis Cluster needs.
 */
export async function freePorts(count: number, options: { withBusPort?: boolean } = {}): Promise<number[]> {
  const held: Server[] = [];
  const ports: number[] = [];
  try {
    for (let attempt = 0; ports.length < count; attempt++) {
      if (attempt >= count * 50) {
        throw new SwitchyardTestingError('NOT_AVAILABLE', `could not find ${count} free loopback port(s)`);
      }
      const probe = await listen(0);
      const port = (probe.address() as { port: number }).port;
      if (!options.withBusPort) {
        held.push(probe);
        ports.push(port);
        continue;
      }
      const busPort = port + CLUSTER_BUS_OFFSET;
      const bus = busPort < 65_536 ? await listen(busPort).catch(() => undefined) : undefined;
      if (bus) {
        held.push(probe, bus);
        ports.push(port);
      } else {
        await close(probe);
      }
    }
    return ports;
  } finally {
    await Promise.all(held.map(close));
  }
}

function listen(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    // Whatever connects to a probe port while it is held (a client still reconnecting to a port a
    // killed server freed, a cluster bus peer) is dropped at once: close() waits for accepted
    // connections, and one left open kept freePorts from ever resolving.
    const server = createServer((socket) => socket.destroy());
    server.unref();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => resolve(server));
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
