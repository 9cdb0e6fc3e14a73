import { describe, expect, it } from 'vitest';
import { type Waiter, WaiterQueue } from './waiter-queue.js';

const waiter = (): Waiter => ({ settled: false, admit() {} });

describe('WaiterQueue', () => {
  it('hands out live waiters in order, skipping those that left', () => {
    const queue = new WaiterQueue();
    const [a, b, c] = [waiter(), waiter(), waiter()];
    queue.push(a as Waiter, 0);
    queue.push(b as Waiter, 1);
    queue.push(c as Waiter, 2);
    (b as Waiter).settled = true;
    expect(queue.shiftLive()).toBe(a);
    expect(queue.shiftLive()).toBe(c);
    expect(queue.shiftLive()).toBeUndefined();
  });

  it('does not pile up waiters that left while nothing is released (every running call hung)', () => {
    const queue = new WaiterQueue();
    const live = waiter();
    queue.push(live, 0);
    // 100,000 waiters come, time out and go; no release ever walks the queue.
    for (let i = 0; i < 100_000; i++) {
      const gone = waiter();
      queue.push(gone, 1);
      gone.settled = true;
    }
    expect(queue.held).toBeLessThan(3_000); // was 100,001
    expect(queue.shiftLive()).toBe(live);
  });
});
