import { Cluster, type ClusterOptions, Redis, type RedisOptions } from 'ioredis';
import type { RedisTarget } from './connection-url.js';

/**
 * An ioredis client for a parsed Redis URL (standalone, Sentinel or Cluster): `options` apply to
 * every connection, `clusterOptions` to a Cluster client; what the URL says (credentials, TLS for
 * `rediss://`, Sentinel master name and db) is added here, the same way for every caller. The
 * registry, the CLI's lease inspector and the example's stock store each bring their own tuning.
 */
export function openRedis(
  target: RedisTarget,
  options: RedisOptions,
  clusterOptions: ClusterOptions = {},
): Redis | Cluster {
  const tls = target.tls ? { tls: { ...options.tls } } : {};
  switch (target.kind) {
    case 'standalone':
      return new Redis(target.url, { ...options, ...tls });
    case 'sentinel':
      return new Redis({
        ...options,
        sentinels: target.sentinels,
        name: target.masterName,
        db: target.db,
        ...credentialsOf(target),
        ...(target.sentinelPassword ? { sentinelPassword: target.sentinelPassword } : {}),
        ...(target.tls ? { ...tls, enableTLSForSentinelMode: true } : {}),
      });
    case 'cluster':
      return new Cluster(target.nodes, {
        ...clusterOptions,
        redisOptions: { ...options, ...credentialsOf(target), ...tls },
      });
  }
}

function credentialsOf(target: { username?: string; password?: string }): RedisOptions {
  return {
    ...(target.username ? { username: target.username } : {}),
    ...(target.password ? { password: target.password } : {}),
  };
}
