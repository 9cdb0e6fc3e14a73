import type { InstanceInput } from '@switchyard/core';
import type { Registration, RegisterOptions, Registry } from '@switchyard/registry';
import { forEachConcurrent, type LoadResult } from '../load.js';

/**
 * A realistic instance: two ports, a zone, a version and one metadata label, about 190 bytes of JSON. Ids are
 * fixed-width so every heartbeat of a run has the same size on the wire.
 */
export function benchInstance(service: string, prefix: string, index: number): InstanceInput {
  return {
    id: `${prefix}-${String(index).padStart(6, '0')}`,
    service,
    host: `10.0.${(index >> 8) & 255}.${index & 255}`,
    ports: { grpc: 50051, http: 8080 },
    zone: 'eu-west-1a',
    version: '1.4.2',
    metadata: { track: 'stable' },
  };
}

/**
 * `Registration` plus the `heartbeat()` that `RedisRegistration` exposes for refreshing early. The benchmarks
 * drive heartbeats directly instead of waiting for timers, so they need that method.
 */
export type HeartbeatingRegistration = Registration & { heartbeat(): Promise<void> };

export function asHeartbeating(registration: Registration): HeartbeatingRegistration {
  const candidate = registration as Partial<HeartbeatingRegistration>;
  if (typeof candidate.heartbeat !== 'function') {
    throw new TypeError('this registration has no heartbeat() method (not a RedisRegistration?)');
  }
  return registration as HeartbeatingRegistration;
}

/** Registers `count` instances of `service` with `concurrency` in flight. */
export async function registerFleet(
  registry: Registry,
  service: string,
  count: number,
  concurrency: number,
  options?: RegisterOptions,
): Promise<{ registrations: HeartbeatingRegistration[]; load: LoadResult }> {
  const registrations: HeartbeatingRegistration[] = new Array(count);
  const load = await forEachConcurrent(count, concurrency, async (index) => {
    registrations[index] = asHeartbeating(await registry.register(benchInstance(service, 'i', index), options));
  });
  return { registrations, load };
}

/** Deregisters every registration with `concurrency` in flight. */
export function deregisterFleet(registrations: readonly Registration[], concurrency: number): Promise<LoadResult> {
  return forEachConcurrent(registrations.length, concurrency, (index) =>
    (registrations[index] as Registration).deregister(),
  );
}

/** Throws unless every registration is still `active` (a failed heartbeat would otherwise be silent). */
export function assertAllActive(registrations: readonly Registration[], during: string): void {
  const inactive = registrations.filter((registration) => registration.state !== 'active');
  if (inactive.length > 0) {
    const states = [...new Set(inactive.map((registration) => registration.state))].join(', ');
    throw new Error(
      `${during}: ${inactive.length} of ${registrations.length} registrations are not active (${states})`,
    );
  }
}

/** A long lease: heartbeat timers (every ttl/3) never fire during a benchmark, so only driven calls count. */
export const QUIET_TTL_MS = 3_600_000;
