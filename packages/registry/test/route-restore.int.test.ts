import type { RouteRule } from '@switchyard/core';
import { RedisRegistry } from '@switchyard/registry';
import { EventLog } from '@switchyard/registry/testing';
import type { RedisServerHandle } from '@switchyard/testing';
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { recordingLogger, uniqueNamespace, waitFor } from './helpers.js';
import { withRedisPerFile } from './fixtures/redis-per-file.js';

// Its own Redis: these tests restart and flush it.
let redis: RedisServerHandle;
let raw: Redis;
const registries: RedisRegistry[] = [];

function registry(
  options: Partial<ConstructorParameters<typeof RedisRegistry>[0]> & { namespace: string },
): RedisRegistry {
  const created = new RedisRegistry({ url: redis.url, ...options });
  registries.push(created);
  return created;
}

withRedisPerFile(registries, (shared) => {
  ({ redis, raw } = shared);
});

/** A canary rolled back to 0 %: without the rule, 1.1.0 would take a third of the calls (1 of 3 instances). */
const ROLLED_BACK: RouteRule = { splits: { '1.0.0': 100, '1.1.0': 0 } };
const RESTORED = /lost the route rule of catalog/;

/** Two stable instances and a canary, heartbeating every second; watchers, each its own client. */
async function fleet(namespace: string, watchers: number, watcherOptions: { resyncIntervalMs?: number } = {}) {
  const owner = registry({ namespace });
  await Promise.all(
    [
      ['s1', '1.0.0'],
      ['s2', '1.0.0'],
      ['c1', '1.1.0'],
    ].map(([id, version]) =>
      owner.register({ id, version, service: 'catalog', host: '127.0.0.1', ports: { grpc: 50_051 } }, { ttlMs: 3_000 }),
    ),
  );
  const watching = await Promise.all(
    Array.from({ length: watchers }, async () => {
      const logger = recordingLogger();
      const client = registry({ namespace, logger, ...watcherOptions });
      const log = new EventLog();
      await client.watch('catalog', log.listener);
      return { client, logger, log };
    }),
  );
  return { owner, watching };
}

const restoreLogs = (watching: { logger: ReturnType<typeof recordingLogger> }[]) =>
  watching.flatMap(({ logger }) => logger.warnings.filter((w) => RESTORED.test(w.message ?? '')));

/** The route every event from `from` on carries (a `route` event's rule, a snapshot's route). */
const routesSince = (log: EventLog, from: number) =>
  log.events.slice(from).flatMap((e) => (e.type === 'route' ? [e.rule] : e.type === 'snapshot' ? [e.route] : []));

/** Retries `read` until it resolves (each client reconnects on its own backoff after a restart). */
async function eventually<T>(read: () => Promise<T>, check: (value: T) => boolean, what: string): Promise<T> {
  let last: T | undefined;
  await waitFor(
    async () => {
      try {
        last = await read();
        return check(last);
      } catch {
        return false;
      }
    },
    8_000,
    what,
  );
  return last as T;
}

describe('route rules survive Redis losing its data', () => {
  it('writes the rule back after a restart without persistence, once, however many watchers race', async () => {
    const namespace = uniqueNamespace();
    const { owner, watching } = await fleet(namespace, 4);
    await owner.setRoute('catalog', ROLLED_BACK);
    await Promise.all(watching.map(({ log }) => log.next((e) => e.type === 'route' && e.rule !== undefined)));
    const from = watching.map(({ log }) => log.events.length);

    await redis.restart(); // empty: the instances write themselves back; the rule is written back by a watcher

    // A client that never saw the rule reads it from Redis.
    const fresh = registry({ namespace });
    expect(
      await eventually(
        () => fresh.getRoute('catalog'),
        (rule) => rule !== undefined,
        'the rule back',
      ),
    ).toEqual(ROLLED_BACK);
    await eventually(
      () => fresh.list('catalog'),
      (instances) => instances.length === 3,
      'the instances back',
    );
    // Every watcher has resynchronised since (the snapshot that ends its stale period) ...
    await Promise.all(
      watching.map(({ log }, index) => log.next((e) => e.type === 'snapshot', 8_000, from[index] ?? 0)),
    );
    // ... and one of them wrote the rule back: the others found it there. Its warning comes when
    // the write's reply is processed, which a resync does not wait for: the rule can be in Redis,
    // and every snapshot delivered, a moment before it (CI at 8895fe8).
    await waitFor(() => restoreLogs(watching).length > 0, 5_000, 'the write-back warning');
    expect(restoreLogs(watching)).toHaveLength(1);
    // No watcher's view went without the rule meanwhile (its discovery would have sent 1.1.0 a third).
    for (const [index, { log }] of watching.entries()) {
      expect(routesSince(log, from[index] ?? 0)).not.toContain(undefined);
    }
    expect(await fresh.getRoute('catalog')).toEqual(ROLLED_BACK);
  });

  it('does not bring back a rule cleared before the restart', async () => {
    const namespace = uniqueNamespace();
    const { owner, watching } = await fleet(namespace, 2);
    await owner.setRoute('catalog', ROLLED_BACK);
    await Promise.all(watching.map(({ log }) => log.next((e) => e.type === 'route' && e.rule !== undefined)));
    await owner.setRoute('catalog', undefined);
    await Promise.all(watching.map(({ log }) => log.next((e) => e.type === 'route' && e.rule === undefined)));
    const from = watching.map(({ log }) => log.events.length);

    await redis.restart();

    const fresh = registry({ namespace });
    await eventually(
      () => fresh.list('catalog'),
      (instances) => instances.length === 3,
      'the instances back',
    );
    await Promise.all(
      watching.map(({ log }, index) => log.next((e) => e.type === 'snapshot', 8_000, from[index] ?? 0)),
    );
    expect(await fresh.getRoute('catalog')).toBeUndefined();
    expect(restoreLogs(watching)).toEqual([]);
    for (const [index, { log }] of watching.entries()) {
      expect(routesSince(log, from[index] ?? 0).filter((rule) => rule !== undefined)).toEqual([]);
    }
  });

  it('does not bring back a rule cleared while a watcher was cut off, Redis having lost nothing', async () => {
    const namespace = uniqueNamespace();
    const { owner } = await fleet(namespace, 0);
    const connectionName = `cut-off-${namespace}`;
    const logger = recordingLogger();
    const cutOff = registry({ namespace, logger, redisOptions: { connectionName } });
    const log = new EventLog();
    await cutOff.watch('catalog', log.listener);
    await owner.setRoute('catalog', ROLLED_BACK);
    await log.next((e) => e.type === 'route' && e.rule !== undefined);

    // Both of the watcher's connections drop (it reconnects after 100 ms); the rule is cleared meanwhile.
    const clients = String(await raw.client('LIST'));
    const ids = [...clients.matchAll(/id=(\d+) [^\n]* name=(\S+)/g)].filter((m) => m[2] === connectionName);
    expect(ids).toHaveLength(2);
    for (const [, id] of ids) await raw.client('KILL', 'ID', id as string);
    await owner.setRoute('catalog', undefined);
    await log.next((e) => e.type === 'stale');
    const from = log.events.length;
    await log.next((e) => e.type === 'snapshot', 5_000, from);

    expect(routesSince(log, from)).toEqual([undefined]);
    expect(await owner.getRoute('catalog')).toBeUndefined();
    expect(restoreLogs([{ logger }])).toEqual([]);
  });

  it('writes the rule back after a FLUSHALL that no connection noticed', async () => {
    const namespace = uniqueNamespace();
    // No periodic revision check within the test: the owners' write-back messages show the loss.
    const { owner, watching } = await fleet(namespace, 3, { resyncIntervalMs: 60_000 });
    await owner.setRoute('catalog', ROLLED_BACK);
    await Promise.all(watching.map(({ log }) => log.next((e) => e.type === 'route' && e.rule !== undefined)));
    const from = watching.map(({ log }) => log.events.length);

    await raw.flushall();

    await waitFor(async () => (await raw.get(`${namespace}:{catalog}:route`)) !== null, 5_000, 'the rule back');
    expect(await owner.getRoute('catalog')).toEqual(ROLLED_BACK);
    await waitFor(async () => (await owner.list('catalog')).length === 3, 5_000, 'the instances back');
    expect(restoreLogs(watching)).toHaveLength(1);
    for (const [index, { log }] of watching.entries()) {
      expect(routesSince(log, from[index] ?? 0)).not.toContain(undefined);
    }
  });

  it('never writes over a rule set, or a clear made, after the loss', async () => {
    const setAfter = uniqueNamespace();
    const clearedAfter = uniqueNamespace();
    const fleets = [
      await fleet(setAfter, 2, { resyncIntervalMs: 60_000 }),
      await fleet(clearedAfter, 2, { resyncIntervalMs: 60_000 }),
    ];
    for (const { owner, watching } of fleets) {
      await owner.setRoute('catalog', ROLLED_BACK);
      await Promise.all(watching.map(({ log }) => log.next((e) => e.type === 'route' && e.rule !== undefined)));
    }
    const [first, second] = fleets as [(typeof fleets)[0], (typeof fleets)[0]];

    // Right after the flush, before any owner has written itself back (they heartbeat every second):
    // an operator sets a new rule by hand in one namespace and clears the rule in the other.
    const promoted = { splits: { '1.0.0': 50, '1.1.0': 50 } };
    await raw.flushall();
    await raw.set(`${setAfter}:{catalog}:route`, JSON.stringify(promoted));
    await second.owner.setRoute('catalog', undefined);

    await waitFor(async () => (await first.owner.list('catalog')).length === 3, 5_000, 'the instances back');
    await waitFor(async () => (await second.owner.list('catalog')).length === 3, 5_000, 'the instances back');
    // Every watcher has seen the loss by now (each owner's write-back started a new count) and resynced.
    await waitFor(
      () => first.watching.every(({ log }) => routesSince(log, 0).at(-1)?.splits['1.1.0'] === 50),
      5_000,
      'the watchers to show the rule set after the flush',
    );
    await waitFor(
      () => second.watching.every(({ log }) => routesSince(log, 0).at(-1) === undefined),
      5_000,
      'the watchers to show the route cleared after the flush',
    );
    expect(await first.owner.getRoute('catalog')).toEqual(promoted);
    expect(await second.owner.getRoute('catalog')).toBeUndefined();
    expect(restoreLogs([...first.watching, ...second.watching])).toEqual([]);
  });
});
