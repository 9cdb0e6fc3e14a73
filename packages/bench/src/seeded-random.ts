import { mulberry32 } from '@switchyard/core';

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
