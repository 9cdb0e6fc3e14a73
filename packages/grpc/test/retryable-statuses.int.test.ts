/**
 * `retryableStatuses` widens what is retried. A server that answers DEADLINE_EXCEEDED (its own
 * downstream timed out) or CANCELLED, with plenty of the caller's deadline left, is retried when the
 * caller lists those statuses; the caller's own cancellation never is.
 */
import { status } from '@grpc/grpc-js';
import { createDiscovery } from '@switchyard/discovery';
import { createGrpcClient, createGrpcServer, grpcError } from '@switchyard/grpc';
import { MemoryRegistry } from '@switchyard/registry';
import { afterEach, expect, it } from 'vitest';
import { EchoService } from './fixtures/echo.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(failFirstWith: number, slowMs = 0) {
  let calls = 0;
  const registry = new MemoryRegistry();
  cleanups.push(() => registry.close());
  const server = createGrpcServer({
    services: [
      {
        definition: EchoService,
        implementation: {
          say: async () => {
            calls++;
            if (slowMs > 0) await new Promise((resolve) => setTimeout(resolve, slowMs));
            if (calls === 1) throw grpcError(failFirstWith, 'first attempt fails');
            return { message: 'ok', servedBy: 'a' };
          },
        },
      },
    ],
  });
  const port = await server.listen(0, '127.0.0.1');
  cleanups.push(() => server.shutdown(100));
  await registry.register({ id: 'a', service: 'echo', host: '127.0.0.1', ports: { grpc: port } });
  const discovery = createDiscovery({ registry, service: 'echo' });
  cleanups.push(() => discovery.close());
  await discovery.ready();
  const echo = createGrpcClient({
    definition: EchoService,
    discovery,
    retryableStatuses: [status.UNAVAILABLE, failFirstWith],
    // Echo's Say has no side effects: retried after a status the server replied (see idempotent-retries).
    idempotentMethods: ['Say'],
  }) as unknown as { say(r: object, o?: object): Promise<{ message: string }>; close(): Promise<void> };
  cleanups.push(() => echo.close());
  return { echo, calls: () => calls };
}

it('control: a widened ABORTED is retried', async () => {
  const { echo, calls } = await setup(status.ABORTED);
  await expect(echo.say({ message: 'x' }, { deadlineMs: 3_000 })).resolves.toMatchObject({ message: 'ok' });
  expect(calls()).toBe(2);
});

it('retries a server-sent DEADLINE_EXCEEDED when retryableStatuses lists it', async () => {
  const { echo, calls } = await setup(status.DEADLINE_EXCEEDED);
  await expect(echo.say({ message: 'x' }, { deadlineMs: 3_000 })).resolves.toMatchObject({ message: 'ok' });
  expect(calls()).toBe(2);
});

it('retries a server-sent CANCELLED when retryableStatuses lists it', async () => {
  const { echo, calls } = await setup(status.CANCELLED);
  await expect(echo.say({ message: 'x' }, { deadlineMs: 3_000 })).resolves.toMatchObject({ message: 'ok' });
  expect(calls()).toBe(2);
});

it('never retries the caller’s own cancellation, even with CANCELLED listed', async () => {
  const { echo, calls } = await setup(status.CANCELLED, 1_000);
  const controller = new AbortController();
  const started = Date.now();
  const call = echo.say({ message: 'x' }, { deadlineMs: 5_000, signal: controller.signal });
  setTimeout(() => controller.abort(), 100);
  await expect(call).rejects.toMatchObject({ code: 'CANCELLED' });
  expect(Date.now() - started).toBeLessThan(900);
  await new Promise((resolve) => setTimeout(resolve, 1_200)); // a retry would have reached the server by now
  expect(calls()).toBe(1);
});
