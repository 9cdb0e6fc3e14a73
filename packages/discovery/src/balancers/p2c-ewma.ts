import {
  assertKnownKeys,
  assertNumber,
  assertObject,
  type BalancingStrategy,
  type Endpoint,
  type Picker,
  withDefaults,
} from '@switchyard/core';
import { EndpointLoad } from '../endpoint-load.js';
import { decayedWith, isStale, type LoadSlab, OUTSTANDING, SAMPLES } from '../load-slab.js';
import { fastRandom, toBound } from './fast-random.js';

/** Options for {@link p2cEwma}. */
export interface P2cEwmaOptions {
  /**
   * Cost per call in flight for an endpoint with no latency sample yet: a new endpoint gets one
   * probe at once (cost 0 while idle) but is not flooded before its first answer. @default 1_000
   */
  coldPenaltyMs?: number;
}

/** Defaults of {@link P2cEwmaOptions}. */
export const DEFAULT_P2C_EWMA_OPTIONS = Object.freeze({ coldPenaltyMs: 1_000 });

/**
 * Power of two choices over peak-EWMA latency × (outstanding + 1) (Finagle's and Linkerd's
 * balancer). Two distinct random endpoints are compared and the cheaper one wins, so a slow or
 * overloaded endpoint gets little traffic without any endpoint being starved of probes. Latency
 * EWMA, overload and failure penalties are recorded by discovery when a lease is `done`.
 *
 * When weights differ (slow start ramps an instance through its weight), they set how often an
 * endpoint is one of the two candidates: each is drawn with probability proportional to its weight
 * (the second among the others), the costs are not divided by it, calls in flight count per unit of
 * weight (over the mean), and the second wins only when clearly cheaper (its cost × 1.25 still
 * below the first's): else the first. Among endpoints that cost about the same (one call at a time
 * or under load, equal latencies) an endpoint's share is then its share of the total weight; a slow
 * or loaded one still loses its comparisons and gets less. An endpoint of weight 0 beside weighted
 * ones is never a candidate. With every weight the same, the draw is uniform and the cheaper one
 * wins, as ever. (Dividing the cost by the weight, as before, was winner-take-all at low
 * concurrency, where costs are nearly equal: weights 1, 1, 2 gave shares of about 17, 17 and 66 %,
 * and an instance in slow start got no call at all until its window ended.)
 *
 * An endpoint whose average is stale (no sample for longer than the decay time constant, see
 * {@link EndpointLoad.stale}) costs what an endpoint without samples does: a penalised endpoint
 * (one that timed out while stalled) is probed again after that long, not after the ~ln(penalty ÷
 * a neighbour's cost) time constants its average takes to decay (over a minute for a 1 s timeout).
 */
export function p2cEwma(options: P2cEwmaOptions = {}): BalancingStrategy {
  // null, a string… (from a config file, through BalancerRegistry.create) was a raw TypeError.
  assertObject('p2c-ewma', options);
  assertKnownKeys('p2c-ewma', options as Record<string, unknown>, ['coldPenaltyMs']);
  const { coldPenaltyMs } = withDefaults(DEFAULT_P2C_EWMA_OPTIONS, options);
  assertNumber('p2c-ewma.coldPenaltyMs', coldPenaltyMs, 0, 3_600_000);
  /** `relative`: the endpoint's weight over the candidates' mean weight (1 when all are the same). */
  const cost = (endpoint: Endpoint, relative = 1): number => {
    const { stats } = endpoint;
    const cold = stats.samples === 0 || (stats instanceof EndpointLoad && stats.stale);
    // Not divided by the weight: weights act through how often an endpoint is a candidate, and
    // through calls in flight counted per unit of weight (see WeightedCandidates).
    return cold ? coldPenaltyMs * stats.outstanding : stats.latencyEwmaMs * (stats.outstanding / relative + 1);
  };
  return {
    name: 'p2c-ewma',
    createPicker(endpoints: readonly Endpoint[]): Picker {
      const count = endpoints.length;
      const next = fastRandom();
      const fast = slabPicker(endpoints, coldPenaltyMs);
      if (fast) return fast;
      const weighted = WeightedCandidates.of(endpoints);
      if (weighted) {
        return {
          pick() {
            const first = weighted.first();
            const second = weighted.second(first);
            if (second < 0) return endpoints[first];
            const a = cost(endpoints[first] as Endpoint, weighted.relative(first));
            const b = cost(endpoints[second] as Endpoint, weighted.relative(second));
            return endpoints[clearlyCheaper(b, a) ? second : first];
          },
        };
      }
      return {
        pick() {
          if (count < 2) return endpoints[0];
          const first = next(count);
          let second = next(count - 1);
          if (second >= first) second++;
          const a = endpoints[first] as Endpoint;
          const b = endpoints[second] as Endpoint;
          return cost(b) < cost(a) ? b : a;
        },
      };
    },
    toString: () => `p2c-ewma(coldPenaltyMs=${coldPenaltyMs})`,
  };
}

/**
 * The same choice, reading loads straight from their shared slab when every endpoint's stats are
 * discovery's EndpointLoad in one slab: two cache lines per pick instead of four scattered objects.
 */
function slabPicker(endpoints: readonly Endpoint[], coldPenaltyMs: number): Picker | undefined {
  const first = endpoints[0]?.stats;
  if (!(first instanceof EndpointLoad) || endpoints.length < 2) return undefined;
  const { slab } = first;
  if (!endpoints.every((endpoint) => endpoint.stats instanceof EndpointLoad && endpoint.stats.slab === slab)) {
    return undefined;
  }
  return new SlabPicker(endpoints, first, coldPenaltyMs);
}

/**
 * The slab picker as a class, not a closure: every discovery (one per service a process calls)
 * has its own picker, and V8 optimises a closure's body for the values it captured while only one
 * such closure exists; with a second one the same body was measured ~75 % slower per pick. Fields
 * read through `this` cost the same however many pickers there are.
 */
class SlabPicker implements Picker {
  private readonly count: number;
  private readonly bases: Int32Array;
  /**
   * How candidates are drawn when weights differ; undefined when every weight is the same, so the
   * uniform draw below (the common case, which the benchmarks measure) does no extra work.
   */
  private readonly weighted: WeightedCandidates | undefined;
  private readonly slab: LoadSlab;
  private readonly clock: () => number;
  /** xorshift32 state (see fastRandom), inline here for the same reason. */
  private state: number;

  constructor(
    private readonly endpoints: readonly Endpoint[],
    load: EndpointLoad,
    private readonly coldPenaltyMs: number,
  ) {
    this.count = endpoints.length;
    this.bases = Int32Array.from(endpoints, (endpoint) => (endpoint.stats as EndpointLoad).base);
    this.weighted = WeightedCandidates.of(endpoints);
    this.slab = load.slab;
    this.clock = load.clock;
    this.state = (Math.random() * 0xffffffff) | 1;
  }

  pick(): Endpoint | undefined {
    // Every line's decayed latency is its scaled value times this one factor (see LoadSlab); taken
    // first, because computing it may rebase the scaled values.
    const now = this.clock();
    const factor = this.slab.decayFactor(now);
    const array = this.slab.array;
    const weighted = this.weighted;
    if (weighted !== undefined) {
      const first = weighted.first();
      const second = weighted.second(first);
      if (second < 0) return this.endpoints[first];
      const a = this.weightedCost(array, first, factor, now, weighted.relative(first));
      const b = this.weightedCost(array, second, factor, now, weighted.relative(second));
      return this.endpoints[clearlyCheaper(b, a) ? second : first];
    }
    const a = this.random(this.count);
    let b = this.random(this.count - 1);
    if (b >= a) b++;
    return this.endpoints[this.cost(array, b, factor, now) < this.cost(array, a, factor, now) ? b : a];
  }

  private random(bound: number): number {
    let state = this.state;
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    this.state = state;
    return toBound(state, bound);
  }

  private cost(array: Float64Array, index: number, factor: number, now: number): number {
    const base = this.bases[index] as number;
    const outstanding = array[base + OUTSTANDING] as number;
    // No sample yet, or none for longer than the decay constant (stale): cold (see p2cEwma).
    // Not divided by the weight: weights act through how often an endpoint is a candidate.
    return array[base + SAMPLES] === 0 || isStale(array, base, now, this.slab.decayMs)
      ? this.coldPenaltyMs * outstanding
      : decayedWith(array, base, factor) * (outstanding + 1);
  }

  /** {@link cost} with calls in flight counted per unit of weight (see WeightedCandidates). */
  private weightedCost(array: Float64Array, index: number, factor: number, now: number, relative: number): number {
    const base = this.bases[index] as number;
    const outstanding = array[base + OUTSTANDING] as number;
    return array[base + SAMPLES] === 0 || isStale(array, base, now, this.slab.decayMs)
      ? this.coldPenaltyMs * outstanding
      : decayedWith(array, base, factor) * (outstanding / relative + 1);
  }
}

/**
 * When weights differ, the second candidate wins only when it is clearly cheaper than the first
 * (by more than this factor); else the first, drawn in proportion to weight, does. A strict `<`
 * made the weights count for nothing at low concurrency: with equal latencies the costs differ only
 * by how long each average has decayed since its last sample, so the pair's less recently used
 * endpoint always won, which evens the calls out (weights 3 and 1 gave 50 % and 50 %; 1, 1 and 2
 * gave 31, 32 and 37 %). A slow or loaded endpoint (cost 10 times, or one call in flight more than
 * an idle one) still loses.
 */
const CLEARLY_CHEAPER = 1.25;

function clearlyCheaper(candidate: number, than: number): boolean {
  return candidate * CLEARLY_CHEAPER < than;
}

/** Redraws of a second candidate that came out equal to the first before drawing it another way. */
const MAX_REDRAWS = 8;

/** 2^-32 (as in toBound). */
const TWO_TO_MINUS_32 = 2.3283064365386963e-10;

/**
 * Draws p2c's two candidates with probability proportional to their weights, in O(1) per draw: an
 * alias table (Vose's method) over the endpoints of weight above 0, built once per picker. A class
 * for the reason SlabPicker is one; with its own xorshift32 state.
 */
class WeightedCandidates {
  /** Endpoint index of each table slot (only endpoints of weight above 0 have one). */
  private readonly indices: Int32Array;
  /** Per slot: the chance (0–1) that a draw landing on it keeps it, else it goes to its alias. */
  private readonly keep: Float64Array;
  /** Per slot: the slot a draw goes to when it does not keep its own. */
  private readonly alias: Int32Array;
  /** Per endpoint index: its weight over the mean weight of the candidates (0 for weight 0). */
  private readonly relatives: Float64Array;
  private readonly slots: number;
  private state: number;

  /** Undefined when every weight is the same (the uniform draw is then exact and cheaper) or none is above 0. */
  static of(endpoints: readonly Endpoint[]): WeightedCandidates | undefined {
    const weight = endpoints[0]?.weight;
    if (endpoints.length < 2 || endpoints.every((endpoint) => endpoint.weight === weight)) return undefined;
    const indices: number[] = [];
    for (const [index, endpoint] of endpoints.entries()) {
      if (Number.isFinite(endpoint.weight) && endpoint.weight > 0) indices.push(index);
    }
    if (indices.length === 0) return undefined;
    return new WeightedCandidates(
      Int32Array.from(indices),
      Float64Array.from(indices, (index) => (endpoints[index] as Endpoint).weight),
      endpoints.length,
    );
  }

  private constructor(indices: Int32Array, weights: Float64Array, endpoints: number) {
    const slots = indices.length;
    this.indices = indices;
    this.slots = slots;
    this.keep = new Float64Array(slots);
    this.alias = new Int32Array(slots);
    this.state = (Math.random() * 0xffffffff) | 1;
    let total = 0;
    for (const weight of weights) total += weight;
    // Calls in flight are counted per unit of weight: an endpoint of twice the mean weight, which
    // gets twice the calls, has about twice as many in flight without being any busier. Counted
    // whole, it lost its comparisons under load and the shares drifted back toward even.
    this.relatives = new Float64Array(endpoints);
    for (const [slot, index] of indices.entries()) this.relatives[index] = ((weights[slot] as number) * slots) / total;
    // Vose: each slot's weight scaled so that the mean is 1; a slot below 1 is topped up from one above.
    const scaled = Float64Array.from(weights, (weight) => (weight * slots) / total);
    const small: number[] = [];
    const large: number[] = [];
    for (let slot = 0; slot < slots; slot++) ((scaled[slot] as number) < 1 ? small : large).push(slot);
    while (small.length > 0 && large.length > 0) {
      const less = small.pop() as number;
      const more = large.pop() as number;
      this.keep[less] = scaled[less] as number;
      this.alias[less] = more;
      scaled[more] = (scaled[more] as number) + (scaled[less] as number) - 1;
      ((scaled[more] as number) < 1 ? small : large).push(more);
    }
    // What is left is 1 up to rounding errors (every weight here is above 0, so none is a 0 made 1).
    for (const slot of large) this.keep[slot] = 1;
    for (const slot of small) this.keep[slot] = 1;
  }

  /** The weight of the endpoint at `index` over the candidates' mean weight. */
  relative(index: number): number {
    return this.relatives[index] as number;
  }

  /** An endpoint index drawn with probability proportional to its weight. */
  first(): number {
    return this.indices[this.slot()] as number;
  }

  /**
   * A second endpoint index, other than `first`, drawn in proportion to the weights of the others;
   * -1 when no other endpoint has a weight above 0. Redrawn while equal to `first` (exact); after
   * {@link MAX_REDRAWS} (an endpoint with most of the weight), uniformly among the other slots.
   */
  second(first: number): number {
    const slots = this.slots;
    if (slots < 2) return -1;
    for (let attempt = 0; attempt < MAX_REDRAWS; attempt++) {
      const index = this.indices[this.slot()] as number;
      if (index !== first) return index;
    }
    const firstSlot = this.indices.indexOf(first);
    let slot = toBound(this.next(), slots - 1);
    if (slot >= firstSlot) slot++;
    return this.indices[slot] as number;
  }

  private slot(): number {
    // One random number gives both the slot (its integer part) and the coin (its fraction).
    const scaled = (this.next() >>> 0) * this.slots * TWO_TO_MINUS_32;
    const slot = scaled | 0;
    return scaled - slot < (this.keep[slot] as number) ? slot : (this.alias[slot] as number);
  }

  private next(): number {
    let state = this.state;
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    this.state = state;
    return state;
  }
}
