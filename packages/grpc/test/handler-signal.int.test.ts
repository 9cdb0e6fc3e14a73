/** What a handler's signal says about how its call ended. */
import * as grpc from '@grpc/grpc-js';
import { createGrpcServer, type GrpcHandlerContext } from '@switchyard/grpc';
import { afterEach, describe, expect, it } from 'vitest';
import { EchoService } from './fixtures/echo.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A server whose Say hands its context to `seen`, then waits `holdMs` before answering. */
async function serve(holdMs: number, seen: (context: GrpcHandlerContext) => void) {
  const server = createGrpcServer({
    services: [
      {
        definition: EchoService,
        implementation: {
          say: async (request: { message: string }, context: GrpcHandlerContext) => {
            seen(context);
            await new Promise((resolve) => setTimeout(resolve, holdMs));
            return { message: request.message, servedBy: 'x' };
          },
        },
      },
    ],
  });
  const port = await server.listen(0, '127.0.0.1');
  cleanups.push(() => server.shutdown(100));
  const Echo = grpc.makeGenericClientConstructor(EchoService, 'Echo');
  const client = new Echo(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as grpc.Client & {
    Say(request: object, options: grpc.CallOptions, callback: (error: grpc.ServiceError | null) => void): void;
  };
  cleanups.push(() => client.close());
  return (deadlineMs: number) =>
    new Promise<grpc.ServiceError | null>((resolve) =>
      client.Say({ message: 'hi' }, { deadline: Date.now() + deadlineMs }, (error) => resolve(error)),
    );
}

describe("a gRPC handler's signal", () => {
  it('aborts with DEADLINE_EXCEEDED when the deadline passes, not as a cancellation', async () => {
    let context: GrpcHandlerContext | undefined;
    const say = await serve(600, (seen) => {
      context = seen;
    });
    expect((await say(150))?.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    await expect.poll(() => context?.signal.aborted).toBe(true);
    expect(context?.signal.reason).toMatchObject({ code: 'DEADLINE_EXCEEDED' });
  });

  it('stays unaborted after a call that finished normally', async () => {
    let context: GrpcHandlerContext | undefined;
    const say = await serve(0, (seen) => {
      context = seen;
    });
    expect(await say(5_000)).toBeNull();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(context?.signal.aborted).toBe(false);
  });
});
