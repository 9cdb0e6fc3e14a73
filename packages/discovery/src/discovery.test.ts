import { type Logger, type PickArgs, RegistryUnavailableError, silentLogger } from '@switchyard/core';
import {
  createDiscovery,
  type Discovery,
  type DiscoveryOptions,
  type Lease,
  p2cEwma,
  pickWithPort,
} from '@switchyard/discovery';
import { MemoryRegistry, type RegistryListener } from '@switchyard/registry';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { catalogInstance } from '@switchyard/registry/testing';

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

const instance = catalogInstance;
type PickAmong = (args: PickArgs | undefined, usable: (instance: { id: string }) => boolean) => Lease | undefined;

async function discover(options: Partial<DiscoveryOptions> = {}): Promise<Discovery> {
  const discovery = createDiscovery({ registry, service: 'catalog', balancer: 'round-robin', ...options });
  discoveries.push(discovery);
  await discovery.ready();
  return discovery;
}

/** The ids of the instances `discovery` offers, sorted. */
function idsOf(discovery: Discovery): string[] {
  return discovery
    .instances()
    .map((i) => i.id)
    .sort();
}

function shares(discovery: Discovery, picks: number, args?: PickArgs): Record<string, number> {
  const result: Record<string, number> = {};
  for (let i = 0; i < picks; i++) {
    const lease = discovery.pick(args);
    result[lease.instance.id] = (result[lease.instance.id] ?? 0) + 1;
    lease.done({ ok: true, latencyMs: 1 });
  }
  return result;
}

describe('createDiscovery', () => {
  it('follows registrations, updates and deregistrations', async () => {
    const first = await registry.register(instance('a'));
    const discovery = await discover();
    expect(discovery.instances().map((i) => i.id)).toEqual(['a']);
    const second = await registry.register(instance('b'));
    expect(Object.keys(shares(discovery, 10)).sort()).toEqual(['a', 'b']);
    await first.deregister();
    await second.deregister();
    expect(() => discovery.pick()).toThrow(expect.objectContaining({ code: 'NO_INSTANCES' }));
  });

  it('says why there is nothing to pick: a name nothing registered under, every instance gone, or all filtered out', async () => {
    const misspelt = createDiscovery({ registry, service: 'catalgo' });
    await misspelt.ready();
    expect(() => misspelt.pick()).toThrow(
      expect.objectContaining({ message: expect.stringMatching(/is the service name right\?/) }),
    );
    await misspelt.close();
    const gone = await registry.register(instance('a'));
    const discovery = await discover();
    await gone.deregister();
    expect(() => discovery.pick()).toThrow(
      expect.objectContaining({ message: expect.stringMatching(/every instance has left/) }),
    );
    await registry.register(instance('b'));
    const filtered = createDiscovery({ registry, service: 'catalog', filter: { version: '9.9.9' } });
    await filtered.ready();
    expect(() => filtered.pick()).toThrow(
      expect.objectContaining({
        message: expect.stringMatching(/1 registered, none accepted by this discovery's filter/),
      }),
    );
    await filtered.close();
  });

  it('never picks a draining instance while an up one exists, and uses draining ones as a last resort', async () => {
    const a = await registry.register(instance('a'));
    const b = await registry.register(instance('b'));
    const discovery = await discover();
    await a.update({ status: 'draining' });
    expect(shares(discovery, 20)).toEqual({ b: 20 });
    await b.update({ status: 'draining' });
    expect(Object.keys(shares(discovery, 20)).sort()).toEqual(['a', 'b']);
  });

  it('sends calls to an up instance of weight 0 once every weighted one is ejected, not to the ejected ones', async () => {
    vi.useFakeTimers();
    await registry.register(instance('primary'));
    await registry.register(instance('standby', { weight: 0 }));
    const discovery = await discover({ outlierDetection: { baseEjectionMs: 1_000, jitter: 0 } });
    expect(shares(discovery, 10)).toEqual({ primary: 10 });
    // The primary's process is gone: its connection is refused.
    pickUntil(discovery, 'primary').done({ ok: false, latencyMs: 1, connectionFailed: true });
    expect(idsOf(discovery)).toEqual(['standby']);
    expect(shares(discovery, 10)).toEqual({ standby: 10 });
    // Back from its ejection, the primary takes every call again.
    vi.advanceTimersByTime(1_001);
    expect(shares(discovery, 10)).toEqual({ primary: 10 });
  });

  it('sends calls to the weight-0 standby once every weighted one is ejected, however many they are (not panic)', async () => {
    vi.useFakeTimers();
    for (const id of ['primary-1', 'primary-2']) await registry.register(instance(id));
    await registry.register(instance('standby', { weight: 0 }));
    for (const balancer of ['round-robin', 'p2c-ewma']) {
      const discovery = await discover({ balancer, outlierDetection: { baseEjectionMs: 60_000 } });
      for (const id of ['primary-1', 'primary-2'])
        pickUntil(discovery, id).done({ ok: false, latencyMs: 1, connectionFailed: true });
      // The two ejected primaries counted as 2 of 3 unhealthy: panic, and they took every call but
      // one in 300 with p2c-ewma (two in three with round-robin), each failing, the standby idle.
      expect(idsOf(discovery), balancer).toEqual(['standby']);
      expect(shares(discovery, 30), balancer).toEqual({ standby: 30 });
    }
    // One primary and its standby held only because 1 of 2 is not above the default 0.5.
    const strict = await discover({
      filter: (candidate) => candidate.id !== 'primary-2',
      outlierDetection: { panicThreshold: 0.3, baseEjectionMs: 60_000 },
    });
    pickUntil(strict, 'primary-1').done({ ok: false, latencyMs: 1, connectionFailed: true });
    expect(shares(strict, 30)).toEqual({ standby: 30 });
  });

  it('leaves an ejected instance out when every instance is draining (a fleet-wide drain), unless in panic', async () => {
    vi.useFakeTimers();
    const registrations = [];
    for (const id of ['a', 'b', 'c']) registrations.push(await registry.register(instance(id)));
    const discovery = await discover();
    for (const registration of registrations) await registration.update({ status: 'draining' });
    // a's process is gone: its connection is refused.
    pickUntil(discovery, 'a').done({ ok: false, latencyMs: 1, connectionFailed: true });
    expect(idsOf(discovery)).toEqual(['b', 'c']);
    expect(shares(discovery, 20).a).toBeUndefined();
    // Two of three ejected is above the panic threshold: all three again, as with instances that are up.
    pickUntil(discovery, 'b').done({ ok: false, latencyMs: 1, connectionFailed: true });
    expect(idsOf(discovery)).toEqual(['a', 'b', 'c']);
  });

  it('prefers an up instance of weight 0 to a draining one, and weight 0 still gives way to weight', async () => {
    const parked = await registry.register(instance('parked', { weight: 0 }));
    const leaving = await registry.register(instance('leaving'));
    const discovery = await discover();
    expect(shares(discovery, 10)).toEqual({ leaving: 10 });
    await leaving.update({ status: 'draining' });
    expect(shares(discovery, 10)).toEqual({ parked: 10 });
    expect(idsOf(discovery)).toEqual(['parked']);
    await registry.register(instance('fresh'));
    expect(shares(discovery, 10)).toEqual({ fresh: 10 });
    await parked.update({ status: 'draining' });
    expect(shares(discovery, 10)).toEqual({ fresh: 10 });
  });

  it('filters by version and metadata', async () => {
    await registry.register(instance('old', { version: '1.0.0' }));
    await registry.register(instance('new', { version: '2.0.0', metadata: { track: 'b' } }));
    await registry.register(instance('new-a', { version: '2.0.0', metadata: { track: 'a' } }));
    const discovery = await discover({ filter: { version: '2.0.0', metadata: { track: 'b' } } });
    expect(discovery.instances().map((i) => i.id)).toEqual(['new']);
  });

  it('prefers the caller zone while it has enough healthy capacity, then spills over', async () => {
    vi.useFakeTimers();
    await registry.register(instance('local-1', { zone: 'eu-1a' }));
    await registry.register(instance('local-2', { zone: 'eu-1a' }));
    await registry.register(instance('remote', { zone: 'eu-1b' }));
    const discovery = await discover({ zone: { name: 'eu-1a', minHealthyFraction: 0.6 } });
    expect(Object.keys(shares(discovery, 20)).sort()).toEqual(['local-1', 'local-2']);
    // One local instance fails: 1 of 2 healthy (50 % < 60 %) → spill over to every zone.
    const lease = pickUntil(discovery, 'local-1');
    lease.done({ ok: false, latencyMs: 1, connectionFailed: true });
    expect(Object.keys(shares(discovery, 20)).sort()).toEqual(['local-2', 'remote']);
  });

  it('judges the zone’s capacity for untracked calls over every track when every instance has one', async () => {
    vi.useFakeTimers();
    await registry.register(instance('a1', { zone: 'eu-1a', metadata: { track: 'a' } }));
    for (const id of ['b1', 'b2', 'b3'])
      await registry.register(instance(id, { zone: 'eu-1a', metadata: { track: 'b' } }));
    await registry.register(instance('b4', { zone: 'eu-1b', metadata: { track: 'b' } }));
    const discovery = await discover({ zone: 'eu-1a' });
    for (const id of ['b2', 'b3']) pickUntil(discovery, id).done({ ok: false, latencyMs: 1, connectionFailed: true });
    // Untracked calls go over all five: 2 of the zone's 4 are healthy (50 % < 70 %), so they spill
    // over. Counted by one track's instances (a1 alone: 1 of 1), they stayed on a1 and b1.
    expect(Object.keys(shares(discovery, 40)).sort()).toEqual(['a1', 'b1', 'b4']);
  });

  it('stays in the caller zone while a local instance drains (a rolling restart), as once it has gone', async () => {
    const leaving = await registry.register(instance('local-1', { zone: 'eu-1a' }));
    await registry.register(instance('local-2', { zone: 'eu-1a' }));
    await registry.register(instance('local-3', { zone: 'eu-1a' }));
    await registry.register(instance('remote-1', { zone: 'eu-1b' }));
    await registry.register(instance('remote-2', { zone: 'eu-1b' }));
    const discovery = await discover({ zone: 'eu-1a' });
    await leaving.update({ status: 'draining' });
    expect(Object.keys(shares(discovery, 20)).sort()).toEqual(['local-2', 'local-3']);
    await leaving.deregister();
    expect(Object.keys(shares(discovery, 20)).sort()).toEqual(['local-2', 'local-3']);
  });

  const localShare = (picked: Record<string, number>): number => {
    let local = 0;
    let all = 0;
    for (const [id, count] of Object.entries(picked)) {
      all += count;
      if (id.startsWith('local')) local += count;
    }
    return local / all;
  };

  it('a zone of new instances keeps only the share of calls it has warmed up for', async () => {
    vi.useFakeTimers();
    await registry.register(instance('remote-1', { zone: 'eu-1b' }));
    await registry.register(instance('remote-2', { zone: 'eu-1b' }));
    const discovery = await discover({
      balancer: 'weighted',
      zone: 'eu-1a',
      slowStart: { windowMs: 10_000, minWeightFactor: 0.1 },
    });
    await registry.register(instance('local-new', { zone: 'eu-1a' }));
    // Cold (factor 0.1): a tenth of the calls, not all of them; warm, all of them, with no jump.
    expect(localShare(shares(discovery, 4_000))).toBeCloseTo(0.1, 1);
    vi.advanceTimersByTime(5_000);
    expect(localShare(shares(discovery, 4_000))).toBeCloseTo(0.5, 1);
    vi.advanceTimersByTime(5_500);
    expect(Object.keys(shares(discovery, 20))).toEqual(['local-new']);
  });

  it('a zone restarted at once keeps its warmed-up share however many instances it has', async () => {
    vi.useFakeTimers();
    for (let i = 0; i < 11; i++) await registry.register(instance(`remote-${i}`, { zone: 'eu-1b' }));
    const discovery = await discover({
      balancer: 'weighted',
      zone: 'eu-1a',
      slowStart: { windowMs: 60_000, minWeightFactor: 0.1 },
    });
    for (let i = 0; i < 11; i++) await registry.register(instance(`local-${i}`, { zone: 'eu-1a' }));
    expect(localShare(shares(discovery, 11_000))).toBeCloseTo(0.1, 1);
  });

  it('a new instance beside a warm one: the zone keeps what its warm capacity can take', async () => {
    vi.useFakeTimers();
    await registry.register(instance('local-old', { zone: 'eu-1a' }));
    await registry.register(instance('remote', { zone: 'eu-1b' }));
    const discovery = await discover({
      balancer: 'weighted',
      zone: { name: 'eu-1a', minInstances: 2 },
      slowStart: { windowMs: 10_000, minWeightFactor: 0.1 },
    });
    await registry.register(instance('local-new', { zone: 'eu-1a' }));
    // Worth 1.1 of its 2 instances: 55 % of the calls, the new one a tenth of the old one's.
    const picked = shares(discovery, 10_000);
    expect(localShare(picked)).toBeCloseTo(0.55, 1);
    expect((picked['local-new'] ?? 0) / (picked['local-old'] ?? 1)).toBeCloseTo(0.1, 1);
    vi.advanceTimersByTime(10_500);
    expect(Object.keys(shares(discovery, 20)).sort()).toEqual(['local-new', 'local-old']);
  });

  it("keeps the warming zone's share with the default balancer too, and a key on its side", async () => {
    vi.useFakeTimers();
    for (const id of ['local-old-1', 'local-old-2']) await registry.register(instance(id, { zone: 'eu-1a' }));
    for (const id of ['remote-1', 'remote-2']) await registry.register(instance(id, { zone: 'eu-1b' }));
    const discovery = await discover({
      balancer: 'p2c-ewma',
      zone: 'eu-1a',
      slowStart: { windowMs: 10_000, minWeightFactor: 0.1 },
    });
    await registry.register(instance('local-new', { zone: 'eu-1a' }));
    // Worth 2.1 of 3: 70 % stay. Blended by weight instead, p2c sent a call out whenever both of
    // its random choices fell on the other zone, whatever their weight.
    expect(localShare(shares(discovery, 4_000))).toBeCloseTo(0.7, 1);
    const keyed = new Set<string>();
    for (let i = 0; i < 20; i++) keyed.add(discovery.pick({ key: 'user-42' })?.instance.zone ?? 'none');
    expect(keyed.size).toBe(1);
    // A null key is no key (as pick() takes it), not a TypeError while the zone warms.
    expect(discovery.pick({ key: null as never }).instance).toBeDefined();
    // A retry's fallback (PICK_AMONG, uniform) stays in the zone: drawn over every zone, it left
    // it two times in five here, whatever the warmth.
    const among = (discovery as unknown as Record<symbol, PickAmong>)[Symbol.for('switchyard.discovery.pickAmong')];
    const fallbackZones = new Set<string | undefined>();
    for (let i = 0; i < 40; i++) fallbackZones.add(among?.call(discovery, undefined, () => true)?.instance.zone);
    expect([...fallbackZones]).toEqual(['eu-1a']);
    vi.advanceTimersByTime(10_500);
    expect(localShare(shares(discovery, 200))).toBe(1);
  });

  it('does not keep traffic on ejected local instances when panic brings them back', async () => {
    vi.useFakeTimers();
    await registry.register(instance('local-1', { zone: 'eu-1a' }));
    await registry.register(instance('local-2', { zone: 'eu-1a' }));
    await registry.register(instance('remote', { zone: 'eu-1b' }));
    const discovery = await discover({ zone: 'eu-1a' });
    pickUntil(discovery, 'local-1').done({ ok: false, latencyMs: 1, connectionFailed: true });
    pickUntil(discovery, 'local-2').done({ ok: false, latencyMs: 1, connectionFailed: true });
    // 2 of 3 ejected: panic puts them back in the pool, but the local zone has no healthy
    // instance left, so zone preference must not send everything to the two that just failed.
    expect(idsOf(discovery)).toEqual(['local-1', 'local-2', 'remote']);
    expect(shares(discovery, 30).remote).toBe(10);
  });

  it('ejects on a connection failure, backs off exponentially with jitter, and returns on probation', async () => {
    vi.useFakeTimers();
    await registry.register(instance('a'));
    await registry.register(instance('b'));
    await registry.register(instance('c'));
    const discovery = await discover({
      outlierDetection: { baseEjectionMs: 1_000, maxEjectionMs: 8_000, jitter: 0.1 },
    });
    const ejections: number[] = [];
    discovery.onEjection((event) => ejections.push(event.ejectedForMs));

    pickUntil(discovery, 'a').done({ ok: false, latencyMs: 1, connectionFailed: true });
    expect(discovery.instances().map((i) => i.id)).toEqual(['b', 'c']);
    for (let round = 0; round < 4; round++) {
      vi.advanceTimersByTime(ejections.at(-1) as number);
      expect(idsOf(discovery)).toEqual(['a', 'b', 'c']); // back, on probation
      pickUntil(discovery, 'a').done({ ok: false, latencyMs: 1 }); // any failure on probation ejects again
      expect(discovery.instances().map((i) => i.id)).toEqual(['b', 'c']);
    }
    expect(ejections).toHaveLength(5);
    const bases = [1_000, 2_000, 4_000, 8_000, 8_000];
    ejections.forEach((length, index) => {
      expect(length).toBeGreaterThanOrEqual((bases[index] as number) * 0.9);
      expect(length).toBeLessThanOrEqual((bases[index] as number) * 1.1);
    });
    vi.advanceTimersByTime(8_800);
    pickUntil(discovery, 'a').done({ ok: true, latencyMs: 1 }); // probation passed
    expect(discovery.instances()).toHaveLength(3);
  });

  it('keeps probation through the late success of a call picked before the ejection', async () => {
    vi.useFakeTimers();
    await registry.register(instance('a'));
    await registry.register(instance('b'));
    const discovery = await discover({ outlierDetection: { baseEjectionMs: 1_000, jitter: 0 } });
    const ejections: number[] = [];
    discovery.onEjection((event) => ejections.push(event.ejectedForMs));
    const slow = pickUntil(discovery, 'a');
    pickUntil(discovery, 'a').done({ ok: false, latencyMs: 1, connectionFailed: true });
    vi.advanceTimersByTime(1_500);
    expect(idsOf(discovery)).toEqual(['a', 'b']); // back, on probation
    // The slow call, sent to the instance as it was before its ejection, succeeds only now.
    slow.done({ ok: true, latencyMs: 1_500 });
    pickUntil(discovery, 'a').done({ ok: false, latencyMs: 1 }); // still on probation: ejected again
    expect(ejections).toEqual([1_000, 2_000]);
  });

  it('keeps an ejection, and the backoff behind it, across the instance leaving and coming back under its id', async () => {
    vi.useFakeTimers();
    const a = await registry.register(instance('a'));
    await registry.register(instance('b'));
    const discovery = await discover({
      outlierDetection: { baseEjectionMs: 10_000, maxEjectionMs: 80_000, jitter: 0 },
    });
    const ejections: number[] = [];
    discovery.onEjection((event) => ejections.push(event.ejectedForMs));
    pickUntil(discovery, 'a').done({ ok: false, latencyMs: 1, connectionFailed: true });
    expect(ejections).toEqual([10_000]);
    // It restarts under the same id while ejected: down, then up.
    await a.deregister();
    vi.advanceTimersByTime(2_000);
    const again = await registry.register(instance('a'));
    expect(discovery.instances().map((i) => i.id)).toEqual(['b']);
    expect(shares(discovery, 20)).toEqual({ b: 20 });
    // The ejection ends when it would have: back on probation, so one failure ejects it for twice as long.
    vi.advanceTimersByTime(8_000);
    expect(idsOf(discovery)).toEqual(['a', 'b']);
    pickUntil(discovery, 'a').done({ ok: false, latencyMs: 1 });
    expect(ejections).toEqual([10_000, 20_000]);
    // Gone for longer than maxEjectionMs: the history is forgotten, and it comes back fresh.
    await again.deregister();
    vi.advanceTimersByTime(80_001);
    await registry.register(instance('a'));
    expect(idsOf(discovery)).toEqual(['a', 'b']);
    pickUntil(discovery, 'a').done({ ok: false, latencyMs: 1 }); // not on probation: one ordinary failure is not enough
    expect(idsOf(discovery)).toEqual(['a', 'b']);
  });

  it('ejects after consecutive ordinary failures, not before', async () => {
    vi.useFakeTimers();
    await registry.register(instance('a'));
    await registry.register(instance('b'));
    const discovery = await discover({ outlierDetection: { consecutiveFailures: 3 } });
    pickUntil(discovery, 'a').done({ ok: false, latencyMs: 1 });
    pickUntil(discovery, 'a').done({ ok: false, latencyMs: 1 });
    expect(discovery.instances()).toHaveLength(2);
    pickUntil(discovery, 'a').done({ ok: false, latencyMs: 1 });
    expect(discovery.instances().map((i) => i.id)).toEqual(['b']);
  });

  it('panics when more than half are ejected or draining: spreads over all up instances', async () => {
    vi.useFakeTimers();
    for (const id of ['a', 'b', 'c', 'd']) await registry.register(instance(id));
    const discovery = await discover();
    pickUntil(discovery, 'a').done({ ok: false, latencyMs: 1, connectionFailed: true });
    pickUntil(discovery, 'b').done({ ok: false, latencyMs: 1, connectionFailed: true });
    expect(discovery.instances().map((i) => i.id)).toEqual(['c', 'd']); // exactly half: no panic
    pickUntil(discovery, 'c').done({ ok: false, latencyMs: 1, connectionFailed: true });
    expect(idsOf(discovery)).toEqual(['a', 'b', 'c', 'd']); // 3/4 unhealthy: panic
  });

  it('ramps a new instance up over the slow-start window', async () => {
    vi.useFakeTimers();
    await registry.register(instance('old'));
    const discovery = await discover({ balancer: 'weighted', slowStart: { windowMs: 10_000, minWeightFactor: 0.1 } });
    await registry.register(instance('new'));
    const shareOfNew = (): number => (shares(discovery, 1_100).new ?? 0) / 1_100;
    const early = shareOfNew();
    vi.advanceTimersByTime(5_000);
    const middle = shareOfNew();
    vi.advanceTimersByTime(5_500);
    const late = shareOfNew();
    expect(early).toBeLessThan(0.12);
    expect(middle).toBeGreaterThan(0.25);
    expect(middle).toBeLessThan(0.4);
    expect(late).toBeCloseTo(0.5, 1);
  });

  it('ramps a new instance gradually with the default balancer (p2c-ewma), one call at a time', async () => {
    // p2c-ewma divided each cost by the weight: costs nearly equal (one call at a time), the new
    // instance (factor 0.1: ten times the cost) lost every comparison, 0 % until its window ended.
    vi.useFakeTimers();
    for (const id of ['old-1', 'old-2', 'old-3', 'old-4']) await registry.register(instance(id));
    const discovery = await discover({ balancer: 'p2c-ewma', slowStart: { windowMs: 4_000, minWeightFactor: 0.1 } });
    await registry.register(instance('new'));
    const shareOfNew = (): number => (shares(discovery, 4_000).new ?? 0) / 4_000;
    const seen: number[] = [];
    for (const factor of [0.25, 0.5, 0.75]) {
      vi.advanceTimersByTime(1_000);
      seen.push(shareOfNew());
      // Its share of the weight: its factor against the four warm instances' 1 each.
      expect(Math.abs((seen.at(-1) as number) - factor / (4 + factor)), `at ${factor}: ${seen}`).toBeLessThan(0.03);
    }
    expect(seen[0]).toBeGreaterThan(0);
    expect(seen[1]).toBeGreaterThan(seen[0] as number);
    expect(seen[2]).toBeGreaterThan(seen[1] as number);
    vi.advanceTimersByTime(1_500);
    expect(Math.abs(shareOfNew() - 0.2)).toBeLessThan(0.03);
  });

  it('keeps ramping when a test suite changes clocks in the middle of a ramp', async () => {
    vi.useFakeTimers();
    await registry.register(instance('old'));
    const discovery = await discover({ balancer: 'weighted', slowStart: { windowMs: 10_000, minWeightFactor: 0.1 } });
    await registry.register(instance('new')); // the ramp's timer, on this clock
    vi.useRealTimers(); // drops it
    vi.useFakeTimers();
    await registry.register(instance('newer'));
    vi.advanceTimersByTime(11_000);
    // Ramped: a third each. With the timer left for gone, the picker stayed as first built.
    expect((shares(discovery, 3_000).new ?? 0) / 3_000).toBeCloseTo(1 / 3, 1);
  });

  it('ramps a new instance of weight 1 too (the floor of 1 used to undo the factor)', async () => {
    vi.useFakeTimers();
    await registry.register(instance('old', { weight: 1 }));
    const discovery = await discover({ balancer: 'weighted', slowStart: { windowMs: 10_000, minWeightFactor: 0.1 } });
    await registry.register(instance('new', { weight: 1 }));
    expect((shares(discovery, 1_100).new ?? 0) / 1_100).toBeLessThan(0.12);
  });

  it('keeps the default of an option given as undefined (a plain spread let undefined replace it)', async () => {
    await registry.register(instance('a'));
    const discovery = await discover({
      outlierDetection: { baseEjectionMs: undefined },
      zone: { name: 'z1', minInstances: undefined },
      slowStart: { windowMs: 1_000, minWeightFactor: undefined },
      balancer: p2cEwma({ coldPenaltyMs: undefined }),
    });
    expect(discovery.pick().instance.id).toBe('a');
  });

  it('ready(null) waits like ready() instead of throwing a TypeError', async () => {
    const never = createDiscovery({
      registry: { ...registry, watch: () => new Promise(() => {}) } as never,
      service: 'catalog',
    });
    const outcome = await Promise.race([
      never.ready(null as never).then(
        () => 'resolved',
        (error: Error) => error.message,
      ),
      new Promise((resolve) => setTimeout(() => resolve('pending'), 20)),
    ]);
    expect(outcome).toBe('pending');
    await never.close();
  });

  it('subsets deterministically and evenly across clients', async () => {
    for (let i = 0; i < 30; i++) await registry.register(instance(`i-${String(i).padStart(2, '0')}`));
    const usage = new Map<string, number>();
    for (let clientIndex = 0; clientIndex < 60; clientIndex++) {
      const discovery = await discover({ subset: { size: 5, clientIndex } });
      const again = await discover({ subset: { size: 5, clientIndex } });
      expect(discovery.instances().map((i) => i.id)).toEqual(again.instances().map((i) => i.id));
      expect(discovery.instances()).toHaveLength(5);
      for (const { id } of discovery.instances()) usage.set(id, (usage.get(id) ?? 0) + 1);
    }
    // 60 clients × 5 = 300 slots over 30 instances: exactly 10 each.
    expect([...usage.values()].every((count) => count === 10)).toBe(true);
    expect(usage.size).toBe(30);
  });

  it('draws the subset from instances that are up: draining members are not picked while others are up', async () => {
    const registrations = [];
    for (let i = 0; i < 6; i++) registrations.push(await registry.register(instance(`i${i}`)));
    const discovery = await discover({ subset: { size: 2, clientIndex: 0 } });
    const members = discovery.instances().map((i) => i.id);
    for (const registration of registrations.filter((r) => members.includes(r.instance.id)))
      await registration.update({ status: 'draining' });
    await vi.waitFor(() => expect(discovery.instances().some((i) => members.includes(i.id))).toBe(false));
    for (let i = 0; i < 20; i++) expect(discovery.pick().instance.status).toBe('up');
    expect(discovery.instances()).toHaveLength(2);
  });

  it('draws the subset within each track and each version a split routes to, so every client keeps the shares', async () => {
    for (let i = 0; i < 19; i++)
      await registry.register(instance(`stable-${String(i).padStart(2, '0')}`, { version: '1.0.0' }));
    await registry.register(instance('canary', { version: '2.0.0' }));
    await registry.register(instance('arm-b', { version: '1.0.0', metadata: { track: 'b' } }));
    await registry.setRoute('catalog', { splits: { '1.0.0': 90, '2.0.0': 10 } });
    let canaryPicks = 0;
    for (let clientIndex = 0; clientIndex < 20; clientIndex++) {
      const discovery = await discover({ subset: { size: 4, clientIndex } });
      // Drawn over all 21, most clients' subsets held no canary (they sent it nothing) and no arm
      // (track b's calls went to the control group): the canary took ~2 % of the calls, not 10 %.
      expect(idsOf(discovery)).toContain('canary');
      expect(Object.keys(shares(discovery, 20, { track: 'b' }))).toEqual(['arm-b']);
      expect(idsOf(discovery).filter((id) => id.startsWith('stable-'))).toHaveLength(4);
      canaryPicks += shares(discovery, 500).canary ?? 0;
    }
    expect(canaryPicks / 10_000).toBeGreaterThan(0.08);
    expect(canaryPicks / 10_000).toBeLessThan(0.12);
  });

  it('draws the subset from weighted instances: a weight-0 standby is no member, and stands by for every client', async () => {
    vi.useFakeTimers();
    for (let i = 0; i < 6; i++) await registry.register(instance(`primary-${i}`));
    for (let i = 0; i < 2; i++) await registry.register(instance(`standby-${i}`, { weight: 0 }));
    for (let clientIndex = 0; clientIndex < 12; clientIndex++) {
      const discovery = await discover({ subset: { size: 2, clientIndex } });
      // Drawn with the standbys, a client whose subset was both of them sent them every call while
      // six primaries were up, and one with a standby in it used a single primary.
      expect(Object.keys(shares(discovery, 20)).filter((id) => id.startsWith('primary-'))).toHaveLength(2);
    }
    const discovery = await discover({ subset: { size: 2, clientIndex: 0 } });
    // Ejected members get primaries as stand-ins while any is healthy (see the next test): the
    // standbys take the calls once every primary is ejected.
    for (let round = 0; round < 6; round++) {
      for (const { id } of discovery.instances().filter((i) => i.id.startsWith('primary-')))
        pickUntil(discovery, id).done({ ok: false, latencyMs: 1, connectionFailed: true });
    }
    expect(Object.keys(shares(discovery, 20)).sort()).toEqual(['standby-0', 'standby-1']);
  });

  it('stands in healthy instances for ejected subset members instead of panicking within the subset', async () => {
    vi.useFakeTimers();
    for (let i = 0; i < 20; i++) await registry.register(instance(`i-${String(i).padStart(2, '0')}`));
    const discovery = await discover({ subset: { size: 3, clientIndex: 0 } });
    const members = idsOf(discovery);
    const [dead1, dead2, alive] = members as [string, string, string];
    pickUntil(discovery, dead1).done({ ok: false, latencyMs: 1, connectionFailed: true });
    pickUntil(discovery, dead2).done({ ok: false, latencyMs: 1, connectionFailed: true });
    // Two of three ejected was panic within the subset (2/3 > 0.5): two calls in three went to the
    // dead instances while 17 healthy ones were up.
    const picked = shares(discovery, 300);
    expect(picked[dead1] ?? 0).toBe(0);
    expect(picked[dead2] ?? 0).toBe(0);
    expect(Object.keys(picked)).toHaveLength(3);
    expect(Object.keys(picked)).toContain(alive);
    // The stand-ins are the same in every client with that index: each draws them from its own
    // shuffle, not at random.
    const again = await discover({ subset: { size: 3, clientIndex: 0 } });
    pickUntil(again, dead1).done({ ok: false, latencyMs: 1, connectionFailed: true });
    pickUntil(again, dead2).done({ ok: false, latencyMs: 1, connectionFailed: true });
    expect(idsOf(again)).toEqual(idsOf(discovery));
    // Once the ejections end, the subset is the one it was.
    await vi.advanceTimersByTimeAsync(10_000);
    expect(idsOf(discovery)).toEqual(members);
  });

  it('gives no stand-ins once more than the panic threshold of the group is ejected: panic, not a walk over the fleet', async () => {
    vi.useFakeTimers();
    for (let i = 0; i < 10; i++) await registry.register(instance(`i-${i}`));
    const discovery = await discover({ subset: { size: 3, clientIndex: 0 } });
    const members = idsOf(discovery);
    const ejections: string[] = [];
    discovery.onEjection(({ id }) => ejections.push(id));
    // Every call fails (a fault every instance shares): stand-ins are ejected in turn while at most
    // half of the 10 are; past that the subset is in panic over its own members, as a discovery
    // without subsetting is over the fleet, rather than going on to eject every instance.
    for (let i = 0; i < 300; i++) discovery.pick().done({ ok: false, latencyMs: 1, connectionFailed: true });
    expect(ejections.length).toBeGreaterThan(5);
    expect(ejections.length).toBeLessThanOrEqual(5 + 3);
    expect(Object.keys(shares(discovery, 30)).sort()).toEqual(members);
  });

  it('ready() refuses a bad timeout, and fails at once after close() without a snapshot', async () => {
    const discovery = await discover();
    await expect(discovery.ready({ timeoutMs: 5 })).resolves.toBeUndefined(); // synced: any timeout is fine
    const never = createDiscovery({
      registry: { ...registry, watch: () => new Promise(() => {}) } as never,
      service: 'catalog',
    });
    await expect(never.ready({ timeoutMs: Number.NaN })).rejects.toThrow(/ready.timeoutMs: must be a number/);
    await expect(never.ready({ timeoutMs: -1 })).rejects.toThrow(/ready.timeoutMs/);
    // A waiter whose caller gives up leaves at once, CANCELLED (it used to stay until its timeout).
    const controller = new AbortController();
    const waiting = never.ready({ timeoutMs: 60_000, signal: controller.signal });
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'CANCELLED' });
    expect((never as unknown as { readyWaiters: Set<unknown> }).readyWaiters.size).toBe(0);
    await never.close();
    await expect(never.ready()).rejects.toThrow(/closed before its first snapshot/);
    // pick() says so too: "no snapshot yet (await ready())" read as a start-up race to wait out.
    expect(() => never.pick()).toThrow(/discovery was closed before its first snapshot/);
    expect(() => never.pick()).not.toThrow(/await ready/);
  });

  it('keeps serving the last view while the registry is stale, and says so', async () => {
    await registry.register(instance('a'));
    const fake = staleableRegistry(registry);
    const discovery = createDiscovery({ registry: fake.registry, service: 'catalog' });
    discoveries.push(discovery);
    await discovery.ready();
    const staleChanges: boolean[] = [];
    discovery.onStaleChange((stale) => staleChanges.push(stale));
    fake.goStale();
    expect(discovery.stale).toBe(true);
    expect(discovery.pick().instance.id).toBe('a');
    await fake.resync();
    expect(discovery.stale).toBe(false);
    expect(staleChanges).toEqual([true, false]);
  });

  it('rejects bad options with INVALID_ARGUMENT naming the field', () => {
    const bad: [Partial<DiscoveryOptions>, RegExp][] = [
      [{ balancer: 'nope' }, /balancer: unknown balancer "nope"/],
      [{ subset: { size: 0 } }, /subset.size: must be an integer from 1/],
      [{ service: 'Bad Name' }, /service: must be a DNS label/],
      [{ zone: 'a b' }, /zone.name/],
      [{ outlierDetection: { baseEjectionMs: -5 } }, /outlierDetection.baseEjectionMs/],
      [{ slowStart: { windowMs: 0 } }, /slowStart.windowMs/],
      [{ filter: { versoin: '1' } as never }, /filter.versoin: unknown option/],
      [{ colour: 'red' } as never, /options.colour: unknown option/],
    ];
    for (const [options, message] of bad) {
      expect(() => createDiscovery({ registry, service: 'catalog', ...options })).toThrow(message);
    }
    expect(() => createDiscovery({ registry: {} as never, service: 'catalog' })).toThrow(
      /registry: must be a Registry/,
    );
  });

  it('rejects a balancers option, a filter metadata or a filter version list that cannot work, naming the field', () => {
    const bad: [Partial<DiscoveryOptions>, RegExp][] = [
      [{ balancers: {} as never }, /balancers: must be a BalancerRegistry/],
      [{ balancers: 'builtin' as never }, /balancers: must be a BalancerRegistry/],
      [{ filter: { metadata: 'track=blue' as never } }, /filter.metadata: must be an object/],
      [{ filter: { metadata: ['track'] as never } }, /filter.metadata: must be an object/],
      [{ filter: { version: [] } }, /filter.version: must name at least one version/],
    ];
    for (const [options, message] of bad) {
      expect(() => createDiscovery({ registry, service: 'catalog', ...options }), String(message)).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(message) }),
      );
    }
  });

  it('rejects an empty key for sticky balancing', async () => {
    await registry.register(instance('a'));
    const discovery = await discover({ balancer: 'ring-hash' });
    expect(() => discovery.pick({ key: '' })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'key' }),
    );
    expect(discovery.pick({ key: 'user-1' }).instance.id).toBe('a');
  });

  it('counts a lease once even if done is called twice', async () => {
    await registry.register(instance('a'));
    const discovery = await discover({ balancer: 'least-outstanding' });
    const lease = discovery.pick();
    lease.done({ ok: false, latencyMs: 1 });
    lease.done({ ok: false, latencyMs: 1 });
    expect(discovery.instances()).toHaveLength(1);
  });
});

describe('lease.done with a bad outcome', () => {
  it('clamps a NaN or infinite latency, so p2c-ewma still steers away from a slow instance', async () => {
    await registry.register(instance('a'));
    await registry.register(instance('b'));
    const discovery = await discover({ balancer: 'p2c-ewma', outlierDetection: false });
    // A NaN sample used to stay in a's average for good, and p2c's comparison with NaN is always
    // false: a then won every draw it was part of, however slow it became.
    pickUntil(discovery, 'a').done({ ok: true, latencyMs: Number.NaN });
    const picks: Record<string, number> = { a: 0, b: 0 };
    for (let i = 0; i < 400; i++) {
      const lease = discovery.pick();
      picks[lease.instance.id] = (picks[lease.instance.id] ?? 0) + 1;
      lease.done({ ok: true, latencyMs: lease.instance.id === 'a' ? 200 : 1 });
    }
    expect(picks.a).toBeLessThan(100);
    pickUntil(discovery, 'b').done({ ok: true, latencyMs: Number.POSITIVE_INFINITY });
    expect(() => discovery.pick().done({ ok: true, latencyMs: -1 })).not.toThrow();
  });

  it('names the outcome when it is not one, and still ends the call', async () => {
    await registry.register(instance('a'));
    const discovery = await discover({ balancer: 'least-outstanding' });
    const lease = discovery.pick();
    expect(() => lease.done(undefined as never)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'outcome' }),
    );
    // Its load was released: a second pick of the only instance starts from zero outstanding.
    expect(() => lease.done({ ok: true, latencyMs: 1 })).not.toThrow();
  });
});

function pickUntil(discovery: Discovery, id: string) {
  for (let i = 0; i < 1_000; i++) {
    const lease = discovery.pick();
    if (lease.instance.id === id) return lease;
    lease.done({ ok: true, latencyMs: 1 });
  }
  throw new Error(`never picked ${id}`);
}

/** Wraps a registry so a test can inject `stale` and a resync snapshot into its watches. */
function staleableRegistry(inner: MemoryRegistry) {
  const listeners: RegistryListener[] = [];
  return {
    registry: {
      ...inner,
      register: inner.register.bind(inner),
      list: inner.list.bind(inner),
      services: inner.services.bind(inner),
      setRoute: inner.setRoute.bind(inner),
      getRoute: inner.getRoute.bind(inner),
      close: inner.close.bind(inner),
      watch: async (service: string, listener: RegistryListener) => {
        listeners.push(listener);
        return inner.watch(service, listener);
      },
    },
    goStale: () => {
      for (const listener of listeners) listener({ type: 'stale', error: new RegistryUnavailableError('down') });
    },
    /** A resync snapshot: as from Redis, every instance a new object, whether or not it changed. */
    resync: async () => {
      const instances = (await inner.list('catalog')).map((listed) => ({ ...listed }));
      for (const listener of listeners) listener({ type: 'snapshot', instances });
    },
  };
}

describe('allowedHosts', () => {
  it('ignores instances pointing outside the allow-list, with a warning, and validates the list', async () => {
    const warnings: unknown[] = [];
    const logger = { debug() {}, info() {}, error() {}, warn: (fields: unknown) => warnings.push(fields) };
    await registry.register(instance('inside-ip', { host: '10.1.2.3' }));
    await registry.register(instance('inside-name', { host: 'catalog-0.catalog.shop.svc.cluster.local' }));
    await registry.register(instance('outside', { host: 'attacker.example.com' }));
    await registry.register(instance('outside-ip', { host: '192.168.7.7' }));
    const discovery = await discover({ allowedHosts: ['10.0.0.0/8', '*.svc.cluster.local'], logger } as never);
    expect(idsOf(discovery)).toEqual(['inside-ip', 'inside-name']);
    expect(warnings).toHaveLength(2);
    expect(() => createDiscovery({ registry, service: 'catalog', allowedHosts: ['10.0.0.0/40'] })).toThrow(
      /allowedHosts\[0\]: must be an IPv4 CIDR/,
    );
    expect(() => createDiscovery({ registry, service: 'catalog', allowedHosts: [] })).toThrow(
      /allowedHosts: must be a non-empty array/,
    );
  });
});

describe('allowedHosts CIDR entries', () => {
  it('refuses a CIDR whose prefix length is missing or malformed, rather than reading it as /0 (every IPv4 host)', async () => {
    for (const entry of ['10.0.0.0/', '10.0.0.0/8/9', '10.0.0.0/ 8', '10.0.0.0/0x8', '10.0.0.0/8.0']) {
      expect(() => createDiscovery({ registry, service: 'catalog', allowedHosts: [entry] }), entry).toThrow(
        /allowedHosts\[0\]: must be an IPv4 CIDR/,
      );
    }
    // The well-formed ones still work, /0 included when written out.
    await registry.register(instance('outside-ip', { host: '192.168.7.7' }));
    expect(idsOf(await discover({ allowedHosts: ['10.0.0.0/8'] }))).toEqual([]);
    expect(idsOf(await discover({ allowedHosts: ['0.0.0.0/0'] }))).toEqual(['outside-ip']);
  });
});

describe('a registry closed under a discovery', () => {
  it('marks the view stale instead of serving it as fresh for good, and keeps serving it', async () => {
    await registry.register(instance('a'));
    const discovery = await discover();
    const changes: boolean[] = [];
    discovery.onStaleChange((stale) => changes.push(stale));
    await registry.close();
    expect(discovery.stale).toBe(true);
    expect(changes).toEqual([true]);
    expect(discovery.pick().instance.id).toBe('a');
  });
});

describe('the healthy view after close()', () => {
  it('a lease that fails after close() ejects nothing: no event, no rebuild, no ejection logged', async () => {
    await registry.register(instance('a'));
    await registry.register(instance('b'));
    const { warnings, logger } = warningsLogger();
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

describe('outlierDetection.maxEjectionShare counts only ejected instances in rotation', () => {
  it('frees the cap when an ejected instance starts draining or is filtered out', async () => {
    const registrations = [];
    for (let i = 0; i < 10; i++) registrations.push(await registry.register(instance(`i${i}`, { version: '1.0.0' })));
    const discovery = await discover({
      filter: { version: '1.0.0' },
      outlierDetection: { maxEjectionShare: 0.1, jitter: 0 },
    });
    const ejections: string[] = [];
    discovery.onEjection((event) => ejections.push(event.id));
    const fail = (id: string) => pickUntil(discovery, id).done({ ok: false, latencyMs: 1, connectionFailed: true });
    fail('i0');
    fail('i1'); // 2 of 10 would be 20 %: stays in rotation
    expect(ejections).toEqual(['i0']);
    // i0, still ejected, starts draining: out of rotation, it no longer uses up the cap.
    await registrations[0]?.update({ status: 'draining' });
    fail('i1');
    expect(ejections).toEqual(['i0', 'i1']);
    // i1, still ejected, changes version and is filtered out: the same.
    await registrations[1]?.update({ version: '2.0.0' });
    fail('i2');
    expect(ejections).toEqual(['i0', 'i1', 'i2']);
    expect(idsOf(discovery)).toEqual(['i3', 'i4', 'i5', 'i6', 'i7', 'i8', 'i9']);
    // The cap still holds among those in rotation.
    fail('i3');
    expect(ejections).toEqual(['i0', 'i1', 'i2']);
  });
});

describe('lease.done({ notSent: true })', () => {
  it('frees the slot and counts nothing against the instance', async () => {
    await registry.register(instance('a'));
    await registry.register(instance('b'));
    const discovery = await discover({ outlierDetection: { consecutiveConnectionFailures: 1 } });
    const ejections: string[] = [];
    discovery.onEjection((event) => ejections.push(event.id));
    for (let i = 0; i < 3; i++) {
      pickUntil(discovery, 'a').done({ ok: false, latencyMs: 1, connectionFailed: true, notSent: true });
    }
    expect(ejections).toEqual([]);
    expect(idsOf(discovery)).toEqual(['a', 'b']);
    pickUntil(discovery, 'a').done({ ok: false, latencyMs: 1, connectionFailed: true });
    expect(ejections).toEqual(['a']);
  });
});

describe('a registry that refuses the watch for good', () => {
  function recordingLogger() {
    const lines: { level: string; message?: string }[] = [];
    const at =
      (level: string) =>
      (_fields: unknown, message?: string): void => {
        lines.push({ level, message });
      };
    return { lines, logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } };
  }

  it('surfaces INVALID_ARGUMENT from watch() through ready() and pick(), never as an unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on('unhandledRejection', onUnhandled);
    try {
      const { InvalidArgumentError } = await import('@switchyard/core');
      const custom = {
        ...registry,
        watch: async () => {
          throw new InvalidArgumentError('service', 'is not served by this registry');
        },
      };
      const { lines, logger } = recordingLogger();
      const discovery = createDiscovery({ registry: custom as never, service: 'catalog', logger });
      discoveries.push(discovery);
      const error = (await discovery.ready({ timeoutMs: 2_000 }).catch((e: unknown) => e)) as Error & { code?: string };
      expect(error.code).toBe('INVALID_ARGUMENT');
      expect(error.message).toMatch(/not served by this registry/);
      expect(() => discovery.pick()).toThrow(/not served by this registry/);
      expect(discovery.stale).toBe(true);
      expect(lines.filter((line) => line.level === 'error')).toHaveLength(1);
      // Node reports an unhandled rejection once the microtask queue has drained.
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setTimeout(resolve, 0));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('fails fast on a registry that is already closed: ready() rejects, no retries, no warning every second', async () => {
    vi.useFakeTimers();
    await registry.close();
    let watches = 0;
    const counting = {
      ...registry,
      watch: (...args: Parameters<MemoryRegistry['watch']>) => {
        watches++;
        return registry.watch(...args);
      },
    };
    const { lines, logger } = recordingLogger();
    const discovery = createDiscovery({ registry: counting as never, service: 'catalog', logger });
    discoveries.push(discovery);
    const ready = discovery.ready({ timeoutMs: 5_000 }).catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(10_000);
    const error = (await ready) as Error & { code?: string };
    expect(error.code).toBe('REGISTRY_UNAVAILABLE');
    expect(error.message).toMatch(/registry is closed/);
    expect(watches).toBe(1);
    expect(lines.filter((line) => line.level === 'warn')).toEqual([]);
    await expect(discovery.ready()).rejects.toThrow(/registry is closed/);
    expect(() => discovery.pick()).toThrow(/registry is closed/);
  });
});

describe('onChange listeners that pick', () => {
  it('leave every listener with the current view when a pick from a listener ejects an instance', async () => {
    await registry.register(instance('a'));
    const discovery = await discover();
    // The first listener probes a newcomer at once, and the probe is refused: the newcomer is
    // ejected from inside the listener, while the view with it is still being told.
    let probed = false;
    discovery.onChange(() => {
      if (probed) return;
      probed = true;
      pickUntil(discovery, 'b').done({ ok: false, latencyMs: 1, connectionFailed: true });
    });
    const told: string[][] = [];
    discovery.onChange((view) => told.push(view.map((i) => i.id).sort()));
    await registry.register(instance('b'));
    expect(idsOf(discovery)).toEqual(['a']);
    // The last view a listener heard is the view: it used to hear ['a'] and then ['a', 'b'].
    expect(told.at(-1)).toEqual(['a']);
  });
});

describe('pick(null)', () => {
  it('is a pick without arguments: INVALID_ARGUMENT naming key for maglev (it was a raw TypeError), a plain pick otherwise', async () => {
    await registry.register(instance('a'));
    await registry.register(instance('b', { metadata: { track: 'beta' } }));
    const sticky = await discover({ balancer: 'maglev' });
    expect(() => sticky.pick(null as never)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'key' }),
    );
    // With a track in the fleet, pick() reads the args' track.
    const plain = await discover();
    const lease = plain.pick(null as never);
    expect(lease.instance.id).toBe('a');
    lease.done({ ok: true, latencyMs: 1 });
  });
});

describe('pickWithPort', () => {
  it('picks past instances without the port, unblamed, and names the port when none has it', async () => {
    await registry.register(instance('grpc-only'));
    await registry.register(instance('web-only', { ports: { http: 8080 } }));
    for (const balancer of ['p2c-ewma', 'least-outstanding', 'round-robin', 'random']) {
      const discovery = await discover({ balancer });
      const ejected: string[] = [];
      discovery.onEjection(({ id }) => ejected.push(id));
      for (let call = 0; call < 50; call++) {
        let lease = discovery.pick();
        if (lease.instance.ports.grpc === undefined) lease = pickWithPort(discovery, undefined, 'grpc', lease);
        expect(lease.instance.id, balancer).toBe('grpc-only');
        lease.done({ ok: true, latencyMs: 1 });
      }
      expect(ejected, balancer).toEqual([]);
    }
    const sticky = await discover({ balancer: 'maglev' });
    // A key routes to one instance every time: none has a "thrift" port.
    const lease = sticky.pick({ key: 'k' });
    expect(() => pickWithPort(sticky, { key: 'k' }, 'thrift', lease)).toThrow(
      expect.objectContaining({ code: 'NO_INSTANCES', message: expect.stringMatching(/"thrift" port/) }),
    );
  });
  it("goes to another zone's instance with the port when no instance of the caller's zone has it", async () => {
    // The local zone's only instance was registered without the gRPC port (a registration
    // mistake): it is healthy capacity for zone preference, but nothing can be sent to it.
    await registry.register(instance('local-web', { zone: 'eu-1a', ports: { http: 8080 } }));
    await registry.register(instance('remote', { zone: 'eu-1b' }));
    for (const balancer of ['p2c-ewma', 'round-robin']) {
      const discovery = await discover({ balancer, zone: 'eu-1a' });
      for (let call = 0; call < 20; call++) {
        let lease = discovery.pick();
        expect(lease.instance.id).toBe('local-web');
        lease = pickWithPort(discovery, undefined, 'grpc', lease);
        expect(lease.instance.id, balancer).toBe('remote');
        lease.done({ ok: true, latencyMs: 1 });
      }
    }
  });
});

describe('onChange', () => {
  it('tells a change of the healthy view only: not slow-start ticks, nor a registry event that changes nothing in it', async () => {
    vi.useFakeTimers();
    await registry.register(instance('old'));
    const flaky = staleableRegistry(registry);
    const discovery = await discover({
      registry: flaky.registry,
      balancer: 'weighted',
      slowStart: { windowMs: 10_000 },
    });
    const told: string[][] = [];
    discovery.onChange((view) => told.push(view.map((i) => i.id).sort()));
    await registry.register(instance('new'));
    expect(told).toEqual([['new', 'old']]);
    const viewBefore = discovery.instances();
    // The ramp rebuilds the pickers every 500 ms for 10 s: the view itself stays the same.
    vi.advanceTimersByTime(11_000);
    expect(told).toEqual([['new', 'old']]);
    expect(discovery.instances()).toBe(viewBefore);
    // A periodic resync that finds nothing new changes nothing, though every instance is a new object.
    await flaky.resync();
    expect(told).toHaveLength(1);
    expect(discovery.instances()).toBe(viewBefore);
    // What does change is told: an update, an ejection, an arrival.
    await registry.register(instance('new', { weight: 50 }));
    expect(told).toHaveLength(2);
    pickUntil(discovery, 'new').done({ ok: false, latencyMs: 1, connectionFailed: true });
    expect(told.at(-1)).toEqual(['old']);
    await registry.register(instance('gone'));
    expect(told.at(-1)).toEqual(['gone', 'old']);
  });
});

describe('a registry that comes back after an outage', () => {
  it('tells onStaleChange listeners only once the view is the resynced one', async () => {
    await registry.register(instance('a'));
    // Events stop reaching the discovery during the outage (as when Redis is unreachable).
    const listeners: RegistryListener[] = [];
    let down = false;
    const flaky = {
      ...registry,
      register: registry.register.bind(registry),
      list: registry.list.bind(registry),
      services: registry.services.bind(registry),
      setRoute: registry.setRoute.bind(registry),
      getRoute: registry.getRoute.bind(registry),
      close: registry.close.bind(registry),
      watch: (service: string, listener: RegistryListener) => {
        listeners.push(listener);
        return registry.watch(service, (event) => {
          if (!down) listener(event);
        });
      },
    };
    const discovery = createDiscovery({ registry: flaky, service: 'catalog' });
    discoveries.push(discovery);
    await discovery.ready();
    down = true;
    for (const listener of listeners) listener({ type: 'stale', error: new RegistryUnavailableError('down') });
    // Meanwhile `a` is replaced by `b`, unseen.
    const b = await registry.register(instance('b'));
    await (await registry.register(instance('a'))).deregister();
    expect(idsOf(discovery)).toEqual(['a']);
    const heard: { stale: boolean; ids: string[]; picked: string }[] = [];
    discovery.onStaleChange((stale) =>
      heard.push({ stale, ids: idsOf(discovery), picked: discovery.pick().instance.id }),
    );
    down = false;
    const instances = await registry.list('catalog');
    for (const listener of listeners) listener({ type: 'snapshot', instances });
    // "Fresh again" used to be told before the view was rebuilt: a listener saw the gone `a`.
    expect(heard).toEqual([{ stale: false, ids: ['b'], picked: 'b' }]);
    await b.deregister();
  });
});

describe('a filter that throws for some instances', () => {
  it('leaves those instances out, with a warning, instead of freezing the view (ready() never resolved)', async () => {
    const { warnings, logger } = warningsLogger();
    await registry.register(instance('gold', { metadata: { tier: 'gold-1' } }));
    // Registered without the label the filter reads: `instance.metadata.tier` is undefined.
    await registry.register(instance('unlabelled'));
    // The first snapshot arrives after ready() is called, as from Redis (a MemoryRegistry hands it
    // over inside createDiscovery()).
    const later = {
      ...registry,
      watch: async (service: string, listener: RegistryListener) => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        return registry.watch(service, listener);
      },
    } as unknown as MemoryRegistry;
    const discovery = createDiscovery({
      registry: later,
      service: 'catalog',
      balancer: 'round-robin',
      logger,
      filter: (candidate) => (candidate.metadata.tier as string).startsWith('gold'),
    });
    discoveries.push(discovery);
    await discovery.ready({ timeoutMs: 1_000 });
    expect(idsOf(discovery)).toEqual(['gold']);
    // Later changes still reach the view.
    await registry.register(instance('gold-2', { metadata: { tier: 'gold-2' } }));
    expect(idsOf(discovery)).toEqual(['gold', 'gold-2']);
    // Warned once per instance, not at every rebuild.
    expect(warnings.filter((message) => /filter threw/.test(message))).toHaveLength(1);
  });
});

describe('listeners that throw', () => {
  it('are logged with the event they were told, not dropped without a word', async () => {
    const errors: { fields: unknown; message?: string }[] = [];
    const logger = {
      debug() {},
      info() {},
      warn() {},
      error: (fields: unknown, message?: string) => errors.push({ fields, message }),
    };
    await registry.register(instance('a'));
    const discovery = await discover({ logger });
    const failure = new Error('listener bug');
    discovery.onChange(() => {
      throw failure;
    });
    let toldAfter = 0;
    discovery.onChange(() => toldAfter++);
    await registry.register(instance('b'));
    expect(toldAfter).toBe(1); // the others are still told
    expect(errors).toEqual([
      {
        fields: expect.objectContaining({ err: failure, service: 'catalog' }),
        message: expect.stringMatching(/onChange listener threw/),
      },
    ]);
  });
});

describe('slow start of an instance that warms up (registered draining, then up)', () => {
  it('ramps from when it turns up, not from its registration', async () => {
    vi.useFakeTimers();
    await registry.register(instance('old'));
    const discovery = await discover({ balancer: 'weighted', slowStart: { windowMs: 10_000, minWeightFactor: 0.1 } });
    // startService({ ready: false }): registered draining while it loads its caches...
    const warming = await registry.register(instance('new', { status: 'draining' }));
    vi.advanceTimersByTime(30_000); // ...for longer than the window
    await warming.update({ status: 'up' }); // service.markReady()
    // Cold, it gets the start of a ramp, not half the traffic at once.
    expect((shares(discovery, 1_100).new ?? 0) / 1_100).toBeLessThan(0.12);
    vi.advanceTimersByTime(10_500);
    expect((shares(discovery, 1_100).new ?? 0) / 1_100).toBeCloseTo(0.5, 1);
  });

  it('ramps a new process registered under the id at another address (a restarted pod), as after an expiry', async () => {
    vi.useFakeTimers();
    await registry.register(instance('old'));
    await registry.register(instance('pod-0', { host: '10.0.0.1' }));
    const discovery = await discover({ balancer: 'weighted', slowStart: { windowMs: 10_000, minWeightFactor: 0.1 } });
    vi.advanceTimersByTime(30_000);
    // Its process restarts and registers the same id at its new address before the old entry
    // expired: an update, not down + up. Cold, it took half the traffic at once.
    await registry.register(instance('pod-0', { host: '10.0.0.2' }));
    expect((shares(discovery, 1_100)['pod-0'] ?? 0) / 1_100).toBeLessThan(0.12);
    vi.advanceTimersByTime(10_500);
    expect((shares(discovery, 1_100)['pod-0'] ?? 0) / 1_100).toBeCloseTo(0.5, 1);
    // A change that is not a new process (its weight, its metadata) starts no ramp.
    await registry.register(instance('pod-0', { host: '10.0.0.2', metadata: { build: '2' } }));
    expect((shares(discovery, 1_100)['pod-0'] ?? 0) / 1_100).toBeCloseTo(0.5, 1);
  });

  it('ramps an instance of the first snapshot that was still warming up, too', async () => {
    vi.useFakeTimers();
    await registry.register(instance('old'));
    const warming = await registry.register(instance('new', { status: 'draining' }));
    const discovery = await discover({ balancer: 'weighted', slowStart: { windowMs: 10_000, minWeightFactor: 0.1 } });
    await warming.update({ status: 'up' });
    expect((shares(discovery, 1_100).new ?? 0) / 1_100).toBeLessThan(0.12);
  });
});

/** A logger that keeps the messages of its warnings, and drops everything else. */
function warningsLogger(): { warnings: string[]; logger: Logger } {
  const warnings: string[] = [];
  const logger = { ...silentLogger, warn: (_fields: unknown, message?: string) => void warnings.push(String(message)) };
  return { warnings, logger };
}
