import { setTimeout as sleep } from 'node:timers/promises';
import { RedisRegistry, serviceKeys } from '@switchyard/registry';
import { Redis } from 'ioredis';
import { forEachConcurrent } from '../load.js';
import {
  commandStat,
  infoNumber,
  parseInfo,
  type RedisInfo,
  respBulkReplyBytes,
  respRequestBytes,
} from '../redis-info.js';
import type { BenchContext, BenchmarkResult, Figure } from './figure.js';
import { type HeartbeatingRegistration, QUIET_TTL_MS, registerFleet } from './fleet.js';

/** PEXPIRE's reply when it extended the key: the integer 1. */
const PEXPIRE_REPLY = ':1\r\n';

/**
 * 6. A heartbeat is one round trip with no payload: one native `PEXPIRE <lease key> <ttlMs>`. Two independent
 * checks, both after a warm-up round of one heartbeat per registration:
 * - MONITOR during a small burst: every command the registry's connection sent, by name. It must show exactly
 *   one PEXPIRE per heartbeat and nothing else (the benchmark fails otherwise); the captured argv is the
 *   heartbeat as sent (no instance JSON).
 * - Redis's counters around a larger burst: `cmdstat_pexpire` grows by one per heartbeat, `cmdstat_evalsha`
 *   (the slow path) not at all, and `total_net_input_bytes` / `total_net_output_bytes` by exactly that argv's
 *   RESP size and PEXPIRE's 4-byte reply per heartbeat.
 * MONITOR slows Redis down, so it is on only for its own small burst.
 */
export async function heartbeatRoundTrips(context: BenchContext): Promise<BenchmarkResult> {
  const { concurrency } = context.config;
  const { instances, monitoredHeartbeats, burst } = context.config.roundTrips;
  const namespace = `${context.namespace}-rt`;
  const info = new Redis(context.url, { lazyConnect: true });
  const registry = new RedisRegistry({ url: context.url, namespace });
  try {
    await info.connect();
    const { registrations } = await registerFleet(registry, 'rt', instances, concurrency, { ttlMs: QUIET_TTL_MS });
    const heartbeatBurst = (count: number) =>
      forEachConcurrent(count, concurrency, (index) =>
        (registrations[index % registrations.length] as HeartbeatingRegistration).heartbeat(),
      );
    // Warm-up: whatever a first heartbeat might do differently is over before anything is counted.
    await heartbeatBurst(registrations.length);

    context.log(`MONITOR over ${monitoredHeartbeats} heartbeats`);
    const monitored = await monitorCommands(
      context.url,
      () => heartbeatBurst(monitoredHeartbeats),
      monitoredHeartbeats,
    );
    const clientCommands = Object.entries(monitored.byCommand)
      .map(([name, count]) => `${name} ×${count}`)
      .join(', ');
    if (monitored.byCommand.pexpire !== monitoredHeartbeats || monitored.total !== monitoredHeartbeats)
      throw new Error(
        `MONITOR: ${monitoredHeartbeats} heartbeats sent ${clientCommands || 'nothing'}; expected exactly one PEXPIRE each`,
      );
    const argv = monitored.firstPexpire;
    const leasePrefix = serviceKeys(namespace, 'rt').lease('', '').slice(0, -1); // `<ns>:{rt}:lease:`
    if (argv?.length !== 3 || !argv[1]?.startsWith(leasePrefix) || argv[2] !== String(QUIET_TTL_MS))
      throw new Error(`unexpected heartbeat argv: ${JSON.stringify(argv)}`);
    const instanceJson = JSON.stringify((registrations[0] as HeartbeatingRegistration).instance);
    if (argv.some((arg) => arg === instanceJson || arg.includes('"host"')))
      throw new Error('a heartbeat carried the instance JSON');
    const requestBytes = respRequestBytes(argv);
    const replyBytes = PEXPIRE_REPLY.length;

    context.log(`counting PEXPIRE calls and network bytes over ${burst} heartbeats`);
    const beforeText = await info.info('all');
    await heartbeatBurst(burst);
    const after = parseInfo(await info.info('all'));
    const before = parseInfo(beforeText);
    const pexpireDelta = commandStat(after, 'pexpire').calls - commandStat(before, 'pexpire').calls;
    const evalshaDelta = commandStat(after, 'evalsha').calls - commandStat(before, 'evalsha').calls;
    // total_net_input_bytes counts a request when it is read, so `after` includes its own INFO request.
    const inputDelta = counterDelta(before, after, 'total_net_input_bytes') - respRequestBytes(['info', 'all']);
    // total_net_output_bytes counts a reply when it is written, after its snapshot was taken: `after` includes
    // the reply to the `before` INFO and not its own.
    const outputDelta = counterDelta(before, after, 'total_net_output_bytes') - respBulkReplyBytes(beforeText);

    const figures: Figure[] = [
      {
        metric: 'PEXPIRE calls per heartbeat',
        value: pexpireDelta / burst,
        unit: 'ratio',
        notes: `cmdstat_pexpire +${pexpireDelta}, cmdstat_evalsha (slow path) +${evalshaDelta} for ${burst} heartbeats`,
      },
      {
        metric: 'commands sent per heartbeat (MONITOR)',
        value: monitored.total / monitoredHeartbeats,
        unit: 'ratio',
        notes: `${monitoredHeartbeats} heartbeats → ${clientCommands}`,
      },
      {
        metric: 'heartbeat request size (argv as sent)',
        value: requestBytes,
        unit: 'bytes',
        notes: `RESP of PEXPIRE <lease key, ${Buffer.byteLength(argv[1] as string)} bytes> <ttlMs>`,
      },
      {
        metric: 'heartbeat request size (measured)',
        value: inputDelta / burst,
        unit: 'bytes',
        notes: 'Δ total_net_input_bytes / heartbeats',
      },
      {
        metric: 'heartbeat reply size (measured)',
        value: outputDelta / burst,
        unit: 'bytes',
        notes: `Δ total_net_output_bytes / heartbeats; PEXPIRE's reply is ${replyBytes} bytes (:1)`,
      },
      {
        metric: 'instance JSON (not sent by heartbeats)',
        value: Buffer.byteLength(instanceJson),
        unit: 'bytes',
        notes: 'sent only by register/update/rewrite',
      },
    ];
    return {
      id: 'heartbeat-round-trips',
      title: '6. Heartbeat round trips',
      figures,
      details: {
        argv,
        monitored: monitored.byCommand,
        monitoredHeartbeats,
        burst,
        pexpireDelta,
        evalshaDelta,
        inputDelta,
        outputDelta,
        requestBytes,
        replyBytes,
      },
    };
  } finally {
    await registry.close();
    info.disconnect();
  }
}

function counterDelta(before: RedisInfo, after: RedisInfo, field: string): number {
  return (infoNumber(after, field) ?? Number.NaN) - (infoNumber(before, field) ?? Number.NaN);
}

/** Runs `work` under MONITOR and tallies client-sent commands (commands run inside scripts are left out). */
async function monitorCommands(
  url: string,
  work: () => Promise<unknown>,
  expectedHeartbeats: number,
): Promise<{ byCommand: Record<string, number>; total: number; firstPexpire: string[] | undefined }> {
  // No ready check: it would send an INFO of its own. The client itself never connects; monitor() opens a
  // dedicated connection.
  const client = new Redis(url, { lazyConnect: true, enableReadyCheck: false });
  const byCommand: Record<string, number> = {};
  let total = 0;
  let counting = true;
  let firstPexpire: string[] | undefined;
  const monitor = await client.monitor();
  try {
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      if (!counting || source === 'lua' || args.length === 0) return;
      const name = (args[0] as string).toLowerCase();
      byCommand[name] = (byCommand[name] ?? 0) + 1;
      total++;
      if (name === 'pexpire' && !firstPexpire) firstPexpire = args;
    });
    await work();
    // MONITOR lines arrive after the replies; wait for the expected ones (bounded), then a little more so a
    // stray extra command would still be counted.
    const deadline = Date.now() + 2_000;
    while ((byCommand.pexpire ?? 0) < expectedHeartbeats && Date.now() < deadline) await sleep(10);
    await sleep(100);
  } finally {
    counting = false;
    // Wait for the socket to close: until then the next step's commands would still be monitored (and
    // MONITOR's own traffic would blur the byte counts).
    const ended = new Promise((resolve) => monitor.once('end', resolve));
    monitor.disconnect();
    await ended;
    client.disconnect();
  }
  return { byCommand: { ...byCommand }, total, firstPexpire };
}
