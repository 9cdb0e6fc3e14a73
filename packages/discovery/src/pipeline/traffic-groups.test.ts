import { createDiscovery, type Discovery } from '@switchyard/discovery';
import { describe, expect, it } from 'vitest';
import { discoveries, registry } from '../test-support/memory-registry-per-test.js';

async function fleet(versions: Record<string, number>): Promise<void> {
  for (const [version, count] of Object.entries(versions)) {
    for (let i = 0; i < count; i++) {
      await registry.register({
        id: `${version}-${i}`,
        service: 'catalog',
        version,
        host: '127.0.0.1',
        ports: { grpc: 1 },
      });
    }
  }
}

async function discover(): Promise<Discovery> {
  const discovery = createDiscovery({ registry, service: 'catalog', balancer: 'maglev', outlierDetection: false });
  discoveries.push(discovery);
  await discovery.ready();
  return discovery;
}

const keys = Array.from({ length: 2_000 }, (_, i) => `user-${i}`);
const versionOf = (discovery: Discovery, key: string): string | undefined => {
  const lease = discovery.pick({ key });
  lease.done({ ok: true, latencyMs: 1 });
  return lease.instance.version;
};

describe('traffic groups: sticky version by key', () => {
  it('keeps canary keys on the canary as it grows, whatever order the rule names the versions in', async () => {
    await fleet({ '1.4.0': 2, '1.5.0': 2 });
    const discovery = await discover();
    // An operator names the canary first (`switchyard route set catalog 1.5.0=5 1.4.0=95`); the
    // canary controller then writes its next step stable-first. The versions were laid out on the
    // key space in the rule's own order, so the first 5 % of keys (the canary's) moved to stable
    // and another 20 % moved to the canary: the users already on the canary were taken off it.
    await registry.setRoute('catalog', { splits: { '1.5.0': 5, '1.4.0': 95 } });
    const onCanary = keys.filter((key) => versionOf(discovery, key) === '1.5.0');
    // 2,000 keys at 5 %: mean 100, sd ≈ 9.7; 40..160 is more than 6 sd either way.
    expect(onCanary.length).toBeGreaterThan(40);
    expect(onCanary.length).toBeLessThan(160);
    await registry.setRoute('catalog', { splits: { '1.4.0': 75, '1.5.0': 25 } });
    expect(onCanary.filter((key) => versionOf(discovery, key) !== '1.5.0')).toEqual([]);
  });
});

describe('compareVersions', () => {
  it('is a total order that reads digit runs by value', async () => {
    const { compareVersions } = await import('./traffic-groups.js');
    const sorted = ['1.10.0', '1.9.0', '1.9.0-rc.1', '2', '10', '1.9.00', 'b', 'a', '1.9.0+build'].sort(
      compareVersions,
    );
    expect(sorted).toEqual(['1.9.0', '1.9.0+build', '1.9.0-rc.1', '1.9.00', '1.10.0', '2', '10', 'a', 'b']);
  });
});
