import { performance } from 'node:perf_hooks';
import type { Redis } from 'ioredis';
import { commandStat, readInfo, type RedisInfo, redisCpuSeconds } from './redis-info.js';

/** A reading of the clocks and counters a benchmark window is measured with. */
export interface MeterReading {
  wallMs: number;
  info: RedisInfo;
  client: NodeJS.CpuUsage;
}

/** What happened between two readings. CPU is in % of one core. */
export interface MeterDelta {
  seconds: number;
  redisCpuPercent: number;
  /** Redis ≥ 6.2 only: the thread that runs commands and scripts. */
  redisMainThreadCpuPercent: number | undefined;
  /** This Node process (both the code under test and the benchmark driving it). */
  clientCpuPercent: number;
  /** Calls and µs inside Redis of one command (`INFO commandstats`). */
  command: CommandDelta;
  /** The same for each extra command asked for, by name (e.g. `evalsha` next to `pexpire`). */
  others: Record<string, CommandDelta>;
}

/** Calls of one command between two readings and the µs Redis spent inside it (`INFO commandstats`). */
export interface CommandDelta {
  name: string;
  calls: number;
  /** Total µs inside the command, over all calls. */
  usec: number;
  usecPerCall: number;
}

/** The change in one command's commandstats between two INFO snapshots. */
export function commandDelta(before: RedisInfo, after: RedisInfo, command: string): CommandDelta {
  const statBefore = commandStat(before, command);
  const statAfter = commandStat(after, command);
  const calls = statAfter.calls - statBefore.calls;
  const usec = statAfter.usec - statBefore.usec;
  return { name: command, calls, usec, usecPerCall: calls > 0 ? usec / calls : 0 };
}

/** Reads Redis's counters (one `INFO all`) and this process's CPU time at one instant. */
export async function readMeter(client: Redis): Promise<MeterReading> {
  return { wallMs: performance.now(), info: await readInfo(client), client: process.cpuUsage() };
}

/**
 * The cost between two readings, with `command` (e.g. `pexpire`) and any `otherCommands` counted from
 * commandstats.
 */
export function meterDelta(
  before: MeterReading,
  after: MeterReading,
  command: string,
  otherCommands: readonly string[] = [],
): MeterDelta {
  const seconds = (after.wallMs - before.wallMs) / 1_000;
  const cpuBefore = redisCpuSeconds(before.info);
  const cpuAfter = redisCpuSeconds(after.info);
  const clientMicros = after.client.user - before.client.user + (after.client.system - before.client.system);
  return {
    seconds,
    redisCpuPercent: ((cpuAfter.total - cpuBefore.total) / seconds) * 100,
    redisMainThreadCpuPercent:
      cpuAfter.mainThread === undefined || cpuBefore.mainThread === undefined
        ? undefined
        : ((cpuAfter.mainThread - cpuBefore.mainThread) / seconds) * 100,
    clientCpuPercent: (clientMicros / 1e6 / seconds) * 100,
    command: commandDelta(before.info, after.info, command),
    others: Object.fromEntries(otherCommands.map((name) => [name, commandDelta(before.info, after.info, name)])),
  };
}

/** Runs `work` between two readings. */
export async function metered<T>(
  client: Redis,
  command: string,
  work: () => Promise<T>,
  otherCommands: readonly string[] = [],
): Promise<{ result: T; cost: MeterDelta }> {
  const before = await readMeter(client);
  const result = await work();
  const after = await readMeter(client);
  return { result, cost: meterDelta(before, after, command, otherCommands) };
}
