import { withDefaults } from './internal/with-defaults.js';
import { findOnPath } from './internal/find-on-path.js';
import { formCluster } from './internal/form-cluster.js';
import { freePorts } from './internal/free-ports.js';
import { withPortAttempts } from './internal/port-attempts.js';
import { logLine } from './internal/log-line.js';
import type { RedisNode } from './internal/redis-node.js';
import { redisImage } from './internal/redis-image.js';
import { resolveVia } from './internal/resolve-via.js';
import { startNodes, stopNodes } from './internal/start-node.js';
import { requireInteger, requireKnownOptions } from './internal/validate.js';
import type { RedisClusterHandle } from './redis-cluster-handle.js';
import type { RedisEndpoint } from './redis-sentinel-handle.js';

/** Options of {@link startRedisCluster}. */
export interface StartRedisClusterOptions {
  /** Masters; the 16384 slots are split evenly between them. @default 3 */
  masters?: number;
  /** Replicas per master. @default 0 */
  replicasPerMaster?: number;
  /**
   * Bound on each startup phase: every node answering, then slots assigned and `cluster_state:ok` everywhere.
   * @default 30_000
   */
  startupTimeoutMs?: number;
  /** `auto` (container if a Docker engine answers, else binary), `container` or `binary`. @default SWITCHYARD_TESTING_VIA (`env` reads as `auto`), else 'auto' */
  via?: 'auto' | 'container' | 'binary';
}

/** Defaults of {@link startRedisCluster}. */
export const DEFAULT_START_REDIS_CLUSTER_OPTIONS = Object.freeze({
  masters: 3,
  replicasPerMaster: 0,
  startupTimeoutMs: 30_000,
});

/**
 * Starts a Redis Cluster on free 127.0.0.1 ports (each with its bus port, +10000, free too), assigns all slots
 * and resolves once every node reports `cluster_state:ok`. Node timeout is 2 s.
 *
 * @throws SwitchyardTestingError with code `INVALID_ARGUMENT` (an option out of range or unknown),
 * `NOT_AVAILABLE` (the path asked for is not there), `START_FAILED`, `PORT_TAKEN` (every attempt lost
 * its port) or `TIMEOUT` (not ready within `startupTimeoutMs`).
 * @example
 * const cluster = await startRedisCluster();
 * const client = new Redis.Cluster(cluster.nodes);
 */
export async function startRedisCluster(options: StartRedisClusterOptions = {}): Promise<RedisClusterHandle> {
  requireKnownOptions('startRedisCluster', options, ['masters', 'replicasPerMaster', 'startupTimeoutMs', 'via']);
  const resolved = withDefaults(DEFAULT_START_REDIS_CLUSTER_OPTIONS, options);
  requireInteger('masters', resolved.masters, 1, 16);
  requireInteger('replicasPerMaster', resolved.replicasPerMaster, 0, 5);
  requireInteger('startupTimeoutMs', resolved.startupTimeoutMs, 1, 600_000);
  const { via, reason } = await resolveVia(resolved.via, false);

  const count = resolved.masters * (1 + resolved.replicasPerMaster);
  // Ports (and their bus ports) are chosen free, then bound by the nodes: one taken meanwhile by another
  // process (PORT_TAKEN) makes the whole set-up start again on other ports.
  const { nodes, ports } = await withPortAttempts('redis cluster', async () => {
    const ports = await freePorts(count, { withBusPort: true });
    const nodes = await startNodes(
      via,
      ports.map((port, index) => ({
        label: `cluster node ${index + 1}`,
        kind: 'server',
        port,
        args: [
          ...['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
          ...['--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`],
          ...['--cluster-node-timeout', '2000', '--cluster-announce-ip', '127.0.0.1'],
          ...['--repl-diskless-sync-delay', '0'],
        ],
        startupTimeoutMs: resolved.startupTimeoutMs,
      })),
    );
    try {
      await formCluster({
        masterPorts: ports.slice(0, resolved.masters),
        replicaPorts: ports.slice(resolved.masters),
        timeoutMs: resolved.startupTimeoutMs,
      });
    } catch (error) {
      await stopNodes(nodes, 'kill').catch(() => undefined);
      throw error;
    }
    return { nodes, ports };
  });

  const source = via === 'container' ? redisImage() : (findOnPath('redis-server') ?? 'redis-server');
  logLine(
    `redis cluster via ${via} ${source}: ${resolved.masters} master(s) + ${count - resolved.masters} replica(s) ` +
      `on ${ports.map((port) => `127.0.0.1:${port}`).join(',')} (${reason})`,
  );
  return new ClusterHandle(nodes, via);
}

class ClusterHandle implements RedisClusterHandle {
  readonly url: string;
  readonly nodes: RedisEndpoint[];

  constructor(
    private readonly started: RedisNode[],
    readonly via: 'container' | 'binary',
  ) {
    this.nodes = started.map((node) => ({ host: '127.0.0.1', port: node.spec.port }));
    this.url = `redis-cluster://${this.nodes.map((node) => `${node.host}:${node.port}`).join(',')}`;
  }

  stop(): Promise<void> {
    return stopNodes(this.started);
  }

  toString(): string {
    return `RedisClusterHandle(${this.via} ${this.url})`;
  }
}
