/**
 * An instance registered without the port the client dials (`ports: { http }` only, the client
 * wants `grpc`) cannot be called: the call is never sent to it, so it is passed over without blame
 * (no outlier ejection, no breaker failure), and when no instance has the port the error says so.
 */
import { createDiscovery } from '@switchyard/discovery';
import { createGrpcClient, createGrpcServer } from '@switchyard/grpc';
import { MemoryRegistry } from '@switchyard/registry';
import { circuitBreaker } from '@switchyard/resilience';
import { afterEach, describe, expect, it } from 'vitest';
import { EchoService, echoImplementation } from './fixtures/echo.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

type Echo = { say(request: object, options?: object): Promise<{ servedBy: string }>; close(): Promise<void> };

async function fleet(balancer: string, withGrpcInstance: boolean) {
  const registry = new MemoryRegistry();
  cleanups.push(() => registry.close());
  const server = createGrpcServer({ services: [{ definition: EchoService, implementation: echoImplementation('a') }] });
  const port = await server.listen(0, '127.0.0.1');
  cleanups.push(() => server.shutdown(100));
  if (withGrpcInstance) await registry.register({ id: 'a', service: 'echo', host: '127.0.0.1', ports: { grpc: port } });
  // Registered with an HTTP port only: nothing this gRPC client can dial.
  await registry.register({ id: 'web-only', service: 'echo', host: '127.0.0.1', ports: { http: port } });
  const discovery = createDiscovery({ registry, service: 'echo', balancer });
  cleanups.push(() => discovery.close());
  await discovery.ready();
  const ejected: string[] = [];
  discovery.onEjection(({ id }) => ejected.push(id));
  return { discovery, ejected };
}

describe('an instance without the client port', () => {
  for (const balancer of ['p2c-ewma', 'round-robin', 'least-outstanding', 'random']) {
    it(`is passed over without blame, every call served elsewhere (${balancer})`, async () => {
      const { discovery, ejected } = await fleet(balancer, true);
      // One counted failure would open this breaker.
      const breaker = circuitBreaker({ minimumCalls: 1, failureRateThreshold: 0.01 });
      const echo = createGrpcClient({ definition: EchoService, discovery, policy: breaker }) as unknown as Echo;
      cleanups.push(() => echo.close());
      for (let call = 0; call < 40; call++) {
        await expect(echo.say({ message: 'x' }, { deadlineMs: 2_000 })).resolves.toMatchObject({ servedBy: 'a' });
      }
      expect(ejected).toEqual([]);
      expect(breaker.state()).toBe('closed');
      expect(discovery.instances().map((instance) => instance.id)).toContain('web-only');
    });
  }

  it('fails NO_INSTANCES naming the missing port when no instance has it, still without blame', async () => {
    const { discovery, ejected } = await fleet('round-robin', false);
    const echo = createGrpcClient({ definition: EchoService, discovery }) as unknown as Echo;
    cleanups.push(() => echo.close());
    for (let call = 0; call < 8; call++) {
      await expect(echo.say({ message: 'x' }, { deadlineMs: 2_000 })).rejects.toMatchObject({
        code: 'NO_INSTANCES',
        message: expect.stringMatching(/"grpc" port/),
      });
    }
    expect(ejected).toEqual([]);
  });
});
