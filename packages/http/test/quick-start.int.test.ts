/** The README's quick start, compiled and run as it is shown (the region between the markers). */
import { expect, it } from 'vitest';
// #region quick-start
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createDiscovery } from '@switchyard/discovery';
import { createHttpClient, httpHandler } from '@switchyard/http';
import { createRegistry } from '@switchyard/registry';

const registry = createRegistry('memory://quick-start');
// Server: runs each request with its caller's deadline and trace; serves /healthz and /readyz.
const listener = httpHandler((request, response) => {
  response.setHeader('content-type', 'application/json');
  response.end(JSON.stringify({ id: request.url?.split('/').pop(), name: 'Desk lamp' }));
});
const server = createServer(listener).listen(0, '127.0.0.1');
await once(server, 'listening');
const { port } = server.address() as AddressInfo;
await registry.register({ service: 'catalog', host: '127.0.0.1', ports: { http: port } });

// Client: each attempt picks an instance; safe retries; the remaining deadline travels in a header.
const discovery = createDiscovery({ registry, service: 'catalog' });
const catalog = createHttpClient({ discovery });
const product = await catalog.getJson<{ name: string }>('/products/sku-1', { deadlineMs: 500 });
process.once('SIGTERM', () => listener.health.drain()); // /readyz → 503, then stop the server
// #endregion quick-start

it('runs the quick start', async () => {
  expect(product).toEqual({ id: 'sku-1', name: 'Desk lamp' });
  await catalog.close();
  await discovery.close();
  await registry.close();
  server.close();
});
