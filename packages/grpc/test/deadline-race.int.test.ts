/**
 * How a call "cut short" is told: by whether grpc-js ended it (its deadline timer answered, or the
 * client went away), not by the clock. A handler that finishes after the deadline instant but
 * before grpc-js's deadline timer ran (a busy or lagging event loop: the timer fires late) has its
 * answer delivered: an OK reply is recorded OK on the SERVER span, and a handler's own status
 * (NOT_FOUND) is the one the client gets.
 */
import { SpanKind } from '@opentelemetry/api';
import { createGrpcServer, grpcError } from '@switchyard/grpc';
import { initTracing } from '@switchyard/tracing';
import { expect, it } from 'vitest';
import { EchoService } from './fixtures/echo.js';
import { cleanupsAfterEach } from './fixtures/cleanups.js';
import { sayWithServerTimeout } from './fixtures/raw-say.js';

const cleanups = cleanupsAfterEach();

/** Keeps the event loop busy for `ms` (work that runs past the deadline before grpc-js's timer can fire). */
function busy(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // spin
  }
}

/** Calls Say with `grpc-timeout: 50m` and no client-side timer; returns the status the client got. */
const sayWithTimeout = (port: number, message: string) =>
  sayWithServerTimeout(port, message, 50, (cleanup) => cleanups.push(cleanup));

async function serveBusy(): Promise<number> {
  const server = createGrpcServer({
    services: [
      {
        definition: EchoService,
        implementation: {
          say: async ({ message }: { message: string }) => {
            busy(150);
            if (message === 'missing') throw grpcError(5, 'no such thing');
            return { message: 'done' };
          },
        },
      },
    ],
  });
  const port = await server.listen(0, '127.0.0.1');
  cleanups.push(() => server.shutdown(100));
  return port;
}

it('ends the SERVER span OK for a reply the client received as OK, though it came past the deadline instant', async () => {
  const port = await serveBusy();
  const tracing = initTracing({ serviceName: 'deadline-race', exporter: 'memory' });
  cleanups.push(() => tracing.shutdown());
  // The reply went out: the client got OK (grpc-status 0 in the trailers).
  expect(await sayWithTimeout(port, 'hello')).toMatchObject({ status: '0' });
  const serverSpans = () => tracing.getFinishedSpans().filter((span) => span.kind === SpanKind.SERVER);
  await expect.poll(() => serverSpans().length, { timeout: 2_000 }).toBe(1);
  // Before the fix: recorded as DEADLINE_EXCEEDED (4).
  expect(serverSpans()[0]?.attributes['rpc.grpc.status_code']).toBe(0);
});

it("sends the handler's own status when grpc-js had not ended the call yet, though past the deadline instant", async () => {
  const port = await serveBusy();
  // Before the fix: { status: '4', details: 'call ended before the handler' }, though the call had not ended.
  expect(await sayWithTimeout(port, 'missing')).toEqual({ status: '5', details: 'no%20such%20thing' });
});
