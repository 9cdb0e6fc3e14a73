import { PerformanceObserver } from 'node:perf_hooks';
import { setImmediate as nextLoopTurn } from 'node:timers/promises';

/**
 * Garbage-collection pause time of this process's main thread, from the `gc` performance entries:
 * what the CPU column spends collecting. On a client that allocates tens of KB per call it is a
 * large share of the CPU (and grows with whatever keeps objects alive across collections, such as
 * spans waiting in a batch), which the CPU figure alone does not show.
 */
export class GcPauses {
  private totalMs = 0;
  private readonly observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) this.totalMs += entry.duration;
  });

  constructor() {
    this.observer.observe({ entryTypes: ['gc'] });
  }

  /**
   * Pause time in ms since this object was made. Entries reach the observer asynchronously: Node 20
   * queues a collection's entry on the next turn of the event loop and delivers it on the one after,
   * so waiting two turns counts a collection that has just ended too.
   */
  async totalPauseMs(): Promise<number> {
    await nextLoopTurn();
    await nextLoopTurn();
    return this.totalMs;
  }

  stop(): void {
    this.observer.disconnect();
  }
}
