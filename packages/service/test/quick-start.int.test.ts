/** The README's quick start, compiled and run as it is shown (the region between the markers). */
import { expect, it } from 'vitest';
// #region quick-start
import { createDiscovery } from '@switchyard/discovery';
import { createHttpClient } from '@switchyard/http';
import { createRegistry } from '@switchyard/registry';
import { startService } from '@switchyard/service';

// In a deployment the registry comes from SWITCHYARD_REGISTRY_URL (redis://…); here, in memory.
const registry = createRegistry('memory://quick-start');
const catalog = await startService({
  name: 'catalog',
  version: '1.4.0',
  registry,
  http: {
    port: 0, // any free port: the registry gets the port really bound
    host: '127.0.0.1',
    handler: (request, response) => {
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ id: request.url?.split('/').pop(), name: 'Desk lamp' }));
    },
  },
  tracing: false, // on by default, configured from the OTEL_* variables
});

// Any other process that shares the registry finds it by name.
const discovery = createDiscovery({ registry, service: 'catalog' });
const client = createHttpClient({ discovery });
const product = await client.getJson<{ name: string }>('/products/sku-1', { deadlineMs: 500 });

// What SIGTERM does too: draining, deregistered, calls in flight answered, then closed.
await catalog.stop();
// #endregion quick-start

it('runs the quick start', async () => {
  expect(product).toEqual({ id: 'sku-1', name: 'Desk lamp' });
  expect(catalog.draining).toBe(true);
  expect(await registry.list('catalog')).toEqual([]);
  await client.close();
  await discovery.close();
  await registry.close();
});
