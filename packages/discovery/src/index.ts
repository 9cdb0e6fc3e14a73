/**
 * @switchyard/discovery: pick a good live instance, instantly, even while the registry is down.
 *
 * Stance: balancing belongs in the client, by observed load. `p2c-ewma` (the default) sends little
 * traffic to a slow or overloaded instance without starving it of probes; outlier detection stops
 * using a dead instance at its first refused connection, long before its lease expires; and a
 * registry outage never fails a call — discovery keeps serving its last view, marked stale.
 *
 * @packageDocumentation
 */

// Discovery
export { createDiscovery, DISCOVERY_TUNING_KEYS } from './create-discovery.js';
export { awaitFirstSnapshot } from './await-first-snapshot.js';
export { pickUntried, pickWithPort } from './pick-with-port.js';
export { failedInstancesOf, noteFailedInstance } from './failed-instances.js';
export type { Discovery, DiscoveryOptions, Lease, CallOutcome, EjectionEvent } from './discovery.js';

// Balancers
export { roundRobin } from './balancers/round-robin.js';
export { random } from './balancers/random.js';
export { weighted } from './balancers/weighted.js';
export { leastOutstanding } from './balancers/least-outstanding.js';
export { p2cEwma, DEFAULT_P2C_EWMA_OPTIONS } from './balancers/p2c-ewma.js';
export type { P2cEwmaOptions } from './balancers/p2c-ewma.js';
export { maglev } from './balancers/maglev.js';
export { BalancerRegistry, builtInBalancers } from './balancers/balancer-registry.js';
export type { BalancerFactory } from './balancers/balancer-registry.js';

// Selection pipeline options
export type { InstanceFilter } from './pipeline/instance-filter.js';
export type { ZoneOptions } from './pipeline/zone-preference.js';
export type { SubsetOptions } from './pipeline/subset.js';
export type { SlowStartOptions } from './pipeline/slow-start.js';
export { DEFAULT_OUTLIER_DETECTION } from './outlier/outlier-detection.js';
export type { OutlierDetectionOptions } from './outlier/outlier-detection.js';

// Canary releases
export { createCanaryController, DEFAULT_CANARY_OPTIONS } from './canary/canary-controller.js';
export type { CanaryController, CanaryOptions, CanaryDecision } from './canary/canary-controller.js';
export { latencyQuantile, outcomeDelta, LATENCY_BUCKETS_MS } from './canary/version-outcomes.js';
export type { VersionOutcome } from './canary/version-outcomes.js';

// Load bookkeeping (for custom balancers and simulations)
export { EndpointLoad } from './endpoint-load.js';
export { LoadSlab } from './load-slab.js';
