/**
 * An instance registered without the port the client calls (`ports: { grpc }` only, the client
 * wants `http`) cannot be called: the request is never sent to it, so it is passed over without
 * blame (no outlier ejection, no breaker failure), and when no instance has the port the error
 * says so. The same rule as the gRPC client's (see pickWithPort in @switchyard/discovery).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createDiscovery } from '@switchyard/discovery';
import { createHttpClient } from '@switchyard/http';
import { MemoryRegistry } from '@switchyard/registry';
import { circuitBreaker } from '@switchyard/resilience';
import { afterEach, describe, expect, it } from 'vitest';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function fleet(balancer: string, withHttpInstance: boolean) {
  const registry = new MemoryRegistry();
  cleanups.push(() => registry.close());
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json' }).end('{"servedBy":"a"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  cleanups.push(() => server.closeAllConnections());
  const { port } = server.address() as AddressInfo;
  if (withHttpInstance) await registry.register({ id: 'a', service: 'web', host: '127.0.0.1', ports: { http: port } });
  // Registered with a gRPC port only: nothing this HTTP client can call.
  await registry.register({ id: 'grpc-only', service: 'web', host: '127.0.0.1', ports: { grpc: port } });
  const discovery = createDiscovery({ registry, service: 'web', balancer });
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
      const client = createHttpClient({ discovery, policy: breaker });
      cleanups.push(() => client.close());
      for (let call = 0; call < 40; call++) {
        await expect(client.getJson('/who', { deadlineMs: 2_000 })).resolves.toEqual({ servedBy: 'a' });
      }
      expect(ejected).toEqual([]);
      expect(breaker.state()).toBe('closed');
      expect(discovery.instances().map((instance) => instance.id)).toContain('grpc-only');
    });
  }

  it('fails NO_INSTANCES naming the missing port when no instance has it, still without blame', async () => {
    const { discovery, ejected } = await fleet('round-robin', false);
    const client = createHttpClient({ discovery });
    cleanups.push(() => client.close());
    for (let call = 0; call < 8; call++) {
      await expect(client.getJson('/who', { deadlineMs: 2_000 })).rejects.toMatchObject({
        code: 'NO_INSTANCES',
        message: expect.stringMatching(/"http" port/),
      });
    }
    expect(ejected).toEqual([]);
  });
});
