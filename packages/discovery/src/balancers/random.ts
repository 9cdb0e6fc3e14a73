import type { BalancingStrategy, Endpoint, Picker } from '@switchyard/core';
import { fastRandom } from './fast-random.js';

/** A uniformly random endpoint (weights ignored; see `weighted`). */
export function random(): BalancingStrategy {
  return {
    name: 'random',
    createPicker(endpoints: readonly Endpoint[]): Picker {
      const count = endpoints.length;
      const next = fastRandom();
      return { pick: () => (count === 0 ? undefined : endpoints[next(count)]) };
    },
    toString: () => 'random',
  };
}
