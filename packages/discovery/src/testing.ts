/**
 * @switchyard/discovery/testing: a deterministic-time simulation of a balancer against backends
 * of known speed, used by the tests and by `pnpm bench:discovery` to compare balancing quality
 * (share of traffic to a slow instance, latency percentiles) against an oracle.
 *
 * @packageDocumentation
 */
import {
  assertInteger,
  assertKnownKeys,
  assertNumber,
  assertObject,
  type BalancingStrategy,
  type Endpoint,
  InvalidArgumentError,
  type ServiceInstance,
} from '@switchyard/core';
import { EndpointLoad } from './endpoint-load.js';

/** One simulated backend. */
export interface SimulatedBackend {
  /** Mean service time of one request when not queued. */
  latencyMs: number;
  /** Requests it serves at once; more wait in its queue. @default 4 */
  parallelism?: number;
}

/** Options for {@link simulateBalancing}. */
export interface SimulationOptions {
  /** The backends, at least one; the shares of the result follow their order. */
  backends: readonly SimulatedBackend[];
  /** A strategy, or `'oracle'`: pick the backend with the least expected completion time, knowing true speeds. */
  balancer: BalancingStrategy | 'oracle';
  /** Closed-loop clients, each sending its next request when the previous answers. @default 32 */
  concurrency?: number;
  /** Requests in all (an integer from 1 to 10,000,000). @default 20_000 */
  requests?: number;
  /** Latency EWMA time constant. @default 10_000 */
  latencyDecayMs?: number;
}

/** What a simulation measured. */
export interface SimulationResult {
  /** Share of requests per backend (sums to 1). */
  share: number[];
  /** Median latency as the clients saw it (queueing included), virtual ms. */
  p50Ms: number;
  /** 99th-percentile latency, virtual ms. */
  p99Ms: number;
  /** Mean latency, virtual ms. */
  meanMs: number;
}

interface Pending {
  at: number;
  backend: number;
  startedAt: number;
}

/**
 * Runs a closed-loop simulation in virtual time. Each backend serves `parallelism` requests at once
 * with service times uniformly spread ±50 % around its mean; extra requests queue. Latency as the
 * client sees it (queueing included) feeds the balancer exactly as `lease.done()` does.
 *
 * @throws InvalidArgumentError naming the option that is out of range (no backends, a negative
 * latency, a parallelism, concurrency or request count that is no positive integer), or `balancer`
 * when it picks an endpoint it was not given.
 */
export function simulateBalancing(options: SimulationOptions): SimulationResult {
  validateSimulation(options);
  const concurrency = options.concurrency ?? 32;
  const total = options.requests ?? 20_000;
  let now = 0;
  const clock = (): number => now;
  const endpoints: Endpoint[] = options.backends.map((_, index) => ({
    instance: fakeInstance(index),
    weight: 100,
    stats: new EndpointLoad(options.latencyDecayMs ?? 10_000, clock),
  }));
  const picker = options.balancer === 'oracle' ? undefined : options.balancer.createPicker(endpoints);
  const busy = options.backends.map(() => 0);
  const queues: number[][] = options.backends.map(() => []);
  const events: Pending[] = [];
  const counts = options.backends.map(() => 0);
  const latencies: number[] = [];
  let sent = 0;

  const serviceTime = (backend: number): number =>
    (options.backends[backend] as SimulatedBackend).latencyMs * (0.5 + Math.random());
  const startService = (backend: number, startedAt: number): void => {
    busy[backend] = (busy[backend] as number) + 1;
    insert(events, { at: now + serviceTime(backend), backend, startedAt });
  };
  const send = (): void => {
    if (sent >= total) return;
    sent++;
    const backend = picker ? endpoints.indexOf(picker.pick({}) as Endpoint) : oracle(options.backends, endpoints);
    // Not one of the endpoints it was given (undefined, a copy): a TypeError reading endpoint -1.
    if (backend < 0) throw new InvalidArgumentError('balancer', 'must pick one of the endpoints given to createPicker');
    counts[backend] = (counts[backend] as number) + 1;
    (endpoints[backend] as Endpoint).stats.outstanding++;
    if ((busy[backend] as number) < ((options.backends[backend] as SimulatedBackend).parallelism ?? 4))
      startService(backend, now);
    else (queues[backend] as number[]).push(now);
  };

  for (let client = 0; client < concurrency; client++) send();
  while (events.length > 0) {
    const event = events.shift() as Pending;
    now = event.at;
    const latency = now - event.startedAt;
    latencies.push(latency);
    const load = (endpoints[event.backend] as Endpoint).stats as EndpointLoad;
    load.outstanding--;
    load.record(latency, now);
    busy[event.backend] = (busy[event.backend] as number) - 1;
    const queued = (queues[event.backend] as number[]).shift();
    if (queued !== undefined) startService(event.backend, queued);
    send();
  }
  latencies.sort((a, b) => a - b);
  const at = (q: number): number =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] as number;
  return {
    share: counts.map((count) => count / total),
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    meanMs: latencies.reduce((sum, value) => sum + value, 0) / latencies.length,
  };
}

/** The most requests one simulation runs: it is synchronous, and keeps every latency. */
const MAX_SIMULATED_REQUESTS = 10_000_000;

/**
 * Checks the options (INVALID_ARGUMENT naming the field). Without it, `requests: NaN` (`Number()` of
 * an unset variable) or `Infinity` never met the loop's end and ran until the process ran out of
 * memory; no backends was a TypeError; no clients, or a backend serving none at once (its requests
 * queued for good yet counted as served), gave NaN percentiles and shares that did not add up.
 */
function validateSimulation(options: SimulationOptions): void {
  assertObject('options', options);
  assertKnownKeys('options', options as unknown as Record<string, unknown>, [
    'backends',
    'balancer',
    'concurrency',
    'requests',
    'latencyDecayMs',
  ]);
  if (!Array.isArray(options.backends) || options.backends.length === 0) {
    throw new InvalidArgumentError('backends', 'must be a non-empty array of { latencyMs, parallelism? }');
  }
  options.backends.forEach((backend, index) => {
    assertObject(`backends[${index}]`, backend);
    assertNumber(`backends[${index}].latencyMs`, backend.latencyMs, 0, 86_400_000);
    if (backend.parallelism !== undefined) {
      assertInteger(`backends[${index}].parallelism`, backend.parallelism, 1, 1_000_000);
    }
  });
  if (options.balancer !== 'oracle' && typeof options.balancer?.createPicker !== 'function') {
    throw new InvalidArgumentError('balancer', "must be a BalancingStrategy or 'oracle'");
  }
  if (options.concurrency !== undefined) assertInteger('concurrency', options.concurrency, 1, 1_000_000);
  if (options.requests !== undefined) assertInteger('requests', options.requests, 1, MAX_SIMULATED_REQUESTS);
  if (options.latencyDecayMs !== undefined) assertInteger('latencyDecayMs', options.latencyDecayMs, 1, 3_600_000);
}

function oracle(backends: readonly SimulatedBackend[], endpoints: readonly Endpoint[]): number {
  let best = 0;
  let bestCost = Number.POSITIVE_INFINITY;
  for (let index = 0; index < backends.length; index++) {
    const backend = backends[index] as SimulatedBackend;
    const cost =
      (backend.latencyMs * ((endpoints[index] as Endpoint).stats.outstanding + 1)) / (backend.parallelism ?? 4);
    if (cost < bestCost) {
      bestCost = cost;
      best = index;
    }
  }
  return best;
}

function insert(events: Pending[], event: Pending): void {
  let low = 0;
  let high = events.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((events[middle] as Pending).at <= event.at) low = middle + 1;
    else high = middle;
  }
  events.splice(low, 0, event);
}

function fakeInstance(index: number): ServiceInstance {
  return Object.freeze({
    id: `backend-${index}`,
    service: 'simulated',
    host: '127.0.0.1',
    ports: Object.freeze({ grpc: 50_000 + index }),
    weight: 100,
    metadata: Object.freeze({}),
    status: 'up',
  });
}
