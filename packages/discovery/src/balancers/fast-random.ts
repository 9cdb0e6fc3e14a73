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
    return (state >>> 0) % bound;
  };
}
