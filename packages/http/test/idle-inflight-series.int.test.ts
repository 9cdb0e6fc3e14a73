/**
 * The in-flight gauge (`switchyard.server.inflight_requests`, which deploy/'s HPA scales on) has a
 * series for HTTP from the moment a handler is made, not from its first request: an idle pod had
 * none, prometheus-adapter had nothing to serve for it, and the HPA could not scale down.
 */
import { httpHandler, switchyardFastify } from '@switchyard/http';
import { initMetrics } from '@switchyard/tracing';
import Fastify from 'fastify';
import { expect, it } from 'vitest';

/** The in-flight series a fresh MeterProvider shows once `make` has run. */
async function inflightSeriesAfter(make: () => Promise<unknown> | unknown): Promise<string[]> {
  const metrics = await initMetrics({ serviceName: 'http-idle', port: 0, host: '127.0.0.1' });
  try {
    await make();
    return (await metrics.scrape())
      .split('\n')
      .filter((line) => line.startsWith('switchyard_server_inflight_requests{'));
  } finally {
    await metrics.shutdown();
  }
}

it('publishes the HTTP in-flight series at 0 once httpHandler() has made a listener, before any request', async () => {
  const series = await inflightSeriesAfter(() => httpHandler((_request, response) => response.end('hi')));
  expect(series).toEqual([expect.stringMatching(/rpc_system="http".*\} 0$/)]);
});

it('publishes the HTTP in-flight series at 0 once the Fastify plugin is registered, before any request', async () => {
  const app = Fastify();
  try {
    const series = await inflightSeriesAfter(async () => {
      await app.register(switchyardFastify);
      await app.ready();
    });
    expect(series).toEqual([expect.stringMatching(/rpc_system="http".*\} 0$/)]);
  } finally {
    await app.close();
  }
});
