import { status } from '@grpc/grpc-js';
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

describe('one keyed policy shared by the clients of two services', () => {
  it("keeps each service's breaker for a method of the same name apart", async () => {
    const registry = new MemoryRegistry();
    cleanups.push(() => registry.close());
    // Both services speak the same proto service (as every service speaks grpc.health.v1).
    for (const service of ['broken', 'healthy']) {
      const server = createGrpcServer({
        services: [{ definition: EchoService, implementation: echoImplementation(service) }],
      });
      const port = await server.listen(0, '127.0.0.1');
      cleanups.push(() => server.shutdown(100));
      await registry.register({ id: service, service, host: '127.0.0.1', ports: { grpc: port } });
    }
    // A gateway's one policy for all its clients: a breaker per key (per method, as documented).
    const policy = circuitBreaker({ keyed: true, minimumCalls: 5, failureRateThreshold: 0.5, openMs: 60_000 });
    const clientOf = (service: string): Echo => {
      const discovery = createDiscovery({ registry, service });
      cleanups.push(() => discovery.close());
      const client = createGrpcClient({ definition: EchoService, discovery, policy }) as unknown as Echo;
      cleanups.push(() => client.close());
      return client;
    };
    const broken = clientOf('broken');
    const healthy = clientOf('healthy');

    for (let i = 0; i < 10; i++) {
      await broken.say({ failWithCode: status.INTERNAL }).catch(() => undefined);
    }
    await expect(broken.say({ message: 'x' })).rejects.toMatchObject({ code: 'CIRCUIT_OPEN' });
    // The other service's Say never failed: its calls must not be refused by the broken one's breaker.
    await expect(healthy.say({ message: 'x' })).resolves.toMatchObject({ servedBy: 'healthy' });
  });
});
