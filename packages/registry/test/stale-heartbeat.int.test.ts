import type { Logger } from '@switchyard/core';
import { RedisRegistry, type Registration } from '@switchyard/registry';
import type { RedisServerHandle } from '@switchyard/testing';
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { withRedisPerFile } from './fixtures/redis-per-file.js';
import { uniqueNamespace } from './helpers.js';

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

const instance = (id: string) => ({ id, service: 'catalog', host: '127.0.0.1', ports: { grpc: 50_051 } });

type Beating = Registration & { heartbeat(): Promise<void>; registrationGeneration: string };

withRedisPerFile(registries, (shared) => {
  ({ redis, raw } = shared);
});

/** A logger that keeps every line at warn and error level. */
function lineLogger(): Logger & { lines: { level: 'warn' | 'error'; message: string | undefined; code?: unknown }[] } {
  const lines: { level: 'warn' | 'error'; message: string | undefined; code?: unknown }[] = [];
  const noop = (): void => {};
  const keep =
    (level: 'warn' | 'error') =>
    (first: Record<string, unknown> | string, message?: string): void => {
      if (typeof first === 'string') lines.push({ level, message: first });
      else lines.push({ level, message, code: (first.err as { code?: unknown } | undefined)?.code });
    };
  return { lines, debug: noop, info: noop, warn: keep('warn'), error: keep('error') };
}

/** Deletes catalog-1's entry, lease and generation behind `registration`'s back, as a Redis that lost them. */
async function dropEntry(prefix: string, registration: Beating): Promise<void> {
  await raw.del(`${prefix}lease:catalog-1:${registration.registrationGeneration}`);
  await raw.hdel(`${prefix}gens`, 'catalog-1');
  await raw.hdel(`${prefix}instances`, 'catalog-1');
}

describe('heartbeats that land after their registration ended', () => {
  // abandon() promises that nothing is written any more, as after a crash. A heartbeat already in
  // flight (here held up by a slow Redis) went on once its PEXPIRE found no lease: its slow script
  // and its write-back were sent after abandon(), and the "crashed" entry was written back in full,
  // listed and leased for another whole TTL with nobody heartbeating it.
  it('writes nothing back for an abandoned registration, not even from a heartbeat in flight at abandon()', async () => {
    const namespace = uniqueNamespace();
    const owner = registry({ namespace });
    const registration = (await owner.register(instance('catalog-1'), { ttlMs: 60_000 })) as Beating;
    // The entry vanished (deleted by hand, or Redis lost it): the next heartbeat finds no lease.
    const prefix = `${namespace}:{catalog}:`;
    await dropEntry(prefix, registration);
    await redis.pause();
    let beat: Promise<void>;
    try {
      beat = registration.heartbeat();
      // Its PEXPIRE is sent (and unanswered) before the process "crashes".
      await new Promise((resolve) => setTimeout(resolve, 100));
      registration.abandon();
    } finally {
      await redis.resume();
    }
    await beat;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(registration.state).toBe('lost');
    expect(await raw.hexists(`${prefix}instances`, 'catalog-1'), 'the abandoned entry was written back').toBe(0);
    expect(await raw.exists(`${prefix}lease:catalog-1:${registration.registrationGeneration}`)).toBe(0);
  });

  // deregister() stops the heartbeats at once; a heartbeat in flight then must not write the entry
  // back just ahead of the removal (watchers that had seen it go would see it `up` again, and
  // discovery route to a process that is shutting down, until the removal lands).
  it('writes nothing back for a deregistered registration from a heartbeat in flight at deregister()', async () => {
    const namespace = uniqueNamespace();
    const owner = registry({ namespace });
    const registration = (await owner.register(instance('catalog-1'), { ttlMs: 60_000 })) as Beating;
    const prefix = `${namespace}:{catalog}:`;
    await dropEntry(prefix, registration);
    const monitor = await raw.monitor();
    const writes: string[] = [];
    monitor.on('monitor', (_time: string, args: string[]) => {
      if (args.some((arg) => arg.includes('"catalog-1"') || arg === 'catalog-1')) writes.push(args.join(' '));
    });
    await redis.pause();
    let beat: Promise<void>;
    let removal: Promise<void>;
    try {
      beat = registration.heartbeat();
      await new Promise((resolve) => setTimeout(resolve, 100));
      removal = registration.deregister();
    } finally {
      await redis.resume();
    }
    await beat;
    await removal;
    await new Promise((resolve) => setTimeout(resolve, 100));
    monitor.disconnect();
    // The only script carrying the instance JSON would be the write-back (REGISTER).
    expect(writes.filter((line) => line.includes('"host"'))).toEqual([]);
    expect(await raw.hexists(`${prefix}instances`, 'catalog-1')).toBe(0);
    expect(registration.state).toBe('deregistered');
  });

  // `switchyard deregister` reads the generation, asks the operator, then evicts that generation.
  // An instance an operator evicts is often one that misbehaves: hung past its TTL, so it may
  // expire (and be swept) while the prompt waits. The eviction then found nothing, barred nothing,
  // and answered false ("already gone"); when the hung process ran again, its next heartbeat found
  // no owner and no tombstone and wrote the entry back, as after any stall: the very instance the
  // operator took out was back in every view, for good.
  it('bars the generation an operator confirmed even when it expired before the eviction: it is not written back', async () => {
    const namespace = uniqueNamespace();
    const owner = registry({ namespace });
    const admin = registry({ namespace });
    const registration = (await owner.register(instance('catalog-1'), { ttlMs: 60_000 })) as Beating;
    const prefix = `${namespace}:{catalog}:`;
    const confirmed = (await raw.hget(`${prefix}gens`, 'catalog-1')) as string;
    expect(confirmed).toBe(registration.registrationGeneration);
    // The process hangs past its lease: the lease runs out and a read sweeps the entry as expired.
    await raw.del(`${prefix}lease:catalog-1:${confirmed}`);
    await raw.zadd(`${prefix}leases`, 0, 'catalog-1');
    expect(await admin.list('catalog')).toEqual([]);
    expect(await raw.hget(`${prefix}gens`, 'catalog-1')).toBeNull();
    // The operator confirms the eviction of the generation shown: nothing is left to remove.
    expect(await admin.evict('catalog', 'catalog-1', { generation: confirmed })).toBe(false);
    // The process runs again.
    await registration.heartbeat();
    expect(
      (await admin.list('catalog')).map((entry) => entry.id),
      'the evicted instance came back',
    ).toEqual([]);
    expect(registration.state).toBe('lost');
    await expect(registration.update({ weight: 5 })).rejects.toMatchObject({ code: 'REGISTRATION_LOST' });
    // A restarted process (a new generation) may take the id again.
    await registry({ namespace }).register(instance('catalog-1'), { ttlMs: 60_000 });
    expect((await admin.list('catalog')).map((entry) => entry.id)).toEqual(['catalog-1']);
  });

  // A registration replaced by another process hears it at its next heartbeat, and says so once
  // (a warning: it is the expected end of an old process whose pod was replaced). The same
  // RegistrationLostError was caught again by the heartbeat and logged as an error, "heartbeat
  // failed", on every replacement: noise at the level that pages someone.
  it('logs a replaced registration once, as a warning, not also as a failed heartbeat', async () => {
    const namespace = uniqueNamespace();
    const logger = lineLogger();
    const owner = registry({ namespace, logger });
    const replaced = (await owner.register(instance('catalog-1'), { ttlMs: 60_000 })) as Beating;
    await registry({ namespace }).register(instance('catalog-1'), { ttlMs: 60_000 });
    await replaced.heartbeat();
    expect(replaced.state).toBe('lost');
    expect(logger.lines.filter((line) => line.level === 'error')).toEqual([]);
    expect(logger.lines.map((line) => line.message)).toEqual([
      'switchyard registry: registration lost; it will not be written back',
    ]);
  });
});
