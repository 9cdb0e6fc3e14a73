import type { PickCostConfig } from './config.js';

/**
 * Workers run with a fixed semi-space of this size (`--min-semi-space-size` = `--max-semi-space-size`), so
 * the allocation probe fits in new space without a scavenge, and scavenge counts are comparable.
 */
export const SEMI_SPACE_MIB = 16;

/** What the parent asks a pick worker to do; the worker answers each request with one reply. */
export type PickWorkerRequest =
  | { type: 'setup'; balancer: string; config: PickCostConfig }
  | { type: 'round' }
  | { type: 'allocation' }
  | { type: 'close' };

export type PickWorkerReply =
  | { type: 'ready'; setupMs: number }
  | { type: 'round'; samples: PickCostSample[] }
  | { type: 'allocation'; sample: AllocationSample }
  | { type: 'closed' }
  | { type: 'error'; message: string };

/** One timed round at one size, in ns per operation. */
export interface PickCostSample {
  instances: number;
  /** `discovery.pick()` then at once `lease.done({ ok: true, latencyMs: 1 })`. */
  pickAndDoneNs: number;
  /** `discovery.pick()` alone, timed over batches of 256 picks whose `done()` is timed apart. */
  pickNs: number;
  /** `lease.done()` alone, the other half of those batches. */
  doneNs: number;
  /** The balancer's `picker.pick()` alone over the same endpoints, without discovery around it. */
  pickerNs: number;
}

/** Heap after forced GC before and after many picks: per-pick garbage must all be collectable. */
export interface AllocationSample {
  instances: number;
  picks: number;
  heapBeforeBytes: number;
  heapAfterBytes: number;
  /** Scavenges during the picks: short-lived garbage, the leases. */
  minorGcs: number;
  /** Other collections during the picks (mark-compact, incremental marking). */
  majorGcs: number;
  /** Picks of the allocation probe. */
  probePicks: number;
  /** Bytes allocated per pick + done (all short-lived), from new-space usage around the probe. */
  allocatedBytesPerPick: number;
}
