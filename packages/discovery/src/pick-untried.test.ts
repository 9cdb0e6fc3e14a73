import { createDiscovery, type Discovery, type DiscoveryOptions, pickUntried } from '@switchyard/discovery';
import { describe, expect, it } from 'vitest';
import { discoveries, registry } from './test-support/memory-registry-per-test.js';
import { catalogInstance } from '@switchyard/registry/testing';

const instance = catalogInstance;

async function discover(options: Partial<DiscoveryOptions> = {}): Promise<Discovery> {
  const discovery = createDiscovery({ registry, service: 'catalog', outlierDetection: false, ...options });
  discoveries.push(discovery);
  await discovery.ready();
  return discovery;
}

async function registerAll(...ids: string[]): Promise<void> {
  for (const id of ids) await registry.register(instance(id));
}

/** Calls counted per version: every lease that ended other than `notSent`. */
function callsCounted(discovery: Discovery): number {
  let calls = 0;
  for (const outcome of discovery.versionOutcomes().values()) calls += outcome.calls;
  return calls;
}

const UNKEYED = ['round-robin', 'random', 'weighted', 'least-outstanding', 'p2c-ewma'];
const STICKY = ['maglev', 'ring-hash'];

describe('pickUntried without a key', () => {
  it('never returns an instance a failed attempt used while another is up, with every balancer', async () => {
    await registerAll('a', 'b', 'c');
    for (const balancer of UNKEYED) {
      const discovery = await discover({ balancer });
      for (let call = 0; call < 300; call++) {
        // A call whose first two attempts failed on two instances: the third goes to the last one.
        const first = discovery.pick();
        first.done({ ok: false, latencyMs: 1 });
        const second = pickUntried(discovery, undefined, [first.instance.id]);
        expect(second.instance.id, balancer).not.toBe(first.instance.id);
        second.done({ ok: false, latencyMs: 1 });
        const third = pickUntried(discovery, undefined, [first.instance.id, second.instance.id]);
        expect([first.instance.id, second.instance.id], balancer).not.toContain(third.instance.id);
        third.done({ ok: true, latencyMs: 1 });
      }
    }
  });

  it('with two instances, p2c-ewma retries on the other one even while the tried one looks far cheaper', async () => {
    await registerAll('fast', 'slow');
    const discovery = await discover({ balancer: 'p2c-ewma' });
    // `fast` answers in 1 ms (as an instance that fails fast does), `slow` in 200 ms: p2c compares
    // the same two every time and `fast` wins, however many of its leases a re-pick holds.
    for (let call = 0; call < 40; call++) {
      const lease = discovery.pick();
      lease.done({ ok: true, latencyMs: lease.instance.id === 'fast' ? 1 : 200 });
    }
    for (let call = 0; call < 200; call++) {
      const lease = pickUntried(discovery, undefined, ['fast']);
      expect(lease.instance.id).toBe('slow');
      lease.done({ ok: true, latencyMs: 200 });
    }
    // Only the leases handed back were counted; the ones passed over ended unsent.
    expect(callsCounted(discovery)).toBe(240);
  });

  it('passes over an instance without the port, unblamed', async () => {
    await registry.register(instance('tried'));
    await registry.register(instance('web-only', { ports: { http: 8080 } }));
    await registry.register(instance('fresh'));
    const discovery = await discover({ balancer: 'random' });
    const ejected: string[] = [];
    discovery.onEjection(({ id }) => ejected.push(id));
    for (let call = 0; call < 200; call++) {
      const lease = pickUntried(discovery, undefined, ['tried'], 'grpc');
      expect(lease.instance.id).toBe('fresh');
      lease.done({ ok: true, latencyMs: 1 });
    }
    expect(ejected).toEqual([]);
  });
});

describe('pickUntried with a key', () => {
  it('sends a keyed retry to another instance, the same one for a key every time and in every client', async () => {
    await registerAll('a', 'b', 'c', 'd');
    for (const balancer of STICKY) {
      const one = await discover({ balancer });
      const other = await discover({ balancer });
      for (let user = 0; user < 200; user++) {
        const key = `user-${user}`;
        const home = one.pick({ key });
        home.done({ ok: false, latencyMs: 1 });
        const retry = pickUntried(one, { key }, [home.instance.id]);
        expect(retry.instance.id, `${balancer} ${key}`).not.toBe(home.instance.id);
        retry.done({ ok: false, latencyMs: 1 });
        // Deterministic: again, and from another client with the same view, the same alternative.
        const again = pickUntried(other, { key }, [home.instance.id]);
        expect(again.instance.id, `${balancer} ${key}`).toBe(retry.instance.id);
        again.done({ ok: true, latencyMs: 1 });
        // A third attempt passes over both.
        const third = pickUntried(one, { key }, [home.instance.id, retry.instance.id]);
        expect([home.instance.id, retry.instance.id], `${balancer} ${key}`).not.toContain(third.instance.id);
        third.done({ ok: true, latencyMs: 1 });
      }
    }
  });

  it('hedges a keyed call (nothing failed yet) to another instance than the key’s own', async () => {
    await registerAll('a', 'b', 'c');
    const discovery = await discover({ balancer: 'maglev' });
    for (let user = 0; user < 100; user++) {
      const key = `user-${user}`;
      const inFlight = discovery.pick({ key });
      const hedge = pickUntried(discovery, { key }, undefined);
      expect(hedge.instance.id, key).not.toBe(inFlight.instance.id);
      hedge.done({ ok: true, latencyMs: 1 });
      inFlight.done({ ok: true, latencyMs: 1 });
    }
  });

  it('lets a keyed call that failed on the canary retry on stable, at stable’s share of the split', async () => {
    await registry.register(instance('stable-1', { version: '1.4.0' }));
    await registry.register(instance('stable-2', { version: '1.4.0' }));
    await registry.register(instance('canary-1', { version: '1.5.0' }));
    await registry.setRoute('catalog', { splits: { '1.4.0': 90, '1.5.0': 10 } });
    const discovery = await discover({ balancer: 'maglev' });
    let onCanary = 0;
    for (let user = 0; user < 3_000; user++) {
      const key = `user-${user}`;
      const home = discovery.pick({ key });
      home.done({ ok: true, latencyMs: 1 });
      if (home.instance.id !== 'canary-1') continue;
      onCanary++;
      const retry = pickUntried(discovery, { key }, ['canary-1']);
      expect(retry.instance.version, key).toBe('1.4.0');
      retry.done({ ok: true, latencyMs: 1 });
    }
    expect(onCanary).toBeGreaterThan(150);
  });
});

describe('pickUntried when no untried instance is left', () => {
  it('picks as a plain pick would: a single instance takes every retry, and nothing is counted twice', async () => {
    await registerAll('only');
    for (const balancer of [...UNKEYED, ...STICKY]) {
      const discovery = await discover({ balancer });
      const args = STICKY.includes(balancer) ? { key: 'k' } : undefined;
      for (let attempt = 0; attempt < 20; attempt++) {
        const lease = pickUntried(discovery, args, ['only'], 'grpc');
        expect(lease.instance.id, balancer).toBe('only');
        lease.done({ ok: true, latencyMs: 1 });
      }
      // The leases passed over ended unsent: only the 20 leases handed back count as calls.
      expect(callsCounted(discovery), balancer).toBe(20);
    }
  });

  it('with every instance tried, returns a plain pick without failing', async () => {
    await registerAll('a', 'b');
    const discovery = await discover({ balancer: 'maglev' });
    const plain = discovery.pick({ key: 'k' });
    plain.done({ ok: true, latencyMs: 1 });
    const lease = pickUntried(discovery, { key: 'k' }, ['a', 'b']);
    expect(lease.instance.id).toBe(plain.instance.id);
    lease.done({ ok: true, latencyMs: 1 });
    expect(callsCounted(discovery)).toBe(2);
  });

  it('never retries on a version the split sends nothing (a canary rolled back to 0 %)', async () => {
    await registry.register(instance('stable-1', { version: '1.4.0' }));
    await registry.register(instance('stable-2', { version: '1.4.0', host: '127.0.0.2' }));
    await registry.register(instance('canary-1', { version: '1.5.0', host: '127.0.0.3' }));
    await registry.setRoute('catalog', { splits: { '1.4.0': 100, '1.5.0': 0 } });
    for (const balancer of ['p2c-ewma', 'round-robin', 'maglev']) {
      const discovery = await discover({ balancer });
      for (let call = 0; call < 50; call++) {
        const args = balancer === 'maglev' ? { key: `user-${call}` } : undefined;
        // Both stable instances failed: the retry goes where a plain pick would, never to the canary.
        const lease = pickUntried(discovery, args, ['stable-1', 'stable-2'], 'grpc');
        expect(lease.instance.version, balancer).toBe('1.4.0');
        lease.done({ ok: true, latencyMs: 1 });
      }
    }
  });
});
