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
 * READONLY reply (a demoted master after failover) forces a reconnect to the new master (spaced
 * out while READONLY goes on: see {@link readonlyReconnects}).
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
      reconnectOnError: readonlyReconnects(),
      enableAutoPipelining: target.kind !== 'cluster',
      // disconnect() ends the socket and arms a timer (ioredis's default: 2 s, not unref'd) that
      // destroys it unless it closes first. A socket that was already gone (a first connection
      // refused, so close() ran while reconnecting) never closes again, and one to a frozen Redis
      // never finishes closing: either way the timer kept the process alive 2 s after close().
      // The registry has nothing to wait for by then (close() QUITs a healthy connection first,
      // and the kernel still delivers what was written), so the socket is destroyed at once.
      disconnectTimeout: 0,
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

/**
 * While READONLY goes on, READONLY-driven reconnects are at least this far apart: as far as ioredis's
 * own reconnects after a lost connection (the retryStrategy above), never further.
 */
export const READONLY_RECONNECT_GAP_MS = 1_000;

/**
 * ioredis's `reconnectOnError` for READONLY replies: the server this connection reached is a
 * replica now (a master demoted by a failover). Reconnecting finds the new master: Sentinel is
 * asked again, and a DNS name (a managed Redis's primary endpoint) may point to it by then.
 *
 * The first READONLY reconnects at once; while READONLY goes on (a DNS name not yet moved, a URL
 * that names a replica), reconnects come at most once per {@link READONLY_RECONNECT_GAP_MS}, and the
 * commands in between fail with the READONLY error itself. Every reconnect to the same replica
 * succeeded, which reset ioredis's backoff: a registry reconnected about ten times a second, each
 * time re-sending every heartbeat and resynchronising every watch (watchers flapped between `stale`
 * and a `snapshot`). The gap does not grow: a name that moved only after READONLY had gone on for a
 * while was found a whole gap later, and a gap that doubled to 16 s kept healthy registrations from
 * heartbeating for longer than the default 10 s lease on top of the time the name took to move.
 * And the command is rejected with its reply (1), not re-sent (2): without an offline queue the
 * resend always failed, with "Stream isn't writeable", which hid the cause. A Cluster's node
 * connections share one of these: a second node's READONLY waits at most the same gap.
 */
export function readonlyReconnects(now: () => number = () => performance.now()): (error: Error) => 1 | false {
  let last = Number.NEGATIVE_INFINITY;
  return (error) => {
    if (!error.message.startsWith('READONLY')) return false;
    const at = now();
    if (at - last < READONLY_RECONNECT_GAP_MS) return false;
    last = at;
    return 1;
  };
}
