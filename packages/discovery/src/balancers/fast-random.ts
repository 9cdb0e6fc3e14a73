/**
 * A small xorshift32 generator for balancers' hot paths: on Node 20 every `Math.random()` call
 * allocates a heap number, which shows up at millions of picks per second. Balancing needs spread,
 * not cryptographic quality; each picker seeds its own generator from Math.random once.
 */
export function fastRandom(): (bound: number) => number {
  let state = (Math.random() * 0xffffffff) | 1;
  return (bound) => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return toBound(state, bound);
  };
}

/** 2^-32. */
const TWO_TO_MINUS_32 = 2.3283064365386963e-10;

/**
 * Maps a 32-bit random state onto [0, bound) by multiply-and-shift instead of `%`: an unsigned
 * 32-bit value above 2^31 is not a small integer to V8, so `%` on it became a floating-point
 * remainder (~13 ns per call measured on Node 20, against ~1 ns for this).
 */
export function toBound(state: number, bound: number): number {
  return ((state >>> 0) * bound * TWO_TO_MINUS_32) | 0;
}
