/**
 * mulberry32: a small, fast 32-bit PRNG seeded by `seed`, returning numbers uniform in [0, 1) as
 * `Math.random` does. Not cryptographic; for choices that must be the same in every process given
 * the same seed (subsetting) and for simulations and tests that must replay.
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4_294_967_296;
  };
}
