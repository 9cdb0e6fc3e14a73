import type { BalancingStrategy, Endpoint, Picker } from '@switchyard/core';

/**
 * Smooth weighted round robin (nginx's algorithm): over every cycle of total weight W, endpoint i
 * is picked w_i times, and its picks are spread out instead of bunched (weights 5,1,1 give
 * a a b a c a a). A pick costs O(n); for fleets of thousands prefer `p2c-ewma` or subsetting.
 *
 * Two things nginx's version does not need but a client library does:
 * - Each endpoint starts at a random point of its turn (nginx starts all at 0 and breaks ties by
 *   order), so clients started together do not all send their first calls to the first instance.
 * - A new picker (made on every registry event, ejection or slow-start step) carries each known
 *   instance's position over from the last one. Starting over at every rebuild favoured the first
 *   instances: with a rebuild every few picks, only they got traffic.
 */
export function weighted(): BalancingStrategy {
  // Where each instance's position lives now: the latest picker that holds it. One strategy makes
  // several pickers per rebuild (one per traffic group: all, each version, each track), so "the
  // last picker made" would only know the last group's instances.
  const positions = new Map<string, { current: Float64Array; index: number }>();
  // The largest picker made since the map was last cleared: the bound on how big it may grow.
  let largest = 0;
  return {
    name: 'weighted',
    createPicker(endpoints: readonly Endpoint[]): Picker {
      const count = endpoints.length;
      const weights = Float64Array.from(endpoints, (endpoint) => endpoint.weight);
      const current = new Float64Array(count);
      // Instances long gone are forgotten (the map would otherwise grow with every id ever seen).
      // Measured against the largest picker, not this one: a small group's picker (a track, a
      // canary) in a fleet of a thousand used to clear every instance's position.
      largest = Math.max(largest, count);
      if (positions.size > 4 * largest + 1_024) {
        positions.clear();
        largest = count;
      }
      let total = 0;
      for (let index = 0; index < count; index++) {
        const weight = weights[index] as number;
        total += weight;
        const id = (endpoints[index] as Endpoint).instance.id;
        const carried = positions.get(id);
        // A random point within the endpoint's first turn: the picks stay in proportion (the
        // offsets only shift where each cycle starts), but clients do not align.
        current[index] = carried ? (carried.current[carried.index] as number) : -Math.random() * weight;
        if (!carried) positions.set(id, { current, index });
      }
      // Takes over its instances' positions at its first pick, not when made: of the pickers one
      // rebuild makes, the one actually used is the one whose progress the next rebuild must carry.
      // (The last one made held them, often one never picked from, such as the untracked group of
      // a fleet where every instance has a track: each rebuild then restarted the same sequence.)
      let claimed = false;
      return {
        pick() {
          if (count === 0) return undefined;
          if (!claimed) {
            claimed = true;
            for (let index = 0; index < count; index++) {
              positions.set((endpoints[index] as Endpoint).instance.id, { current, index });
            }
          }
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
