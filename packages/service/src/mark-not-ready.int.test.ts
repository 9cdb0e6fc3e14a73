/**
 * markNotReady(): a running service taking itself out of traffic without stopping (a lost database
 * connection, a cache being rebuilt), and its interplay with markReady() and stop(). Memory
 * registry, real servers on loopback, free ports.
 */
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { RegistryUnavailableError, silentLogger } from '@switchyard/core';
import { healthServiceDefinition, loadService } from '@switchyard/grpc';
import { MemoryRegistry, type Registry } from '@switchyard/registry';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunningService } from './running-service.js';
import { startService } from './start-service.js';
import { withUpdates } from './test-support/registry-with-updates.js';

const EchoService = loadService('switchyard/echo/v1/echo.proto', 'switchyard.echo.v1.Echo', {
  includeDirs: [fileURLToPath(new URL('../../../protos', import.meta.url))],
});
const echo = { say: async (request: { message: string }) => ({ message: request.message, servedBy: 'x' }) };
const quiet = { handleSignals: false, tracing: false, drainDelayMs: 0, logger: silentLogger } as const;

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Starts a gRPC + HTTP service on loopback, with probes that read its readiness as Kubernetes would. */
async function start(name: string, registry: Registry, ready = true) {
  const service = await startService({
    name,
    registry,
    grpc: { services: [{ definition: EchoService, implementation: echo }], port: 0, host: '127.0.0.1' },
    http: { port: 0, host: '127.0.0.1' },
    ready,
    ...quiet,
  });
  cleanups.push(() => service.stop());
  const Health = grpc.makeGenericClientConstructor(healthServiceDefinition(), 'Health');
  const health = new Health(
    `127.0.0.1:${service.grpcPort}`,
    grpc.credentials.createInsecure(),
  ) as unknown as grpc.Client & Record<string, Function>;
  cleanups.push(async () => health.close());
  const check = (serviceName: string) =>
    new Promise<string>((resolve, reject) =>
      health.Check?.({ service: serviceName }, (error: Error | null, response: { status: string }) =>
        error ? reject(error) : resolve(response.status),
      ),
    );
  const readyz = async () => (await fetch(`http://127.0.0.1:${service.httpPort}/readyz`)).status;
  /** What every observer says: the property, /readyz, gRPC health (server and service), the registry. */
  const observed = async (svc: RunningService = service) => ({
    ready: svc.ready,
    readyz: await readyz(),
    grpc: await check(''),
    echo: await check('switchyard.echo.v1.Echo'),
  });
  return { service, observed };
}

const IN_TRAFFIC = { ready: true, readyz: 200, grpc: 'SERVING', echo: 'SERVING' };
const OUT_OF_TRAFFIC = { ready: false, readyz: 503, grpc: 'NOT_SERVING', echo: 'NOT_SERVING' };

describe('RunningService.markNotReady()', () => {
  it('takes a running service out of traffic (registry draining, health NOT_SERVING) and markReady() brings it back', async () => {
    const registry = new MemoryRegistry();
    cleanups.push(() => registry.close());
    const { service, observed } = await start('not-ready', registry);
    expect(await observed()).toEqual(IN_TRAFFIC);
    await service.markNotReady('database connection lost');
    expect(await observed()).toEqual(OUT_OF_TRAFFIC);
    expect((await registry.list('not-ready'))[0]?.status).toBe('draining');
    expect(service.draining).toBe(false);
    // Idempotent: a second call changes nothing and resolves.
    await service.markNotReady();
    expect(await observed()).toEqual(OUT_OF_TRAFFIC);
    // It used to answer markReady() with the first one's (settled) answer: back in traffic never.
    await service.markReady();
    expect(await observed()).toEqual(IN_TRAFFIC);
    expect((await registry.list('not-ready'))[0]?.status).toBe('up');
    // And out again, and in again: each call works, not only the first.
    await service.markNotReady('cache rebuild');
    expect(await observed()).toEqual(OUT_OF_TRAFFIC);
    expect((await registry.list('not-ready'))[0]?.status).toBe('draining');
    await service.markReady();
    expect(await observed()).toEqual(IN_TRAFFIC);
  });

  it('the last of markReady() and markNotReady() wins, called in the same tick in either order', async () => {
    const registry = new MemoryRegistry();
    cleanups.push(() => registry.close());
    const { service, observed } = await start('interleaved', registry, false);
    await Promise.all([service.markReady(), service.markNotReady('second thoughts')]);
    expect(await observed()).toEqual(OUT_OF_TRAFFIC);
    expect((await registry.list('interleaved'))[0]?.status).toBe('draining');
    await Promise.all([service.markNotReady(), service.markReady()]);
    expect(await observed()).toEqual(IN_TRAFFIC);
    expect((await registry.list('interleaved'))[0]?.status).toBe('up');
  });

  it('markNotReady() while markReady() waits on a slow registry keeps the service out of traffic', async () => {
    const memory = new MemoryRegistry();
    cleanups.push(() => memory.close());
    let release: (() => void) | undefined;
    // The `up` update's answer is held until released (a slow Redis): written in order, as a
    // registration writes its updates, but markReady() hears of it only after markNotReady().
    const registry = withUpdates(memory, async (patch, update) => {
      const written = update(patch);
      if (patch.status === 'up' && release === undefined) {
        await new Promise<void>((resolve) => {
          release = resolve;
        });
      }
      return written;
    });
    const { service, observed } = await start('slow-ready', registry, false);
    const readying = service.markReady();
    const notReadying = service.markNotReady('lost the database meanwhile');
    release?.();
    await Promise.all([readying, notReadying]);
    // The late `up` used to turn health SERVING after markNotReady() had said otherwise.
    expect(await observed()).toEqual(OUT_OF_TRAFFIC);
    expect((await memory.list('slow-ready'))[0]?.status).toBe('draining');
  });

  it('leaves health NOT_SERVING when the registry cannot be updated, rejects, and a retry writes it', async () => {
    const memory = new MemoryRegistry();
    cleanups.push(() => memory.close());
    let failNext = false;
    const registry = withUpdates(memory, async (patch, update) => {
      if (failNext) {
        failNext = false;
        throw new RegistryUnavailableError('registry blip');
      }
      return update(patch);
    });
    const { service, observed } = await start('blip', registry);
    failNext = true;
    await expect(service.markNotReady('database connection lost')).rejects.toMatchObject({
      code: 'REGISTRY_UNAVAILABLE',
    });
    // Out of traffic as far as the probes go whatever the registry did: leaving is the safe side.
    expect(await observed()).toEqual(OUT_OF_TRAFFIC);
    // A retry sends the update again (it was not kept as every later call's answer).
    await service.markNotReady('database connection lost');
    expect((await memory.list('blip'))[0]?.status).toBe('draining');
    expect(await observed()).toEqual(OUT_OF_TRAFFIC);
  });

  it('does nothing once stopping, and refuses a reason that is not a string', async () => {
    const registry = new MemoryRegistry();
    cleanups.push(() => registry.close());
    const { service } = await start('stopping', registry);
    await expect(service.markNotReady(42 as unknown as string)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      field: 'reason',
    });
    expect(service.ready).toBe(true);
    const stopping = service.stop();
    await service.markNotReady('too late');
    await stopping;
    expect(await registry.list('stopping')).toEqual([]);
  });
});
