import type { Logger } from '@switchyard/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { controller, discovery, registry } from '../test-support/canary-fleet-per-test.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

afterEach(() => {
  vi.useRealTimers();
});

/** `calls` picks, the canary failing all of its calls when `canaryFails`. Synchronous: fake timers allowed. */
function send(calls: number, canaryFails = false): void {
  for (let i = 0; i < calls; i++) {
    const lease = discovery.pick();
    lease.done({ ok: !(canaryFails && lease.instance.version === '1.5.0'), latencyMs: 5 });
  }
}

/** A logger keeping every message by level. */
function recording(): Logger & { messages: Record<'debug' | 'info' | 'warn' | 'error', string[]> } {
  const messages = { debug: [] as string[], info: [] as string[], warn: [] as string[], error: [] as string[] };
  const at =
    (level: keyof typeof messages) =>
    (_fields: unknown, message?: string): void =>
      void messages[level].push(String(message));
  return { messages, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/**
 * Makes every route write take `ms` (on the clock in use, fake or real) before it lands, and
 * records the canary share of each write that landed and the most writes under way at once.
 */
function slowWrites(ms: number): { started: number; landed: (number | undefined)[]; maxInFlight: number } {
  const setRoute = registry.setRoute.bind(registry);
  const seen = { started: 0, landed: [] as (number | undefined)[], maxInFlight: 0 };
  let inFlight = 0;
  registry.setRoute = async (service, rule) => {
    seen.started++;
    seen.maxInFlight = Math.max(seen.maxInFlight, ++inFlight);
    try {
      await sleep(ms);
      await setRoute(service, rule);
      seen.landed.push(rule?.splits['1.5.0']);
    } finally {
      inFlight--;
    }
  };
  return seen;
}

/** Polls `condition` (real timers) for at most 2 s. */
async function waitUntil(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await sleep(10);
  expect(condition()).toBe(true);
}

describe('one evaluation at a time', () => {
  it('skips a timer tick that comes while the last evaluation’s route write is pending, and logs it at debug', async () => {
    vi.useFakeTimers();
    const logger = recording();
    const canary = controller({ windowMs: 1_000, logger });
    await canary.start();
    await vi.advanceTimersByTimeAsync(10); // the 5 % rule reaches discovery
    const writes = slowWrites(1_500); // a write takes a window and a half
    send(2_000);
    await vi.advanceTimersByTimeAsync(1_000); // tick 1: healthy, writes 25 % (lands at 2.5 s)
    send(2_000);
    // Tick 2 comes while that write is pending. It used to judge again, read the rule still at
    // 5 % (ours) and write 25 % a second time, both then moving the step on.
    await vi.advanceTimersByTimeAsync(1_000);
    await vi.advanceTimersByTimeAsync(3_000); // tick 3 promotes to 50 % (lands at 4.5 s), tick 4 skipped
    expect(writes.maxInFlight).toBe(1);
    expect(writes.landed).toEqual([25, 50]);
    expect(canary.percent).toBe(50);
    expect(logger.messages.debug.filter((message) => /evaluation still running/.test(message))).toHaveLength(2);
    const stopped = canary.stop();
    await vi.advanceTimersByTimeAsync(0);
    await stopped;
  });

  it('an evaluate() called while one runs joins it: one judgement, one write, one decision', async () => {
    const canary = controller();
    const decisions: string[] = [];
    canary.onDecision((decision) => decisions.push(decision.action));
    await canary.start();
    await sleep(10);
    send(2_000, true);
    const writes = slowWrites(50);
    const first = canary.evaluate(); // rolls back: its write is slow
    const second = canary.evaluate();
    expect(await second).toBe(await first);
    expect(writes.landed).toEqual([0]);
    expect(decisions).toEqual(['rollback']);
  });

  it('stop() then start() during a slow promotion write resume at the step that landed, then take the next', async () => {
    const canary = controller();
    await canary.start();
    await sleep(10);
    send(2_000);
    const setRoute = registry.setRoute;
    const writes = slowWrites(50);
    const stale = canary.evaluate(); // healthy: writes 25 %
    await waitUntil(() => writes.started === 1);
    void canary.stop();
    const restarted = canary.start();
    await stale;
    await restarted;
    registry.setRoute = setRoute;
    // The stale judgement's step used to land after the restart reset the step: the new run sat at
    // 5 % counting itself at 25 %, and its first promotion skipped 25 % for 50 %. A start() now
    // resumes the release where it stands (the canary record), after the write under way: at the
    // 25 % that landed, counted as 25 %, and the next promotion is the next step.
    expect(await registry.getRoute('catalog')).toEqual({ splits: { '1.4.0': 75, '1.5.0': 25 } });
    expect(canary.percent).toBe(25);
    await sleep(10);
    send(2_000);
    expect(await canary.evaluate()).toMatchObject({ action: 'promote', percent: 50 });
    await canary.stop();
  });
});

describe('stop() and a rollback decided but not yet written', () => {
  it('stop() resolves only once an in-flight rollback write has landed', async () => {
    const canary = controller();
    await canary.start();
    await sleep(10);
    send(2_000, true);
    const writes = slowWrites(100);
    const judging = canary.evaluate();
    await waitUntil(() => writes.started === 1);
    // Shutdown: stop(), then the registry is closed. stop() used to return at once, the close cut
    // the write off and the failing canary kept its 5 %.
    await canary.stop();
    expect(await registry.getRoute('catalog')).toEqual({ splits: { '1.4.0': 100, '1.5.0': 0 } });
    expect(canary.state).toBe('rolled-back');
    expect(await judging).toMatchObject({ action: 'rollback', percent: 0 });
  });

  it('stop() writes a rollback the registry refused, instead of dropping it with its retry', async () => {
    vi.useFakeTimers();
    const canary = controller({ windowMs: 60_000, minCalls: 20 });
    const decisions: string[] = [];
    canary.onDecision((decision) => decisions.push(decision.action));
    await canary.start();
    await vi.advanceTimersByTimeAsync(10);
    send(2_000, true);
    const setRoute = registry.setRoute.bind(registry);
    registry.setRoute = () => Promise.reject(new Error('registry unavailable'));
    await vi.advanceTimersByTimeAsync(60_000); // the window ends: rollback decided, write refused, retry in 1 s
    expect(canary.state).toBe('running');
    registry.setRoute = setRoute; // Redis is back before the retry
    const stopped = canary.stop();
    await vi.advanceTimersByTimeAsync(100);
    await stopped;
    expect(await registry.getRoute('catalog')).toEqual({ splits: { '1.4.0': 100, '1.5.0': 0 } });
    expect(canary.state).toBe('rolled-back');
    expect(decisions).toEqual(['rollback']);
  });

  it('stop() is bounded when the registry never answers: it resolves after timeoutMs and logs the rollback not written', async () => {
    vi.useFakeTimers();
    const logger = recording();
    const canary = controller({ logger });
    await canary.start();
    await vi.advanceTimersByTimeAsync(10);
    send(2_000, true);
    registry.setRoute = () => new Promise(() => {}); // hung
    void canary.evaluate(); // rollback decided, its write never ends
    let resolved = false;
    const stopped = canary.stop({ timeoutMs: 2_000 }).then(() => {
      resolved = true;
    });
    await vi.advanceTimersByTimeAsync(1_900);
    expect(resolved).toBe(false);
    await vi.advanceTimersByTimeAsync(200);
    expect(resolved).toBe(true);
    await stopped;
    expect(logger.messages.error.some((message) => /rollback not written/.test(message))).toBe(true);
    expect(canary.state).toBe('stopped');
  });
});
