import type { BalancingStrategy, Endpoint, Picker } from '@switchyard/core';

/** Each endpoint in turn, starting at a random one so clients started together do not align. */
export function roundRobin(): BalancingStrategy {
  return {
    name: 'round-robin',
    createPicker(endpoints: readonly Endpoint[]): Picker {
      const count = endpoints.length;
      let next = Math.floor(Math.random() * count);
      return {
        pick() {
          if (count === 0) return undefined;
          const endpoint = endpoints[next];
          next = next + 1 === count ? 0 : next + 1;
          return endpoint;
        },
      };
    },
    toString: () => 'round-robin',
  };
}
