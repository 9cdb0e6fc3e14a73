/**
 * A retry goes to another instance than the ones the call's failed attempts used, while one is up
 * (pickUntried in @switchyard/discovery; Envoy's `previous_hosts`). Here one of two instances is
 * alive but broken: it answers every call UNAVAILABLE (a reply, not a refused connection, so
 * outlier detection would not eject it at once; it is off here, to keep it in the view).
 */
import { status } from '@grpc/grpc-js';
import { createDiscovery, type Discovery } from '@switchyard/discovery';
import { createGrpcClient, createGrpcServer, grpcError } from '@switchyard/grpc';
import { MemoryRegistry } from '@switchyard/registry';
import { retry } from '@switchyard/resilience';
import { afterEach, describe, expect, it } from 'vitest';
import { EchoService } from './fixtures/echo.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

type Echo = { say(request: object, options?: object): Promise<{ servedBy: string }>; close(): Promise<void> };

interface Fleet {
  echo: Echo;
  discovery: Discovery;
  /** Calls each instance received, by id. */
  hits: Record<string, number>;
}

/** `broken` answers UNAVAILABLE to every call; `healthy` (if asked for) answers after `healthyDelayMs`. */
async function fleet(balancer: string, options: { healthy: boolean; healthyDelayMs?: number }): Promise<Fleet> {
  const registry = new MemoryRegistry();
  cleanups.push(() => registry.close());
  const hits: Record<string, number> = { broken: 0, healthy: 0 };
  const start = async (id: string, say: () => Promise<object>) => {
    const server = createGrpcServer({ services: [{ definition: EchoService, implementation: { say } }] });
    const port = await server.listen(0, '127.0.0.1');
    cleanups.push(() => server.shutdown(100));
    await registry.register({ id, service: 'echo', host: '127.0.0.1', ports: { grpc: port } });
  };
  await start('broken', async () => {
    hits.broken = (hits.broken as number) + 1;
    throw grpcError(status.UNAVAILABLE, 'alive but broken');
  });
  if (options.healthy) {
    await start('healthy', async () => {
      hits.healthy = (hits.healthy as number) + 1;
      if (options.healthyDelayMs) await new Promise((resolve) => setTimeout(resolve, options.healthyDelayMs));
      return { message: 'ok', servedBy: 'healthy' };
    });
  }
  const discovery = createDiscovery({ registry, service: 'echo', balancer, outlierDetection: false });
  cleanups.push(() => discovery.close());
  await discovery.ready();
  const echo = createGrpcClient({
    definition: EchoService,
    discovery,
    // Echo's Say has no side effects: retried after a failure the server replied (see idempotent-retries).
    idempotentMethods: ['Say'],
    // Three attempts, no budget to run out, hardly any backoff: only where they go is tested.
    policy: retry({ maxAttempts: 3, budget: false, backoff: { initialMs: 1, maxMs: 2 } }),
  }) as unknown as Echo;
  cleanups.push(() => echo.close());
  return { echo, discovery, hits };
}

/** A key the sticky balancer routes to `id`. */
function keyRoutedTo(discovery: Discovery, id: string): string {
  for (let user = 0; ; user++) {
    const lease = discovery.pick({ key: `user-${user}` });
    lease.done({ ok: false, latencyMs: 0, notSent: true });
    if (lease.instance.id === id) return `user-${user}`;
  }
}

describe('a retry after UNAVAILABLE', () => {
  for (const balancer of ['maglev', 'ring-hash']) {
    it(`of a keyed call goes to the other instance, not back to the key's own (${balancer})`, async () => {
      const { echo, discovery, hits } = await fleet(balancer, { healthy: true });
      for (let call = 0; call < 5; call++) {
        const key = keyRoutedTo(discovery, 'broken');
        await expect(echo.say({ message: 'x' }, { key, deadlineMs: 5_000 })).resolves.toMatchObject({
          servedBy: 'healthy',
        });
      }
      // One failed attempt per call, each retried once, on the healthy instance.
      expect(hits).toEqual({ broken: 5, healthy: 5 });
    });
  }

  it('of an unkeyed p2c-ewma call never goes back to the instance that failed, while the other is up', async () => {
    // The broken instance answers at once, the healthy one in 25 ms: by latency the broken one
    // looks cheaper even after its failure penalties, and p2c compares the same two every time.
    const { echo, hits } = await fleet('p2c-ewma', { healthy: true, healthyDelayMs: 25 });
    let callsThatFailedOnce = 0;
    for (let call = 0; call < 200; call++) {
      const before = hits.broken as number;
      await expect(echo.say({ message: 'x' }, { deadlineMs: 5_000 })).resolves.toMatchObject({
        servedBy: 'healthy',
      });
      const failedAttempts = (hits.broken as number) - before;
      expect(failedAttempts, `call ${call}`).toBeLessThanOrEqual(1);
      callsThatFailedOnce += failedAttempts;
    }
    expect(callsThatFailedOnce).toBeGreaterThan(0); // the broken instance was tried, and avoided after
  });

  for (const balancer of ['p2c-ewma', 'maglev']) {
    it(`still goes to the only instance there is (${balancer})`, async () => {
      const { echo, hits } = await fleet(balancer, { healthy: false });
      await expect(echo.say({ message: 'x' }, { key: 'user-1', deadlineMs: 5_000 })).rejects.toMatchObject({
        code: 'RETRY_EXHAUSTED',
      });
      expect(hits.broken).toBe(3); // every attempt, none failed for want of an untried instance
    });
  }
});
