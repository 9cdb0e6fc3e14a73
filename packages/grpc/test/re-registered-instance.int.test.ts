/**
 * A replacement registration under the same id at a new address (a restarted pod keeping its name,
 * a process restarted on another port) is dialled at its new address, and calls keep succeeding once
 * the old process is gone.
 */
import { fileURLToPath } from 'node:url';
import { createDiscovery } from '@switchyard/discovery';
import { createGrpcClient, createGrpcServer, loadService } from '@switchyard/grpc';
import { MemoryRegistry } from '@switchyard/registry';
import { afterEach, expect, it } from 'vitest';

const protos = fileURLToPath(new URL('../../../protos', import.meta.url));
const Echo = loadService('switchyard/echo/v1/echo.proto', 'switchyard.echo.v1.Echo', { includeDirs: [protos] });
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function serve(servedBy: string) {
  const server = createGrpcServer({
    services: [{ definition: Echo, implementation: { say: async () => ({ message: 'ok', servedBy }) } }],
  });
  const port = await server.listen(0, '127.0.0.1');
  cleanups.push(() => server.shutdown(100));
  return { server, port };
}

it('dials the new address of an instance re-registered under the same id', async () => {
  const registry = new MemoryRegistry();
  cleanups.push(() => registry.close());
  const first = await serve('old');
  await registry.register({ id: 'echo-0', service: 'echo', host: '127.0.0.1', ports: { grpc: first.port } });
  const discovery = createDiscovery({ registry, service: 'echo' });
  cleanups.push(() => discovery.close());
  await discovery.ready();
  const echo = createGrpcClient({ definition: Echo, discovery }) as unknown as {
    say(r: object, o?: object): Promise<{ servedBy: string }>;
    close(): Promise<void>;
  };
  cleanups.push(() => echo.close());
  expect((await echo.say({ message: 'x' }, { deadlineMs: 2_000 })).servedBy).toBe('old');

  // The instance restarts on another port, keeping its id (a replacement registration).
  const second = await serve('new');
  await registry.register({ id: 'echo-0', service: 'echo', host: '127.0.0.1', ports: { grpc: second.port } });
  for (let i = 0; i < 100 && discovery.instances()[0]?.ports.grpc !== second.port; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  expect(discovery.instances()[0]?.ports.grpc).toBe(second.port);

  // Discovery says the instance is at second.port; the client should call it there.
  expect((await echo.say({ message: 'x' }, { deadlineMs: 2_000 })).servedBy).toBe('new');
  // And once the old process is gone, calls must not fail.
  await first.server.shutdown(0);
  await expect(echo.say({ message: 'x' }, { deadlineMs: 2_000 })).resolves.toMatchObject({ servedBy: 'new' });
});
