/** What a handler's signal says about how its call ended. */
import { setTimeout as sleep } from 'node:timers/promises';
import * as grpc from '@grpc/grpc-js';
import { createGrpcServer, type GrpcHandlerContext } from '@switchyard/grpc';
import { afterEach, describe, expect, it } from 'vitest';
import { EchoService } from './fixtures/echo.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A server whose Say hands its context to `seen`, then waits `holdMs` before answering. */
function serve(holdMs: number, seen: (context: GrpcHandlerContext) => void) {
  return serveSay(async (request: { message: string }, context: GrpcHandlerContext) => {
    seen(context);
    await new Promise((resolve) => setTimeout(resolve, holdMs));
    return { message: request.message, servedBy: 'x' };
  });
}

/** A server with `say` as its Say, and a plain grpc-js call to it with a deadline `deadlineMs` away. */
async function serveSay(
  say: (request: { message: string }, context: GrpcHandlerContext) => Promise<object>,
  options: Omit<Parameters<typeof createGrpcServer>[0], 'services'> = {},
) {
  const server = createGrpcServer({ services: [{ definition: EchoService, implementation: { say } }], ...options });
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

  it('ends the span of a handler that failed because its signal aborted with the status the client saw', async () => {
    const { initTracing } = await import('@switchyard/tracing');
    const { SpanKind } = await import('@opentelemetry/api');
    const tracing = initTracing({ serviceName: 'signal-test', exporter: 'memory' });
    cleanups.push(() => tracing.shutdown());
    const errors: string[] = [];
    const noop = (): void => undefined;
    const say = await serveSay(
      // Work that honours its signal: it rejects (an AbortError) when the deadline passes.
      async (_request, context) => {
        await sleep(5_000, undefined, { signal: context.signal });
        return { message: 'late', servedBy: 'x' };
      },
      {
        logger: {
          debug: noop,
          info: noop,
          warn: noop,
          error: (_fields: unknown, message?: string) => void errors.push(String(message)),
        },
      },
    );
    const error = await say(100);
    expect(error?.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    const serverSpan = () => tracing.getFinishedSpans().find((span) => span.kind === SpanKind.SERVER);
    await expect.poll(serverSpan).toBeDefined();
    // It ended INTERNAL, with an error log line for every such call.
    expect(serverSpan()?.attributes['rpc.grpc.status_code']).toBe(grpc.status.DEADLINE_EXCEEDED);
    expect(errors).toEqual([]);
  });
});
