import {
  assertInteger,
  assertKnownKeys,
  assertObject,
  assertString,
  fnv1a,
  mulberry32,
  type ServiceInstance,
} from '@switchyard/core';

/** Deterministic subsetting: each client talks to `size` of the N instances. */
export interface SubsetOptions {
  /** How many instances this client uses (k). */
  size: number;
  /**
   * This client's index among its peers (e.g. a StatefulSet ordinal): consecutive indices give a
   * perfectly even spread. @default derived from `clientId`
   */
  clientIndex?: number;
  /** Hashed into `clientIndex` when no index is given. @default a random id per process */
  clientId?: string;
}

/** A validated subsetting stage. */
export interface Subsetter {
  /**
   * This client's subset of `instances`. Each member `needsStandIn` accepts (an ejected one) is
   * kept and joined by a stand-in: the next instance of this client's shuffle after its own slice
   * that `needsStandIn` does not accept, so the subset keeps `size` members that can serve.
   */
  apply(
    instances: readonly ServiceInstance[],
    needsStandIn?: (instance: ServiceInstance) => boolean,
  ): ServiceInstance[];
}

/**
 * Google SRE deterministic subsetting: clients are grouped in rounds of N/k; every round shuffles
 * the instances with the round number as seed, and each client of the round takes its own slice of
 * k. Within a round every instance serves exactly one client, so load spreads evenly, and a client
 * keeps its subset as long as the instance list is unchanged.
 */
export function createSubsetter(options: SubsetOptions): Subsetter {
  assertObject('subset', options);
  assertKnownKeys('subset', options as unknown as Record<string, unknown>, ['size', 'clientIndex', 'clientId']);
  assertInteger('subset.size', options.size, 1, 1_000_000);
  if (options.clientIndex !== undefined)
    assertInteger('subset.clientIndex', options.clientIndex, 0, Number.MAX_SAFE_INTEGER);
  if (options.clientId !== undefined)
    assertString('subset.clientId', options.clientId, /^.{1,256}$/, 'must be 1-256 characters');
  const clientIndex = options.clientIndex ?? fnv1a(options.clientId ?? `${process.pid}-${Math.random()}`) % 1_000_003;
  const size = options.size;
  return {
    apply(instances, needsStandIn) {
      if (instances.length <= size) return [...instances];
      const sorted = [...instances].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      const subsetsPerRound = Math.floor(sorted.length / size);
      const round = Math.floor(clientIndex / subsetsPerRound);
      shuffle(sorted, round);
      const start = (clientIndex % subsetsPerRound) * size;
      const chosen = sorted.slice(start, start + size);
      if (needsStandIn === undefined) return chosen;
      // Ejected members stay (their ejection ends, they are counted as now) and each gets a stand-in
      // from further along this client's own shuffle: the same in every client of that index, and
      // back to the plain subset once the ejections end. Drawn without them (as draining ones are),
      // every ejection and release would reshuffle every client's subset; left alone, a client whose
      // subset of 3 had 2 ejected was in panic and sent 2 calls in 3 to them while the rest of the
      // fleet was healthy.
      let missing = 0;
      for (const member of chosen) if (needsStandIn(member)) missing++;
      for (let step = size; missing > 0 && step < sorted.length; step++) {
        const candidate = sorted[(start + step) % sorted.length] as ServiceInstance;
        if (!needsStandIn(candidate)) {
          chosen.push(candidate);
          missing--;
        }
      }
      return chosen;
    },
  };
}

/** Fisher–Yates shuffle with a seeded PRNG (mulberry32), identical in every client. */
function shuffle<T>(items: T[], seed: number): void {
  const next = mulberry32(seed);
  for (let index = items.length - 1; index > 0; index--) {
    const other = Math.floor(next() * (index + 1));
    [items[index], items[other]] = [items[other] as T, items[index] as T];
  }
}
