/**
 * `pnpm bench:registry`: the Redis registry's cost and speed, measured against a Redis started by
 * @switchyard/testing (REDIS_URL, a container or a local redis-server; it logs which). Prints a markdown table
 * and writes results/registry.json. `BENCH_QUICK=1` runs a smoke-sized version. Exits non-zero on any error.
 */
import { performance } from 'node:perf_hooks';
import { redactUrl } from '@switchyard/registry';
import { startRedis, type RedisServerHandle } from '@switchyard/testing';
import { Redis } from 'ioredis';
import { progressLog, resultsFile, runMain, writeResults } from '../bench-main.js';
import { machineInfo } from '../machine.js';
import { readInfo } from '../redis-info.js';
import { packageVersions, sourceRevision } from '../versions.js';
import { registryBenchConfig } from './config.js';
import { convergence } from './convergence.js';
import type { BenchContext, Benchmark, BenchmarkResult } from './figure.js';
import { heartbeatRoundTrips } from './heartbeat-round-trips.js';
import { heartbeatThroughput } from './heartbeat-throughput.js';
import { listLatency } from './list-latency.js';
import { redisCpu } from './redis-cpu.js';
import { registrationThroughput } from './registration-throughput.js';
import { type RegistryReport, renderReport } from './report.js';

const COMMAND = 'pnpm bench:registry';

/** In the order of the README; the CPU benchmark runs late so earlier load has drained from Redis. */
const BENCHMARKS: readonly Benchmark[] = [
  heartbeatThroughput,
  registrationThroughput,
  listLatency,
  convergence,
  redisCpu,
  heartbeatRoundTrips,
];

async function main(): Promise<void> {
  const config = registryBenchConfig();
  const machine = machineInfo();
  // The revision measured is the one built just before this process started: read it now, not
  // after a run of a minute or more in a tree where commits land every few minutes.
  const source = sourceRevision();
  const startedAt = new Date();
  const started = performance.now();
  const log = progressLog(started);
  let redis: RedisServerHandle | undefined;
  try {
    redis = await startRedis();
    const version = await redisVersion(redis.url);
    // A namespace unique to this run: against a shared REDIS_URL server nothing collides with other data,
    // and cleanup can remove exactly this run's keys.
    const namespace = `swbench-${process.pid}-${startedAt.getTime().toString(36)}`;
    const context: BenchContext = { url: redis.url, namespace, config, log };
    const results: BenchmarkResult[] = [];
    for (const benchmark of BENCHMARKS) {
      log(`— ${benchmark.name}`);
      results.push(await benchmark(context));
    }
    await removeKeys(redis.url, namespace);

    const report: RegistryReport = {
      command: COMMAND,
      quick: config.quick,
      startedAt: startedAt.toISOString(),
      durationMs: performance.now() - started,
      machine,
      redis: { version, via: redis.via, url: redactUrl(redis.url) },
      versions: { ...packageVersions(['@switchyard/registry', 'ioredis']), source },
      benchmarks: results,
    };
    process.stdout.write(renderReport(report));
    const file = resultsFile('registry');
    await writeResults(file, { ...report, config });
    log(`wrote ${file.pathname}`);
  } finally {
    await redis?.stop();
  }
}

async function redisVersion(url: string): Promise<string> {
  const client = new Redis(url);
  try {
    return (await readInfo(client, 'server')).get('redis_version') ?? 'unknown';
  } finally {
    client.disconnect();
  }
}

/**
 * Deregistered entries leave tombstones (by design, for a day), so the run's keys are removed explicitly.
 * It only matters for REDIS_URL: a Redis started for the run is thrown away with its data.
 */
async function removeKeys(url: string, namespace: string): Promise<void> {
  const client = new Redis(url);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${namespace}-*`, 'COUNT', 1_000);
      if (keys.length > 0) await client.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
}

runMain('bench:registry', main);
