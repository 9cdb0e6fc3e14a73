/**
 * shutdown() resolves once every handler has returned, those whose calls were cancelled included,
 * so that what its caller closes next (a database pool, the service's clients) is no longer in use.
 */
import * as grpc from '@grpc/grpc-js';
import { createGrpcServer, type GrpcHandlerContext, HANDLER_UNWIND_MS } from '@switchyard/grpc';
import { afterEach, expect, it } from 'vitest';
import { EchoService } from './fixtures/echo.js';
import { recordingLogger } from './fixtures/recording-logger.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

type SayClient = grpc.Client & {
  Say(
    request: object,
    options: grpc.CallOptions,
    callback: (error: grpc.ServiceError | null) => void,
  ): grpc.ClientUnaryCall;
};

/** A listening server whose Say is `say`, a plain grpc-js client to it, and the server's logger lines. */
async function serve(say: (request: { message: string }, context: GrpcHandlerContext) => Promise<object>) {
  const { logger, logged } = recordingLogger();
  const server = createGrpcServer({ services: [{ definition: EchoService, implementation: { say } }], logger });
  const port = await server.listen(0, '127.0.0.1');
  cleanups.push(() => server.shutdown(0));
  const Echo = grpc.makeGenericClientConstructor(EchoService, 'Echo');
  const client = new Echo(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as SayClient;
  cleanups.push(() => client.close());
  return { server, client, logged };
}

/** Resolves once `started()` is true (polled, bounded). */
async function until(started: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !started(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(started()).toBe(true);
}

/** Resolves after `signal` aborts. */
function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

it('waits for a handler cancelled at the end of the grace to finish its clean-up', async () => {
  let running = false;
  let cleanedUp = false;
  const { server, client } = await serve(async (_request, context) => {
    running = true;
    await aborted(context.signal);
    // Clean-up after the cancellation: a rollback, closing what the handler opened.
    await new Promise((resolve) => setTimeout(resolve, 150));
    cleanedUp = true;
    throw context.signal.reason;
  });
  const answer = new Promise<grpc.ServiceError | null>((resolve) =>
    client.Say({ message: 'hi' }, { deadline: Date.now() + 10_000 }, (error) => resolve(error)),
  );
  await until(() => running);
  await server.shutdown(50);
  // It used to resolve as forceShutdown() cancelled the call, before the handler's clean-up ran.
  expect(cleanedUp).toBe(true);
  expect(server.inFlight).toBe(0);
  // Answered UNAVAILABLE at the end of the grace (shutdown-unavailable.int.test.ts), not reset.
  expect((await answer)?.code).toBe(grpc.status.UNAVAILABLE);
});

it('waits, within the grace, for a handler whose caller cancelled', async () => {
  let running = false;
  let returned = false;
  const { server, client } = await serve(async (request, context) => {
    running = true;
    await aborted(context.signal);
    await new Promise((resolve) => setTimeout(resolve, 200));
    returned = true;
    return { message: request.message, servedBy: 'x' };
  });
  const call = client.Say({ message: 'hi' }, { deadline: Date.now() + 10_000 }, () => {});
  await until(() => running);
  call.cancel();
  // grpc-js has nothing left to wait for once the cancelled stream is gone; the handler still runs.
  await server.shutdown(5_000);
  expect(returned).toBe(true);
});

it('goes on, saying so, after a cancelled handler that ignores its signal has had its time', async () => {
  let running = false;
  let release!: () => void;
  const { server, client, logged } = await serve(async (request) => {
    running = true;
    await new Promise<void>((resolve) => {
      release = resolve;
    });
    return { message: request.message, servedBy: 'x' };
  });
  cleanups.push(() => release());
  client.Say({ message: 'hi' }, { deadline: Date.now() + 10_000 }, () => {});
  await until(() => running);
  const started = performance.now();
  await server.shutdown(50);
  const tookMs = performance.now() - started;
  expect(tookMs).toBeGreaterThanOrEqual(50 + HANDLER_UNWIND_MS - 20);
  expect(tookMs).toBeLessThan(50 + HANDLER_UNWIND_MS + 2_000);
  expect(server.inFlight).toBe(1);
  expect(logged).toContainEqual(expect.stringMatching(/handlers still running after their calls were cancelled/));
});
