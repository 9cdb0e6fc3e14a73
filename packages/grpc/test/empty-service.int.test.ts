/**
 * A service with no instances: calls fail with NO_INSTANCES (the real cause, not RETRY_EXHAUSTED),
 * and the default policy's circuit breaker does not count them, so once instances come back the
 * first call goes through instead of failing CIRCUIT_OPEN for `openMs`.
 */
import { createDiscovery } from '@switchyard/discovery';
import { createGrpcClient, createGrpcServer } from '@switchyard/grpc';
import { MemoryRegistry } from '@switchyard/registry';
import { afterEach, expect, it } from 'vitest';
import { EchoService, echoImplementation } from './fixtures/echo.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

type Echo = { say(request: object, options?: object): Promise<{ servedBy: string }>; close(): Promise<void> };

async function emptyService() {
  const registry = new MemoryRegistry();
  cleanups.push(() => registry.close());
  const discovery = createDiscovery({ registry, service: 'echo' });
  cleanups.push(() => discovery.close());
  await discovery.ready();
  // The default policy: compose(retry(), circuitBreaker()), which opens from 20 calls at 50 % failures.
  const echo = createGrpcClient({ definition: EchoService, discovery }) as unknown as Echo;
  cleanups.push(() => echo.close());
  const addInstance = async (): Promise<void> => {
    const server = createGrpcServer({
      services: [{ definition: EchoService, implementation: echoImplementation('a') }],
    });
    const port = await server.listen(0, '127.0.0.1');
    cleanups.push(() => server.shutdown(100));
    await registry.register({ id: 'a', service: 'echo', host: '127.0.0.1', ports: { grpc: port } });
    for (let i = 0; i < 100 && discovery.instances().length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  };
  return { echo, addInstance };
}

it('fails a call to an empty service with NO_INSTANCES, naming the service', async () => {
  const { echo } = await emptyService();
  const error = await echo.say({ message: 'x' }, { deadlineMs: 2_000 }).catch((thrown: unknown) => thrown);
  expect(error).toMatchObject({ code: 'NO_INSTANCES', message: expect.stringContaining('echo') });
});

it('leaves the breaker closed after calls to an empty service, for when instances come back', async () => {
  const { echo, addInstance } = await emptyService();
  for (let call = 0; call < 30; call++) await echo.say({ message: 'x' }, { deadlineMs: 2_000 }).catch(() => {});
  await addInstance();
  // Nothing was ever sent while the service was empty: no breaker may stand in the way now.
  await expect(echo.say({ message: 'x' }, { deadlineMs: 2_000 })).resolves.toMatchObject({ servedBy: 'a' });
});
