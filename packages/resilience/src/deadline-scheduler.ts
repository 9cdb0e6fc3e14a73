/**
 * Deadline timers for many calls at once, cheaper than one `setTimeout` + `clearTimeout` per call:
 * entries due in the same millisecond share one `unref`'d timer, and removing an entry (the usual
 * case: the call finished first) unlinks it from a doubly linked list in O(1), so nothing piles up.
 * A bucket whose entries were all cancelled keeps its timer until it fires if it is due within
 * {@link KEEP_EMPTY_BUCKET_MS} (at most one timer per millisecond of that window): clearing and
 * re-creating timers per call is what made plain `setTimeout` expensive. One due later is cleared,
 * so long deadlines (minutes, hours) do not leave a timer per finished call until they pass.
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
  /** Due beyond KEEP_EMPTY_BUCKET_MS when created: cleared once empty (decided once, so no clock read per cancel). */
  readonly far: boolean;
  head: DeadlineEntry | undefined;
  timer: NodeJS.Timeout | undefined;
  /**
   * The `setTimeout` that armed `timer`. A fake clock (a test suite's `vi.useFakeTimers()`) drops
   * its pending timers when uninstalled, leaving their buckets in the map with no timer to run
   * them: a later deadline due in the same millisecond joined one and never fired.
   */
  armedWith: typeof setTimeout | undefined;
}

/** Empty buckets due within this many ms keep their timer (see above); later ones are cleared. */
export const KEEP_EMPTY_BUCKET_MS = 10_000;

const buckets = new Map<number, Bucket>();
let liveEntries = 0;

/** Calls `fire` at `deadline` (ms, Date.now clock) unless the entry is cancelled first. */
export function scheduleDeadline(deadline: number, fire: () => void): DeadlineEntry {
  const at = Math.ceil(deadline);
  let bucket = buckets.get(at);
  if (!bucket) {
    const created: Bucket = {
      at,
      far: at - Date.now() > KEEP_EMPTY_BUCKET_MS,
      head: undefined,
      timer: undefined,
      armedWith: undefined,
    };
    armBucket(created);
    buckets.set(at, created);
    bucket = created;
  } else if (bucket.armedWith !== setTimeout) {
    // Armed under another clock (see Bucket.armedWith): arm it again on this one. The old timer,
    // should it still run, finds the bucket emptied or not yet due (runBucket copes with both).
    armBucket(bucket);
  }
  const entry: DeadlineEntry = { prev: undefined, next: bucket.head, bucket, fire };
  liveEntries++;
  if (bucket.head) bucket.head.prev = entry;
  bucket.head = entry;
  return entry;
}

/** Cancels an entry; idempotent. The last entry of a bucket due beyond {@link KEEP_EMPTY_BUCKET_MS} clears its timer. */
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
  if (bucket.head === undefined && bucket.far) {
    clearTimeout(bucket.timer);
    // Only if still the map's: one emptied while it fires (see runBucket) was taken out already,
    // and a new bucket for the same millisecond may stand there by now.
    if (buckets.get(bucket.at) === bucket) buckets.delete(bucket.at);
  }
}

/** Deadlines scheduled and neither fired nor cancelled (for leak checks: 0 when all calls ended). */
export function pendingDeadlineTimers(): number {
  return liveEntries;
}

function armBucket(bucket: Bucket): void {
  // Past MAX_TIMER_MS a Node timer fires at once: longer waits are chained (runBucket re-arms).
  bucket.timer = setTimeout(() => runBucket(bucket), Math.min(MAX_TIMER_MS, Math.max(0, bucket.at - Date.now())));
  bucket.timer.unref();
  bucket.armedWith = setTimeout;
}

function runBucket(bucket: Bucket): void {
  if (bucket.at - Date.now() > 1) {
    armBucket(bucket); // a long deadline: the capped timer fired early, wait again
    return;
  }
  if (buckets.get(bucket.at) === bucket) buckets.delete(bucket.at);
  // One entry at a time from the head, the others staying linked in the bucket until their turn:
  // a fire may cancel another entry due in the same millisecond (an aborted call's linked children
  // disarm, a caller signal aborted from an abort listener cancels another call). Walking a list
  // detached up front, such a cancel ran the cancelled entry anyway and cut the walk short there:
  // every entry after it never fired, and those calls never reached their deadline.
  for (let entry = bucket.head; entry !== undefined; entry = bucket.head) {
    bucket.head = entry.next;
    if (entry.next) entry.next.prev = undefined;
    entry.bucket = undefined;
    entry.next = undefined;
    liveEntries--;
    entry.fire();
  }
}
