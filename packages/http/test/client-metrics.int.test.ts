/**
 * `http.client.request.duration`, one sample per attempt: with the service called
 * (`service.peer.name`), a bounded method, and `error.type` for a failed status or for what failed
 * without a response. It had no service (catalog's and search's latencies were one series), the
 * method as given, no `error.type` on 4xx/5xx, and `connection` for every failure without a
 * response, deadlines included.
 */
import { initMetrics, type Metrics } from '@switchyard/tracing';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { json, Loopback } from './fixtures/loopback.js';

let metrics: Metrics;
let loopback: Loopback;
beforeAll(async () => {
  metrics = await initMetrics({ serviceName: 'http-client-metrics', port: 0, host: '127.0.0.1' });
});
afterAll(() => metrics.shutdown());
beforeEach(() => {
  loopback = new Loopback();
});
afterEach(() => loopback.cleanup());

/** The label sets of the `http_client_request_duration` series that name `service`. */
async function clientSeries(service: string): Promise<string[]> {
  const text = await metrics.scrape();
  return text
    .split('\n')
    .filter((line) => line.startsWith('http_client_request_duration_count{'))
    .filter((line) => line.includes(`service_peer_name="${service}"`))
    .map((line) => line.slice(line.indexOf('{') + 1, line.indexOf('}')));
}

it('records each attempt with the service called, its status, and error.type for a failure', async () => {
  await loopback.serve('ok-1', (_request, response) => json(response, 200, { ok: true }), { service: 'metered' });
  const ok = await loopback.client('metered', { policy: false });
  await ok.getJson('/');
  await loopback.serveOverloaded('metered-busy');
  const busy = await loopback.client('metered-busy', { policy: false });
  await expect(busy.getJson('/')).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  await loopback.registerDead('gone-1', 'metered-gone');
  const gone = await loopback.client('metered-gone', { policy: false });
  await expect(gone.getJson('/')).rejects.toMatchObject({ code: 'UNAVAILABLE' });

  const [okSeries] = await clientSeries('metered');
  expect(okSeries).toContain('http_request_method="GET"');
  expect(okSeries).toContain('http_response_status_code="200"');
  expect(okSeries).not.toContain('error_type');
  const [busySeries] = await clientSeries('metered-busy');
  expect(busySeries).toContain('http_response_status_code="503"');
  expect(busySeries).toContain('error_type="503"');
  const [goneSeries] = await clientSeries('metered-gone');
  expect(goneSeries).toContain('error_type="UNAVAILABLE"');
  expect(goneSeries).not.toContain('http_response_status_code');
});

it("counts the default policy's retries and the discovery's ejections under the service called", async () => {
  // One instance that refuses connections and one that answers: the first pick of the dead one is
  // retried on the live one, and outlier detection ejects the dead one.
  await loopback.registerDead('dead-1', 'metered-retry');
  await loopback.serve('live-1', (_request, response) => json(response, 200, { ok: true }), {
    service: 'metered-retry',
  });
  const client = await loopback.client('metered-retry');
  for (let i = 0; i < 6; i++) await client.getJson('/');

  const text = await metrics.scrape();
  const line = (name: string) =>
    text
      .split('\n')
      .find((candidate) => candidate.startsWith(name) && candidate.includes('service_peer_name="metered-retry"'));
  const retries = line('switchyard_client_retries_total');
  expect(retries, 'a retries series for the HTTP client').toBeDefined();
  expect(Number(retries?.slice(retries.lastIndexOf(' ') + 1))).toBeGreaterThanOrEqual(1);
  expect(line('switchyard_discovery_ejections_total'), 'an ejections series for its discovery').toBeDefined();
});
