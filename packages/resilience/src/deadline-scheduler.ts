/**
 * Deadline timers for many calls at once, cheaper than one `setTimeout` + `clearTimeout` per call:
 * entries due in the same millisecond share one `unref`'d timer, and removing an entry (the usual
 * case: the call finished first) unlinks it from a doubly linked list in O(1), so nothing piles up.
 * A bucket whose entries were all cancelled keeps its timer until it fires (at most one timer per
 * distinct millisecond of deadlines): clearing and re-creating timers per call is what made plain
 * `setTimeout` expensive.
 */
import { MAX_TIMER_MS } from '@switchyard/core';

export interface DeadlineEntry {
  /** @internal */ prev: DeadlineEntry | undefined;
  /** @internal */ next: DeadlineEntry | undefined;
  /** @internal */ bucket: Bucket | undefined;
  readonly fire: () => void;
}

interface Bucket {
  readonly at: number;
  head: DeadlineEntry | undefined;
  timer: NodeJS.Timeout | undefined;
}

const buckets = new Map<number, Bucket>();
let liveEntries = 0;

/** Calls `fire` at `deadline` (ms, Date.now clock) unless the entry is cancelled first. */
export function scheduleDeadline(deadline: number, fire: () => void): DeadlineEntry {
  const at = Math.ceil(deadline);
  let bucket = buckets.get(at);
  if (!bucket) {
    const created: Bucket = { at, head: undefined, timer: undefined };
    armBucket(created);
    buckets.set(at, created);
    bucket = created;
  }
  const entry: DeadlineEntry = { prev: undefined, next: bucket.head, bucket, fire };
  liveEntries++;
  if (bucket.head) bucket.head.prev = entry;
  bucket.head = entry;
  return entry;
}

/** Cancels an entry; idempotent. Clears the bucket's timer when it was the last entry. */
export function cancelDeadline(entry: DeadlineEntry): void {
  const bucket = entry.bucket;
  if (!bucket) return;
  entry.bucket = undefined;
  liveEntries--;
  if (entry.prev) entry.prev.next = entry.next;
  else bucket.head = entry.next;
  if (entry.next) entry.next.prev = entry.prev;
  entry.prev = undefined;
  entry.next = undefined;
}

/** Deadlines scheduled and neither fired nor cancelled (for leak checks: 0 when all calls ended). */
export function pendingDeadlineTimers(): number {
  return liveEntries;
}

function armBucket(bucket: Bucket): void {
  // Past MAX_TIMER_MS a Node timer fires at once: longer waits are chained (runBucket re-arms).
  bucket.timer = setTimeout(() => runBucket(bucket), Math.min(MAX_TIMER_MS, Math.max(0, bucket.at - Date.now())));
  bucket.timer.unref();
}

function runBucket(bucket: Bucket): void {
  if (bucket.at - Date.now() > 1) {
    armBucket(bucket); // a long deadline: the capped timer fired early, wait again
    return;
  }
  buckets.delete(bucket.at);
  let entry = bucket.head;
  bucket.head = undefined;
  while (entry) {
    const next = entry.next;
    entry.bucket = undefined;
    entry.prev = undefined;
    entry.next = undefined;
    liveEntries--;
    entry.fire();
    entry = next;
  }
}
