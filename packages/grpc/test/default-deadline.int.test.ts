import { runInCallScope } from '@switchyard/core';
import { createDiscovery } from '@switchyard/discovery';
import { createGrpcClient, createGrpcServer } from '@switchyard/grpc';
import { MemoryRegistry } from '@switchyard/registry';
import { afterEach, describe, expect, it } from 'vitest';
import { EchoService, echoImplementation } from './fixtures/echo.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('the client default deadline', () => {
  it('applies only to calls that give no deadline and inherit none; given both, the earlier wins', async () => {
    const registry = new MemoryRegistry();
    cleanups.push(() => registry.close());
    const server = createGrpcServer({
      services: [{ definition: EchoService, implementation: echoImplementation('a') }],
    });
    const port = await server.listen(0, '127.0.0.1');
    cleanups.push(() => server.shutdown(100));
    await registry.register({ id: 'a', service: 'echo', host: '127.0.0.1', ports: { grpc: port } });
    const discovery = createDiscovery({ registry, service: 'echo' });
    cleanups.push(() => discovery.close());
    const echo = createGrpcClient({ definition: EchoService, discovery, defaultDeadlineMs: 1_000 }) as unknown as {
      say(request: object, options?: object): Promise<{ remainingMs: number }>;
      close(): Promise<void>;
    };
    cleanups.push(() => echo.close());
    const left = async (options?: object) => (await echo.say({ message: 'x' }, options)).remainingMs;

    expect(await left()).toBeLessThanOrEqual(1_000);
    expect(await left({ deadline: Date.now() + 30_000 })).toBeGreaterThan(20_000);
    // Inherited from the call being served (30 s left): what is left, not the default (which cut it to 1 s).
    const scope = { deadline: Date.now() + 30_000 };
    expect(await runInCallScope(scope, () => left())).toBeGreaterThan(20_000);
    // ... and never more than what is left, whatever the call asks for.
    expect(await runInCallScope(scope, () => left({ deadlineMs: 60_000 }))).toBeLessThanOrEqual(30_000);
    expect(await runInCallScope({ deadline: Number.POSITIVE_INFINITY }, () => left())).toBeLessThanOrEqual(1_000);
    // deadlineMs and deadline both given: the earlier, not whichever is read last.
    expect(await left({ deadlineMs: 1_500, deadline: Date.now() + 60_000 })).toBeLessThanOrEqual(1_500);
  });
});
