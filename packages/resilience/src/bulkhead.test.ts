import { bulkhead } from '@switchyard/resilience';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

function gate() {
  let open!: () => void;
  const promise = new Promise<string>((resolve) => (open = () => resolve('done')));
  return { promise, open };
}

describe('bulkhead', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('runs at most maxConcurrent, queues up to maxQueue in order, rejects the rest', async () => {
    const policy = bulkhead({ maxConcurrent: 2, maxQueue: 1 });
    const gates = [gate(), gate(), gate()];
    const order: number[] = [];
    const calls = gates.map((g, index) =>
      policy.execute(() => {
        order.push(index);
        return g.promise;
      }),
    );
    await expect(policy.execute(() => Promise.resolve('x'))).rejects.toMatchObject({ code: 'BULKHEAD_FULL' });
    await Promise.resolve();
    expect(order).toEqual([0, 1]);
    expect(policy.running).toBe(2);
    expect(policy.queued).toBe(1);
    gates[0]?.open();
    await calls[0];
    await Promise.resolve();
    expect(order).toEqual([0, 1, 2]);
    gates[1]?.open();
    gates[2]?.open();
    await Promise.all(calls);
    expect(policy.running).toBe(0);
  });

  it('lets a queued call leave after queueTimeoutMs, or when its deadline passes', async () => {
    const policy = bulkhead({ maxConcurrent: 1, maxQueue: 5, queueTimeoutMs: 100 });
    const blocker = gate();
    const running = policy.execute(() => blocker.promise);
    const timedOut = policy.execute(() => Promise.resolve('never'));
    const outcome = expect(timedOut).rejects.toMatchObject({ code: 'BULKHEAD_FULL' });
    const deadlined = policy.execute(() => Promise.resolve('never'), { deadline: Date.now() + 50 });
    const deadlineOutcome = expect(deadlined).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    await vi.advanceTimersByTimeAsync(101);
    await outcome;
    await deadlineOutcome;
    expect(policy.queued).toBe(0);
    blocker.open();
    await running;
    // The slots the leavers held in the queue were not leaked.
    await expect(policy.execute(() => Promise.resolve('after'))).resolves.toBe('after');
    expect(policy.running).toBe(0);
  });

  it('frees a queue place as soon as its waiter leaves, not when a slot next frees', async () => {
    const policy = bulkhead({ maxConcurrent: 1, maxQueue: 1, queueTimeoutMs: 100 });
    const blocker = gate();
    const running = policy.execute(() => blocker.promise);
    const timedOut = expect(policy.execute(() => Promise.resolve('never'))).rejects.toMatchObject({
      code: 'BULKHEAD_FULL',
    });
    await vi.advanceTimersByTimeAsync(150);
    await timedOut;
    // The one queue place is free again while the first call still runs.
    expect(policy.queued).toBe(0);
    const queued = policy.execute(() => Promise.resolve('queued'));
    expect(policy.queued).toBe(1);
    blocker.open();
    await running;
    await expect(queued).resolves.toBe('queued');
  });

  it('neither queues nor runs a call that was cancelled or out of time before it started', async () => {
    const policy = bulkhead({ maxConcurrent: 1, maxQueue: 5 });
    const blocker = gate();
    const running = policy.execute(() => blocker.promise);
    let ran = false;
    const op = () => {
      ran = true;
      return Promise.resolve('ran');
    };
    await expect(policy.execute(op, { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'CANCELLED' });
    await expect(policy.execute(op, { deadline: Date.now() - 1 })).rejects.toMatchObject({
      code: 'DEADLINE_EXCEEDED',
    });
    expect(policy.queued).toBe(0);
    blocker.open();
    await running;
    await vi.advanceTimersByTimeAsync(10);
    expect(ran).toBe(false);
  });

  it('does not run a queued call cancelled between its admission and its start, and hands the slot on', async () => {
    const policy = bulkhead({ maxConcurrent: 1, maxQueue: 2 });
    const blocker = gate();
    const running = policy.execute(() => blocker.promise);
    const controller = new AbortController();
    let ran = false;
    const cancelled = policy.execute(
      () => {
        ran = true;
        return Promise.resolve('ran');
      },
      { signal: controller.signal },
    );
    const cancelledOutcome = expect(cancelled).rejects.toMatchObject({ code: 'CANCELLED' });
    const next = policy.execute(() => Promise.resolve('next'));
    // The running call ends and its slot goes to the queued call, which its caller gives up on in
    // the same tick, before its turn to start comes (e.g. "first answer wins, abort the rest").
    void blocker.promise.then(() => controller.abort());
    blocker.open();
    await running;
    await cancelledOutcome;
    await expect(next).resolves.toBe('next');
    expect(ran).toBe(false); // was true: it ran (holding the slot) for a caller long gone
    expect(policy.running).toBe(0);
    expect(policy.queued).toBe(0);
  });

  it('rejects bad options naming them', () => {
    expect(() => bulkhead({ maxConcurrent: 0 })).toThrow(/bulkhead.maxConcurrent/);
    expect(() => bulkhead({ maxConcurrent: 1, maxQueue: -1 })).toThrow(/bulkhead.maxQueue/);
    expect(() => bulkhead({ maxConcurrent: 1, queueTimeoutMs: -5 })).toThrow(/bulkhead.queueTimeoutMs/);
  });
});
