import type { BalancingStrategy, Event, Logger, PickArgs, ServiceInstance } from '@switchyard/core';
import type { Registry } from '@switchyard/registry';
import type { BalancerRegistry } from './balancers/balancer-registry.js';
import type { VersionOutcome } from './canary/version-outcomes.js';
import type { OutlierDetectionOptions } from './outlier/outlier-detection.js';
import type { InstanceFilter } from './pipeline/instance-filter.js';
import type { SlowStartOptions } from './pipeline/slow-start.js';
import type { SubsetOptions } from './pipeline/subset.js';
import type { ZoneOptions } from './pipeline/zone-preference.js';

/** Options for {@link createDiscovery}. */
export interface DiscoveryOptions {
  /** Where the service's instances (and its route rule) are watched. Not closed by `close()`: the caller owns it. */
  registry: Registry;
  /** The service to discover. */
  service: string;
  /** A built-in name or your own strategy. @default 'p2c-ewma' */
  balancer?: string | BalancingStrategy;
  /** Where balancer names are looked up. @default builtInBalancers() */
  balancers?: BalancerRegistry;
  /** Which instances may be used (version, metadata, or a predicate). @default all */
  filter?: InstanceFilter;
  /**
   * The caller's zone (or zone options): prefer it while it has enough healthy capacity
   * (`minHealthyFraction: 0.7`, `minInstances: 1` by default). @default none (no zone preference)
   */
  zone?: string | ZoneOptions;
  /** Passive health checking from call outcomes; `false` turns it off. @default on, see DEFAULT_OUTLIER_DETECTION */
  outlierDetection?: OutlierDetectionOptions | false;
  /** Deterministic subsetting for large fleets. @default off */
  subset?: SubsetOptions;
  /** Ramp up the share of new instances (and of instances turning from draining to up). @default off */
  slowStart?: SlowStartOptions;
  /**
   * Hosts registry entries may point at (names, `*.domains`, IPv4 CIDRs); entries elsewhere are
   * ignored with a warning. @default any host
   */
  allowedHosts?: readonly string[];
  /** Time constant of the latency EWMA decay. @default 10_000 */
  latencyDecayMs?: number;
  /**
   * Where discovery reports ejections, ignored entries and registry trouble. A watch that cannot
   * start (the registry unreachable) is retried every second: warned about on the first failure and
   * once a minute after that (the tries between at debug), with an info line when it starts.
   * @default silentLogger
   */
  logger?: Logger;
}

/** What a call reports when it ends. */
export interface CallOutcome {
  /** Whether the call succeeded (an application-level error reply such as NOT_FOUND is still ok for health). */
  ok: boolean;
  /** Observed latency of this attempt. */
  latencyMs: number;
  /** The instance answered "overloaded" (HTTP 429/503, gRPC RESOURCE_EXHAUSTED): counted as load, not as a fast success. */
  overloaded?: boolean;
  /** The connection failed (refused, reset, timed out connecting): one such failure ejects by default. */
  connectionFailed?: boolean;
  /**
   * With `ok: false`: the call never reached the instance because the client gave it up before
   * sending it (e.g. it closed the connection the call was waiting for). It frees the lease's slot
   * and counts nothing: no latency, no failure, no version outcome.
   */
  notSent?: boolean;
}

/** One picked instance; report how the call went with `done` (exactly once; later calls are ignored). */
export interface Lease {
  /** The picked instance: call it. */
  readonly instance: ServiceInstance;
  /** Reports how the call went (latency, failure) to the balancer and outlier detection, and frees the slot. */
  done(outcome: CallOutcome): void;
}

/** An ejection by outlier detection. */
export interface EjectionEvent {
  /** The ejected instance's id. */
  id: string;
  /** How long it stays ejected (ms, jitter included). */
  ejectedForMs: number;
  /** Ejections in a row (the backoff exponent). */
  ejectionCount: number;
}

/**
 * A watching cache of one service's instances with a load balancer in front: `pick()` is
 * synchronous and does no I/O, and keeps working from the last known view while the registry is
 * unreachable.
 */
export interface Discovery {
  /** The service discovered (as given in the options). */
  readonly service: string;
  /** True while the registry is unreachable and the view may be out of date. */
  readonly stale: boolean;
  /** True once the first snapshot arrived (a synchronous check before awaiting `ready()`). */
  readonly isReady: boolean;
  /**
   * Resolves once the first snapshot arrived. Rejects with REGISTRY_UNAVAILABLE after `timeoutMs`
   * (none: waits as long as it takes), or at once when the discovery was closed without one;
   * INVALID_ARGUMENT for a `timeoutMs` that is negative or not a number. CANCELLED, at once, when
   * `signal` aborts (the wait is dropped, not left to its timeout).
   */
  ready(options?: { timeoutMs?: number; signal?: AbortSignal }): Promise<void>;
  /** The healthy instances picks choose from (before zone preference; without versions the route rule sends nothing). */
  instances(): readonly ServiceInstance[];
  /**
   * Picks an instance (`args` undefined or `null`: none). @throws NoInstancesError (not retryable:
   * nothing to call); InvalidArgumentError for bad pick arguments (maglev without a `key`).
   */
  pick(args?: PickArgs): Lease;
  /**
   * The healthy view changed: an instance joined, left, was ejected or came back, or changed
   * (status, weight, address, metadata…); told the new view (the same array `instances()` then
   * returns). Also told the first view. Not told for rebuilds that leave the view as it was (slow
   * start ramping, a route rule that only changes shares, a registry resync with nothing new), so
   * listeners may do real work. A rule that sends a version nothing takes it out of the view.
   */
  readonly onChange: Event<readonly ServiceInstance[]>;
  /** The view became stale (registry unreachable) or fresh again. */
  readonly onStaleChange: Event<boolean>;
  /** Outlier detection ejected an instance. */
  readonly onEjection: Event<EjectionEvent>;
  /** Cumulative call outcomes per version (counters only grow: diff two reads for a window). */
  versionOutcomes(): Map<string, VersionOutcome>;
  /**
   * Stops the watch and its timers. A `ready()` still waiting for the first snapshot rejects with
   * REGISTRY_UNAVAILABLE; `pick()` keeps answering from the last view. Leaves the registry open (the
   * caller owns it). Idempotent.
   */
  close(): Promise<void>;
}
