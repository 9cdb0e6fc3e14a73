import { performance } from 'node:perf_hooks';
import { RedisRegistry } from '@switchyard/registry';
import { summarize } from '../stats.js';
import { EventWaiter } from './event-waiter.js';
import type { BenchContext, BenchmarkResult, Figure } from './figure.js';
import { benchInstance, QUIET_TTL_MS } from './fleet.js';

/**
 * 4. Convergence: from just before register()/deregister() on one registry to a second registry's watcher
 * receiving `up`/`down` for that id. Changes go one at a time, so each figure is the push path's latency
 * (script → PUBLISH → subscriber connection → decode → listener), not queueing behind other changes.
 * Two RedisRegistry objects means two sets of connections, as with two processes; both share this event loop.
 */
export async function convergence(context: BenchContext): Promise<BenchmarkResult> {
  const { changes, eventTimeoutMs } = context.config.convergence;
  const namespace = `${context.namespace}-conv`;
  const writer = new RedisRegistry({ url: context.url, namespace });
  const watcher = new RedisRegistry({ url: context.url, namespace });
  const waiter = new EventWaiter();
  try {
    const stop = await watcher.watch('conv', waiter.listener);
    context.log(`${changes} register → up and deregister → down changes, one at a time`);
    const up: number[] = [];
    const down: number[] = [];
    let viaSnapshot = 0;
    for (let index = 0; index < changes; index++) {
      const input = benchInstance('conv', 'c', index);
      const id = input.id as string;

      const upSeen = waiter.expect('up', id, eventTimeoutMs);
      const registerStarted = performance.now();
      const registration = await writer.register(input, { ttlMs: QUIET_TTL_MS });
      const upArrival = await upSeen;
      up.push(upArrival.at - registerStarted);

      const downSeen = waiter.expect('down', id, eventTimeoutMs);
      const deregisterStarted = performance.now();
      await registration.deregister();
      const downArrival = await downSeen;
      down.push(downArrival.at - deregisterStarted);

      viaSnapshot += Number(upArrival.via === 'snapshot') + Number(downArrival.via === 'snapshot');
    }
    await stop();

    const downSummary = summarize(down);
    const upSummary = summarize(up);
    const note = `${changes} changes, sequential${viaSnapshot > 0 ? `; ${viaSnapshot} arrived in a resync snapshot` : ''}`;
    const figures: Figure[] = [
      { metric: 'deregister → down p50', value: downSummary.p50, unit: 'ms', notes: note },
      { metric: 'deregister → down p99', value: downSummary.p99, unit: 'ms' },
      { metric: 'deregister → down max', value: downSummary.max, unit: 'ms' },
      { metric: 'register → up p50', value: upSummary.p50, unit: 'ms' },
      { metric: 'register → up p99', value: upSummary.p99, unit: 'ms' },
      { metric: 'register → up max', value: upSummary.max, unit: 'ms' },
    ];
    return {
      id: 'convergence',
      title: '4. Convergence (change → watcher event)',
      figures,
      details: { changes, down: downSummary, up: upSummary, viaSnapshot },
    };
  } finally {
    await Promise.all([writer.close(), watcher.close()]);
  }
}
