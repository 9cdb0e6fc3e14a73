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
 * Power of two choices over peak-EWMA latency × (outstanding + 1), divided by weight (Finagle's and
 * Linkerd's balancer). Two distinct random endpoints are compared and the cheaper one wins, so a
 * slow or overloaded endpoint gets little traffic without any endpoint being starved of probes.
 * Latency EWMA, overload and failure penalties are recorded by discovery when a lease is `done`.
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
  const cost = (endpoint: Endpoint): number => {
    const { stats } = endpoint;
    const cold = stats.samples === 0 || (stats instanceof EndpointLoad && stats.stale);
    const base = cold ? coldPenaltyMs * stats.outstanding : stats.latencyEwmaMs * (stats.outstanding + 1);
    return base / endpoint.weight;
  };
  return {
    name: 'p2c-ewma',
    createPicker(endpoints: readonly Endpoint[]): Picker {
      const count = endpoints.length;
      const next = fastRandom();
      const fast = slabPicker(endpoints, coldPenaltyMs);
      if (fast) return fast;
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
  /** Undefined when every weight is the same: dividing by it would not change any comparison. */
  private readonly weights: Float64Array | undefined;
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
    const weight = endpoints[0]?.weight;
    this.weights = endpoints.every((endpoint) => endpoint.weight === weight)
      ? undefined
      : Float64Array.from(endpoints, (endpoint) => endpoint.weight);
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
    const load =
      array[base + SAMPLES] === 0 || isStale(array, base, now, this.slab.decayMs)
        ? this.coldPenaltyMs * outstanding
        : decayedWith(array, base, factor) * (outstanding + 1);
    const weights = this.weights;
    return weights === undefined ? load : load / (weights[index] as number);
  }
}
