/** Two services of one process, the second with tracing options of its own (a test starting A and B). */
import { silentLogger } from '@switchyard/core';
import { MemoryRegistry } from '@switchyard/registry';
import { expect, it, vi } from 'vitest';
import { startService } from './start-service.js';

const quiet = { handleSignals: false, drainDelayMs: 0, logger: silentLogger } as const;

it('refuses tracing options for a second service with advice that fits a service (not "call shutdown()")', async () => {
  const registry = new MemoryRegistry();
  const http = { port: 0, host: '127.0.0.1' };
  const first = await startService({ name: 'catalog', registry, http, tracing: { exporter: 'memory' }, ...quiet });
  // initTracing's own advice was to shut down the Tracing "it returned": the user never got one,
  // and shutting down catalog's would have left catalog untraced.
  const second = startService({ name: 'gateway', registry, http, tracing: { exporter: 'memory' }, ...quiet });
  await expect(second).rejects.toThrow(
    expect.objectContaining({
      code: 'INVALID_ARGUMENT',
      field: 'tracing',
      message: expect.not.stringContaining('shutdown()'),
    }),
  );
  await expect(second).rejects.toThrow(
    /leave tracing out of this service.s options to share it.*the options that differ: serviceName: "catalog" → "gateway"/,
  );
  // Which is what works: the second shares the first's provider.
  const sharing = await startService({ name: 'gateway', registry, http, ...quiet });
  expect(sharing.tracing).toBe(first.tracing);
  await sharing.stop();
  await first.stop();
  await registry.close();
});

it('counts holds across two loaded copies of the package (ESM and CJS): the first to stop shut down the shared Tracing', async () => {
  // Two module instances of this file stand in for the package's ESM and CJS builds in one process
  // (an ESM app, a CommonJS library requiring the SDK). Tracing is one per process (kept on
  // globalThis); each copy counted only its own holders, so the copy whose last service stopped
  // shut the provider down under the other copy's services, which ran on untraced.
  vi.resetModules();
  const esm = await import('./shared-telemetry.js');
  vi.resetModules();
  const cjs = await import('./shared-telemetry.js');
  expect(cjs.acquireTracing).not.toBe(esm.acquireTracing);
  const { currentTracing } = await import('@switchyard/tracing');
  const options = { serviceName: 'catalog', exporter: 'memory' } as const;
  const first = esm.acquireTracing(options, options);
  try {
    const shared = cjs.acquireTracing(undefined, { ...options, serviceName: 'gateway' });
    expect(shared).toBe(first);
    await esm.releaseTracing(first);
    expect(currentTracing(), 'the Tracing another copy still holds').toBe(first);
    await cjs.releaseTracing(shared);
    expect(currentTracing()).toBeUndefined();
  } finally {
    await first.shutdown();
  }
});
