/**
 * A registry URL whose path names a database the server does not have (`redis://host:6379/99` on a
 * Redis with the default 16). Redis refuses the SELECT, and ioredis only emits the error and carries
 * on, on database 0: every write landed beside whatever else lives there. The registry must refuse
 * to work instead, saying which database is missing, on the first connection and on every reconnect.
 */
import { RedisRegistry } from '@switchyard/registry';
import { type RedisServerHandle, startRedis, startTcpProxy, type TcpProxy } from '@switchyard/testing';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { uniqueNamespace, waitFor } from './helpers.js';

let small: RedisServerHandle; // the default 16 databases
let large: RedisServerHandle; // 128: has database 99
const cleanups: (() => Promise<unknown> | unknown)[] = [];

/** `url` with its path naming database `db` (the handle's URL may carry a password). */
function withDb(url: string, db: number, port?: number): string {
  const parsed = new URL(url);
  parsed.pathname = `/${db}`;
  if (port !== undefined) {
    parsed.hostname = '127.0.0.1';
    parsed.port = String(port);
  }
  return parsed.href;
}

function raw(url: string): Redis {
  const client = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: true });
  client.on('error', () => {});
  cleanups.push(() => client.disconnect());
  return client;
}

function registry(url: string): RedisRegistry {
  const created = new RedisRegistry({ url, namespace: uniqueNamespace(), connectTimeoutMs: 3_000 });
  cleanups.push(() => created.close());
  return created;
}

const instance = { id: 'catalog-1', service: 'catalog', host: '127.0.0.1', ports: { grpc: 50_051 } };

beforeAll(async () => {
  // Both with args, so neither is a shared server from REDIS_URL (whose database count is unknown).
  [small, large] = await Promise.all([
    startRedis({ args: ['--databases', '16'] }),
    startRedis({ args: ['--databases', '128'] }),
  ]);
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(async () => {
  await Promise.all([small?.stop(), large?.stop()]);
});

describe('a registry URL naming a database the server does not have', { timeout: 30_000 }, () => {
  it('fails every call naming the database and how many the server has, and writes nothing to database 0', async () => {
    const db0 = raw(small.url);
    await db0.flushall();
    const subject = registry(withDb(small.url, 99));
    const refused = {
      code: 'REGISTRY_UNAVAILABLE',
      message: expect.stringMatching(/database 99 does not exist \(the server has 16\b/),
    };
    await expect(subject.register(instance)).rejects.toMatchObject(refused);
    await expect(subject.list('catalog')).rejects.toMatchObject(refused);
    await expect(subject.services()).rejects.toMatchObject(refused);
    expect(await db0.dbsize()).toBe(0);
  });

  /** The URL of database `db` for a user allowed every command but `command` (deleted after the test). */
  async function userWithout(command: string, db: number): Promise<string> {
    const admin = raw(small.url);
    const name = `no${command}`;
    await admin.acl('SETUSER', name, 'on', `>${name}-pw`, '~*', '&*', '+@all', `-${command}`);
    cleanups.push(() => admin.acl('DELUSER', name));
    const url = new URL(withDb(small.url, db));
    url.username = name;
    url.password = `${name}-pw`;
    return url.href;
  }

  it('still names the database when the user may not ask how many the server has (no CONFIG in its ACL)', async () => {
    const subject = registry(await userWithout('config', 99));
    await expect(subject.list('catalog')).rejects.toMatchObject({
      code: 'REGISTRY_UNAVAILABLE',
      message: expect.stringMatching(/database 99 does not exist \(the server has fewer; Redis refused SELECT 99/),
    });
  });

  it('refuses a database the user may not select (no SELECT in its ACL), where ioredis fell back to 0 as well', async () => {
    const admin = raw(small.url);
    await admin.flushall();
    const subject = registry(await userWithout('select', 3));
    await expect(subject.register(instance)).rejects.toMatchObject({
      code: 'REGISTRY_UNAVAILABLE',
      message: expect.stringMatching(/database 3 cannot be selected: permission denied: NOPERM/),
    });
    expect(await admin.dbsize()).toBe(0);
  });

  it('stops using the connection when a reconnect lands on a server without it, and heals when it is back', async () => {
    const proxy: TcpProxy = await startTcpProxy({ port: large.port, host: large.host });
    cleanups.push(() => proxy.close());
    const smallDb0 = raw(small.url);
    await smallDb0.flushall();
    const subject = registry(withDb(large.url, 99, proxy.port));
    await subject.register(instance);
    expect(await subject.list('catalog')).toHaveLength(1);
    expect(await raw(withDb(large.url, 99)).dbsize()).toBeGreaterThan(0);
    // The name moves to a server with 16 databases (a failover to a differently configured one).
    proxy.moveTo(small.port, small.host);
    proxy.cut();
    proxy.heal();
    await waitFor(
      () =>
        subject.list('catalog').then(
          () => false,
          (error: Error) => /database 99 does not exist/.test(error.message),
        ),
      5_000,
      'calls to fail naming database 99',
    );
    // The registration's heartbeats after the reconnect (which write a vanished entry back) went nowhere.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await smallDb0.dbsize()).toBe(0);
    proxy.moveTo(large.port, large.host);
    proxy.cut();
    proxy.heal();
    await waitFor(
      () =>
        subject.list('catalog').then(
          (listed) => listed.length === 1,
          () => false,
        ),
      5_000,
      'the registry to heal',
    );
  });
});
