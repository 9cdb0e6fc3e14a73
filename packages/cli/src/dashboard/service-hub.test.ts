import { MemoryRegistry } from '@switchyard/registry';
import { afterEach, expect, it } from 'vitest';
import { ServiceHub } from './service-hub.js';

let registry: MemoryRegistry | undefined;
let hub: ServiceHub | undefined;

afterEach(async () => {
  await hub?.close();
  await registry?.close();
});

it('announces a change that arrives just as a refresh of the same service ends (it is not lost until the next lease refresh)', async () => {
  registry = new MemoryRegistry();
  const alpha = await registry.register({ id: 'a-1', service: 'alpha', host: '10.0.0.1', ports: { grpc: 1 } });
  // Long periods: only the change itself may bring the view up to date.
  hub = new ServiceHub({ registry, servicesPollMs: 60_000, leaseRefreshMs: 60_000 });
  await hub.start();
  let followed = false;
  hub.onChange((change) => {
    // The next change comes right after this announcement, before the refresh has fully ended
    // (as a second event read from the same socket chunk would).
    if (change.type === 'service' && !followed) {
      followed = true;
      queueMicrotask(() => void alpha.update({ status: 'draining' }));
    }
  });
  await alpha.update({ weight: 5 });
  await new Promise((resolve) => setTimeout(resolve, 50));
  expect(followed).toBe(true);
  expect(hub.view('alpha')?.instances[0]).toMatchObject({ weight: 5, status: 'draining' });
});
