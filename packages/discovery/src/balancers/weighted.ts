import type { BalancingStrategy, Endpoint, Picker } from '@switchyard/core';

/**
 * Smooth weighted round robin (nginx's algorithm): over every cycle of total weight W, endpoint i
 * is picked exactly w_i times, and its picks are spread out instead of bunched (weights 5,1,1 give
 * a a b a c a a). A pick costs O(n); for fleets of thousands prefer `p2c-ewma` or subsetting.
 */
export function weighted(): BalancingStrategy {
  return {
    name: 'weighted',
    createPicker(endpoints: readonly Endpoint[]): Picker {
      const count = endpoints.length;
      const weights = Float64Array.from(endpoints, (endpoint) => endpoint.weight);
      const current = new Float64Array(count);
      let total = 0;
      for (const weight of weights) total += weight;
      return {
        pick() {
          if (count === 0) return undefined;
          let best = 0;
          for (let index = 0; index < count; index++) {
            current[index] = (current[index] as number) + (weights[index] as number);
            if ((current[index] as number) > (current[best] as number)) best = index;
          }
          current[best] = (current[best] as number) - total;
          return endpoints[best];
        },
      };
    },
    toString: () => 'weighted',
  };
}
