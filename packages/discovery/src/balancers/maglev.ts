import {
  type BalancingStrategy,
  type Endpoint,
  fnv1a,
  InvalidArgumentError,
  type PickArgs,
  type Picker,
} from '@switchyard/core';

/**
 * Lookup table sizes: primes ≥ 100 × endpoints (≤ ~1 % imbalance) taken from this fixed ladder (the
 * last one beyond 10,000 endpoints). A key's slot is its hash modulo the size, so a size change
 * remaps every key: sized at exactly the next prime over 100 × N, every join or leave in a fleet of
 * over 655 changed it and moved nearly every key, not ~1/N of them. On the ladder the size (and
 * with it every key's slot) changes only when the fleet grows past 655, 1,311, 2,621 or 5,243.
 */
const TABLE_SIZES: readonly number[] = [65_537, 131_072, 262_144, 524_288, 1_000_003].map(nextPrime);

/**
 * Maglev consistent hashing (Google's Maglev paper): sticky routing by `key` with near-perfect
 * balance, O(1) picks from a lookup table, and about 1/N of keys moving when an endpoint joins or
 * leaves. Weights are not used. `pick({ key })` requires a non-empty key.
 */
export function maglev(): BalancingStrategy {
  const tables = new TableCache();
  return {
    name: 'maglev',
    validatePickArgs(args: PickArgs) {
      if (typeof args.key !== 'string' || args.key.length === 0) {
        throw new InvalidArgumentError('key', 'maglev needs a non-empty string key to route by');
      }
    },
    createPicker(endpoints: readonly Endpoint[]): Picker {
      if (endpoints.length === 0) return { pick: () => undefined };
      // By id, so that the table (built over ids in that order) fits whatever order they came in.
      const byId = [...endpoints].sort((a, b) => compareIds(a.instance.id, b.instance.id));
      const table = tables.get(byId.map((endpoint) => endpoint.instance.id));
      return { pick: (args) => byId[table[fnv1a(args.key ?? '', 0x9747b28c) % table.length] as number] };
    },
    toString: () => 'maglev',
  };
}

/** Tables kept for sets of ids seen lately, at most this many, */
const CACHED_TABLES = 8;
/** and at most this many slots in all (16 MiB; four tables at 10,000 instances), the newest always kept. */
const CACHED_SLOTS = 4 * 1_048_576;

/**
 * The tables of the id sets a strategy built pickers over lately (its groups': every instance, each
 * version of a split, each track), by set. Discovery makes new pickers on every change of its view,
 * and most leave a group's set as it was: a slow-start tick (maglev does not use weights), a canary
 * controller's new shares, an ejection elsewhere, or one that ended (the set before it comes back).
 * A fill takes ~5 ms for a few instances (65,537 slots at least) and ~110 ms at 10,000 (1,000,003
 * slots); filled anew every time, a ramp blocked the event loop that long every tick, per group.
 */
class TableCache {
  private readonly tables = new Map<string, Int32Array>();
  private slots = 0;

  /** The table of `ids`, sorted by {@link compareIds}: built, or the one built for the same set. */
  get(ids: readonly string[]): Int32Array {
    const key = ids.join('\u0000'); // a registered id holds no NUL (INSTANCE_LIMITS.idPattern)
    let table = this.tables.get(key);
    if (table !== undefined) {
      this.tables.delete(key); // re-inserted last: the map stays in order of use
    } else {
      table = buildTable(ids);
      this.slots += table.length;
      for (const [oldKey, old] of this.tables) {
        if (this.tables.size < CACHED_TABLES && this.slots <= CACHED_SLOTS) break;
        this.tables.delete(oldKey);
        this.slots -= old.length;
      }
    }
    this.tables.set(key, table);
    return table;
  }
}

function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Builds the Maglev lookup table: slot → index into `ids`. The table depends on the set of ids, not
 * on their order: Maglev's fill takes turns, and whoever takes its turn first wins a contested slot,
 * so the turns go in id order. Filled in the order given, two clients that learnt the same instances
 * in different orders (snapshot order, joins seen at different times) routed a key differently.
 */
export function buildTable(ids: readonly string[]): Int32Array {
  const size = TABLE_SIZES.find((candidate) => candidate >= ids.length * 100) ?? (TABLE_SIZES.at(-1) as number);
  const count = ids.length;
  const order = Int32Array.from(ids.keys()).sort((a, b) => compareIds(ids[a] as string, ids[b] as string));
  const offsets = new Uint32Array(count);
  const skips = new Uint32Array(count);
  const next = new Uint32Array(count);
  for (let turn = 0; turn < count; turn++) {
    const id = ids[order[turn] as number] as string;
    offsets[turn] = fnv1a(id, 0x811c9dc5) % size;
    skips[turn] = (fnv1a(id, 0x01000193) % (size - 1)) + 1;
  }
  const table = new Int32Array(size).fill(-1);
  let filled = 0;
  while (filled < size) {
    for (let turn = 0; turn < count && filled < size; turn++) {
      let slot = ((offsets[turn] as number) + (skips[turn] as number) * (next[turn] as number)) % size;
      while (table[slot] !== -1) {
        next[turn] = (next[turn] as number) + 1;
        slot = ((offsets[turn] as number) + (skips[turn] as number) * (next[turn] as number)) % size;
      }
      table[slot] = order[turn] as number;
      next[turn] = (next[turn] as number) + 1;
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
