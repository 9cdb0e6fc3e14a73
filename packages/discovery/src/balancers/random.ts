import type { BalancingStrategy, Endpoint, Picker } from '@switchyard/core';

/** A uniformly random endpoint (weights ignored; see `weighted`). */
export function random(): BalancingStrategy {
  return {
    name: 'random',
    createPicker(endpoints: readonly Endpoint[]): Picker {
      const count = endpoints.length;
      return { pick: () => (count === 0 ? undefined : endpoints[Math.floor(Math.random() * count)]) };
    },
    toString: () => 'random',
  };
}
