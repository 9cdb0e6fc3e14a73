/**
 * A registration replaced by a newer one of the same id must stay replaced when Redis loses the
 * takeover (a restart without persistence, a restore, a lagging replica promoted): the older one
 * writing its entry back must neither win nor end the newer one.
 */
import { type RedisServerHandle, startRedis } from '@switchyard/testing';
import { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RedisRegistry } from '../index.js';

let redis: RedisServerHandle;
let raw: Redis;
const opened: RedisRegistry[] = [];
const ns = (): string => `rr${randomBytes(5).toString('hex')}`;
const inst = (id: string, host = '127.0.0.1') => ({ id, service: 'catalog', host, ports: { grpc: 50_051 } });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function reg(options: Partial<ConstructorParameters<typeof RedisRegistry>[0]> & { namespace: string }): RedisRegistry {
  const r = new RedisRegistry({ url: redis.url, ...options });
  opened.push(r);
  return r;
}

beforeAll(async () => {
  redis = await startRedis();
  raw = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  raw.on('error', () => {});
  await raw.connect();
});
afterEach(async () => {
  await Promise.all(opened.splice(0).map((r) => r.close().catch(() => undefined)));
});
afterAll(async () => {
  raw?.disconnect();
  await redis?.stop();
});

describe('a replaced registration across a Redis restart', () => {
  it('after a Redis restart, a replaced registration of an id does not come back and kill its replacement', async () => {
    const namespace = ns();
    const registry = reg({ namespace });
    const observer = reg({ namespace });
    // The app moves its instance to a new address by registering the id again (documented: the new
    // registration replaces the old owner for good; the old one learns it at its next heartbeat).
    const old = await registry.register(inst('catalog-1', '10.0.0.1'), { ttlMs: 9_000 });
    const replacement = await registry.register(inst('catalog-1', '10.0.0.2'), { ttlMs: 9_000 });
    expect((await observer.list('catalog')).map((i) => i.host)).toEqual(['10.0.0.2']);
    // Redis restarts (empty) before the old registration's next heartbeat (~3 s away).
    await redis.restart();
    let hosts: string[] = [];
    const deadline = Date.now() + 6_000;
    while (Date.now() < deadline) {
      hosts = (await observer.list('catalog').catch(() => [])).map((i) => i.host);
      if (hosts.length > 0 && replacement.state !== 'unavailable') break;
      await sleep(100);
    }
    await sleep(500);
    hosts = (await observer.list('catalog').catch(() => [])).map((i) => i.host);
    expect({ hosts, old: old.state, replacement: replacement.state }).toEqual({
      hosts: ['10.0.0.2'],
      old: 'lost',
      replacement: 'active',
    });
  });

  it('a newer registration made by another registry takes the id back from an older one Redis brought back', async () => {
    const namespace = ns();
    const before = reg({ namespace });
    const after = reg({ namespace });
    const observer = reg({ namespace });
    const old = await before.register(inst('catalog-2', '10.0.0.1'), { ttlMs: 3_000 });
    const replacement = await after.register(inst('catalog-2', '10.0.0.2'), { ttlMs: 3_000 });
    await redis.restart();
    // Whichever heartbeats first after the restart, the newer registration ends up owning the id.
    const deadline = Date.now() + 8_000;
    let hosts: string[] = [];
    while (Date.now() < deadline) {
      hosts = (await observer.list('catalog').catch(() => [])).map((i) => i.host);
      if (old.state === 'lost' && replacement.state === 'active' && hosts.join() === '10.0.0.2') break;
      await sleep(100);
    }
    expect({ hosts, old: old.state, replacement: replacement.state }).toEqual({
      hosts: ['10.0.0.2'],
      old: 'lost',
      replacement: 'active',
    });
  });
});
