import { createCanaryController, createDiscovery, type Discovery } from '@switchyard/discovery';
import { MemoryRegistry, type Registration } from '@switchyard/registry';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

let registry: MemoryRegistry;
let discovery: Discovery;
const registrations = new Map<string, Registration>();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeEach(async () => {
  registry = new MemoryRegistry();
  for (const [id, version] of [
    ['stable-1', '1.4.0'],
    ['canary-1', '1.5.0'],
  ] as const) {
    registrations.set(
      id,
      await registry.register({ id, service: 'catalog', version, host: '127.0.0.1', ports: { grpc: 1 } }),
    );
  }
  discovery = createDiscovery({ registry, service: 'catalog', outlierDetection: false });
  await discovery.ready();
});
afterEach(async () => {
  await discovery.close();
  await registry.close();
});

function traffic(calls: number): void {
  for (let i = 0; i < calls; i++) discovery.pick().done({ ok: true, latencyMs: 5 });
}

describe('canary promotion and discovery edge cases (found in review)', () => {
  it('a failed route write during promotion retries the same ramp step, never skips one', async () => {
    const canary = createCanaryController({
      registry,
      discovery,
      stable: '1.4.0',
      canary: '1.5.0',
      steps: [5, 25, 50, 100],
      minCalls: 1,
      windowMs: 3_600_000,
    });
    await canary.start();
    expect(canary.percent).toBe(5);
    await sleep(20); // let the route reach discovery
    traffic(2_000);
    // The registry blips while the controller writes the 25 % rule.
    const setRoute = registry.setRoute.bind(registry);
    registry.setRoute = () => Promise.reject(new Error('registry unavailable'));
    await expect(canary.evaluate()).rejects.toThrow('registry unavailable');
    expect(canary.percent).toBe(5);
    registry.setRoute = setRoute;
    traffic(2_000);
    const decision = await canary.evaluate();
    expect(decision.action).toBe('promote');
    // 5 % was never followed by 25 %: the failed attempt already advanced the step.
    expect(decision.percent).toBe(25);
    canary.stop();
  });

  it('ready() timeouts, bad timeouts and close() with pending waiters', async () => {
    const silent = {
      watch: async () => async () => {},
      list: async () => [],
      services: async () => [],
      register: async () => {
        throw new Error('no');
      },
      close: async () => {},
    } as never;
    const d = createDiscovery({ registry: silent, service: 'catalog' });
    await expect(d.ready({ timeoutMs: 20 })).rejects.toMatchObject({ code: 'REGISTRY_UNAVAILABLE' });
    await expect(d.ready({ timeoutMs: -1 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(d.ready({ timeoutMs: Number.NaN })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    const pending = d.ready();
    const pending2 = d.ready({ timeoutMs: 10_000 });
    await d.close();
    await expect(pending).rejects.toMatchObject({ code: 'REGISTRY_UNAVAILABLE' });
    await expect(pending2).rejects.toMatchObject({ code: 'REGISTRY_UNAVAILABLE' });
    expect(() => d.pick()).toThrow(expect.objectContaining({ code: 'NO_INSTANCES' }));
  });

  it('start() called twice at once starts one controller: stop() leaves no listener or timer behind', async () => {
    let subscriptions = 0;
    const counted =
      <T>(event: Discovery['onChange'] | Discovery['onEjection']) =>
      (listener: (value: T) => void) => {
        subscriptions++;
        const subscription = (event as (listener: (value: T) => void) => { dispose(): void })(listener);
        return {
          dispose() {
            subscriptions--;
            subscription.dispose();
          },
        };
      };
    const watched = Object.assign(Object.create(discovery) as Discovery, {
      onChange: counted(discovery.onChange),
      onEjection: counted(discovery.onEjection),
    });
    const canary = createCanaryController({ registry, discovery: watched, stable: '1.4.0', canary: '1.5.0' });
    const timers = vi.spyOn(globalThis, 'setInterval');
    try {
      await Promise.all([canary.start(), canary.start()]);
      expect(canary.state).toBe('running');
      expect(timers).toHaveBeenCalledTimes(1); // two windows' timers judged every window twice
      canary.stop();
      expect(subscriptions).toBe(0);
    } finally {
      for (const result of timers.mock.results) clearInterval(result.value as NodeJS.Timeout);
      timers.mockRestore();
    }
  });

  it('rejects a missing or wrong registry or discovery as INVALID_ARGUMENT naming it, not a TypeError later', async () => {
    const versions = { stable: '1.4.0', canary: '1.5.0' };
    const cases: [Record<string, unknown>, string][] = [
      [{ ...versions, discovery }, 'registry'],
      [{ ...versions, registry: {}, discovery }, 'registry'],
      [{ ...versions, registry }, 'discovery'],
      [{ ...versions, registry, discovery: { service: 'catalog' } }, 'discovery'],
    ];
    for (const [options, field] of cases) {
      let error: unknown;
      try {
        // (A controller that gets made anyway must fail its start() the same way.)
        await createCanaryController(options as never).start();
      } catch (caught) {
        error = caught;
      }
      expect(error, field).toMatchObject({ code: 'INVALID_ARGUMENT', field });
    }
    expect(await registry.getRoute('catalog')).toBeUndefined();
  });

  it('a lease done twice counts once (least-outstanding)', async () => {
    const d = createDiscovery({ registry, service: 'catalog', balancer: 'least-outstanding', outlierDetection: false });
    await d.ready();
    const a = d.pick();
    a.done({ ok: true, latencyMs: 1 });
    a.done({ ok: true, latencyMs: 1 });
    const b = d.pick();
    const c = d.pick();
    expect(b.instance.id).not.toBe(c.instance.id);
    b.done({ ok: true, latencyMs: 1 });
    c.done({ ok: true, latencyMs: 1 });
    await d.close();
  });

  it('rolls back a canary whose instances have all left, at the second evaluation without one', async () => {
    const canary = createCanaryController({
      registry,
      discovery,
      stable: '1.4.0',
      canary: '1.5.0',
      minCalls: 1,
      windowMs: 3_600_000,
    });
    await canary.start();
    await sleep(20); // let the route reach discovery
    // The canary's only instance goes (a crash loop, a scale-down): before, the controller held
    // its 5 % for good, "too few canary calls to judge".
    await registrations.get('canary-1')?.deregister();
    await waitUntil(() => !discovery.instances().some((instance) => instance.version === '1.5.0'));
    traffic(200);
    expect((await canary.evaluate()).action).toBe('hold'); // one evaluation: it may be restarting
    traffic(200);
    const decision = await canary.evaluate();
    expect(decision).toMatchObject({ action: 'rollback', percent: 0 });
    expect(decision.reason).toMatch(/no live instance of version 1\.5\.0/);
    expect(canary.state).toBe('rolled-back');
  });

  it('stop() while start() writes the first rule leaves it stopped, judging nothing', async () => {
    const canary = createCanaryController({ registry, discovery, stable: '1.4.0', canary: '1.5.0' });
    const timers = vi.spyOn(globalThis, 'setInterval');
    try {
      const started = canary.start();
      canary.stop(); // the first rule's write is still under way
      await started;
      // Before, it went on to start its timer and judge windows after being told to stop.
      expect(canary.state).toBe('stopped');
      expect(timers).not.toHaveBeenCalled();
    } finally {
      for (const result of timers.mock.results) clearInterval(result.value as NodeJS.Timeout);
      timers.mockRestore();
    }
  });
});

async function waitUntil(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await sleep(5);
  expect(condition()).toBe(true);
}

describe('canary controller and rules written by others (found in review)', () => {
  it('does not promote over a rule someone else wrote since its last step (an operator aborting the canary)', async () => {
    const canary = createCanaryController({
      registry,
      discovery,
      stable: '1.4.0',
      canary: '1.5.0',
      minCalls: 20,
      windowMs: 3_600_000,
    });
    await canary.start();
    await sleep(20); // let the 5 % rule reach discovery
    traffic(2_000); // a healthy first half-window: plenty of canary calls to judge
    // The operator aborts the release by hand (or another controller rolled it back) before the
    // window ends. The controller judged the window's calls healthy and wrote its next step,
    // 75/25, over the abort: the canary came back at five times the share it had.
    await registry.setRoute('catalog', { splits: { '1.4.0': 100, '1.5.0': 0 } });
    const decision = await canary.evaluate();
    expect(decision.action).toBe('hold');
    expect(decision.reason).toMatch(/changed outside this controller/);
    expect(canary.state).toBe('stopped');
    expect(await registry.getRoute('catalog')).toEqual({ splits: { '1.4.0': 100, '1.5.0': 0 } });
  });
});

describe('canary rollback while the registry is unavailable (found in review)', () => {
  it('keeps a rollback the registry refused and writes it at the next evaluation, evidence or not', async () => {
    const canary = createCanaryController({
      registry,
      discovery,
      stable: '1.4.0',
      canary: '1.5.0',
      minCalls: 20,
      windowMs: 3_600_000,
    });
    await canary.start();
    await sleep(20);
    for (let i = 0; i < 2_000; i++) {
      const lease = discovery.pick();
      lease.done({ ok: lease.instance.version !== '1.5.0', latencyMs: 5 }); // the canary fails every call
    }
    const setRoute = registry.setRoute.bind(registry);
    registry.setRoute = () => Promise.reject(new Error('registry unavailable'));
    await expect(canary.evaluate()).rejects.toThrow('registry unavailable');
    registry.setRoute = setRoute;
    // Redis is back; this window's calls have not come yet (or went elsewhere). The rollback was
    // decided on the last window's evidence: it used to be forgotten with that window, and the
    // failing canary kept its share until a new window proved it bad again (held, on too few calls).
    const decision = await canary.evaluate();
    expect(decision.action).toBe('rollback');
    expect(decision.reason).toMatch(/error rate 100\.0 %/);
    expect(canary.state).toBe('rolled-back');
    expect(await registry.getRoute('catalog')).toEqual({ splits: { '1.4.0': 100, '1.5.0': 0 } });
  });

  it('retries a refused rollback soon, not a whole window later', async () => {
    vi.useFakeTimers();
    try {
      const canary = createCanaryController({
        registry,
        discovery,
        stable: '1.4.0',
        canary: '1.5.0',
        minCalls: 20,
        windowMs: 60_000,
      });
      await canary.start();
      await vi.advanceTimersByTimeAsync(10);
      for (let i = 0; i < 2_000; i++) {
        const lease = discovery.pick();
        lease.done({ ok: lease.instance.version !== '1.5.0', latencyMs: 5 });
      }
      const setRoute = registry.setRoute.bind(registry);
      registry.setRoute = () => Promise.reject(new Error('registry unavailable'));
      await vi.advanceTimersByTimeAsync(60_000); // the window ends: rollback decided, write refused
      expect(canary.state).toBe('running');
      registry.setRoute = setRoute;
      await vi.advanceTimersByTimeAsync(5_000);
      expect(canary.state).toBe('rolled-back');
      expect(await registry.getRoute('catalog')).toEqual({ splits: { '1.4.0': 100, '1.5.0': 0 } });
    } finally {
      vi.useRealTimers();
    }
  });
});
