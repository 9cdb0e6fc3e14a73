/**
 * A handler's downstream calls stop when the call it serves is cancelled: the call scope carries
 * the handler's signal, and the clients link the calls made under it, as they take its deadline.
 * They ran on, unread, until their own deadline.
 */
import * as grpc from '@grpc/grpc-js';
import { createGrpcClient, createGrpcServer, type GrpcHandlerContext } from '@switchyard/grpc';
import { afterEach, expect, it } from 'vitest';
import { discovered, EchoService } from './fixtures/echo.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

type Say = { say(request: { message: string }, options?: object): Promise<{ message: string }> };

it("cancels a handler's downstream call when its own caller cancels", async () => {
  // The downstream: holds each call until it is cancelled, or 5 s.
  let downstream: 'waiting' | 'cancelled' | 'ran on' | undefined;
  const back = createGrpcServer({
    services: [
      {
        definition: EchoService,
        implementation: {
          async say(request: { message: string }, context: GrpcHandlerContext) {
            downstream = 'waiting';
            const ended = await new Promise<string>((resolve) => {
              const timer = setTimeout(() => resolve('ran on'), 5_000);
              context.signal.addEventListener('abort', () => {
                clearTimeout(timer);
                resolve('cancelled');
              });
            });
            downstream = ended as typeof downstream;
            return { message: request.message, servedBy: 'back' };
          },
        },
      },
    ],
  });
  const { discovery } = await discovered(back, cleanups);
  const backClient = createGrpcClient({ definition: EchoService, discovery }) as unknown as Say & grpc.Client;
  cleanups.push(() => (backClient as unknown as { close(): Promise<void> }).close());
  // The front: calls the downstream with no signal of its own, under the call scope.
  const front = createGrpcServer({
    services: [
      { definition: EchoService, implementation: { say: (request: { message: string }) => backClient.say(request) } },
    ],
  });
  const port = await front.listen(0, '127.0.0.1');
  cleanups.push(() => front.shutdown(0));
  const Echo = grpc.makeGenericClientConstructor(EchoService, 'Echo');
  const caller = new Echo(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as grpc.Client & {
    Say(
      request: object,
      options: grpc.CallOptions,
      callback: (error: grpc.ServiceError | null) => void,
    ): grpc.ClientUnaryCall;
  };
  cleanups.push(() => caller.close());

  const call = caller.Say({ message: 'hi' }, { deadline: Date.now() + 10_000 }, () => {});
  await expect.poll(() => downstream, { timeout: 3_000 }).toBe('waiting');
  call.cancel();
  await expect.poll(() => downstream, { timeout: 2_000 }).toBe('cancelled');
});
