import type { Cluster, Redis, RedisOptions } from 'ioredis';
import type { RedisTarget } from './connection-url.js';
import { openRedis } from './open-redis.js';

/** Connection tuning shared by every client the registry opens. */
export interface ClientTuning {
  connectTimeoutMs: number;
  commandTimeoutMs: number;
  /** Extra ioredis options (e.g. `tls: { ca }` for `rediss://` with a private CA). */
  redisOptions?: RedisOptions;
}

/** Either kind of ioredis client; the registry uses only commands both support. */
export type RedisClient = Redis | Cluster;

/**
 * Opens an ioredis client for a target. The options make outages fail fast instead of queueing:
 * no offline queue, no per-request retries, a command timeout, and capped reconnect backoff; a
 * READONLY reply (a demoted master after failover) forces a reconnect to the new master.
 * Auto-pipelining (standalone and Sentinel): commands issued in the same tick go out in one write,
 * each with its own reply and error, so a process with many registrations wakes Redis once per
 * timer tick, not once per heartbeat. A command waits for the batch ahead of it on the connection,
 * so against a hung Redis it fails within about twice `commandTimeoutMs`. Not on Cluster: ioredis
 * does not follow MOVED/ASK redirections for pipelined commands (ioredis#2075), and on a node
 * connection it would send ASKING after the command it must precede.
 * `redisOptions.enableAutoPipelining` overrides it.
 */
export function createClient(target: RedisTarget, tuning: ClientTuning): RedisClient {
  return openRedis(
    target,
    {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: tuning.connectTimeoutMs,
      commandTimeout: tuning.commandTimeoutMs,
      retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 6), 1_000),
      reconnectOnError: (error) => (error.message.startsWith('READONLY') ? 2 : false),
      enableAutoPipelining: target.kind !== 'cluster',
      ...tuning.redisOptions,
      // Sentinel only (ignored otherwise): failover is noticed through +switch-master too, not
      // only by a broken socket.
      sentinelRetryStrategy: (times) => Math.min(100 * times, 1_000),
      failoverDetector: true,
    },
    {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRedirections: 16,
      clusterRetryStrategy: (times) => Math.min(100 * times, 1_000),
    },
  );
}
