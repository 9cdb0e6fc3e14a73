import { createServer } from 'node:http';
import { httpHandler } from '@switchyard/http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeServer, json, listen, Loopback } from './fixtures/loopback.js';

let loopback: Loopback;
beforeEach(() => {
  loopback = new Loopback();
});
afterEach(() => loopback.cleanup());

async function serveAs(name: string): Promise<{ port: number; close: () => Promise<void> }> {
  const server = createServer(httpHandler((_request, response) => json(response, 200, { servedBy: name })));
  const port = await listen(server);
  loopback.onCleanup(() => closeServer(server));
  return { port, close: () => closeServer(server) };
}

describe('an instance re-registered under the same id at another address', () => {
  it('follows an instance that comes back under the same id at a new address (restarted pod)', async () => {
    const first = await serveAs('first');
    const registration = await loopback.registry.register({
      id: 'web-0',
      service: 'web',
      host: '127.0.0.1',
      ports: { http: first.port },
    });
    const web = await loopback.client();
    expect(await web.getJson('/who')).toEqual({ servedBy: 'first' });

    // The instance restarts: deregistered, process gone, back under the same id on a new port.
    await registration.deregister();
    await first.close();
    const second = await serveAs('second');
    await loopback.registry.register({ id: 'web-0', service: 'web', host: '127.0.0.1', ports: { http: second.port } });
    await new Promise((resolve) => setTimeout(resolve, 50)); // let discovery see it

    // Served by the new process: the pool kept for id web-0 must not dial the old port.
    await expect(web.getJson('/who', { deadlineMs: 2_000 })).resolves.toEqual({ servedBy: 'second' });
  });

  it('follows an instance whose registration is updated in place to a new address', async () => {
    const first = await serveAs('first');
    await loopback.registry.register({ id: 'web-0', service: 'web', host: '127.0.0.1', ports: { http: first.port } });
    const web = await loopback.client();
    expect(await web.getJson('/who')).toEqual({ servedBy: 'first' });
    const second = await serveAs('second');
    // Registering the same id again replaces the entry (new address), without a 'down' in between.
    await loopback.registry.register({ id: 'web-0', service: 'web', host: '127.0.0.1', ports: { http: second.port } });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await loopback.discover()).instances()[0]?.ports.http).toBe(second.port);
    await expect(web.getJson('/who', { deadlineMs: 2_000 })).resolves.toEqual({ servedBy: 'second' });
  });
});
