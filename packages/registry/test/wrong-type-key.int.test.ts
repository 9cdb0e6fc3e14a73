/**
 * A registry key holding the wrong kind of value (a list where the registry keeps a string, written
 * by hand or by a foreign tool sharing the namespace): Redis answers, with WRONGTYPE. That is bad
 * data, not an outage: it must not read as REGISTRY_UNAVAILABLE (retryable, "Redis is down", which
 * callers wait out for good), it must name the key, and a route key of the wrong type must be
 * repairable by clearing the route (what `switchyard route clear` does).
 */
import { SwitchyardError } from '@switchyard/core';
import { RedisRegistry, RegistryDataError } from '@switchyard/registry';
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { withRedisPerFile } from './fixtures/redis-per-file.js';
import { recordingLogger, uniqueNamespace, waitFor } from './helpers.js';

const registries: RedisRegistry[] = [];
let url = '';
let raw: Redis;
withRedisPerFile(registries, (shared) => {
  url = shared.redis.url;
  raw = shared.raw;
});

function registry(options: Partial<ConstructorParameters<typeof RedisRegistry>[0]> = {}): RedisRegistry {
  const created = new RedisRegistry({ url, namespace: uniqueNamespace(), ...options });
  registries.push(created);
  return created;
}

const instance = (id: string, version = '1.0.0') => ({
  id,
  service: 'catalog',
  version,
  host: '127.0.0.1',
  ports: { grpc: 50_051 },
});

/** Makes `<ns>:{catalog}:route` a list. */
async function listAsRoute(namespace: string): Promise<string> {
  const key = `${namespace}:{catalog}:route`;
  await raw.del(key);
  await raw.rpush(key, 'not-a-rule');
  return key;
}

describe('a registry key of the wrong type', () => {
  it('fails reads with DATA_LOSS (not retryable) naming the key, not REGISTRY_UNAVAILABLE', async () => {
    const namespace = uniqueNamespace();
    const reader = registry({ namespace });
    await reader.register(instance('a'));
    const key = await listAsRoute(namespace);

    const failure = await reader.list('catalog').then(
      () => undefined,
      (error: unknown) => error,
    );
    // Before: REGISTRY_UNAVAILABLE, retryable, "list failed: WRONGTYPE Operation against a key …",
    // naming no key: an operator went looking for an outage.
    expect(SwitchyardError.isInstance(failure) && failure.code).toBe('DATA_LOSS');
    expect(failure).toBeInstanceOf(RegistryDataError);
    expect(failure).toMatchObject({ retryable: false, key });
    expect((failure as Error).message).toContain(`${key} holds a list, where the registry keeps a string`);
    expect((failure as Error).message).toContain('switchyard route clear catalog');
    await expect(reader.getRoute('catalog')).rejects.toMatchObject({ code: 'DATA_LOSS', key });
    await expect(reader.watch('catalog', () => {})).rejects.toMatchObject({ code: 'DATA_LOSS', key });
  });

  it('names the services index when it is the key of the wrong type', async () => {
    const namespace = uniqueNamespace();
    const reader = registry({ namespace });
    await raw.set(`${namespace}:services`, 'oops');
    await expect(reader.services()).rejects.toMatchObject({
      code: 'DATA_LOSS',
      key: `${namespace}:services`,
      message: expect.stringContaining(`${namespace}:services holds a string, where the registry keeps a set`),
    });
  });

  it('names any key of the service: services() leaves the service out, warning with the key', async () => {
    const namespace = uniqueNamespace();
    const logger = recordingLogger();
    const reader = registry({ namespace, logger });
    await reader.register(instance('a'));
    await reader.register({ ...instance('b'), service: 'orders' });
    const key = `${namespace}:{catalog}:leases`;
    await raw.del(key);
    await raw.set(key, 'oops');
    const said = `${key} holds a string, where the registry keeps a zset (written by hand or by another tool sharing the namespace?); delete it (redis-cli DEL '${key}')`;
    await expect(reader.list('catalog')).rejects.toMatchObject({
      code: 'DATA_LOSS',
      key,
      message: expect.stringContaining(said),
    });
    expect(await reader.services()).toEqual(['orders']);
    expect(logger.warnings.map((warning) => warning.fields.error)).toContainEqual(expect.stringContaining(said));
  });

  it('a clear of the route repairs a route key of the wrong type; setting a rule names the key', async () => {
    const namespace = uniqueNamespace();
    const admin = registry({ namespace });
    await admin.register(instance('a'));
    const key = await listAsRoute(namespace);

    await expect(admin.setRoute('catalog', { splits: { '1.0.0': 100 } })).rejects.toMatchObject({
      code: 'DATA_LOSS',
      key,
    });
    // Before: REGISTRY_UNAVAILABLE (WRONGTYPE from the clear's GET): nothing could repair it but redis-cli.
    await admin.setRoute('catalog', undefined);
    expect(await raw.type(key)).toBe('string');
    expect(await raw.get(key)).toBe('');
    expect((await admin.list('catalog')).map((entry) => entry.id)).toEqual(['a']);
    await admin.setRoute('catalog', { splits: { '1.0.0': 100 } });
    expect(await admin.getRoute('catalog')).toEqual({ splits: { '1.0.0': 100 } });
  });

  it('a watcher whose resync meets it says so in a warning naming the key, not only at debug level', async () => {
    const namespace = uniqueNamespace();
    const logger = recordingLogger();
    const watcher = registry({ namespace, logger });
    const owner = registry({ namespace });
    await owner.register(instance('a'));
    await watcher.watch('catalog', () => {});
    const key = await listAsRoute(namespace);
    // A malformed change message makes the watch list again.
    await raw.publish(`${namespace}:{catalog}:events`, 'not json');
    await waitFor(
      () => logger.warnings.some((warning) => JSON.stringify(warning).includes(`${key} holds a list`)),
      3_000,
      'a warning naming the key',
    );
  });
});
