import type { BalancingStrategy, Endpoint, Picker } from '@switchyard/core';
import { fastRandom } from './fast-random.js';

/** Up to this many endpoints are scanned exactly; above it, two random choices are compared. */
const EXACT_SCAN_LIMIT = 8;

/**
 * The endpoint with the fewest calls in flight. Small sets are scanned exactly; larger ones use the
 * power of two random choices (Envoy's LEAST_REQUEST), which keeps picks O(1) and avoids the herd
 * that an exact minimum causes when many clients see the same idle endpoint.
 */
export function leastOutstanding(): BalancingStrategy {
  return {
    name: 'least-outstanding',
    createPicker(endpoints: readonly Endpoint[]): Picker {
      const count = endpoints.length;
      let offset = Math.floor(Math.random() * Math.max(count, 1));
      const next = fastRandom();
      return {
        pick() {
          if (count === 0) return undefined;
          if (count <= EXACT_SCAN_LIMIT) {
            // The scan starts one endpoint further at every pick (from a random first one), so ties
            // go round. A fixed start gave every tie to the same endpoint: at low concurrency, when
            // every endpoint is idle at each pick, it got all the traffic.
            const start = offset;
            offset = start + 1 === count ? 0 : start + 1;
            let best = endpoints[start] as Endpoint;
            for (let step = 1; step < count; step++) {
              const candidate = endpoints[(start + step) % count] as Endpoint;
              if (candidate.stats.outstanding < best.stats.outstanding) best = candidate;
            }
            return best;
          }
          const first = next(count);
          let second = next(count - 1);
          if (second >= first) second++;
          const a = endpoints[first] as Endpoint;
          const b = endpoints[second] as Endpoint;
          return b.stats.outstanding < a.stats.outstanding ? b : a;
        },
      };
    },
    toString: () => 'least-outstanding',
  };
}
