/**
 * What a heartbeat reports to `onOperation` (switchyard_registry_operations_total and the heartbeat
 * duration histogram): one heartbeat is one `heartbeat` operation, its PEXPIRE. The commands sent
 * beside it (the once-per-TTL ownership check, the entry check after a reconnect) and the slow
 * script after a PEXPIRE that found no lease have names of their own: counted as `heartbeat`, 9
 * heartbeats at a 3 s TTL showed as 12, and their durations went into the heartbeat latency.
 */
import { RedisRegistry, type RegistryOperation } from '@switchyard/registry';
import type { RedisServerHandle } from '@switchyard/testing';
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { withRedisPerFile } from './fixtures/redis-per-file.js';
import { uniqueNamespace, waitFor } from './helpers.js';

let redis: RedisServerHandle;
let raw: Redis;
const registries: RedisRegistry[] = [];

withRedisPerFile(registries, (shared) => {
  ({ redis, raw } = shared);
});

type Beating = { heartbeat(): Promise<void>; heartbeatAfterReconnect(): Promise<void> };

const instance = { id: 'catalog-1', service: 'catalog', host: '127.0.0.1', ports: { grpc: 50_051 } };

/** A registry, and the names of the operations it reports from now on. */
function observed(): { registry: RedisRegistry; names: string[]; namespace: string } {
  const namespace = uniqueNamespace();
  const registry = new RedisRegistry({ url: redis.url, namespace });
  registries.push(registry);
  const names: string[] = [];
  registry.onOperation(({ operation }: RegistryOperation) => names.push(operation));
  return { registry, names, namespace };
}

const count = (names: string[], name: string): number => names.filter((each) => each === name).length;

describe('heartbeat operations', () => {
  it('reports the checks sent beside a heartbeat under their own names: one heartbeat, one `heartbeat`', async () => {
    const { registry, names } = observed();
    const registration = (await registry.register(instance, { ttlMs: 60_000 })) as unknown as Beating;
    names.length = 0;
    // The first heartbeat after a reconnect: the PEXPIRE, the ownership check and the entry check.
    await registration.heartbeatAfterReconnect();
    expect(count(names, 'heartbeat'), `operations reported: ${JSON.stringify(names)}`).toBe(1);
    expect(names).toContain('heartbeat ownership check');
    expect(names).toContain('heartbeat entry check');
    names.length = 0;
    await registration.heartbeat();
    expect(names).toEqual(['heartbeat']);
  });

  it('reports the slow script after a PEXPIRE that found no lease as `heartbeat recovery`, not a second heartbeat', async () => {
    const { registry, names, namespace } = observed();
    const registration = (await registry.register(instance, { ttlMs: 60_000 })) as unknown as Beating;
    const [lease] = await raw.keys(`${namespace}:{catalog}:lease:catalog-1:*`);
    expect(lease).toBeDefined();
    await raw.del(lease as string); // what a process stalled past its TTL finds
    names.length = 0;
    await registration.heartbeat();
    expect(count(names, 'heartbeat'), `operations reported: ${JSON.stringify(names)}`).toBe(1);
    expect(names).toContain('heartbeat recovery');
    expect(await raw.pttl(lease as string)).toBeGreaterThan(50_000); // the lease was written again
  });

  it('counts as many `heartbeat` operations as PEXPIREs Redis received, on the timer', async () => {
    // A 1.5 s TTL: a heartbeat every ~500 ms, and the once-per-TTL ownership check every third one.
    const { registry, names } = observed();
    await registry.register(instance, { ttlMs: 1_500 });
    const pexpires = async (): Promise<number> =>
      Number((await raw.info('commandstats')).match(/cmdstat_pexpire:calls=(\d+)/)?.[1] ?? 0);
    names.length = 0;
    const before = await pexpires();
    await waitFor(() => count(names, 'heartbeat') >= 6, 10_000, 'six heartbeats');
    const sent = (await pexpires()) - before;
    // Every PEXPIRE the registration sent is one heartbeat (raw sends none).
    expect(count(names, 'heartbeat')).toBe(sent);
    expect(count(names, 'heartbeat ownership check')).toBeGreaterThanOrEqual(1);
  });
});
