/** The README's quick start, run as it is shown (the region between the markers) against a throwaway Redis. */
import { startRedis } from '@switchyard/testing';
import { afterAll, expect, it } from 'vitest';

const redis = await startRedis();
afterAll(() => redis.stop());
process.env.SWITCHYARD_REGISTRY_URL = redis.url;

// #region quick-start
import { createRegistry } from '@switchyard/registry';

const registry = createRegistry(process.env.SWITCHYARD_REGISTRY_URL ?? 'redis://127.0.0.1:6379');
const registration = await registry.register({ service: 'catalog', host: '10.0.0.7', ports: { grpc: 50051 } });
registration.onStateChange((state, error) => console.log('registration is', state, error?.message));

const events: string[] = [];
const stop = await registry.watch('catalog', (event) => {
  events.push(event.type); // 'snapshot' first, then 'up' | 'update' | 'down'; 'stale' while Redis is unreachable
});
const instances = await registry.list('catalog');
console.log(instances, await registry.services());

await registration.deregister();
await stop();
await registry.close(); // also deregisters what this registry registered
// #endregion quick-start

it('runs the quick start', () => {
  delete process.env.SWITCHYARD_REGISTRY_URL;
  expect(instances.map((instance) => instance.host)).toEqual(['10.0.0.7']);
  expect(events[0]).toBe('snapshot');
});
