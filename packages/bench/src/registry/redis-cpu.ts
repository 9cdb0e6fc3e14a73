import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULT_REDIS_REGISTRY_OPTIONS, RedisRegistry, type RegistryEvent, serviceKeys } from '@switchyard/registry';
import { Redis } from 'ioredis';
import { paced } from '../load.js';
import { commandStat, readInfo } from '../redis-info.js';
import { type MeterDelta, meterDelta, readMeter } from '../redis-meter.js';
import type { BenchContext, BenchmarkResult, Figure } from './figure.js';
import { assertAllActive, deregisterFleet, registerFleet } from './fleet.js';

/** A sweep script call looks at no more than this many due index entries (set in redis-registry.ts). */
const SWEEP_BATCH = 200;
/** The registry's heartbeat slot (heartbeat-slot.ts): one process's heartbeats due in one slot share a write. */
const HEARTBEAT_SLOT_MS = 20;

/**
 * Commands counted next to `pexpire` (the heartbeat). `evalsha` is every script: watchers' sweeps, and the slow
 * heartbeat or a resync `list()` if any ran. The other two are commands that scripts run, counted by Redis
 * too: `zremrangebyscore` a watcher's SWEEP script calls once per call (its first write; a resync `list()` that finds
 * entries due calls it too, rarely in a steady window), and `pttl` a sweep calls once per due index entry it looks at.
 */
const COUNTED = ['evalsha', 'zremrangebyscore', 'pttl'] as const;

/** A measured window: the cost, heartbeats in each whole second, and the index backlog sampled each second. */
interface Window {
  cost: MeterDelta;
  perSecond: number[];
  peakPerSecond: number;
  /** Index entries already due (lower bound passed) but not yet re-indexed by a sweep, once per second. */
  due: number[];
}

/**
 * 5. What a steady fleet costs Redis: 10,000 live instances heartbeating every 3 s (±10% jitter) from one
 * registry, with other registries watching the service, measured from Redis's own counters (`INFO cpu`,
 * `INFO commandstats`). Heartbeats are native `PEXPIRE`s; expiry detection is the watchers' job: every
 * ~500 ms one of them (whoever takes the turn) sweeps the lease index, re-indexing due entries from their lease's PTTL. That re-indexing
 * (every lease about once per TTL) is part of what the fleet costs, so the window runs with watchers.
 *
 * Order: an idle window (Redis's own baseline), the watchers start on the still-empty service (a window of
 * their overhead alone), the fleet registers, and after `settleMs` the measured window. Then the watchers
 * stop and a shorter window measures heartbeats alone; the fleet deregisters, and PING is sent at the
 * heartbeat rate, one write each (what the rate costs when every heartbeat comes from its own process).
 */
export async function redisCpu(context: BenchContext): Promise<BenchmarkResult> {
  const { concurrency } = context.config;
  const {
    instances,
    ttlMs,
    heartbeatIntervalMs,
    watchers,
    idleWindowMs,
    settleMs,
    windowMs,
    withoutWatchersMs,
    floorMs,
    targetPercent,
  } = context.config.redisCpu;
  const namespace = `${context.namespace}-cpu`;
  const leasesKey = serviceKeys(namespace, 'cpu').leases;
  const info = new Redis(context.url, { lazyConnect: true });
  const registry = new RedisRegistry({ url: context.url, namespace, heartbeatIntervalMs });
  const watching = Array.from({ length: watchers }, () => new RedisRegistry({ url: context.url, namespace }));
  // What the watchers heard, all together. In the window nothing changes, so every count there should be 0.
  const events = { up: 0, down: 0, expired: 0, snapshot: 0, other: 0 };
  const count = (event: RegistryEvent): void => {
    if (event.type === 'up' || event.type === 'down' || event.type === 'snapshot') events[event.type]++;
    else events.other++;
    if (event.type === 'down' && event.reason === 'expired') events.expired++;
  };
  try {
    await info.connect();
    context.log(`idle Redis for ${idleWindowMs} ms (baseline)`);
    const idle = await measureWindow(info, idleWindowMs, leasesKey);

    context.log(`${watchers} watchers on the empty service for ${idleWindowMs} ms`);
    await Promise.all(watching.map((watcher) => watcher.watch('cpu', count)));
    // Let every watcher sweep once first: a script's first run on a Redis is a NOSCRIPT reply plus an EVAL,
    // which would blur the per-sweep cost below.
    await sleep(DEFAULT_REDIS_REGISTRY_OPTIONS.sweepIntervalMs * 1.2 + 100);
    const watchersOnly = await measureWindow(info, idleWindowMs, leasesKey);

    context.log(`registering ${instances} instances (ttlMs ${ttlMs}, heartbeat every ${heartbeatIntervalMs} ms)`);
    const { registrations, load: registered } = await registerFleet(registry, 'cpu', instances, concurrency, { ttlMs });
    // Every registration's first heartbeat is due within 1.1 × the interval of its creation, and its first
    // index entry comes due one TTL after it: the window starts once both are under way.
    await sleep(settleMs);

    context.log(`sampling Redis CPU for ${windowMs} ms with ${watchers} watchers`);
    const eventsBefore = { ...events };
    const busy = await measureWindow(info, windowMs, leasesKey);
    const eventsInWindow = {
      up: events.up - eventsBefore.up,
      down: events.down - eventsBefore.down,
      expired: events.expired - eventsBefore.expired,
      snapshot: events.snapshot - eventsBefore.snapshot,
      other: events.other - eventsBefore.other,
    };
    assertAllActive(registrations, 'after the CPU window');

    // The same fleet with nobody sweeping: the difference to the window above is what expiry detection costs.
    context.log(`watchers stopped; heartbeats only for ${withoutWatchersMs} ms`);
    await Promise.all(watching.map((watcher) => watcher.close()));
    const withoutWatchers = await measureWindow(info, withoutWatchersMs, leasesKey);
    assertAllActive(registrations, 'after the heartbeats-only window');
    const listed = (await registry.list('cpu')).length;
    if (listed !== instances) throw new Error(`list() shows ${listed} of ${instances} instances after the CPU window`);

    context.log('deregistering the fleet');
    await deregisterFleet(registrations, concurrency);

    // PING at the same rate over one plain ioredis connection, one write per request. Whatever Redis spends on
    // it (reading, parsing, replying, the event loop) a heartbeat sent on its own pays too, even one as small as
    // a PEXPIRE: this is about what the same heartbeat rate costs when it comes from a fleet of one-instance
    // processes, whose heartbeats arrive one by one (1 ms batches, ~3 requests each). The cost depends on how
    // many requests Redis reads per wakeup, so it is measured again in 20 ms batches (~66 each): what one process
    // holding many registrations sends, as its heartbeat timers share 20 ms slots (registry heartbeat-slot.ts)
    // and its client pipelines each slot's heartbeats into one write. The fleet above is such a process.
    const heartbeatsPerSecond = busy.cost.command.calls / busy.cost.seconds;
    const pingFloor = async (tickMs: number): Promise<MeterDelta> => {
      context.log(`PING at ${Math.round(heartbeatsPerSecond)}/s in ${tickMs} ms batches for ${floorMs} ms (floor)`);
      const before = await readMeter(info);
      await paced({ ratePerSecond: heartbeatsPerSecond, durationMs: floorMs, tickMs, operation: () => info.ping() });
      return meterDelta(before, await readMeter(info), 'ping');
    };
    const floor = await pingFloor(1);
    const floorBatched = await pingFloor(HEARTBEAT_SLOT_MS);

    const { cost } = busy;
    const seconds = cost.seconds;
    const scripts = cost.others.evalsha ?? { name: 'evalsha', calls: 0, usec: 0, usecPerCall: 0 };
    const sweeps = cost.others.zremrangebyscore?.calls ?? 0;
    const reindexed = cost.others.pttl?.calls ?? 0;
    const otherScripts = scripts.calls - sweeps;
    // Cost model of a sweep, from the two windows: a fixed cost per call (the watchers-only window, where
    // nothing is ever due) plus a cost per due entry looked at (what the busy window spent beyond that).
    const emptySweepUsec = watchersOnly.cost.others.evalsha?.usecPerCall ?? 0;
    const usecPerEntry = reindexed > 0 ? Math.max(0, scripts.usec - sweeps * emptySweepUsec) / reindexed : 0;
    const scriptCpuPercent = (scripts.usec / 1e6 / seconds) * 100;

    const expectedPerSecond = instances / (heartbeatIntervalMs / 1_000);
    // A sweep re-indexes a live lease at now + PTTL, and heartbeats keep PTTL between TTL − interval and TTL,
    // so each lease comes due again every TTL − interval / 2 on average.
    const reindexNeededPerSecond = instances / ((ttlMs - heartbeatIntervalMs / 2) / 1_000);
    const dueMax = Math.max(...busy.due);
    const dueMin = Math.min(...busy.due);
    const dueEnd = busy.due.at(-1) ?? 0;

    const verdict =
      cost.redisCpuPercent <= targetPercent
        ? `within the ${targetPercent}% target`
        : `OVER the ${targetPercent}% target`;
    const scope =
      `${instances} instances, ${heartbeatIntervalMs / 1_000} s heartbeat, ${watchers} watchers sweeping, ` +
      `${windowMs / 1_000} s window`;
    const figures: Figure[] = [
      {
        metric: 'Redis CPU (user+sys)',
        value: cost.redisCpuPercent,
        unit: '%',
        notes: `of one core; ${scope}; ${verdict}`,
      },
      ...(cost.redisMainThreadCpuPercent === undefined
        ? []
        : [
            {
              metric: 'Redis CPU, main thread',
              value: cost.redisMainThreadCpuPercent,
              unit: '%' as const,
              notes: 'of one core',
            },
          ]),
      {
        metric: 'Redis CPU, heartbeats only',
        value: withoutWatchers.cost.redisCpuPercent,
        unit: '%',
        notes:
          `same fleet after the watchers stopped, ${withoutWatchersMs / 1_000} s; the difference is what sweeping ` +
          `costs (${(cost.redisCpuPercent - withoutWatchers.cost.redisCpuPercent).toFixed(2)} points)`,
      },
      {
        metric: 'Redis CPU, PING at the same rate',
        value: floor.redisCpuPercent,
        unit: '%',
        notes:
          `${Math.round(floor.command.calls / floor.seconds)} PING/s, one write each, over one connection in 1 ms ` +
          'batches: about what this rate costs Redis when it comes from one-instance processes',
      },
      {
        metric: `Redis CPU, PING in ${HEARTBEAT_SLOT_MS} ms batches`,
        value: floorBatched.redisCpuPercent,
        unit: '%',
        notes:
          `same rate in the registry's ${HEARTBEAT_SLOT_MS} ms heartbeat slots (one write per slot, as the fleet sends): ` +
          'the per-request cost is mostly per wakeup',
      },
      {
        metric: 'Redis CPU, watchers only',
        value: watchersOnly.cost.redisCpuPercent,
        unit: '%',
        notes: `${watchers} watchers, no instances yet: empty sweeps and revision checks, ${idleWindowMs / 1_000} s`,
      },
      {
        metric: 'Redis CPU when idle',
        value: idle.cost.redisCpuPercent,
        unit: '%',
        notes: `baseline, ${idleWindowMs / 1_000} s before anything starts`,
      },
      {
        metric: 'observed heartbeat rate',
        value: heartbeatsPerSecond,
        unit: 'ops/s',
        notes: `cmdstat_pexpire calls/s; expected ≈ ${Math.round(expectedPerSecond)}; busiest 1 s: ${busy.peakPerSecond}`,
      },
      {
        metric: 'Redis time per heartbeat',
        value: cost.command.usecPerCall,
        unit: 'µs',
        notes: 'cmdstat_pexpire usec/calls (command execution only)',
      },
      {
        metric: 'Redis time in scripts',
        value: scriptCpuPercent,
        unit: '%',
        notes:
          `of one core: cmdstat_evalsha usec over the window, ${(scripts.calls / seconds).toFixed(1)} calls/s at ` +
          `${scripts.usecPerCall.toFixed(0)} µs; a sweep ≈ ${emptySweepUsec.toFixed(0)} µs + ${usecPerEntry.toFixed(1)} µs per due entry`,
      },
      {
        metric: 'watcher sweeps',
        value: sweeps / seconds,
        unit: 'ops/s',
        notes:
          `SWEEP scripts/s (cmdstat_zremrangebyscore), up to ${SWEEP_BATCH} due entries each; one of the ${watchers} ` +
          `watchers sweeps per turn (SET NX), calling it until the due backlog is gone`,
      },
      {
        metric: 'index entries re-indexed',
        value: reindexed / seconds,
        unit: 'ops/s',
        notes:
          `cmdstat_pttl calls/s; needed ≈ ${Math.round(reindexNeededPerSecond)}/s on average (every lease about once ` +
          `per TTL − interval / 2; the fleet registered at once, so they come due in waves)`,
      },
      {
        metric: 'due index entries, max',
        value: dueMax,
        unit: 'count',
        notes:
          `sampled each second: min ${dueMin}, end ${dueEnd}; entries that came due since the last turn, which the ` +
          `next turn's sweep handles in full (up to ${SWEEP_BATCH * 50} per turn)`,
      },
      {
        metric: 'slow heartbeats and other scripts',
        value: otherScripts / seconds,
        unit: 'ops/s',
        notes:
          `cmdstat_evalsha minus sweeps: ${otherScripts} in the window (slow heartbeat script or resync list()); ` +
          `watchers saw ${eventsInWindow.down} down (${eventsInWindow.expired} expired), ${eventsInWindow.up} up, ` +
          `${eventsInWindow.snapshot} snapshots`,
      },
      {
        metric: 'client process CPU',
        value: cost.clientCpuPercent,
        unit: '%',
        notes: `of one core; process.cpuUsage() over the same window: the fleet's timers and the ${watchers} watchers`,
      },
    ];
    return {
      id: 'redis-cpu',
      title: `5. Redis CPU, ${instances.toLocaleString('en-US')} live instances`,
      figures,
      details: {
        instances,
        ttlMs,
        heartbeatIntervalMs,
        watchers,
        settleMs,
        registeredInMs: registered.elapsedMs,
        idle,
        watchersOnly,
        busy,
        withoutWatchers,
        floor,
        floorBatched,
        heartbeatsPerSecond,
        expectedPerSecond,
        sweeps,
        reindexed,
        otherScripts,
        emptySweepUsec,
        usecPerEntry,
        reindexNeededPerSecond,
        eventsInWindow,
        targetPercent,
      },
    };
  } finally {
    await Promise.all([registry.close(), ...watching.map((watcher) => watcher.close())]);
    info.disconnect();
  }
}

/**
 * Cost over a window, plus heartbeats in each whole second of it and the number of due index entries at the
 * end of each second. The per-second counts show how bursty the load is: instances registered together
 * heartbeat together, and ±10% jitter only slowly spreads them out. The one-second reads are
 * `INFO commandstats`, `TIME` and one `ZCOUNT`: a few µs of Redis time each.
 */
async function measureWindow(info: Redis, windowMs: number, leasesKey: string): Promise<Window> {
  const before = await readMeter(info);
  const perSecond: number[] = [];
  const due: number[] = [];
  let previous = commandStat(before.info, 'pexpire').calls;
  for (let elapsed = 1_000; elapsed < windowMs; elapsed += 1_000) {
    await sleep(1_000);
    const calls = commandStat(await readInfo(info, 'commandstats'), 'pexpire').calls;
    perSecond.push(calls - previous);
    previous = calls;
    due.push(await dueEntries(info, leasesKey));
  }
  await sleep(windowMs - perSecond.length * 1_000);
  const after = await readMeter(info);
  perSecond.push(commandStat(after.info, 'pexpire').calls - previous);
  due.push(await dueEntries(info, leasesKey));
  return {
    cost: meterDelta(before, after, 'pexpire', COUNTED),
    perSecond,
    peakPerSecond: Math.max(...perSecond),
    due,
  };
}

/** Index entries whose lower bound has passed on the server clock (what the next sweeps will look at). */
async function dueEntries(client: Redis, leasesKey: string): Promise<number> {
  const [seconds, micros] = await client.time();
  const nowMs = Number(seconds) * 1_000 + Math.floor(Number(micros) / 1_000);
  return client.zcount(leasesKey, '-inf', nowMs);
}
