/**
 * Client options given as `undefined` (an unset config value passed on, which the option types
 * allow) mean their defaults, as absent keys do.
 * Before the fix: the defaults were spread under the options, so `port: undefined` failed every
 * call NO_INSTANCES, `tracing: undefined` turned tracing off, and the integer options were refused.
 */
import { createGrpcClient, createGrpcServer, type GrpcHandlerContext } from '@switchyard/grpc';
import { initTracing } from '@switchyard/tracing';
import { describe, expect, it } from 'vitest';
import { discovered, discoveredEcho, EchoService, type EchoSayClient } from './fixtures/echo.js';
import { cleanupsAfterEach } from './fixtures/cleanups.js';

const cleanups = cleanupsAfterEach();

/** A client of `discovery` with `overrides` (options given as undefined) over the required options. */
function clientWith(discovery: unknown, overrides: object): EchoSayClient {
  return createGrpcClient({
    definition: EchoService,
    discovery,
    ...overrides,
  } as never) as unknown as EchoSayClient;
}

describe('options given as undefined', () => {
  it("port: undefined dials the default 'grpc' port", async () => {
    const { discovery } = await discoveredEcho(cleanups);
    const echo = clientWith(discovery, { port: undefined });
    cleanups.push(() => echo.close());
    expect((await echo.say({ message: 'hello' }, { deadlineMs: 3_000 })).message).toBe('hello');
  });

  it('tracing: undefined traces, as by default', async () => {
    const tracing = initTracing({ serviceName: 'client-options-undefined', exporter: 'memory' });
    cleanups.push(() => tracing.shutdown());
    let traceparent: unknown;
    const server = createGrpcServer({
      tracing: false,
      services: [
        {
          definition: EchoService,
          implementation: {
            say: async (_request: object, context: GrpcHandlerContext) => {
              traceparent = context.metadata.get('traceparent')[0];
              return { message: 'ok', servedBy: 'a' };
            },
          },
        },
      ],
    });
    const { discovery } = await discovered(server, cleanups);
    const traced = createGrpcClient({ definition: EchoService, discovery }) as unknown as EchoSayClient;
    cleanups.push(() => traced.close());
    await traced.say({ message: 'x' });
    expect(traceparent).toEqual(expect.any(String)); // the default: a CLIENT span, its context sent on
    traceparent = undefined;
    const echo = clientWith(discovery, { tracing: undefined });
    cleanups.push(() => echo.close());
    await echo.say({ message: 'x' });
    expect(traceparent).toEqual(expect.any(String));
  });

  it('channelsPerInstance, defaultDeadlineMs and closeChannelsAfterMs: undefined take their defaults', async () => {
    const { discovery } = await discoveredEcho(cleanups);
    const echo = clientWith(discovery, {
      channelsPerInstance: undefined,
      defaultDeadlineMs: undefined,
      closeChannelsAfterMs: undefined,
    }) as EchoSayClient & { openChannels(): number };
    cleanups.push(() => echo.close());
    const reply = (await echo.say({ message: 'hello' })) as { message: string; remainingMs: number };
    expect(reply.message).toBe('hello');
    expect(reply.remainingMs).toBeGreaterThan(9_000); // the default deadline, 10 s
    expect(echo.openChannels()).toBe(2);
  });
});
