/** mulberry32: a small, fast 32-bit PRNG with good enough statistics for simulations. */
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

/**
 * Runs `work` with `Math.random` replaced by a PRNG seeded with `seed`, and restores it afterwards.
 * Code under test that draws from `Math.random` (service times of a simulation, a balancer's random
 * choices) then behaves the same on every run with that seed. Synchronous work only: anything still
 * running after `work` returns would see the real `Math.random` again.
 */
export function withSeededRandom<T>(seed: number, work: () => T): T {
  const original = Math.random;
  Math.random = mulberry32(seed);
  try {
    return work();
  } finally {
    Math.random = original;
  }
}
