/**
 * A method timeout set in the `grpc.service_config` channel option cuts every call, whichever path
 * it takes: such a channel's calls go through grpc-js's ResolvingCall, which applies the timeout.
 * Before the fix: only the first call (the channel connecting, grpc-js's own path) was cut; the
 * later ones, in the fast lane below the ResolvingCall, ran past the configured timeout.
 */
import { createGrpcClient } from '@switchyard/grpc';
import { describe, expect, it } from 'vitest';
import { discoveredEcho, EchoService, type EchoSayClient } from './fixtures/echo.js';
import { cleanupsAfterEach } from './fixtures/cleanups.js';

const cleanups = cleanupsAfterEach();

async function settle<T>(promise: Promise<T>) {
  const started = Date.now();
  try {
    return { value: await promise, ms: Date.now() - started };
  } catch (error) {
    return { error: error as { code?: string; message: string }, ms: Date.now() - started };
  }
}

describe('a method timeout from grpc.service_config', () => {
  it('cuts the first call and the later ones, on the connected channel, at the configured timeout', async () => {
    const { discovery } = await discoveredEcho(cleanups);
    const echo = createGrpcClient({
      definition: EchoService,
      discovery,
      policy: false,
      channelsPerInstance: 1,
      channelOptions: {
        'grpc.service_config': JSON.stringify({
          methodConfig: [{ name: [{ service: 'switchyard.echo.v1.Echo' }], timeout: '1s' }],
        }),
      },
    }) as unknown as EchoSayClient;
    cleanups.push(() => echo.close());
    // The service config says 1 s; the server takes 1.6 s. The first call (the channel connecting,
    // grpc-js's own path) is cut at 1 s; the second, on the connected channel, must be too.
    const first = await settle(echo.say({ message: 'x', delayMs: 1_600 }, { deadlineMs: 5_000 }));
    expect(first.error?.code).toBe('DEADLINE_EXCEEDED');
    expect(first.ms).toBeLessThan(1_500);
    const second = await settle(echo.say({ message: 'x', delayMs: 1_600 }, { deadlineMs: 5_000 }));
    expect(second).toMatchObject({ error: { code: 'DEADLINE_EXCEEDED' } });
    expect(second.ms).toBeLessThan(1_500);
  });
});
