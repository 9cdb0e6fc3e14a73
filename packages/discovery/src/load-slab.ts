/**
 * Storage for many endpoints' load figures in one Float64Array, eight numbers (one 64-byte cache
 * line) per endpoint. A balancer comparing two random endpoints of a 10,000-instance fleet then
 * touches two cache lines instead of four scattered objects, which is what keeps a pick near
 * 100 ns at that size.
 */
export const STRIDE = 8;
/** Field offsets within an endpoint's line. */
export const OUTSTANDING = 0;
export const SAMPLES = 1;
export const STORED_MS = 2;
export const STAMP_MS = 3;
export const CACHED_AT = 4;
export const CACHED_MS = 5;

/** Slots freed this long ago may be reused: a lease still in flight may write to its slot until then. */
const REUSE_AFTER_MS = 60_000;

export class LoadSlab {
  array: Float64Array;
  private used = 0;
  private readonly reusable: number[] = [];

  constructor(capacity = 16) {
    this.array = new Float64Array(capacity * STRIDE);
  }

  /** A fresh, zeroed line; returns its base index. */
  allocate(): number {
    const base = this.reusable.pop() ?? this.grow();
    this.array.fill(0, base, base + STRIDE);
    this.array[base + CACHED_AT] = -1;
    return base;
  }

  /** Gives a line back, reusable once no straggling lease can still write to it. */
  release(base: number): void {
    setTimeout(() => this.reusable.push(base), REUSE_AFTER_MS).unref();
  }

  private grow(): number {
    if ((this.used + 1) * STRIDE > this.array.length) {
      const bigger = new Float64Array(this.array.length * 2);
      bigger.set(this.array);
      this.array = bigger;
    }
    return this.used++ * STRIDE;
  }
}
