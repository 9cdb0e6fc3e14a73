import { RedisRegistry } from '@switchyard/registry';
import { EventLog } from '@switchyard/registry/testing';
import { type RedisServerHandle, startRedis } from '@switchyard/testing';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { uniqueNamespace, waitFor } from './helpers.js';

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

const instance = (id: string, service = 'catalog') => ({ id, service, host: '127.0.0.1', ports: { grpc: 50_051 } });

beforeAll(async () => {
  redis = await startRedis();
  raw = new Redis(redis.url, { maxRetriesPerRequest: 1, lazyConnect: true });
  raw.on('error', () => {});
  await raw.connect();
});
afterEach(async () => {
  await Promise.all(registries.splice(0).map((r) => r.close()));
});
afterAll(async () => {
  raw?.disconnect();
  await redis?.stop();
});

describe('RedisRegistry sweeps after a stall', () => {
  it('graces every lease found dead after a stall, not only the first sweep batch of a watcher', async () => {
    const namespace = uniqueNamespace();
    // Heartbeats far apart, so none of them writes back a lease this test removes.
    const owner = registry({ namespace, heartbeatIntervalMs: 20_000 });
    const count = 450; // more than one sweep script's batch (200)
    await Promise.all(Array.from({ length: count }, (_, i) => owner.register(instance(`c-${i}`), { ttlMs: 60_000 })));
    // A watcher that sweeps often and lists rarely: its sweeps alone meet the stall.
    const watcher = registry({ namespace, sweepIntervalMs: 200, resyncIntervalMs: 60_000 });
    const log = new EventLog();
    await watcher.watch('catalog', log.listener);
    await new Promise((resolve) => setTimeout(resolve, 400)); // it sweeps, leaving its mark

    // As after Redis froze for 10 s: every lease ran out, every index entry is due, and the last
    // watcher sweep was 10 s ago. The owners are alive and write back as soon as they can.
    const prefix = `${namespace}:{catalog}:`;
    const gens = await raw.hgetall(`${prefix}gens`);
    const ids = Object.keys(gens);
    const [seconds] = await raw.time();
    await raw
      .multi()
      .zadd(`${prefix}leases`, ...ids.flatMap((id) => [0, id]))
      .del(...ids.map((id) => `${prefix}lease:${id}:${gens[id]}`))
      .set(`${prefix}swept`, Number(seconds) * 1_000 - 10_000)
      .del(`${prefix}sweeper`)
      .exec();

    await waitFor(async () => (await raw.scard(`${prefix}graced`)) > 0, 2_000, 'the first sweep after the stall');
    await new Promise((resolve) => setTimeout(resolve, 600)); // a few more ticks
    expect(log.events.filter((event) => event.type === 'down')).toEqual([]);
    expect(await raw.hlen(`${prefix}instances`)).toBe(count);
    expect(await raw.scard(`${prefix}graced`)).toBe(count);
  });
});
