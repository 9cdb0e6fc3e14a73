/** The README's two quick-start blocks, run as they are shown (the regions between the markers). */
import { afterAll, expect, it } from 'vitest';

const signalHandlers = process.listenerCount('SIGTERM');
// #region quick-start
import { initTracing } from '@switchyard/tracing';

// OTEL_EXPORTER_OTLP_ENDPOINT=http://otel-collector:4318 turns export on; without it nothing is registered.
const tracing = initTracing({ serviceName: 'catalog', serviceVersion: '1.4.0' });

process.once('SIGTERM', async () => {
  await tracing.shutdown(); // flushes batched spans, unregisters the globals it registered
  process.exit(0);
});
// #endregion quick-start
const exitOnSigterm = process.listeners('SIGTERM').at(-1) as () => void;
afterAll(() => {
  process.off('SIGTERM', exitOnSigterm);
});

it('registers a graceful shutdown, and exports only when an OTLP endpoint is set', async () => {
  expect(process.listenerCount('SIGTERM')).toBe(signalHandlers + 1);
  expect(tracing.enabled).toBe(process.env.OTEL_EXPORTER_OTLP_ENDPOINT !== undefined);
  await tracing.shutdown();
});

it('keeps spans in memory in tests', async () => {
  // #region in-tests
  const tracing = initTracing({ serviceName: 'catalog', exporter: 'memory' });
  // … call something …
  const spans = tracing.getFinishedSpans();
  await tracing.shutdown();
  // #endregion in-tests
  expect(tracing.enabled).toBe(true);
  expect(spans).toEqual([]);
});
