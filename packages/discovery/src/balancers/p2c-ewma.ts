import { assertKnownKeys, assertNumber, type BalancingStrategy, type Endpoint, type Picker } from '@switchyard/core';
import { fastRandom } from './fast-random.js';

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
 */
export function p2cEwma(options: P2cEwmaOptions = {}): BalancingStrategy {
  assertKnownKeys('p2c-ewma', options as Record<string, unknown>, ['coldPenaltyMs']);
  const { coldPenaltyMs } = { ...DEFAULT_P2C_EWMA_OPTIONS, ...options };
  assertNumber('p2c-ewma.coldPenaltyMs', coldPenaltyMs, 0, 3_600_000);
  const cost = (endpoint: Endpoint): number => {
    const { stats } = endpoint;
    const base =
      stats.samples === 0 ? coldPenaltyMs * stats.outstanding : stats.latencyEwmaMs * (stats.outstanding + 1);
    return base / endpoint.weight;
  };
  return {
    name: 'p2c-ewma',
    createPicker(endpoints: readonly Endpoint[]): Picker {
      const count = endpoints.length;
      const next = fastRandom();
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
