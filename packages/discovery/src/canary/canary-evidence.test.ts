/**
 * What the canary controller does with windows that hold too little to judge: their calls are
 * evidence all the same. Exact call counts: picks by key draw the version from the key's hash
 * (deterministic), and a pick beyond a version's quota ends `notSent`, which no counter hears of.
 */
import { describe, expect, it } from 'vitest';
import { controller, discovery } from '../test-support/canary-fleet-per-test.js';

/**
 * Exactly `stable` calls to 1.4.0 and `canary` calls to 1.5.0; the canary's fail `canaryFails` of
 * each 10, stable's `stableFails` of each 10.
 */
function traffic(stable: number, canary: number, canaryFails = 0, stableFails = 0): void {
  const sent = { '1.4.0': 0, '1.5.0': 0 };
  const plan = { '1.4.0': stable, '1.5.0': canary };
  for (let key = 0; sent['1.4.0'] < stable || sent['1.5.0'] < canary; key++) {
    if (key > 1_000_000) throw new Error('the split never reached the quotas');
    const lease = discovery.pick({ key: `k${key}` });
    const version = lease.instance.version as '1.4.0' | '1.5.0';
    if (sent[version] >= plan[version]) {
      lease.done({ ok: false, latencyMs: 0, notSent: true });
      continue;
    }
    const index = sent[version]++;
    lease.done({ ok: index % 10 >= (version === '1.4.0' ? stableFails : canaryFails), latencyMs: 5 });
  }
}

describe('windows with too few canary calls to judge', () => {
  it('carries their calls into the next window, so a failing canary on little traffic is rolled back', async () => {
    const canary = controller(); // minCalls 10, 5 % first
    await canary.start();
    // A quiet service: 6 canary calls a window (too few to judge alone), 4 of each 10 failing.
    const decisions = [];
    for (let window = 0; window < 4; window++) {
      traffic(114, 6, 4);
      decisions.push(await canary.evaluate());
      if (canary.state !== 'running') break;
    }
    expect(decisions[0]).toMatchObject({ action: 'hold' });
    expect(
      decisions.map((decision) => `${decision.action}: ${decision.reason}`),
      'the held windows were dropped',
    ).toContainEqual(expect.stringMatching(/^rollback: error rate/));
    expect(canary.state).toBe('rolled-back');
  });

  it('promotes a healthy canary on little traffic once the windows held add up to enough calls', async () => {
    const canary = controller();
    await canary.start();
    traffic(114, 6);
    expect(await canary.evaluate()).toMatchObject({ action: 'hold', canary: { calls: 6 } });
    traffic(114, 6);
    expect(await canary.evaluate()).toMatchObject({ action: 'promote', percent: 25, canary: { calls: 12 } });
    // The promoted step's window starts afresh.
    traffic(90, 30);
    expect(await canary.evaluate()).toMatchObject({ action: 'promote', percent: 50, canary: { calls: 30 } });
    canary.stop();
  });
});

describe('a window in which stable itself is failing', () => {
  it('promotes nothing on it: both versions failing every call is no evidence that the canary is healthy', async () => {
    const canary = controller(); // minCalls 10; 5 → 25 → 50 → 100
    await canary.start();
    traffic(190, 10);
    expect(await canary.evaluate()).toMatchObject({ action: 'promote', percent: 25 });
    // A dependency of both versions goes down: every call fails, stable's as much as the canary's.
    traffic(150, 50, 10, 10);
    const during = await canary.evaluate();
    expect(during.stable.errorRate).toBe(1);
    expect(`${during.action}: ${during.reason}`).toMatch(/^hold: stable itself/);
    expect(canary.percent).toBe(25);
    // Still down: still nothing promoted (the window is not stable's new reference).
    traffic(150, 50, 10, 10);
    expect(await canary.evaluate()).toMatchObject({ action: 'hold', percent: 25 });
    // Back: the canary goes on from where it was.
    traffic(150, 50);
    expect(await canary.evaluate()).toMatchObject({ action: 'promote', percent: 50 });
    canary.stop();
  });

  it('still rolls back a canary that fails significantly more than a failing stable', async () => {
    const canary = controller();
    await canary.start();
    traffic(190, 10);
    expect(await canary.evaluate()).toMatchObject({ action: 'promote', percent: 25 });
    traffic(150, 50, 10, 3); // stable fails 30 % of its calls, the canary all of them
    expect(await canary.evaluate()).toMatchObject({ action: 'rollback' });
  });

  it('does not take a small rise in stable’s error rate for an outage', async () => {
    const canary = controller();
    await canary.start();
    traffic(1900, 100);
    expect(await canary.evaluate()).toMatchObject({ action: 'promote', percent: 25 });
    // 1 % of stable's calls fail now (0 before): under the 2-point increase that fails a canary.
    const sent = { stable: 0, canary: 0 };
    for (let key = 0; sent.stable < 1500 || sent.canary < 500; key++) {
      const lease = discovery.pick({ key: `q${key}` });
      const isStable = lease.instance.version === '1.4.0';
      if ((isStable ? sent.stable : sent.canary) >= (isStable ? 1500 : 500)) {
        lease.done({ ok: false, latencyMs: 0, notSent: true });
        continue;
      }
      const index = isStable ? sent.stable++ : sent.canary++;
      lease.done({ ok: index % 100 !== 0, latencyMs: 5 });
    }
    expect(await canary.evaluate()).toMatchObject({ action: 'promote', percent: 50 });
    canary.stop();
  });
});
