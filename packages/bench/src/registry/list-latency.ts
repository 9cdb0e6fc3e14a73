import { RedisRegistry } from '@switchyard/registry';
import { sequential } from '../load.js';
import type { BenchContext, BenchmarkResult } from './figure.js';
import { QUIET_TTL_MS, registerFleet } from './fleet.js';

/**
 * 3. list() latency for a service of 1,000 instances, one call at a time: what a discovery client pays for a
 * full resync (the watch path's snapshot) or a cold start. It is one script returning every entry's JSON,
 * then JSON.parse and validation of each instance in Node.
 */
export async function listLatency(context: BenchContext): Promise<BenchmarkResult> {
  const { concurrency, list } = context.config;
  const registry = new RedisRegistry({ url: context.url, namespace: `${context.namespace}-list` });
  try {
    context.log(`registering ${list.instances} instances, then ${list.calls} sequential list() calls`);
    await registerFleet(registry, 'list', list.instances, concurrency, { ttlMs: QUIET_TTL_MS });
    // Only the length is checked inside the timed call: anything more would be measured as list() time.
    const check = async (): Promise<void> => {
      const instances = await registry.list('list');
      if (instances.length !== list.instances)
        throw new Error(`list() returned ${instances.length} of ${list.instances}`);
    };
    const sample = await registry.list('list');
    const payloadBytes = sample.reduce((bytes, instance) => bytes + Buffer.byteLength(JSON.stringify(instance)), 0);
    await sequential(list.warmupCalls, check);
    const load = await sequential(list.calls, check);
    const note = `${list.calls} calls, ${list.instances} instances, ~${Math.round(payloadBytes / 1024)} KiB of JSON each`;
    return {
      id: 'list-latency',
      title: `3. list() latency, ${list.instances} instances`,
      figures: [
        { metric: 'list() p50', value: load.latency.p50, unit: 'ms', notes: note },
        { metric: 'list() p99', value: load.latency.p99, unit: 'ms' },
        { metric: 'list() mean', value: load.latency.mean, unit: 'ms' },
      ],
      details: { instances: list.instances, calls: list.calls, payloadBytes, latency: load.latency },
    };
  } finally {
    await registry.close();
  }
}
