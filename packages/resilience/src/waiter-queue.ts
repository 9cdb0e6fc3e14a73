/** A call waiting for a slot; `settled` once admitted or gone (timed out, aborted). */
export interface Waiter {
  admit(): void;
  settled: boolean;
}

/**
 * The bulkhead's FIFO of waiters (internal). A waiter that leaves (times out, is aborted) is only
 * marked settled, so leaving costs nothing; settled entries are dropped as the head walks past
 * them and, when they pile up behind a head that does not move (every running call hung, so no
 * release), compacted away on the next push: they used to accumulate for as long as the hang lasted.
 */
export class WaiterQueue {
  private readonly entries: Waiter[] = [];
  private head = 0;

  /** Adds a waiter; `live` is how many entries are still waiting (before this one). */
  push(waiter: Waiter, live: number): void {
    if (this.entries.length - this.head > 2 * live + 1_024) this.compact();
    this.entries.push(waiter);
  }

  /** The first waiter still waiting, removed from the queue; undefined when there is none. */
  shiftLive(): Waiter | undefined {
    while (this.head < this.entries.length) {
      const waiter = this.entries[this.head++] as Waiter;
      if (this.head > 1_024 && this.head * 2 > this.entries.length) {
        this.entries.splice(0, this.head);
        this.head = 0;
      }
      if (!waiter.settled) return waiter;
    }
    return undefined;
  }

  /** Entries held, settled ones included (for tests and diagnostics). */
  get held(): number {
    return this.entries.length - this.head;
  }

  private compact(): void {
    let kept = 0;
    for (let index = this.head; index < this.entries.length; index++) {
      const waiter = this.entries[index] as Waiter;
      if (!waiter.settled) this.entries[kept++] = waiter;
    }
    this.entries.length = kept;
    this.head = 0;
  }
}
