import { RedisRegistry } from '@switchyard/registry';
import type { BenchContext, BenchmarkResult } from './figure.js';
import { deregisterFleet, QUIET_TTL_MS, registerFleet } from './fleet.js';

/**
 * 2. Registrations and deregistrations per second: how fast a fleet can (re)announce itself, e.g. after a
 * Redis restart or a mass deploy. Each register() is one script plus a fire-and-forget SADD to the services
 * index; each deregister() is one script.
 */
export async function registrationThroughput(context: BenchContext): Promise<BenchmarkResult> {
  const { concurrency, registration } = context.config;
  const registry = new RedisRegistry({ url: context.url, namespace: `${context.namespace}-reg` });
  try {
    context.log(`registering ${registration.count} new instances, ${concurrency} in flight`);
    const { registrations, load: registered } = await registerFleet(registry, 'reg', registration.count, concurrency, {
      ttlMs: QUIET_TTL_MS,
    });
    context.log(`deregistering them`);
    const deregistered = await deregisterFleet(registrations, concurrency);
    const left = (await registry.list('reg')).length;
    if (left !== 0) throw new Error(`${left} instances still listed after deregistering all`);
    const note = (load: typeof registered): string =>
      `${load.operations} at ${concurrency} in flight; p50 ${load.latency.p50.toFixed(2)} ms, p99 ${load.latency.p99.toFixed(2)} ms`;
    return {
      id: 'registration-throughput',
      title: '2. Registrations/s',
      figures: [
        { metric: 'register() throughput', value: registered.opsPerSecond, unit: 'ops/s', notes: note(registered) },
        {
          metric: 'deregister() throughput',
          value: deregistered.opsPerSecond,
          unit: 'ops/s',
          notes: note(deregistered),
        },
      ],
      details: { count: registration.count, concurrency, registered, deregistered },
    };
  } finally {
    await registry.close();
  }
}
