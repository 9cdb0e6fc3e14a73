import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { RedisTarget } from './connection-url.js';

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
 */
export function createClient(target: RedisTarget, tuning: ClientTuning): RedisClient {
  const common: RedisOptions = {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: tuning.connectTimeoutMs,
    commandTimeout: tuning.commandTimeoutMs,
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 6), 1_000),
    reconnectOnError: (error) => (error.message.startsWith('READONLY') ? 2 : false),
    ...tuning.redisOptions,
  };
  switch (target.kind) {
    case 'standalone':
      return new Redis(target.url, { ...common, ...(target.tls ? { tls: { ...tuning.redisOptions?.tls } } : {}) });
    case 'sentinel':
      return new Redis({
        ...common,
        sentinels: target.sentinels,
        name: target.masterName,
        db: target.db,
        ...(target.username ? { username: target.username } : {}),
        ...(target.password ? { password: target.password } : {}),
        ...(target.sentinelPassword ? { sentinelPassword: target.sentinelPassword } : {}),
        ...(target.tls ? { tls: { ...tuning.redisOptions?.tls }, enableTLSForSentinelMode: true } : {}),
        sentinelRetryStrategy: (times) => Math.min(100 * times, 1_000),
        // Failover is noticed through sentinel +switch-master too, not only by a broken socket.
        failoverDetector: true,
      });
    case 'cluster':
      return new Cluster(target.nodes, {
        lazyConnect: true,
        enableOfflineQueue: false,
        maxRedirections: 16,
        clusterRetryStrategy: (times) => Math.min(100 * times, 1_000),
        redisOptions: {
          ...common,
          ...(target.username ? { username: target.username } : {}),
          ...(target.password ? { password: target.password } : {}),
          ...(target.tls ? { tls: { ...tuning.redisOptions?.tls } } : {}),
        },
      });
  }
}
