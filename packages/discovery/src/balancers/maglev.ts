import {
  type BalancingStrategy,
  type Endpoint,
  fnv1a,
  InvalidArgumentError,
  type PickArgs,
  type Picker,
} from '@switchyard/core';

/** Lookup table sizes are primes ≥ 100 × endpoints (≤ ~1 % imbalance), within these bounds. */
const MIN_TABLE = 65_537;
const MAX_TABLE = 1_000_003;

/**
 * Maglev consistent hashing (Google's Maglev paper): sticky routing by `key` with near-perfect
 * balance, O(1) picks from a lookup table, and about 1/N of keys moving when an endpoint joins or
 * leaves. Weights are not used. `pick({ key })` requires a non-empty key.
 */
export function maglev(): BalancingStrategy {
  return {
    name: 'maglev',
    validatePickArgs(args: PickArgs) {
      if (typeof args.key !== 'string' || args.key.length === 0) {
        throw new InvalidArgumentError('key', 'maglev needs a non-empty string key to route by');
      }
    },
    createPicker(endpoints: readonly Endpoint[]): Picker {
      if (endpoints.length === 0) return { pick: () => undefined };
      const table = buildTable(endpoints.map((endpoint) => endpoint.instance.id));
      return { pick: (args) => endpoints[table[fnv1a(args.key ?? '', 0x9747b28c) % table.length] as number] };
    },
    toString: () => 'maglev',
  };
}

/** Builds the Maglev lookup table: slot → endpoint index. Ids are sorted-order independent. */
export function buildTable(ids: readonly string[]): Int32Array {
  const size = nextPrime(Math.min(MAX_TABLE, Math.max(MIN_TABLE, ids.length * 100)));
  const count = ids.length;
  const offsets = new Uint32Array(count);
  const skips = new Uint32Array(count);
  const next = new Uint32Array(count);
  for (let index = 0; index < count; index++) {
    const id = ids[index] as string;
    offsets[index] = fnv1a(id, 0x811c9dc5) % size;
    skips[index] = (fnv1a(id, 0x01000193) % (size - 1)) + 1;
  }
  const table = new Int32Array(size).fill(-1);
  let filled = 0;
  while (filled < size) {
    for (let index = 0; index < count && filled < size; index++) {
      let slot = ((offsets[index] as number) + (skips[index] as number) * (next[index] as number)) % size;
      while (table[slot] !== -1) {
        next[index] = (next[index] as number) + 1;
        slot = ((offsets[index] as number) + (skips[index] as number) * (next[index] as number)) % size;
      }
      table[slot] = index;
      next[index] = (next[index] as number) + 1;
      filled++;
    }
  }
  return table;
}

function nextPrime(from: number): number {
  for (let candidate = from | 1; ; candidate += 2) {
    let prime = true;
    for (let divisor = 3; divisor * divisor <= candidate; divisor += 2) {
      if (candidate % divisor === 0) {
        prime = false;
        break;
      }
    }
    if (prime) return candidate;
  }
}
