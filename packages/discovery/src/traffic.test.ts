import { runInCallScope } from '@switchyard/core';
import { createDiscovery, type Discovery } from '@switchyard/discovery';
import { describe, expect, it } from 'vitest';
import { discoveries, registry } from './test-support/memory-registry-per-test.js';

const instance = (id: string, version: string, metadata: Record<string, string> = {}) => ({
  id,
  service: 'catalog',
  version,
  host: '127.0.0.1',
  ports: { grpc: 1 },
  metadata,
});

async function discover(balancer = 'round-robin', outlierDetection?: { baseEjectionMs: number }): Promise<Discovery> {
  const discovery = createDiscovery({
    registry,
    service: 'catalog',
    balancer,
    ...(outlierDetection ? { outlierDetection } : {}),
  });
  discoveries.push(discovery);
  await discovery.ready();
  return discovery;
}

/** A lease on `id`, the picks before it ended as successes. */
function pickUntil(discovery: Discovery, id: string) {
  for (let i = 0; i < 1_000; i++) {
    const lease = discovery.pick();
    if (lease.instance.id === id) return lease;
    lease.done({ ok: true, latencyMs: 1 });
  }
  throw new Error(`never picked ${id}`);
}

function share(discovery: Discovery, picks: number, predicate: (id: string) => boolean, track?: string): number {
  let hits = 0;
  for (let i = 0; i < picks; i++) {
    const lease = discovery.pick(track ? { track } : undefined);
    if (predicate(lease.instance.id)) hits++;
    lease.done({ ok: true, latencyMs: 1 });
  }
  return hits / picks;
}

describe('version-weighted splits (canary)', () => {
  it('chooses the version by weight first, then balances within it, and follows rule changes live', async () => {
    await registry.register(instance('stable-1', '1.4.0'));
    await registry.register(instance('stable-2', '1.4.0'));
    await registry.register(instance('canary-1', '1.5.0'));
    const discovery = await discover();
    expect(share(discovery, 3_000, (id) => id === 'canary-1')).toBeCloseTo(1 / 3, 1);
    await registry.setRoute('catalog', { splits: { '1.4.0': 90, '1.5.0': 10 } });
    const canary = share(discovery, 10_000, (id) => id === 'canary-1');
    expect(canary).toBeGreaterThan(0.085);
    expect(canary).toBeLessThan(0.115);
    await registry.setRoute('catalog', { splits: { '1.4.0': 100, '1.5.0': 0 } });
    expect(share(discovery, 1_000, (id) => id === 'canary-1')).toBe(0);
    await registry.setRoute('catalog', undefined);
    expect(share(discovery, 3_000, (id) => id === 'canary-1')).toBeCloseTo(1 / 3, 1);
  });

  it('drops versions that have no instance left and ignores a rule none of whose versions are here', async () => {
    await registry.register(instance('stable-1', '1.4.0'));
    const canaryRegistration = await registry.register(instance('canary-1', '1.5.0'));
    const discovery = await discover();
    await registry.setRoute('catalog', { splits: { '1.4.0': 50, '1.5.0': 50 } });
    await canaryRegistration.deregister();
    expect(share(discovery, 500, (id) => id === 'stable-1')).toBe(1);
  });

  it('keeps a key on one version (and so on one instance) under a split, and keeps canary keys as the canary grows', async () => {
    for (const id of ['stable-1', 'stable-2']) await registry.register(instance(id, '1.4.0'));
    for (const id of ['canary-1', 'canary-2']) await registry.register(instance(id, '1.5.0'));
    const discovery = await discover('maglev');
    await registry.setRoute('catalog', { splits: { '1.4.0': 80, '1.5.0': 20 } });
    const keys = Array.from({ length: 500 }, (_, i) => `user-${i}`);
    const routeOf = (key: string): string => {
      const lease = discovery.pick({ key });
      lease.done({ ok: true, latencyMs: 1 });
      return lease.instance.id;
    };
    const first = new Map(keys.map((key) => [key, routeOf(key)]));
    // The version draw used to be random per pick: a sticky key landed on a stable instance most
    // times and on a canary instance the others.
    const moved = keys.filter((key) => [1, 2, 3, 4, 5].some(() => routeOf(key) !== first.get(key)));
    expect(moved).toEqual([]);
    const onCanary = keys.filter((key) => first.get(key)?.startsWith('canary'));
    expect(onCanary.length).toBeGreaterThan(50); // ~100 of 500
    expect(onCanary.length).toBeLessThan(150);
    // Promotion 20 % → 50 %: users already on the canary stay there.
    await registry.setRoute('catalog', { splits: { '1.4.0': 50, '1.5.0': 50 } });
    expect(onCanary.filter((key) => routeOf(key) !== first.get(key))).toEqual([]);
  });
});

describe('a version the rule sends nothing (a canary rolled back to 0 %)', () => {
  it('gets no traffic while stable restarts (draining) or is ejected: stable is used as it would be alone', async () => {
    const stable = await registry.register(instance('stable-1', '1.4.0'));
    await registry.register(instance('canary-1', '1.5.0'));
    const discovery = await discover();
    await registry.setRoute('catalog', { splits: { '1.4.0': 100, '1.5.0': 0 } });
    expect(share(discovery, 100, (id) => id === 'stable-1')).toBe(1);
    // Stable's only instance restarts: it drains first. The rolled-back canary used to take every call.
    await stable.update({ status: 'draining' });
    expect(share(discovery, 100, (id) => id === 'stable-1')).toBe(1);
    // Up again, then ejected by a refused connection: the same.
    await stable.update({ status: 'up' });
    const lease = discovery.pick();
    expect(lease.instance.id).toBe('stable-1');
    lease.done({ ok: false, latencyMs: 1, connectionFailed: true });
    expect(share(discovery, 100, (id) => id === 'stable-1')).toBe(1);
    expect(discovery.instances().map((i) => i.id)).toEqual(['stable-1']);
  });

  it('still takes traffic when no instance of a version the rule sends traffic to is left at all', async () => {
    const stable = await registry.register(instance('stable-1', '1.4.0'));
    await registry.register(instance('canary-1', '1.5.0'));
    const discovery = await discover();
    await registry.setRoute('catalog', { splits: { '1.4.0': 100, '1.5.0': 0 } });
    await stable.deregister();
    expect(share(discovery, 100, (id) => id === 'canary-1')).toBe(1);
  });

  it('keeps an A/B arm whose instances run only versions the rule does not name', async () => {
    await registry.register(instance('stable-1', '1.4.0'));
    await registry.register(instance('canary-1', '1.5.0'));
    await registry.register(instance('arm-b', '2.0.0-b', { track: 'b' }));
    const discovery = await discover();
    await registry.setRoute('catalog', { splits: { '1.4.0': 100, '1.5.0': 0 } });
    expect(share(discovery, 100, (id) => id === 'arm-b', 'b')).toBe(1);
    expect(share(discovery, 100, (id) => id === 'stable-1')).toBe(1);
  });

  it('takes an A/B arm off a version the rule names at 0 % (a rolled-back canary): its calls go to the untracked instances', async () => {
    await registry.register(instance('stable-1', '1.4.0'));
    await registry.register(instance('canary-1', '1.5.0'));
    await registry.register(instance('arm-b', '1.5.0', { track: 'b' }));
    await registry.register(instance('arm-c', '1.5.0', { track: 'c' }));
    await registry.register(instance('arm-c-own', '2.0.0-c', { track: 'c' }));
    const discovery = await discover();
    await registry.setRoute('catalog', { splits: { '1.4.0': 100, '1.5.0': 0 } });
    // The arm ran only the version the rule rolled back, and kept taking its track's calls.
    expect(share(discovery, 100, (id) => id === 'stable-1', 'b')).toBe(1);
    // An arm's version the rule does not name stays; the rolled-back one beside it goes.
    expect(share(discovery, 100, (id) => id === 'arm-c-own', 'c')).toBe(1);
    expect(discovery.instances().map((i) => i.id)).toEqual(['stable-1', 'arm-c-own']);
  });
});

describe('track routing (A/B)', () => {
  it('sends a track to its instances, keeps untracked traffic off them, and reads the track from the call scope', async () => {
    await registry.register(instance('a-1', '1.0.0'));
    await registry.register(instance('a-2', '1.0.0'));
    await registry.register(instance('b-1', '1.0.0', { track: 'b' }));
    const discovery = await discover();
    expect(share(discovery, 1_000, (id) => id === 'b-1')).toBe(0);
    expect(share(discovery, 1_000, (id) => id === 'b-1', 'b')).toBe(1);
    // A track without instances of its own falls back to the untracked ones.
    expect(share(discovery, 1_000, (id) => id === 'b-1', 'c')).toBe(0);
    const inScope = runInCallScope(
      { deadline: Number.POSITIVE_INFINITY, track: 'b' },
      () => discovery.pick().instance.id,
    );
    expect(inScope).toBe('b-1');
  });
});

describe('health per traffic group (each version of a split, each A/B arm)', () => {
  it("keeps a version's share on its draining instances while none of them is up: the canary does not take stable's calls while stable restarts", async () => {
    const stable = await registry.register(instance('stable-1', '1.4.0'));
    const canary = await registry.register(instance('canary-1', '1.5.0'));
    const discovery = await discover();
    await registry.setRoute('catalog', { splits: { '1.4.0': 95, '1.5.0': 5 } });
    // Stable's only instance restarts: it drains first. The canary at 5 % took every call (a canary
    // at 0 % took none), for as long as the drain lasted.
    await stable.update({ status: 'draining' });
    const onCanary = share(discovery, 4_000, (id) => id === 'canary-1');
    expect(onCanary).toBeGreaterThan(0.03);
    expect(onCanary).toBeLessThan(0.08);
    // And the other way: a canary being replaced keeps its 5 %, stable does not take it.
    await stable.update({ status: 'up' });
    await canary.update({ status: 'draining' });
    const onDrainingCanary = share(discovery, 4_000, (id) => id === 'canary-1');
    expect(onDrainingCanary).toBeGreaterThan(0.03);
    expect(onDrainingCanary).toBeLessThan(0.08);
    // A draining instance beside an up one of its version still gets nothing.
    await registry.register(instance('canary-2', '1.5.0'));
    expect(share(discovery, 1_000, (id) => id === 'canary-1')).toBe(0);
  });

  it("keeps an A/B arm's calls on its draining instances, and the control group's on its own", async () => {
    const control = await registry.register(instance('a-1', '1.0.0'));
    const arm = await registry.register(instance('b-1', '1.0.0', { track: 'b' }));
    const discovery = await discover();
    // The control group restarts: its untracked calls all went to the arm.
    await control.update({ status: 'draining' });
    expect(share(discovery, 200, (id) => id === 'a-1')).toBe(1);
    expect(share(discovery, 200, (id) => id === 'b-1', 'b')).toBe(1);
    // The arm restarts: its calls all went to the control group.
    await control.update({ status: 'up' });
    await arm.update({ status: 'draining' });
    expect(share(discovery, 200, (id) => id === 'b-1', 'b')).toBe(1);
    expect(share(discovery, 200, (id) => id === 'a-1')).toBe(1);
  });

  it('sends untracked calls in a fleet where every instance has a track to those that are up, draining ones as a last resort', async () => {
    const a = await registry.register(instance('a-1', '1.0.0', { track: 'a' }));
    const b = await registry.register(instance('b-1', '1.0.0', { track: 'b' }));
    const discovery = await discover();
    await a.update({ status: 'draining' });
    expect(share(discovery, 200, (id) => id === 'a-1', 'a')).toBe(1);
    expect(share(discovery, 200, (id) => id === 'b-1')).toBe(1);
    await b.update({ status: 'draining' });
    expect(share(discovery, 200, (id) => id === 'a-1')).toBeGreaterThan(0.3);
  });

  it('keeps a weight-0 standby for its own group: the untracked calls go to it, not to an A/B arm, once the untracked primary is ejected', async () => {
    await registry.register(instance('primary', '1.0.0'));
    await registry.register({ ...instance('standby', '1.0.0'), weight: 0 });
    await registry.register(instance('arm-b', '1.0.0', { track: 'b' }));
    const discovery = await discover('round-robin', { baseEjectionMs: 60_000 });
    expect(share(discovery, 100, (id) => id === 'primary')).toBe(1);
    // The primary's process is gone: its connection is refused.
    pickUntil(discovery, 'primary').done({ ok: false, latencyMs: 1, connectionFailed: true });
    // The arm, weighted and serving, kept the standby out: the untracked calls all went to the arm.
    expect(share(discovery, 100, (id) => id === 'standby')).toBe(1);
    expect(share(discovery, 100, (id) => id === 'arm-b', 'b')).toBe(1);
  });

  it('draws a subset from the draining instances of a version none of whose instances is up', async () => {
    const stable = [];
    for (let i = 0; i < 4; i++) stable.push(await registry.register(instance(`stable-${i}`, '1.4.0')));
    await registry.register(instance('canary-1', '1.5.0'));
    await registry.setRoute('catalog', { splits: { '1.4.0': 90, '1.5.0': 10 } });
    const discovery = createDiscovery({ registry, service: 'catalog', balancer: 'round-robin', subset: { size: 2 } });
    discoveries.push(discovery);
    await discovery.ready();
    for (const registration of stable) await registration.update({ status: 'draining' });
    // Drawn only from instances that are up (any version's), the subset held the canary alone.
    expect(discovery.instances().filter((i) => i.version === '1.4.0')).toHaveLength(2);
    const onCanary = share(discovery, 4_000, (id) => id === 'canary-1');
    expect(onCanary).toBeGreaterThan(0.07);
    expect(onCanary).toBeLessThan(0.13);
  });

  it("gives an ejected version's calls to the others of its split while the service is not in panic, and never to a version the rule sends nothing", async () => {
    await registry.register(instance('stable-1', '1.4.0'));
    await registry.register(instance('canary-1', '1.5.0'));
    await registry.register(instance('old-1', '1.3.0'));
    const discovery = await discover('round-robin', { baseEjectionMs: 60_000 });
    await registry.setRoute('catalog', { splits: { '1.4.0': 95, '1.5.0': 5, '1.3.0': 0 } });
    // Stable's process is gone (its connection refused): its calls would all fail there.
    pickUntil(discovery, 'stable-1').done({ ok: false, latencyMs: 1, connectionFailed: true });
    expect(share(discovery, 500, (id) => id === 'canary-1')).toBe(1);
    // Beyond the panic threshold the canary keeps its share: 3 ejected stable instances of 4.
    await registry.register(instance('stable-2', '1.4.0'));
    await registry.register(instance('stable-3', '1.4.0'));
    for (const id of ['stable-2', 'stable-3'])
      pickUntil(discovery, id).done({ ok: false, latencyMs: 1, connectionFailed: true });
    const onCanary = share(discovery, 4_000, (id) => id === 'canary-1');
    expect(onCanary).toBeGreaterThan(0.03);
    expect(onCanary).toBeLessThan(0.08);
  });
});
