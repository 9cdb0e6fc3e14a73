import { createServer, type Server } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { SwitchyardTestingError } from '../testing-error.js';
import { formCluster } from './form-cluster.js';

let server: Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

it('reports a node that refuses a CLUSTER command as START_FAILED, naming Redis 7 for ADDSLOTSRANGE', async () => {
  // A Redis 6 lookalike: +OK to everything but the subcommand it does not have.
  server = createServer((socket) => {
    socket.on('data', (data) => {
      const request = data.toString();
      socket.write(request.includes('ADDSLOTSRANGE') ? "-ERR unknown subcommand 'ADDSLOTSRANGE'\r\n" : '+OK\r\n');
    });
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const error = await formCluster({ masterPorts: [port], replicaPorts: [], timeoutMs: 1_000 }).catch(
    (caught: unknown) => caught,
  );
  expect(SwitchyardTestingError.isInstance(error)).toBe(true);
  expect(error).toMatchObject({ code: 'START_FAILED', message: expect.stringContaining('Redis 7 or newer') });
});
