/**
 * A service while its Redis misbehaves: killed and restarted empty, paused (commands hang), during
 * start, markReady(), markNotReady() and stop(). Each test breaks this file's own Redis and leaves it running.
 */
import { type Logger, silentLogger } from '@switchyard/core';
import { RedisRegistry } from '@switchyard/registry';
import { type RunningService, startService } from '@switchyard/service';
import { type RedisServerHandle, startRedis, startTcpProxy } from '@switchyard/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

let redis: RedisServerHandle;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  // A test that failed half-way must not leave the next one a stopped or paused Redis.
  await redis.resume().catch(() => undefined);
  await redis.restart().catch(() => undefined);
});

const quiet = { handleSignals: false, tracing: false, drainDelayMs: 0, logger: silentLogger } as const;

/** A second client of the same Redis, as another process would read it. */
function observer(): RedisRegistry {
  const registry = new RedisRegistry({ url: redis.url });
  cleanups.push(() => registry.close());
  return registry;
}

/** A service started not ready (`ready: false`) on the test Redis, with a short lease, and its /readyz status. */
async function startWarming(name: string): Promise<{ service: RunningService; readyz: () => Promise<number> }> {
  const service = await startService({
    name,
    registry: redis.url,
    http: { port: 0, host: '127.0.0.1' },
    ready: false,
    ttlMs: 1_500,
    ...quiet,
  });
  cleanups.push(() => service.stop());
  const readyz = async () => (await fetch(`http://127.0.0.1:${service.httpPort}/readyz`)).status;
  return { service, readyz };
}

describe('a service while Redis is down or hung', () => {
  it('markReady() that fails during an outage leaves the instance draining in Redis once it is back', async () => {
    const others = observer();
    const { service, readyz } = await startWarming('warming');
    await redis.kill();
    await expect(service.markReady()).rejects.toMatchObject({ code: 'REGISTRY_UNAVAILABLE' });
    expect(service.ready).toBe(false);
    await redis.restart(); // empty: the registration writes its entry back
    await expect.poll(async () => (await others.list('warming').catch(() => [])).length, { timeout: 10_000 }).toBe(1);
    // Not ready, so not `up`: the failed update used to be written back with the entry, and
    // callers picked an instance whose health said NOT_SERVING.
    expect((await others.list('warming'))[0]?.status).toBe('draining');
    expect(await readyz()).toBe(503);
    // Still so after a few heartbeats (every 500 ms with this TTL).
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    expect((await others.list('warming'))[0]?.status).toBe('draining');
    // A retry makes it ready, in Redis too.
    await service.markReady();
    expect(await readyz()).toBe(200);
    expect((await others.list('warming'))[0]?.status).toBe('up');
  });

  it('markNotReady() against a hung Redis leaves traffic at once, and Redis lists it draining once it answers', async () => {
    const others = observer();
    const { service, readyz } = await startWarming('hung-not-ready');
    await service.markReady();
    expect((await others.list('hung-not-ready'))[0]?.status).toBe('up');
    await redis.pause();
    const leaving = service.markNotReady('database connection lost');
    leaving.catch(() => undefined);
    // Out of traffic for the probes while the update waits on Redis, not once it gives up.
    expect(service.ready).toBe(false);
    expect(await readyz()).toBe(503);
    await expect(leaving).rejects.toMatchObject({ code: 'REGISTRY_UNAVAILABLE' });
    await redis.resume();
    await expect
      .poll(async () => (await others.list('hung-not-ready').catch(() => []))[0]?.status, { timeout: 10_000 })
      .toBe('draining');
    await new Promise((resolve) => setTimeout(resolve, 1_200)); // a few heartbeats
    expect((await others.list('hung-not-ready'))[0]?.status).toBe('draining');
    expect(await readyz()).toBe(503);
    // Back in traffic, in Redis too.
    await service.markReady();
    expect(await readyz()).toBe(200);
    expect((await others.list('hung-not-ready'))[0]?.status).toBe('up');
  });

  it('a start that fails because Redis hangs leaves no entry behind once Redis answers again', async () => {
    // A registry the service does not own, connected before Redis hangs: the register script is
    // sent, times out, and would run when Redis resumes.
    const shared = observer();
    await shared.list('hung-start');
    await redis.pause();
    await expect(
      startService({ name: 'hung-start', registry: shared, http: { port: 0, host: '127.0.0.1' }, ...quiet }),
    ).rejects.toMatchObject({ code: 'REGISTRY_UNAVAILABLE' });
    await redis.resume();
    // Read through the same connection, so after whatever the failed start left queued there. The
    // entry used to be listed `up` (at a port no longer open) until its 10 s lease ran out.
    await expect
      .poll(
        () =>
          shared.list('hung-start').then(
            () => true,
            () => false,
          ),
        { timeout: 10_000 },
      )
      .toBe(true);
    expect(await shared.list('hung-start')).toEqual([]);
    expect(await observer().list('hung-start')).toEqual([]);
  });

  it('markReady() against a hung Redis does not pass readiness checks while it waits, nor leave the entry up', async () => {
    const others = observer();
    const { service, readyz } = await startWarming('hung-ready');
    await redis.pause();
    const marking = service.markReady();
    marking.catch(() => undefined);
    // The update waits for Redis (up to two command timeouts): not ready meanwhile. It used to
    // say ready (200) until the update failed, long enough for a readiness probe to pass.
    expect(await readyz()).toBe(503);
    expect(service.ready).toBe(false);
    await expect(marking).rejects.toMatchObject({ code: 'REGISTRY_UNAVAILABLE' });
    expect(await readyz()).toBe(503);
    await redis.resume(); // runs what waited, the update to `up` included
    await expect
      .poll(async () => (await others.list('hung-ready').catch(() => []))[0]?.status, { timeout: 10_000 })
      .toBe('draining');
    await new Promise((resolve) => setTimeout(resolve, 1_200)); // a few heartbeats
    expect((await others.list('hung-ready'))[0]?.status).toBe('draining');
    await service.markReady();
    expect(await readyz()).toBe(200);
    expect((await others.list('hung-ready'))[0]?.status).toBe('up');
  });

  // A blip during shutdown: the connection drops just as the service deregisters, and comes back a
  // moment later. The removal failed at once (nothing was sent) and was only logged: the entry
  // stayed listed, draining, until its lease ran out (10 s here).
  it('stop() sends a deregistration that failed in a blip once more, when Redis is back', async () => {
    const proxy = await startTcpProxy({ host: redis.host, port: redis.port });
    cleanups.push(() => proxy.close());
    const failures: unknown[] = [];
    const logger: Logger = {
      ...silentLogger,
      warn: (fields: unknown, message?: string) => {
        // Redis comes back as soon as the first removal has failed.
        if (typeof message === 'string' && message.includes('deregister')) {
          failures.push((fields as { err?: unknown }).err);
          proxy.heal();
        }
      },
    };
    const others = observer();
    const service = await startService({
      name: 'blip',
      registry: `redis://127.0.0.1:${proxy.port}`,
      http: { port: 0, host: '127.0.0.1' },
      ...quiet,
      drainDelayMs: 300,
      logger,
    });
    cleanups.push(() => service.stop());
    const stopping = service.stop();
    await expect.poll(async () => (await others.list('blip'))[0]?.status, { timeout: 5_000 }).toBe('draining');
    proxy.cut();
    const started = Date.now();
    await stopping;
    expect(failures[0]).toMatchObject({ code: 'REGISTRY_UNAVAILABLE' });
    expect(await others.list('blip')).toEqual([]);
    // Within the stop's budget: the retry waits for Redis at most a couple of seconds.
    expect(Date.now() - started).toBeLessThan(4_000);
  });

  it('stop() against a hung Redis sends its deregistration once, and stays bounded', async () => {
    // A registry the service does not own, to count what it sends.
    const registry = new RedisRegistry({ url: redis.url, namespace: 'hung-stop' });
    cleanups.push(() => registry.close());
    const deregistrations: boolean[] = [];
    registry.onOperation(({ operation, ok }) => {
      if (operation === 'deregister') deregistrations.push(ok);
    });
    const service = await startService({ name: 'hung-stop', registry, http: { port: 0, host: '127.0.0.1' }, ...quiet });
    cleanups.push(() => service.stop());
    await redis.pause();
    const started = Date.now();
    await service.stop();
    const tookMs = Date.now() - started;
    // Sent once and timed out: it runs when Redis catches up, so sending it again would only
    // wait another command timeout.
    expect(deregistrations).toEqual([false]);
    // The draining update and the deregistration: each up to two command timeouts (1 s).
    expect(tookMs).toBeLessThan(4_500);
    await redis.resume();
    await expect.poll(() => registry.list('hung-stop'), { timeout: 5_000 }).toEqual([]);
  });
});
