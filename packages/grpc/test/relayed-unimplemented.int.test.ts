/**
 * A reply that breaks the unary protocol (an empty OK, two messages) is the server's failure, and
 * the client reports it as INTERNAL (see broken-reply.int.test.ts). A server that replies
 * UNIMPLEMENTED itself, in the same words (a grpc-js service passing on what its own grpc-js client
 * said of a broken downstream), broke nothing: its status reaches the caller as it was sent.
 */
import { createServer as createHttp2Server } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { Server, ServerCredentials, type ServiceError, status as Status } from '@grpc/grpc-js';
import { createGrpcClient } from '@switchyard/grpc';
import { circuitBreaker } from '@switchyard/resilience';
import { describe, expect, it } from 'vitest';
import { cleanupsAfterEach } from './fixtures/cleanups.js';
import { discoveredAt, type EchoSayClient, EchoService, EchoStreamsService } from './fixtures/echo.js';

const cleanups = cleanupsAfterEach();

type Collect = { clientStream: { collect(requests: object[], options?: object): Promise<unknown> } };

/** A grpc-js server whose Say and Collect reply UNIMPLEMENTED with `details`. */
async function relayingServer(details: string): Promise<number> {
  const reply = { code: Status.UNIMPLEMENTED, details } as Partial<ServiceError>;
  const server = new Server();
  server.addService(EchoService, {
    Say: (_call: unknown, callback: (error: Partial<ServiceError>) => void) => callback(reply),
    Count: (call: { end(): void }) => call.end(),
  });
  server.addService(EchoStreamsService, {
    Collect: (call: NodeJS.ReadableStream, callback: (error: Partial<ServiceError>) => void) => {
      call.resume();
      call.on('end', () => callback(reply));
    },
    Chat: (call: { end(): void }) => call.end(),
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  cleanups.push(() => server.forceShutdown());
  return port;
}

/** An HTTP/2 server answering every gRPC call with `messages` empty messages, then status OK. */
async function brokenServer(messages: number): Promise<number> {
  const server = createHttp2Server();
  server.on('stream', (stream) => {
    stream.resume();
    stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
    stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
    stream.end(Buffer.alloc(5 * messages)); // each an empty, uncompressed message: flag 0, length 0
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  return (server.address() as AddressInfo).port;
}

async function clientAt(port: number) {
  const discovery = await discoveredAt(port, cleanups);
  const breaker = circuitBreaker({ minimumCalls: 4, openMs: 60_000 });
  const echo = createGrpcClient({ definition: EchoService, discovery, policy: breaker }) as unknown as EchoSayClient;
  const streams = createGrpcClient({
    definition: EchoStreamsService,
    discovery,
    policy: breaker,
  }) as unknown as Collect;
  cleanups.push(
    () => echo.close(),
    () => (streams as unknown as EchoSayClient).close(),
  );
  return {
    breaker,
    calls: [
      () => echo.say({ message: 'hi' }, { deadlineMs: 2_000 }),
      () => streams.clientStream.collect([{ message: 'hi' }], { deadlineMs: 2_000 }),
    ],
  };
}

describe('a server that replies UNIMPLEMENTED in the words of a broken reply', () => {
  for (const details of ['No message received', 'Too many responses received']) {
    it(`is UNIMPLEMENTED to the caller, and not counted: "${details}"`, async () => {
      const { breaker, calls } = await clientAt(await relayingServer(details));
      for (let round = 0; round < 2; round++) {
        for (const call of calls) {
          await expect(call()).rejects.toMatchObject({
            code: 'UNIMPLEMENTED',
            grpcCode: Status.UNIMPLEMENTED,
            details,
          });
        }
      }
      expect(breaker.state()).toBe('closed');
    });
  }
});

describe('a reply that breaks the unary protocol', () => {
  for (const [messages, details] of [
    [0, 'No message received'],
    [2, 'Too many responses received'],
  ] as const) {
    // The first call of each kind goes out on a channel still connecting (grpc-js's channel call),
    // the next ones on the connected channel (the fast lane, for unary calls).
    it(`is INTERNAL at once, unary and client streaming, and counted: ${messages} messages`, async () => {
      const { breaker, calls } = await clientAt(await brokenServer(messages));
      for (let round = 0; round < 2; round++) {
        for (const call of calls) {
          const started = performance.now();
          await expect(call()).rejects.toMatchObject({ code: 'INTERNAL', grpcCode: Status.INTERNAL, details });
          // A second message left unread on the channel's path kept the status unread too: the
          // call waited out its whole deadline (2 s) and failed DEADLINE_EXCEEDED.
          expect(performance.now() - started).toBeLessThan(1_000);
        }
      }
      expect(breaker.state()).toBe('open');
    });
  }
});
