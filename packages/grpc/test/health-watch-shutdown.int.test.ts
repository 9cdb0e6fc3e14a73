/** A health Watch whose request reaches the server after a graceful shutdown began. */
import { connect } from 'node:http2';
import { createGrpcServer } from '@switchyard/grpc';
import { expect, it } from 'vitest';
import { EchoService, echoImplementation } from './fixtures/echo.js';

it('is answered and ended, so the shutdown does not wait out its grace for it', async () => {
  const server = createGrpcServer({ services: [{ definition: EchoService, implementation: echoImplementation('a') }] });
  const port = await server.listen(0, '127.0.0.1');
  const session = connect(`http://127.0.0.1:${port}`);
  try {
    // The stream's HEADERS now; its (empty) request message only once the shutdown has begun.
    const stream = session.request(
      {
        ':method': 'POST',
        ':path': '/grpc.health.v1.Health/Watch',
        'content-type': 'application/grpc',
        te: 'trailers',
      },
      { endStream: false },
    );
    const trailers = new Promise<string | undefined>((resolve) => {
      stream.on('trailers', (headers) => resolve(headers['grpc-status'] as string | undefined));
      stream.on('close', () => resolve(undefined));
    });
    stream.resume();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = Date.now();
    const stopped = server.shutdown(3_000);
    stream.end(Buffer.from([0, 0, 0, 0, 0]));
    await stopped;
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(await trailers).toBe('0');
  } finally {
    session.destroy();
  }
});
