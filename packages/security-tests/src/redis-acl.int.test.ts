import { SwitchyardError } from '@switchyard/core';
import { RedisRegistry } from '@switchyard/registry';
import { type RedisServerHandle, startRedis } from '@switchyard/testing';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { REGISTRY_COMMANDS, registryAclRules } from './support/acl.js';
import { exerciseEveryOperation } from './support/exercise-registry.js';
import { recordingLogger } from './support/recording-logger.js';

let redis: RedisServerHandle;
let admin: Redis;
let namespaceCounter = 0;
const nextNamespace = () => `acl${++namespaceCounter}`;

beforeAll(async () => {
  redis = await startRedis({ via: process.env.SWITCHYARD_TESTING_VIA === 'container' ? 'container' : 'binary' });
  admin = new Redis(redis.url, { maxRetriesPerRequest: 1 });
});
afterAll(async () => {
  admin?.disconnect();
  await redis?.stop();
});
afterEach(async () => {
  await admin.acl('LOG', 'RESET');
});

async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > 5_000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const userUrl = (user: string, password: string) => `redis://${user}:${password}@127.0.0.1:${redis.port}`;

/** Every key under a namespace, by SCAN (bounded). */
async function keysOf(namespace: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  for (let round = 0; round < 1_000; round++) {
    const [next, batch] = await admin.scan(cursor, 'MATCH', `${namespace}:*`, 'COUNT', 500);
    found.push(...batch);
    cursor = next;
    if (cursor === '0') break;
  }
  return found;
}

describe('Redis ACL: a least-privilege registry user', () => {
  it('runs every registry operation with only the namespace keys, channels and the listed commands, and nothing is denied', async () => {
    const namespace = nextNamespace();
    await admin.acl('SETUSER', 'registry', ...registryAclRules(namespace, 'registry-pass'));
    const logger = recordingLogger();
    const done = await exerciseEveryOperation({ url: userUrl('registry', 'registry-pass'), namespace, logger }, admin);
    expect(done).toEqual([
      'watch',
      'register',
      'heartbeat',
      'heartbeat (lease rewritten)',
      'heartbeat (entry written back)',
      'update',
      'list',
      'services',
      'setRoute/getRoute',
      'setCanary/getCanary',
      'evict',
      'sweep',
      'deregister',
      'unwatch',
      'close',
    ]);
    // Nothing was refused, not even a command whose failure the registry swallows (a sweep's
    // tombstone cleanup, an unsubscribe, the ready check): the ACL log stays empty.
    expect(await admin.acl('LOG')).toEqual([]);
    expect(logger.text()).not.toMatch(/NOPERM|permission denied/i);
    // (The evicted registration logs its loss; nothing else may be an error.)
    expect(logger.records.filter((r) => r.level === 'error' && !/REGISTRATION_LOST/.test(r.text))).toEqual([]);
  });

  it('is the whole set: the user has no other command and no key or channel outside the namespace', async () => {
    const namespace = nextNamespace();
    await admin.acl('SETUSER', 'registry', ...registryAclRules(namespace, 'registry-pass'));
    const rules = String(await admin.acl('GETUSER', 'registry').then((reply) => JSON.stringify(reply)));
    for (const command of REGISTRY_COMMANDS) expect(rules).toContain(`+${command}`);
    const user = new Redis(userUrl('registry', 'registry-pass'), { maxRetriesPerRequest: 0 });
    try {
      await expect(user.set(`${namespace}:x`, '1')).resolves.toBe('OK');
      await expect(user.set('elsewhere:x', '1')).rejects.toThrow(/NOPERM/);
      await expect(user.get(`other${namespace}:x`)).rejects.toThrow(/NOPERM/);
      await expect(user.publish('elsewhere', 'x')).rejects.toThrow(/NOPERM/);
      await expect(user.keys('*')).rejects.toThrow(/NOPERM/);
      await expect(user.flushall()).rejects.toThrow(/NOPERM/);
      await expect(user.config('GET', '*')).rejects.toThrow(/NOPERM/);
      await expect(user.call('ACL', 'WHOAMI')).rejects.toThrow(/NOPERM/);
      await expect(user.call('SCRIPT', 'FLUSH')).rejects.toThrow(/NOPERM/);
    } finally {
      user.disconnect();
    }
    // The same user cannot drive a registry in another namespace.
    const elsewhere = new RedisRegistry({ url: userUrl('registry', 'registry-pass'), namespace: `other${namespace}` });
    try {
      const error = await elsewhere.list('catalog').catch((caught: unknown) => caught);
      expect(SwitchyardError.hasCode(error, 'REGISTRY_UNAVAILABLE')).toBe(true);
      expect((error as Error).message).toMatch(/permission denied/);
    } finally {
      await elsewhere.close();
    }
  });

  it('names a key of the wrong type in its DATA_LOSS error, and route clear repairs it, with only the listed commands', async () => {
    const namespace = nextNamespace();
    await admin.acl('SETUSER', 'registry', ...registryAclRules(namespace, 'registry-pass'));
    const registry = new RedisRegistry({ url: userUrl('registry', 'registry-pass'), namespace });
    const routeKey = `${namespace}:{catalog}:route`;
    try {
      await admin.rpush(routeKey, 'not', 'a', 'rule');
      const error = await registry.getRoute('catalog').catch((caught: unknown) => caught);
      expect(SwitchyardError.hasCode(error, 'DATA_LOSS'), String(error)).toBe(true);
      // Named only if the user may ask the key's TYPE (+type in the ACL).
      expect((error as { key?: string }).key).toBe(routeKey);
      expect((error as Error).message).toContain(routeKey);
      await registry.setRoute('catalog', undefined);
      expect(await registry.getRoute('catalog')).toBeUndefined();
      expect(await admin.acl('LOG')).toEqual([]);
    } finally {
      await registry.close();
      await admin.del(routeKey);
    }
  });

  it('writes back a route rule Redis lost, with only the listed commands', async () => {
    const namespace = nextNamespace();
    await admin.acl('SETUSER', 'registry', ...registryAclRules(namespace, 'registry-pass'));
    const url = userUrl('registry', 'registry-pass');
    const logger = recordingLogger();
    const owner = new RedisRegistry({ url, namespace, logger });
    // Frequent revision checks: the watcher notices the loss within the test.
    const watcher = new RedisRegistry({ url, namespace, logger, resyncIntervalMs: 200 });
    try {
      await owner.register(
        { id: 'r-1', service: 'catalog', version: '1.0.0', host: '127.0.0.1', ports: { grpc: 50_051 } },
        { ttlMs: 3_000 },
      );
      const rules: unknown[] = [];
      await watcher.watch('catalog', (event) => {
        if (event.type === 'route') rules.push(event.rule);
      });
      await owner.setRoute('catalog', { splits: { '1.0.0': 100 } });
      await until(() => rules.length === 1, 'the watcher to see the rule');
      // Every key of the namespace lost (as a restart without persistence or a flush would; the
      // ACL user itself must survive, which a restart would not).
      await admin.del(...(await keysOf(namespace)));
      await until(
        async () => (await admin.get(`${namespace}:{catalog}:route`)) !== null,
        'the watcher to write the rule back',
      );
      expect(await owner.getRoute('catalog')).toEqual({ splits: { '1.0.0': 100 } });
    } finally {
      await Promise.all([owner.close(), watcher.close()]);
    }
    expect(logger.find('warn', /lost the route rule of catalog/)).toHaveLength(1);
    expect(await admin.acl('LOG')).toEqual([]);
    expect(logger.text()).not.toMatch(/NOPERM|permission denied/i);
  });

  const readOnlyUsers = {
    // The usual read-only profile: read commands only (no scripts).
    '+@read': ['+@read', '+@connection', '+info'],
    // A read-only profile that may run scripts (scripts are what the registry reads with): Redis
    // still refuses every write command a script tries.
    '+@read +@scripting': ['+@read', '+@scripting', '+@connection', '+info', '+time'],
  };

  for (const [profile, rules] of Object.entries(readOnlyUsers)) {
    it(`a read-only user (${profile}) gets REGISTRY_UNAVAILABLE "permission denied" and nothing is written`, async () => {
      const namespace = nextNamespace();
      await admin.acl(
        'SETUSER',
        'reader',
        'reset',
        'on',
        '>reader-pass',
        `~${namespace}:*`,
        `&${namespace}:*`,
        ...rules,
      );
      const registry = new RedisRegistry({
        url: userUrl('reader', 'reader-pass'),
        namespace,
        logger: recordingLogger(),
      });
      try {
        const error = await registry
          .register({ id: 'ro-1', service: 'catalog', host: '127.0.0.1', ports: { grpc: 50_051 } })
          .catch((caught: unknown) => caught);
        expect(SwitchyardError.hasCode(error, 'REGISTRY_UNAVAILABLE'), String(error)).toBe(true);
        expect((error as Error).message).toMatch(/register failed: permission denied/);
        expect((error as Error).message).not.toContain('reader-pass');
        expect(await keysOf(namespace)).toEqual([]);
      } finally {
        await registry.close();
      }
      expect(await keysOf(namespace)).toEqual([]);
    });
  }
});
