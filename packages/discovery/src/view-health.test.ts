import type { InstanceInput } from '@switchyard/core';
import { createDiscovery, type Discovery, type DiscoveryOptions } from '@switchyard/discovery';
import { MemoryRegistry } from '@switchyard/registry';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

let registry: MemoryRegistry;
const discoveries: Discovery[] = [];

beforeEach(() => {
  registry = new MemoryRegistry();
});
afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(discoveries.splice(0).map((discovery) => discovery.close()));
  await registry.close();
});

const instance = (id: string, extra: Partial<InstanceInput> = {}): InstanceInput => ({
  id,
  service: 'catalog',
  host: '127.0.0.1',
  ports: { grpc: 1 },
  ...extra,
});

async function discover(options: Partial<DiscoveryOptions> = {}): Promise<Discovery> {
  const discovery = createDiscovery({ registry, service: 'catalog', balancer: 'round-robin', ...options });
  discoveries.push(discovery);
  await discovery.ready();
  return discovery;
}

function pickUntil(discovery: Discovery, id: string) {
  for (let i = 0; i < 1_000; i++) {
    const lease = discovery.pick();
    if (lease.instance.id === id) return lease;
    lease.done({ ok: true, latencyMs: 1 });
  }
  throw new Error(`never picked ${id}`);
}

describe('the healthy view after close()', () => {
  it('a lease that fails after close() ejects nothing: no event, no rebuild, no ejection logged', async () => {
    await registry.register(instance('a'));
    await registry.register(instance('b'));
    const warnings: string[] = [];
    const logger = {
      debug() {},
      info() {},
      error() {},
      warn: (_fields: unknown, message?: string) => warnings.push(String(message)),
    };
    const discovery = await discover({ logger });
    const lease = pickUntil(discovery, 'a');
    const events: string[] = [];
    discovery.onEjection(() => events.push('ejection'));
    discovery.onChange(() => events.push('change'));
    await discovery.close();
    lease.done({ ok: false, latencyMs: 1, connectionFailed: true });
    // (A timer count is no evidence here: the shared coarse clock starts and stops its own.)
    expect(events).toEqual([]);
    expect(warnings).toEqual([]);
  });
});

describe('a lease whose instance was re-registered under its id at another address', () => {
  it('does not count the old address’s failure against the new process', async () => {
    vi.useFakeTimers();
    await registry.register(instance('a', { host: '10.0.0.1' }));
    await registry.register(instance('b'));
    const discovery = await discover();
    const ejections: string[] = [];
    discovery.onEjection((event) => ejections.push(event.id));
    const lease = pickUntil(discovery, 'a');
    // The process behind `a` crashes and a new one registers the same id (a StatefulSet pod name)
    // at a new address before the old entry expired: an update, not down + up.
    await registry.register(instance('a', { host: '10.0.0.2' }));
    expect(discovery.instances().find((i) => i.id === 'a')?.host).toBe('10.0.0.2');
    // The call in flight to the old process fails: that says nothing about the new one.
    lease.done({ ok: false, latencyMs: 1, connectionFailed: true });
    expect(ejections).toEqual([]);
    expect(
      discovery
        .instances()
        .map((i) => i.id)
        .sort(),
    ).toEqual(['a', 'b']);
    // A failure of the new process itself still counts.
    pickUntil(discovery, 'a').done({ ok: false, latencyMs: 1, connectionFailed: true });
    expect(ejections).toEqual(['a']);
  });
});

describe('outlierDetection.maxEjectionShare', () => {
  it('ejects at most that share of the instances at once (one always), and the next once there is room', async () => {
    vi.useFakeTimers();
    for (let i = 0; i < 10; i++) await registry.register(instance(`i${i}`));
    const discovery = await discover({
      outlierDetection: { maxEjectionShare: 0.2, baseEjectionMs: 1_000, jitter: 0 },
    });
    const ejections: string[] = [];
    discovery.onEjection((event) => ejections.push(event.id));
    const fail = (id: string) => pickUntil(discovery, id).done({ ok: false, latencyMs: 1, connectionFailed: true });
    fail('i0');
    fail('i1');
    fail('i2'); // 3 of 10 would be 30 %: stays in rotation
    expect(ejections).toEqual(['i0', 'i1']);
    expect(discovery.instances()).toHaveLength(8);
    vi.advanceTimersByTime(1_000); // i0 and i1 come back on probation: room again
    fail('i2');
    expect(ejections).toEqual(['i0', 'i1', 'i2']);
    expect(discovery.instances()).toHaveLength(9);

    // One instance may always be ejected, whatever the share.
    const small = await discover({ outlierDetection: { maxEjectionShare: 0 } });
    pickUntil(small, 'i3').done({ ok: false, latencyMs: 1, connectionFailed: true });
    pickUntil(small, 'i4').done({ ok: false, latencyMs: 1, connectionFailed: true });
    expect(small.instances()).toHaveLength(9);
    expect(() => createDiscovery({ registry, service: 'catalog', outlierDetection: { maxEjectionShare: 2 } })).toThrow(
      /outlierDetection.maxEjectionShare/,
    );
  });
});
