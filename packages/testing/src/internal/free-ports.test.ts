import { connect, type Socket } from 'node:net';
import { afterEach, expect, it, vi } from 'vitest';

const clients: Socket[] = [];
afterEach(() => {
  for (const client of clients.splice(0)) client.destroy();
});

// Something connects to every probe port as soon as it listens (a client still reconnecting to a
// port a killed server freed), and keeps the connection open.
vi.mock('node:net', async (importOriginal) => {
  const net = await importOriginal<typeof import('node:net')>();
  return {
    ...net,
    createServer: (...args: Parameters<typeof net.createServer>) => {
      const server = net.createServer(...args);
      const listen = server.listen.bind(server) as (...listenArgs: unknown[]) => typeof server;
      // Reports listening only once a client has connected and been accepted.
      server.listen = ((options: unknown, onListening: () => void) =>
        listen(options, () => {
          server.once('connection', () => setImmediate(onListening));
          const { port } = server.address() as { port: number };
          const client = connect(port, '127.0.0.1');
          client.on('error', () => {});
          clients.push(client);
        })) as typeof server.listen;
      return server;
    },
  };
});

it('returns even when something holds a connection to a probe port', async () => {
  const { freePorts } = await import('./free-ports.js');
  const outcome = await Promise.race([
    freePorts(2, { withBusPort: true }).then((ports) => ports.length),
    new Promise((resolve) => setTimeout(() => resolve('hung'), 2_000)),
  ]);
  expect(outcome).toBe(2);
});
