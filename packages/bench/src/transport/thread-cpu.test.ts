import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { threadCpuMicros } from './thread-cpu.js';

describe('threadCpuMicros', () => {
  it.runIf(existsSync('/proc/thread-self/schedstat'))(
    'counts the CPU this thread spends, not the time that passes',
    async () => {
      const start = threadCpuMicros() as number;
      expect(start).toBeGreaterThan(0);
      // 30 ms asleep: a wall clock would count it, this thread's CPU time barely moves.
      await new Promise((resolve) => setTimeout(resolve, 30));
      const afterSleep = threadCpuMicros() as number;
      expect(afterSleep - start).toBeLessThan(15_000);
      // 30 ms of work: counted (most of it, on a machine that may be busy).
      const busyUntil = performance.now() + 30;
      while (performance.now() < busyUntil) {}
      const afterWork = threadCpuMicros() as number;
      expect(afterWork - afterSleep).toBeGreaterThan(5_000);
    },
  );

  it.skipIf(existsSync('/proc/thread-self/schedstat'))('is undefined where the kernel keeps no such statistics', () => {
    expect(threadCpuMicros()).toBeUndefined();
  });
});
