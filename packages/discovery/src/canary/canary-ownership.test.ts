import { type Logger, SwitchyardError } from '@switchyard/core';
import { describe, expect, it } from 'vitest';
import { controller, discovery, registry } from '../test-support/canary-fleet-per-test.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `calls` picks, the canary's failing `canaryFailures` of each 100 of its calls. */
async function traffic(calls: number, canaryFailures = 0): Promise<void> {
  await sleep(10); // the last rule reaches discovery
  let canaryCalls = 0;
  for (let i = 0; i < calls; i++) {
    const lease = discovery.pick();
    const failed = lease.instance.version === '1.5.0' && canaryCalls++ % 100 < canaryFailures;
    lease.done({ ok: !failed, latencyMs: 5 });
  }
}

/** A third version, 1.6.0 (one instance), that an operator can move traffic to. */
function registerNextVersion(): Promise<unknown> {
  return registry.register({
    id: 'next-1',
    service: 'catalog',
    version: '1.6.0',
    host: '127.0.0.1',
    ports: { grpc: 1 },
  });
}

describe('the canary controller at the edges of its run', () => {
  it('judges the 100 % step against stable’s last full window, so a failing canary is not marked complete', async () => {
    const canary = controller({ steps: [50, 100] });
    await canary.start();
    await traffic(2_000);
    expect((await canary.evaluate()).action).toBe('promote');
    expect(canary.percent).toBe(100);
    // Stable takes no calls at 100 %: compared with nothing, 90 % failures read as healthy.
    await traffic(2_000, 90);
    const decision = await canary.evaluate();
    expect(decision).toMatchObject({ action: 'rollback', stable: { calls: 0 } });
    expect(decision.reason).toMatch(/against stable's earlier \d+ calls/);
    expect(await registry.getRoute('catalog')).toEqual({ splits: { '1.4.0': 100, '1.5.0': 0 } });
  });

  it('completes a healthy 100 % step, judged the same way', async () => {
    const canary = controller({ steps: [50, 100] });
    await canary.start();
    await traffic(2_000);
    await canary.evaluate();
    await traffic(2_000);
    expect(await canary.evaluate()).toMatchObject({ action: 'complete' });
    expect(canary.state).toBe('promoted');
  });

  it('holds a release that starts at 100 % when stable has no record to compare with', async () => {
    const canary = controller({ steps: [100] });
    await canary.start();
    await traffic(2_000, 90);
    const decision = await canary.evaluate();
    expect(decision.action).toBe('hold');
    expect(decision.reason).toMatch(/no earlier window to compare with/);
  });

  it('judges a release that starts at 100 % against stable’s record before it', async () => {
    await traffic(2_000); // stable's record (no rule yet: every version serves)
    const canary = controller({ steps: [100] });
    await canary.start();
    await traffic(2_000, 90);
    expect(await canary.evaluate()).toMatchObject({ action: 'rollback' });
  });

  it('does not promote after stop(), nor over a start() that followed it', async () => {
    const canary = controller();
    await canary.start();
    await traffic(2_000);
    const judging = canary.evaluate();
    canary.stop();
    expect(await judging).toMatchObject({ action: 'hold', percent: 5 });
    expect(canary.state).toBe('stopped');
    expect(await registry.getRoute('catalog')).toEqual({ splits: { '1.4.0': 95, '1.5.0': 5 } });
    // Stopped and started again while a judgement reads the rule: the new run starts at 5 % and
    // judges its own first window.
    await traffic(2_000);
    const stale = canary.evaluate();
    canary.stop();
    const restarted = canary.start();
    await stale;
    await restarted;
    expect(canary.percent).toBe(5);
    expect(await registry.getRoute('catalog')).toEqual({ splits: { '1.4.0': 95, '1.5.0': 5 } });
    canary.stop();
  });

  it('rolls back only the canary’s share of a rule someone else owns now', async () => {
    await registerNextVersion();
    const canary = controller();
    await canary.start();
    // An operator moves most traffic to 1.6.0, keeping the canary's 5 %; then the canary fails.
    await registry.setRoute('catalog', { splits: { '1.4.0': 15, '1.5.0': 5, '1.6.0': 80 } });
    await traffic(4_000, 100);
    expect(await canary.evaluate()).toMatchObject({ action: 'rollback' });
    expect(await registry.getRoute('catalog')).toEqual({ splits: { '1.4.0': 20, '1.5.0': 0, '1.6.0': 80 } });
  });

  it('writes nothing over a rule of someone else’s that sends the canary nothing', async () => {
    await registerNextVersion();
    const canary = controller();
    await canary.start();
    await traffic(2_000, 100); // the canary fails in this window
    // …and meanwhile an operator has moved everything to 1.6.0 and taken the canary out.
    await registry.setRoute('catalog', { splits: { '1.6.0': 100 } });
    expect(await canary.evaluate()).toMatchObject({ action: 'rollback' });
    expect(canary.state).toBe('rolled-back');
    expect(await registry.getRoute('catalog')).toEqual({ splits: { '1.6.0': 100 } });
  });

  it('reports the canary at 0 % after a rollback that had nothing to write (the rule already sent it nothing)', async () => {
    await registerNextVersion();
    const canary = controller();
    await canary.start();
    await traffic(2_000, 100);
    await registry.setRoute('catalog', { splits: { '1.6.0': 100 } });
    // "The canary percent after the decision": the rule sends it nothing; 5 read as still exposed.
    expect(await canary.evaluate()).toMatchObject({ action: 'rollback', percent: 0 });
    expect(canary.percent).toBe(0);
  });

  it('takes a step whose write landed though it reported a failure as written, and goes on from it', async () => {
    const canary = controller();
    await canary.start();
    await traffic(2_000);
    const setRoute = registry.setRoute.bind(registry);
    // Redis ran the write, the reply was lost.
    registry.setRoute = async (service, rule) => {
      await setRoute(service, rule);
      throw new Error('Command timed out');
    };
    await expect(canary.evaluate()).rejects.toThrow('Command timed out');
    registry.setRoute = setRoute;
    await traffic(2_000);
    // It stopped itself: "the route was changed outside this controller".
    expect(await canary.evaluate()).toMatchObject({ action: 'hold', percent: 25 });
    expect(canary.state).toBe('running');
    await traffic(2_000);
    expect(await canary.evaluate()).toMatchObject({ action: 'promote', percent: 50 });
    canary.stop();
  });

  it('does not promote over a rule an operator set between its read of the rule and its write', async () => {
    const canary = controller();
    await canary.start();
    await traffic(2_000);
    const operators = { splits: { '1.4.0': 50, '1.5.0': 50 } };
    const getRoute = registry.getRoute.bind(registry);
    registry.getRoute = async (service) => {
      const read = await getRoute(service);
      registry.getRoute = getRoute;
      await registry.setRoute('catalog', operators); // lands right after the controller read 95/5
      return read;
    };
    const decision = await canary.evaluate();
    expect(decision.action).toBe('hold');
    expect(decision.reason).toMatch(/changed outside this controller \(while the 25 % step was written\)/);
    expect(canary.state).toBe('stopped');
    expect(await registry.getRoute('catalog')).toEqual(operators);
  });

  it('rolls back from the rule there at its write, not one an operator replaced after its read', async () => {
    await registerNextVersion();
    const canary = controller();
    await canary.start();
    await traffic(2_000, 100); // the canary fails in this window
    const getRoute = registry.getRoute.bind(registry);
    registry.getRoute = async (service) => {
      const read = await getRoute(service);
      registry.getRoute = getRoute;
      // Right after the controller read its own 95/5: everything to 1.6.0, the canary out.
      await registry.setRoute('catalog', { splits: { '1.6.0': 100 } });
      return read;
    };
    expect(await canary.evaluate()).toMatchObject({ action: 'rollback' });
    expect(await registry.getRoute('catalog')).toEqual({ splits: { '1.6.0': 100 } });
  });

  it('logs a decision listener that throws', async () => {
    const errors: string[] = [];
    const noop = (): void => undefined;
    const logger: Logger = {
      debug: noop,
      info: noop,
      warn: noop,
      error: (_fields: unknown, message?: string) => void errors.push(String(message)),
    };
    const canary = controller({ logger });
    canary.onDecision(() => {
      throw new Error('pager down');
    });
    await canary.start();
    await traffic(2_000);
    await canary.evaluate();
    expect(errors).toContain('canary decision listener failed');
    canary.stop();
  });
});

describe('route writes the registry refuses or aborts', () => {
  it('retries a route write the registry aborted (the service changed during the check) instead of failing start()', async () => {
    const setRoute = registry.setRoute.bind(registry);
    let aborted = 0;
    registry.setRoute = async (service, rule, options) => {
      if (aborted++ < 2) {
        throw new SwitchyardError('ABORTED', 'catalog changed 5 times; nothing was written, try again', {
          retryable: true,
        });
      }
      return setRoute(service, rule, options);
    };
    const canary = controller();
    await canary.start();
    expect(canary.state).toBe('running');
    expect(canary.percent).toBe(5);
    expect(await registry.getRoute('catalog')).toEqual({ splits: { '1.4.0': 95, '1.5.0': 5 } });
    canary.stop();
  });

  it('rolls the canary’s share back onto a version the operator’s rule routes to, not onto a stable it took to 0 and retired', async () => {
    await registerNextVersion();
    await traffic(2_000); // stable's record before the release
    const canary = controller();
    await canary.start();
    // The operator moved stable's traffic to 1.6.0 and retired 1.4.0, keeping the canary at 20 %.
    await registry.setRoute('catalog', { splits: { '1.4.0': 0, '1.5.0': 20, '1.6.0': 80 } });
    for (const id of ['stable-1', 'stable-2']) {
      const again = await registry.register({
        id,
        service: 'catalog',
        version: '1.4.0',
        host: '127.0.0.1',
        ports: { grpc: 1 },
      });
      await again.deregister();
    }
    await traffic(4_000, 100);
    expect(await canary.evaluate()).toMatchObject({ action: 'rollback' });
    expect(await registry.getRoute('catalog')).toEqual({ splits: { '1.4.0': 0, '1.5.0': 0, '1.6.0': 100 } });
  });
});
