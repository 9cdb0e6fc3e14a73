/**
 * The README's quick start, run as it is shown (the region between the markers). Around it: a
 * registry that already holds a catalog instance (in a deployment other processes register
 * themselves), and the call the example makes, here a stand-in that answers at once.
 */
import { expect, it } from 'vitest';

process.env.SWITCHYARD_REGISTRY_URL = 'memory://discovery-quick-start';
const shared = (await import('@switchyard/registry')).createRegistry('memory://discovery-quick-start');
await shared.register({ service: 'catalog', host: '10.0.0.7', ports: { grpc: 50051 }, zone: 'eu-1a' });
const dialled: string[] = [];
const callCatalog = async (host: string, port: number | undefined): Promise<void> => {
  dialled.push(`${host}:${port}`);
};
const isConnectError = (error: unknown): boolean => (error as { code?: string }).code === 'ECONNREFUSED';

// #region quick-start
import { createRegistry } from '@switchyard/registry';
import { createDiscovery } from '@switchyard/discovery';

const registry = createRegistry(process.env.SWITCHYARD_REGISTRY_URL ?? 'memory://');
const catalog = createDiscovery({ registry, service: 'catalog', balancer: 'p2c-ewma', zone: 'eu-1a' });
await catalog.ready();

const lease = catalog.pick(); // or pick({ key: userId }) with 'maglev'
const started = performance.now();
try {
  await callCatalog(lease.instance.host, lease.instance.ports.grpc);
  lease.done({ ok: true, latencyMs: performance.now() - started });
} catch (error) {
  lease.done({ ok: false, latencyMs: performance.now() - started, connectionFailed: isConnectError(error) });
  throw error;
}
await catalog.close();
// #endregion quick-start

it('runs the quick start', async () => {
  delete process.env.SWITCHYARD_REGISTRY_URL;
  expect(dialled).toEqual(['10.0.0.7:50051']);
  await registry.close();
  await shared.close();
});
