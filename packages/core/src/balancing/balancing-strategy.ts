import type { ServiceInstance } from '../instance/service-instance.js';

/**
 * Live load figures of one instance, kept by discovery and shared by every picker built over it.
 * Strategies read them; only discovery writes them (when a lease is `done`).
 */
export interface EndpointStats {
  /** Calls picked and not yet done. */
  outstanding: number;
  /** Peak-EWMA latency in ms; meaningful once `samples > 0`. */
  latencyEwmaMs: number;
  /** Number of latency samples recorded. */
  samples: number;
}

/** An instance as a balancer sees it: the instance, its effective weight now, and its load. */
export interface Endpoint {
  /** The registered instance. */
  readonly instance: ServiceInstance;
  /**
   * The weight to balance by: the instance's weight scaled by slow start (and any other
   * stage), at least 1 for an instance that may be picked at all.
   */
  readonly weight: number;
  /** Its live load, updated in place by discovery: read it at pick time, do not copy it. */
  readonly stats: EndpointStats;
}

/** Per-pick arguments. */
export interface PickArgs {
  /** Affinity key for sticky strategies (ring hash / maglev). */
  readonly key?: string | undefined;
  /**
   * The request's experiment track (A/B arm): instances whose metadata `track` matches are
   * preferred. @default the inherited call scope's track (baggage `switchyard.track`)
   */
  readonly track?: string | undefined;
}

/**
 * An immutable snapshot of a balancing decision structure, rebuilt whenever the set of endpoints
 * changes. `pick` is the hot path: synchronous, no I/O, O(1) or O(log n).
 */
export interface Picker {
  /** The chosen endpoint, or undefined when there is none. */
  pick(args: PickArgs): Endpoint | undefined;
}

/**
 * A load-balancing strategy: a name and a factory for pickers. It sees endpoints and pick
 * arguments, nothing else.
 *
 * @example
 * ```ts
 * const firstUp: BalancingStrategy = {
 *   name: 'first',
 *   createPicker: (endpoints) => ({ pick: () => endpoints[0] }),
 * };
 * ```
 */
export interface BalancingStrategy {
  /** The name it is registered and logged under (`p2c-ewma`). */
  readonly name: string;
  /**
   * Builds a picker over `endpoints`. Called when the healthy view changes, never per pick: do the
   * work here, not in `pick()`. One that throws (or returns no picker) is logged, and its endpoints
   * are picked round-robin until it builds one.
   */
  createPicker(endpoints: readonly Endpoint[]): Picker;
  /** Optional: validates pick arguments before picking (e.g. a sticky strategy requires `key`). */
  validatePickArgs?(args: PickArgs): void;
  /** For logs and `Discovery.toString()`: the name and the settings that matter. */
  toString(): string;
}
