/** grpc.health.v1 while a server drains: what health-checking clients and probes are told. */
import * as grpc from '@grpc/grpc-js';
import { createGrpcServer, type GrpcServer, healthServiceDefinition } from '@switchyard/grpc';
import { afterEach, describe, expect, it } from 'vitest';
import { EchoService, echoImplementation } from './fixtures/echo.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function serve(): Promise<{ server: GrpcServer; check: (service: string) => Promise<string> }> {
  const server = createGrpcServer({ services: [{ definition: EchoService, implementation: echoImplementation('a') }] });
  const port = await server.listen(0, '127.0.0.1');
  cleanups.push(() => server.shutdown(100));
  const Health = grpc.makeGenericClientConstructor(healthServiceDefinition(), 'Health');
  const health = new Health(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as grpc.Client &
    Record<string, Function>;
  cleanups.push(() => health.close());
  const check = (service: string) =>
    new Promise<string>((resolve, reject) =>
      health.Check!({ service }, (error: Error | null, response: { status: string }) =>
        error ? reject(error) : resolve(response.status),
      ),
    );
  return { server, check };
}

describe('grpc.health.v1 while draining', () => {
  it('stays NOT_SERVING when the application sets a status during the drain (a dependency watchdog), until resume()', async () => {
    const { server, check } = await serve();
    server.drain();
    // A watchdog that reports its dependencies every few seconds must not put a draining server
    // back into rotation: clients and the readiness probe would send it work until it exits.
    server.setServingStatus('', 'SERVING');
    server.setServingStatus('switchyard.echo.v1.Echo', 'SERVING');
    server.setServingStatus('added.later.v1.Service', 'SERVING');
    expect(await check('')).toBe('NOT_SERVING');
    expect(await check('switchyard.echo.v1.Echo')).toBe('NOT_SERVING');
    expect(await check('added.later.v1.Service')).toBe('NOT_SERVING');
    expect(await check('liveness')).toBe('SERVING');
    server.resume();
    expect(await check('')).toBe('SERVING');
    expect(await check('switchyard.echo.v1.Echo')).toBe('SERVING');
    expect(await check('added.later.v1.Service')).toBe('SERVING');
  });

  it('resume() keeps a NOT_SERVING the application set before or during the drain', async () => {
    const { server, check } = await serve();
    // A watchdog: the database is down, before the drain…
    server.setServingStatus('switchyard.echo.v1.Echo', 'NOT_SERVING');
    server.drain();
    // …and another dependency during it.
    server.setServingStatus('', 'NOT_SERVING');
    server.resume();
    // resume() reported SERVING everywhere: back in rotation with its database down.
    expect(await check('switchyard.echo.v1.Echo')).toBe('NOT_SERVING');
    expect(await check('')).toBe('NOT_SERVING');
    expect(await check('liveness')).toBe('SERVING');
    server.setServingStatus('', 'SERVING');
    expect(await check('')).toBe('SERVING');
  });
});
