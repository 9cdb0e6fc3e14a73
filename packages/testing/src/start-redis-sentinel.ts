import { withDefaults } from './internal/with-defaults.js';
import { findOnPath } from './internal/find-on-path.js';
import { freePorts } from './internal/free-ports.js';
import { withPortAttempts } from './internal/port-attempts.js';
import { logLine } from './internal/log-line.js';
import { redisCommand } from './internal/redis-command.js';
import { parseInfo } from './internal/reply-fields.js';
import type { RedisNode, RedisNodeSpec } from './internal/redis-node.js';
import { redisImage } from './internal/redis-image.js';
import { resolveVia } from './internal/resolve-via.js';
import { sentinelsAgree } from './internal/sentinels-agree.js';
import { startNodes, stopNodes } from './internal/start-node.js';
import { waitUntil } from './internal/timeouts.js';
import { requireInteger, requireKnownOptions } from './internal/validate.js';
import { currentMaster } from './internal/current-master.js';
import type { RedisEndpoint, RedisSentinelHandle } from './redis-sentinel-handle.js';
import { SwitchyardTestingError } from './testing-error.js';

/** Options of {@link startRedisSentinel}. */
export interface StartRedisSentinelOptions {
  /** @default 'mymaster' */
  masterName?: string;
  /** Replicas of the master. `killMaster()` needs at least one. @default 1 */
  replicas?: number;
  /** Sentinels; the quorum is a majority of them. @default 3 */
  sentinels?: number;
  /** `down-after-milliseconds`: how long the master must be silent before a sentinel calls it down. @default 1_000 */
  downAfterMs?: number;
  /** `failover-timeout`; a failed election is retried after twice this. @default 2_000 */
  failoverTimeoutMs?: number;
  /**
   * Bound on each startup phase: servers answering, replicas in sync, sentinels answering, sentinels agreeing on
   * the master and seeing every replica and each other.
   * @default 20_000
   */
  startupTimeoutMs?: number;
  /** `auto` (container if a Docker engine answers, else binary), `container` or `binary`. @default SWITCHYARD_TESTING_VIA (`env` reads as `auto`), else 'auto' */
  via?: 'auto' | 'container' | 'binary';
}

/** Defaults of {@link startRedisSentinel}. */
export const DEFAULT_START_REDIS_SENTINEL_OPTIONS = Object.freeze({
  masterName: 'mymaster',
  replicas: 1,
  sentinels: 3,
  downAfterMs: 1_000,
  failoverTimeoutMs: 2_000,
  startupTimeoutMs: 20_000,
});

/**
 * Starts a master, its replicas and a set of sentinels on free 127.0.0.1 ports, and resolves once every sentinel
 * reports the master, sees every replica in sync and knows the other sentinels, so a failover can succeed.
 *
 * @throws SwitchyardTestingError with code `INVALID_ARGUMENT` (an option out of range or unknown),
 * `NOT_AVAILABLE` (the path asked for is not there), `START_FAILED`, `PORT_TAKEN` (every attempt lost
 * its port) or `TIMEOUT` (not ready within `startupTimeoutMs`).
 * @example
 * const sentinel = await startRedisSentinel();
 * const client = new Redis({ sentinels: sentinel.sentinels, name: sentinel.masterName });
 * await sentinel.killMaster();   // a replica is promoted within a few seconds
 */
export async function startRedisSentinel(options: StartRedisSentinelOptions = {}): Promise<RedisSentinelHandle> {
  requireKnownOptions('startRedisSentinel', options, [
    'masterName',
    'replicas',
    'sentinels',
    'downAfterMs',
    'failoverTimeoutMs',
    'startupTimeoutMs',
    'via',
  ]);
  const resolved = withDefaults(DEFAULT_START_REDIS_SENTINEL_OPTIONS, options);
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(resolved.masterName)) {
    throw new SwitchyardTestingError('INVALID_ARGUMENT', `masterName must match /^[A-Za-z0-9._-]{1,64}$/`);
  }
  requireInteger('replicas', resolved.replicas, 0, 10);
  requireInteger('sentinels', resolved.sentinels, 1, 9);
  requireInteger('downAfterMs', resolved.downAfterMs, 100, 600_000);
  requireInteger('failoverTimeoutMs', resolved.failoverTimeoutMs, 100, 600_000);
  requireInteger('startupTimeoutMs', resolved.startupTimeoutMs, 1, 600_000);
  const { via, reason } = await resolveVia(resolved.via, false);

  // All ports are chosen first and bound later (the sentinels' only once the replicas are in sync): one
  // taken meanwhile by another process (PORT_TAKEN) makes the whole set-up start again on other ports.
  const { nodes, sentinels, masterPort } = await withPortAttempts('redis sentinel', () =>
    startSentinelTopology(via, resolved),
  );

  const source = via === 'container' ? redisImage() : (findOnPath('redis-server') ?? 'redis-server');
  logLine(
    `redis sentinel via ${via} ${source}: master 127.0.0.1:${masterPort}, ${resolved.replicas} replica(s), ` +
      `sentinels on ${sentinels.map((sentinel) => `127.0.0.1:${sentinel.port}`).join(',')} (${reason})`,
  );
  return new SentinelHandle(nodes, sentinels, resolved.masterName, via);
}

/** One attempt of {@link startRedisSentinel} on freshly chosen ports; on failure nothing is left running. */
async function startSentinelTopology(
  via: 'container' | 'binary',
  resolved: Required<Omit<StartRedisSentinelOptions, 'via'>>,
): Promise<{ nodes: RedisNode[]; sentinels: RedisEndpoint[]; masterPort: number }> {
  const ports = await freePorts(1 + resolved.replicas + resolved.sentinels);
  const [masterPort] = ports as [number];
  const sentinelPorts = ports.slice(1 + resolved.replicas);
  // No 5 s diskless-sync delay: replicas are in sync within milliseconds.
  const base = (port: number) => [
    ...['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    ...['--repl-diskless-sync-delay', '0'],
  ];
  const startupTimeoutMs = resolved.startupTimeoutMs;
  const servers: RedisNodeSpec[] = [
    { label: 'master', kind: 'server', port: masterPort, args: base(masterPort), startupTimeoutMs },
    ...ports.slice(1, 1 + resolved.replicas).map((port, index) => ({
      label: `replica ${index + 1}`,
      kind: 'server' as const,
      port,
      args: [...base(port), '--replicaof', '127.0.0.1', String(masterPort), '--replica-announce-ip', '127.0.0.1'],
      startupTimeoutMs,
    })),
  ];
  const sentinelSpecs: RedisNodeSpec[] = sentinelPorts.map((port, index) => ({
    label: `sentinel ${index + 1}`,
    kind: 'sentinel' as const,
    port,
    args: [],
    config: sentinelConfig(port, masterPort, resolved),
    startupTimeoutMs,
  }));
  // Replicas first, in sync, then the sentinels: a sentinel lists replicas from the master's INFO, which it
  // refreshes only every 10 s, so sentinels started alongside the replicas would wait that long to see them.
  const nodes = await startNodes(via, servers);
  const sentinels: RedisEndpoint[] = sentinelPorts.map((port) => ({ host: '127.0.0.1', port }));
  try {
    await waitUntil(() => replicasInSync(servers.slice(1)), {
      what: 'the replicas to sync with the master',
      timeoutMs: startupTimeoutMs,
    });
    nodes.push(...(await startNodes(via, sentinelSpecs)));
    await waitUntil(
      () => sentinelsAgree({ sentinels, masterName: resolved.masterName, masterPort, replicas: resolved.replicas }),
      { what: 'the sentinels to agree on the master and see its replicas and each other', timeoutMs: startupTimeoutMs },
    );
  } catch (error) {
    await stopNodes(nodes, 'kill').catch(() => undefined);
    throw error;
  }
  return { nodes, sentinels, masterPort };
}

function sentinelConfig(
  port: number,
  masterPort: number,
  options: Required<Omit<StartRedisSentinelOptions, 'via'>>,
): string {
  const name = options.masterName;
  const quorum = Math.floor(options.sentinels / 2) + 1;
  return [
    `port ${port}`,
    'bind 127.0.0.1',
    'sentinel resolve-hostnames yes',
    'sentinel announce-hostnames no',
    'sentinel announce-ip 127.0.0.1',
    `sentinel announce-port ${port}`,
    `sentinel monitor ${name} 127.0.0.1 ${masterPort} ${quorum}`,
    `sentinel down-after-milliseconds ${name} ${options.downAfterMs}`,
    `sentinel failover-timeout ${name} ${options.failoverTimeoutMs}`,
    `sentinel parallel-syncs ${name} 1`,
    '',
  ].join('\n');
}

async function replicasInSync(replicas: readonly RedisNodeSpec[]): Promise<true> {
  for (const replica of replicas) {
    const info = parseInfo(await redisCommand({ host: '127.0.0.1', port: replica.port }, ['INFO', 'replication']));
    if (info.get('master_link_status') !== 'up') throw new Error(`${replica.label} is not in sync yet`);
  }
  return true;
}

class SentinelHandle implements RedisSentinelHandle {
  readonly url: string;

  constructor(
    private readonly nodes: RedisNode[],
    readonly sentinels: RedisEndpoint[],
    readonly masterName: string,
    readonly via: 'container' | 'binary',
  ) {
    this.url = `redis-sentinel://${sentinels.map((sentinel) => `127.0.0.1:${sentinel.port}`).join(',')}/${masterName}`;
  }

  master(): Promise<RedisEndpoint> {
    return currentMaster(this.sentinels, this.masterName);
  }

  async killMaster(): Promise<void> {
    const master = await this.master();
    const node = this.nodes.find(
      (candidate) => candidate.spec.kind === 'server' && candidate.spec.port === master.port,
    );
    if (!node?.running) {
      throw new SwitchyardTestingError(
        'UNSUPPORTED_OPERATION',
        `killMaster(): the sentinels report master 127.0.0.1:${master.port}, which is not running here ` +
          `(already killed, failover still in progress?)`,
      );
    }
    await node.kill();
  }

  stop(): Promise<void> {
    return stopNodes(this.nodes);
  }

  toString(): string {
    return `RedisSentinelHandle(${this.via} ${this.url})`;
  }
}
