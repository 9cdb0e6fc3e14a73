import { createDiscovery, type Discovery } from '@switchyard/discovery';
import { catalogInstance } from '@switchyard/registry/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { discoveries, registry } from '../test-support/memory-registry-per-test.js';

/**
 * Counts Maglev table fills: each one hashes every instance id with the skip seed below, which
 * nothing else in the SDK uses.
 */
const SKIP_SEED = 0x01000193;
const hashed = vi.hoisted(() => ({ skips: 0 }));
vi.mock('@switchyard/core', async (importOriginal) => {
  const core = await importOriginal<typeof import('@switchyard/core')>();
  return {
    ...core,
    fnv1a: (text: string, seed?: number) => {
      if (seed === SKIP_SEED) hashed.skips++;
      return core.fnv1a(text, seed);
    },
  };
});

afterEach(() => {
  vi.useRealTimers();
});

async function discover(options: Partial<Parameters<typeof createDiscovery>[0]> = {}): Promise<Discovery> {
  const discovery = createDiscovery({ registry, service: 'catalog', balancer: 'maglev', ...options });
  discoveries.push(discovery);
  await discovery.ready();
  return discovery;
}

function owners(discovery: Discovery): string[] {
  return Array.from({ length: 200 }, (_, user) => {
    const lease = discovery.pick({ key: `user-${user}` });
    lease.done({ ok: true, latencyMs: 1 });
    return lease.instance.id;
  });
}

describe('maglev table rebuilds', () => {
  it('keeps the table while the set of instances stays the same (slow-start ticks, shares, an ejection ended)', async () => {
    vi.useFakeTimers();
    for (let i = 0; i < 6; i++) await registry.register(catalogInstance(`i-${i}`, { version: '1.0.0' }));
    await registry.register(catalogInstance('canary', { version: '2.0.0' }));
    const discovery = await discover({
      slowStart: { windowMs: 2_000 },
      outlierDetection: { baseEjectionMs: 1_000, jitter: 0 },
    });
    await registry.register(catalogInstance('i-new', { version: '1.0.0' }));
    const before = owners(discovery);

    // Each fill of a table of ≥ 65,537 slots took ~5 ms for 8 instances (~110 ms for 10,000), and
    // every rebuild filled one per traffic group whether its instances had changed or not: every
    // slow-start tick (maglev does not use weights), every share a canary controller wrote.
    hashed.skips = 0;
    await vi.advanceTimersByTimeAsync(2_500); // the ramp: a rebuild every 100 ms
    await registry.setRoute('catalog', { splits: { '1.0.0': 90, '2.0.0': 10 } });
    await registry.setRoute('catalog', { splits: { '1.0.0': 75, '2.0.0': 25 } });
    expect(hashed.skips).toBeLessThanOrEqual(8 + 7 + 1); // the new groups of the split, once
    hashed.skips = 0;
    await registry.setRoute('catalog', { splits: { '1.0.0': 50, '2.0.0': 50 } });
    expect(hashed.skips).toBe(0);

    // An ejection changes the set (one table anew per group it is in); its end brings the earlier
    // set, and its table, back.
    for (let user = 0; user < 1_000; user++) {
      const lease = discovery.pick({ key: `user-${user}` });
      if (lease.instance.id !== 'i-0') {
        lease.done({ ok: true, latencyMs: 1 });
        continue;
      }
      lease.done({ ok: false, latencyMs: 1, connectionFailed: true });
      break;
    }
    expect(discovery.instances().map((instance) => instance.id)).not.toContain('i-0');
    expect(hashed.skips).toBeGreaterThan(0);
    hashed.skips = 0;
    await vi.advanceTimersByTimeAsync(1_000);
    expect(hashed.skips).toBe(0);
    await registry.setRoute('catalog', undefined);
    expect(owners(discovery)).toEqual(before);
  });
});
