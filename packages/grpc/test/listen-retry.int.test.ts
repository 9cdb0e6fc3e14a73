/**
 * listen() on a port in use, then again once the port is free (a restart on the same host waits for
 * the old process to let go of the port). grpc-js keeps a failed bind's record for that address and
 * answers every later bind of it with the old failure; listen() drops that record after a failure,
 * so a later listen() on the port tries again.
 */
import { once } from 'node:events';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createGrpcServer } from '@switchyard/grpc';
import { expect, it } from 'vitest';
import { EchoService, echoImplementation } from './fixtures/echo.js';

it('listens on a port that was in use at the first try once it is free', async () => {
  const holder = createServer().listen(0, '127.0.0.1');
  await once(holder, 'listening');
  const { port } = holder.address() as AddressInfo;
  const server = createGrpcServer({ services: [{ definition: EchoService, implementation: echoImplementation('a') }] });
  try {
    await expect(server.listen(port, '127.0.0.1')).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      field: 'port',
      cause: { code: 'EADDRINUSE' },
    });
    await new Promise((resolve) => holder.close(resolve));
    // Before the fix: the port was free, yet this failed with the first attempt's EADDRINUSE.
    await expect(server.listen(port, '127.0.0.1')).resolves.toBe(port);
  } finally {
    holder.close();
    await server.shutdown(100);
  }
});
