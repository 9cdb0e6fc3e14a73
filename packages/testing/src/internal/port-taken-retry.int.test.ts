/**
 * Every start chooses its ports first and binds them later (a Sentinel's sentinels only after the
 * replicas are in sync): a port taken in between must make it try other ports, not fail the suite
 * with PORT_TAKEN.
 */
import { createServer, type Server } from 'node:net';
import { afterEach, expect, it, vi } from 'vitest';
import { startRedis, startRedisCluster, startRedisSentinel } from '../index.js';
import { redisCommand } from './redis-command.js';

// The next freePorts() call hands out `blocked` (a port a neighbour listens on) in place of the
// port at `index`; later calls are left alone.
const takeOver = vi.hoisted(() => ({
  next: undefined as { index: number; blocked: number } | undefined,
  /** The ports handed out with the blocked one. */
  given: [] as number[],
}));
vi.mock('./free-ports.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('./free-ports.js')>();
  return {
    ...actual,
    freePorts: async (count: number, options?: { withBusPort?: boolean }) => {
      const ports = await actual.freePorts(count, options);
      const planned = takeOver.next;
      takeOver.next = undefined;
      if (planned) {
        ports[planned.index] = planned.blocked;
        takeOver.given = [...ports];
      }
      return ports;
    },
  };
});

let neighbour: Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => (neighbour ? neighbour.close(resolve) : resolve(undefined)));
  neighbour = undefined;
});

/** A plain TCP listener on a free loopback port: "another process took the port". */
async function occupyPort(): Promise<number> {
  // Connections it accepts (readiness probes) are closed at once, so that close() does not wait for them.
  neighbour = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => neighbour!.listen({ host: '127.0.0.1', port: 0 }, resolve));
  return (neighbour.address() as { port: number }).port;
}

it('startRedis tries another port when its port was taken before it bound it', async () => {
  const blocked = await occupyPort();
  takeOver.next = { index: 0, blocked };
  const redis = await startRedis({ via: 'binary' });
  try {
    expect(redis.port).not.toBe(blocked);
    expect(await redisCommand({ host: '127.0.0.1', port: redis.port }, ['PING'])).toBe('PONG');
  } finally {
    await redis.stop();
  }
});

it('startRedisSentinel tries other ports when a sentinel port was taken before it bound it', async () => {
  const blocked = await occupyPort();
  takeOver.next = { index: 1, blocked }; // [master, sentinel]: the sentinel's, bound last
  const sentinel = await startRedisSentinel({ via: 'binary', replicas: 0, sentinels: 1 });
  try {
    expect(sentinel.sentinels.map((endpoint) => endpoint.port)).not.toContain(blocked);
    expect((await sentinel.master()).host).toBe('127.0.0.1');
    // The first attempt's master (started before its sentinel failed) is not left running.
    await expect(redisCommand({ host: '127.0.0.1', port: takeOver.given[0]! }, ['PING'])).rejects.toThrow(
      /ECONNREFUSED/,
    );
  } finally {
    await sentinel.stop();
  }
}, 60_000);

it('startRedisCluster tries other ports when a node port was taken before it bound it', async () => {
  const blocked = await occupyPort();
  takeOver.next = { index: 0, blocked };
  const cluster = await startRedisCluster({ via: 'binary', masters: 1 });
  try {
    expect(cluster.nodes.map((node) => node.port)).not.toContain(blocked);
    const info = String(await redisCommand({ host: '127.0.0.1', port: cluster.nodes[0]!.port }, ['CLUSTER', 'INFO']));
    expect(info).toContain('cluster_state:ok');
  } finally {
    await cluster.stop();
  }
}, 60_000);
