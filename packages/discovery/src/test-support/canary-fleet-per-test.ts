/**
 * Test set-up for the canary controller's tests, imported for its hooks: before each test, a
 * MemoryRegistry holding catalog 1.4.0 ×2 (stable-1, stable-2) and 1.5.0 ×1 (canary-1), and a ready
 * discovery of it without outlier detection; both closed after the test. Live bindings: the
 * importing file reads the current test's ones.
 */
import { type CanaryOptions, createCanaryController, createDiscovery, type Discovery } from '@switchyard/discovery';
import { MemoryRegistry } from '@switchyard/registry';
import { afterEach, beforeEach } from 'vitest';

export let registry: MemoryRegistry;
export let discovery: Discovery;

beforeEach(async () => {
  registry = new MemoryRegistry();
  for (const [id, version] of [
    ['stable-1', '1.4.0'],
    ['stable-2', '1.4.0'],
    ['canary-1', '1.5.0'],
  ] as const) {
    await registry.register({ id, service: 'catalog', version, host: '127.0.0.1', ports: { grpc: 1 } });
  }
  discovery = createDiscovery({ registry, service: 'catalog', outlierDetection: false });
  await discovery.ready();
});
afterEach(async () => {
  await discovery.close();
  await registry.close();
});

/** A controller of this fleet: stable 1.4.0, canary 1.5.0, 10 calls to judge, windows judged by hand. */
export function controller(options: Partial<CanaryOptions> = {}) {
  return createCanaryController({
    registry,
    discovery,
    stable: '1.4.0',
    canary: '1.5.0',
    minCalls: 10,
    windowMs: 3_600_000,
    ...options,
  });
}
