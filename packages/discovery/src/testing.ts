/**
 * @switchyard/discovery/testing: a deterministic-time simulation of a balancer against backends
 * of known speed, used by the tests and by `pnpm bench:discovery` to compare balancing quality
 * (share of traffic to a slow instance, latency percentiles) against an oracle.
 *
 * @packageDocumentation
 */
import type { BalancingStrategy, Endpoint, ServiceInstance } from '@switchyard/core';
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
  backends: readonly SimulatedBackend[];
  /** A strategy, or `'oracle'`: pick the backend with the least expected completion time, knowing true speeds. */
  balancer: BalancingStrategy | 'oracle';
  /** Closed-loop clients, each sending its next request when the previous answers. @default 32 */
  concurrency?: number;
  /** Requests in all. @default 20_000 */
  requests?: number;
  /** Latency EWMA time constant. @default 10_000 */
  latencyDecayMs?: number;
}

/** What a simulation measured. */
export interface SimulationResult {
  /** Share of requests per backend (sums to 1). */
  share: number[];
  p50Ms: number;
  p99Ms: number;
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
 */
export function simulateBalancing(options: SimulationOptions): SimulationResult {
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
