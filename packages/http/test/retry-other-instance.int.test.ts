/**
 * A retry goes to another instance than the ones the call's failed attempts used, while one is up
 * (pickUntried in @switchyard/discovery; Envoy's `previous_hosts`). Here one of two instances is
 * alive but broken: it answers every request 503. The same rule as the gRPC client's.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createDiscovery, type Discovery } from '@switchyard/discovery';
import { createHttpClient, type HttpClient } from '@switchyard/http';
import { MemoryRegistry } from '@switchyard/registry';
import { retry } from '@switchyard/resilience';
import { afterEach, describe, expect, it } from 'vitest';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Fleet {
  client: HttpClient;
  discovery: Discovery;
  /** Requests each instance received, by id. */
  hits: Record<string, number>;
}

/** `broken` answers 503 to every request; `healthy` (if asked for) answers 200 after `healthyDelayMs`. */
async function fleet(balancer: string, options: { healthy: boolean; healthyDelayMs?: number }): Promise<Fleet> {
  const registry = new MemoryRegistry();
  cleanups.push(() => registry.close());
  const hits: Record<string, number> = { broken: 0, healthy: 0 };
  const start = async (id: string, status: number, delayMs = 0) => {
    const server = createServer((_request, response) => {
      hits[id] = (hits[id] as number) + 1;
      setTimeout(() => {
        response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ servedBy: id }));
      }, delayMs);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => server.close(resolve)));
    cleanups.push(() => server.closeAllConnections());
    const { port } = server.address() as AddressInfo;
    await registry.register({ id, service: 'web', host: '127.0.0.1', ports: { http: port } });
  };
  await start('broken', 503);
  if (options.healthy) await start('healthy', 200, options.healthyDelayMs);
  const discovery = createDiscovery({ registry, service: 'web', balancer, outlierDetection: false });
  cleanups.push(() => discovery.close());
  await discovery.ready();
  const client = createHttpClient({
    discovery,
    // Three attempts, no budget to run out, hardly any backoff: only where they go is tested.
    policy: retry({ maxAttempts: 3, budget: false, backoff: { initialMs: 1, maxMs: 2 } }),
  });
  cleanups.push(() => client.close());
  return { client, discovery, hits };
}

/** A key the sticky balancer routes to `id`. */
function keyRoutedTo(discovery: Discovery, id: string): string {
  for (let user = 0; ; user++) {
    const lease = discovery.pick({ key: `user-${user}` });
    lease.done({ ok: false, latencyMs: 0, notSent: true });
    if (lease.instance.id === id) return `user-${user}`;
  }
}

describe('a retry after 503', () => {
  for (const balancer of ['maglev', 'ring-hash']) {
    it(`of a keyed request goes to the other instance, not back to the key's own (${balancer})`, async () => {
      const { client, discovery, hits } = await fleet(balancer, { healthy: true });
      for (let call = 0; call < 5; call++) {
        const key = keyRoutedTo(discovery, 'broken');
        await expect(client.getJson('/who', { key, deadlineMs: 5_000 })).resolves.toEqual({ servedBy: 'healthy' });
      }
      // One failed attempt per call, each retried once, on the healthy instance.
      expect(hits).toEqual({ broken: 5, healthy: 5 });
    });
  }

  it('of an unkeyed p2c-ewma request never goes back to the instance that failed, while the other is up', async () => {
    // The broken instance answers at once, the healthy one in 25 ms: by latency the broken one
    // looks cheaper even after its overload penalties, and p2c compares the same two every time.
    const { client, hits } = await fleet('p2c-ewma', { healthy: true, healthyDelayMs: 25 });
    let callsThatFailedOnce = 0;
    for (let call = 0; call < 200; call++) {
      const before = hits.broken as number;
      await expect(client.getJson('/who', { deadlineMs: 5_000 })).resolves.toEqual({ servedBy: 'healthy' });
      const failedAttempts = (hits.broken as number) - before;
      expect(failedAttempts, `call ${call}`).toBeLessThanOrEqual(1);
      callsThatFailedOnce += failedAttempts;
    }
    expect(callsThatFailedOnce).toBeGreaterThan(0); // the broken instance was tried, and avoided after
  });

  for (const balancer of ['p2c-ewma', 'maglev']) {
    it(`still goes to the only instance there is (${balancer})`, async () => {
      const { client, hits } = await fleet(balancer, { healthy: false });
      await expect(client.getJson('/who', { key: 'user-1', deadlineMs: 5_000 })).rejects.toMatchObject({
        code: 'RETRY_EXHAUSTED',
      });
      expect(hits.broken).toBe(3); // every attempt, none failed for want of an untried instance
    });
  }
});
