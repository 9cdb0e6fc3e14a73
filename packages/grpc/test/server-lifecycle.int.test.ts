/** A server's lifecycle: shutdown() while listen() is still binding, and listen() after shutdown(). */
import { connect } from 'node:net';
import { createGrpcServer } from '@switchyard/grpc';
import { expect, it } from 'vitest';
import { EchoService, echoImplementation } from './fixtures/echo.js';

/** Whether something accepts connections on `port` (loopback). */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

it('shutdown() while listen() is still binding leaves no port open', async () => {
  const server = createGrpcServer({ services: [{ definition: EchoService, implementation: echoImplementation('a') }] });
  // A stop during startup (SIGTERM while the service starts): the bind completes after shutdown began.
  const listening = server.listen(0, '127.0.0.1');
  const stopped = server.shutdown(100);
  const port = await listening.catch(() => undefined);
  await stopped;
  // The port used to stay bound and accepting after shutdown() resolved (and kept the process alive).
  if (port !== undefined) expect(await accepts(port)).toBe(false);
  // Listening again after a shutdown is refused, saying why.
  await expect(server.listen(0, '127.0.0.1')).rejects.toThrow(/shut down/);
});
