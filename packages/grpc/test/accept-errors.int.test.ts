/**
 * A gRPC server whose accept() fails (out of file descriptors under a burst of connections) logs
 * it and goes on serving: grpc-js listens for no 'error' on its HTTP/2 servers once bound, so the
 * emit ended the process, every call in flight with it.
 */
import http2 from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import { createGrpcServer } from '@switchyard/grpc';
import { afterEach, expect, it } from 'vitest';
import { EchoService, echoImplementation } from './fixtures/echo.js';
import { recordingLogger } from './fixtures/recording-logger.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

it('logs an accept() that failed with EMFILE, once for a storm, and goes on serving', async () => {
  const { logger, logged } = recordingLogger();
  // The HTTP/2 server grpc-js listens with, which its API does not expose.
  const created: http2.Http2Server[] = [];
  const createServer = http2.createServer;
  http2.createServer = ((...args: Parameters<typeof createServer>) => {
    const made = createServer(...args);
    created.push(made);
    return made;
  }) as typeof createServer;
  const server = createGrpcServer({
    services: [{ definition: EchoService, implementation: echoImplementation('a') }],
    logger,
  });
  let port: number;
  try {
    port = await server.listen(0, '127.0.0.1');
  } finally {
    http2.createServer = createServer;
  }
  cleanups.push(() => server.shutdown(0));
  expect(created).toHaveLength(1);
  // What Node emits when accept() fails with EMFILE.
  const emfile = Object.assign(new Error('accept EMFILE'), { code: 'EMFILE', syscall: 'accept' });
  for (let i = 0; i < 3; i++) expect(() => created[0]?.emit('error', emfile)).not.toThrow();
  expect(logged).toEqual(['switchyard grpc: the gRPC server: could not accept a connection (EMFILE); still serving']);

  const Echo = grpc.makeGenericClientConstructor(EchoService, 'Echo');
  const client = new Echo(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as grpc.Client & {
    Say(
      request: object,
      options: grpc.CallOptions,
      callback: (error: grpc.ServiceError | null, reply?: { servedBy: string }) => void,
    ): void;
  };
  cleanups.push(() => client.close());
  const reply = await new Promise<{ servedBy: string } | undefined>((resolve, reject) =>
    client.Say({ message: 'hi' }, { deadline: Date.now() + 5_000 }, (error, answer) =>
      error ? reject(error) : resolve(answer),
    ),
  );
  expect(reply?.servedBy).toBe('a');
});
