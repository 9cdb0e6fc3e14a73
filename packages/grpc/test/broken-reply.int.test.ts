/**
 * A server that breaks the unary protocol (ends the call OK with no response message): its
 * replies are the server's failure (INTERNAL, counted by the breaker), not a method it lacks.
 */
import { createServer as createHttp2Server } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { createDiscovery } from '@switchyard/discovery';
import { createGrpcClient } from '@switchyard/grpc';
import { MemoryRegistry } from '@switchyard/registry';
import { circuitBreaker } from '@switchyard/resilience';
import { expect, it } from 'vitest';
import { cleanupsAfterEach } from './fixtures/cleanups.js';
import { EchoService } from './fixtures/echo.js';

const cleanups = cleanupsAfterEach();

type Echo = { say(request: object, options?: object): Promise<unknown>; close(): Promise<void> };

/** An HTTP/2 server that answers every gRPC call with status OK and no message. */
async function emptyOkServer(): Promise<number> {
  const server = createHttp2Server();
  server.on('stream', (stream) => {
    stream.resume();
    // Trailers-only: the status in the headers, and the stream ended with no message.
    stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '0' }, { endStream: true });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  return (server.address() as AddressInfo).port;
}

it('reports an empty OK reply as INTERNAL, and the breaker counts it', async () => {
  const port = await emptyOkServer();
  const registry = new MemoryRegistry();
  cleanups.push(() => registry.close());
  await registry.register({ id: 'broken', service: 'echo', host: '127.0.0.1', ports: { grpc: port } });
  const discovery = createDiscovery({ registry, service: 'echo', outlierDetection: false });
  cleanups.push(() => discovery.close());
  const breaker = circuitBreaker({ minimumCalls: 5, openMs: 60_000 });
  const echo = createGrpcClient({ definition: EchoService, discovery, policy: breaker }) as unknown as Echo;
  cleanups.push(() => echo.close());
  for (let call = 0; call < 5; call++) {
    await expect(echo.say({ message: 'hi' }, { deadlineMs: 2_000 })).rejects.toMatchObject({
      code: 'INTERNAL', // was UNIMPLEMENTED, a method the service lacks
      details: 'No message received',
    });
  }
  expect(breaker.state()).toBe('open'); // was closed: nothing counted, all traffic kept going there
});
