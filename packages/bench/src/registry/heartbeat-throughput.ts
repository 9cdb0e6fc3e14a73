import { RedisRegistry, serviceKeys } from '@switchyard/registry';
import { Redis } from 'ioredis';
import { closedLoop, type LoadResult } from '../load.js';
import { type MeterDelta, metered } from '../redis-meter.js';
import type { BenchContext, BenchmarkResult, Figure } from './figure.js';
import { assertAllActive, benchInstance, type HeartbeatingRegistration, QUIET_TTL_MS, registerFleet } from './fleet.js';

/** The cheapest script Redis can run: the floor for anything sent with EVALSHA (the slow heartbeat, sweeps). */
const TRIVIAL_SCRIPT = 'return 1';

/** A generation as the registry makes them (server time in µs), so raw lease keys have the real length. */
const SAMPLE_GENERATION = '1700000000000000';

/** One measured loop: throughput plus who spent the CPU. */
interface Measured {
  load: LoadResult;
  cost: MeterDelta;
}

/**
 * 1. Heartbeats per second from one Node process. A heartbeat is one native `PEXPIRE` of the registration's
 * lease key (the slow script runs only when that returns 0, which never happens here: the lease is 1 h). Next
 * to it, at the same concurrency over one connection each: raw `PEXPIRE` of existing keys shaped like lease
 * keys (the ceiling for this exact command), raw `PING` (the ceiling for any round trip) and raw `EVALSHA` of a
 * trivial script (what a script-based heartbeat could at best reach). The ratios say how much the registry's
 * client code costs on top of the command. Redis and client CPU over each loop show which side is the
 * bottleneck (they share this machine's cores).
 */
export async function heartbeatThroughput(context: BenchContext): Promise<BenchmarkResult> {
  const { concurrency, heartbeat } = context.config;
  const raw = new Redis(context.url, { lazyConnect: true });
  const info = new Redis(context.url, { lazyConnect: true });
  const registry = new RedisRegistry({ url: context.url, namespace: `${context.namespace}-hb` });
  try {
    await Promise.all([raw.connect(), info.connect()]);
    const sha = (await raw.script('LOAD', TRIVIAL_SCRIPT)) as string;
    const loop = async (command: string, operation: (sequence: number) => Promise<unknown>): Promise<Measured> => {
      // The warm-up lets V8 optimise the hot path and sends a script's body once (ioredis's first use of a
      // script on a connection is an EVAL), so the measured window is steady state. EVALSHA is counted in
      // every loop: in the heartbeat loop it would be the slow path.
      await closedLoop({ concurrency, durationMs: heartbeat.warmupMs, operation });
      const { result, cost } = await metered(
        info,
        command,
        () => closedLoop({ concurrency, durationMs: heartbeat.durationMs, operation }),
        ['evalsha'],
      );
      return { load: result, cost };
    };

    // As many raw keys as the fleet has leases, with the same names and lengths (`-hr` is as long as `-hb`),
    // so the raw PEXPIRE touches as much keyspace as the heartbeats do.
    const rawKeys = rawLeaseKeys(`${context.namespace}-hr`, heartbeat.instances);
    const setup = raw.pipeline();
    for (const key of rawKeys) setup.set(key, SAMPLE_GENERATION, 'PX', QUIET_TTL_MS);
    await setup.exec();

    context.log(`raw PING, EVALSHA and PEXPIRE, ${concurrency} in flight, ${heartbeat.durationMs} ms each`);
    const ping = await loop('ping', () => raw.ping());
    const evalsha = await loop('evalsha', () => raw.evalsha(sha, 0));
    const pexpire = await loop('pexpire', async (sequence) => {
      if ((await raw.pexpire(rawKeys[sequence % rawKeys.length] as string, QUIET_TTL_MS)) !== 1)
        throw new Error('raw PEXPIRE found no key');
    });

    context.log(`registering ${heartbeat.instances} instances, then heartbeat() in a closed loop`);
    const { registrations } = await registerFleet(registry, 'hb', heartbeat.instances, concurrency, {
      ttlMs: QUIET_TTL_MS,
    });
    // Round-robin over the fleet: 64 workers over 1,000 registrations never wait on one registration's queue.
    const heartbeats = await loop('pexpire', (sequence) =>
      (registrations[sequence % registrations.length] as HeartbeatingRegistration).heartbeat(),
    );
    assertAllActive(registrations, 'after the heartbeat loop');
    const slowPath = heartbeats.cost.others.evalsha?.calls ?? 0;

    const figures: Figure[] = [
      throughput('heartbeat() throughput', heartbeats, concurrency),
      throughput('raw PEXPIRE throughput', pexpire, concurrency),
      throughput('raw EVALSHA (return 1) throughput', evalsha, concurrency),
      throughput('raw PING throughput', ping, concurrency),
      {
        metric: 'heartbeat / raw PEXPIRE',
        value: heartbeats.load.opsPerSecond / pexpire.load.opsPerSecond,
        unit: 'ratio',
        notes: 'same command, same keyspace: what remains is the registry client code',
      },
      { metric: 'heartbeat / raw PING', value: heartbeats.load.opsPerSecond / ping.load.opsPerSecond, unit: 'ratio' },
      {
        metric: 'Redis time per heartbeat',
        value: heartbeats.cost.command.usecPerCall,
        unit: 'µs',
        notes:
          `cmdstat_pexpire usec/calls: ${heartbeats.cost.command.calls} PEXPIRE for ${heartbeats.load.operations} ` +
          `heartbeat() calls, slow-path EVALSHA ${slowPath}; raw PEXPIRE ${pexpire.cost.command.usecPerCall.toFixed(1)} µs, ` +
          `trivial script ${evalsha.cost.command.usecPerCall.toFixed(1)} µs, PING ${ping.cost.command.usecPerCall.toFixed(1)} µs`,
      },
    ];
    return {
      id: 'heartbeat-throughput',
      title: '1. Heartbeats/s from one process',
      figures,
      details: {
        instances: heartbeat.instances,
        concurrency,
        durationMs: heartbeat.durationMs,
        slowPath,
        heartbeats,
        pexpire,
        evalsha,
        ping,
      },
    };
  } finally {
    await registry.close();
    raw.disconnect();
    info.disconnect();
  }
}

/** Keys shaped exactly like the fleet's lease keys (`<ns>:{hb}:lease:<id>:<generation>`), one per instance. */
function rawLeaseKeys(namespace: string, count: number): string[] {
  const keys = serviceKeys(namespace, 'hb');
  return Array.from({ length: count }, (_, index) =>
    keys.lease(benchInstance('hb', 'i', index).id as string, SAMPLE_GENERATION),
  );
}

function throughput(metric: string, measured: Measured, concurrency: number): Figure {
  const { load, cost } = measured;
  return {
    metric,
    value: load.opsPerSecond,
    unit: 'ops/s',
    notes:
      `${concurrency} in flight; p50 ${load.latency.p50.toFixed(2)} ms, p99 ${load.latency.p99.toFixed(2)} ms; ` +
      `CPU Redis ${cost.redisCpuPercent.toFixed(0)}%, client ${cost.clientCpuPercent.toFixed(0)}%`,
  };
}
