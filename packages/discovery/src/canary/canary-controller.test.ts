import { createCanaryController, createDiscovery } from '@switchyard/discovery';
import { describe, expect, it } from 'vitest';
import { discovery, registry } from '../test-support/canary-fleet-per-test.js';

/** Sends `calls` calls; the canary fails `canaryErrorRate` of its calls. Returns user-visible failures. */
function traffic(calls: number, canaryErrorRate: number): { failures: number; toCanary: number } {
  let failures = 0;
  let toCanary = 0;
  for (let i = 0; i < calls; i++) {
    const lease = discovery.pick();
    const isCanary = lease.instance.version === '1.5.0';
    if (isCanary) toCanary++;
    const ok = !(isCanary && Math.random() < canaryErrorRate);
    if (!ok) failures++;
    lease.done({ ok, latencyMs: 5 + Math.random() * 5 });
  }
  return { failures, toCanary };
}

describe('createCanaryController', () => {
  it('rolls a canary with 20 % errors back to 0 % in its first window, with few user-visible failures', async () => {
    const controller = createCanaryController({
      registry,
      discovery,
      stable: '1.4.0',
      canary: '1.5.0',
      windowMs: 60_000,
    });
    await controller.start();
    expect(await registry.getRoute('catalog')).toEqual({ splits: { '1.4.0': 95, '1.5.0': 5 } });
    const window = traffic(4_000, 0.2);
    const decision = await controller.evaluate();
    expect(decision.action).toBe('rollback');
    expect(decision.reason).toMatch(/error rate/);
    expect(controller.state).toBe('rolled-back');
    expect(await registry.getRoute('catalog')).toEqual({ splits: { '1.4.0': 100, '1.5.0': 0 } });
    // Bounded: only the 5 % step was exposed (≈ 200 canary calls, ≈ 40 failures of 4,000).
    expect(window.toCanary / 4_000).toBeLessThan(0.08);
    expect(window.failures).toBeLessThan(80);
    console.log(
      `canary rollback: ${window.failures} user-visible failures of 4000 calls (${window.toCanary} reached the canary)`,
    );
    expect(traffic(1_000, 0.2).toCanary).toBe(0); // every client follows the rule at once
  });

  it('rolls back a failing canary that outlier detection ejected (it gets too few calls to judge by rate)', async () => {
    const guarded = createDiscovery({ registry, service: 'catalog' }); // outlier detection on: the default
    await guarded.ready();
    const controller = createCanaryController({ registry, discovery: guarded, stable: '1.4.0', canary: '1.5.0' });
    await controller.start();
    let toCanary = 0;
    for (let i = 0; i < 4_000; i++) {
      const lease = guarded.pick();
      const isCanary = lease.instance.version === '1.5.0';
      if (isCanary) toCanary++;
      lease.done({ ok: !isCanary, latencyMs: 5 });
    }
    expect(toCanary).toBeLessThan(50); // ejected after a few failures: under minCalls
    const decision = await controller.evaluate();
    expect(decision.action).toBe('rollback');
    expect(decision.reason).toMatch(/the canary took \d+ calls where its 5 % share was \d+/);
    expect(await registry.getRoute('catalog')).toEqual({ splits: { '1.4.0': 100, '1.5.0': 0 } });
    await guarded.close();
  });

  it('does not roll back a canary short of calls for another reason (warming up: registered draining)', async () => {
    await registry.register({
      id: 'canary-warm',
      service: 'catalog',
      version: '1.7.0',
      host: '127.0.0.1',
      ports: { grpc: 1 },
      status: 'draining',
    });
    const guarded = createDiscovery({ registry, service: 'catalog' });
    await guarded.ready();
    const controller = createCanaryController({ registry, discovery: guarded, stable: '1.4.0', canary: '1.7.0' });
    await controller.start();
    for (let i = 0; i < 2_000; i++) {
      const lease = guarded.pick();
      lease.done({ ok: true, latencyMs: 5 });
    }
    expect((await controller.evaluate()).action).not.toBe('rollback');
    controller.stop();
    await guarded.close();
  });

  it('promotes a healthy canary through its steps', async () => {
    const controller = createCanaryController({ registry, discovery, stable: '1.4.0', canary: '1.5.0' });
    const percents: number[] = [];
    controller.onDecision((decision) => percents.push(decision.percent));
    await controller.start();
    for (let window = 0; window < 4; window++) {
      traffic(4_000, 0);
      await controller.evaluate();
    }
    expect(percents).toEqual([25, 50, 100, 100]);
    expect(controller.state).toBe('promoted');
    expect(await registry.getRoute('catalog')).toEqual({ splits: { '1.4.0': 0, '1.5.0': 100 } });
  });

  it('holds while the canary has too few calls to judge, and rejects bad options', async () => {
    const controller = createCanaryController({ registry, discovery, stable: '1.4.0', canary: '1.5.0', minCalls: 500 });
    await controller.start();
    traffic(500, 0.5);
    expect((await controller.evaluate()).action).toBe('hold');
    expect(() => createCanaryController({ registry, discovery, stable: '1.4.0', canary: '1.4.0' })).toThrow(
      /canary: must differ/,
    );
    expect(() =>
      createCanaryController({ registry, discovery, stable: '1.4.0', canary: '1.5.0', steps: [50, 25] }),
    ).toThrow(/steps\[1\]: must increase/);
    controller.stop();
  });
});
