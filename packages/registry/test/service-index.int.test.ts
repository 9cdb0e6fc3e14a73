/**
 * The services index (`<ns>:services`) names a service only while something of it is left: a live
 * (or graced) instance, or a stored route rule. A retired service's name leaves it whichever way
 * its last instance went (deregistered, evicted, expired), and a register racing that removal is
 * never lost from it.
 */
import { RedisRegistry, type Registration } from '@switchyard/registry';
import { EventLog } from '@switchyard/registry/testing';
import type { RedisServerHandle } from '@switchyard/testing';
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { uniqueNamespace, waitFor } from './helpers.js';
import { withRedisPerFile } from './fixtures/redis-per-file.js';

let redis: RedisServerHandle;
let raw: Redis;
const registries: RedisRegistry[] = [];

function registry(namespace: string, options: Partial<ConstructorParameters<typeof RedisRegistry>[0]> = {}) {
  const created = new RedisRegistry({ url: redis.url, namespace, ...options });
  registries.push(created);
  return created;
}

const instance = (id: string, service = 'catalog', version?: string) => ({
  id,
  service,
  host: '127.0.0.1',
  ports: { grpc: 50_051 },
  ...(version === undefined ? {} : { version }),
});

/** What Redis holds for the index: its names, and the per-name marks beside it (same Cluster slot). */
async function index(namespace: string): Promise<{ names: string[]; marks: string[] }> {
  const [names, marks] = await Promise.all([
    raw.smembers(`${namespace}:services`),
    raw.hkeys(`${namespace}:{${namespace}:services}:indexed`),
  ]);
  return { names: names.sort(), marks: marks.sort() };
}

/**
 * Runs `during` right after `reader`'s next check that a service is vacant and before it acts on
 * the answer: the moment a register racing the removal of the name is most likely to be lost.
 */
function betweenCheckAndRemoval(reader: RedisRegistry, during: () => Promise<unknown>): { ran: () => boolean } {
  const scripts = (reader as unknown as { scripts: Record<string, (...args: unknown[]) => Promise<unknown>> }).scripts;
  const check = scripts.serviceState;
  let ran = false;
  if (typeof check === 'function') {
    scripts.serviceState = async (...args: unknown[]) => {
      const state = await check.apply(scripts, args);
      if (!ran) {
        ran = true;
        await during();
      }
      return state;
    };
  }
  return { ran: () => ran };
}

withRedisPerFile(registries, (shared) => {
  ({ redis, raw } = shared);
});

describe('the services index', () => {
  it('loses a service once its last instance deregisters, and keeps nothing of the name', async () => {
    const namespace = uniqueNamespace();
    const a = registry(namespace);
    const one = await a.register(instance('catalog-1'));
    const two = await a.register(instance('catalog-2'));
    await a.register(instance('orders-1', 'orders'));
    await one.deregister();
    expect((await index(namespace)).names).toEqual(['catalog', 'orders']);
    await two.deregister();
    expect(await index(namespace)).toEqual({ names: ['orders'], marks: ['orders'] });
  });

  it('leaves no key of a retired service for good: its tombstones expire with the latest, its revision a day after', async () => {
    const namespace = uniqueNamespace();
    const a = registry(namespace, { tombstoneTtlMs: 60_000 });
    const prefix = `${namespace}:{catalog}:`;
    const one = await a.register(instance('catalog-1'));
    const two = await a.register(instance('catalog-2'));
    await one.deregister();
    // Still in use: the revision lives for good, the tombstones as long as the latest of them.
    expect(await raw.pttl(`${prefix}rev`)).toBe(-1);
    const first = await raw.pttl(`${prefix}tombstones`);
    expect(first).toBeGreaterThan(55_000);
    expect(first).toBeLessThanOrEqual(60_000);
    await two.deregister();
    expect(await raw.zcard(`${prefix}tombstones`)).toBe(2);
    const tombstones = await raw.pttl(`${prefix}tombstones`);
    const [, latest] = await raw.zrange(`${prefix}tombstones`, -1, -1, 'WITHSCORES');
    expect(Math.abs(Date.now() + tombstones - Number(latest))).toBeLessThan(2_000);
    const revision = await raw.pttl(`${prefix}rev`);
    expect(revision).toBeGreaterThan(86_000_000);
    expect(revision).toBeLessThanOrEqual(86_400_000);
    // Back before then: its count goes on, for good again.
    const before = Number(await raw.get(`${prefix}rev`));
    const back = await a.register(instance('catalog-3'));
    expect(Number(await raw.get(`${prefix}rev`))).toBe(before + 1);
    expect(await raw.pttl(`${prefix}rev`)).toBe(-1);
    await back.deregister();
    await a.setRoute('catalog', undefined); // a cleared rule's '' goes the same way
    expect(await raw.get(`${prefix}route`)).toBe('');
    // Nothing of it is left for good: every key that remains has a TTL.
    const keys = await raw.keys(`${prefix}*`);
    const ttls = await Promise.all(keys.map(async (key) => [key, await raw.pttl(key)] as const));
    expect(ttls.filter(([, ttl]) => ttl < 0)).toEqual([]);
  });

  it('loses a service once an operator evicts its last instance', async () => {
    const namespace = uniqueNamespace();
    await registry(namespace).register(instance('catalog-1'));
    expect(await registry(namespace).evict('catalog', 'catalog-1')).toBe(true);
    expect(await index(namespace)).toEqual({ names: [], marks: [] });
  });

  it('loses a service whose last instance expired, through the watcher that swept it', async () => {
    const namespace = uniqueNamespace();
    const watcher = registry(namespace, { sweepIntervalMs: 50 });
    const log = new EventLog();
    await watcher.watch('catalog', log.listener);
    (await registry(namespace).register(instance('catalog-1'), { ttlMs: 500 })).abandon();
    await log.next((event) => event.type === 'down' && event.reason === 'expired', 3_000);
    await waitFor(async () => (await index(namespace)).names.length === 0, 2_000, 'the name to leave the index');
    expect((await index(namespace)).marks).toEqual([]);
  });

  it('loses a service whose last instance expired unwatched (and names left by older versions) when services() reads it', async () => {
    const namespace = uniqueNamespace();
    const a = registry(namespace);
    (await a.register(instance('catalog-1'), { ttlMs: 500 })).abandon();
    await a.register(instance('orders-1', 'orders'));
    await raw.sadd(`${namespace}:services`, 'retired-pr-41', 'retired-pr-42'); // indexed by an earlier version
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(await registry(namespace).services()).toEqual(['orders']);
    expect(await index(namespace)).toEqual({ names: ['orders'], marks: ['orders'] });
  });

  it('keeps a register that lands between a reader finding the service vacant and removing its name', async () => {
    const namespace = uniqueNamespace();
    const writer = registry(namespace);
    await raw.sadd(`${namespace}:services`, 'catalog'); // vacant: no instance, no rule
    const reader = registry(namespace);
    let racing: Registration | undefined;
    const hook = betweenCheckAndRemoval(reader, async () => {
      racing = await writer.register(instance('catalog-1'));
    });
    await reader.services();
    expect(hook.ran()).toBe(true);
    expect(racing?.state).toBe('active');
    expect((await index(namespace)).names).toEqual(['catalog']);
    expect(await reader.services()).toEqual(['catalog']);
  });

  it('keeps a register that lands while the deregister of the last instance removes the name', async () => {
    const namespace = uniqueNamespace();
    const leaving = registry(namespace);
    const arriving = registry(namespace);
    const last = await leaving.register(instance('catalog-1'));
    const hook = betweenCheckAndRemoval(leaving, () => arriving.register(instance('catalog-2')));
    await last.deregister();
    expect(hook.ran()).toBe(true);
    expect((await index(namespace)).names).toEqual(['catalog']);
    expect(await registry(namespace).services()).toEqual(['catalog']);
  });

  it('never loses a live service under churn, and loses it once the churn ends', async () => {
    const namespace = uniqueNamespace();
    const reader = registry(namespace);
    let churning = true;
    const reading = (async () => {
      while (churning) await reader.services();
    })();
    const missed: string[] = [];
    await Promise.all(
      Array.from({ length: 4 }, async (_, worker) => {
        const own = registry(namespace);
        for (let round = 0; round < 15; round++) {
          const registration = await own.register(instance(`catalog-${worker}-${round}`));
          // Alive (registered, not yet deregistered): the index must name the service now.
          if (!(await raw.smembers(`${namespace}:services`)).includes('catalog')) missed.push(registration.instance.id);
          await registration.deregister();
        }
      }),
    );
    churning = false;
    await reading;
    expect(missed).toEqual([]);
    await reader.services();
    expect(await index(namespace)).toEqual({ names: [], marks: [] });
  });

  it('keeps a service that holds a route rule indexed after its last instance left, and loses it once the rule is cleared', async () => {
    const namespace = uniqueNamespace();
    const a = registry(namespace);
    const registration = await a.register(instance('catalog-1', 'catalog', '1.4.0'));
    await a.setRoute('catalog', { splits: { '1.4.0': 100 } });
    await registration.deregister();
    expect((await index(namespace)).names).toEqual(['catalog']);
    expect(await a.services()).toEqual(['catalog']);
    expect((await index(namespace)).names).toEqual(['catalog']);
    await a.setRoute('catalog', undefined);
    expect(await index(namespace)).toEqual({ names: [], marks: [] });
    expect(await a.services()).toEqual([]);
  });
});
