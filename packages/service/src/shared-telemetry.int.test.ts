/** Two services of one process, the second with tracing options of its own (a test starting A and B). */
import { silentLogger } from '@switchyard/core';
import { MemoryRegistry } from '@switchyard/registry';
import { expect, it } from 'vitest';
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
